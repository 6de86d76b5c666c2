"""Deposition actions: publish, edit, discard, newversion."""

from __future__ import annotations

import copy
import os
import shutil
import time
import uuid

from archive.zenodo.standin.config import ACTIONS
from archive.zenodo.standin.handler import HandlerBase
from archive.zenodo.standin.state import now_iso
from archive.zenodo.vocabulary import check_publishable


class ActionEndpoints(HandlerBase):
    """``/api/deposit/depositions/{id}/actions/{publish|edit|discard|newversion}``."""

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
            dep["modified"] = now_iso()
            self.state.save()
            out = self._view(dep)
        self._respond(202, out)

    def _action_edit(self, dep_id: str) -> None:
        owner = self._auth(ACTIONS)
        with self.state.lock:
            dep = self._dep(dep_id, owner)
            if dep["published"] and not dep.get("edit_open"):
                dep["edit_open"] = True
                dep["modified"] = now_iso()
                self.state.save()
            out = self._view(dep)
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
                now = now_iso()
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
            out = self._view(dep if self.state.config.newversion_mode == "doc" else draft)
            if self.state.config.newversion_mode == "doc":
                out["links"]["latest_draft"] = f"{self._base()}/api/deposit/depositions/{draft['id']}"
        self._respond(201, out)
