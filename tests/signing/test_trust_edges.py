"""The trust root at its edges (issue 13.19: each guard, default and boundary pinned by a test)."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import InputError
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing import trust as tr
from provenance.signing.dsse import sign_envelope
from provenance.signing.errors import (
    ExpiredRoot,
    MalformedTrustRoot,
    PayloadTypeMismatch,
    RollbackError,
    SignatureError,
    ThresholdNotMet,
    TrustRootError,
)
from provenance.signing.keys import SigningKey

NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)


def k(n: int) -> SigningKey:
    return SigningKey.from_seed(bytes([n]) * 32)


def two_of_two() -> dict[str, Any]:
    """v1: root = {k1, k2} threshold 2; v2: attestor k3."""
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW, expires=NOW + timedelta(days=30),
                             names={k(1).keyid: "alice"})
    return tr.add_key(doc, "attestor", k(3).public, [k(1), k(2)], now=NOW)


def metadata_of(envelope: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = loads_strict(base64.b64decode(envelope["payload"]))
    return result


def resign(metadata: dict[str, Any], signers: list[SigningKey]) -> dict[str, Any]:
    return sign_envelope(canonical_bytes(metadata), tr.PAYLOAD_TYPE, signers)


# ---- init


def test_init_refuses_no_root_keys() -> None:
    with pytest.raises(InputError, match="a trust root needs at least one root key"):
        tr.init_trust_root([], now=NOW)


@pytest.mark.parametrize("threshold", [0, 3])
def test_init_threshold_is_between_one_and_the_unique_root_keys(threshold: int) -> None:
    with pytest.raises(InputError, match=f"threshold {threshold} must be between 1 and the 2 unique root key"):
        tr.init_trust_root([k(1), k(2), k(2)], threshold=threshold, now=NOW)
    assert tr.verify_chain_document(tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW), now=NOW)


def test_init_default_lifetime_is_365_days() -> None:
    root = tr.verify_chain_document(tr.init_trust_root([k(1)], now=NOW), now=NOW).latest
    assert root.expires - root.issued == timedelta(days=365)


def test_init_refuses_an_expiry_that_is_not_after_now() -> None:
    for expires in (NOW, NOW - timedelta(seconds=1)):
        with pytest.raises(InputError, match="is not after now"):
            tr.init_trust_root([k(1)], now=NOW, expires=expires)
    assert tr.init_trust_root([k(1)], now=NOW, expires=NOW + timedelta(seconds=1))


def test_init_never_returns_a_document_that_does_not_verify() -> None:
    # a key name must be a string: init checks the document it built and refuses it
    with pytest.raises(MalformedTrustRoot, match="is not of type 'string'"):
        tr.init_trust_root([k(1)], now=NOW, names={k(1).keyid: 5})  # type: ignore[dict-item]


# ---- verifying a chain


def test_version_1_must_be_signed_by_its_own_root_keys() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW)
    doc["chain"][0] = resign(metadata_of(doc["chain"][0]), [k(9)])
    with pytest.raises(SignatureError, match="version 1 not signed by its own root keys"):
        tr.verify_chain_document(doc, now=NOW)


def test_a_version_that_does_not_name_its_predecessor_is_a_rollback() -> None:
    doc = two_of_two()
    meta = metadata_of(doc["chain"][1])
    meta["previous"] = "0" * 64
    doc["chain"][1] = resign(meta, [k(1), k(2)])
    with pytest.raises(RollbackError, match="version 2 does not name version 1's digest as previous"):
        tr.verify_chain_document(doc, now=NOW)


def test_a_foreign_payload_type_is_named_as_not_a_trust_root() -> None:
    doc = two_of_two()
    doc["chain"][1] = sign_envelope(base64.b64decode(doc["chain"][1]["payload"]), "application/json", [k(1), k(2)])
    with pytest.raises(PayloadTypeMismatch, match="payloadType 'application/json' is not a trust root"):
        tr.verify_chain_document(doc, now=NOW)


def test_a_root_is_expired_at_the_instant_of_its_expiry() -> None:
    doc = two_of_two()
    expires = NOW + timedelta(days=30)
    assert tr.verify_chain_document(doc, now=expires - timedelta(microseconds=1))
    with pytest.raises(ExpiredRoot, match="expired at"):
        tr.verify_chain_document(doc, now=expires)


def test_a_root_that_expired_in_1970_can_still_be_renewed() -> None:
    # updates check every signature but no expiry: even a root that expired an hour after the epoch
    dawn = datetime(1970, 1, 1, tzinfo=UTC)
    doc = tr.init_trust_root([k(1)], now=dawn, expires=dawn + timedelta(hours=1))
    renewed = tr.renew(doc, [k(1)], now=NOW, expires=NOW + timedelta(days=1))
    assert tr.verify_chain_document(renewed, now=NOW).latest.version == 2


def test_check_not_rollback_refuses_another_trust_root_altogether() -> None:
    ours = tr.verify_chain_document(two_of_two(), now=NOW)
    other = tr.verify_chain_document(tr.init_trust_root([k(5)], now=NOW), now=NOW)
    with pytest.raises(TrustRootError, match="starts from a different version 1"):
        tr.check_not_rollback(ours, other)


def test_keys_for_an_unknown_role_names_the_roles() -> None:
    root = tr.verify_chain_document(two_of_two(), now=NOW).latest
    with pytest.raises(InputError, match="unknown role 'janitor'") as caught:
        root.keys_for("janitor")
    assert caught.value.remedy == "use one of: " + ", ".join(root.roles)


def test_trust_objects_are_frozen_and_their_repr_leaves_out_the_documents() -> None:
    chain = tr.verify_chain_document(two_of_two(), now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        chain.latest.version = 9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        chain.versions = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        chain.latest.roles["root"].threshold = 9  # type: ignore[misc]
    assert "metadata=" not in repr(chain.latest) and "document=" not in repr(chain)


# ---- writing new versions


def test_an_update_needs_signers() -> None:
    with pytest.raises(InputError, match="no signing keys given"):
        tr.add_key(two_of_two(), "corrector", k(4).public, [], now=NOW)


def test_an_update_refuses_an_expiry_that_is_not_after_now() -> None:
    for expires in (NOW, NOW - timedelta(days=1)):
        with pytest.raises(InputError, match="is not after now"):
            tr.renew(two_of_two(), [k(1), k(2)], now=NOW, expires=expires)


@pytest.mark.parametrize("update", [
    lambda doc: tr.renew(doc, [k(1)], now=NOW, expires=NOW + timedelta(days=90)),
    lambda doc: tr.remove_key(doc, k(3).keyid, [k(1)], now=NOW),
    lambda doc: tr.set_threshold(doc, "attestor", 1, [k(1)], now=NOW),
    lambda doc: tr.add_key(doc, "log", k(4).public, [k(1)], now=NOW),
])
def test_updates_are_not_partial_unless_asked(update: Any) -> None:
    with pytest.raises(ThresholdNotMet, match="--partial"):
        update(two_of_two())


def test_an_update_of_an_expired_root_must_move_its_expiry() -> None:
    later = NOW + timedelta(days=31)  # after v2's expiry
    with pytest.raises(ExpiredRoot, match="expired at"):
        tr.add_key(two_of_two(), "corrector", k(4).public, [k(1), k(2)], now=later)
    assert tr.add_key(two_of_two(), "corrector", k(4).public, [k(1), k(2)], now=later,
                      expires=later + timedelta(days=1))


def test_adding_a_revoked_or_already_trusted_key_says_which() -> None:
    doc = tr.remove_key(two_of_two(), k(3).keyid, [k(1), k(2)], now=NOW)
    with pytest.raises(InputError, match=f"key {k(3).keyid[:16]} was revoked in an earlier version"):
        tr.add_key(doc, "attestor", k(3).public, [k(1), k(2)], now=NOW)
    with pytest.raises(InputError, match=f"key {k(3).keyid[:16]} is already trusted for attestor"):
        tr.add_key(two_of_two(), "attestor", k(3).public, [k(1), k(2)], now=NOW)


def test_adding_a_known_key_to_another_role_keeps_its_name_unless_renamed() -> None:
    kept = tr.add_key(two_of_two(), "attestor", k(1).public, [k(1), k(2)], now=NOW)
    assert tr.verify_chain_document(kept, now=NOW).latest.names[k(1).keyid] == "alice"
    renamed = tr.add_key(two_of_two(), "attestor", k(1).public, [k(1), k(2)], now=NOW, name="alice b")
    assert tr.verify_chain_document(renamed, now=NOW).latest.names[k(1).keyid] == "alice b"


def test_removing_a_key_from_a_role_it_is_not_in_is_refused() -> None:
    with pytest.raises(InputError, match=f"key {k(3).keyid[:16]} is not trusted for corrector"):
        tr.remove_key(two_of_two(), k(3).keyid, [k(1), k(2)], now=NOW, role="corrector")


def test_a_key_id_prefix_of_eight_hex_digits_is_enough() -> None:
    doc = tr.remove_key(two_of_two(), k(3).keyid[:8].upper(), [k(1), k(2)], now=NOW)
    assert k(3).keyid in tr.verify_chain_document(doc, now=NOW).latest.revoked
    with pytest.raises(InputError, match="no unique trusted key with id"):
        tr.remove_key(two_of_two(), k(3).keyid[:7], [k(1), k(2)], now=NOW)


def test_sign_latest_refuses_an_empty_chain() -> None:
    with pytest.raises(MalformedTrustRoot, match="the trust root has no versions"):
        tr.sign_latest({"contract": tr.CONTRACT, "chain": []}, [k(1)], now=NOW)


def test_sign_latest_reads_root_keys_past_a_payload_that_is_not_an_object() -> None:
    doc = two_of_two()
    doc["chain"].append(sign_envelope(b"[1, 2]", tr.PAYLOAD_TYPE, [k(1)]))
    signed = tr.sign_latest(doc, [k(2)], now=NOW)  # k2 is a root key of the version before
    assert signed["chain"][:-1] == doc["chain"][:-1]
    assert signed["chain"][-1]["payload"] == doc["chain"][-1]["payload"]
    assert len(signed["chain"][-1]["signatures"]) == 2
    with pytest.raises(InputError, match=f"key {k(3).keyid[:16]} is not a root key of the newest two versions"):
        tr.sign_latest(doc, [k(3)], now=NOW)


def test_write_trust_document_writes_what_reads_back(tmp_path: Path) -> None:
    doc = two_of_two()
    tr.write_trust_document(tmp_path / "trust-root.json", doc)
    assert tr.load_trust_chain(tmp_path / "trust-root.json", now=NOW).latest.version == 2
    assert json.loads((tmp_path / "trust-root.json").read_text(encoding="utf-8")) == doc


# ---- the state file


def test_state_file_is_made_with_its_directories_and_records_the_time_given(tmp_path: Path) -> None:
    state = tr.TrustState(tmp_path / "a" / "b" / "trust-state.json")
    chain = tr.verify_chain_document(two_of_two(), now=NOW)
    assert state.check_and_record(chain, where="t", now=NOW).status == "pinned"
    assert (tmp_path / "a" / "b").stat().st_mode & 0o777 == 0o700
    recorded = json.loads((tmp_path / "a" / "b" / "trust-state.json").read_text(encoding="utf-8"))
    assert recorded["chains"][chain.chain_id] == {"version": 2, "sha256": chain.latest.digest,
                                                  "seen_at": "2026-11-22T03:00:00Z"}


def test_sign_latest_counts_only_the_newest_two_versions_root_keys() -> None:
    doc = tr.init_trust_root([k(1), k(5)], threshold=1, now=NOW)
    doc = tr.remove_key(doc, k(5).keyid, [k(1)], now=NOW, role="root")  # v2: root {k1}
    doc = tr.add_key(doc, "attestor", k(3).public, [k(1)], now=NOW)  # v3
    with pytest.raises(InputError, match="is not a root key of the newest two versions"):
        tr.sign_latest(doc, [k(5)], now=NOW)


def test_a_threshold_below_one_is_refused_before_signing() -> None:
    with pytest.raises(InputError, match="role attestor would need 0 of 1 key"):
        tr.set_threshold(two_of_two(), "attestor", 0, [k(1), k(2)], now=NOW)


def test_a_skipped_version_names_both_numbers() -> None:
    doc = two_of_two()
    meta = metadata_of(doc["chain"][1])
    meta["version"] = 3
    doc["chain"][1] = resign(meta, [k(1), k(2)])
    with pytest.raises(RollbackError, match="version 3 follows version 1; versions must go up by exactly one"):
        tr.verify_chain_document(doc, now=NOW)


def test_root_at_before_version_1_names_version_1s_issue_time() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW, expires=NOW + timedelta(days=30))
    doc = tr.add_key(doc, "attestor", k(3).public, [k(1)], now=NOW + timedelta(days=1))
    chain = tr.verify_chain_document(doc, now=NOW)
    with pytest.raises(InputError, match=r"2026-11-21T00:00:00Z is before version 1 was issued \(2026-11-22T03:00:00Z\)"):
        chain.root_at(datetime(2026, 11, 21, tzinfo=UTC))


def test_long_lists_of_schema_errors_are_cut_at_ten() -> None:
    with pytest.raises(MalformedTrustRoot) as document_errors:
        tr.verify_chain_document({"contract": tr.CONTRACT, "chain": [7] * 12}, now=NOW)
    assert str(document_errors.value).count("is not of type 'object'") == 10
    doc = two_of_two()
    meta = metadata_of(doc["chain"][1])
    meta["keys"] = {f"{i:064x}": {"keytype": "ed25519", "scheme": "ed25519"} for i in range(12)}  # 12 missing "public"
    doc["chain"][1] = resign(meta, [k(1), k(2)])
    with pytest.raises(MalformedTrustRoot) as metadata_errors:
        tr.verify_chain_document(doc, now=NOW)
    assert str(metadata_errors.value).count("'public' is a required property") == 10


def test_errors_in_key_entries_name_the_key_by_its_first_16_hex_digits() -> None:
    kid = k(3).keyid

    def bad_key(meta: dict[str, Any]) -> None:
        meta["keys"][kid] = k(7).public.to_json()  # another key under k3's id

    def bad_revoked(meta: dict[str, Any]) -> None:
        meta["revoked"][k(6).keyid] = dict(k(7).public.to_json(), revoked_at="2026-11-01T00:00:00Z")

    def bad_revoked_at(meta: dict[str, Any]) -> None:
        meta["revoked"][k(6).keyid] = dict(k(6).public.to_json(), revoked_at="2026-13-01T00:00:00Z")

    def both(meta: dict[str, Any]) -> None:
        meta["revoked"][kid] = dict(k(3).public.to_json(), revoked_at="2026-11-01T00:00:00Z")

    for change, text in ((bad_key, f"chain[1].keys.{kid[:16]}: "),
                         (bad_revoked, f"chain[1].revoked.{k(6).keyid[:16]}: "),
                         (bad_revoked_at, f"chain[1].revoked.{k(6).keyid[:16]}: "),
                         (both, f"key {kid[:16]} is both trusted and revoked")):
        doc = two_of_two()
        meta = metadata_of(doc["chain"][1])
        change(meta)
        doc["chain"][1] = resign(meta, [k(1), k(2)])
        with pytest.raises((InputError, SignatureError)) as caught:
            tr.verify_chain_document(doc, now=NOW)
        assert text in str(caught.value), (text, str(caught.value))
