"""Random mutations of a real bundle zip, judged by the real CLI (issue 13, "a corpus test for verify").

Bytes flipped, members added, duplicated, renamed, resized, a comment, bytes
before the zip, the zip cut short: `provenance verify` never says 0 unless the
bytes are the original ones, never crashes (only exit 0, 1 or 2), and stays in
the time and memory bounds of the hostile-bundle tests. Changed member lists are
written both the way our zip writer writes (so only the content can give them
away) and by a foreign writer (:mod:`rawzip`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundle_env import Env
from hostile import LIMIT_KIB, LIMIT_SECONDS, members, run_cli, small_bundle_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawzip import entry, write_zip

from archive.zipdet import COMPRESS_LEVEL, member_info, member_order


@dataclass(frozen=True)
class Original:
    zip: Path
    data: bytes
    members: list[tuple[str, bytes]]
    date_time: tuple[int, int, int, int, int, int]
    trust: Path


@pytest.fixture(scope="module")
def original(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Original:
    path = small_bundle_zip(env, tmp_path_factory, "m")
    with zipfile.ZipFile(path) as zf:
        date_time = zf.infolist()[0].date_time
    return Original(path, path.read_bytes(), members(path), date_time, env.trust_path)


_NAMES = st.sampled_from(["m/data/x.txt", "m/data/manifest.json", "m/extra.txt", "m/data/lean/X.lean",
                          "m/tagmanifest-md5.txt", "m/../escape", "other/top.txt", "m/data/", "m/bag-info.txt"])
_KINDS = ["flip", "flip", "flip", "add", "duplicate", "rename", "resize", "comment", "prefix", "truncate"]

# One mutation: (kind, position in [0, 1), a second number, some bytes, a name, whose zip writer)
MUTATION = st.tuples(
    st.sampled_from(_KINDS),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.integers(min_value=1, max_value=255),
    st.binary(min_size=0, max_size=64),
    _NAMES,
    st.sampled_from(["ours", "foreign"]),
)
Mutation = tuple[str, float, int, bytes, str, str]


def _ours(out: Path, items: list[tuple[str, bytes]], date_time: tuple[int, int, int, int, int, int]) -> Path:
    """The members written as :func:`archive.zipdet.write_deterministic_zip` writes them (duplicates kept)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        for name, data in sorted(items, key=lambda item: member_order(item[0])):
            zf.writestr(member_info(name, date_time, len(data)), data)
    return out


def mutate(original: Original, mutation: Mutation, out: Path) -> Path:
    kind, where, number, blob, name, writer = mutation
    data, items = original.data, list(original.members)
    if kind == "flip":
        at = int(where * len(data))
        out.write_bytes(data[:at] + bytes([data[at] ^ number]) + data[at + 1:])
    elif kind == "prefix":
        out.write_bytes((blob or b"\0") + data)
    elif kind == "truncate":
        out.write_bytes(data[: int(where * len(data))])
    elif kind == "comment":  # the end record is last and has no comment: set its length, append the bytes
        out.write_bytes(data[:-2] + len(blob or b"x").to_bytes(2, "little") + (blob or b"x"))
    else:
        index = int(where * len(items))
        if kind == "add":
            items.append((name, blob))
        elif kind == "duplicate":
            items.append(items[index])
        elif kind == "rename":
            items[index] = (name, items[index][1])
        elif kind == "resize":
            old = items[index][1]
            items[index] = (items[index][0], old[: len(old) // 2] if number % 2 else old + blob + b"\n")
        if writer == "ours":
            _ours(out, items, original.date_time)
        else:
            write_zip(out, [entry(n, d, directory=n.endswith("/")) for n, d in items])
    return out


# Derandomized and without a database: CI runs the same mutants every time. Each is a CLI run (~1 s).
@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # the "duplicate" mutants, on purpose
@settings(max_examples=20, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATION)
def test_a_mutated_bundle_zip_never_verifies_and_never_crashes(original: Original, tmp_path: Path,
                                                               mutation: Mutation) -> None:
    target = mutate(original, mutation, tmp_path / "mutant.zip")
    run = run_cli(["verify", str(target), "--trust", str(original.trust), "--json"], tmp_path)
    unchanged = target.read_bytes() == original.data
    assert run.returncode in (0, 1, 2), (mutation, run.returncode, run.stderr[-2000:])
    assert run.returncode != 0 or unchanged, (mutation, run.stdout[-3000:])
    assert run.seconds < LIMIT_SECONDS and 0 < run.peak_kib < LIMIT_KIB, (mutation, run.seconds, run.peak_kib)
    if run.returncode == 2:
        assert run.stderr.count("\n") == 1, run.stderr  # bad input is one line


def test_our_writer_in_this_test_rewrites_the_original_byte_for_byte(original: Original, tmp_path: Path) -> None:
    """The mutants written "ours" differ from the original only where the mutation changed something."""
    assert _ours(tmp_path / "same.zip", original.members, original.date_time).read_bytes() == original.data
