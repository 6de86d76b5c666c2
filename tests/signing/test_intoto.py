"""in-toto Statement v1: strict parsing, subjects matched by digest, a file whose digest differs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.jsonio import canonical_bytes
from provenance.signing import intoto
from provenance.signing.errors import DigestMismatch, MalformedEnvelope, PayloadTypeMismatch
from provenance.signing.keys import SigningKey

KEY = SigningKey.from_seed(b"\x07" * 32)
TRUSTED = {KEY.keyid: KEY.public}
A = hashlib.sha256(b"a").hexdigest()
B = hashlib.sha256(b"b").hexdigest()


def test_statement_shape_and_canonical_payload() -> None:
    st_ = intoto.make_statement([("a.txt", A)], intoto.FILES_PREDICATE_TYPE, {"k": "v"})
    assert st_ == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.txt", "digest": {"sha256": A}}],
        "predicateType": intoto.FILES_PREDICATE_TYPE,
        "predicate": {"k": "v"},
    }
    env = intoto.sign_statement(st_, [KEY])
    verified = intoto.verify_statement_envelope(env, TRUSTED, 1)
    assert verified.payload == canonical_bytes(st_)
    assert verified.statement.predicate == {"k": "v"}


def test_file_whose_digest_differs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    env = intoto.sign_statement(intoto.make_statement([("a.txt", A)], intoto.FILES_PREDICATE_TYPE, {}), [KEY])
    (tmp_path / "a.txt").write_bytes(b"A")
    files = dict(intoto.subjects_for_files([tmp_path / "a.txt"], base=tmp_path))
    with pytest.raises(DigestMismatch, match="a.txt"):
        intoto.verify_statement_envelope(env, TRUSTED, 1, files=files)


def test_file_not_among_subjects() -> None:
    statement = intoto.parse_statement(canonical_bytes(intoto.make_statement([("a", A)], "t", {})))
    with pytest.raises(DigestMismatch, match="no subject"):
        intoto.verify_subjects(statement, {"other": B})


def test_matching_is_by_digest_not_name() -> None:
    statement = intoto.parse_statement(canonical_bytes(intoto.make_statement([("a", A)], "t", {})))
    assert intoto.verify_subjects(statement, {"renamed": A})["renamed"].name == "a"


def test_downgrade_md5_only_subject_does_not_match() -> None:
    payload = canonical_bytes({"_type": intoto.STATEMENT_TYPE, "predicateType": "t",
                               "subject": [{"name": "a", "digest": {"md5": hashlib.md5(b"a").hexdigest()}}]})
    statement = intoto.parse_statement(payload)
    with pytest.raises(DigestMismatch):
        intoto.verify_subjects(statement, {"a": A})


def test_wrong_predicate_type_is_refused() -> None:
    env = intoto.sign_statement(intoto.make_statement([("a", A)], "https://x/one/v1", {}), [KEY])
    with pytest.raises(PayloadTypeMismatch):
        intoto.verify_statement_envelope(env, TRUSTED, 1, predicate_type="https://x/two/v1")


@pytest.mark.parametrize(
    "payload",
    [b"[]", b'{"_type": "https://in-toto.io/Statement/v0.1", "subject": [{"digest": {"sha256": "00"}}], "predicateType": "t"}',
     b'{"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "t"}',
     b'{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a"}], "predicateType": "t"}',
     b'{"_type": "https://in-toto.io/Statement/v1", "_type": "x", "subject": [], "predicateType": "t"}',
     b'{"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest": {"sha256": "00"}}], "predicateType": "t", "x": 1.5}'],
)
def test_strict_parse_rejects(payload: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        intoto.parse_statement(payload)


def test_unknown_fields_are_kept() -> None:
    doc = intoto.make_statement([("a", A)], "t", {})
    doc["future"] = {"x": "1"}
    statement = intoto.parse_statement(canonical_bytes(doc))
    assert statement.document["future"] == {"x": "1"}


def test_make_statement_refuses_bad_subjects() -> None:
    with pytest.raises(InputError):
        intoto.make_statement([], "t", {})
    with pytest.raises(InputError):
        intoto.make_statement([("a", "XYZ")], "t", {})
    with pytest.raises(InputError):
        intoto.make_statement([("a", A), ("a", B)], "t", {})


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.binary(max_size=64), min_size=1, max_size=6),
       st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5))
def test_property_statement_round_trip(files: dict[str, bytes], predicate: dict[str, str]) -> None:
    subjects = [(name, hashlib.sha256(data).hexdigest()) for name, data in files.items()]
    env = intoto.sign_statement(intoto.make_statement(subjects, "https://x/p/v1", predicate), [KEY])
    verified = intoto.verify_statement_envelope(env, TRUSTED, 1, predicate_type="https://x/p/v1", files=dict(subjects))
    assert verified.statement.predicate == predicate
    assert [(s.name, s.sha256) for s in verified.statement.subjects] == subjects
