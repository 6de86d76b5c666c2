"""The auditor's one-command offline verification of a bundle (a bag directory or its zip).

:func:`verify_bundle` checks everything and returns a :class:`VerifyReport` with
every finding (``ok``, ``fail`` or ``skip``), never stopping at the first:

1. the bag (:mod:`.bag`): complete, every sha256 and sha512 digest, Payload-Oxum,
   every path (no ``..``, absolute paths, symlinks, ``%``/CR/LF tricks), no extra
   files, and our strict profile: every byte of the zip accounted for;
2. the signatures (:mod:`.signatures`): the attestation's DSSE signature by a
   threshold of the trust root's ``attestor`` keys, its predicate type, its
   subjects equal to the bag's files; the signed source provenance;
3. the documents (:mod:`.documents`): bag-info, every document against its
   schema, the RO-Crate against the files present, the repro runs;
4. the claims (:mod:`.claims`): every claim re-evaluated exactly and compared
   with its recorded verdict, every sourced input re-grounded in the carried
   files (:mod:`.grounding`); Lean theorems (:mod:`.lean`) re-checked when Lean
   is there;
5. the correction log and its checkpoint, when carried (:mod:`.corrections`).

Work on content no valid signature vouches for is bounded (:mod:`.context`).
A zip is read by streaming; the only bytes ever written are the emitted Lean
files (checked names, into a private temporary directory) when Lean re-checks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

from archive.bag import BagReport, open_source, validate_bag
from archive.errors import ArchiveError
from provenance.bundle.layout import (
    CITATION,
    CRATE,
    LEAN_DIR,
    MANIFEST,
    REPRO_DIR,
    REPRO_RUNS,
    TAG_MANIFEST_SHA256,
    VERDICTS,
    bundle_id_of,
)
from provenance.bundle.sources import BagStore
from provenance.bundle.tools import LeanTools
from provenance.bundle.verify.bag import check_bag, check_bag_info
from provenance.bundle.verify.cache import NO_CACHE, VerifyCache
from provenance.bundle.verify.claims import check_claims
from provenance.bundle.verify.context import Checklist
from provenance.bundle.verify.corrections import check_corrections
from provenance.bundle.verify.documents import check_artifacts, check_crate, check_manifest, check_repro_runs
from provenance.bundle.verify.findings import Finding, VerifyReport
from provenance.bundle.verify.lean import check_lean
from provenance.bundle.verify.signatures import check_attestation, check_source_provenance
from provenance.claims.leanmode import parse_lean_mode
from provenance.errors import InputError, ToolMissing
from provenance.signing.trust import TrustRoot

__all__ = ["Finding", "VerifyCache", "VerifyReport", "read_bag", "verify_bundle", "verify_read_bag"]

_KEEP_PREFIXES = (LEAN_DIR, "data/corrections/", "data/provenance/")
_KEEP_NAMES = frozenset({MANIFEST, VERDICTS, CRATE, REPRO_RUNS, CITATION})


def _keep(name: str) -> bool:
    return (
        not name.startswith("data/")
        or name in _KEEP_NAMES
        or name.startswith(_KEEP_PREFIXES)
        or (name.startswith(REPRO_DIR) and name.endswith(".stdout"))
    )


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
    parse_lean_mode(lean_mode)
    tools = lean or LeanTools()
    toolchain = tools.toolchain
    if lean_mode != "off" and toolchain is None:
        from provenance.lean.runner import INSTALL_HINT, find_lean

        toolchain = find_lean()
        if toolchain is None and lean_mode == "require":
            raise ToolMissing("lean not found on PATH (--lean require)", remedy=INSTALL_HINT)
    bag, kind = read_bag(path, workers=workers, progress=progress)
    return verify_read_bag(bag, str(path), kind, trust, lean_mode=lean_mode,
                           lean=LeanTools(toolchain, tools.runner), cache=cache, path=path)


def read_bag(
    path: str | os.PathLike[str], *, workers: int | None = None, progress: Callable[[int], None] | None = None,
    container_algorithms: Sequence[str] = (),
) -> tuple[BagReport, str]:
    """Validate the bag (every digest, every path; our strict profile) and keep the documents' verified bytes.

    Returns the :class:`BagReport` and ``"directory"`` or ``"zip"``; :class:`InputError`
    when the path is neither. ``container_algorithms``: digests of a zip itself, computed beside the
    validation (``BagReport.container``).
    """
    p = Path(path)
    try:
        source = open_source(p)
    except ArchiveError as exc:
        raise InputError(exc.message, remedy=exc.remedy or "give a bundle directory or its zip") from None
    try:
        bag = validate_bag(source, workers=workers, keep=_keep, progress=progress, strict=True,
                           container_algorithms=container_algorithms)
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
    path: str | os.PathLike[str] | None = None,
) -> VerifyReport:
    """Every check after the bag pass (see :func:`verify_bundle`), on what :func:`read_bag` returned.

    ``lean.toolchain`` is the resolved toolchain (None: Lean is not re-run). ``path`` is where the bag is:
    the sources its checks cite are read from it to re-ground their inputs (None: sources are not read, so
    a verdict recorded as ``sourced`` cannot be confirmed).
    """
    out = Checklist(bag, cache or NO_CACHE)
    check_bag(out)
    bundle_id = bundle_id_of(out.sha256[TAG_MANIFEST_SHA256]) if TAG_MANIFEST_SHA256 in out.sha256 else None
    if bundle_id is None:
        out.fail("bundle-id", "tagmanifest-sha256.txt is missing, so the bundle has no id", TAG_MANIFEST_SHA256)
    record_ids = bag.info("External-Identifier")
    record_id = record_ids[0] if record_ids else None

    signers = check_attestation(trust, record_id, out)
    manifest = check_manifest(record_id, out)
    verdicts_doc = out.json(VERDICTS)
    check_bag_info(out)
    check_crate(out)
    artifacts = check_artifacts(out)
    check_source_provenance(trust, out)
    runs = check_repro_runs(out)
    with BagStore(path, bag.files, refuse=out.too_costly) if path is not None else nullcontext() as sources:
        claims = check_claims(manifest, verdicts_doc, runs, out, sources)
    check_lean(verdicts_doc, lean or LeanTools(), lean_mode, out)
    corrections = check_corrections(manifest, record_id, trust, out)
    return VerifyReport(
        bundle=label,
        kind=kind,
        bundle_id=bundle_id,
        record_id=record_id,
        findings=out.findings(),
        claims=claims.statuses,
        signers=signers,
        unchecked=claims.unchecked,
        ungrounded=claims.ungrounded,
        unrestated=claims.unrestated,
        corrected=corrections.claims if corrections is not None else {},
        record_status=corrections.status if corrections is not None else None,
        artifacts=artifacts,
    )
