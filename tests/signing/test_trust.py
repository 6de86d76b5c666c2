"""Trust-root chain: rotation, revocation, thresholds, expiry, rollback and forks, each its own error."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing import trust as tr
from provenance.signing.dsse import sign_envelope
from provenance.signing.errors import (
    DuplicateSignatures,
    ExpiredRoot,
    ForkedRoot,
    KeyIdMismatch,
    MalformedTrustRoot,
    PayloadTypeMismatch,
    RevokedKey,
    RollbackError,
    SignatureError,
    TamperedPayload,
    ThresholdNotMet,
    UntrustedKey,
)
from provenance.signing.keys import SigningKey

NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def k(n: int) -> SigningKey:
    return SigningKey.from_seed(bytes([n]) * 32)


def base_chain() -> dict[str, Any]:
    """v1: root = {k1, k2} threshold 2; v2: attestor k3; v3: corrector k4."""
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW, expires=NOW + timedelta(days=365))
    doc = tr.add_key(doc, "attestor", k(3).public, [k(1), k(2)], now=NOW)
    return tr.add_key(doc, "corrector", k(4).public, [k(1), k(2)], now=NOW)


def metadata_of(envelope: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = loads_strict(base64.b64decode(envelope["payload"]))
    return result


def resign(metadata: dict[str, Any], signers: list[SigningKey]) -> dict[str, Any]:
    return sign_envelope(canonical_bytes(metadata), tr.PAYLOAD_TYPE, signers)


def test_chain_walks_every_version() -> None:
    chain = tr.verify_chain_document(base_chain(), now=NOW)
    assert [r.version for r in chain.versions] == [1, 2, 3]
    trusted, threshold = chain.latest.keys_for("attestor")
    assert list(trusted) == [k(3).keyid] and threshold == 1
    assert chain.latest.keys_for("root")[1] == 2
    assert chain.chain_id == chain.versions[0].digest


def test_init_requires_threshold_within_keys() -> None:
    with pytest.raises(InputError):
        tr.init_trust_root([k(1)], threshold=2, now=NOW)
    with pytest.raises(InputError):
        tr.init_trust_root([k(1), k(1)], threshold=2, now=NOW)  # the same key twice is one key


def test_next_version_needs_threshold_of_old_root_keys() -> None:
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW)
    with pytest.raises(ThresholdNotMet):
        tr.add_key(doc, "attestor", k(3).public, [k(1)], now=NOW)


def test_next_version_signed_by_new_root_keys_only_is_rejected() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW)
    # Rotation: k5 replaces k1 as root; signed only by k5, the old root never agreed.
    meta = metadata_of(doc["chain"][0])
    meta.update(version=2, previous=tr.verify_chain_document(doc, now=NOW).latest.digest)
    meta["keys"] = {k(5).keyid: k(5).public.to_json()}
    meta["roles"]["root"]["keyids"] = [k(5).keyid]
    doc["chain"].append(resign(meta, [k(5)]))
    with pytest.raises(UntrustedKey, match="version 1's root keys"):
        tr.verify_chain_document(doc, now=NOW)


def test_root_rotation_signed_by_old_and_new() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW)
    doc = tr.add_key(doc, "root", k(5).public, [k(1), k(5)], now=NOW)
    doc = tr.remove_key(doc, k(1).keyid, [k(1), k(5)], now=NOW)
    latest = tr.verify_chain_document(doc, now=NOW).latest
    assert latest.roles["root"].keyids == (k(5).keyid,)
    assert k(1).keyid in latest.revoked
    # After rotation the old key alone cannot make version 4.
    with pytest.raises(SignatureError):
        tr.set_threshold(doc, "attestor", 1, [k(1)], now=NOW)


def test_adding_a_root_key_requires_its_own_signature_too() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW)
    with pytest.raises(ThresholdNotMet):
        tr.add_key(doc, "root", k(5).public, [k(1)], now=NOW, threshold=2)


def test_revoked_key_signature_is_rejected_as_revoked() -> None:
    doc = tr.remove_key(base_chain(), k(3).keyid, [k(1), k(2)], now=NOW)
    root = tr.verify_chain_document(doc, now=NOW).latest
    with pytest.raises(RevokedKey):
        root.verify(sign_envelope(b"x", "application/vnd.in-toto+json", [k(3)]), "attestor")


def test_revoked_key_cannot_be_added_back() -> None:
    doc = tr.remove_key(base_chain(), k(3).keyid, [k(1), k(2)], now=NOW)
    with pytest.raises(InputError, match="revoked"):
        tr.add_key(doc, "attestor", k(3).public, [k(1), k(2)], now=NOW)


def test_remove_from_one_role_keeps_the_key_elsewhere() -> None:
    doc = tr.add_key(base_chain(), "log", k(3).public, [k(1), k(2)], now=NOW)
    doc = tr.remove_key(doc, k(3).keyid[:12], [k(1), k(2)], now=NOW, role="attestor")
    root = tr.verify_chain_document(doc, now=NOW).latest
    assert k(3).keyid in root.roles["log"].keyids and not root.revoked


def test_expired_root() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW, expires=NOW + timedelta(days=1))
    tr.verify_chain_document(doc, now=NOW)
    with pytest.raises(ExpiredRoot):
        tr.verify_chain_document(doc, now=NOW + timedelta(days=2))


def test_expired_root_can_be_renewed_by_its_root_keys() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW, expires=NOW + timedelta(days=1))
    later = NOW + timedelta(days=5)
    doc = tr.renew(doc, [k(1)], now=later, expires=later + timedelta(days=30))
    assert tr.verify_chain_document(doc, now=later).latest.version == 2


def test_rollback_to_an_older_root_with_known_chain(tmp_path: Path) -> None:
    new = base_chain()
    old = copy.deepcopy(new)
    old["chain"] = old["chain"][:2]
    known = tr.verify_chain_document(new, now=NOW)
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(RollbackError):
        tr.load_trust_chain(tmp_path / "old.json", now=NOW, known=known)


def test_rollback_to_an_older_root_with_state_file(tmp_path: Path) -> None:
    new = base_chain()
    old = copy.deepcopy(new)
    old["chain"] = old["chain"][:2]
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "old.json").write_text(json.dumps(old))
    state = tr.TrustState(tmp_path / "state.json")
    tr.load_trust_chain(tmp_path / "old.json", now=NOW, state=state)  # first seen: fine
    tr.load_trust_chain(tmp_path / "new.json", now=NOW, state=state)  # newer: fine, remembered
    with pytest.raises(RollbackError):
        tr.load_trust_chain(tmp_path / "old.json", now=NOW, state=state)


def test_forked_root_same_version_other_bytes(tmp_path: Path) -> None:
    a = base_chain()
    b = tr.add_key(tr.add_key(tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW,
                                                  expires=NOW + timedelta(days=365)),
                              "attestor", k(3).public, [k(1), k(2)], now=NOW),
                   "corrector", k(6).public, [k(1), k(2)], now=NOW)
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    state = tr.TrustState(tmp_path / "state.json")
    tr.load_trust_chain(tmp_path / "a.json", now=NOW, state=state)
    with pytest.raises(ForkedRoot):
        tr.load_trust_chain(tmp_path / "b.json", now=NOW, state=state)
    with pytest.raises(ForkedRoot):
        tr.check_not_rollback(tr.verify_chain_document(b, now=NOW), tr.verify_chain_document(a, now=NOW))


def test_rollback_version_not_exactly_plus_one() -> None:
    doc = base_chain()
    meta = metadata_of(doc["chain"][2])
    meta["version"] = 5  # N -> N+2
    doc["chain"][2] = resign(meta, [k(1), k(2)])
    with pytest.raises(RollbackError, match="up by exactly one"):
        tr.verify_chain_document(doc, now=NOW)


def test_rollback_same_version_twice() -> None:
    doc = base_chain()
    meta = metadata_of(doc["chain"][1])
    meta["previous"] = tr.verify_chain_document(doc, now=NOW).versions[1].digest
    doc["chain"].append(resign(meta, [k(1), k(2)]))  # version 2 again after version 3
    with pytest.raises(RollbackError):
        tr.verify_chain_document(doc, now=NOW)


def test_reordered_chain_is_rejected() -> None:
    doc = base_chain()
    doc["chain"] = [doc["chain"][0], doc["chain"][2], doc["chain"][1]]
    with pytest.raises(RollbackError):
        tr.verify_chain_document(doc, now=NOW)


def test_threshold_met_only_by_duplicates_of_one_root_key() -> None:
    doc = base_chain()
    meta = metadata_of(doc["chain"][2])
    env = resign(meta, [k(1)])
    env["signatures"] = [env["signatures"][0], dict(env["signatures"][0])]
    doc["chain"][2] = env
    with pytest.raises(DuplicateSignatures):
        tr.verify_chain_document(doc, now=NOW)


def test_key_id_mismatch_in_trust_root() -> None:
    doc = base_chain()
    meta = metadata_of(doc["chain"][2])
    # An attacker swaps the attestor's key material under the trusted key id.
    meta["keys"][k(3).keyid] = k(6).public.to_json()
    doc["chain"][2] = resign(meta, [k(1), k(2)])
    with pytest.raises(KeyIdMismatch):
        tr.verify_chain_document(doc, now=NOW)


def test_tampered_trust_root_payload() -> None:
    doc = base_chain()
    meta = metadata_of(doc["chain"][2])
    meta["roles"]["attestor"]["keyids"].append(k(6).keyid)
    meta["keys"][k(6).keyid] = k(6).public.to_json()
    doc["chain"][2]["payload"] = base64.b64encode(canonical_bytes(meta)).decode()
    with pytest.raises(TamperedPayload):
        tr.verify_chain_document(doc, now=NOW)


def test_swapped_payload_type_in_trust_root() -> None:
    doc = base_chain()
    doc["chain"][1]["payloadType"] = "application/vnd.in-toto+json"
    with pytest.raises(PayloadTypeMismatch):
        tr.verify_chain_document(doc, now=NOW)


def test_not_a_trust_root_document() -> None:
    with pytest.raises(MalformedTrustRoot):
        tr.verify_chain_document({"contract": "trust-root-v1", "chain": []}, now=NOW)
    doc = base_chain()
    meta = metadata_of(doc["chain"][0])
    del meta["roles"]["log"]
    doc["chain"][0] = resign(meta, [k(1), k(2)])
    with pytest.raises(MalformedTrustRoot, match="log"):
        tr.verify_chain_document(doc, now=NOW)


def test_partial_version_then_sign_latest() -> None:
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW)
    doc = tr.add_key(doc, "log", k(3).public, [k(1)], now=NOW, partial=True)
    with pytest.raises(ThresholdNotMet):
        tr.verify_chain_document(doc, now=NOW)
    doc = tr.sign_latest(doc, [k(2)], now=NOW)
    assert tr.verify_chain_document(doc, now=NOW).latest.roles["log"].keyids == (k(3).keyid,)


def test_unknown_fields_survive_in_the_file(tmp_path: Path) -> None:
    doc = base_chain()
    doc["comment"] = "kept"
    doc = tr.add_key(doc, "log", k(5).public, [k(1), k(2)], now=NOW)
    assert doc["comment"] == "kept"


ops = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "threshold"]), st.sampled_from(["attestor", "corrector", "log"]),
              st.integers(3, 8)),
    max_size=6,
)


@settings(max_examples=25, deadline=None)
@given(ops=ops)
def test_property_chain_round_trip(ops: list[tuple[str, str, int]]) -> None:
    """Any sequence of valid updates yields a chain that verifies, version by version, and matches a model."""
    doc = tr.init_trust_root([k(1), k(2)], threshold=1, now=NOW, expires=LATER)
    model: dict[str, set[str]] = {"attestor": set(), "corrector": set(), "log": set()}
    revoked: set[str] = set()
    for op, role, n in ops:
        keyid = k(n).keyid
        try:
            if op == "add":
                doc = tr.add_key(doc, role, k(n).public, [k(1)], now=NOW)
                model[role].add(keyid)
            elif op == "remove":
                doc = tr.remove_key(doc, keyid, [k(2)], now=NOW, role=role)
                model[role].discard(keyid)
                if not any(keyid in v for v in model.values()):
                    revoked.add(keyid)
            else:
                doc = tr.set_threshold(doc, role, 1, [k(1), k(2)], now=NOW)
        except InputError:
            continue  # an update that makes no sense (already there, revoked, not there) is refused whole
    chain = tr.verify_chain_document(json.loads(json.dumps(doc)), now=NOW)
    assert [r.version for r in chain.versions] == list(range(1, len(chain.versions) + 1))
    for role, keyids in model.items():
        assert set(chain.latest.roles[role].keyids) == keyids
    assert set(chain.latest.revoked) == revoked
    # Every prefix of the chain is a valid older root, and the full chain extends it.
    for cut in range(1, len(chain.versions) + 1):
        older = dict(doc, chain=doc["chain"][:cut])
        tr.check_not_rollback(chain, tr.verify_chain_document(older, now=NOW))
        if cut < len(chain.versions):
            with pytest.raises(RollbackError):
                tr.check_not_rollback(tr.verify_chain_document(older, now=NOW), chain)


def test_root_at_picks_the_version_in_effect() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW, expires=NOW + timedelta(days=400))
    doc = tr.add_key(doc, "attestor", k(3).public, [k(1)], now=NOW + timedelta(days=1))
    doc = tr.remove_key(doc, k(3).keyid, [k(1)], now=NOW + timedelta(days=10))
    chain = tr.verify_chain_document(doc, now=NOW + timedelta(days=11))
    assert chain.root_at(NOW + timedelta(days=5)).version == 2
    assert k(3).keyid in chain.root_at(NOW + timedelta(days=5)).keys_for("attestor")[0]
    assert chain.root_at(NOW + timedelta(days=10)).version == 3
    with pytest.raises(InputError):
        chain.root_at(NOW - timedelta(days=1))


@pytest.mark.parametrize("name", ["trust-root-v1", "source-provenance-v1"])
def test_every_schema_property_has_a_description(name: str) -> None:
    from provenance.schemas import load_schema

    missing: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for prop, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{path}.{prop}")
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(load_schema(name), "$")
    assert missing == []


def test_removing_a_key_never_lowers_a_threshold_silently() -> None:
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW)
    with pytest.raises(InputError, match="set-threshold"):
        tr.remove_key(doc, k(2).keyid, [k(1), k(2)], now=NOW)
    doc = tr.set_threshold(doc, "root", 1, [k(1), k(2)], now=NOW)
    doc = tr.remove_key(doc, k(2).keyid, [k(1), k(2)], now=NOW)
    assert tr.verify_chain_document(doc, now=NOW).latest.roles["root"] == tr.Role((k(1).keyid,), 1)


def test_library_never_reads_the_trust_state_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (issue 12): load_trust_chain(state=None) read PROVENANCE_TRUST_STATE and wrote a file."""
    new = base_chain()
    old = dict(new, chain=new["chain"][:1])
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "old.json").write_text(json.dumps(old))
    monkeypatch.setenv("PROVENANCE_TRUST_STATE", str(tmp_path / "seen.json"))
    assert tr.load_trust_root(tmp_path / "new.json", now=NOW).version == 3
    assert tr.load_trust_root(tmp_path / "old.json", now=NOW).version == 1  # no state asked: none kept
    assert not (tmp_path / "seen.json").exists()


def test_state_outcome_pins_then_advances_then_stays(tmp_path: Path) -> None:
    new = base_chain()
    old = dict(new, chain=new["chain"][:1])
    state = tr.TrustState(tmp_path / "deep" / "state.json")
    first = state.check_and_record(tr.verify_chain_document(old, now=NOW), where="t", now=NOW)
    assert (first.status, first.version, first.previous_version) == ("pinned", 1, None)
    assert first.chain_id == tr.verify_chain_document(old, now=NOW).chain_id
    second = state.check_and_record(tr.verify_chain_document(new, now=NOW), where="t", now=NOW)
    assert (second.status, second.version, second.previous_version) == ("advanced", 3, 1)
    third = state.check_and_record(tr.verify_chain_document(new, now=NOW), where="t", now=NOW)
    assert third.status == "unchanged"
    assert oct((tmp_path / "deep" / "state.json").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("bad", [{"chains": []}, {"chains": {"x": {"version": 0, "sha256": "a"}}},
                                 {"chains": {"x": {"version": "2", "sha256": "a"}}}, []])
def test_a_state_file_of_another_shape_is_input_error(tmp_path: Path, bad: Any) -> None:
    (tmp_path / "state.json").write_text(json.dumps(bad))
    with pytest.raises(InputError, match="not a trust-state file"):
        tr.TrustState(tmp_path / "state.json").check_and_record(tr.verify_chain_document(base_chain(), now=NOW),
                                                                 where="t")


def test_sign_latest_refuses_keys_that_are_not_root_keys() -> None:
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW)
    doc = tr.add_key(doc, "log", k(3).public, [k(1)], now=NOW, partial=True)
    with pytest.raises(InputError, match="not a root key"):
        tr.sign_latest(doc, [k(3)], now=NOW)


# ---- issue 13 item 19: one test per guard that survived its removal under mutation testing


def _with_latest(change: Any, signers: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """base_chain() whose version 3 metadata is changed by ``change`` and re-signed."""
    doc = base_chain()
    meta = metadata_of(doc["chain"][2])
    change(meta)
    doc["chain"][2] = resign(meta, [k(n) for n in signers])
    return doc


def test_guard_a_key_both_trusted_and_revoked_in_one_root() -> None:
    def both(meta: dict[str, Any]) -> None:
        meta["revoked"][k(3).keyid] = dict(k(3).public.to_json(), revoked_at="2026-11-01T00:00:00Z")

    with pytest.raises(MalformedTrustRoot, match="both trusted and revoked"):
        tr.verify_chain_document(_with_latest(both), now=NOW)


def test_guard_writing_an_under_signed_version_says_how_to_finish_it() -> None:
    doc = tr.init_trust_root([k(1), k(2)], threshold=2, now=NOW)
    with pytest.raises(ThresholdNotMet, match="--partial") as old_keys:
        tr.add_key(doc, "attestor", k(3).public, [k(1)], now=NOW)
    assert "version 1's root keys" in str(old_keys.value)
    # The old root agrees, but the new root key k5 (threshold 3 of 3) has not signed.
    with pytest.raises(ThresholdNotMet, match="own root keys") as own_keys:
        tr.add_key(doc, "root", k(5).public, [k(1), k(2)], now=NOW, threshold=3)
    assert "--partial" in str(own_keys.value)


def test_guard_a_role_threshold_above_its_key_count() -> None:
    def too_high(meta: dict[str, Any]) -> None:
        meta["roles"]["attestor"]["threshold"] = 2

    with pytest.raises(MalformedTrustRoot, match="role attestor threshold 2 exceeds its 1 key"):
        tr.verify_chain_document(_with_latest(too_high), now=NOW)

    def root_too_high(meta: dict[str, Any]) -> None:
        meta["roles"]["root"]["threshold"] = 3

    with pytest.raises(MalformedTrustRoot, match="role root threshold 3 exceeds its 2 key"):
        tr.verify_chain_document(_with_latest(root_too_high), now=NOW)
    with pytest.raises(InputError, match="would need 2 of 1"):
        tr.set_threshold(base_chain(), "attestor", 2, [k(1), k(2)], now=NOW)


def test_an_empty_role_may_keep_its_threshold_of_one() -> None:
    assert tr.verify_chain_document(base_chain(), now=NOW).latest.roles["log"] == tr.Role((), 1)


def test_guard_duplicate_key_ids_in_a_role() -> None:
    def twice(meta: dict[str, Any]) -> None:
        meta["roles"]["attestor"]["keyids"] = [k(3).keyid, k(3).keyid]

    with pytest.raises(MalformedTrustRoot, match="non-unique"):  # the schema's uniqueItems is the one guard
        tr.verify_chain_document(_with_latest(twice), now=NOW)


@pytest.mark.parametrize("role", ["attestor", "root"])
def test_guard_a_role_naming_an_unknown_key(role: str) -> None:
    def unknown(meta: dict[str, Any]) -> None:
        meta["roles"][role]["keyids"] = sorted([*meta["roles"][role]["keyids"], k(6).keyid])

    with pytest.raises(MalformedTrustRoot, match=f"role {role} names key {k(6).keyid[:16]} that is not in keys"):
        tr.verify_chain_document(_with_latest(unknown), now=NOW)


@pytest.mark.parametrize("payload", [b"not json", b'{"a": 1, "a": 2}', b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_guard_a_signed_payload_that_is_not_trust_metadata(payload: bytes) -> None:
    doc = base_chain()
    doc["chain"][2] = sign_envelope(payload, tr.PAYLOAD_TYPE, [k(1), k(2)])
    with pytest.raises(MalformedTrustRoot) as info:
        tr.verify_chain_document(doc, now=NOW)
    assert "chain[2]" in str(info.value)


@pytest.mark.parametrize("field", ["expires", "issued"])
@pytest.mark.parametrize("text", ["2027-11-22T02:00:00+02:00", "2027-11-22T00:00:00", "2027-11-22",
                                  "2027-11-22T00:00:00.5Z", "2027-11-22t00:00:00z"])
def test_guard_times_are_utc_with_z_only(field: str, text: str) -> None:
    with pytest.raises(MalformedTrustRoot, match=field):
        tr.verify_chain_document(_with_latest(lambda meta: meta.update({field: text})), now=NOW)


def test_guard_removing_the_last_root_key_is_refused() -> None:
    doc = tr.init_trust_root([k(1)], now=NOW)
    with pytest.raises(InputError, match="keep at least one root key"):
        tr.remove_key(doc, k(1).keyid, [k(1)], now=NOW, role="root")
    with pytest.raises(InputError, match="keep at least one root key"):
        tr.remove_key(doc, k(1).keyid, [k(1)], now=NOW)


def test_guard_unknown_roles_are_refused_by_every_update() -> None:
    doc = base_chain()
    for update in (lambda: tr.add_key(doc, "janitor", k(6).public, [k(1), k(2)], now=NOW),
                   lambda: tr.remove_key(doc, k(3).keyid, [k(1), k(2)], now=NOW, role="janitor"),
                   lambda: tr.set_threshold(doc, "janitor", 1, [k(1), k(2)], now=NOW)):
        with pytest.raises(InputError, match="unknown role 'janitor'"):
            update()
