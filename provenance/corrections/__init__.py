"""Correction records: a signed, append-only, Merkle-checkpointed log per record.

Modules: :mod:`.merkle` (RFC 6962 hashing and proofs), :mod:`.note` (C2SP signed
notes and checkpoints), :mod:`.record` (correction-record-v1 documents),
:mod:`.log` (the JSONL log: locked appends, verification), :mod:`.status`
(current status of a record and of each claim).
"""
