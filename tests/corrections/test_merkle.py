"""The RFC 6962 Merkle code against every transparency-dev/merkle vector, plus properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.corrections import merkle
from provenance.corrections.errors import ProofError

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "rfc6962-merkle"
REFERENCE_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
                                                 "5051525354555657", "606162636465666768696a6b6c6d6e6f")]


def _files(kind: str) -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted((VECTORS / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(h) for h in (value or [])]


def test_vector_counts() -> None:
    if not VECTORS.is_dir():
        pytest.skip("shared vectors not beside the checkout")
    assert len(_files("inclusion")) == 98
    assert len(_files("consistency")) == 98


@pytest.mark.parametrize("path", _files("inclusion"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path) -> None:
    v: dict[str, Any] = json.loads(path.read_text())
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v["proof"]), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _files("consistency"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path) -> None:
    v: dict[str, Any] = json.loads(path.read_text())
    args = (v["size1"], v["size2"], _proof(v["proof"]), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_known_answers() -> None:
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert merkle.node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    hashes = [merkle.leaf_hash(d) for d in REFERENCE_LEAVES]
    assert merkle.root(hashes).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def test_generated_proofs_match_vectors() -> None:
    """Our proof generator produces exactly the happy-path proofs of the reference tree."""
    if not VECTORS.is_dir():
        pytest.skip("shared vectors not beside the checkout")
    hashes = [merkle.leaf_hash(d) for d in REFERENCE_LEAVES]
    checked = 0
    for path in _files("inclusion"):
        v = json.loads(path.read_text())
        if v["desc"] == "happy path" and v["treeSize"] <= 8 and _b64(v["leafHash"]) == hashes[v["leafIdx"]]:
            assert merkle.inclusion_proof(hashes, v["leafIdx"], v["treeSize"]) == _proof(v["proof"])
            checked += 1
    for path in _files("consistency"):
        v = json.loads(path.read_text())
        if v["desc"] == "happy path" and 0 < v["size1"] and v["size2"] <= 8:
            assert merkle.consistency_proof(hashes, v["size1"], v["size2"]) == _proof(v["proof"])
            checked += 1
    assert checked >= 8


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 300), data=st.data())
def test_inclusion_proofs_verify_and_tampering_fails(n: int, data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    index = data.draw(st.integers(0, n - 1))
    size = data.draw(st.integers(index + 1, n))
    r = merkle.root(hashes, size)
    proof = merkle.inclusion_proof(hashes, index, size)
    merkle.verify_inclusion(index, size, hashes[index], proof, r)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, r)
    if proof:
        pos = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[pos] = bytes([bad[pos][0] ^ 1]) + bad[pos][1:]
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, hashes[index], bad, r)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, hashes[index], proof[:-1], r)
    if size > 1:
        other = (index + 1) % size
        if hashes[other] != hashes[index]:
            with pytest.raises(ProofError):
                merkle.verify_inclusion(other, size, hashes[index], proof, r)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 300), data=st.data())
def test_consistency_proofs_verify_and_tampering_fails(n: int, data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    size1 = data.draw(st.integers(1, n))
    size2 = data.draw(st.integers(size1, n))
    r1, r2 = merkle.root(hashes, size1), merkle.root(hashes, size2)
    proof = merkle.consistency_proof(hashes, size1, size2)
    merkle.verify_consistency(size1, size2, proof, r1, r2)
    # An edited entry inside the old prefix changes the old root: no proof from the new tree fits.
    edited = list(hashes)
    victim = data.draw(st.integers(0, size1 - 1))
    edited[victim] = merkle.leaf_hash(b"edited")
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, merkle.consistency_proof(edited, size1, size2), r1, merkle.root(edited, size2))
    if proof:
        pos = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[pos] = bytes([bad[pos][0] ^ 0x80]) + bad[pos][1:]
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, size2, bad, r1, r2)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 600))
def test_compact_tree_matches_root(n: int) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = merkle.CompactTree()
    for i, h in enumerate(hashes):
        tree.append(h)
        if i % 37 == 0:
            assert tree.root() == merkle.root(hashes, i + 1)
    assert tree.size == n
    assert tree.root() == merkle.root(hashes)


def test_root_matches_recursive_definition() -> None:
    def mth(d: list[bytes]) -> bytes:
        if not d:
            return merkle.EMPTY_ROOT
        if len(d) == 1:
            return merkle.leaf_hash(d[0])
        k = 1
        while k * 2 < len(d):
            k *= 2
        return merkle.node_hash(mth(d[:k]), mth(d[k:]))

    for n in range(0, 70):
        data = [bytes([i]) for i in range(n)]
        assert merkle.root([merkle.leaf_hash(x) for x in data]) == mth(data)


@settings(max_examples=60, deadline=None)
@given(height=st.integers(0, 5), chunks=st.integers(0, 9), tail=st.integers(0, 40))
def test_compact_tree_from_aligned_subtrees_matches_root(height: int, chunks: int, tail: int) -> None:
    size = 1 << height
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(chunks * size + tail)]
    tree = merkle.CompactTree()
    for c in range(chunks):
        tree.append_subtree(merkle.root(hashes[c * size : (c + 1) * size]), height)
    for h in hashes[chunks * size :]:
        tree.append(h)
    assert tree.size == len(hashes) and tree.root() == merkle.root(hashes)
    if tail % size and height:
        with pytest.raises(ProofError):
            tree.append_subtree(merkle.EMPTY_ROOT, height)


# -- range guards (issue 13 item 19): each test fails if its guard is removed or loosened ----------

HASHES = [merkle.leaf_hash(bytes([i])) for i in range(8)]


@pytest.mark.parametrize("size", [-1, 9, 100])
def test_root_refuses_a_size_outside_the_tree(size: int) -> None:
    with pytest.raises(ProofError, match="outside"):
        merkle.root(HASHES, size)


def test_root_accepts_the_boundary_sizes() -> None:
    assert merkle.root(HASHES, 0) == merkle.EMPTY_ROOT
    assert merkle.root(HASHES, 8) == merkle.root(HASHES)
    assert merkle.root(HASHES, 1) == HASHES[0]


@pytest.mark.parametrize(("index", "size"), [(8, 8), (3, 3), (0, 0), (-1, 8), (0, 9), (9, 9)])
def test_inclusion_proof_refuses_an_index_at_or_past_the_size(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="no leaf"):
        merkle.inclusion_proof(HASHES, index, size)


def test_inclusion_proof_at_the_last_index_verifies() -> None:
    for size in range(1, 9):
        proof = merkle.inclusion_proof(HASHES, size - 1, size)
        merkle.verify_inclusion(size - 1, size, HASHES[size - 1], proof, merkle.root(HASHES, size))
    assert merkle.inclusion_proof(HASHES, 7) == merkle.inclusion_proof(HASHES, 7, 8)


@pytest.mark.parametrize(("size1", "size2"), [(0, 5), (0, 0), (-1, 5), (6, 5), (3, 9), (9, 9)])
def test_consistency_proof_refuses_sizes_outside_the_tree_with_a_proof_error(size1: int, size2: int) -> None:
    # size1 = 0 used to be reachable only through the guard: without it the loop shifts by -1 (ValueError).
    with pytest.raises(ProofError, match="no consistency proof"):
        merkle.consistency_proof(HASHES, size1, size2)


def test_consistency_proof_at_the_boundary_sizes() -> None:
    assert merkle.consistency_proof(HASHES, 8, 8) == []
    assert merkle.consistency_proof(HASHES, 8) == []
    for size1 in range(1, 9):
        proof = merkle.consistency_proof(HASHES, size1, 8)
        merkle.verify_consistency(size1, 8, proof, merkle.root(HASHES, size1), merkle.root(HASHES))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (8, 5), (-1, 5)])
def test_root_from_inclusion_proof_refuses_an_index_outside_the_size(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="not inside"):
        merkle.root_from_inclusion_proof(index, size, HASHES[0], [])


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_leaf_hashes_of_the_wrong_length_are_refused(length: int) -> None:
    with pytest.raises(ProofError, match="leaf hash is"):
        merkle.root_from_inclusion_proof(0, 1, bytes(length), [])
    tree = merkle.CompactTree()
    with pytest.raises(ProofError, match="leaf hash is"):
        tree.append(bytes(length))
    with pytest.raises(ProofError, match="leaf hash is"):
        merkle.CompactTree([HASHES[0], bytes(length)])
    assert tree.size == 0 and tree.root() == merkle.EMPTY_ROOT


def test_verify_consistency_from_size_zero_is_a_proof_error() -> None:
    for size2 in (0, 1, 5):
        with pytest.raises(ProofError, match="empty tree"):
            merkle.verify_consistency(0, size2, [], merkle.EMPTY_ROOT, merkle.root(HASHES, size2))


def test_a_misaligned_subtree_is_refused() -> None:
    tree = merkle.CompactTree(HASHES[:3])
    with pytest.raises(ProofError, match="cannot follow"):
        tree.append_subtree(merkle.root(HASHES[:2]), 1)
    assert tree.size == 3 and tree.root() == merkle.root(HASHES, 3)
    aligned = merkle.CompactTree(HASHES[:2])
    aligned.append_subtree(merkle.root(HASHES[2:4]), 1)
    assert aligned.size == 4 and aligned.root() == merkle.root(HASHES, 4)


# ---- mutants that survived `make mutate` (scripts/mutate.py) in merkle.py, each killed here


def test_a_proof_of_the_wrong_length_says_how_many_hashes_the_sizes_need() -> None:
    """The counts in the message are the ones the shape needs (a proof with both inner and border hashes)."""
    inclusion = merkle.inclusion_proof(HASHES, 4, 7)
    assert len(inclusion) == 3
    with pytest.raises(ProofError, match=r"inclusion proof has 2 hashes, a tree of size 7 needs 3;"):
        merkle.root_from_inclusion_proof(4, 7, HASHES[4], inclusion[:2])
    consistency = merkle.consistency_proof(HASHES, 5, 7)
    assert len(consistency) == 4
    with pytest.raises(ProofError, match=r"consistency proof has 5 hashes, 5->7 needs 4;"):
        merkle.verify_consistency(5, 7, [*consistency, HASHES[0]], merkle.root(HASHES, 5), merkle.root(HASHES, 7))


def test_a_misaligned_subtree_says_how_many_leaves_it_holds() -> None:
    with pytest.raises(ProofError, match=r"a subtree of 2 leaves cannot follow 3 leaves"):
        merkle.CompactTree(HASHES[:3]).append_subtree(merkle.root(HASHES[:2]), 1)
