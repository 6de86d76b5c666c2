"""Check an emitted project with Lean, and turn exact verdicts into Lean-backed ones.

``check_project`` trusts nothing in the directory: it validates the claims map,
re-generates every claim file from the map (the checks it records) and
compares bytes, checks every line against the template grammar, then runs
``lean --json`` per file in parallel and applies the acceptance rule of
:mod:`provenance.lean.messages`.

``apply_lean`` is what ``claims check --lean`` calls. Verdict policy:

* accepted: the status stays (``verified`` or ``falsified``), the method
  becomes ``lean4``, ``lean`` records the theorem, Lean version, axioms, file
  and the file's sha256, and the file is added as an artifact;
* rejected (Lean found the statement false, an error or warning in its lines,
  a missing or disallowed axioms line): the status becomes ``error``: the exact
  checker and Lean disagree, or the proof was tampered with, and a person has
  to look; the reason says which;
* not run (no toolchain in ``auto`` mode, a claim with no theorem, a timeout
  in ``auto`` mode): the status is unchanged and ``lean.status`` is ``not_run``
  with the reason. In ``require`` mode a missing toolchain raises
  :class:`ToolMissing` and a timeout is a rejection.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from provenance.claims.model import parse_check
from provenance.claims.verdict import Artifact, Verdict
from provenance.errors import InputError, ProvenanceError
from provenance.inputfile import read_input_bytes
from provenance.jsonio import load_json_file
from provenance.lean import grammar
from provenance.lean.emit import (
    LAKEFILE,
    MAP_FORMAT,
    ROOT_MODULE,
    EmitItem,
    Skipped,
    emit_project,
    render_claim_file,
    spec_from_check,
    theorem_name,
)
from provenance.lean.encoding import encode

if TYPE_CHECKING:  # running Lean loads these; validating a project (load_project, as verify does) does not
    from provenance.lean.messages import TheoremResult
    from provenance.lean.runner import LeanRunner, Toolchain

Mode = Literal["auto", "off", "require"]
MAX_CLAIM_FILE_BYTES = 64 * 1024 * 1024
"""A generated claim file is a few KB per theorem: far larger is not one of ours."""
_TOOLCHAIN_LINE = re.compile(r"leanprover/lean4:v[0-9]+\.[0-9]+\.[0-9]+(?:-rc[0-9]+)?\n", re.ASCII)


@dataclass(frozen=True, slots=True)
class MapTheorem:
    """One theorem entry of ``claims-map.json``."""

    name: str
    claim_id: str
    file: str
    start: int
    end: int
    expected: Literal["verified", "falsified"]
    check: Mapping[str, Any]


@dataclass(frozen=True)
class Project:
    """A validated emitted project: its theorems by file, and the sha256 of each file."""

    root: Path
    theorems: tuple[MapTheorem, ...]
    file_sha256: Mapping[str, str]
    skipped: tuple[Skipped, ...]
    items: Mapping[str, EmitItem] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class TheoremCheck:
    """The gate's result for one theorem, with what a verdict needs."""

    theorem: MapTheorem
    result: TheoremResult
    file_sha256: str


@dataclass(frozen=True)
class ProjectCheck:
    """Everything ``lean check`` found."""

    project: Project
    toolchain: Toolchain
    sandboxed: bool
    checks: tuple[TheoremCheck, ...]

    @property
    def all_accepted(self) -> bool:
        return all(c.result.accepted for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project.root),
            "lean_version": self.toolchain.version,
            "lean_version_line": self.toolchain.version_line,
            "sandboxed": self.sandboxed,
            "accepted": sum(1 for c in self.checks if c.result.accepted),
            "rejected": sum(1 for c in self.checks if not c.result.accepted),
            "theorems": [
                {
                    "theorem": c.theorem.name,
                    "claim_id": c.theorem.claim_id,
                    "file": c.theorem.file,
                    "lines": [c.theorem.start, c.theorem.end],
                    "expected": c.theorem.expected,
                    "status": "accepted" if c.result.accepted else "rejected",
                    "outcome": c.result.outcome,
                    "reason": c.result.reason,
                    "axioms": list(c.result.axioms) if c.result.axioms is not None else None,
                    "file_sha256": c.file_sha256,
                }
                for c in self.checks
            ],
            "skipped": [{"claim_id": s.claim_id, "reason": s.reason} for s in self.project.skipped],
        }


def _bad(message: str, where: str) -> InputError:
    return InputError(message, where=where, remedy="re-create the project with `provenance lean emit`")


def load_project(root: Path) -> Project:
    """Validate an emitted project; :class:`InputError` (exit 2) on anything out of shape.

    Every claim file must be byte-identical to what its map entries generate,
    pass the template grammar, and have the recorded sha256.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError("not a directory", where=str(root), remedy="give the directory `provenance lean emit -o` wrote")
    map_path = root / "claims-map.json"
    if not map_path.is_file():
        raise _bad("no claims-map.json", str(root))
    doc = load_json_file(map_path)
    where = str(map_path)
    if not isinstance(doc, dict) or doc.get("format") != MAP_FORMAT:
        raise _bad(f"not a {MAP_FORMAT} document", where)
    files = doc.get("files")
    theorems = doc.get("theorems")
    if not isinstance(files, dict) or not isinstance(theorems, dict):
        raise _bad("files and theorems must be objects", where)
    entries: list[MapTheorem] = []
    by_name: dict[str, EmitItem] = {}
    digests: dict[str, str] = {}
    modules: list[str] = []
    for rel, info in sorted(files.items()):
        if not isinstance(rel, str) or not isinstance(info, dict):
            raise _bad("bad files entry", where)
        if not _module_path(rel):
            raise _bad(f"file name {rel!r} is not Claims/Cnnnn.lean", where)
        names = info.get("theorems")
        if not isinstance(names, list) or not names:
            raise _bad(f"files.{rel}.theorems must be a non-empty list", where)
        path = root / rel
        if not path.exists():
            raise _bad("listed in claims-map.json but missing", str(path))
        try:
            data = read_input_bytes(path, max_bytes=MAX_CLAIM_FILE_BYTES, what="a generated Lean claim file")
        except InputError as exc:
            raise _bad(exc.message, str(path)) from None
        digest = hashlib.sha256(data).hexdigest()
        if info.get("sha256") != digest:
            raise _bad("sha256 differs from claims-map.json (the file was changed)", str(path))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad("not UTF-8", str(path)) from None
        grammar.check_claim_file(text, where=str(path))
        items: list[tuple[str, EmitItem]] = []
        for name in names:
            entry = theorems.get(name) if isinstance(name, str) else None
            if not isinstance(entry, dict):
                raise _bad(f"theorem {name!r} of {rel} has no entry", where)
            items.append((name, _item_from_entry(name, entry, where)))
        regenerated, placed = render_claim_file(items, file=rel)
        if regenerated.encode("utf-8") != data:
            raise _bad("differs from the file its claims-map.json entries generate", str(path))
        for (name, item), spot in zip(items, placed, strict=True):
            entries.append(MapTheorem(name, item.claim_id, rel, spot.start, spot.end, item.expected, item.check))
            by_name[name] = item
        digests[rel] = digest
        modules.append(rel.removesuffix(".lean").replace("/", "."))
    # lakefile.lean is Lean code that `lake` runs: it must be our fixed text, byte for byte.
    lakefile = root / "lakefile.lean"
    if not lakefile.is_file() or lakefile.read_bytes() != LAKEFILE.encode("utf-8"):
        raise _bad("lakefile.lean is missing or not the generated one", str(lakefile))
    toolchain_file = root / "lean-toolchain"
    if not toolchain_file.is_file() or _TOOLCHAIN_LINE.fullmatch(toolchain_file.read_text(encoding="utf-8")) is None:
        raise _bad("lean-toolchain is missing or not one leanprover/lean4:vX.Y.Z line", str(toolchain_file))
    root_module = root / f"{ROOT_MODULE}.lean"
    if not root_module.is_file():
        raise _bad("the root module is missing", str(root_module))
    found = grammar.check_root_module(root_module.read_text(encoding="utf-8"), where=str(root_module))
    if sorted(found) != sorted(modules):
        raise _bad("root module does not import exactly the claim files", str(root_module))
    if len({t.name for t in entries}) != len(theorems):
        raise _bad("theorems lists entries that no file holds", where)
    skipped_raw = doc.get("skipped", [])
    skipped = tuple(
        Skipped(str(s.get("claim_id")), str(s.get("reason")))
        for s in skipped_raw if isinstance(s, dict)
    ) if isinstance(skipped_raw, list) else ()
    return Project(root, tuple(entries), digests, skipped, by_name)


def _module_path(rel: str) -> bool:
    return re.fullmatch(r"Claims/C[0-9]{4}\.lean", rel, re.ASCII) is not None


def _item_from_entry(name: str, entry: Mapping[str, Any], where: str) -> EmitItem:
    claim_id = entry.get("claim_id")
    check_raw = entry.get("check")
    expected = entry.get("expected")
    if not isinstance(claim_id, str) or not isinstance(check_raw, dict) or expected not in ("verified", "falsified"):
        raise _bad(f"theorem {name}: needs claim_id, check and expected (verified|falsified)", where)
    if theorem_name(claim_id, check_raw) != name:
        raise _bad(f"theorem {name} is not the name of claim {claim_id!r} and its check", where)
    try:
        check = parse_check(check_raw, where=f"{where}: theorems.{name}.check")
        statement = encode(spec_from_check(check), where=f"theorem {name}")
    except ProvenanceError as exc:
        raise _bad(f"theorem {name}: {exc}", where) from None
    return EmitItem(claim_id, dict(check_raw), statement, expected)


def make_runner(toolchain: Toolchain) -> tuple[LeanRunner, bool]:
    """The real runner: sealed under bubblewrap when it works here, else a plain subprocess."""
    from provenance.lean.runner import SandboxedLeanRunner, SubprocessLeanRunner, bubblewrap_sandbox

    sandbox = bubblewrap_sandbox()
    if sandbox is not None:
        return SandboxedLeanRunner(toolchain, sandbox), True
    return SubprocessLeanRunner(toolchain), False


def check_project(
    root: Path,
    *,
    toolchain: Toolchain | None = None,
    runner: LeanRunner | None = None,
    sandboxed: bool = False,
    jobs: int = 2,
    timeout: float = 120.0,
    on_file_done: Callable[[str], None] | None = None,
) -> ProjectCheck:
    """Validate ``root`` and run Lean on every claim file; :class:`ToolMissing` without a toolchain.

    ``on_file_done(relative_path)`` is called as each file's run finishes (for progress display).
    """
    from provenance.lean.messages import TheoremRange, judge
    from provenance.lean.runner import LeanRequest, locate_lean, missing_lean, run_many

    project = load_project(root)
    if toolchain is None:
        toolchain, why = locate_lean()
        if toolchain is None:
            raise missing_lean(why)
    if runner is None:
        runner, sandboxed = make_runner(toolchain)
    by_file: dict[str, list[MapTheorem]] = {}
    for theorem in project.theorems:
        by_file.setdefault(theorem.file, []).append(theorem)
    files = sorted(by_file)
    requests = [LeanRequest(project.root, rel, timeout) for rel in files]
    runs = run_many(runner, requests, jobs=jobs,
                    on_done=(lambda request, _run: on_file_done(request.file)) if on_file_done else None)
    checks: list[TheoremCheck] = []
    for rel, run in zip(files, runs, strict=True):
        theorems = by_file[rel]
        results = judge(run, [TheoremRange(t.name, t.start, t.end) for t in theorems], timeout=timeout)
        if run.timed_out and len(theorems) > 1:
            half = len(theorems) // 2
            found: dict[str, TheoremResult] = {}
            for part in (theorems[:half], theorems[half:]):
                found.update(bisect_timeouts(runner, [(t.name, project.items[t.name]) for t in part], timeout))
            results = [found[t.name] for t in theorems]
        for theorem, result in zip(theorems, results, strict=True):
            checks.append(TheoremCheck(theorem, result, project.file_sha256[rel]))
    return ProjectCheck(project, toolchain, sandboxed, tuple(checks))


BISECTED = " (checked alone or in a smaller batch after its file timed out)"


def bisect_timeouts(runner: LeanRunner, items: Sequence[tuple[str, EmitItem]], timeout: float) -> dict[str, TheoremResult]:
    """Re-check ``items`` as a file of their own; while it times out, split it in halves.

    The theorems are rendered by the same templates (grammar-checked), so each
    statement is byte-identical to its line in the original file; only the
    line numbers differ, and the judge uses the new ones.
    """
    from provenance.lean.messages import TheoremRange, judge
    from provenance.lean.runner import LeanRequest

    with tempfile.TemporaryDirectory(prefix="provenance-lean-bisect-") as tmp:
        rel = "Claims/C0001.lean"
        text, placed = render_claim_file(list(items), file=rel)
        (Path(tmp) / "Claims").mkdir()
        (Path(tmp) / rel).write_text(text, encoding="utf-8")
        run = runner.run(LeanRequest(Path(tmp), rel, timeout))
        results = judge(run, [TheoremRange(p.name, p.start, p.end) for p in placed], timeout=timeout)
    if run.timed_out and len(items) > 1:
        half = len(items) // 2
        return {**bisect_timeouts(runner, items[:half], timeout), **bisect_timeouts(runner, items[half:], timeout)}
    return {r.name: replace(r, reason=r.reason + BISECTED) for r in results}


def _not_run(verdict: Verdict, reason: str) -> Verdict:
    return replace(verdict, lean={"status": "not_run", "reason": reason})


def apply_lean(
    claims: Sequence[Any],
    verdicts: Sequence[Verdict],
    mode: str,
    *,
    jobs: int = 2,
    timeout: float = 120.0,
    workdir: Path | None = None,
    runner: LeanRunner | None = None,
    toolchain: Toolchain | None = None,
    project_dir: Path | None = None,
) -> list[Verdict]:
    """Verdicts backed by Lean where it ran (see the module docstring for the policy).

    ``verdicts`` are the exact engine's. The Lean project is built in a
    temporary directory, or kept in ``project_dir`` (e.g. a bundle's
    ``data/lean``) so that the files the verdicts cite (``lean/Claims/...``,
    with their sha256) are the files shipped.
    """
    if mode not in ("auto", "off", "require"):
        raise InputError(f"unknown Lean mode {mode!r}", remedy="use auto, off or require")
    if mode == "off":
        return list(verdicts)
    from provenance.lean.runner import NO_LEAN, locate_lean, missing_lean

    why = NO_LEAN
    if toolchain is None:
        toolchain, why = locate_lean()
    if toolchain is None:
        if mode == "require":
            raise missing_lean(why, remedy_suffix=" (--lean require)")
        return [_not_run(v, why) for v in verdicts]
    with tempfile.TemporaryDirectory(prefix="provenance-lean-", dir=workdir) as tmp:
        target = project_dir if project_dir is not None else Path(tmp) / "lean"
        emitted = emit_project(claims, verdicts, target)
        checked = check_project(target, toolchain=toolchain, runner=runner,
                                sandboxed=runner is not None, jobs=jobs, timeout=timeout) if emitted.theorems else None
    by_claim = {c.theorem.claim_id: c for c in checked.checks} if checked else {}
    skipped = {s.claim_id: s.reason for s in emitted.skipped}
    out: list[Verdict] = []
    for verdict in verdicts:
        check = by_claim.get(verdict.claim_id)
        if check is None:
            out.append(_not_run(verdict, "no theorem: " + skipped.get(verdict.claim_id, "the claim was not emitted")))
            continue
        out.append(_lean_verdict(verdict, check, toolchain, mode, timeout))
    return out


def _lean_verdict(verdict: Verdict, check: TheoremCheck, toolchain: Toolchain, mode: str, timeout: float) -> Verdict:
    result = check.result
    theorem = check.theorem
    lean: dict[str, Any] = {
        "theorem": theorem.name,
        "lean_version": toolchain.version,
        "axioms": list(result.axioms) if result.axioms is not None else None,
        "file": f"lean/{theorem.file}",
        "file_sha256": check.file_sha256,
        "lines": [theorem.start, theorem.end],
        "statement": "claim" if theorem.expected == "verified" else "negation of the claim",
    }
    if result.accepted and verdict.status not in ("verified", "falsified"):
        lean.update(status="accepted", reason=f"{result.reason}; the arithmetic is proved, the verdict's scope is not")
        return replace(verdict, lean=lean,
                       artifacts=(*verdict.artifacts, Artifact("lean", lean["file"], check.file_sha256)))
    if result.accepted:
        lean.update(status="accepted", reason=result.reason)
        what = "the claim" if theorem.expected == "verified" else "the negation of the claim"
        return replace(
            verdict,
            method="lean4",
            reason=f"{verdict.reason}; Lean {toolchain.version} proved {what} ({theorem.name}, by decide)",
            lean=lean,
            artifacts=(*verdict.artifacts, Artifact("lean", lean["file"], check.file_sha256)),
        )
    if result.outcome == "unchecked" and mode == "auto":
        lean.update(status="not_run", reason=f"Lean not run to completion: {result.reason}")
        return replace(verdict, lean=lean)
    lean.update(status="rejected", reason=result.reason)
    return replace(
        verdict,
        status="error",
        method="lean4",
        reason=f"Lean rejected {theorem.name}: {result.reason} (exact check: {verdict.reason})",
        lean=lean,
    )
