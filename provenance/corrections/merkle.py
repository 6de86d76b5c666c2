"""RFC 6962 / RFC 9162 Merkle trees over byte leaves: hashes, roots, proofs and their checks.

Pure functions on bytes. Leaves are hashed as ``SHA-256(0x00 || d)`` and
interior nodes as ``SHA-256(0x01 || left || right)``; a tree of ``n`` leaves
splits at ``k``, the largest power of two below ``n``. Proofs list hashes in
RFC order. Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 (the
reference is transparency-dev/merkle ``proof/verify.go``) and raises
:class:`~provenance.corrections.errors.ProofError`; on success it returns
nothing more than the fact that it did not raise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from provenance.corrections.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""``MTH({})``: the root of the empty tree."""

_REMEDY = "the proof does not belong to this tree; fetch a fresh proof and checkpoint"


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """Root of the subtree over leaf hashes ``hashes[lo:hi]`` (bottom-up, odd node promoted)."""
    if hi <= lo:
        return EMPTY_ROOT
    level = list(hashes[lo:hi])
    sha = hashlib.sha256
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root(hashes: Sequence[bytes], size: int | None = None) -> bytes:
    """``MTH`` of the first ``size`` leaf hashes (all of them by default)."""
    n = len(hashes) if size is None else size
    if not 0 <= n <= len(hashes):
        raise ProofError(f"tree size {n} outside 0..{len(hashes)}", remedy="ask for a size the log has")
    return _mth(hashes, 0, n)


def inclusion_proof(hashes: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """RFC 6962 ``PATH(index, D[0:size])`` over leaf hashes."""
    n = len(hashes) if size is None else size
    if not 0 <= index < n <= len(hashes):
        raise ProofError(
            f"no leaf {index} in a tree of size {n}", remedy="ask for an index below the tree size"
        )
    proof: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            proof.append(_mth(hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(hashes, lo, lo + k))
            lo, m = lo + k, m - k
    proof.reverse()
    return proof


def consistency_proof(hashes: Sequence[bytes], size1: int, size2: int | None = None) -> list[bytes]:
    """RFC 6962 ``PROOF(size1, D[0:size2])`` over leaf hashes (empty when the sizes are equal)."""
    n = len(hashes) if size2 is None else size2
    if not 0 < size1 <= n <= len(hashes):
        raise ProofError(
            f"no consistency proof from size {size1} to size {n}",
            remedy="give 0 < size1 <= size2 <= the log's size",
        )
    proof: list[bytes] = []
    lo, hi, m, complete = 0, n, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_mth(hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(hashes, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(_mth(hashes, lo, hi))
    proof.reverse()
    return proof


# -- verification (RFC 9162 2.1.3.2 and 2.1.4.2) ---------------------------------


def _inner_proof_size(index: int, size: int) -> int:
    return (index ^ (size - 1)).bit_length()


def _decomp(index: int, size: int) -> tuple[int, int]:
    inner = _inner_proof_size(index, size)
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof; :class:`ProofError` if its shape is wrong."""
    if not 0 <= index < size:  # also refuses size <= 0
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}", remedy=_REMEDY)
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}", remedy=_REMEDY)
    inner, border = _decomp(index, size)
    if len(proof) != inner + border:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, a tree of size {size} needs {inner + border}",
            remedy=_REMEDY,
        )
    res = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` with ``expected_root``."""
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != expected_root:
        raise ProofError(
            f"inclusion proof for leaf {index} gives root {calculated.hex()}, not {expected_root.hex()}",
            remedy=_REMEDY,
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree (``size1``, ``root1``) is a prefix of (``size2``, ``root2``)."""
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1}): the log shrank", remedy=_REMEDY)
    if size1 <= 0:
        raise ProofError("a consistency proof from the empty tree proves nothing", remedy="use size1 >= 1")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal but the consistency proof is not empty", remedy=_REMEDY)
        if root1 != root2:
            raise ProofError(
                f"two trees of size {size1} with different roots: the log forked", remedy=_REMEDY
            )
        return
    if not proof:
        raise ProofError("empty consistency proof between different sizes", remedy=_REMEDY)

    inner, border = _decomp(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes, {size1}->{size2} needs {start + inner + border}",
            remedy=_REMEDY,
        )
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        raise ProofError(
            f"consistency proof does not reproduce the size-{size1} root: entries were edited or reordered",
            remedy=_REMEDY,
        )
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if hash2 != root2:
        raise ProofError(
            f"consistency proof does not reproduce the size-{size2} root", remedy=_REMEDY
        )


class CompactTree:
    """An append-only tree that keeps only the roots of its perfect subtrees (O(log n) memory).

    ``append`` is amortised O(1) hashes and ``root()`` is O(log n).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._size = 0
        self._stack: list[bytes] = []
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (already ``leaf_hash``-ed)."""
        if len(leaf) != HASH_SIZE:
            raise ProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}", remedy="hash the leaf first")
        node = leaf
        n = self._size
        while n & 1:
            node = node_hash(self._stack.pop(), node)
            n >>= 1
        self._stack.append(node)
        self._size += 1

    def append_subtree(self, node: bytes, height: int) -> None:
        """Add a perfect subtree of ``2**height`` leaves with root ``node``; the size must be a multiple of it."""
        if self._size % (1 << height):
            raise ProofError(
                f"a subtree of {1 << height} leaves cannot follow {self._size} leaves", remedy="append aligned subtrees"
            )
        n = self._size >> height
        while n & 1:
            node = node_hash(self._stack.pop(), node)
            n >>= 1
        self._stack.append(node)
        self._size += 1 << height

    def root(self) -> bytes:
        """``MTH`` of every leaf appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node
