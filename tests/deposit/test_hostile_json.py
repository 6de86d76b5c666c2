"""Hostile JSON at every place archive parses it: a clean error, never a crash (issue 13 item 2, archive side).

Python's ``json.loads`` raises ``ValueError`` on an integer longer than 4,300
digits, ``RecursionError`` on deep nesting, and reads ``NaN`` as a float that
later conversions choke on. A hostile server, a hostile client of the stand-in
and a damaged journal each get one clean error from ``archive.jsontext``.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Standin
from deposit_helpers import cli_env, make_bundle, provenance_cmd

from archive.journal import Journal, JournalError
from archive.jsontext import MAX_INTEGER_DIGITS, JSONTextError, loads
from archive.zenodo.client import ZenodoClient
from archive.zenodo.errors import ZenodoError, ZenodoServerError

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE_BODIES = {
    "a 5000-digit integer": (b'{"id": ' + b"9" * 5000 + b', "state": "unsubmitted"}', "integer of 5000 digits"),
    "nesting 100,000 deep": (b'{"id": 1, "links": ' + DEEP + b"}", "nested too deeply"),
    "NaN": (b'{"id": NaN}', "NaN"),
    "a number beyond the float range": (b'{"id": 1, "size": 1e999}', "out of range"),
    "an id that is not an integer": (b'{"id": "seven"}', "not a deposition"),
    "an array, not a deposition": (b"[1, 2]", "not a deposition"),
}


class _HostileHandler(BaseHTTPRequestHandler):
    body = b"{}"
    status = 200

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(201 if self.status == 200 and self.command == "POST" else self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_server() -> Iterator[type[_HostileHandler]]:
    """A real HTTP server on 127.0.0.1 answering every request with ``handler.body`` (201 to a POST)."""
    handler = type("Handler", (_HostileHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/api"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_a_hostile_servers_json_is_a_server_error_not_a_crash(hostile_server: Any, name: str) -> None:
    hostile_server.body, expected = HOSTILE_BODIES[name]
    with ZenodoClient(hostile_server.url, "tok") as client, pytest.raises(ZenodoServerError, match=expected):
        client.get_deposition(1)


@pytest.mark.parametrize("name", ["a 5000-digit integer", "nesting 100,000 deep", "NaN"])
def test_a_hostile_error_body_still_gives_the_http_error(hostile_server: Any, name: str) -> None:
    hostile_server.status = 400
    hostile_server.body = HOSTILE_BODIES[name][0]
    with ZenodoClient(hostile_server.url, "tok") as client, pytest.raises(ZenodoError, match="HTTP 400"):
        client.get_deposition(1)


@pytest.mark.parametrize("name", ["a 5000-digit integer", "nesting 100,000 deep", "NaN"])
def test_deposit_to_a_hostile_server_exits_cleanly_never_internal_error(
    hostile_server: Any, tmp_path: Path, name: str
) -> None:
    hostile_server.body = HOSTILE_BODIES[name][0]
    bundle = make_bundle(tmp_path / "b1")
    proc = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--to", hostile_server.url,
                           "--publish"], env=cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-hostile"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (1, 2), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert HOSTILE_BODIES[name][1] in proc.stderr


@pytest.mark.parametrize("body", [b'{"metadata": {"n": ' + b"9" * 5000 + b"}}", b'{"metadata": ' + DEEP + b"}",
                                  b'{"metadata": {"n": NaN}}'], ids=["5000 digits", "deep", "NaN"])
def test_the_standin_answers_a_hostile_request_body_with_400_and_keeps_serving(standin: Standin, body: bytes) -> None:
    headers = {"Authorization": "Bearer tok-rw", "Content-Type": "application/json"}
    url = standin.url + "/api/deposit/depositions"
    assert httpx.post(url, content=body, headers=headers).status_code == 400
    assert httpx.post(url, json={}, headers=headers).status_code == 201


@pytest.mark.parametrize("raw", [b'{"phase": ' + b"1" * 5000 + b"}", DEEP, b'{"phase": NaN}'],
                         ids=["5000 digits", "deep", "NaN"])
def test_a_damaged_journal_is_a_journal_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(raw)
    with pytest.raises(JournalError, match="journal"):
        Journal.load(path)


def test_the_reader_bounds_integers_and_refuses_what_is_not_json() -> None:
    limit = "9" * MAX_INTEGER_DIGITS
    assert loads(f"[{limit}, -{limit}, 1.5]") == [int(limit), -int(limit), 1.5]
    for text in (f"[{limit}9]", f"[-{limit}9]", "[Infinity]", "[-Infinity]", "[1e400]", "{", b"\xff"):
        with pytest.raises(JSONTextError):
            loads(text)
