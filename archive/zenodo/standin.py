"""A faithful loopback stand-in for Zenodo's legacy deposit API, with fault injection.

It implements the API *as actually deployed* (``reference/zenodo-api.md``
section 12): scopes and owners, 403 for anonymous calls, 415 for non-JSON
bodies, 405 for file sort/rename, metadata PUT that replaces and drops unknown
keys, ``prereserve_doi`` always under 10.5281, 10.5072 DOIs at publish, 202
from publish, 204 from discard, newversion returning the new draft (or 400
"Please remove all files first."), bare-hex checksums in deposition files and
``md5:`` in the bucket API, ``X-RateLimit-*`` headers and 429 with
``Retry-After``. Uploads stream to disk with the MD5 computed on the fly.
State lives in ``data_dir`` (``state.json`` written atomically, files under
``buckets/``), so a restarted server still knows its depositions.

The control plane (``/_control/...``, no auth, test-only) resets the state,
freezes "today", changes knobs and installs ordered fault rules whose
actions are ``status``, ``delay``, ``reset_after_bytes``,
``succeed_then_status``, ``corrupt_checksum`` and ``rate_limit``.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from archive.atomic import atomic_write_bytes
from archive.zenodo.vocabulary import (
    LICENSE_ALIASES,
    check_publishable,
    check_shapes,
    normalise_license,
)

WRITE = "deposit:write"
ACTIONS = "deposit:actions"
CHUNK = 1024 * 1024
MAX_JSON_BODY = 16 * 1024 * 1024
MAX_MULTIPART = 100 * 1024 * 1024
KNOWN_METADATA = frozenset(
    {"upload_type", "publication_type", "image_type", "publication_date", "title", "creators", "description",
     "access_right", "license", "embargo_date", "access_conditions", "doi", "prereserve_doi", "version",
     "keywords", "notes", "method", "references", "related_identifiers", "contributors", "communities",
     "grants", "subjects", "language", "locations", "dates", "journal_title", "journal_volume", "journal_issue",
     "journal_pages", "conference_title", "conference_acronym", "conference_dates", "conference_place",
     "conference_url", "conference_session", "conference_session_part", "imprint_publisher", "imprint_isbn",
     "imprint_place", "partof_title", "partof_pages", "thesis_supervisors", "thesis_university"}
)


@dataclass
class StandinConfig:
    """The knobs of section 12, with Zenodo's defaults. ``tokens`` maps token -> owner and scopes."""

    tokens: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "tok-rw": {"owner": 1, "scopes": [WRITE, ACTIONS]},
            "tok-w": {"owner": 1, "scopes": [WRITE]},
        }
    )
    doi_prefix: str = "10.5072"
    anon_status: int = 403
    quota_bytes: int = 50_000_000_000
    max_file_bytes: int = 50_000_000_000
    max_files: int = 100
    rate_limit: int = 100
    rate_window_s: int = 60
    error_style: str = "rdm"
    newversion_mode: str = "rdm"
    bucket_delete_500_bug: bool = False
    bucket_list_500_bug: bool = False
    search_lag_s: float = 0.0
    require_content_length: bool = True
    known_communities: list[str] | None = None  # None: every community accepts; else others dropped at publish

    def public(self) -> dict[str, Any]:
        """The knobs without the tokens (for ``/_control/state``)."""
        data = asdict(self)
        data["tokens"] = len(self.tokens)
        return data


class _Abort(Exception):
    """Close the connection with a TCP reset, sending nothing more."""


class _Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 raw: bytes | None = None, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        self.content_type = content_type


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class StandinState:
    """The model: concepts, depositions, buckets, files, faults. Every method runs under ``lock``."""

    def __init__(self, data_dir: Path, config: StandinConfig) -> None:
        self.data_dir = data_dir
        self.config = config
        self.lock = threading.RLock()
        self.faults: list[dict[str, Any]] = []
        self.fault_log: list[dict[str, Any]] = []
        self.rate: dict[str, tuple[int, int]] = {}
        self.request_log: list[dict[str, Any]] = []
        (data_dir / "buckets").mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "state.json"
        if self.path.exists():
            saved = json.loads(self.path.read_text("utf-8"))
            self.model: dict[str, Any] = saved["model"]
            self.faults = saved.get("faults", [])
        else:
            self.model = self._empty()

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"next_id": 1, "today": None, "depositions": {}, "concepts": {}, "buckets": {}}

    def save(self) -> None:
        blob = json.dumps({"model": self.model, "faults": self.faults}, sort_keys=True).encode()
        atomic_write_bytes(self.path, blob, 0o600)

    def reset(self) -> None:
        shutil.rmtree(self.data_dir / "buckets", ignore_errors=True)
        (self.data_dir / "buckets").mkdir(parents=True, exist_ok=True)
        self.model = self._empty()
        self.faults = []
        self.fault_log = []
        self.rate = {}
        self.request_log = []
        self.save()

    def today(self) -> str:
        return str(self.model.get("today") or date.today().isoformat())

    def allocate(self) -> int:
        value = int(self.model["next_id"])
        self.model["next_id"] = value + 1
        return value

    def bucket_dir(self, bucket: str) -> Path:
        return self.data_dir / "buckets" / bucket


def _secure_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(base.split())).strip("._")
    return cleaned or "file"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZenodoStandin/1.0"
    server: _Server
    _body_left: int = 0
    _path: str = ""
    _query: dict[str, list[str]]
    _rate_headers: dict[str, str]
    _fault_after: dict[str, Any] | None = None
    _corrupt: bool = False
    _reset_after: int | None = None

    # -- plumbing ---------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default; never logs query strings (they may hold an access_token)."""

    def handle(self) -> None:
        try:
            super().handle()
        except _Abort:
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
            raise _Reply(400, {"status": 400, "message": "Bad Content-Length."}) from None
        if n < 0:
            raise _Reply(400, {"status": 400, "message": "Bad Content-Length."})
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
            raise _Reply(413, {"status": 413, "message": "Request entity too large."})
        data = self.rfile.read(n) if n else b""
        self._body_left = 0
        if len(data) != n:
            raise _Abort()
        return data

    def _send(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
              raw: bytes | None = None, content_type: str = "application/json") -> None:
        if self._body_left > 0:
            try:
                self._drain()
            except OSError:
                raise _Abort() from None
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
               headers: Mapping[str, str] | None = None) -> _Reply:
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
        return _Reply(status, body, headers)

    def _validation(self, errors: list[tuple[str, str]]) -> _Reply:
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
                raise _Reply(429, {"status": 429, "message": f"{limit} per {window // 60 or 1} minute"},
                             {"Retry-After": str(max(1, reset - now))})

    # -- faults -----------------------------------------------------------------

    def _match_fault(self, method: str, path: str) -> dict[str, Any] | None:
        for rule in self.state.faults:
            if rule.get("method", method).upper() != method:
                continue
            if not re.search(str(rule.get("path_regex", ".*")), path):
                continue
            rule["seen"] = int(rule.get("seen", 0)) + 1
            seen = rule["seen"]
            if "nth" in rule:
                fire = seen == int(rule["nth"])
            elif "every" in rule:
                fire = seen % int(rule["every"]) == 0
            else:
                times = int(rule.get("times", 1))
                fire = times < 0 or int(rule.get("fired", 0)) < times
            if fire:
                rule["fired"] = int(rule.get("fired", 0)) + 1
                self.state.fault_log.append({"method": method, "path": path, "action": rule["action"],
                                             "at": _now_iso()})
                self.state.save()
                return dict(rule["action"])
        return None

    # -- dispatch ---------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self._path = unquote(parts.path)
        self._query = parse_qs(parts.query)
        self._rate_headers = {}
        self._body_left = 0
        self._fault_after: dict[str, Any] | None = None
        self._corrupt = False
        self._reset_after: int | None = None
        try:
            length = self._content_length()
            self._body_left = length or 0
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                raise _Reply(411, {"status": 411, "message": "Length Required."})
            if self._path.startswith("/_control/"):
                self._control(method)
                return
            fault = None
            with self.state.lock:
                fault = self._match_fault(method, self._path)
            if fault is not None:
                kind = fault.get("type")
                if kind == "delay":
                    time.sleep(float(fault.get("seconds", 1)))
                elif kind == "status":
                    code = int(fault.get("code", 500))
                    ctype = str(fault.get("content_type", "application/json"))
                    body = fault.get("body")
                    raw = body.encode() if isinstance(body, str) else None
                    raise _Reply(code, None if raw is not None else (body or {"status": code, "message": "fault"}),
                                 fault.get("headers") or {}, raw, ctype)
                elif kind == "rate_limit":
                    retry_after = int(fault.get("retry_after", 1))
                    raise _Reply(429, {"status": 429, "message": "100 per 1 minute"},
                                 {"Retry-After": str(retry_after), "X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset": str(int(time.time()) + retry_after)})
                elif kind == "reset_after_bytes":
                    self._reset_after = int(fault.get("n", 0))
                    if self._body_left == 0 or self._reset_after <= 0:
                        raise _Abort()
                elif kind == "succeed_then_status":
                    self._fault_after = fault
                elif kind == "corrupt_checksum":
                    self._corrupt = True
            with self.state.lock:
                self._rate_check()
            self._route(method)
        except _Reply as reply:
            self._send(reply.status, reply.body, reply.headers, reply.raw, reply.content_type)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _respond(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 raw: bytes | None = None, content_type: str = "application/json") -> None:
        """Send the handler's answer, unless a ``succeed_then_status`` fault replaces it."""
        fault = self._fault_after
        if fault is not None:
            code = int(fault.get("code", 504))
            if code in (502, 504):
                html = (f"<html><head><title>{code} {HTTPStatus(code).phrase}</title></head><body><center><h1>"
                        f"{code} {HTTPStatus(code).phrase}</h1></center><hr><center>nginx</center></body></html>")
                self._send(code, raw=html.encode(), content_type="text/html")
            else:
                self._send(code, {"status": code, "message": "fault after success"})
            return
        self._send(status, body, headers, raw, content_type)

    def _json_body(self) -> Any:
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _Reply(415, {"status": 415, "message": "Unsupported media type."})
        raw = self._read_body(MAX_JSON_BODY)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise _Reply(400, {"status": 400, "message": "The browser (or proxy) sent a request that this server"
                               " could not understand."}) from None

    def _route(self, method: str) -> None:
        p = self._path.rstrip("/") or "/"
        m = re.fullmatch(r"/api/deposit/depositions", p)
        if m:
            if method == "GET":
                return self._list()
            if method == "POST":
                return self._create()
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/deposit/depositions/(\d+)", p)
        if m:
            dep_id = m.group(1)
            if method == "GET":
                return self._get(dep_id)
            if method == "PUT":
                return self._put(dep_id)
            if method == "DELETE":
                return self._delete(dep_id)
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/deposit/depositions/(\d+)/files", p)
        if m:
            if method == "GET":
                return self._files_list(m.group(1))
            if method == "POST":
                return self._files_post(m.group(1))
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/deposit/depositions/(\d+)/files/([^/]+)", p)
        if m:
            if method == "GET":
                return self._file_get(m.group(1), m.group(2))
            if method == "DELETE":
                return self._file_delete(m.group(1), m.group(2))
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/deposit/depositions/(\d+)/actions/(publish|edit|discard|newversion)", p)
        if m:
            if method != "POST":
                raise self._error(405, "Method not allowed.")
            action = m.group(2)
            handler: Callable[[str], None] = getattr(self, f"_action_{action}")
            return handler(m.group(1))
        m = re.fullmatch(r"/api/files/([0-9a-f-]{36})", p)
        if m:
            if method == "GET":
                return self._bucket_list(m.group(1))
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/files/([0-9a-f-]{36})/([^/]+)", p)
        if m:
            if method == "PUT":
                return self._bucket_put(m.group(1), m.group(2))
            if method == "GET":
                return self._bucket_get(m.group(1), m.group(2))
            if method == "DELETE":
                return self._bucket_delete(m.group(1), m.group(2))
            raise self._error(405, "Method not allowed.")
        m = re.fullmatch(r"/api/records/(\d+)", p)
        if m and method == "GET":
            return self._record(m.group(1))
        m = re.fullmatch(r"/api/records/(\d+)(/draft)?/files/([^/]+)/content", p)
        if m and method == "GET":
            return self._record_file(m.group(1), m.group(3), draft=bool(m.group(2)))
        if p in ("/api/licenses", "/api/vocabularies/licenses") and method == "GET":
            ids = sorted({normalise_license(x) or x for x in LICENSE_ALIASES.values()})
            return self._respond(200, {"hits": {"hits": [{"id": i} for i in ids], "total": len(ids)}})
        raise self._error(404, "The requested URL was not found on the server.")

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

    def _is_draft(self, dep: Mapping[str, Any]) -> bool:
        """An open draft: never published, or published with an edit open."""
        return not dep["published"] or bool(dep.get("edit_open"))

    def _files_editable(self, dep: Mapping[str, Any]) -> bool:
        return not dep["published"]

    def _state_name(self, dep: Mapping[str, Any]) -> str:
        if not dep["published"]:
            return "unsubmitted"
        return "inprogress" if dep.get("edit_open") else "done"

    def _legacy_files(self, dep: Mapping[str, Any]) -> list[dict[str, Any]]:
        base = self._base()
        out = []
        for key, f in sorted(dep["files"].items(), key=lambda kv: kv[1]["created"]):
            out.append({
                "id": f["id"], "filename": key, "filesize": f["size"], "checksum": f["md5"],
                "links": {"self": f"{base}/api/deposit/depositions/{dep['id']}/files/{f['id']}",
                          "download": f"{base}/api/records/{dep['id']}/draft/files/{key}/content"},
            })
        return out

    def _serialise(self, dep: Mapping[str, Any], *, with_bucket: bool = True) -> dict[str, Any]:
        base = self._base()
        dep_id = dep["id"]
        metadata = copy.deepcopy(dep["metadata"])
        metadata["prereserve_doi"] = {"doi": f"10.5281/zenodo.{dep_id}", "recid": dep_id}
        if dep.get("doi"):
            metadata["doi"] = dep["doi"]
        api = f"{base}/api/deposit/depositions/{dep_id}"
        links: dict[str, str] = {
            "self": api, "html": f"{base}/deposit/{dep_id}", "files": f"{api}/files",
            "badge": f"{base}/badge/doi/.svg", "publish": f"{api}/actions/publish", "edit": f"{api}/actions/edit",
            "discard": f"{api}/actions/discard", "newversion": f"{api}/actions/newversion",
            "latest_draft": api, "latest_draft_html": f"{base}/deposit/{dep_id}",
        }
        if with_bucket:
            links["bucket"] = f"{base}/api/files/{dep['bucket']}"
        if dep["published"]:
            concept = self.state.model["concepts"][dep["conceptrecid"]]
            latest = max(concept["versions"])
            links.update({
                "record": f"{base}/api/records/{dep_id}", "record_html": f"{base}/records/{dep_id}",
                "latest": f"{base}/api/records/{latest}", "latest_html": f"{base}/records/{latest}",
                "doi": f"https://doi.org/{dep['doi']}", "badge": f"{base}/badge/doi/{dep['doi']}.svg",
            })
            if not dep.get("edit_open"):
                links["self"] = f"{base}/api/records/{dep_id}"
        out: dict[str, Any] = {
            "id": dep_id, "record_id": dep_id, "conceptrecid": dep["conceptrecid"], "created": dep["created"],
            "modified": dep["modified"], "owner": dep["owner"], "title": metadata.get("title", ""),
            "state": self._state_name(dep), "submitted": bool(dep["published"]), "metadata": metadata,
            "files": self._legacy_files(dep), "links": links,
        }
        if dep.get("doi"):
            out["doi"] = dep["doi"]
            out["doi_url"] = f"https://doi.org/{dep['doi']}"
        conceptdoi = self.state.model["concepts"].get(dep["conceptrecid"], {}).get("conceptdoi")
        if conceptdoi:
            out["conceptdoi"] = conceptdoi
        return out

    def _clean_metadata(self, raw: Any) -> dict[str, Any]:
        """Zenodo's PUT semantics: check shapes (400), then keep known keys only, licences mapped."""
        if not isinstance(raw, dict):
            raise self._validation([("metadata", "Not a valid mapping type.")])
        problems = check_shapes(raw, doi_prefix=self.state.config.doi_prefix)
        if problems:
            raise self._validation(problems)
        kept = {k: copy.deepcopy(v) for k, v in raw.items() if k in KNOWN_METADATA and k != "prereserve_doi"}
        if "license" in kept:
            kept["license"] = normalise_license(kept["license"])
        if kept.get("access_right") == "closed":
            kept["access_right"] = "restricted"
        lang = kept.get("language")
        if isinstance(lang, str) and len(lang) == 2:
            kept["language"] = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita"}.get(lang, lang + "x")
        return kept

    def _new_bucket(self, dep_id: int) -> str:
        bucket = str(uuid.uuid4())
        self.state.model["buckets"][bucket] = dep_id
        self.state.bucket_dir(bucket).mkdir(parents=True, exist_ok=True)
        return bucket

    # -- depositions ------------------------------------------------------------

    def _list(self) -> None:
        owner = self._auth(None)
        q = self._query
        try:
            size = int(q.get("size", ["10"])[0])
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            raise self._validation([("size", "Not a valid integer.")]) from None
        if size > 100 or size < 1 or page < 1:
            raise self._validation([("size", "Must be between 1 and 100.")])
        status = q.get("status", [None])[0]
        query = q.get("q", [""])[0].strip()
        all_versions = q.get("all_versions", ["false"])[0].lower() in ("true", "1", "")
        now = time.time()
        with self.state.lock:
            deps = [d for d in self.state.model["depositions"].values()
                    if d["owner"] == owner and d.get("indexed_at", 0) <= now]
            if status == "draft":
                deps = [d for d in deps if self._is_draft(d)]
            elif status == "published":
                deps = [d for d in deps if d["published"]]
            if query:
                deps = [d for d in deps if self._query_match(d, query)]
            if not all_versions:
                latest: dict[str, dict[str, Any]] = {}
                for d in deps:
                    c = d["conceptrecid"]
                    if c not in latest or d["id"] > latest[c]["id"]:
                        latest[c] = d
                deps = list(latest.values())
            deps.sort(key=lambda d: d["id"], reverse=True)
            chunk = deps[(page - 1) * size: page * size]
            body = [self._serialise(d, with_bucket=False) for d in chunk]
        self._respond(200, body)

    @staticmethod
    def _query_match(dep: Mapping[str, Any], query: str) -> bool:
        m = re.fullmatch(r"(conceptrecid|recid|id):\"?(\d+)\"?", query)
        if m:
            field_name, value = m.groups()
            return str(dep["conceptrecid"] if field_name == "conceptrecid" else dep["id"]) == value
        m = re.fullmatch(r"keywords:\"(.+)\"", query)
        if m:
            return m.group(1) in dep["metadata"].get("keywords", [])
        text = query.strip('"').lower()
        hay = " ".join([str(dep["metadata"].get("title", ""))] + list(dep["metadata"].get("keywords", [])))
        return text in hay.lower()

    def _create(self) -> None:
        owner = self._auth(WRITE)
        body = self._json_body()
        if not isinstance(body, dict):
            raise self._validation([("", "Invalid body.")])
        extra = [k for k in body if k != "metadata"]
        if extra:
            raise self._validation([(k, "Unknown field.") for k in extra])
        with self.state.lock:
            metadata = self._clean_metadata(body.get("metadata", {}))
            metadata.setdefault("access_right", "open")
            metadata.setdefault("publication_date", self.state.today())
            concept = self.state.allocate()
            dep_id = self.state.allocate()
            now = _now_iso()
            dep = {"id": dep_id, "conceptrecid": str(concept), "owner": owner, "created": now, "modified": now,
                   "metadata": metadata, "files": {}, "published": False, "edit_open": False, "doi": None,
                   "snapshot": None, "indexed_at": time.time() + self.state.config.search_lag_s}
            dep["bucket"] = self._new_bucket(dep_id)
            self.state.model["concepts"][str(concept)] = {"conceptdoi": None, "versions": []}
            self.state.model["depositions"][str(dep_id)] = dep
            self.state.save()
            out = self._serialise(dep)
        self._respond(201, out)

    def _get(self, dep_id: str) -> None:
        owner = self._auth(None)
        with self.state.lock:
            out = self._serialise(self._dep(dep_id, owner))
        self._respond(200, out)

    def _put(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        body = self._json_body()
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not self._is_draft(dep):
                raise self._error(404, "The persistent identifier is not registered.")
            if not isinstance(body, dict):
                raise self._validation([("", "Invalid body.")])
            extra = [k for k in body if k != "metadata"]
            if extra:
                raise self._validation([(k, "Unknown field.") for k in extra])
            dep["metadata"] = self._clean_metadata(body.get("metadata", {}))
            dep["modified"] = _now_iso()
            self.state.save()
            out = self._serialise(dep)
        self._respond(200, out)

    def _remove_deposition(self, dep: dict[str, Any]) -> None:
        self.state.model["depositions"].pop(str(dep["id"]), None)
        self.state.model["buckets"].pop(dep["bucket"], None)
        shutil.rmtree(self.state.bucket_dir(dep["bucket"]), ignore_errors=True)
        concept = self.state.model["concepts"].get(dep["conceptrecid"])
        if concept is not None and not concept["versions"]:
            self.state.model["concepts"].pop(dep["conceptrecid"], None)

    def _delete(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"]:
                raise self._error(404, "The persistent identifier is not registered.")
            self._remove_deposition(dep)
            self.state.save()
        self._respond(204)

    # -- deposition files -------------------------------------------------------

    def _files_list(self, dep_id: str) -> None:
        owner = self._auth(None)
        with self.state.lock:
            out = self._legacy_files(self._dep(dep_id, owner))
        self._respond(200, out)

    def _file_get(self, dep_id: str, file_id: str) -> None:
        owner = self._auth(None)
        with self.state.lock:
            for f in self._legacy_files(self._dep(dep_id, owner)):
                if f["id"] == file_id:
                    return self._respond(200, f)
        raise self._error(404, "File does not exist.")

    def _file_delete(self, dep_id: str, file_id: str) -> None:
        owner = self._auth(WRITE)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not self._files_editable(dep):
                raise self._error(403, "You don't have the permission to access the requested resource.")
            for key, f in list(dep["files"].items()):
                if f["id"] == file_id:
                    del dep["files"][key]
                    (self.state.bucket_dir(dep["bucket"]) / key).unlink(missing_ok=True)
                    dep["modified"] = _now_iso()
                    self.state.save()
                    return self._respond(204)
        raise self._error(404, "File does not exist.")

    def _files_post(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        ctype = self.headers.get("Content-Type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            raise _Reply(415, {"status": 415, "message": "Unsupported media type."})
        if self._body_left > MAX_MULTIPART:
            raise self._error(413, "Request entity too large: files over 100 MB need the bucket API.")
        raw = self._read_body(MAX_MULTIPART)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        data: bytes | None = None
        name: str | None = None
        for part in message.iter_parts():
            disposition = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if disposition == "file" and isinstance(payload, bytes):
                data = payload
                name = name or part.get_filename()
            elif disposition == "name" and isinstance(payload, bytes):
                name = payload.decode("utf-8", "replace")
        if data is None:
            raise self._validation([("file", "Missing data for required field.")])
        key = _secure_filename(name or "file")
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not self._files_editable(dep):
                raise self._error(404, "The persistent identifier is not registered.")
            self._check_limits(dep, key, len(data))
            target = self.state.bucket_dir(dep["bucket"]) / key
            atomic_write_bytes(target, data, 0o600)
            entry = self._store_file(dep, key, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
            self.state.save()
            out = next(f for f in self._legacy_files(dep) if f["id"] == entry["id"])
        self._respond(201, out)

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
                 "created": _now_iso()}
        dep["files"][key] = entry
        dep["modified"] = _now_iso()
        return entry

    # -- bucket API -------------------------------------------------------------

    def _bucket_owner(self, bucket: str, owner: int, *, write: bool) -> dict[str, Any]:
        dep_id = self.state.model["buckets"].get(bucket)
        if dep_id is None:
            raise self._error(404, "Bucket does not exist.")
        dep = self._dep(str(dep_id), None)
        if dep["owner"] != owner or (write and not self._files_editable(dep)):
            raise self._error(403, "You don't have the permission to access the requested resource.")
        return dep

    def _bucket_put(self, bucket: str, key: str) -> None:
        owner = self._auth(WRITE)
        length = self._content_length()
        if length is None:
            if self.state.config.require_content_length:
                raise _Reply(411, {"status": 411, "message": "Length Required."})
            length = 0
        if not re.fullmatch(r"[^/\\\x00]+", key) or key in (".", ".."):
            raise self._validation([("key", "Invalid key.")])
        with self.state.lock:
            dep = self._bucket_owner(bucket, owner, write=True)
            self._check_limits(dep, key, length)
        directory = self.state.bucket_dir(bucket)
        tmp = directory / f".upload-{uuid.uuid4().hex}"
        digest = hashlib.md5(usedforsecurity=False)
        left = length
        done = 0
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            with tmp.open("wb") as handle:
                while left > 0:
                    want = min(CHUNK, left)
                    if self._reset_after is not None:
                        want = min(want, self._reset_after - done)
                        if want <= 0:
                            raise _Abort()
                    n = self.rfile.readinto(view[:want])
                    if not n:
                        raise _Abort()
                    digest.update(view[:n])
                    handle.write(view[:n])
                    left -= n
                    done += n
                    self._body_left = left
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        md5 = digest.hexdigest()
        with self.state.lock:
            dep = self._bucket_owner(bucket, owner, write=True)
            try:
                self._check_limits(dep, key, length)
            except _Reply:
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, directory / key)
            entry = self._store_file(dep, key, length, md5)
            self.state.save()
        reported = ("0" * 32) if self._corrupt else md5
        base = self._base()
        self._respond(201, {
            "key": key, "mimetype": entry["mimetype"], "checksum": f"md5:{reported}", "size": length,
            "version_id": entry["version_id"], "created": entry["created"], "updated": entry["created"],
            "is_head": True, "delete_marker": False,
            "links": {"self": f"{base}/api/files/{bucket}/{key}",
                      "version": f"{base}/api/files/{bucket}/{key}?versionId={entry['version_id']}",
                      "uploads": f"{base}/api/files/{bucket}/{key}?uploads"},
        })

    def _bucket_list(self, bucket: str) -> None:
        owner = self._auth(None)
        if self.state.config.bucket_list_500_bug:
            raise self._error(500, "Internal server error.")
        with self.state.lock:
            dep = self._bucket_owner(bucket, owner, write=False)
            contents = [{"key": k, "size": f["size"], "checksum": f"md5:{f['md5']}"} for k, f in dep["files"].items()]
        self._respond(200, {"contents": contents})

    def _bucket_get(self, bucket: str, key: str) -> None:
        owner = self._auth(None)
        with self.state.lock:
            dep = self._bucket_owner(bucket, owner, write=False)
            if key not in dep["files"]:
                raise self._error(404, "Object does not exist.")
        self._stream_file(self.state.bucket_dir(bucket) / key)

    def _bucket_delete(self, bucket: str, key: str) -> None:
        owner = self._auth(WRITE)
        with self.state.lock:
            dep = self._bucket_owner(bucket, owner, write=True)
            if key not in dep["files"]:
                raise self._error(404, "Object does not exist.")
            del dep["files"][key]
            (self.state.bucket_dir(bucket) / key).unlink(missing_ok=True)
            self.state.save()
        if self.state.config.bucket_delete_500_bug:
            raise self._error(500, "Internal server error.")
        self._respond(204)

    def _stream_file(self, path: Path) -> None:
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with path.open("rb") as handle:
            shutil.copyfileobj(handle, self.wfile, CHUNK)

    # -- actions ----------------------------------------------------------------

    def _action_publish(self, dep_id: str) -> None:
        owner = self._auth(ACTIONS)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"] and not dep.get("edit_open"):
                raise self._error(404, "The persistent identifier is not registered.")
            problems = check_publishable(dep["metadata"])
            cfg = self.state.config
            if not dep["files"]:
                problems.append(("files.enabled", "Missing uploaded files. To disable files for this record"
                                 " please mark it as metadata-only."))
            if sum(f["size"] for f in dep["files"].values()) > cfg.quota_bytes:
                problems.append(("files", "Bucket quota exceeded."))
            if len(dep["files"]) > cfg.max_files:
                problems.append(("files", f"Too many files: at most {cfg.max_files} per record."))
            if problems:
                raise self._validation(problems)
            concept = self.state.model["concepts"][dep["conceptrecid"]]
            known = cfg.known_communities
            if known is not None and "communities" in dep["metadata"]:
                # Zenodo applies communities only at publish and swallows failures
                dep["metadata"]["communities"] = [c for c in dep["metadata"]["communities"]
                                                  if c.get("identifier") in known]
            if not dep["published"]:
                dep["published"] = True
                dep["doi"] = f"{cfg.doi_prefix}/zenodo.{dep['id']}"
                if not concept.get("conceptdoi"):
                    concept["conceptdoi"] = f"{cfg.doi_prefix}/zenodo.{dep['conceptrecid']}"
                concept["versions"].append(dep["id"])
            dep["edit_open"] = False
            dep["snapshot"] = {"metadata": copy.deepcopy(dep["metadata"])}
            dep["modified"] = _now_iso()
            self.state.save()
            out = self._serialise(dep)
        self._respond(202, out)

    def _action_edit(self, dep_id: str) -> None:
        owner = self._auth(ACTIONS)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"] and not dep.get("edit_open"):
                dep["edit_open"] = True
                dep["modified"] = _now_iso()
                self.state.save()
            out = self._serialise(dep)
        self._respond(201, out)

    def _action_discard(self, dep_id: str) -> None:
        owner = self._auth(ACTIONS)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"]:
                if not dep.get("edit_open"):
                    raise self._error(404, "No draft to discard.")
                dep["metadata"] = copy.deepcopy(dep["snapshot"]["metadata"])
                dep["edit_open"] = False
            else:
                self._remove_deposition(dep)
            self.state.save()
        self._respond(204)

    def _action_newversion(self, dep_id: str) -> None:
        owner = self._auth(ACTIONS)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not dep["published"]:
                raise self._validation([("", "The record is not published; publish it before a new version.")])
            concept = self.state.model["concepts"][dep["conceptrecid"]]
            open_drafts = [d for d in self.state.model["depositions"].values()
                           if d["conceptrecid"] == dep["conceptrecid"] and not d["published"]]
            if open_drafts:
                draft = open_drafts[0]
                if draft["files"]:
                    raise self._validation([("files.enabled", "Please remove all files first.")])
            else:
                if dep["id"] != max(concept["versions"]):
                    raise self._validation([("", "Only the latest version can be used for a new version.")])
                new_id = self.state.allocate()
                metadata = copy.deepcopy(dep["snapshot"]["metadata"] if dep.get("snapshot") else dep["metadata"])
                metadata.pop("version", None)
                metadata.pop("doi", None)
                metadata["publication_date"] = self.state.today()
                now = _now_iso()
                draft = {"id": new_id, "conceptrecid": dep["conceptrecid"], "owner": owner, "created": now,
                         "modified": now, "metadata": metadata, "files": {}, "published": False,
                         "edit_open": False, "doi": None, "snapshot": None,
                         "indexed_at": time.time() + self.state.config.search_lag_s}
                draft["bucket"] = self._new_bucket(new_id)
                src_dir = self.state.bucket_dir(dep["bucket"])
                dst_dir = self.state.bucket_dir(draft["bucket"])
                for key, f in dep["files"].items():
                    try:
                        os.link(src_dir / key, dst_dir / key)
                    except OSError:
                        shutil.copyfile(src_dir / key, dst_dir / key)
                    draft["files"][key] = {**f, "id": str(uuid.uuid4()), "version_id": str(uuid.uuid4())}
                self.state.model["depositions"][str(new_id)] = draft
                self.state.save()
            out = self._serialise(dep if self.state.config.newversion_mode == "doc" else draft)
            if self.state.config.newversion_mode == "doc":
                out["links"]["latest_draft"] = f"{self._base()}/api/deposit/depositions/{draft['id']}"
        self._respond(201, out)

    # -- public records ---------------------------------------------------------

    def _record(self, rec_id: str) -> None:
        with self.state.lock:
            dep = self.state.model["depositions"].get(rec_id)
            if dep is None or not dep["published"]:
                raise self._error(404, "The persistent identifier is not registered.")
            base = self._base()
            concept = self.state.model["concepts"][dep["conceptrecid"]]
            metadata = copy.deepcopy(dep["snapshot"]["metadata"])
            out = {
                "id": dep["id"], "recid": dep["id"], "conceptrecid": dep["conceptrecid"], "doi": dep["doi"],
                "conceptdoi": concept.get("conceptdoi"), "created": dep["created"], "updated": dep["modified"],
                "metadata": metadata,
                "files": [{"id": f["id"], "key": k, "size": f["size"], "checksum": f"md5:{f['md5']}",
                           "links": {"self": f"{base}/api/records/{dep['id']}/files/{k}/content"}}
                          for k, f in dep["files"].items()],
                "links": {"self": f"{base}/api/records/{dep['id']}", "html": f"{base}/records/{dep['id']}",
                          "doi": f"https://doi.org/{dep['doi']}",
                          "latest": f"{base}/api/records/{max(concept['versions'])}"},
            }
        self._respond(200, out)

    def _record_file(self, rec_id: str, key: str, *, draft: bool) -> None:
        with self.state.lock:
            dep = self.state.model["depositions"].get(rec_id)
            if dep is None or key not in dep["files"]:
                raise self._error(404, "File does not exist.")
            if draft or not dep["published"]:
                owner = self._auth(None)
                if dep["owner"] != owner:
                    raise self._error(403, "You don't have the permission to access the requested resource.")
            path = self.state.bucket_dir(dep["bucket"]) / key
        self._stream_file(path)

    # -- control plane ----------------------------------------------------------

    def _control(self, method: str) -> None:
        name = self._path[len("/_control/"):].strip("/")
        st = self.state
        if name == "reset" and method == "POST":
            with st.lock:
                st.reset()
            return self._send(204)
        if name == "state" and method == "GET":
            with st.lock:
                depositions = {}
                for k, d in st.model["depositions"].items():
                    view = {kk: vv for kk, vv in d.items() if kk != "indexed_at"}
                    view["state"] = self._state_name(d)
                    depositions[k] = view
                body = {"depositions": depositions, "concepts": st.model["concepts"],
                        "today": st.model.get("today"), "faults": st.faults, "fault_log": st.fault_log,
                        "config": st.config.public(), "requests": st.request_log[-500:]}
            return self._send(200, body)
        if name == "clock" and method == "POST":
            body = self._json_body()
            today = body.get("today") if isinstance(body, dict) else None
            with st.lock:
                st.model["today"] = today
                st.save()
            return self._send(200, {"today": st.today()})
        if name == "config" and method == "POST":
            body = self._json_body()
            if not isinstance(body, dict):
                raise _Reply(400, {"status": 400, "message": "give a JSON object of knobs"})
            with st.lock:
                for key, value in body.items():
                    if key == "tokens" or not hasattr(st.config, key):
                        raise _Reply(400, {"status": 400, "message": f"unknown knob {key}"})
                    setattr(st.config, key, value)
            return self._send(200, st.config.public())
        if name == "faults":
            if method == "GET":
                return self._send(200, {"rules": st.faults, "fired": st.fault_log})
            if method == "DELETE":
                with st.lock:
                    st.faults = []
                    st.save()
                return self._send(204)
            if method == "POST":
                body = self._json_body()
                rules = body.get("rules") if isinstance(body, dict) else None
                if not isinstance(rules, list) or not all(isinstance(r, dict) and isinstance(r.get("action"), dict)
                                                          for r in rules):
                    raise _Reply(400, {"status": 400, "message": "give {\"rules\": [{method, path_regex, nth|every|"
                                       "times, action: {type, ...}}]}"})
                with st.lock:
                    if body.get("replace", True):
                        st.faults = []
                    st.faults.extend(rules)
                    st.save()
                return self._send(200, {"rules": st.faults})
        raise _Reply(404, {"status": 404, "message": "unknown control endpoint"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    state: StandinState


class StandinServer:
    """The stand-in, serving from a background thread or the foreground.

    >>> with StandinServer(data_dir) as server:      # doctest: +SKIP
    ...     client = ZenodoClient(server.base_url, "tok-rw")
    """

    def __init__(self, data_dir: str | os.PathLike[str], config: StandinConfig | None = None,
                 *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or StandinConfig()
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.state = StandinState(path, self.config)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.state = self.state
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._httpd.server_address[0]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{text}:{self.port}"

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="zenodo-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stop_listening(self) -> None:
        """Close the socket after :meth:`serve_forever` returned (foreground use)."""
        self._httpd.server_close()

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
