"""Deposition endpoints: list (search), create, get, metadata PUT, delete."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Mapping
from typing import Any

from archive.zenodo.standin.config import KNOWN_METADATA, WRITE
from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.standin.state import is_draft, now_iso
from archive.zenodo.vocabulary import check_shapes, normalise_license


class DepositionEndpoints(HandlerBase):
    """``/api/deposit/depositions[/{id}]``."""

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
                deps = [d for d in deps if is_draft(d)]
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
            body = [self._view(d, with_bucket=False) for d in chunk]
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
        self._check_body(body)
        with self.state.lock:
            metadata = self._clean_metadata(body.get("metadata", {}))
            metadata.setdefault("access_right", "open")
            metadata.setdefault("publication_date", self.state.today())
            concept = self.state.allocate()
            dep_id = self.state.allocate()
            now = now_iso()
            dep = {"id": dep_id, "conceptrecid": str(concept), "owner": owner, "created": now, "modified": now,
                   "metadata": metadata, "files": {}, "published": False, "edit_open": False, "doi": None,
                   "snapshot": None, "indexed_at": time.time() + self.state.config.search_lag_s}
            dep["bucket"] = self._new_bucket(dep_id)
            self.state.model["concepts"][str(concept)] = {"conceptdoi": None, "versions": []}
            self.state.model["depositions"][str(dep_id)] = dep
            self.state.save()
            out = self._view(dep)
        self._respond(201, out)

    def _get(self, dep_id: str) -> None:
        owner = self._auth(None)
        with self.state.lock:
            out = self._view(self._dep(dep_id, owner))
        self._respond(200, out)

    def _put(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        body = self._json_body()
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if not is_draft(dep):
                raise self._error(404, "The persistent identifier is not registered.")
            self._check_body(body)
            dep["metadata"] = self._clean_metadata(body.get("metadata", {}))
            dep["metadata"].setdefault("publication_date", self.state.today())  # the legacy layer's default
            dep["modified"] = now_iso()
            self.state.save()
            out = self._view(dep)
        self._respond(200, out)

    def _delete(self, dep_id: str) -> None:
        owner = self._auth(WRITE)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"]:
                raise self._error(404, "The persistent identifier is not registered.")
            self._remove_deposition(dep)
            self.state.save()
        self._respond(204)

    def _check_body(self, body: Any) -> None:
        """A deposition body is ``{"metadata": {...}}`` and nothing else (400 otherwise)."""
        if not isinstance(body, dict):
            raise self._validation([("", "Invalid body.")])
        extra = [k for k in body if k != "metadata"]
        if extra:
            raise self._validation([(k, "Unknown field.") for k in extra])

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
