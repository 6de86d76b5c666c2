"""Proofs an auditor can check without the log: RFC 6962 inclusion and consistency, bound to checkpoints.

An inclusion proof shows one entry is in the tree a signed checkpoint commits
to; a consistency proof shows a newer checkpoint extends an older one (nothing
removed, edited or reordered). Both documents carry the signed checkpoint(s);
:func:`verify_proof_document` checks signatures under the trust root's ``log``
keys, roots, and the Merkle path, and raises on any failure.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provenance.corrections import merkle, note
from provenance.corrections.errors import LogInputError, ProofError
from provenance.corrections.report import LogReport
from provenance.signing.trust import TrustRoot

INCLUSION_CONTRACT = "correction-inclusion-proof-v1"
CONSISTENCY_CONTRACT = "correction-consistency-proof-v1"


def _log_keys(trust: TrustRoot) -> list[bytes]:
    keys, _ = trust.keys_for("log")
    return [k.raw for k in keys.values()]


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise LogInputError(f"{what} is not base64", remedy="give a file made by `provenance correct prove`") from None


def _checkpoint(text: Any, trust: TrustRoot | None, origin: str | None, what: str) -> tuple[note.Checkpoint, bool]:
    if not isinstance(text, str):
        raise LogInputError(f"the proof carries no {what}", remedy="make the proof from a log with a checkpoint")
    data = text.encode("utf-8")
    if trust is not None:
        cp, _ = note.verify_checkpoint(data, _log_keys(trust), origin=origin)
        return cp, True
    return note.parse_checkpoint(data), False


def proof_document(report: LogReport, seq: int, checkpoint_text: bytes | None) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` in the tree of the checkpoint (or the whole log)."""
    size = report.checkpoint.size if report.checkpoint is not None else report.size
    if not 0 <= seq < size:
        raise LogInputError(f"entry {seq} is not in the checkpointed tree of size {size}",
                            remedy=f"give a seq below {size}")
    hashes = list(report.leaf_hashes)
    proof = merkle.inclusion_proof(hashes, seq, size)
    return {
        "contract": INCLUSION_CONTRACT,
        "origin": report.origin,
        "seq": seq,
        "tree_size": size,
        "leaf_hash": base64.b64encode(hashes[seq]).decode("ascii"),
        "line_sha256": report.line_hash(seq),
        "root": base64.b64encode(merkle.root(hashes, size)).decode("ascii"),
        "proof": [base64.b64encode(h).decode("ascii") for h in proof],
        "checkpoint": checkpoint_text.decode("utf-8") if checkpoint_text is not None else None,
    }


def consistency_document(report: LogReport, old_checkpoint: bytes, new_checkpoint: bytes | None) -> dict[str, Any]:
    """A consistency proof from an older checkpoint of this log to its current checkpoint."""
    old = note.parse_checkpoint(old_checkpoint)
    size2 = report.checkpoint.size if report.checkpoint is not None else report.size
    if not 0 < old.size <= size2:
        raise LogInputError(f"no consistency proof from size {old.size} to size {size2}",
                            remedy="give an older checkpoint of this log (size 1 or more, not above the current one)")
    hashes = list(report.leaf_hashes)
    return {
        "contract": CONSISTENCY_CONTRACT,
        "origin": report.origin,
        "size1": old.size,
        "size2": size2,
        "root1": base64.b64encode(old.root).decode("ascii"),
        "root2": base64.b64encode(merkle.root(hashes, size2)).decode("ascii"),
        "proof": [base64.b64encode(h).decode("ascii") for h in merkle.consistency_proof(hashes, old.size, size2)],
        "old_checkpoint": old_checkpoint.decode("utf-8"),
        "checkpoint": new_checkpoint.decode("utf-8") if new_checkpoint is not None else None,
    }


@dataclass(frozen=True)
class ProofCheck:
    """What a proof check established: entry ``seq`` is in (or the tree of ``old_size`` is a prefix of)
    the tree of ``tree_size`` with ``root`` that log ``origin`` committed to."""

    kind: str
    origin: str
    tree_size: int
    root: bytes
    checkpoint_verified: bool
    seq: int | None = None
    entry_matched: bool = False
    old_size: int | None = None


def verify_proof_document(
    doc: Mapping[str, Any],
    *,
    trust: TrustRoot | None,
    entry_line: bytes | None = None,
    trusted_old_checkpoint: bytes | None = None,
) -> ProofCheck:
    """Check an inclusion or consistency proof made by ``correct prove``; raise on any failure.

    The carried checkpoints must be signed by a ``log`` key of ``trust`` (when
    given) and match the proof's sizes and roots. ``entry_line``, when given, must
    be the entry's exact log line; ``trusted_old_checkpoint``, when given, must be
    the consistency proof's old checkpoint, byte for byte.
    """
    if not isinstance(doc, Mapping):
        raise LogInputError("not a proof document", remedy="give a file made by `provenance correct prove`")
    origin = doc.get("origin") if isinstance(doc.get("origin"), str) else None
    contract = doc.get("contract")
    try:
        proof = [_b64(h, "a proof hash") for h in doc["proof"]]
        if contract == CONSISTENCY_CONTRACT:
            size1, size2 = int(doc["size1"]), int(doc["size2"])
            root1, root2 = _b64(doc["root1"], "root1"), _b64(doc["root2"], "root2")
        elif contract == INCLUSION_CONTRACT:
            seq, size = int(doc["seq"]), int(doc["tree_size"])
            leaf, root = _b64(doc["leaf_hash"], "leaf_hash"), _b64(doc["root"], "root")
        else:
            raise LogInputError(f"unknown proof contract {contract!r}", remedy="give a file made by `provenance correct prove`")
    except (KeyError, TypeError, ValueError) as exc:
        raise LogInputError(f"malformed proof ({exc})", remedy="give a file made by `provenance correct prove`") from None

    new_cp, verified = _checkpoint(doc.get("checkpoint"), trust, origin, "checkpoint")
    if contract == CONSISTENCY_CONTRACT:
        old_text = doc.get("old_checkpoint")
        if trusted_old_checkpoint is not None and (not isinstance(old_text, str) or old_text.encode("utf-8") != trusted_old_checkpoint):
            raise ProofError("the proof starts from another checkpoint than the one you trust",
                             remedy="make the proof from your checkpoint: provenance correct prove LOG --from-checkpoint CP")
        old_cp, old_verified = _checkpoint(old_text, trust, new_cp.origin, "old checkpoint")
        if (old_cp.size, old_cp.root) != (size1, root1) or (new_cp.size, new_cp.root) != (size2, root2):
            raise ProofError("the proof's sizes and roots differ from its checkpoints'", remedy="fetch a fresh proof")
        merkle.verify_consistency(size1, size2, proof, root1, root2)
        return ProofCheck("consistency", new_cp.origin, size2, root2, verified and old_verified, old_size=size1)
    if entry_line is not None and merkle.leaf_hash(entry_line) != leaf:
        raise ProofError(f"the given entry does not hash to the proof's leaf {seq}", remedy="give the exact log line of that entry")
    if (new_cp.size, new_cp.root) != (size, root):
        raise ProofError(f"proof is for tree size {size} but the checkpoint is for size {new_cp.size} with another root",
                         remedy="fetch a proof made against this checkpoint")
    merkle.verify_inclusion(seq, size, leaf, proof, root)
    return ProofCheck("inclusion", new_cp.origin, size, root, verified, seq=seq, entry_matched=entry_line is not None)
