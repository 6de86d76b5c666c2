"""Bucket (files API) endpoints: streamed PUT with the MD5 computed on the fly, list, get, delete."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from typing import Any

from archive.zenodo.standin.config import CHUNK, WRITE
from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.standin.replies import Abort, Reply
from archive.zenodo.standin.state import files_editable


class BucketEndpoints(HandlerBase):
    """``/api/files/{bucket}[/{key}]``."""

    def _bucket_owner(self, bucket: str, owner: int, *, write: bool) -> dict[str, Any]:
        dep_id = self.state.model["buckets"].get(bucket)
        if dep_id is None:
            raise self._error(404, "Bucket does not exist.")
        dep = self._dep(str(dep_id), None)
        if dep["owner"] != owner or (write and not files_editable(dep)):
            raise self._error(403, "You don't have the permission to access the requested resource.")
        return dep

    def _bucket_put(self, bucket: str, key: str) -> None:
        owner = self._auth(WRITE)
        length = self._content_length()
        if length is None:
            if self.state.config.require_content_length:
                raise Reply(411, {"status": 411, "message": "Length Required."})
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
                    if self._effect.reset_after is not None:
                        want = min(want, self._effect.reset_after - done)
                        if want <= 0:
                            raise Abort()
                    n = self.rfile.readinto(view[:want])
                    if not n:
                        raise Abort()
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
            except Reply:
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, directory / key)
            entry = self._store_file(dep, key, length, md5)
            self.state.save()
        reported = ("0" * 32) if self._effect.corrupt else md5
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
