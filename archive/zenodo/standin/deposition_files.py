"""Deposition file endpoints: list, get, delete by file id, and the old multipart upload."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import os
import re

from archive.atomic import atomic_write_bytes
from archive.zenodo.standin.config import MAX_MULTIPART, WRITE
from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.standin.replies import Reply
from archive.zenodo.standin.state import files_editable, now_iso


def secure_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(base.split())).strip("._")
    return cleaned or "file"


class DepositionFileEndpoints(HandlerBase):
    """``/api/deposit/depositions/{id}/files[/{file_id}]``."""

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
            if not files_editable(dep):
                raise self._error(403, "You don't have the permission to access the requested resource.")
            for key, f in list(dep["files"].items()):
                if f["id"] == file_id:
                    del dep["files"][key]
                    (self.state.bucket_dir(dep["bucket"]) / key).unlink(missing_ok=True)
                    dep["modified"] = now_iso()
                    self.state.save()
                    return self._respond(204)
        raise self._error(404, "File does not exist.")

    def _files_post(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        ctype = self.headers.get("Content-Type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            raise Reply(415, {"status": 415, "message": "Unsupported media type."})
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
        key = secure_filename(name or "file")
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not files_editable(dep):
                raise self._error(404, "The persistent identifier is not registered.")
            self._check_limits(dep, key, len(data))
            target = self.state.bucket_dir(dep["bucket"]) / key
            atomic_write_bytes(target, data, 0o600)
            entry = self._store_file(dep, key, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
            self.state.save()
            out = next(f for f in self._legacy_files(dep) if f["id"] == entry["id"])
        self._respond(201, out)
