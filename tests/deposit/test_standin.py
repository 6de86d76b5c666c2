"""The stand-in behaves like Zenodo as deployed (reference/zenodo-api.md sections 1-8, 12)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Standin

from archive.zenodo.standin import StandinConfig, StandinServer

RW = {"Authorization": "Bearer tok-rw"}
W = {"Authorization": "Bearer tok-w"}
GOOD = {"upload_type": "dataset", "title": "T", "creators": [{"name": "Doe, Jane"}], "description": "d",
        "publication_date": "2026-01-01", "license": "cc-by", "access_right": "open"}


def api(s: Standin, path: str) -> str:
    return s.url + "/api" + path


def create(s: Standin, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    r = httpx.post(api(s, "/deposit/depositions"), json={"metadata": metadata} if metadata else {}, headers=RW)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def upload(s: Standin, dep: dict[str, Any], key: str, data: bytes) -> httpx.Response:
    return httpx.put(dep["links"]["bucket"] + "/" + key, content=data, headers=RW)


def published(s: Standin, data: bytes = b"payload") -> dict[str, Any]:
    dep = create(s, GOOD)
    assert upload(s, dep, "a.zip", data).status_code == 201
    r = httpx.post(api(s, f"/deposit/depositions/{dep['id']}/actions/publish"), headers=RW)
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


def test_anonymous_is_403_and_bad_token_401(standin: Standin) -> None:
    assert httpx.get(api(standin, "/deposit/depositions")).status_code == 403
    assert httpx.get(api(standin, "/deposit/depositions"), headers={"Authorization": "Bearer nope"}).status_code == 401


def test_create_shape_rules(standin: Standin) -> None:
    r = httpx.post(api(standin, "/deposit/depositions"), content=b"{}", headers=RW)
    assert r.status_code == 415
    r = httpx.post(api(standin, "/deposit/depositions"), json={"metadata": {}, "files": []}, headers=RW)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "files"
    assert standin.state()["depositions"] == {}
    dep = create(standin)
    assert dep["state"] == "unsubmitted" and dep["submitted"] is False and isinstance(dep["conceptrecid"], str)
    assert dep["metadata"]["prereserve_doi"] == {"doi": f"10.5281/zenodo.{dep['id']}", "recid": dep["id"]}
    assert "doi" not in dep and "bucket" in dep["links"]


def test_put_replaces_metadata_and_drops_unknown_keys(standin: Standin) -> None:
    dep = create(standin, {"title": "first", "keywords": ["k"]})
    r = httpx.put(api(standin, f"/deposit/depositions/{dep['id']}"), headers=RW,
                  json={"metadata": {"title": "second", "license": "CC-ZERO", "invented": 1}})
    assert r.status_code == 200
    md = r.json()["metadata"]
    assert md["title"] == "second" and "keywords" not in md and "invented" not in md and md["license"] == "cc0-1.0"
    bad = httpx.put(api(standin, f"/deposit/depositions/{dep['id']}"), headers=RW,
                    json={"metadata": {"license": "nonsense", "related_identifiers": [{"identifier": "x",
                                                                                        "relation": "likes"}]}})
    assert bad.status_code == 400
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"metadata.license", "metadata.related_identifiers.0.relation"}
    assert all(isinstance(e["messages"], list) for e in bad.json()["errors"])


def test_upload_checksums_and_listing_forms(standin: Standin) -> None:
    dep = create(standin)
    data = b"hello world" * 100
    r = upload(standin, dep, "a.zip", data)
    assert r.status_code == 201 and r.json()["checksum"] == "md5:" + hashlib.md5(data).hexdigest()
    files = httpx.get(api(standin, f"/deposit/depositions/{dep['id']}/files"), headers=RW).json()
    assert files[0]["checksum"] == hashlib.md5(data).hexdigest() and files[0]["filesize"] == len(data)
    lst = httpx.get(api(standin, "/deposit/depositions"), headers=RW).json()
    assert isinstance(lst, list) and "bucket" not in lst[0]["links"]
    assert httpx.put(api(standin, f"/deposit/depositions/{dep['id']}/files"), headers=RW, json=[]).status_code == 405
    chunked = httpx.put(dep["links"]["bucket"] + "/b.zip", content=iter([b"abc"]), headers=RW)
    assert chunked.status_code == 411


def test_publish_needs_files_and_fields_all_at_once(standin: Standin) -> None:
    dep = create(standin, {"title": "only a title"})
    r = httpx.post(api(standin, f"/deposit/depositions/{dep['id']}/actions/publish"), headers=RW)
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"files.enabled", "metadata.creators", "metadata.description", "metadata.upload_type"} <= fields


def test_publish_mints_test_dois_and_repeat_is_404(standin: Standin) -> None:
    pub = published(standin)
    assert pub["doi"] == f"10.5072/zenodo.{pub['id']}" and pub["conceptdoi"] == f"10.5072/zenodo.{pub['conceptrecid']}"
    assert pub["state"] == "done" and pub["submitted"] is True
    again = httpx.post(api(standin, f"/deposit/depositions/{pub['id']}/actions/publish"), headers=RW)
    assert again.status_code == 404
    dep_files = httpx.get(api(standin, f"/deposit/depositions/{pub['id']}/files"), headers=RW).json()
    delete = httpx.delete(api(standin, f"/deposit/depositions/{pub['id']}/files/{dep_files[0]['id']}"), headers=RW)
    assert delete.status_code == 403
    rec = httpx.get(api(standin, f"/records/{pub['id']}")).json()
    assert rec["files"][0]["checksum"].startswith("md5:")


def test_write_scope_cannot_publish(standin: Standin) -> None:
    dep = create(standin, GOOD)
    upload(standin, dep, "a.zip", b"x")
    r = httpx.post(api(standin, f"/deposit/depositions/{dep['id']}/actions/publish"), headers=W)
    assert r.status_code == 403 and "deposit:actions" in r.json()["message"]


def test_newversion_returns_new_draft_then_refuses_while_it_has_files(standin: Standin) -> None:
    pub = published(standin, b"v1 data")
    r = httpx.post(api(standin, f"/deposit/depositions/{pub['id']}/actions/newversion"), headers=RW)
    assert r.status_code == 201
    draft = r.json()
    assert draft["id"] != pub["id"] and draft["conceptrecid"] == pub["conceptrecid"]
    assert "version" not in draft["metadata"] and "doi" not in draft
    assert [f["checksum"] for f in draft["files"]] == [hashlib.md5(b"v1 data").hexdigest()]
    again = httpx.post(api(standin, f"/deposit/depositions/{pub['id']}/actions/newversion"), headers=RW)
    assert again.status_code == 400 and again.json()["errors"][0]["messages"] == ["Please remove all files first."]


def test_discard_is_204_then_404(standin: Standin) -> None:
    dep = create(standin)
    url = api(standin, f"/deposit/depositions/{dep['id']}/actions/discard")
    assert httpx.post(url, headers=RW).status_code == 204
    assert httpx.get(api(standin, f"/deposit/depositions/{dep['id']}"), headers=RW).status_code == 404


def test_quota_and_max_files(tmp_path: Path) -> None:
    with StandinServer(tmp_path, StandinConfig(quota_bytes=10, max_files=1)) as server:
        s = Standin(server)
        dep = create(s)
        assert upload(s, dep, "a.zip", b"12345").status_code == 201
        over = upload(s, dep, "a.zip", b"x" * 11)
        assert over.status_code == 400 and over.json()["message"] == "Bucket quota exceeded."
        assert upload(s, dep, "b.zip", b"1").status_code == 400


def test_rate_limit_headers_and_429(tmp_path: Path) -> None:
    with StandinServer(tmp_path, StandinConfig(rate_limit=3)) as server:
        url = server.base_url + "/api/deposit/depositions"
        codes = [httpx.get(url, headers=RW) for _ in range(4)]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert codes[0].headers["X-RateLimit-Limit"] == "3" and codes[2].headers["X-RateLimit-Remaining"] == "0"
        assert int(codes[3].headers["Retry-After"]) >= 1 and codes[3].json()["message"] == "3 per 1 minute"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    with StandinServer(tmp_path) as server:
        pub = published(Standin(server), b"kept")
    with StandinServer(tmp_path) as server:
        r = httpx.get(server.base_url + f"/api/deposit/depositions/{pub['id']}", headers=RW)
        assert r.status_code == 200 and r.json()["doi"] == pub["doi"]
        key = r.json()["files"][0]["filename"]
        content = httpx.get(server.base_url + f"/api/records/{pub['id']}/files/{key}/content")
        assert content.content == b"kept"


def test_fault_status_with_html_body(standin: Standin) -> None:
    standin.faults({"method": "GET", "path_regex": "/deposit/depositions$", "times": 1,
                    "action": {"type": "status", "code": 504, "body": "<html>504</html>", "content_type": "text/html"}})
    first = httpx.get(api(standin, "/deposit/depositions"), headers=RW)
    assert first.status_code == 504 and first.headers["content-type"] == "text/html"
    assert httpx.get(api(standin, "/deposit/depositions"), headers=RW).status_code == 200
    assert len(standin.state()["fault_log"]) == 1


@pytest.mark.parametrize("mode", ["rdm", "doc"])
def test_client_follows_either_newversion_behaviour(tmp_path: Path, mode: str) -> None:
    from archive.zenodo.client import ZenodoClient

    with StandinServer(tmp_path, StandinConfig(newversion_mode=mode)) as server:
        pub = published(Standin(server))
        c = ZenodoClient(server.base_url, "tok-rw")
        draft = c.new_version(pub["id"])
        assert draft.id != pub["id"] and not draft.submitted and draft.bucket_url


def test_clock_freezes_today_and_query_token_is_accepted(standin: Standin) -> None:
    httpx.post(standin.url + "/_control/clock", json={"today": "2031-02-03"}).raise_for_status()
    r = httpx.post(api(standin, "/deposit/depositions") + "?access_token=tok-rw", json={})
    assert r.status_code == 201 and r.json()["metadata"]["publication_date"] == "2031-02-03"
    assert all("access_token" not in entry["path"] for entry in standin.state()["requests"])
