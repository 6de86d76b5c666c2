"""The client against the real stand-in: edit, discard, record read-back, download, and a property test."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import Standin
from deposit_helpers import manifest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.zenodo.client import ZenodoClient
from archive.zenodo.errors import ZenodoNotFound
from archive.zenodo.vocabulary import check_publishable, check_shapes
from provenance.deposit.metadata import DepositOptions, build_metadata
from provenance.errors import InputError

GOOD = {"upload_type": "dataset", "title": "T", "creators": [{"name": "Doe, Jane"}], "description": "d",
        "publication_date": "2026-01-01", "license": "cc-by-4.0", "access_right": "open"}


def test_edit_published_metadata_keeps_the_doi(standin: Standin, tmp_path: Path) -> None:
    c = ZenodoClient(standin.url, "tok-rw")
    dep = c.create_deposition(GOOD)
    f = tmp_path / "a.zip"
    f.write_bytes(b"abc" * 1000)
    assert dep.bucket_url is not None
    c.upload(dep.bucket_url, "a.zip", f)
    pub = c.publish(dep.id)
    opened = c.edit(pub.id)
    assert opened.state == "inprogress" and c.edit(pub.id).id == pub.id  # idempotent
    c.update_metadata(pub.id, {**GOOD, "title": "Corrected title"})
    again = c.publish(pub.id)
    assert again.doi == pub.doi and again.metadata["title"] == "Corrected title" and again.state == "done"
    record = c.get_record(pub.id)
    assert record["metadata"]["title"] == "Corrected title"
    url = record["files"][0]["links"]["self"]
    got = c.download(url, tmp_path / "back.zip")
    assert got.md5 == hashlib.md5(f.read_bytes()).hexdigest()


def test_discard_edit_reverts_and_discard_draft_deletes(standin: Standin, tmp_path: Path) -> None:
    c = ZenodoClient(standin.url, "tok-rw")
    draft = c.create_deposition(GOOD)
    c.discard(draft.id)
    with pytest.raises(ZenodoNotFound):
        c.get_deposition(draft.id)
    dep = c.create_deposition(GOOD)
    f = tmp_path / "a.zip"
    f.write_bytes(b"x")
    assert dep.bucket_url is not None
    c.upload(dep.bucket_url, "a.zip", f)
    pub = c.publish(dep.id)
    c.edit(pub.id)
    c.update_metadata(pub.id, {**GOOD, "title": "Changed"})
    c.discard(pub.id)
    back = c.get_deposition(pub.id)
    assert back.metadata["title"] == "T" and back.state == "done" and back.doi == pub.doi


AUTHORS = st.lists(st.fixed_dictionaries({"name": st.text(max_size=30)},
                                         optional={"orcid": st.sampled_from(["0000-0002-1825-0097", "bad", ""])}),
                   max_size=3)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=60), authors=AUTHORS, upload_type=st.sampled_from(["dataset", "publication", "x"]))
def test_metadata_builder_either_refuses_or_gives_publishable_metadata(title: str, authors: list[dict[str, str]],
                                                                       upload_type: str) -> None:
    doc = manifest()
    doc["title"] = title
    doc["authors"] = authors
    try:
        md = build_metadata(doc, DepositOptions(bundle_id="sha256:" + "c" * 64, publication_date="2026-11-22",
                                                upload_type=upload_type))
    except InputError as exc:
        assert exc.exit_code == 2
        return
    assert check_publishable(md) == [] and check_shapes(md) == []
    assert md["title"].strip() and all(c["name"].strip() for c in md["creators"])
