"""A second, independent client (the `zenodo-client` package) against the stand-in.

It is written against real Zenodo (token in the query string, newversion via
``links.latest_draft``), so it passing here is evidence the stand-in is faithful
beyond our own client's assumptions. The test extras install it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Standin

from archive.zenodo.client import ZenodoClient


def test_zenodo_client_create_publish_new_version(standin: Standin, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTOW_HOME", str(tmp_path / "pystow"))  # it writes a README there on import, not in ~/.data
    zenodo_client = pytest.importorskip("zenodo_client")
    z = zenodo_client.Zenodo(access_token="tok-rw")
    z.base = standin.url
    z.api_base = standin.url + "/api"
    z.depositions_base = z.api_base + "/deposit/depositions"
    first = tmp_path / "data-v1.txt"
    first.write_text("version one\n")
    data = {"metadata": {"title": "Second client", "upload_type": "dataset", "description": "d",
                         "creators": [{"name": "Doe, Jane"}], "access_right": "open", "license": "cc-by-4.0",
                         "version": "0.0.1"}}
    res = z.create(data=data, paths=[first])
    assert res.status_code == 202, res.text
    v1 = res.json()
    assert v1["doi"] == f"10.5072/zenodo.{v1['id']}"

    second = tmp_path / "data-v2.txt"
    second.write_text("version two\n")
    res2 = z.update(deposition_id=str(v1["id"]), paths=[second])
    assert res2.status_code == 202, res2.text
    v2 = res2.json()
    assert v2["conceptrecid"] == v1["conceptrecid"] and v2["id"] != v1["id"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v2["metadata"]["version"])  # it forces date versions
    # it keeps carried-over files (a known zenodo-client weakness); ours deletes them
    ours = ZenodoClient(standin.url, "tok-rw").get_deposition(v2["id"])
    assert sorted(f.key for f in ours.files) == ["data-v1.txt", "data-v2.txt"]
