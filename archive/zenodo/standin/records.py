"""Public read endpoints: records, their files, and the licence vocabulary."""

from __future__ import annotations

from archive.zenodo.standin import views
from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.vocabulary import LICENSE_ALIASES, normalise_license


class RecordEndpoints(HandlerBase):
    """``/api/records/{id}``, its files, and ``/api/licenses``."""

    def _record(self, rec_id: str) -> None:
        """A published record; a concept (parent) id answers 302 to its latest version."""
        with self.state.lock:
            concept = self.state.model["concepts"].get(rec_id)
            if concept is not None and concept["versions"]:
                target = views.record_self(self._base(), max(concept["versions"]))
                return self._respond(302, headers={"Location": target})
            dep = self.state.model["depositions"].get(rec_id)
            if dep is None or not dep["published"]:
                raise self._error(404, "The persistent identifier is not registered.")
            out = views.record(self.state.model, dep, self._base())
        self._respond(200, out)

    def _record_latest(self, rec_id: str) -> None:
        """``versions/latest``: 301 to the latest published version's ``links.self`` (InvenioRDM's code)."""
        with self.state.lock:
            dep = self.state.model["depositions"].get(rec_id)
            if dep is None or not dep["published"]:
                raise self._error(404, "The persistent identifier is not registered.")
            latest = max(self.state.model["concepts"][dep["conceptrecid"]]["versions"])
            target = views.record_self(self._base(), latest)
        self._respond(301, headers={"Location": target})

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

    def _record_file_public(self, rec_id: str, key: str) -> None:
        self._record_file(rec_id, key, draft=False)

    def _record_file_draft(self, rec_id: str, key: str) -> None:
        self._record_file(rec_id, key, draft=True)

    def _licenses(self) -> None:
        ids = sorted({normalise_license(x) or x for x in LICENSE_ALIASES.values()})
        self._respond(200, {"hits": {"hits": [{"id": i} for i in ids], "total": len(ids)}})
