"""Build a bundle: run the checks, sign everything, write a BagIt bag (and its zip) atomically.

:func:`build_bundle` takes a :class:`BuildRequest` (what to bundle and how)
and is deterministic: the same request, key and clock (``epoch``, from
``SOURCE_DATE_EPOCH``) give byte-identical bags and zips. It runs in small
steps: plan the outputs, read the record, evaluate the claims, generate the
documents, then write the bag in one copy+hash pass whose digests feed the
source provenance, the crate and the attestation. See
:mod:`provenance.bundle.layout` for the layout and for how the attestation and
the bundle id cover every file.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.bag import PayloadItem, WrittenBag, write_bag
from archive.errors import ArchiveInputError
from archive.hashing import FileDigests
from archive.zipdet import ZipResult, write_deterministic_zip
from provenance import GENERATOR, __version__
from provenance.bundle.artifacts import Artifact, Include, collect
from provenance.bundle.crate import CrateContext, CrateRuns, bundle_crate, citation_cff
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
from provenance.bundle.read import open_bundle
from provenance.bundle.sources import PAYLOAD, PayloadStore
from provenance.bundle.tools import LeanTools
from provenance.claims.model import Claim, load_claims
from provenance.claims.verdict import Verdict
from provenance.clock import moment, rfc3339
from provenance.contracts import BUNDLE_REPRO_RUNS, BUNDLE_VERDICTS, PAPER_MANIFEST
from provenance.corrections.status import StatusView
from provenance.errors import CheckFailed, InputError
from provenance.jsonio import load_json_file, pretty_bytes
from provenance.pipeline import (
    LeanStep,
    ReproOutcome,
    ReproStep,
    evaluate,
    parse_lean_mode,
)
from provenance.schemas import require_valid
from provenance.signing.intoto import make_statement, sign_statement
from provenance.signing.keys import SigningKey
from provenance.signing.source_provenance import build_source_provenance, sign_source_provenance
from provenance.signing.trust import TrustRoot

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildRequest:
    """What to bundle and how.

    ``out`` is the bag directory; with ``make_zip`` also ``<out>.zip``; an ``out``
    ending in ``.zip`` writes only the zip. ``license_id`` is the licence (a URI or an
    SPDX id) the crate states (else "No licence stated"). ``supersedes`` is the earlier
    bundle's id (``sha256:<hex>``) or path. ``includes`` are the artifacts to carry
    (:mod:`provenance.bundle.artifacts`).
    """

    manifest: Path
    out: Path
    claims: Path | None = None
    repro: Path | None = None
    corrections: Path | None = None
    supersedes: str | None = None
    bundle_version: int | None = None
    make_zip: bool = False
    license_id: str | None = None
    lean_mode: str = "auto"
    unsafe_no_sandbox: bool = False
    includes: tuple[Include, ...] = ()


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
    artifacts: tuple[str, ...] = ()

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
            "artifacts": list(self.artifacts),
        }


# ------------------------------------------------------------------ steps' values


@dataclass(frozen=True)
class _Outputs:
    """Where the build writes: the bag directory (unless zip-only) and the zip."""

    bag: Path
    zip: Path | None
    zip_only: bool


@dataclass(frozen=True)
class _Record:
    """The record as bundled: its manifest (with the correction log's status), claims and inputs."""

    manifest: dict[str, Any]
    claims: tuple[Claim, ...]
    inputs: tuple[Path, ...]
    correction_items: tuple[PayloadItem, ...]
    artifacts: tuple[Artifact, ...] = ()

    @property
    def record_id(self) -> str:
        return str(self.manifest["record_id"])


@dataclass(frozen=True)
class _ReproFiles:
    items: tuple[PayloadItem, ...] = ()
    runs: tuple[dict[str, Any], ...] = ()
    inputs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class _Evaluation:
    """The verdicts: final (after repro), exact (after Lean), and what Lean and repro produced."""

    verdicts: tuple[Verdict, ...]
    exact: tuple[Verdict, ...]
    lean_version: str | None
    lean_files: Mapping[str, bytes]
    repro: _ReproFiles = field(default_factory=_ReproFiles)


# ------------------------------------------------------------------ steps


def load_manifest(path: Path, claims_path: Path | None) -> dict[str, Any]:
    """The paper manifest, validated, with the checks of ``claims_path`` attached by claim id."""
    manifest = load_json_file(path)
    require_valid(manifest, PAPER_MANIFEST, where=str(path))
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


@dataclass(frozen=True)
class Supersession:
    """Which bundle a build supersedes: its id, the new Bundle-Version, and (given its path) the earlier
    bundle's record id and the correction log that lives beside it."""

    previous_id: str | None
    version: int
    record_id: str | None = None
    log_beside: Path | None = None


def resolve_supersedes(value: str | None, version: int | None) -> Supersession:
    """``--supersedes`` as a bundle id or a path to the earlier bundle, and the new Bundle-Version."""
    if value is None:
        return Supersession(None, version or 1)
    if value.startswith("sha256:") and len(value) == 71:
        return Supersession(value, version or 2)
    if Path(value).exists():
        from provenance.bundle.correction_target import log_path_for

        earlier = open_bundle(value)
        log = log_path_for(Path(value))
        return Supersession(earlier.bundle_id, version or (earlier.bundle_version or 1) + 1, earlier.record_id,
                            log if log.is_file() else None)
    raise InputError(
        f"--supersedes {value!r} is neither a bundle id (sha256:<64 hex>) nor a bundle path",
        remedy="give the earlier bundle's id as printed by `bundle build`, or its path",
    )


def _plan_outputs(request: BuildRequest) -> _Outputs:
    out = request.out
    zip_only = out.suffix == ".zip"
    zip_path = out if zip_only else (out.with_name(out.name + ".zip") if request.make_zip else None)
    for target in ([] if zip_only else [out]) + ([zip_path] if zip_path else []):
        if target.exists() or target.is_symlink():
            raise InputError("already exists", where=str(target), remedy="remove it or choose another -o path")
    if not out.parent.is_dir():
        raise InputError("no such directory", where=str(out.parent), remedy="create it first")
    return _Outputs(out, zip_path, zip_only)


@dataclass(frozen=True)
class _CarriedLog:
    items: tuple[PayloadItem, ...]
    status: StatusView


def _corrections(log: Path, trust: TrustRoot | None) -> _CarriedLog:
    """The correction log to carry, verified (a log that does not verify is refused)."""
    from provenance.corrections.store import read_log
    from provenance.corrections.verify import verify_log

    files = read_log(log)
    report = verify_log(files.entries, files.checkpoint, trust=trust)
    if not report.ok:
        first = "; ".join(str(f) for f in report.errors[:3])
        raise CheckFailed(f"the correction log does not verify: {first}", where=str(log),
                          remedy="run `provenance correct verify` and repair or replace the log")
    items = [PayloadItem(CORRECTIONS_LOG.removeprefix("data/"), data=files.entries)]
    if files.checkpoint is not None:
        items.append(PayloadItem(CORRECTIONS_CHECKPOINT.removeprefix("data/"), data=files.checkpoint))
    return _CarriedLog(tuple(items), report.status)


def _record_id(manifest: Mapping[str, Any], earlier: Supersession, log: _CarriedLog | None,
               log_path: Path | None) -> str:
    """The record id of the bundle: the superseded bundle's (a new version keeps its record's id, whatever a
    re-ingested manifest derived), else the log's when superseding, else the manifest's. A log of another
    record is refused."""
    stated = str(manifest.get("record_id"))
    logged = log.status.record_id if log is not None else None
    chosen = earlier.record_id or (logged if earlier.previous_id is not None and logged else None) or stated
    if logged is not None and logged != chosen:
        raise InputError(f"the log corrects record {logged!r}, the bundle is of record {chosen!r}",
                         where=str(log_path), remedy="give the log of this record")
    return chosen


def _read_record(request: BuildRequest, trust: TrustRoot | None, earlier: Supersession, say: Progress) -> _Record:
    manifest = load_manifest(request.manifest, request.claims)
    log_path = request.corrections or earlier.log_beside
    log = _corrections(log_path, trust) if log_path is not None else None
    if log_path is not None and request.corrections is None:
        say(f"corrections: carrying the log beside the superseded bundle, {log_path}")
    record_id = _record_id(manifest, earlier, log, log_path)
    changed = record_id != manifest.get("record_id")
    if changed:
        say(f"record id: {record_id} (the record's, kept across versions; the manifest said {manifest.get('record_id')})")
        manifest["record_id"] = record_id
    if log is not None:
        manifest["correction_record"] = {**(manifest.get("correction_record") or {}),
                                         **log.status.manifest_correction_record()}
    if log is not None or changed:
        require_valid(manifest, PAPER_MANIFEST, where="manifest with the record id and the correction log's status")
    claims = load_claims(manifest, source=str(request.manifest))
    inputs = [request.manifest] + ([request.claims] if request.claims else []) + ([log_path] if log_path else [])
    artifacts = collect(request.includes)
    inputs += [f.source for a in artifacts for f in a.files]
    return _Record(manifest, tuple(claims), tuple(inputs), log.items if log is not None else (), artifacts)


def _lean_files(claims: Sequence[Claim], exact: Sequence[Verdict]) -> dict[str, bytes]:
    """The Lean project of the exact verdicts, as bundle files (what the Lean verdicts cite)."""
    from provenance.lean.emit import items_from, plan_project

    items, skipped = items_from(claims, exact)
    if not items:
        return {}
    plan = plan_project(items, skipped)
    return {LEAN_DIR + rel: data for rel, data in sorted(plan.files.items())}


def _repro_step(repro_dir: Path, unsafe_no_sandbox: bool) -> ReproStep:
    """The scripts at the top of ``repro_dir`` and its ``data/``, to run in the chosen sandbox."""
    from provenance.sandbox import choose_sandbox

    if not repro_dir.is_dir():
        raise InputError("not a directory", where=str(repro_dir),
                         remedy="give --repro a directory with *.py scripts and data/")
    scripts = sorted(p for p in repro_dir.iterdir() if p.suffix == ".py" and p.is_file() and not p.is_symlink())
    if not scripts:
        raise InputError("no *.py repro script", where=str(repro_dir),
                         remedy="put the repro scripts at the top of the directory")
    data = repro_dir / "data"
    sandbox, runner_name = choose_sandbox(unsafe_no_sandbox=unsafe_no_sandbox)
    return ReproStep(tuple(scripts), sandbox, runner_name, data=data if data.is_dir() else None)


def _repro_files(step: ReproStep, outcomes: Sequence[ReproOutcome]) -> _ReproFiles:
    """What the bundle carries of the repro runs: scripts, their outputs, the data, and one record per run."""
    items: list[PayloadItem] = []
    inputs: list[Path] = []
    runs: list[dict[str, Any]] = []
    for outcome in outcomes:
        run, name = outcome.run, outcome.run.script.name
        items.append(PayloadItem(f"repro/{name}", path=run.script))
        items.append(PayloadItem(f"repro/{name}.stdout", data=run.result.stdout))
        inputs.append(run.script)
        runs.append({
            "script": f"{REPRO_DIR}{name}",
            "stdout": f"{REPRO_DIR}{name}.stdout",
            "data": f"{REPRO_DIR}data/" if step.data else None,
            "ok": run.error is None,
            "error": run.error,
            "outputs": dict(run.outputs) if run.outputs is not None else None,
            "claims_fed": [v.claim_id for v in outcome.verdicts],
            **run.sandbox_record(),
        })
    if step.data is not None:
        for path in sorted(step.data.rglob("*")):
            if path.is_symlink():
                raise InputError("symlink in repro data", where=str(path), remedy="replace it by the file")
            if path.is_file():
                items.append(PayloadItem(f"repro/data/{path.relative_to(step.data).as_posix()}", path=path))
                inputs.append(path)
    return _ReproFiles(tuple(items), tuple(runs), tuple(inputs))


def _evaluate(request: BuildRequest, record: _Record, now: datetime, lean: LeanTools, say: Progress) -> _Evaluation:
    """The one evaluation pipeline (exact check, then Lean, then repro), and the files it leaves to carry."""
    claims = record.claims
    step = _repro_step(request.repro, request.unsafe_no_sandbox) if request.repro is not None else None
    say(f"claims: exact check of {sum(1 for c in claims if c.check is not None)} checks; Lean {request.lean_mode}")
    evaluation = evaluate(
        claims,
        now=now,
        lean=LeanStep(parse_lean_mode(request.lean_mode), toolchain=lean.toolchain, runner=lean.runner),
        repro=step,
        on_script=lambda path: say(f"repro: running {path.name} sealed"),
        sources=PayloadStore({PAYLOAD + f.payload_name: f.source for a in record.artifacts for f in a.files}),
    )
    repro = _repro_files(step, evaluation.runs) if step is not None else _ReproFiles()
    return _Evaluation(evaluation.verdicts, evaluation.exact, evaluation.lean_version,
                       _lean_files(claims, evaluation.before_lean), repro)


def _generated(record: _Record, evaluation: _Evaluation, request: BuildRequest, now: datetime,
               version: int) -> list[PayloadItem]:
    """The payload the build writes itself (documents, Lean files, repro outputs), then the files it carries."""
    verdicts_doc = {
        "contract": BUNDLE_VERDICTS,
        "record_id": record.record_id,
        "evaluated_at": rfc3339(now),
        "lean_mode": request.lean_mode,
        "lean_version": evaluation.lean_version,
        "verdicts": [v.to_json() for v in evaluation.verdicts],
        "exact_verdicts": [v.to_json() for v in evaluation.exact],
    }
    generated: dict[str, bytes] = {MANIFEST: pretty_bytes(record.manifest), VERDICTS: pretty_bytes(verdicts_doc)}
    generated.update(evaluation.lean_files)
    if evaluation.repro.runs:
        generated[REPRO_RUNS] = pretty_bytes({"contract": BUNDLE_REPRO_RUNS, "runs": list(evaluation.repro.runs)})
    generated[CITATION] = citation_cff(record.manifest, now.date().isoformat(), version)
    payload = [PayloadItem(name.removeprefix("data/"), data=data) for name, data in generated.items()]
    carried = [PayloadItem(f.payload_name, path=f.source) for a in record.artifacts for f in a.files]
    return payload + list(evaluation.repro.items) + list(record.correction_items) + carried


def _bag_info(record: _Record, now: datetime, version: int, previous_id: str | None) -> list[tuple[str, str]]:
    title = record.manifest.get("title") or record.record_id
    info = [
        ("Source-Organization", GENERATOR),
        ("External-Identifier", record.record_id),
        ("External-Description", _one_line(f"Verified claims bundle (BagIt/RO-Crate) of {title}")),
        ("Bagging-Date", now.date().isoformat()),
        ("Bag-Software-Agent", f"{GENERATOR} {__version__}"),
        ("Bundle-Version", str(version)),
    ]
    if previous_id is not None:
        info.append(("Previous-Bundle-Id", previous_id))
    return info


@dataclass(frozen=True)
class _Signer:
    """Signs what the one copy+hash pass produced: the source provenance and crate (late payload),
    then the attestation over every file (finalize). Nothing here reads a payload file again."""

    key: SigningKey
    record: _Record
    evaluation: _Evaluation
    request: BuildRequest
    payload: tuple[PayloadItem, ...]
    now: datetime
    version: int
    previous_id: str | None

    def describe(self, files: Mapping[str, FileDigests]) -> list[PayloadItem]:
        """Source provenance and crate metadata, from the digests of the payload just copied."""
        sizes = {name: (d.size, d["sha256"]) for name, d in files.items()}
        known = {item.path: sizes[f"data/{item.name}"] for item in self.payload if item.path is not None}
        generated = {f"data/{item.name}": sizes[f"data/{item.name}"][1] for item in self.payload
                     if item.data is not None}
        inputs = [*self.record.inputs, *self.evaluation.repro.inputs]
        predicate = build_source_provenance(
            self.record.manifest, inputs, generated, now=self.now, lean_version=self.evaluation.lean_version,
            base=self.request.manifest.resolve().parent, known=known,
        )
        envelope = pretty_bytes(sign_source_provenance(predicate, [self.key]))
        sizes[SOURCE_PROVENANCE] = (len(envelope), hashlib.sha256(envelope).hexdigest())
        runs = CrateRuns(self.evaluation.verdicts, self.evaluation.lean_version, sorted(self.evaluation.lean_files),
                         self.evaluation.repro.runs)
        context = CrateContext(self.now, self.version, self.previous_id, self.key.keyid, self.request.license_id,
                               self.record.artifacts)
        crate = bundle_crate(self.record.manifest, sizes, runs, context)
        return [
            PayloadItem(SOURCE_PROVENANCE.removeprefix("data/"), data=envelope),
            PayloadItem(CRATE.removeprefix("data/"), data=pretty_bytes(crate)),
        ]

    def finalize(self, files: Mapping[str, FileDigests]) -> dict[str, bytes]:
        """The attestation: one subject per signed bag file."""
        subjects = [(name, files[name]["sha256"]) for name in sorted(files) if is_signed_name(name)]
        predicate = {
            "record_id": self.record.record_id,
            "bundle_version": self.version,
            "previous_bundle_id": self.previous_id,
            "bagging_date": self.now.date().isoformat(),
            "built_at": rfc3339(self.now),
            "generator": {"name": GENERATOR, "version": __version__},
            "lean_mode": self.request.lean_mode,
            "lean_version": self.evaluation.lean_version,
            "verdicts": {v.claim_id: v.status for v in self.evaluation.verdicts},
            "coverage": (
                "one subject per bag file except tagmanifest-*.txt and attestation.dsse.json; the tag manifests "
                "list this attestation, and the bundle id is the sha256 of tagmanifest-sha256.txt"
            ),
        }
        statement = make_statement(subjects, BUNDLE_PREDICATE_TYPE, predicate)
        return {ATTESTATION: pretty_bytes(sign_statement(statement, [self.key]))}


def _write(outputs: _Outputs, payload: Sequence[PayloadItem], bag_info: Sequence[tuple[str, str]], signer: _Signer,
           epoch: int, workers: int | None, say: Progress) -> tuple[WrittenBag, ZipResult | None]:
    """Write the bag (atomically) and its zip; nothing is left half-written on error."""
    zip_result: list[ZipResult] = []

    def write_zip(tmp: Path) -> None:
        if outputs.zip is not None:
            top = outputs.zip.name.removesuffix(".zip") if outputs.zip_only else outputs.bag.name
            say(f"zip: writing {outputs.zip}")
            zip_result.append(write_deterministic_zip(tmp, outputs.zip, epoch=epoch, top=top))

    say(f"bag: copying and hashing {len(payload)} payload files")
    try:
        if outputs.zip_only:
            with tempfile.TemporaryDirectory(prefix=".bundle-", dir=outputs.bag.parent) as scratch:
                written = write_bag(Path(scratch) / outputs.bag.stem, payload, bag_info=bag_info,
                                    finalize=signer.finalize, late_payload=signer.describe, epoch=epoch,
                                    workers=workers, fsync=False, after_build=write_zip)
                shutil.rmtree(written.path)
        else:
            written = write_bag(outputs.bag, payload, bag_info=bag_info, finalize=signer.finalize,
                                late_payload=signer.describe, epoch=epoch, workers=workers, after_build=write_zip)
    except ArchiveInputError as exc:
        if outputs.zip is not None and zip_result:
            outputs.zip.unlink(missing_ok=True)
        raise InputError(exc.message, remedy=exc.remedy or "fix the input files") from None
    except BaseException:
        if outputs.zip is not None and zip_result:
            outputs.zip.unlink(missing_ok=True)
        raise
    return written, (zip_result[0] if zip_result else None)


def build_bundle(
    request: BuildRequest,
    *,
    key: SigningKey,
    trust: TrustRoot | None = None,
    epoch: int | None = None,
    lean: LeanTools | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check, sign and bag a record as ``request`` says, signed by ``key`` at ``epoch`` (None: now).

    ``trust``, when given, must name ``key`` as an attestor and verifies the carried
    correction log. Raises :class:`InputError` for unusable input, :class:`CheckFailed`
    for a correction log that does not verify, :class:`ToolMissing` when
    ``lean_mode == "require"`` without Lean or repro without bubblewrap.
    """
    say = progress or (lambda _msg: None)
    parse_lean_mode(request.lean_mode)
    outputs = _plan_outputs(request)
    check_attestor(key, trust)
    now = moment(epoch)
    epoch_used = int(now.timestamp())
    earlier = resolve_supersedes(request.supersedes, request.bundle_version)
    previous_id, version = earlier.previous_id, earlier.version
    record = _read_record(request, trust, earlier, say)
    evaluation = _evaluate(request, record, now, lean or LeanTools(), say)
    payload = _generated(record, evaluation, request, now, version)
    signer = _Signer(key, record, evaluation, request, tuple(payload), now, version, previous_id)
    written, zip_result = _write(outputs, payload, _bag_info(record, now, version, previous_id), signer,
                                 epoch_used, workers, say)
    return BuildResult(
        path=None if outputs.zip_only else written.path,
        bundle_id=bundle_id_of(written.files[TAG_MANIFEST_SHA256]["sha256"]),
        zip_path=outputs.zip,
        record_id=record.record_id,
        verdicts=evaluation.verdicts,
        files=len(written.files),
        payload_oxum=written.payload_oxum,
        zip=zip_result,
        lean_ran=evaluation.lean_version is not None,
        artifacts=tuple(a.name for a in record.artifacts),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
