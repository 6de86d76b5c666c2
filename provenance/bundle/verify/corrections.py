"""Checks of the correction log a bundle carries: its signatures, chain, Merkle root and checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provenance.bundle.layout import CORRECTIONS_CHECKPOINT, CORRECTIONS_LOG, MANIFEST
from provenance.bundle.verify.context import Checklist

if TYPE_CHECKING:  # the corrections package loads only for a bundle that carries a log
    from provenance.corrections.status import StatusView
    from provenance.signing.trust import TrustRoot


def check_corrections(manifest: Mapping[str, Any] | None, record_id: str | None, trust: TrustRoot,
                      out: Checklist) -> StatusView | None:
    """The carried log verified against the trust root; returns where the record stands (None without a log)."""
    bag = out.bag
    if CORRECTIONS_LOG not in bag.files:
        out.skip("corrections", "no correction log carried")
        if CORRECTIONS_CHECKPOINT in bag.files:
            out.fail("corrections", "a checkpoint without its log", CORRECTIONS_CHECKPOINT)
        return None
    if out.too_costly(CORRECTIONS_LOG):
        return None
    entries = bag.contents.get(CORRECTIONS_LOG)
    if entries is None:
        out.fail("corrections", "the log is too large to check", CORRECTIONS_LOG)
        return None
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
    return status
