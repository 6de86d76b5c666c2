"""A deposit against a server that cannot be reached (a mistyped URL): the journal says nothing was
sent, and it can always be discarded. Real sockets on 127.0.0.1: a port nobody listens on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from archive.depositor import Depositor
from archive.journal import Journal, JournalFile
from archive.zenodo.client import ZenodoClient
from archive.zenodo.errors import ZenodoConnectError
from archive.zenodo.repository import ZenodoRepository
from archive.zenodo.retry import RetryPolicy


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _journal(tmp_path: Path, url: str) -> Journal:
    f = tmp_path / "b.zip"
    f.write_bytes(b"zip")
    files = [JournalFile("b.zip", str(f), 3, "0" * 32, "0" * 64)]
    return Journal.create(tmp_path / "j.json", target={"kind": "zenodo", "url": url}, record_id="r",
                          bundle_id="b", files=files, metadata={"title": "T"}, publish=False, marker="m",
                          previous=None)


def _depositor(url: str, journal: Journal) -> Depositor:
    client = ZenodoClient(url, "tok", retry=RetryPolicy(attempts=2), sleep=lambda s: None, marker_search_seconds=0)
    return Depositor(ZenodoRepository(client), journal)


def test_a_create_that_never_reached_the_server_leaves_the_journal_prepared(tmp_path: Path) -> None:
    url = _dead_url()
    journal = _journal(tmp_path, url)
    with pytest.raises(ZenodoConnectError, match="never reached the server"):
        _depositor(url, journal).run()
    assert Journal.load(journal.path).phase == "prepared"


def test_a_journal_after_a_mistyped_url_is_always_discardable(tmp_path: Path) -> None:
    url = _dead_url()
    journal = _journal(tmp_path, url)
    with pytest.raises(ZenodoConnectError):
        _depositor(url, journal).run()
    out = _depositor(url, Journal.load(journal.path)).discard()
    assert out["phase"] == "discarded" and not out.get("warnings")


def test_a_journal_with_a_draft_on_an_unreachable_server_is_discarded_with_a_warning(tmp_path: Path) -> None:
    url = _dead_url()
    journal = _journal(tmp_path, url)
    journal.update(phase="created", deposition_id="41")
    out = _depositor(url, journal).discard()
    assert out["phase"] == "discarded"
    assert "draft 41 may remain" in out["warnings"][0]
    assert Journal.load(journal.path).phase == "discarded"
