"""The auditor's one-command offline verification of a bundle (a bag directory or its zip).

:func:`verify_bundle` checks everything and returns a :class:`VerifyReport` with
every finding (``ok``, ``fail`` or ``skip``), never stopping at the first:

1. the bag: complete, every sha256 and sha512 digest, Payload-Oxum, every path
   (no ``..``, absolute paths, symlinks, ``%``/CR/LF tricks), no extra files;
2. the attestation: its DSSE signature by a threshold of the trust root's
   ``attestor`` keys, its predicate type, and its subjects equal to the bag's files;
3. bag-info: External-Identifier is the manifest's record id; version fields;
4. every document against its schema; the RO-Crate against the files present;
   the signed source provenance and the digests it names;
5. every claim re-evaluated exactly (and in Lean when present) and compared with
   its recorded verdict; repro runs against the script and output bytes carried;
6. the correction log and its checkpoint, when carried.

A zip is read by streaming; the only bytes ever written are the emitted Lean
files (checked names, into a private temporary directory) when Lean re-checks them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from archive.bag import BagReport, open_source, validate_bag
from archive.errors import ArchiveError
from archive.rocrate import PresentFile, check_crate
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
    REPRO_DIR,
    REPRO_RUNS,
    SOURCE_PROVENANCE,
    TAG_MANIFEST_SHA256,
    VERDICTS,
    bundle_id_of,
    is_signed_name,
)
from provenance.bundle.tools import LeanTools
from provenance.claims.engine import check_claims, compare, computed_of
from provenance.claims.errors import ClaimError
from provenance.claims.model import Claim, load_claims
from provenance.claims.pipeline import LEAN_MODES
from provenance.claims.verdict import Verdict
from provenance.contracts import BUNDLE_REPRO_RUNS, BUNDLE_VERDICTS, PAPER_MANIFEST, VERDICT
from provenance.contracts import SOURCE_PROVENANCE as SOURCE_PROVENANCE_CONTRACT
from provenance.errors import InputError, ProvenanceError, ToolMissing
from provenance.jsonio import canonical_sha256, loads_strict
from provenance.schemas import SchemaFinding, validate
from provenance.signing.intoto import PAYLOAD_TYPE, parse_statement
from provenance.signing.trust import TrustRoot

Status = Literal["ok", "fail", "skip"]
_KEEP_PREFIXES = (LEAN_DIR, "data/corrections/", "data/provenance/")
_KEEP_NAMES = frozenset({MANIFEST, VERDICTS, CRATE, REPRO_RUNS, CITATION})


@dataclass(frozen=True)
class Finding:
    """One line of the checklist: a stable ``id``, ``ok``/``fail``/``skip``, the file it is about."""

    id: str
    status: Status
    message: str
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "file": self.file, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    """Every finding about one bundle. ``ok`` only when no finding failed."""

    bundle: str
    kind: str
    bundle_id: str | None
    record_id: str | None
    findings: tuple[Finding, ...]
    claims: Mapping[str, str] = field(default_factory=dict)
    signers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.status == "fail" for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "fail": 0, "skip": 0}
        for f in self.findings:
            out[f.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "kind": self.kind,
            "ok": self.ok,
            "bundle_id": self.bundle_id,
            "record_id": self.record_id,
            "signers": list(self.signers),
            "claims": dict(self.claims),
            "summary": self.counts(),
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass
class VerifyCache:
    """Results a caller who verifies many similar bundles (a batch, a benchmark) lets verification
    remember: schema findings by document content, parsed verdicts, and Lean project checks by file
    digests. Each table holds at most ``limit`` entries (then starts over); ``limit=0`` remembers nothing.
    """

    limit: int = 256
    schema: dict[tuple[str, str], tuple[SchemaFinding, ...]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    lean: dict[tuple[tuple[str, str], ...], tuple[int, str | None]] = field(default_factory=dict)

    def _store(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        if self.limit <= 0:
            return
        if len(table) >= self.limit:
            table.clear()
        table[key] = value

    def schema_findings(self, doc: Any, name: str) -> tuple[SchemaFinding, ...]:
        """:func:`validate`, remembered by document content."""
        key = (name, _content_key(doc)) if self.limit > 0 else None
        found = self.schema.get(key) if key is not None else None
        if found is None:
            found = tuple(validate(doc, name))
            self._store(self.schema, key, found)
        return found

    def verdict(self, item: Any, *, where: str) -> Verdict:
        """:meth:`Verdict.from_json`, remembered by content."""
        key = _content_key(item) if self.limit > 0 else None
        verdict = self.verdicts.get(key) if key is not None else None
        if verdict is None:
            verdict = Verdict.from_json(item, where=where)
            self._store(self.verdicts, key, verdict)
        return verdict

    def lean_project(self, key: tuple[tuple[str, str], ...]) -> tuple[int, str | None] | None:
        """The remembered outcome of loading a Lean project with these files: (theorems, problem)."""
        return self.lean.get(key)

    def remember_lean(self, key: tuple[tuple[str, str], ...], count: int, problem: str | None) -> None:
        self._store(self.lean, key, (count, problem))


NO_CACHE = VerifyCache(limit=0)


def _content_key(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _keep(name: str) -> bool:
    return (
        not name.startswith("data/")
        or name in _KEEP_NAMES
        or name.startswith(_KEEP_PREFIXES)
        or (name.startswith(REPRO_DIR) and name.endswith(".stdout"))
    )


class _Checklist:
    """The findings of one verification, and the cache its checks may use."""

    def __init__(self, cache: VerifyCache = NO_CACHE) -> None:
        self.items: list[Finding] = []
        self.cache = cache

    def ok(self, id_: str, message: str, file: str | None = None) -> None:
        self.items.append(Finding(id_, "ok", message, file))

    def fail(self, id_: str, message: str, file: str | None = None) -> None:
        self.items.append(Finding(id_, "fail", message, file))

    def skip(self, id_: str, message: str, file: str | None = None) -> None:
        self.items.append(Finding(id_, "skip", message, file))


def verify_bundle(
    path: str | os.PathLike[str],
    trust: TrustRoot,
    *,
    lean_mode: str = "auto",
    lean: LeanTools | None = None,
    cache: VerifyCache | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify a bundle completely; see the module docstring.

    ``lean`` replaces the ``lean`` found on PATH; ``cache`` lets a caller who verifies
    many similar bundles reuse schema, verdict and Lean-project results.

    Raises :class:`InputError` when the bundle cannot be read at all (not a bag
    directory or zip) and :class:`ToolMissing` for ``lean_mode="require"`` without
    Lean; everything else is a finding.
    """
    if lean_mode not in LEAN_MODES:
        raise InputError(f"unknown Lean mode {lean_mode!r}", remedy="use auto, off or require")
    tools = lean or LeanTools()
    toolchain = tools.toolchain
    if lean_mode != "off" and toolchain is None:
        from provenance.lean.runner import INSTALL_HINT, find_lean

        toolchain = find_lean()
        if toolchain is None and lean_mode == "require":
            raise ToolMissing("lean not found on PATH (--lean require)", remedy=INSTALL_HINT)
    bag, kind = read_bag(path, workers=workers, progress=progress)
    return verify_read_bag(bag, str(path), kind, trust, lean_mode=lean_mode,
                           lean=LeanTools(toolchain, tools.runner), cache=cache)


def read_bag(
    path: str | os.PathLike[str], *, workers: int | None = None, progress: Callable[[int], None] | None = None
) -> tuple[BagReport, str]:
    """Validate the bag (every digest, every path) and keep the documents' verified bytes.

    Returns the :class:`BagReport` and ``"directory"`` or ``"zip"``; :class:`InputError`
    when the path is neither.
    """
    p = Path(path)
    try:
        source = open_source(p)
    except ArchiveError as exc:
        raise InputError(exc.message, remedy=exc.remedy or "give a bundle directory or its zip") from None
    try:
        bag = validate_bag(source, workers=workers, keep=_keep, progress=progress, strict=True)
    finally:
        source.close()
    return bag, "directory" if p.is_dir() else "zip"


def verify_read_bag(
    bag: BagReport,
    label: str,
    kind: str,
    trust: TrustRoot,
    *,
    lean_mode: str = "auto",
    lean: LeanTools | None = None,
    cache: VerifyCache | None = None,
) -> VerifyReport:
    """Every check after the bag pass (see :func:`verify_bundle`), on what :func:`read_bag` returned.

    ``lean.toolchain`` is the resolved toolchain (None: Lean is not re-run).
    """
    out = _Checklist(cache or NO_CACHE)
    _check_bag(bag, out)
    sha256 = {name: d["sha256"] for name, d in bag.files.items()}
    bundle_id = bundle_id_of(sha256[TAG_MANIFEST_SHA256]) if TAG_MANIFEST_SHA256 in sha256 else None
    if bundle_id is None:
        out.fail("bundle-id", "tagmanifest-sha256.txt is missing, so the bundle has no id", TAG_MANIFEST_SHA256)
    record_ids = bag.info("External-Identifier")
    record_id = record_ids[0] if record_ids else None

    signers = _check_attestation(bag, sha256, trust, record_id, out)
    manifest = _check_manifest(bag, record_id, out)
    verdicts_doc = _json_doc(bag, VERDICTS, out)
    _check_bag_info(bag, out)
    _check_crate(bag, sha256, out)
    _check_source_provenance(bag, sha256, trust, out)
    runs = _check_repro_runs(bag, sha256, out)
    claims_status = _check_claims(manifest, verdicts_doc, bag, sha256, runs, out)
    _check_lean(bag, sha256, verdicts_doc, lean or LeanTools(), lean_mode, out)
    _check_corrections(bag, manifest, record_id, trust, out)
    return VerifyReport(
        bundle=label,
        kind=kind,
        bundle_id=bundle_id,
        record_id=record_id,
        findings=tuple(out.items),
        claims=claims_status,
        signers=signers,
    )


# ------------------------------------------------------------------ the bag


def _check_bag(bag: BagReport, out: _Checklist) -> None:
    for f in bag.findings:
        if f.level == "error":
            out.fail(f"bag.{f.code}", f.message, f.path)
        else:
            out.skip(f"bag.{f.code}", f"warning: {f.message}", f.path)
    if bag.ok:
        oxum = bag.info("Payload-Oxum")
        out.ok(
            "bag.valid",
            f"BagIt {bag.version} bag complete and valid: {len(bag.files)} files, every "
            f"{' and '.join(sorted(bag.payload_manifests))} digest matches"
            + (f"; Payload-Oxum {oxum[0]}" if oxum else ""),
        )
        out.ok("bag.paths", "no unsafe path, symlink, special file or unlisted file")


def _json_doc(bag: BagReport, name: str, out: _Checklist, *, required: bool = True) -> Any:
    data = bag.contents.get(name)
    if data is None:
        if required and name in bag.files:
            out.fail(f"document.{name}", "too large to read", name)
        elif required:
            out.fail(f"document.{name}", "missing from the bundle", name)
        return None
    try:
        return loads_strict(data, source=name)
    except InputError as exc:
        out.fail(f"document.{name}", exc.message, name)
        return None


# ------------------------------------------------------------------ signatures


def _check_attestation(
    bag: BagReport, sha256: Mapping[str, str], trust: TrustRoot, record_id: str | None, out: _Checklist
) -> tuple[str, ...]:
    envelope = _json_doc(bag, ATTESTATION, out)
    if envelope is None:
        out.fail("attestation.signature", "no attestation: nothing vouches for this bundle", ATTESTATION)
        return ()
    try:
        verified = trust.verify(envelope, ATTESTOR_ROLE, expected_payload_type=PAYLOAD_TYPE, where=ATTESTATION)
    except ProvenanceError as exc:
        out.fail("attestation.signature", str(exc), ATTESTATION)
        return ()
    signers = tuple(sorted(verified.keyids))
    _, threshold = trust.keys_for(ATTESTOR_ROLE)
    out.ok(
        "attestation.signature",
        f"DSSE signature by attestor key(s) {', '.join(k[:16] for k in signers)} "
        f"(threshold {threshold}) of trust root version {trust.version}",
        ATTESTATION,
    )
    try:
        statement = parse_statement(verified.payload, where=ATTESTATION)
    except ProvenanceError as exc:
        out.fail("attestation.statement", str(exc), ATTESTATION)
        return signers
    if statement.predicate_type != BUNDLE_PREDICATE_TYPE:
        out.fail("attestation.predicate", f"predicateType {statement.predicate_type!r}, expected {BUNDLE_PREDICATE_TYPE!r}",
                 ATTESTATION)
    signed_verdicts = statement.predicate.get("verdicts")
    verdicts_doc = _json_doc(bag, VERDICTS, _Checklist())
    if isinstance(signed_verdicts, dict) and isinstance(verdicts_doc, dict):
        recorded = {str(v.get("claim_id")): v.get("status") for v in verdicts_doc.get("verdicts") or []
                    if isinstance(v, dict)}
        if recorded != signed_verdicts:
            out.fail("attestation.verdicts", "the verdicts the attestation signed are not the ones in data/verdicts.json",
                     VERDICTS)
    signed_record = statement.predicate.get("record_id")
    if record_id is not None and signed_record != record_id:
        out.fail("attestation.record", f"signed for record {signed_record!r}, bag-info says {record_id!r}", ATTESTATION)
    expected = {name: digest for name, digest in sha256.items() if is_signed_name(name)}
    subjects: dict[str, str | None] = {}
    for s in statement.subjects:
        if s.name in subjects:
            out.fail("attestation.subjects", "subject listed twice", s.name)
        subjects[s.name] = s.sha256
    bad = 0
    for name in sorted(set(expected) - set(subjects)):
        out.fail("attestation.subjects", "file in the bag but not signed by the attestation", name)
        bad += 1
    for name in sorted(set(subjects) - set(expected)):
        out.fail("attestation.subjects", "signed by the attestation but not in the bag", name)
        bad += 1
    for name in sorted(set(subjects) & set(expected)):
        if subjects[name] != expected[name]:
            out.fail("attestation.subjects", f"sha256 is {expected[name]}, the attestation signed {subjects[name]}", name)
            bad += 1
    if not bad:
        out.ok("attestation.subjects", f"the {len(subjects)} signed subjects are exactly the bag's files "
               "(all but the tag manifests and the attestation) with their sha256")
    return signers


def _check_source_provenance(bag: BagReport, sha256: Mapping[str, str], trust: TrustRoot, out: _Checklist) -> None:
    envelope = _json_doc(bag, SOURCE_PROVENANCE, out)
    if envelope is None:
        return
    try:
        verified = trust.verify(envelope, ATTESTOR_ROLE, expected_payload_type=PAYLOAD_TYPE, where=SOURCE_PROVENANCE)
        statement = parse_statement(verified.payload, where=SOURCE_PROVENANCE)
    except ProvenanceError as exc:
        out.fail("source-provenance.signature", str(exc), SOURCE_PROVENANCE)
        return
    out.ok("source-provenance.signature", "signed by an attestor key of the trust root", SOURCE_PROVENANCE)
    problems = out.cache.schema_findings(dict(statement.predicate), SOURCE_PROVENANCE_CONTRACT)
    for finding in problems:
        out.fail("schema.source-provenance-v1", str(finding), SOURCE_PROVENANCE)
    if not problems:
        out.ok("schema.source-provenance-v1", "valid against source-provenance-v1", SOURCE_PROVENANCE)
    record = statement.predicate.get("record")
    manifest_doc = _json_doc(bag, MANIFEST, _Checklist())
    if isinstance(record, dict) and manifest_doc is not None:
        if record.get("manifest_sha256") != canonical_sha256(manifest_doc):
            out.fail("source-provenance.record", "the signed manifest_sha256 is not the carried manifest's", MANIFEST)
        elif record.get("record_id") != manifest_doc.get("record_id"):
            out.fail("source-provenance.record", "signed for another record", SOURCE_PROVENANCE)
        else:
            out.ok("source-provenance.record", "the signed record and manifest digest are the carried manifest's",
                   SOURCE_PROVENANCE)
    outputs = statement.predicate.get("outputs") or []
    bad = 0
    for entry in outputs if isinstance(outputs, list) else []:
        name, digest = entry.get("name"), entry.get("sha256")
        if name not in sha256:
            out.fail("source-provenance.outputs", "named as an output but not in the bundle", str(name))
            bad += 1
        elif sha256[name] != digest:
            out.fail("source-provenance.outputs", f"sha256 {sha256[name]} differs from the recorded {digest}", str(name))
            bad += 1
    if not bad:
        out.ok("source-provenance.outputs", f"the {len(outputs)} recorded outputs are in the bundle with their sha256")


# ------------------------------------------------------------------ documents


def _check_manifest(bag: BagReport, record_id: str | None, out: _Checklist) -> dict[str, Any] | None:
    doc = _json_doc(bag, MANIFEST, out)
    if doc is None:
        return None
    problems = out.cache.schema_findings(doc, PAPER_MANIFEST)
    for finding in problems:
        out.fail(f"schema.{PAPER_MANIFEST}", str(finding), MANIFEST)
    if not problems:
        out.ok(f"schema.{PAPER_MANIFEST}", f"valid against {PAPER_MANIFEST}", MANIFEST)
    if not isinstance(doc, dict):
        return None
    if record_id is None:
        out.fail("bag-info.external-identifier", "bag-info.txt has no External-Identifier", "bag-info.txt")
    elif doc.get("record_id") != record_id:
        out.fail("bag-info.external-identifier",
                 f"External-Identifier {record_id!r} is not the manifest's record_id {doc.get('record_id')!r}",
                 "bag-info.txt")
    else:
        out.ok("bag-info.external-identifier", f"External-Identifier is the record id {record_id}", "bag-info.txt")
    return doc


def _check_bag_info(bag: BagReport, out: _Checklist) -> None:
    problems = []
    dates = bag.info("Bagging-Date")
    if len(dates) != 1 or len(dates[0]) != 10:
        problems.append("Bagging-Date must appear once as YYYY-MM-DD")
    versions = bag.info("Bundle-Version")
    if len(versions) != 1 or not versions[0].isdigit() or int(versions[0]) < 1:
        problems.append("Bundle-Version must appear once as a positive integer")
    previous = bag.info("Previous-Bundle-Id")
    if len(previous) > 1 or any(not (p.startswith("sha256:") and len(p) == 71) for p in previous):
        problems.append("Previous-Bundle-Id must appear at most once as sha256:<64 hex>")
    if previous and versions and versions[0].isdigit() and int(versions[0]) < 2:
        problems.append("a bundle with a Previous-Bundle-Id has Bundle-Version 2 or more")
    for problem in problems:
        out.fail("bag-info.fields", problem, "bag-info.txt")
    if not problems:
        extra = f", supersedes {previous[0]}" if previous else ""
        out.ok("bag-info.fields", f"Bagging-Date {dates[0]}, Bundle-Version {versions[0]}{extra}", "bag-info.txt")


def _check_crate(bag: BagReport, sha256: Mapping[str, str], out: _Checklist) -> None:
    doc = _json_doc(bag, CRATE, out)
    if doc is None:
        return
    present = {
        name.removeprefix("data/"): PresentFile(bag.files[name].size, digest)
        for name, digest in sha256.items()
        if name.startswith("data/") and name != CRATE
    }
    problems = check_crate(doc, present)
    for problem in problems:
        out.fail("rocrate", problem, CRATE)
    described = {e.get("@id") for e in doc.get("@graph", []) if isinstance(e, dict)} if isinstance(doc, dict) else set()
    undescribed = sorted(set(present) - described)
    for name in undescribed:
        out.fail("rocrate", "payload file has no File entity in the crate", f"data/{name}")
    if not problems and not undescribed:
        out.ok("rocrate", f"RO-Crate 1.2 metadata describes all {len(present)} payload files with matching "
               "sha256 and contentSize", CRATE)


def _check_repro_runs(bag: BagReport, sha256: Mapping[str, str], out: _Checklist) -> list[dict[str, Any]]:
    if REPRO_RUNS not in bag.files:
        out.skip("repro", "no repro runs carried")
        return []
    doc = _json_doc(bag, REPRO_RUNS, out)
    if not isinstance(doc, dict) or doc.get("contract") != BUNDLE_REPRO_RUNS or not isinstance(doc.get("runs"), list):
        out.fail("repro", f"not a {BUNDLE_REPRO_RUNS} document", REPRO_RUNS)
        return []
    from provenance.claims.repro import parse_outputs

    runs: list[dict[str, Any]] = []
    for run in doc["runs"]:
        if not isinstance(run, dict):
            out.fail("repro", "a run is not an object", REPRO_RUNS)
            continue
        script, stdout = str(run.get("script")), str(run.get("stdout"))
        bad = False
        if sha256.get(script) != run.get("script_sha256"):
            out.fail("repro.script", "the script's sha256 is not the one the run recorded", script)
            bad = True
        if sha256.get(stdout) != run.get("outputs_sha256"):
            out.fail("repro.outputs", "the output's sha256 is not the one the run recorded", stdout)
            bad = True
        raw = bag.contents.get(stdout)
        if run.get("ok") and raw is not None:
            try:
                parsed = parse_outputs(raw)
            except InputError as exc:
                out.fail("repro.outputs", exc.message, stdout)
                bad = True
            else:
                if parsed != run.get("outputs"):
                    out.fail("repro.outputs", "the recorded outputs are not what the script printed", stdout)
                    bad = True
        if not bad:
            sealed = "sealed" if run.get("sealed") else "UNSAFE (not sealed)"
            out.ok("repro.run", f"{sealed} run by {run.get('runner')}; script and output bytes match the record", script)
        runs.append(run)
    return runs


# ------------------------------------------------------------------ claims


def _verdicts(doc: Any, key: str, out: _Checklist) -> dict[str, Verdict]:
    found: dict[str, Verdict] = {}
    raw = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        out.fail("schema.verdict-v1", f"{key} is not a list", VERDICTS)
        return found
    for index, item in enumerate(raw):
        problems = out.cache.schema_findings(item, VERDICT)
        if problems:
            for finding in problems:
                out.fail("schema.verdict-v1", f"{key}[{index}]: {finding}", VERDICTS)
            continue
        verdict = out.cache.verdict(item, where=f"{VERDICTS}: {key}[{index}]")
        if verdict.claim_id in found:
            out.fail("verdicts", f"{key}: two verdicts for claim {verdict.claim_id}", VERDICTS)
        found[verdict.claim_id] = verdict
    return found


def _check_claims(
    manifest: Mapping[str, Any] | None,
    doc: Any,
    bag: BagReport,
    sha256: Mapping[str, str],
    runs: Sequence[Mapping[str, Any]],
    out: _Checklist,
) -> dict[str, str]:
    if manifest is None or doc is None:
        out.fail("claims", "cannot re-evaluate claims without the manifest and the verdicts")
        return {}
    if not isinstance(doc, dict) or doc.get("contract") != BUNDLE_VERDICTS:
        out.fail("verdicts", f"not a {BUNDLE_VERDICTS} document", VERDICTS)
        return {}
    if doc.get("record_id") != manifest.get("record_id"):
        out.fail("verdicts", "the verdicts are for another record", VERDICTS)
    final = _verdicts(doc, "verdicts", out)
    exact_recorded = _verdicts(doc, "exact_verdicts", out)
    if not any(f.id == "schema.verdict-v1" for f in out.items):
        out.ok("schema.verdict-v1", f"all {len(final) + len(exact_recorded)} verdicts valid against verdict-v1", VERDICTS)
    try:
        claims = load_claims(manifest, source=MANIFEST)
    except InputError as exc:
        out.fail("claims", exc.message, MANIFEST)
        return {}
    try:
        when = datetime.fromisoformat(str(doc.get("evaluated_at")).replace("Z", "+00:00"))
    except ValueError:
        when = datetime.now(UTC)
    recomputed = {v.claim_id: v for v in check_claims(claims, now=when)}
    by_id = {c.id: c for c in claims}
    statuses: dict[str, str] = {}
    for cid in sorted(set(recomputed) | set(exact_recorded), key=_claim_order(claims)):
        fresh, recorded = recomputed.get(cid), exact_recorded.get(cid)
        if recorded is None:
            out.fail(f"claim.{cid}", "the claim has a check but the bundle records no verdict for it", VERDICTS)
            continue
        if fresh is None:
            out.fail(f"claim.{cid}", "a verdict is recorded for a claim the manifest does not check", VERDICTS)
            continue
        _compare_exact(cid, fresh, recorded, out)
    for cid, verdict in final.items():
        statuses[cid] = verdict.status
        if verdict.method == "sandbox":
            _check_sandbox_verdict(cid, by_id.get(cid), verdict, sha256, runs, out)
        elif cid not in exact_recorded or exact_recorded[cid].to_json() != verdict.to_json():
            out.fail(f"claim.{cid}", "the final verdict is neither the exact verdict nor a sandbox verdict", VERDICTS)
    for cid in exact_recorded:
        if cid not in final:
            out.fail(f"claim.{cid}", "an exact verdict has no final verdict", VERDICTS)
    return statuses


def _claim_order(claims: Sequence[Claim]) -> Callable[[str], tuple[int, str]]:
    index = {c.id: i for i, c in enumerate(claims)}
    return lambda cid: (index.get(cid, len(index)), cid)


def _compare_exact(cid: str, fresh: Verdict, recorded: Verdict, out: _Checklist) -> None:
    problems = []
    expected_status = fresh.status
    lean = recorded.lean or {}
    if lean.get("status") == "rejected":
        expected_status = "error"  # Lean disagreed or the proof was tampered with: recorded as an error
    if recorded.status != expected_status:
        problems.append(f"recorded {recorded.status}, re-evaluated {expected_status}")
    fresh_value = fresh.computed.fraction if fresh.computed else None
    recorded_value = recorded.computed.fraction if recorded.computed else None
    if fresh_value != recorded_value:
        problems.append(f"recorded value {recorded_value}, exact value {fresh_value}")
    if fresh.check_sha256 != recorded.check_sha256:
        problems.append("the recorded check_sha256 is not the manifest's check")
    if fresh.scope != recorded.scope:
        problems.append(f"recorded scope {recorded.scope}, re-evaluated {fresh.scope}")
    if problems:
        out.fail(f"claim.{cid}", "; ".join(problems), VERDICTS)
        return
    value = f" = {fresh.computed.decimal}" if fresh.computed else ""
    lean_note = ""
    if recorded.method == "lean4":
        lean_note = f"; Lean {lean.get('status')} ({lean.get('theorem')})"
    out.ok(f"claim.{cid}", f"{recorded.status} ({recorded.scope}){value}: the exact re-evaluation agrees{lean_note}",
           VERDICTS)


def _check_sandbox_verdict(
    cid: str,
    claim: Claim | None,
    verdict: Verdict,
    sha256: Mapping[str, str],
    runs: Sequence[Mapping[str, Any]],
    out: _Checklist,
) -> None:
    if claim is None or claim.check is None:
        out.fail(f"claim.{cid}.reproduced", "sandbox verdict for a claim without a check", VERDICTS)
        return
    record = verdict.sandbox or {}
    run = next((r for r in runs if r.get("outputs_sha256") == record.get("outputs_sha256")
                and r.get("script_sha256") == record.get("script_sha256")), None)
    if run is None:
        out.fail(f"claim.{cid}.reproduced", "no carried repro run matches the verdict's script and output digests",
                 VERDICTS)
        return
    outputs = run.get("outputs") or {}
    fed = {n: outputs.get(f"{cid}.{n}", outputs.get(n)) for n in claim.check.inputs}
    fed = {n: v for n, v in fed.items() if v is not None}
    if verdict.inputs is None or any(verdict.inputs.get(n) != v for n, v in fed.items()):
        out.fail(f"claim.{cid}.reproduced", "the verdict's inputs are not the values the script printed", VERDICTS)
        return
    try:
        from provenance.claims.decimal_text import parse_decimal

        values = {n: parse_decimal(v) for n, v in verdict.inputs.items()}
        outcome = compare(claim.check, values, where=f"claim {cid}")
    except (ClaimError, ProvenanceError) as exc:
        out.fail(f"claim.{cid}.reproduced", f"cannot re-evaluate: {exc}", VERDICTS)
        return
    status = "verified" if outcome.holds else "falsified"
    value = computed_of(outcome.value)
    if status != verdict.status or (verdict.computed and verdict.computed.fraction != value.fraction):
        out.fail(f"claim.{cid}.reproduced", f"recorded {verdict.status}, re-evaluated on the reproduced inputs: "
                 f"{status} = {value.decimal}", VERDICTS)
        return
    out.ok(f"claim.{cid}.reproduced", f"{status} ({verdict.scope}) = {value.decimal} on the inputs the carried "
           f"{run.get('script')} printed: the exact re-evaluation agrees", VERDICTS)


# ------------------------------------------------------------------ Lean


def _check_lean(
    bag: BagReport,
    sha256: Mapping[str, str],
    doc: Any,
    lean: LeanTools,
    lean_mode: str,
    out: _Checklist,
) -> None:
    toolchain, runner = lean.toolchain, lean.runner
    names = sorted(n for n in bag.files if n.startswith(LEAN_DIR))
    if not names:
        out.skip("lean", "no Lean project carried (no claim had a decided, encodable check)")
        return
    missing = [n for n in names if n not in bag.contents]
    if missing:
        out.fail("lean.project", "Lean files too large to check", missing[0])
        return
    from provenance.lean.pipeline import check_project, load_project

    recorded: dict[str, Mapping[str, Any]] = {}
    for key in ("exact_verdicts",):
        for item in (doc.get(key) if isinstance(doc, dict) else None) or []:
            if isinstance(item, dict) and isinstance(item.get("lean"), dict):
                recorded[str(item.get("claim_id"))] = item["lean"]
    for cid, record in sorted(recorded.items()):
        file = record.get("file")
        if file is not None and sha256.get(f"data/{file}") != record.get("file_sha256"):
            out.fail("lean.file", f"claim {cid}: the Lean file's sha256 is not the one its verdict records",
                     f"data/{file}")
    memo_key = tuple((name, sha256.get(name, "")) for name in names)
    memo = out.cache.lean_project(memo_key)
    needs_lean = lean_mode != "off" and toolchain is not None
    if memo is not None and not needs_lean:
        count, problem = memo
        if problem is not None:
            out.fail("lean.project", problem, LEAN_DIR)
        else:
            out.ok("lean.project", f"{count} theorem(s): every Lean file is exactly what its claims map "
                   "generates and passes the template grammar", LEAN_DIR)
            out.skip("lean.check", "Lean re-check turned off (--lean off)" if lean_mode == "off" else
                     "Lean toolchain not installed: theorems not re-checked (--lean require makes this fatal)")
        return
    with tempfile.TemporaryDirectory(prefix="provenance-verify-lean-") as tmp:
        root = Path(tmp) / "lean"
        for name in names:
            target = root / name.removeprefix(LEAN_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bag.contents[name])
        try:
            project = load_project(root)
        except ProvenanceError as exc:
            problem = f"the Lean project is not what its claims map generates: {exc.message}"
            out.cache.remember_lean(memo_key, 0, problem)
            out.fail("lean.project", problem, LEAN_DIR)
            return
        out.cache.remember_lean(memo_key, len(project.theorems), None)
        out.ok("lean.project", f"{len(project.theorems)} theorem(s): every Lean file is exactly what its claims map "
               "generates and passes the template grammar", LEAN_DIR)
        if lean_mode == "off":
            out.skip("lean.check", "Lean re-check turned off (--lean off)")
            return
        if toolchain is None:
            out.skip("lean.check", "Lean toolchain not installed: theorems not re-checked (--lean require makes this fatal)")
            return
        try:
            checked = check_project(root, toolchain=toolchain, runner=runner)
        except ProvenanceError as exc:
            out.fail("lean.check", str(exc), LEAN_DIR)
            return
    for check in checked.checks:
        cid = check.theorem.claim_id
        before = recorded.get(cid, {}).get("status")
        now = "accepted" if check.result.accepted else "rejected"
        where = f"data/lean/{check.theorem.file}"
        if not check.result.accepted:
            out.fail(f"lean.{cid}", f"Lean {toolchain.version} rejected {check.theorem.name}: {check.result.reason}", where)
        elif before not in (None, "accepted", "not_run"):
            out.fail(f"lean.{cid}", f"Lean accepts {check.theorem.name} now, the verdict recorded {before}", where)
        else:
            out.ok(f"lean.{cid}", f"Lean {toolchain.version} {now} {check.theorem.name} (axioms "
                   f"{', '.join(check.result.axioms or ()) or 'none'})", where)


# ------------------------------------------------------------------ corrections


def _check_corrections(
    bag: BagReport, manifest: Mapping[str, Any] | None, record_id: str | None, trust: TrustRoot, out: _Checklist
) -> None:
    if CORRECTIONS_LOG not in bag.files:
        out.skip("corrections", "no correction log carried")
        if CORRECTIONS_CHECKPOINT in bag.files:
            out.fail("corrections", "a checkpoint without its log", CORRECTIONS_CHECKPOINT)
        return
    entries = bag.contents.get(CORRECTIONS_LOG)
    if entries is None:
        out.fail("corrections", "the log is too large to check", CORRECTIONS_LOG)
        return
    from provenance.corrections.verify import verify_log

    checkpoint = bag.contents.get(CORRECTIONS_CHECKPOINT)
    report = verify_log(entries, checkpoint, trust=trust)
    for finding in report.findings:
        where = CORRECTIONS_CHECKPOINT if "checkpoint" in finding.code else CORRECTIONS_LOG
        if finding.severity == "error":
            out.fail(f"corrections.{finding.code}", str(finding), where)
        else:
            out.skip(f"corrections.{finding.code}", str(finding), where)
    if checkpoint is None:
        out.fail("corrections.checkpoint", "the log is carried without its checkpoint", CORRECTIONS_CHECKPOINT)
    status = report.status
    if status.record_id is not None and record_id is not None and status.record_id != record_id:
        out.fail("corrections.record", f"the log corrects {status.record_id!r}, this bundle is {record_id!r}",
                 CORRECTIONS_LOG)
    recorded = (manifest or {}).get("correction_record") or {}
    if recorded.get("status") != status.status or recorded.get("count") != status.count:
        out.fail("corrections.manifest", f"the manifest's correction_record says {recorded.get('status')}/"
                 f"{recorded.get('count')}, the log says {status.status}/{status.count}", MANIFEST)
    if report.ok and checkpoint is not None:
        out.ok("corrections", f"{report.size} signed correction(s), hash chain and Merkle root match the signed "
               f"checkpoint; record status {status.status}", CORRECTIONS_LOG)


