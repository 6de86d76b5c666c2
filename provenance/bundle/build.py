"""Build a bundle: run the checks, sign everything, write a BagIt bag (and its zip) atomically.

:func:`build_bundle` is deterministic: the same manifest, claims, repro files,
key and clock (``epoch``, from ``SOURCE_DATE_EPOCH``) give byte-identical bags
and zips. See :mod:`provenance.bundle.layout` for the layout and for how the
attestation and the bundle id cover every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archive.bag import PayloadItem, write_bag
from archive.errors import ArchiveInputError
from archive.hashing import FileDigests
from archive.rocrate import PROCESS_RUN_PROFILE, SPEC, SPEC_1_1, CrateBuilder, CrateFile, CreateAction
from archive.zipdet import ZipResult, write_deterministic_zip
from provenance import GENERATOR, __version__
from provenance.bundle.layout import (
    ATTESTATION,
    ATTESTOR_ROLE,
    BUNDLE_PREDICATE_TYPE,
    CITATION,
    CORRECTIONS_CHECKPOINT,
    CORRECTIONS_LOG,
    CRATE,
    LEAN_DIR,
    MANIFEST,
    PROFILE_ID,
    REPRO_DIR,
    REPRO_RUNS,
    REPRO_RUNS_CONTRACT,
    SOURCE_PROVENANCE,
    TAG_MANIFEST_SHA256,
    VERDICTS,
    VERDICTS_CONTRACT,
    bundle_id_of,
    is_signed_name,
)
from provenance.bundle.read import open_bundle
from provenance.claims.engine import check_claims
from provenance.claims.model import Claim, load_claims
from provenance.claims.verdict import Verdict, rfc3339
from provenance.errors import CheckFailed, InputError
from provenance.jsonio import load_json_file, pretty_bytes
from provenance.schemas import require_valid
from provenance.signing.intoto import make_statement, sign_statement
from provenance.signing.keys import SigningKey
from provenance.signing.source_provenance import build_source_provenance, sign_source_provenance
from provenance.signing.trust import TrustRoot

MANIFEST_CONTRACT = "paper-manifest-v1.1"
SOFTWARE_ID = f"https://provenance-archive.dev/software/{GENERATOR}/{__version__}"
LEAN_SOFTWARE = "https://lean-lang.org/"
BWRAP_SOFTWARE = "https://github.com/containers/bubblewrap"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_bundle` wrote: the bag directory (None when only a zip was asked),
    the bundle id (``sha256:`` + sha256 of tagmanifest-sha256.txt), the zip, and the verdicts."""

    path: Path | None
    bundle_id: str
    zip_path: Path | None
    record_id: str
    verdicts: tuple[Verdict, ...]
    files: int
    payload_oxum: str
    zip: ZipResult | None = None
    lean_ran: bool = False

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for v in self.verdicts:
            counts[v.status] = counts.get(v.status, 0) + 1
        return {
            "bundle_id": self.bundle_id,
            "record_id": self.record_id,
            "path": str(self.path) if self.path else None,
            "zip": str(self.zip_path) if self.zip_path else None,
            "zip_sha256": self.zip.sha256 if self.zip else None,
            "zip_md5": self.zip.md5 if self.zip else None,
            "files": self.files,
            "payload_oxum": self.payload_oxum,
            "verdicts": counts,
            "lean_ran": self.lean_ran,
        }


@dataclass(frozen=True)
class _ReproFiles:
    items: list[PayloadItem]
    runs: list[dict[str, Any]]
    verdicts: list[Verdict]
    inputs: list[Path]


def clock(epoch: int | None) -> tuple[datetime, int]:
    """The build's one clock: ``epoch`` (SOURCE_DATE_EPOCH) or now, to the second."""
    if epoch is None:
        now = datetime.now(UTC).replace(microsecond=0)
        return now, int(now.timestamp())
    return datetime.fromtimestamp(epoch, UTC), epoch


def load_manifest(path: Path, claims_path: Path | None) -> dict[str, Any]:
    """The paper manifest, validated, with the checks of ``claims_path`` attached by claim id."""
    manifest = load_json_file(path)
    require_valid(manifest, MANIFEST_CONTRACT, where=str(path))
    if claims_path is not None:
        from provenance.ingest.checks import attach_checks

        manifest = attach_checks(manifest, load_json_file(claims_path), source=str(claims_path))
    if not isinstance(manifest, dict):  # pragma: no cover - the schema says object
        raise InputError("not a JSON object", where=str(path), remedy="give a paper manifest")
    return manifest


def check_attestor(key: SigningKey, trust: TrustRoot | None) -> None:
    """Refuse to sign with a key the trust root does not name as an attestor."""
    if trust is None:
        return
    keys, _ = trust.keys_for(ATTESTOR_ROLE)
    if key.keyid not in keys:
        raise InputError(
            f"signing key {key.keyid[:16]}… is not an attestor key of the trust root",
            where="--key",
            remedy="sign with an attestor key, or add this key: `provenance trust add-key --role attestor`",
        )


def _apply_lean(
    claims: Sequence[Claim], verdicts: list[Verdict], mode: str, runner: Any, toolchain: Any
) -> tuple[list[Verdict], str | None]:
    if mode == "off" or not verdicts:
        return verdicts, None
    from provenance.lean.pipeline import apply_lean
    from provenance.lean.runner import find_lean

    if toolchain is None:
        toolchain = find_lean()
    result = apply_lean(claims, verdicts, mode, toolchain=toolchain, runner=runner)
    return result, toolchain.version if toolchain else None


def _lean_files(claims: Sequence[Claim], exact: Sequence[Verdict]) -> dict[str, bytes]:
    from provenance.lean.emit import items_from, plan_project

    items, skipped = items_from(claims, exact)
    if not items:
        return {}
    plan = plan_project(items, skipped)
    return {LEAN_DIR + rel: data for rel, data in sorted(plan.files.items())}


def _repro(
    repro_dir: Path, claims: Sequence[Claim], now: datetime, unsafe_no_sandbox: bool, progress: Progress
) -> _ReproFiles:
    from provenance.claims.repro import apply_repro, run_repro
    from provenance.sandbox.runner import BubblewrapSandbox, HostRunner, Sandbox

    if not repro_dir.is_dir():
        raise InputError("not a directory", where=str(repro_dir), remedy="give --repro a directory with *.py scripts and data/")
    scripts = sorted(p for p in repro_dir.iterdir() if p.suffix == ".py" and p.is_file() and not p.is_symlink())
    if not scripts:
        raise InputError("no *.py repro script", where=str(repro_dir), remedy="put the repro scripts at the top of the directory")
    data = repro_dir / "data"
    data_dir = data if data.is_dir() else None
    sandbox: Sandbox
    if unsafe_no_sandbox:
        sandbox, runner_name = HostRunner(), "host (unsafe, not sealed)"
    else:
        bwrap = BubblewrapSandbox()
        sandbox, runner_name = bwrap, bwrap.version()
    items: list[PayloadItem] = []
    inputs: list[Path] = []
    runs: list[dict[str, Any]] = []
    verdicts: list[Verdict] = []
    for script in scripts:
        progress(f"repro: running {script.name} sealed")
        run = run_repro(script, data=data_dir, sandbox=sandbox, runner_name=runner_name)
        fed = apply_repro(claims, run, now=now)
        verdicts.extend(fed)
        name = script.name
        items.append(PayloadItem(f"repro/{name}", path=script))
        items.append(PayloadItem(f"repro/{name}.stdout", data=run.result.stdout))
        inputs.append(script)
        record = run.sandbox_record()
        runs.append(
            {
                "script": f"{REPRO_DIR}{name}",
                "stdout": f"{REPRO_DIR}{name}.stdout",
                "data": f"{REPRO_DIR}data/" if data_dir else None,
                "ok": run.error is None,
                "error": run.error,
                "outputs": dict(run.outputs) if run.outputs is not None else None,
                "claims_fed": [v.claim_id for v in fed],
                **record,
            }
        )
    if data_dir is not None:
        for path in sorted(data_dir.rglob("*")):
            if path.is_symlink():
                raise InputError("symlink in repro data", where=str(path), remedy="replace it by the file")
            if path.is_file():
                items.append(PayloadItem(f"repro/data/{path.relative_to(data_dir).as_posix()}", path=path))
                inputs.append(path)
    return _ReproFiles(items, runs, verdicts, inputs)


def _corrections(log: Path, manifest: dict[str, Any], trust: TrustRoot | None) -> tuple[list[PayloadItem], dict[str, Any]]:
    from provenance.corrections.store import read_log
    from provenance.corrections.verify import verify_log

    files = read_log(log)
    report = verify_log(files.entries, files.checkpoint, trust=trust)
    if not report.ok:
        first = "; ".join(str(f) for f in report.errors[:3])
        raise CheckFailed(f"the correction log does not verify: {first}", where=str(log),
                          remedy="run `provenance correct verify` and repair or replace the log")
    status = report.status
    if status.record_id is not None and status.record_id != manifest.get("record_id"):
        raise InputError(
            f"the log corrects record {status.record_id!r}, the manifest is {manifest.get('record_id')!r}",
            where=str(log),
            remedy="give the log of this record",
        )
    items = [PayloadItem(CORRECTIONS_LOG.removeprefix("data/"), data=files.entries)]
    if files.checkpoint is not None:
        items.append(PayloadItem(CORRECTIONS_CHECKPOINT.removeprefix("data/"), data=files.checkpoint))
    record = dict(manifest.get("correction_record") or {})
    record.update(status.manifest_correction_record())
    return items, record


def _yaml_str(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string with ASCII escapes is one)."""
    return json.dumps(value, ensure_ascii=True)


def citation_cff(manifest: Mapping[str, Any], released: str, version: int) -> bytes:
    """``CITATION.cff`` (CFF 1.2.0) for the bundle as a dataset."""
    lines = [
        "cff-version: 1.2.0",
        f"message: {_yaml_str('If you use this verified-claims bundle, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml_str(str(manifest.get('title') or manifest.get('record_id')))}",
        f"version: {_yaml_str(str(version))}",
        f"date-released: {_yaml_str(released)}",
        "authors:",
    ]
    authors = manifest.get("authors") or []
    if not authors:
        lines.append(f"  - name: {_yaml_str('Unknown')}")
    for author in authors:
        name = str(author.get("name", "")) if isinstance(author, Mapping) else str(author)
        family, _, given = name.partition(",")
        if given.strip():
            lines.append(f"  - family-names: {_yaml_str(family.strip())}")
            lines.append(f"    given-names: {_yaml_str(given.strip())}")
        else:
            lines.append(f"  - name: {_yaml_str(name.strip() or 'Unknown')}")
        orcid = author.get("orcid") if isinstance(author, Mapping) else None
        if isinstance(orcid, str) and orcid:
            url = orcid if orcid.startswith("https://") else f"https://orcid.org/{orcid}"
            lines.append(f"    orcid: {_yaml_str(url)}")
    doi = manifest.get("doi")
    if isinstance(doi, str) and doi:
        lines.append(f"doi: {_yaml_str(doi)}")
    lines.append("identifiers:")
    lines.append("  - type: other")
    lines.append(f"    value: {_yaml_str(str(manifest.get('record_id')))}")
    lines.append(f"    description: {_yaml_str('record id')}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _encoding(name: str) -> str:
    if name.endswith(".json") or name.endswith(".dsse.json"):
        return "application/json"
    if name.endswith(".jsonl"):
        return "application/jsonl"
    if name.endswith(".py"):
        return "text/x-python"
    if name.endswith(".lean"):
        return "text/x-lean"
    if name.endswith(".csv"):
        return "text/csv"
    if name.endswith(".cff"):
        return "application/x-yaml"
    return "application/octet-stream" if not name.endswith((".txt", ".md", ".checkpoint")) else "text/plain"


def _crate(
    manifest: Mapping[str, Any],
    files: Mapping[str, tuple[int, str]],
    now: datetime,
    runs: Sequence[dict[str, Any]],
    verdicts: Sequence[Verdict],
    lean_version: str | None,
    lean_files: Sequence[str],
    license_id: str | None = None,
) -> dict[str, Any]:
    """The RO-Crate: a File per payload file, a CreateAction per check run."""
    title = str(manifest.get("title") or manifest.get("record_id"))
    description = str(manifest.get("abstract") or manifest.get("research_question") or title)
    doi = manifest.get("doi")
    builder = CrateBuilder(
        name=title,
        description=description,
        date_published=rfc3339(now),
        identifier=f"https://doi.org/{doi}" if isinstance(doi, str) and doi else None,
        conforms_to=(PROCESS_RUN_PROFILE, PROFILE_ID),
        root_extra={"alternateName": str(manifest.get("record_id"))},
        descriptor_conforms_to=(SPEC, SPEC_1_1),
        license=license_id,
        license_entity=None if license_id else {
            "@id": "#license",
            "@type": "CreativeWork",
            "name": "No licence stated",
            "description": "The record states no licence; ask its publisher before reusing it.",
        },
    )
    for name, (size, sha) in sorted(files.items()):
        rel = name.removeprefix("data/")
        builder.add_file(CrateFile(rel, size, sha, encoding_format=_encoding(rel)))
    for profile, label in ((PROCESS_RUN_PROFILE, "Process Run Crate 0.5"), (PROFILE_ID, "provenance-archive bundle 1.0")):
        builder.add_entity({"@id": profile, "@type": ["CreativeWork", "Profile"], "name": label, "version": profile.rsplit("/", 1)[-1]})
    builder.add_entity(
        {"@id": SOFTWARE_ID, "@type": "SoftwareApplication", "name": GENERATOR, "version": __version__,
         "url": "https://provenance-archive.dev/"}
    )
    end = rfc3339(now)
    errors = sum(1 for v in verdicts if v.status == "error")
    builder.add_action(
        CreateAction(
            id="#run-exact-check",
            name="Exact arithmetic check of every claim",
            description=f"{len(verdicts)} verdicts; {errors} errors",
            instrument=SOFTWARE_ID,
            objects=["manifest.json"],
            results=["verdicts.json"],
            end_time=end,
            ok=True,
        )
    )
    if lean_version is not None and lean_files:
        lean_id = f"{LEAN_SOFTWARE}#v{lean_version}"
        builder.add_entity({"@id": lean_id, "@type": "SoftwareApplication", "name": "Lean 4", "version": lean_version,
                            "url": LEAN_SOFTWARE})
        rejected = [v.claim_id for v in verdicts if v.lean and v.lean.get("status") == "rejected"]
        builder.add_action(
            CreateAction(
                id="#run-lean",
                name="Lean 4 type-check of the claim theorems",
                instrument=lean_id,
                objects=[f.removeprefix("data/") for f in lean_files],
                results=["verdicts.json"],
                end_time=end,
                ok=not rejected,
                error=f"rejected: {', '.join(rejected)}" if rejected else None,
            )
        )
    for index, run in enumerate(runs):
        runner = str(run.get("runner"))
        if run.get("sealed"):
            bwrap_version = runner.rsplit(" ", 1)[-1]
            bwrap_id = f"{BWRAP_SOFTWARE}#v{quote(bwrap_version, safe='.')}"
            builder.add_entity({"@id": bwrap_id, "@type": "SoftwareApplication", "name": "bubblewrap",
                                "version": bwrap_version, "url": BWRAP_SOFTWARE})
        else:
            bwrap_id = f"{SOFTWARE_ID}#unsafe-host-runner"
            builder.add_entity({"@id": bwrap_id, "@type": "SoftwareApplication", "name": runner,
                                "version": __version__, "url": "https://provenance-archive.dev/"})
        objects = [str(run["script"]).removeprefix("data/")]
        objects += [n.removeprefix("data/") for n in files if n.startswith(f"{REPRO_DIR}data/")]
        builder.add_action(
            CreateAction(
                id=f"#run-repro-{index + 1}",
                name=f"Sealed repro run of {str(run['script']).rsplit('/', 1)[-1]}",
                instrument=bwrap_id,
                objects=objects,
                results=[str(run["stdout"]).removeprefix("data/"), "verdicts.json"],
                end_time=end,
                ok=bool(run.get("ok")),
                error=str(run.get("error")) if run.get("error") else None,
            )
        )
    return builder.to_json()


def _summary(verdicts: Sequence[Verdict]) -> dict[str, str]:
    return {v.claim_id: v.status for v in verdicts}


def resolve_supersedes(value: str | None, version: int | None) -> tuple[str | None, int]:
    """``--supersedes`` as a bundle id or a path to the earlier bundle, and the new Bundle-Version."""
    if value is None:
        return None, version or 1
    if value.startswith("sha256:") and len(value) == 71:
        return value, version or 2
    if Path(value).exists():
        earlier = open_bundle(value)
        return earlier.bundle_id, version or (earlier.bundle_version or 1) + 1
    raise InputError(
        f"--supersedes {value!r} is neither a bundle id (sha256:<64 hex>) nor a bundle path",
        remedy="give the earlier bundle's id as printed by `bundle build`, or its path",
    )


def build_bundle(
    manifest_path: str | os.PathLike[str],
    *,
    key: SigningKey,
    out: str | os.PathLike[str],
    claims_path: str | os.PathLike[str] | None = None,
    repro_dir: str | os.PathLike[str] | None = None,
    lean_mode: str = "auto",
    trust: TrustRoot | None = None,
    corrections_log: str | os.PathLike[str] | None = None,
    supersedes: str | None = None,
    bundle_version: int | None = None,
    make_zip: bool = False,
    epoch: int | None = None,
    unsafe_no_sandbox: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    license_id: str | None = None,
    lean_runner: Any = None,
    lean_toolchain: Any = None,
) -> BuildResult:
    """Check, sign and bag a record. ``out`` is the bag directory; with ``make_zip`` also
    ``<out>.zip``; an ``out`` ending in ``.zip`` writes only the zip. Nothing is left
    half-written on error. ``license_id`` is the licence URI the crate states (else "No licence stated");
    ``lean_runner``/``lean_toolchain`` replace the ``lean`` found on PATH (a
    :class:`provenance.lean.runner.LeanRunner` and its Toolchain). Raises :class:`InputError` for unusable input,
    :class:`ToolMissing` when ``lean_mode == "require"`` without Lean or repro without bubblewrap.
    """
    say = progress or (lambda _msg: None)
    if lean_mode not in ("auto", "off", "require"):
        raise InputError(f"unknown Lean mode {lean_mode!r}", remedy="use auto, off or require")
    out_path = Path(out)
    zip_only = out_path.suffix == ".zip"
    zip_path = out_path if zip_only else (out_path.with_name(out_path.name + ".zip") if make_zip else None)
    for target in ([] if zip_only else [out_path]) + ([zip_path] if zip_path else []):
        if target.exists() or target.is_symlink():
            raise InputError("already exists", where=str(target), remedy="remove it or choose another -o path")
    if not out_path.parent.is_dir():
        raise InputError("no such directory", where=str(out_path.parent), remedy="create it first")
    check_attestor(key, trust)
    now, epoch_used = clock(epoch)
    previous_id, version = resolve_supersedes(supersedes, bundle_version)

    manifest_file = Path(manifest_path)
    claims_file = Path(claims_path) if claims_path is not None else None
    manifest = load_manifest(manifest_file, claims_file)
    record_id = str(manifest["record_id"])
    claims = load_claims(manifest, source=str(manifest_file))

    correction_items: list[PayloadItem] = []
    if corrections_log is not None:
        correction_items, correction_record = _corrections(Path(corrections_log), manifest, trust)
        manifest["correction_record"] = correction_record
        require_valid(manifest, MANIFEST_CONTRACT, where="manifest with the correction log's status")

    say(f"claims: exact check of {sum(1 for c in claims if c.check is not None)} checks")
    exact = check_claims(claims, now=now)
    lean_files = _lean_files(claims, exact)
    say(f"lean: mode {lean_mode}")
    exact_lean, lean_version = _apply_lean(claims, exact, lean_mode, lean_runner, lean_toolchain)

    final: dict[str, Verdict] = {v.claim_id: v for v in exact_lean}
    repro = _ReproFiles([], [], [], [])
    if repro_dir is not None:
        repro = _repro(Path(repro_dir), claims, now, unsafe_no_sandbox, say)
        for v in repro.verdicts:
            final[v.claim_id] = v
    verdicts = [final[v.claim_id] for v in exact_lean] + [v for cid, v in final.items() if cid not in {e.claim_id for e in exact_lean}]

    manifest_bytes = pretty_bytes(manifest)
    verdicts_doc = {
        "contract": VERDICTS_CONTRACT,
        "record_id": record_id,
        "evaluated_at": rfc3339(now),
        "lean_mode": lean_mode,
        "lean_version": lean_version,
        "verdicts": [v.to_json() for v in verdicts],
        "exact_verdicts": [v.to_json() for v in exact_lean],
    }
    verdicts_bytes = pretty_bytes(verdicts_doc)
    generated: dict[str, bytes] = {MANIFEST: manifest_bytes, VERDICTS: verdicts_bytes}
    generated.update(lean_files)
    if repro.runs:
        generated[REPRO_RUNS] = pretty_bytes({"contract": REPRO_RUNS_CONTRACT, "runs": repro.runs})
    generated[CITATION] = citation_cff(manifest, now.date().isoformat(), version)

    payload: list[PayloadItem] = [PayloadItem(name.removeprefix("data/"), data=data) for name, data in generated.items()]
    payload += repro.items + correction_items

    inputs = [manifest_file] + ([claims_file] if claims_file else []) + repro.inputs
    if corrections_log is not None:
        inputs.append(Path(corrections_log))

    def describe(files: Mapping[str, FileDigests]) -> list[PayloadItem]:
        """Source provenance and crate metadata, from the digests of the payload just copied."""
        sizes = {name: (d.size, d["sha256"]) for name, d in files.items()}
        predicate = build_source_provenance(
            manifest, inputs, {name: sha for name, (_, sha) in sizes.items()}, now=now, lean_version=lean_version,
            base=manifest_file.resolve().parent,
        )
        envelope = pretty_bytes(sign_source_provenance(predicate, [key]))
        sizes[SOURCE_PROVENANCE] = (len(envelope), hashlib.sha256(envelope).hexdigest())
        crate = _crate(manifest, sizes, now, repro.runs, verdicts, lean_version, sorted(lean_files), license_id)
        return [
            PayloadItem(SOURCE_PROVENANCE.removeprefix("data/"), data=envelope),
            PayloadItem(CRATE.removeprefix("data/"), data=pretty_bytes(crate)),
        ]

    bag_info = [
        ("Source-Organization", GENERATOR),
        ("External-Identifier", record_id),
        ("External-Description", _one_line(f"Verified claims bundle (BagIt/RO-Crate) of {manifest.get('title') or record_id}")),
        ("Bagging-Date", now.date().isoformat()),
        ("Bag-Software-Agent", f"{GENERATOR} {__version__}"),
        ("Bundle-Version", str(version)),
    ]
    if previous_id is not None:
        bag_info.append(("Previous-Bundle-Id", previous_id))

    def finalize(files: Mapping[str, FileDigests]) -> dict[str, bytes]:
        subjects = [(name, files[name]["sha256"]) for name in sorted(files) if is_signed_name(name)]
        predicate_doc = {
            "record_id": record_id,
            "bundle_version": version,
            "previous_bundle_id": previous_id,
            "bagging_date": now.date().isoformat(),
            "built_at": rfc3339(now),
            "generator": {"name": GENERATOR, "version": __version__},
            "lean_mode": lean_mode,
            "lean_version": lean_version,
            "verdicts": _summary(verdicts),
            "coverage": (
                "one subject per bag file except tagmanifest-*.txt and attestation.dsse.json; the tag manifests "
                "list this attestation, and the bundle id is the sha256 of tagmanifest-sha256.txt"
            ),
        }
        statement = make_statement(subjects, BUNDLE_PREDICATE_TYPE, predicate_doc)
        return {ATTESTATION: pretty_bytes(sign_statement(statement, [key]))}

    zip_result: list[ZipResult] = []

    def write_zip(tmp: Path) -> None:
        if zip_path is not None:
            top = zip_path.name.removesuffix(".zip") if zip_only else out_path.name
            say(f"zip: writing {zip_path}")
            zip_result.append(write_deterministic_zip(tmp, zip_path, epoch=epoch_used, top=top))

    say(f"bag: copying and hashing {len(payload)} payload files")
    try:
        if zip_only:
            with tempfile.TemporaryDirectory(prefix=".bundle-", dir=out_path.parent) as scratch:
                written = write_bag(Path(scratch) / out_path.stem, payload, bag_info=bag_info, finalize=finalize,
                                    late_payload=describe, epoch=epoch_used, workers=workers, fsync=False,
                                    after_build=write_zip)
                shutil.rmtree(written.path)
        else:
            written = write_bag(out_path, payload, bag_info=bag_info, finalize=finalize, late_payload=describe,
                                epoch=epoch_used, workers=workers, after_build=write_zip)
    except ArchiveInputError as exc:
        if zip_path is not None and zip_result:
            zip_path.unlink(missing_ok=True)
        raise InputError(str(exc), remedy="fix the input files") from None
    except BaseException:
        if zip_path is not None and zip_result:
            zip_path.unlink(missing_ok=True)
        raise
    bundle_id = bundle_id_of(written.files[TAG_MANIFEST_SHA256]["sha256"])
    return BuildResult(
        path=None if zip_only else written.path,
        bundle_id=bundle_id,
        zip_path=zip_path,
        record_id=record_id,
        verdicts=tuple(verdicts),
        files=len(written.files),
        payload_oxum=written.payload_oxum,
        zip=zip_result[0] if zip_result else None,
        lean_ran=lean_version is not None,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
