"""The request plumbing every endpoint shares: bodies, answers, errors, auth, rate limits, faults.

Endpoints live in mixins of :class:`HandlerBase` (one module per group); the
router composes them into the one handler class.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import socket
import struct
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from archive.jsontext import JSONTextError, loads
from archive.zenodo.standin import views
from archive.zenodo.standin.config import CHUNK, MAX_JSON_BODY
from archive.zenodo.standin.faults import FaultEffect, after_success, apply_fault, match_fault
from archive.zenodo.standin.replies import Abort, Reply
from archive.zenodo.standin.state import StandinState, now_iso


class StandinHTTPServer(ThreadingHTTPServer):
    """The listening server; its handlers reach the model through ``state``."""

    daemon_threads = True
    request_queue_size = 64
    state: StandinState


class HandlerBase(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZenodoStandin/1.0"
    server: StandinHTTPServer
    _body_left: int = 0
    _path: str = ""
    _query: dict[str, list[str]]
    _rate_headers: dict[str, str]
    _effect: FaultEffect = FaultEffect()

    # -- plumbing ---------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default; never logs query strings (they may hold an access_token)."""

    def handle(self) -> None:
        try:
            super().handle()
        except Abort:
            self._reset_connection()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _reset_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    @property
    def state(self) -> StandinState:
        return self.server.state

    def _content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            raise Reply(400, {"status": 400, "message": "Bad Content-Length."}) from None
        if n < 0:
            raise Reply(400, {"status": 400, "message": "Bad Content-Length."})
        return n

    def _drain(self) -> None:
        """Read and drop an unread request body, so an early answer still reaches the client."""
        if self._body_left <= 0:
            return
        left = self._body_left
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
        self._body_left = 0

    def _read_body(self, limit: int) -> bytes:
        n = self._body_left
        if n > limit:
            raise Reply(413, {"status": 413, "message": "Request entity too large."})
        data = self.rfile.read(n) if n else b""
        self._body_left = 0
        if len(data) != n:
            raise Abort()
        return data

    def _send(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
              raw: bytes | None = None, content_type: str = "application/json") -> None:
        if self._body_left > 0:
            try:
                self._drain()
            except OSError:
                raise Abort() from None
        if raw is None:
            raw = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if raw or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for key, value in {**self._rate_headers, **dict(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if raw and self.command != "HEAD":
            self.wfile.write(raw)
        self.state.request_log.append({"method": self.command, "path": self._path, "status": status})
        if len(self.state.request_log) > 5000:
            del self.state.request_log[:1000]

    def _error(self, status: int, message: str, errors: list[tuple[str, str]] | None = None,
               headers: Mapping[str, str] | None = None) -> Reply:
        body: dict[str, Any] = {"status": status, "message": message}
        if errors:
            if self.state.config.error_style == "doc":
                body["errors"] = [{"field": f, "message": m} for f, m in errors]
            else:
                grouped: dict[str, list[str]] = {}
                for f, m in errors:
                    grouped.setdefault(f, []).append(m)
                body["errors"] = [{"field": f, "messages": ms} for f, ms in grouped.items()]
        if status >= 500:
            body["error_id"] = secrets.token_hex(16)
        return Reply(status, body, headers)

    def _validation(self, errors: list[tuple[str, str]]) -> Reply:
        style = self.state.config.error_style
        return self._error(400, "Validation error" if style == "doc" else "A validation error occurred.", errors)

    # -- auth and rate limits ---------------------------------------------------

    def _token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:].strip()
        values = self._query.get("access_token")
        return values[0] if values else None

    def _auth(self, scope: str | None) -> int:
        """The caller's owner id; 401/403 unless the token is known and has ``scope``."""
        token = self._token()
        if token is None:
            raise self._error(self.state.config.anon_status, "You don't have the permission to access the requested"
                              " resource. It is either read-protected or not readable by the server.")
        info = self.state.config.tokens.get(token)
        if info is None:
            raise self._error(401, "The server could not verify that you are authorized to access the URL"
                              " requested. You either supplied the wrong credentials (e.g. a bad password),"
                              " or your browser doesn't understand how to supply the credentials required.")
        if scope is not None and scope not in info.get("scopes", []):
            raise self._error(403, f"You don't have the permission to access the requested resource."
                              f" The token lacks the scope {scope}.")
        return int(info.get("owner", 1))

    def _rate_check(self) -> None:
        limit = self.state.config.rate_limit
        window = self.state.config.rate_window_s
        token = self._token() or f"anon:{self.client_address[0]}"
        key = hashlib.sha256(token.encode()).hexdigest()
        now = int(time.time())
        start, count = self.state.rate.get(key, (now - now % window, 0))
        if now >= start + window:
            start, count = now - now % window, 0
        reset = start + window
        if limit > 0:
            count += 1
            self.state.rate[key] = (start, count)
            remaining = max(0, limit - count)
            self._rate_headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                                  "X-RateLimit-Reset": str(reset)}
            if count > limit:
                raise Reply(429, {"status": 429, "message": f"{limit} per {window // 60 or 1} minute"},
                             {"Retry-After": str(max(1, reset - now))})

    # -- dispatch ---------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self._path = unquote(parts.path)
        self._query = parse_qs(parts.query)
        self._rate_headers = {}
        self._body_left = 0
        self._effect = FaultEffect()
        try:
            length = self._content_length()
            self._body_left = length or 0
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                raise Reply(411, {"status": 411, "message": "Length Required."})
            if self._path.startswith("/_control/"):
                self._control(method)
                return
            with self.state.lock:
                fault = match_fault(self.state, method, self._path)
            if fault is not None:
                self._effect = apply_fault(fault, self._body_left)
            with self.state.lock:
                self._rate_check()
            self._route(method)
        except Reply as reply:
            self._send(reply.status, reply.body, reply.headers, reply.raw, reply.content_type)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _respond(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 raw: bytes | None = None, content_type: str = "application/json") -> None:
        """Send the handler's answer, unless a ``succeed_then_status`` fault replaces it."""
        if self._effect.after is not None:
            reply = after_success(self._effect.after)
            self._send(reply.status, reply.body, reply.headers, reply.raw, reply.content_type)
            return
        self._send(status, body, headers, raw, content_type)

    def _route(self, method: str) -> None:
        raise NotImplementedError

    def _control(self, method: str) -> None:
        raise NotImplementedError

    def _json_body(self) -> Any:
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Reply(415, {"status": 415, "message": "Unsupported media type."})
        raw = self._read_body(MAX_JSON_BODY)
        if not raw.strip():
            return {}
        try:
            return loads(raw, what="the request body")
        except JSONTextError:
            raise Reply(400, {"status": 400, "message": "The browser (or proxy) sent a request that this server"
                               " could not understand."}) from None

    # -- model helpers ----------------------------------------------------------

    def _base(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"http://{host}"

    def _dep(self, dep_id: str, owner: int | None) -> dict[str, Any]:
        dep = self.state.model["depositions"].get(str(dep_id))
        if dep is None:
            raise self._error(404, "The persistent identifier is not registered.")
        if owner is not None and dep["owner"] != owner:
            raise self._error(403, "You don't have the permission to access the requested resource.")
        return dep  # type: ignore[no-any-return]

    def _view(self, dep: Mapping[str, Any], *, with_bucket: bool = True) -> dict[str, Any]:
        return views.deposition(self.state.model, dep, self._base(), with_bucket=with_bucket)

    def _legacy_files(self, dep: Mapping[str, Any]) -> list[dict[str, Any]]:
        return views.legacy_files(dep, self._base())

    def _new_bucket(self, dep_id: int) -> str:
        bucket = str(uuid.uuid4())
        self.state.model["buckets"][bucket] = dep_id
        self.state.bucket_dir(bucket).mkdir(parents=True, exist_ok=True)
        return bucket

    def _remove_deposition(self, dep: dict[str, Any]) -> None:
        self.state.model["depositions"].pop(str(dep["id"]), None)
        self.state.model["buckets"].pop(dep["bucket"], None)
        shutil.rmtree(self.state.bucket_dir(dep["bucket"]), ignore_errors=True)
        concept = self.state.model["concepts"].get(dep["conceptrecid"])
        if concept is not None and not concept["versions"]:
            self.state.model["concepts"].pop(dep["conceptrecid"], None)

    def _check_limits(self, dep: Mapping[str, Any], key: str, size: int) -> None:
        cfg = self.state.config
        if size > cfg.max_file_bytes:
            raise self._error(413, "Request entity too large.")
        used = sum(f["size"] for k, f in dep["files"].items() if k != key)
        if used + size > cfg.quota_bytes:
            raise self._error(400, "Bucket quota exceeded.")
        if key not in dep["files"] and len(dep["files"]) >= cfg.max_files:
            raise self._validation([("files", f"Too many files: at most {cfg.max_files} per record.")])

    def _store_file(self, dep: dict[str, Any], key: str, size: int, md5: str) -> dict[str, Any]:
        entry = {"id": str(uuid.uuid4()), "size": size, "md5": md5, "version_id": str(uuid.uuid4()),
                 "mimetype": "application/zip" if key.endswith(".zip") else "application/octet-stream",
                 "created": now_iso()}
        dep["files"][key] = entry
        dep["modified"] = now_iso()
        return entry

    def _stream_file(self, path: Path) -> None:
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with path.open("rb") as handle:
            shutil.copyfileobj(handle, self.wfile, CHUNK)
