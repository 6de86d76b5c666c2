"""The Zenodo client against httpx.MockTransport: headers, retries, read-back, token hygiene."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.zenodo.client import USER_AGENT, ZenodoClient, metadata_differences, normalise_base_url
from archive.zenodo.errors import (
    ZenodoAuthError,
    ZenodoChecksumMismatch,
    ZenodoConnectError,
    ZenodoInputError,
    ZenodoMetadataMismatch,
    ZenodoServerError,
    ZenodoTransportError,
    ZenodoValidationError,
)
from archive.zenodo.retry import RetryPolicy

TOKEN = "s3cret-TOKEN-value-0123456789"
BASE = "https://zenodo.example/api"


def dep(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": i, "conceptrecid": "1", "state": "unsubmitted", "submitted": False, "metadata": {},
            "files": [], "links": {"bucket": f"https://zenodo.example/api/files/b{i}"}, **extra}


class Recorder:
    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        result: httpx.Response = self.handler(request, len(self.requests))
        return result


def client(handler: Any, sleeps: list[float] | None = None) -> tuple[ZenodoClient, Recorder]:
    rec = Recorder(handler)
    c = ZenodoClient(BASE, TOKEN, transport=httpx.MockTransport(rec), retry=RetryPolicy(attempts=4),
                     sleep=(sleeps.append if sleeps is not None else lambda s: None), clock=lambda: 1000.0,
                     marker_search_seconds=0)
    return c, rec


def test_bearer_header_user_agent_and_no_token_in_url() -> None:
    c, rec = client(lambda req, n: httpx.Response(200, json=dep(5)))
    c.get_deposition(5)
    req = rec.requests[0]
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["User-Agent"] == USER_AGENT and "python-requests" not in USER_AGENT
    assert TOKEN not in str(req.url)
    assert TOKEN not in repr(c)


def test_token_is_never_sent_to_another_origin() -> None:
    c, rec = client(lambda req, n: httpx.Response(201, json={}))
    with pytest.raises(ZenodoInputError, match="another origin"):
        c.upload("https://evil.example/api/files/b1", "a.zip", __file__)
    assert rec.requests == []


def test_429_is_retried_honouring_retry_after() -> None:
    sleeps: list[float] = []

    def handler(req: httpx.Request, n: int) -> httpx.Response:
        if n <= 2:
            return httpx.Response(429, json={"status": 429, "message": "100 per 1 minute"},
                                  headers={"Retry-After": "7"})
        return httpx.Response(200, json=dep(5))

    c, rec = client(handler, sleeps)
    assert c.get_deposition(5).id == 5
    assert sleeps == [7.0, 7.0]


def test_create_is_not_retried_after_a_500() -> None:
    c, rec = client(lambda req, n: httpx.Response(500, json={"status": 500, "message": "boom", "error_id": "abc"}))
    with pytest.raises(ZenodoServerError) as info:
        c.create_deposition({})
    assert len(rec.requests) == 1
    assert info.value.error_id == "abc" and "abc" in str(info.value)


def test_idempotent_get_retries_network_errors_then_gives_a_typed_error() -> None:
    def handler(req: httpx.Request, n: int) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    c, rec = client(handler)
    with pytest.raises(ZenodoTransportError) as info:
        c.get_deposition(9)
    assert len(rec.requests) == 4
    assert TOKEN not in str(info.value)


def test_validation_errors_carry_zenodo_messages_list() -> None:
    body = {"status": 400, "message": "A validation error occurred.",
            "errors": [{"field": "metadata.license", "messages": ["Invalid license provided: x"]},
                       {"field": "metadata.creators.0.name", "message": "Missing data"}]}
    c, _ = client(lambda req, n: httpx.Response(400, json=body))
    with pytest.raises(ZenodoValidationError) as info:
        c.create_deposition({"license": "x"})
    fields = [e.field for e in info.value.errors]
    assert fields == ["metadata.license", "metadata.creators.0.name"]
    assert "Invalid license provided" in str(info.value) and "Missing data" in str(info.value)


def test_auth_error_is_typed_and_token_free() -> None:
    c, _ = client(lambda req, n: httpx.Response(403, json={"status": 403, "message": "Forbidden"}))
    with pytest.raises(ZenodoAuthError) as info:
        c.list_depositions()
    assert info.value.exit_code == 2
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.args)


def test_publish_after_a_504_reads_back_and_does_not_publish_twice() -> None:
    def handler(req: httpx.Request, n: int) -> httpx.Response:
        if req.method == "POST":
            return httpx.Response(504, text="<html>504 Gateway Time-out</html>", headers={"Content-Type": "text/html"})
        return httpx.Response(200, json=dep(5, submitted=True, state="done", doi="10.5072/zenodo.5"))

    c, rec = client(handler)
    out = c.publish(5)
    assert out.doi == "10.5072/zenodo.5"
    assert [r.method for r in rec.requests].count("POST") == 1


def test_publish_after_a_timeout_republishes_only_when_still_unsubmitted() -> None:
    posts = 0

    def handler(req: httpx.Request, n: int) -> httpx.Response:
        nonlocal posts
        if req.method == "POST":
            posts += 1
            if posts == 1:
                raise httpx.ReadTimeout("timed out", request=req)
            return httpx.Response(202, json=dep(5, submitted=True, state="done", doi="10.5072/zenodo.5"))
        return httpx.Response(200, json=dep(5))

    c, _ = client(handler)
    assert c.publish(5).doi == "10.5072/zenodo.5"
    assert posts == 2


def test_upload_checksum_mismatch_is_retried_then_raised(tmp_path: Path) -> None:
    f = tmp_path / "a.zip"
    f.write_bytes(b"x" * 3000)

    def handler(req: httpx.Request, n: int) -> httpx.Response:
        assert req.headers["Content-Length"] == "3000"
        assert "chunked" not in req.headers.get("Transfer-Encoding", "")
        return httpx.Response(201, json={"key": "a.zip", "size": 3000, "checksum": "md5:" + "0" * 32})

    c, rec = client(handler)
    with pytest.raises(ZenodoChecksumMismatch):
        c.upload(BASE + "/files/b1", "a.zip", f)
    assert len(rec.requests) == 3


def test_upload_refuses_keys_outside_the_policy(tmp_path: Path) -> None:
    c, _ = client(lambda req, n: httpx.Response(201, json={}))
    with pytest.raises(ZenodoInputError):
        c.upload(BASE + "/files/b1", "../etc/passwd", __file__)


def test_metadata_put_is_read_back_and_dropped_keys_reported() -> None:
    sent = {"title": "T", "license": "cc-by", "made_up_field": 1}

    def handler(req: httpx.Request, n: int) -> httpx.Response:
        if req.method == "PUT":
            assert json.loads(req.content) == {"metadata": sent}
            return httpx.Response(200, json=dep(5))
        return httpx.Response(200, json=dep(5, metadata={"title": "T", "license": "cc-by-4.0"}))

    c, _ = client(handler)
    with pytest.raises(ZenodoMetadataMismatch, match="made_up_field was dropped"):
        c.update_metadata(5, sent)


def test_metadata_differences_tolerates_zenodo_normalisation() -> None:
    assert metadata_differences({"license": "cc-zero", "access_right": "closed", "language": "en"},
                                {"license": "cc0-1.0", "access_right": "restricted", "language": "eng"}) == []


def test_new_version_400_remove_files_first_finds_the_open_draft() -> None:
    def handler(req: httpx.Request, n: int) -> httpx.Response:
        path = req.url.path
        if path.endswith("/actions/newversion"):
            return httpx.Response(400, json={"status": 400, "message": "A validation error occurred.", "errors": [
                {"field": "files.enabled", "messages": ["Please remove all files first."]}]})
        if path == "/api/deposit/depositions":
            return httpx.Response(200, json=[dep(8), {**dep(6), "submitted": True}])
        return httpx.Response(200, json=dep(int(path.rsplit("/", 1)[1])))

    c, _ = client(handler)
    assert c.new_version(6, "1").id == 8


def test_base_url_normalisation_refuses_query_tokens() -> None:
    assert normalise_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/api"
    assert normalise_base_url("https://zenodo.org/api/") == "https://zenodo.org/api"
    with pytest.raises(ZenodoInputError):
        normalise_base_url("https://zenodo.org/api?access_token=x")


@pytest.mark.parametrize("bad", ["abc\r\nX-Injected: 1", "abc\ndef", "two words", "t\u00f6ken", "nul\x00byte", ""])
def test_token_that_cannot_be_a_header_value_is_refused_up_front_and_never_shown(bad: str) -> None:
    sent: list[httpx.Request] = []
    with pytest.raises(ZenodoInputError) as info:
        ZenodoClient(BASE, TOKEN + bad if bad else "", transport=httpx.MockTransport(sent.append))  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    assert TOKEN not in str(info.value) and (not bad or bad not in str(info.value))
    assert "header" in str(info.value)
    assert sent == []


def test_a_refused_connection_says_the_request_never_reached_the_server() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ZenodoClient(f"http://127.0.0.1:{port}", TOKEN, retry=RetryPolicy(attempts=2), sleep=lambda s: None)
    with pytest.raises(ZenodoConnectError) as info:
        c.create_deposition({"title": "t"})
    text = str(info.value)
    assert "never reached the server" in text and "may or may not" not in text
    assert TOKEN not in text
    with pytest.raises(ZenodoConnectError):
        c.get_deposition(1)  # an idempotent call is retried, then says the same


@pytest.mark.parametrize("url", ["http://zenodo.example", "http://10.0.0.5:8000", "http://127.0.0.1.evil.example"])
def test_token_is_never_sent_over_plain_http_to_a_host_that_is_not_loopback(url: str) -> None:
    sent: list[httpx.Request] = []
    with pytest.raises(ZenodoInputError, match="plain http") as info:
        ZenodoClient(url, TOKEN, transport=httpx.MockTransport(sent.append))  # type: ignore[arg-type]
    assert TOKEN not in str(info.value) and sent == []
    ZenodoClient(url, None).close()  # anonymous reads stay possible


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:8000"])
def test_plain_http_to_a_loopback_stand_in_is_allowed(url: str) -> None:
    ZenodoClient(url, TOKEN).close()
