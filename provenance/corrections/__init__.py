"""Correction records: a signed, append-only, Merkle-checkpointed log per record.

Modules: :mod:`.merkle` (RFC 6962 hashing and proofs), :mod:`.note` (C2SP signed
notes and checkpoints; the one checkpoint parser), :mod:`.record`
(correction-record-v1 documents), :mod:`.status` (current status of a record and
of each claim), :mod:`.entries` (log lines and the per-entry checks),
:mod:`.fastpath` (the narrow line form, verified by offsets), :mod:`.verify`
(verifying a whole log, in worker processes), :mod:`.report` (its findings and
report), :mod:`.store` (the log on disk: snapshots and locked appends),
:mod:`.proofs` (inclusion and consistency proofs for auditors). Above this
package and bundles: :mod:`provenance.bundle.correction_target` (a bundle as the
target of a correction, and where its log lives) and :mod:`provenance.correcting`
(an editor's append as asked on the command line).

The calls other parts use::

    from provenance.corrections.store import read_log, append_correction
    from provenance.corrections.verify import verify_log
    files = read_log("corrections.jsonl")               # bytes of LOG and LOG.checkpoint
    report = verify_log(files.entries, files.checkpoint, trust=trust_root,
                        since_checkpoint=None)          # pure, on bytes (zip members too)
    report.ok, report.findings, report.status           # StatusView: .status, .claims, .history

A bundle carries its log as ``data/corrections/corrections.jsonl`` and
``data/corrections/corrections.jsonl.checkpoint``; between versions the log
lives beside the bundle as ``<bundle>.corrections.jsonl``.
"""
