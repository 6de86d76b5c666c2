"""Client for Zenodo's legacy deposit API over httpx.

Contracts (``reference/zenodo-api.md`` sections 4-9):

* the token goes only in an ``Authorization: Bearer`` header, and only to the
  origin of ``base_url``; it never appears in URLs, errors, reprs or logs;
* idempotent calls (GET, metadata PUT, bucket PUT, file DELETE) are retried
  with backoff on 429/502/503/504 and network errors, honouring
  ``Retry-After`` and ``X-RateLimit-Reset``; a 429 is retried for every call
  because Zenodo rejects it before acting;
* create, newversion, publish and discard are never retried blindly: after an
  ambiguous failure the client reads back and acts on what it finds;
* uploads stream from disk with an explicit Content-Length, and the server's
  MD5 and size are compared with ours;
* a metadata PUT is read back and compared (Zenodo drops unknown keys).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import random
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from archive import __version__
from archive.depositor import StoredFile
from archive.jsontext import JSONTextError, loads
from archive.zenodo.errors import (
    ZenodoAuthError,
    ZenodoChecksumMismatch,
    ZenodoConnectError,
    ZenodoError,
    ZenodoInputError,
    ZenodoMetadataMismatch,
    ZenodoNotFound,
    ZenodoRateLimited,
    ZenodoServerError,
    ZenodoTransportError,
    ZenodoValidationError,
    parse_error_list,
)
from archive.zenodo.retry import RetryPolicy, is_retryable_status
from archive.zenodo.vocabulary import check_file_key, normalise_license

USER_AGENT = f"provenance-archive/{__version__} (+https://provenance-archive.dev; archive.zenodo client)"
PRODUCTION_URL = "https://zenodo.org/api"
SANDBOX_URL = "https://sandbox.zenodo.org/api"
CHUNK = 1024 * 1024

Progress = Callable[[int, int], None]
"""Called as ``progress(bytes_sent_so_far, total_bytes)``; restarts from 0 on a retried upload."""


@dataclass(frozen=True)
class Deposition:
    """A deposition as returned by the server; ``raw`` keeps every field, known or not."""

    raw: Mapping[str, Any] = field(repr=False)

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    @property
    def conceptrecid(self) -> str | None:
        value = self.raw.get("conceptrecid")
        return None if value in (None, "") else str(value)

    @property
    def submitted(self) -> bool:
        return bool(self.raw.get("submitted"))

    @property
    def state(self) -> str:
        return str(self.raw.get("state", ""))

    @property
    def doi(self) -> str | None:
        value = self.raw.get("doi")
        return value if isinstance(value, str) and value else None

    @property
    def conceptdoi(self) -> str | None:
        value = self.raw.get("conceptdoi")
        return value if isinstance(value, str) and value else None

    @property
    def metadata(self) -> Mapping[str, Any]:
        value = self.raw.get("metadata")
        return value if isinstance(value, Mapping) else {}

    @property
    def links(self) -> Mapping[str, Any]:
        value = self.raw.get("links")
        return value if isinstance(value, Mapping) else {}

    @property
    def bucket_url(self) -> str | None:
        value = self.links.get("bucket")
        return value if isinstance(value, str) else None

    @property
    def record_url(self) -> str | None:
        for key in ("record_html", "html"):
            value = self.links.get(key)
            if isinstance(value, str):
                return value
        return None

    @property
    def files(self) -> list[StoredFile]:
        raw_files = self.raw.get("files")
        return [_legacy_file(f) for f in raw_files] if isinstance(raw_files, list) else []

    @property
    def published(self) -> bool:
        """Published and visible: ``submitted`` and a DOI (``state`` may be ``inprogress`` under edit)."""
        return self.submitted and self.doi is not None


def strip_checksum(value: Any) -> str:
    """``md5:abc`` or ``abc`` -> ``abc`` (lowercase)."""
    text = str(value or "")
    return text.split(":", 1)[1].lower() if ":" in text else text.lower()


def _legacy_file(raw: Any) -> StoredFile:
    if not isinstance(raw, Mapping):
        return StoredFile("", 0, "")
    key = str(raw.get("filename") or raw.get("key") or raw.get("name") or "")
    size = raw.get("filesize", raw.get("size", 0))
    try:
        size_int = int(size)
    except (TypeError, ValueError):
        size_int = 0
    return StoredFile(key, size_int, strip_checksum(raw.get("checksum")), str(raw.get("id") or ""))


class _BearerAuth(httpx.Auth):
    """Adds the token, only for requests to the client's own origin."""

    def __init__(self, token: str | None, origin: tuple[str, str]) -> None:
        self._token = token
        self._origin = origin

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token and (request.url.scheme, request.url.netloc.decode("ascii")) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")


def check_token(token: str | None) -> None:
    """Refuse a token that cannot be sent as a Bearer header value (line breaks, spaces, non-ASCII).

    The message never holds the token, only what is wrong with it.
    """
    if token is None or _TOKEN_CHARS.fullmatch(token):
        return
    if not token:
        problem = "is empty"
    elif any(c in token for c in "\r\n"):
        problem = "contains a line break"
    elif any(c in token for c in " \t"):
        problem = "contains a space or tab"
    elif not token.isascii():
        problem = "contains a non-ASCII character"
    else:
        problem = "contains a control character"
    raise ZenodoInputError(f"the access token {problem}, which cannot be sent in an HTTP header",
                           remedy="copy the token again, without line breaks or spaces")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1): where plain http cannot be overheard."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(url: str) -> str:
    """``http://host:port`` or ``.../api/`` -> ``.../api`` (no trailing slash, no query)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ZenodoInputError(f"not an http(s) URL: {url!r}", remedy="give e.g. http://127.0.0.1:8000")
    if parts.query or parts.username or parts.password:
        raise ZenodoInputError(
            "the Zenodo URL must not carry a query or credentials",
            remedy="pass the token through ZENODO_ACCESS_TOKEN or the config file",
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path += "/api"
    return f"{parts.scheme}://{parts.netloc}{path}"


def metadata_differences(sent: Mapping[str, Any], got: Mapping[str, Any]) -> list[str]:
    """Fields of ``sent`` that the server did not keep as sent (licence aliases and names tolerated)."""
    diffs: list[str] = []
    for key, want in sent.items():
        if key in ("prereserve_doi",):
            continue
        if key not in got:
            diffs.append(f"metadata.{key} was dropped")
            continue
        have = got[key]
        if key == "license":
            if normalise_license(want) != normalise_license(have):
                diffs.append(f"metadata.license is {have!r}, sent {want!r}")
        elif key == "access_right" and want == "closed":
            continue
        elif key == "language" and isinstance(want, str) and len(want) == 2:
            continue
        elif key == "communities":
            continue  # applied only at publish
        elif have != want:
            diffs.append(f"metadata.{key} differs from what was sent")
    return diffs


class ZenodoClient:
    """The legacy deposit API. ``transport`` lets tests inject ``httpx.MockTransport``."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = USER_AGENT,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        upload_timeout: httpx.Timeout | None = None,
        publish_timeout: httpx.Timeout | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        marker_search_seconds: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        check_token(token)
        self.base_url = normalise_base_url(base_url)
        parts = urlsplit(self.base_url)
        if token and parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            raise ZenodoInputError(f"refusing to send the access token over plain http to {parts.hostname}",
                                   remedy="use the server's https URL (plain http only for a stand-in on 127.0.0.1)")
        self._origin = (parts.scheme, parts.netloc)
        self.retry = retry or RetryPolicy()
        self._timeout = timeout or httpx.Timeout(30.0, connect=10.0)
        self._upload_timeout = upload_timeout or httpx.Timeout(connect=10.0, read=600.0, write=120.0, pool=10.0)
        self._publish_timeout = publish_timeout or httpx.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self.marker_search_seconds = marker_search_seconds
        self._http = httpx.Client(
            auth=_BearerAuth(token, self._origin),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ZenodoClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZenodoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            parts = urlsplit(path_or_url)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ZenodoInputError(
                    f"the server linked to another origin ({parts.scheme}://{parts.netloc})",
                    remedy="refusing to send the token there; check the Zenodo URL",
                )
            return path_or_url
        return self.base_url + path_or_url

    @staticmethod
    def _path_of(url: str) -> str:
        return urlsplit(url).path

    def _error(self, response: httpx.Response, operation: str) -> ZenodoError:
        body: Any = None
        try:
            body = loads(response.content, what="the error body")
        except JSONTextError:
            body = None
        status = response.status_code
        message = ""
        if isinstance(body, Mapping) and isinstance(body.get("message"), str):
            message = body["message"]
        if not message:
            message = f"HTTP {status} {response.reason_phrase}".strip()
        else:
            message = f"HTTP {status}: {message}"
        errors = parse_error_list(body)
        error_id = body.get("error_id") if isinstance(body, Mapping) else None
        kwargs: dict[str, Any] = {
            "status": status,
            "errors": errors,
            "error_id": str(error_id) if error_id else None,
            "operation": operation,
        }
        if status in (401, 403):
            return ZenodoAuthError(
                message,
                remedy="check ZENODO_ACCESS_TOKEN: it must be valid for this server and have the "
                "deposit:write and deposit:actions scopes, and the deposition must be yours",
                **kwargs,
            )
        if status == 404:
            return ZenodoNotFound(message, remedy="check the deposition id and its state", **kwargs)
        if status == 429:
            return ZenodoRateLimited(message, remedy="wait, then resume the deposit", **kwargs)
        if status >= 500:
            return ZenodoServerError(message, remedy="the server failed; resume the deposit later", **kwargs)
        if status in (400, 409, 413, 415):
            return ZenodoValidationError(message, remedy="fix the fields named above", **kwargs)
        return ZenodoError(message, remedy="see Zenodo's message", **kwargs)

    def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        operation: str,
        idempotent: bool,
        expect: Sequence[int] = (200,),
        json_body: Any = None,
        content_factory: Callable[[], Iterator[bytes]] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One logical call: retried only as the contract above allows; typed error on failure."""
        url = self._url(path_or_url)
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            try:
                response = self._http.request(
                    method,
                    url,
                    json=json_body,
                    content=content_factory() if content_factory is not None else None,
                    headers=dict(headers or {}),
                    params=dict(params or {}),
                    timeout=timeout or self._timeout,
                )
            except httpx.TransportError as exc:
                if idempotent and not last:
                    self._sleep(self.retry.backoff(attempt, self._rng))
                    continue
                if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    raise ZenodoConnectError(
                        f"cannot connect to {self._origin[0]}://{self._origin[1]} ({type(exc).__name__})",
                        operation=operation,
                        remedy="the request never reached the server; check the URL and the network, "
                        "then resume the deposit",
                    ) from None
                raise ZenodoTransportError(
                    f"{type(exc).__name__} talking to {self._path_of(url)}",
                    operation=operation,
                    remedy="the server may or may not have acted; resume the deposit to find out",
                ) from None
            if response.status_code in expect:
                return response
            retryable = response.status_code == 429 or (idempotent and is_retryable_status(response.status_code))
            if retryable and not last:
                self._sleep(self.retry.delay(attempt, response.headers, self._clock(), self._rng))
                continue
            raise self._error(response, operation)

    @staticmethod
    def _json(response: httpx.Response, operation: str) -> Any:
        try:
            return loads(response.content, what="the body")
        except JSONTextError as exc:
            raise ZenodoServerError(f"HTTP {response.status_code}: {exc.message}", operation=operation) from None

    @classmethod
    def _deposition(cls, response: httpx.Response, operation: str) -> Deposition:
        """The body as a deposition: a JSON object with an integer ``id``, else :class:`ZenodoServerError`."""
        data = cls._json(response, operation)
        if not isinstance(data, Mapping) or type(data.get("id")) is not int:
            raise ZenodoServerError(f"HTTP {response.status_code}: the body is not a deposition (no integer id)",
                                    operation=operation)
        return Deposition(data)

    # -- depositions ------------------------------------------------------------

    def list_depositions(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        all_versions: bool = False,
        size: int = 100,
        max_pages: int = 50,
    ) -> list[Deposition]:
        """Every deposition the search index returns (bare arrays, pages of ``size`` <= 100)."""
        found: list[Deposition] = []
        for page in range(1, max_pages + 1):
            params: dict[str, str | int] = {"page": page, "size": min(size, 100), "sort": "mostrecent"}
            if status:
                params["status"] = status
            if q:
                params["q"] = q
            if all_versions:
                params["all_versions"] = "true"
            response = self._send("GET", "/deposit/depositions", operation="list depositions", idempotent=True,
                                  params=params)
            batch = self._json(response, "list depositions")
            if not isinstance(batch, list):
                raise ZenodoServerError("list depositions did not return an array", operation="list depositions")
            found.extend(Deposition(item) for item in batch if isinstance(item, Mapping) and type(item.get("id")) is int)
            if len(batch) < min(size, 100):
                break
        return found

    def get_deposition(self, deposition_id: int) -> Deposition:
        """The open draft if any, else the published record."""
        op = f"get deposition {deposition_id}"
        response = self._send("GET", f"/deposit/depositions/{deposition_id}", operation=op, idempotent=True)
        return self._deposition(response, op)

    def create_deposition(self, metadata: Mapping[str, Any] | None = None) -> Deposition:
        """POST a new draft. Not retried (no idempotency key): reconcile by marker after a failure."""
        body = {"metadata": dict(metadata)} if metadata else {}
        response = self._send("POST", "/deposit/depositions", operation="create deposition", idempotent=False,
                              expect=(201,), json_body=body)
        return self._deposition(response, "create deposition")

    def update_metadata(self, deposition_id: int, metadata: Mapping[str, Any]) -> Deposition:
        """PUT the complete metadata, read it back, and raise if the server did not keep it."""
        op = f"set metadata of {deposition_id}"
        self._send("PUT", f"/deposit/depositions/{deposition_id}", operation=op, idempotent=True,
                   json_body={"metadata": dict(metadata)})
        back = self.get_deposition(deposition_id)
        diffs = metadata_differences(metadata, back.metadata)
        if diffs:
            raise ZenodoMetadataMismatch(
                "the server did not keep the metadata as sent: " + "; ".join(diffs),
                operation=op,
                remedy="remove or fix the fields Zenodo does not accept",
            )
        return back

    def delete_deposition(self, deposition_id: int) -> None:
        """DELETE an unpublished draft (204)."""
        op = f"delete deposition {deposition_id}"
        self._send("DELETE", f"/deposit/depositions/{deposition_id}", operation=op, idempotent=False,
                   expect=(201, 204))

    # -- files ------------------------------------------------------------------

    def list_files(self, deposition_id: int) -> list[StoredFile]:
        op = f"list files of {deposition_id}"
        response = self._send("GET", f"/deposit/depositions/{deposition_id}/files", operation=op, idempotent=True)
        data = self._json(response, op)
        return [_legacy_file(f) for f in data] if isinstance(data, list) else []

    def delete_file(self, deposition_id: int, file_id: str) -> None:
        """Delete through the deposition files endpoint (the bucket DELETE answers 500)."""
        op = f"delete file {file_id} of {deposition_id}"
        try:
            self._send("DELETE", f"/deposit/depositions/{deposition_id}/files/{file_id}", operation=op,
                       idempotent=True, expect=(204,))
        except (ZenodoNotFound, ZenodoServerError, ZenodoTransportError):
            # Zenodo answers 500 to some deletes that happened; re-list and judge by what is there
            if not any(f.file_id == file_id for f in self.list_files(deposition_id)):
                return
            raise

    def upload(
        self,
        bucket_url: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        progress: Progress | None = None,
        checksum_attempts: int = 3,
        expected_md5: str | None = None,
    ) -> StoredFile:
        """Stream ``path`` to ``bucket_url/key`` and verify the server's size and MD5.

        The MD5 compared with the server's is ``expected_md5`` when the caller
        computed it already (the deposit journal does, before any upload; a file
        changed since then fails the comparison), else it is computed while
        streaming. The PUT replaces any object with the same key, so it is
        retried whole on network errors and 429/5xx, and re-sent when the
        server's checksum is wrong. Returns the verified file.
        """
        problem = check_file_key(key)
        if problem:
            raise ZenodoInputError(problem, remedy="rename the file")
        source = Path(path)
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ZenodoInputError(f"cannot read {source}: {exc.strerror}", remedy="check the path") from None
        op = f"upload {key}"
        md5_box: list[str] = []

        def stream() -> Iterator[bytes]:
            digest = None if expected_md5 else hashlib.md5(usedforsecurity=False)
            sent = 0
            if progress is not None:
                progress(0, size)
            with source.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    if digest is not None:
                        digest.update(chunk)
                    sent += len(chunk)
                    yield chunk
                    if progress is not None:
                        progress(sent, size)
            if sent != size:
                raise ZenodoInputError(f"{source} changed size during the upload", remedy="do not edit it meanwhile")
            md5_box.append(digest.hexdigest() if digest is not None else str(expected_md5).lower())

        url = bucket_url.rstrip("/") + "/" + key
        for attempt in range(1, checksum_attempts + 1):
            md5_box.clear()
            response = self._send(
                "PUT", url, operation=op, idempotent=True, expect=(200, 201), content_factory=stream,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                timeout=self._upload_timeout,
            )
            body = self._json(response, op)
            ours = md5_box[-1] if md5_box else ""
            theirs = strip_checksum(body.get("checksum") if isinstance(body, Mapping) else None)
            their_size = body.get("size") if isinstance(body, Mapping) else None
            if theirs == ours and their_size == size:
                return StoredFile(key, size, ours, str(body.get("version_id") or ""))
            if attempt == checksum_attempts:
                raise ZenodoChecksumMismatch(
                    f"server reports md5 {theirs or '?'} size {their_size}, ours md5 {ours} size {size}",
                    operation=op,
                    remedy="the upload was damaged in transit; resume the deposit to send it again",
                )
        raise AssertionError("unreachable")  # pragma: no cover

    # -- actions ----------------------------------------------------------------

    def publish(self, deposition_id: int) -> Deposition:
        """Publish; after a timeout or 5xx, read back and re-publish only if still unsubmitted."""
        op = f"publish {deposition_id}"
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = self._send("POST", f"/deposit/depositions/{deposition_id}/actions/publish",
                                      operation=op, idempotent=False, expect=(202, 200),
                                      timeout=self._publish_timeout)
                return self._deposition(response, op)
            except (ZenodoTransportError, ZenodoServerError, ZenodoNotFound) as exc:
                current = self.get_deposition(deposition_id)
                if current.submitted:
                    return self.wait_published(deposition_id, current)
                if isinstance(exc, ZenodoNotFound) or attempt == self.retry.attempts:
                    raise
                self._sleep(self.retry.backoff(attempt, self._rng))
        raise AssertionError("unreachable")  # pragma: no cover

    def wait_published(self, deposition_id: int, current: Deposition | None = None, *, polls: int = 10) -> Deposition:
        """Poll until ``submitted`` and a DOI is set (registration is asynchronous)."""
        dep = current or self.get_deposition(deposition_id)
        for attempt in range(1, polls + 1):
            if dep.submitted and dep.doi:
                return dep
            self._sleep(self.retry.backoff(attempt, self._rng))
            dep = self.get_deposition(deposition_id)
        raise ZenodoServerError(
            "published but no DOI was reported", operation=f"publish {deposition_id}",
            remedy="resume the deposit later",
        )

    def edit(self, deposition_id: int) -> Deposition:
        """Open a published record for a metadata edit (idempotent on Zenodo: returns the open draft)."""
        op = f"edit {deposition_id}"
        response = self._send("POST", f"/deposit/depositions/{deposition_id}/actions/edit", operation=op,
                              idempotent=True, expect=(201, 200))
        return self._deposition(response, op)

    def discard(self, deposition_id: int) -> None:
        """Drop the open draft (204). After an ambiguous failure, a 404 on read-back means it is gone."""
        op = f"discard {deposition_id}"
        try:
            self._send("POST", f"/deposit/depositions/{deposition_id}/actions/discard", operation=op,
                       idempotent=False, expect=(204, 201, 200))
        except (ZenodoTransportError, ZenodoServerError):
            try:
                self.get_deposition(deposition_id)
            except ZenodoNotFound:
                return
            raise

    def new_version(self, published_id: int, conceptrecid: str | None = None) -> Deposition:
        """A new-version draft of ``published_id``, taken from the response (not ``latest_draft``).

        If a new-version draft is already open (Zenodo answers 400 "Please remove
        all files first.") or the answer was lost, the open draft of the concept is
        found by ``conceptrecid`` and returned.
        """
        op = f"new version of {published_id}"
        try:
            response = self._send("POST", f"/deposit/depositions/{published_id}/actions/newversion",
                                  operation=op, idempotent=False, expect=(201, 200))
        except (ZenodoValidationError, ZenodoTransportError, ZenodoServerError):
            concept = conceptrecid or self.get_deposition(published_id).conceptrecid
            draft = self.find_open_draft(concept) if concept else None
            if draft is None:
                raise
            return draft
        dep = self._deposition(response, op)
        if dep.id == published_id or dep.submitted:
            # documented behaviour: the original comes back; follow latest_draft
            link = dep.links.get("latest_draft")
            if isinstance(link, str):
                response = self._send("GET", link, operation=op, idempotent=True)
                dep = self._deposition(response, op)
        if dep.bucket_url is None:
            dep = self.get_deposition(dep.id)
        return dep

    def find_open_draft(self, conceptrecid: str) -> Deposition | None:
        """The unpublished draft of a concept, via the draft list (``links.bucket`` needs a GET)."""
        for dep in self.list_depositions(status="draft", all_versions=True):
            if dep.conceptrecid == conceptrecid and not dep.submitted:
                return self.get_deposition(dep.id)
        return None

    def find_by_marker(self, keyword: str) -> Deposition | None:
        """A draft whose ``keywords`` hold ``keyword``; retries for a while because search lags."""
        deadline = self._clock() + self.marker_search_seconds
        attempt = 0
        while True:
            attempt += 1
            for dep in self.list_depositions(status="draft", all_versions=True):
                keywords = dep.metadata.get("keywords")
                if isinstance(keywords, list) and keyword in keywords:
                    return self.get_deposition(dep.id)
            if self._clock() >= deadline:
                return None
            self._sleep(min(1.0, self.retry.backoff(attempt, self._rng)))

    def get_record(self, record_id: int) -> Mapping[str, Any]:
        """The public record JSON (``files[].checksum`` is ``md5:``-prefixed)."""
        op = f"get record {record_id}"
        response = self._send("GET", f"/records/{record_id}", operation=op, idempotent=True)
        data = self._json(response, op)
        return data if isinstance(data, Mapping) else {}

    def latest_version(self, record_id: int) -> Mapping[str, Any]:
        """The latest published version of a record, found by following its ``links.latest``.

        Zenodo answers that link with a 301 to the latest version's ``links.self``; the
        link is followed (within the client's origin), never parsed for an id.
        """
        record = self.get_record(record_id)
        links = record.get("links")
        link = links.get("latest") if isinstance(links, Mapping) else None
        if not isinstance(link, str):
            return record
        op = f"latest version of {record_id}"
        url = link
        for _ in range(5):
            response = self._send("GET", url, operation=op, idempotent=True, expect=(200, 301, 302, 303, 307, 308))
            if response.status_code == 200:
                data = self._json(response, op)
                return data if isinstance(data, Mapping) else {}
            location = response.headers.get("Location")
            if not location:
                raise ZenodoServerError(f"HTTP {response.status_code} without a Location", operation=op)
            url = str(response.url.join(location))
        raise ZenodoServerError("more than 5 redirects", operation=op)

    def download(self, url: str, dest: str | os.PathLike[str]) -> StoredFile:
        """Stream a file to ``dest`` and return its size and MD5."""
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        target = Path(dest)
        with self._http.stream("GET", self._url(url), timeout=self._upload_timeout) as response:
            if response.status_code != 200:
                response.read()
                raise self._error(response, f"download {self._path_of(url)}")
            with target.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
        return StoredFile(target.name, size, digest.hexdigest())
