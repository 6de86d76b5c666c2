"""The stand-in against Zenodo on InvenioRDM (``reference/zenodo-api.md``, section "Zenodo on
InvenioRDM"), checked over real HTTP with our client, with raw requests, and with the
zenodo-client package where it exercises the behaviour."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import Standin

from archive.zenodo.client import Deposition, ZenodoClient

GOOD = {"upload_type": "dataset", "title": "T", "creators": [{"name": "Doe, Jane"}], "description": "d",
        "publication_date": "2026-01-01", "license": "cc-by-4.0", "access_right": "open"}
AUTH = {"Authorization": "Bearer tok-rw"}


def _two_versions(c: ZenodoClient, tmp_path: Path) -> tuple[Deposition, Deposition]:
    f = tmp_path / "a.zip"
    f.write_bytes(b"one")
    draft = c.create_deposition(GOOD)
    assert draft.bucket_url is not None
    c.upload(draft.bucket_url, "a.zip", f)
    v1 = c.publish(draft.id)
    nv = c.new_version(v1.id)
    assert "latest" not in nv.links  # drafts carry no latest
    f.write_bytes(b"two")
    for stored in nv.files:
        c.delete_file(nv.id, stored.file_id)
    assert nv.bucket_url is not None
    c.upload(nv.bucket_url, "a.zip", f)
    c.update_metadata(nv.id, {**GOOD, "version": "2"})
    return v1, c.publish(nv.id)


def test_links_latest_is_the_records_own_versions_latest_answering_301_to_the_latest(
        standin: Standin, tmp_path: Path) -> None:
    c = ZenodoClient(standin.url, "tok-rw")
    v1, v2 = _two_versions(c, tmp_path)
    rec1, rec2 = c.get_record(v1.id), c.get_record(v2.id)
    assert rec1["links"]["latest"] == f"{standin.url}/api/records/{v1.id}/versions/latest"
    assert c.get_deposition(v1.id).links["latest"] == rec1["links"]["latest"]
    answer = httpx.get(rec1["links"]["latest"], follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["Location"] == rec2["links"]["self"]
    assert c.latest_version(v1.id)["id"] == v2.id  # followed, not parsed
    assert c.latest_version(v2.id)["id"] == v2.id
    concept = httpx.get(f"{standin.url}/api/records/{v1.conceptrecid}", follow_redirects=False)
    assert concept.status_code == 302 and concept.headers["Location"] == rec2["links"]["self"]


def test_zenodo_client_reads_links_latest_as_it_does_on_zenodo_today(standin: Standin, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTOW_HOME", str(tmp_path / "pystow"))
    zenodo_client = pytest.importorskip("zenodo_client")
    c = ZenodoClient(standin.url, "tok-rw")
    v1, v2 = _two_versions(c, tmp_path)
    z = zenodo_client.Zenodo(access_token="tok-rw")
    z.base = standin.url
    z.api_base = standin.url + "/api"
    z.depositions_base = z.api_base + "/deposit/depositions"
    # zenodo-client 0.4 takes split("/")[-3] of links.latest: against the InvenioRDM shape that is the
    # record's own id (as against Zenodo now), no longer the 'api' the pre-2023 shape gave it here.
    assert z.get_latest_record(str(v1.id)) == str(v1.id)
    assert z.get_latest_record(str(v2.id)) == str(v2.id)


def test_publication_date_is_defaulted_to_today_on_a_put_that_omits_it(standin: Standin) -> None:
    httpx.post(standin.url + "/_control/clock", json={"today": "2031-02-03"}).raise_for_status()
    c = ZenodoClient(standin.url, "tok-rw")
    dep = c.create_deposition({"title": "T"})
    without = {k: v for k, v in GOOD.items() if k != "publication_date"}
    put = httpx.put(f"{standin.url}/api/deposit/depositions/{dep.id}", json={"metadata": without}, headers=AUTH)
    assert put.status_code == 200
    assert put.json()["metadata"]["publication_date"] == "2031-02-03"
    assert c.get_deposition(dep.id).metadata["publication_date"] == "2031-02-03"


def test_bucket_listing_answers_500_like_zenodo_unless_the_quirk_switch_asks_for_200(standin: Standin) -> None:
    c = ZenodoClient(standin.url, "tok-rw")
    dep = c.create_deposition(GOOD)
    assert dep.bucket_url is not None
    assert httpx.get(dep.bucket_url, headers=AUTH).status_code == 500
    standin.config(bucket_list_500_bug=False)
    listing = httpx.get(dep.bucket_url, headers=AUTH)
    assert listing.status_code == 200 and listing.json() == {"contents": []}
