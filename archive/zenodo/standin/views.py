"""The JSON the stand-in answers with: depositions, their files, and public records.

Pure functions of the model and the base URL the client used.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from archive.zenodo.standin.state import state_name


def latest_link(base: str, record_id: int | str) -> str:
    """``links.latest`` of a published record: its own ``versions/latest``, which redirects (InvenioRDM)."""
    return f"{base}/api/records/{record_id}/versions/latest"


def record_self(base: str, record_id: int | str) -> str:
    """``links.self`` of a published record."""
    return f"{base}/api/records/{record_id}"


def legacy_files(dep: Mapping[str, Any], base: str) -> list[dict[str, Any]]:
    """The deposition files list: bare-hex ``checksum``, ``filename`` and ``filesize``, oldest first."""
    out = []
    for key, f in sorted(dep["files"].items(), key=lambda kv: kv[1]["created"]):
        out.append({
            "id": f["id"], "filename": key, "filesize": f["size"], "checksum": f["md5"],
            "links": {"self": f"{base}/api/deposit/depositions/{dep['id']}/files/{f['id']}",
                      "download": f"{base}/api/records/{dep['id']}/draft/files/{key}/content"},
        })
    return out


def deposition(model: Mapping[str, Any], dep: Mapping[str, Any], base: str, *,
               with_bucket: bool = True) -> dict[str, Any]:
    """A deposition as the legacy API returns it (``links.bucket`` only on a single GET)."""
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
        links.update({
            "record": f"{base}/api/records/{dep_id}", "record_html": f"{base}/records/{dep_id}",
            "latest": latest_link(base, dep_id), "latest_html": f"{base}/records/{dep_id}/latest",
            "doi": f"https://doi.org/{dep['doi']}", "badge": f"{base}/badge/doi/{dep['doi']}.svg",
        })
        if not dep.get("edit_open"):
            links["self"] = f"{base}/api/records/{dep_id}"
    out: dict[str, Any] = {
        "id": dep_id, "record_id": dep_id, "conceptrecid": dep["conceptrecid"], "created": dep["created"],
        "modified": dep["modified"], "owner": dep["owner"], "title": metadata.get("title", ""),
        "state": state_name(dep), "submitted": bool(dep["published"]), "metadata": metadata,
        "files": legacy_files(dep, base), "links": links,
    }
    if dep.get("doi"):
        out["doi"] = dep["doi"]
        out["doi_url"] = f"https://doi.org/{dep['doi']}"
    conceptdoi = model["concepts"].get(dep["conceptrecid"], {}).get("conceptdoi")
    if conceptdoi:
        out["conceptdoi"] = conceptdoi
    return out


def record(model: Mapping[str, Any], dep: Mapping[str, Any], base: str) -> dict[str, Any]:
    """A published record as ``/api/records/{id}`` returns it (``md5:``-prefixed checksums)."""
    concept = model["concepts"][dep["conceptrecid"]]
    return {
        "id": dep["id"], "recid": dep["id"], "conceptrecid": dep["conceptrecid"], "doi": dep["doi"],
        "conceptdoi": concept.get("conceptdoi"), "created": dep["created"], "updated": dep["modified"],
        "metadata": copy.deepcopy(dep["snapshot"]["metadata"]),
        "files": [{"id": f["id"], "key": k, "size": f["size"], "checksum": f"md5:{f['md5']}",
                   "links": {"self": f"{base}/api/records/{dep['id']}/files/{k}/content"}}
                  for k, f in dep["files"].items()],
        "links": {"self": f"{base}/api/records/{dep['id']}", "html": f"{base}/records/{dep['id']}",
                  "doi": f"https://doi.org/{dep['doi']}",
                  "latest": latest_link(base, dep["id"])},
    }
