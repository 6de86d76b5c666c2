"""Attach arithmetic checks (claim-check-v1) to a manifest's claims, by claim id."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from provenance.contracts import PAPER_MANIFEST
from provenance.errors import InputError
from provenance.schemas import require_valid


def attach_checks(manifest: Mapping[str, Any], checks_doc: Any, *, source: str) -> dict[str, Any]:
    """A copy of ``manifest`` whose claims carry the checks of ``checks_doc`` ({"claims": [{id, check}]}).

    Every id must name a claim of the manifest; every error is reported at once.
    The result is validated against paper-manifest-v1.1.
    """
    if not isinstance(checks_doc, Mapping) or not isinstance(checks_doc.get("claims"), list):
        raise InputError('expected {"claims": [{"id": ..., "check": {...}}]}', where=source, remedy="fix the checks file")
    result = copy.deepcopy(dict(manifest))
    by_id = {claim["id"]: claim for claim in result.get("claims", [])}
    problems: list[str] = []
    for index, entry in enumerate(checks_doc["claims"]):
        path = f"$.claims[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or "check" not in entry:
            problems.append(f"{path}: needs an \"id\" string and a \"check\" object")
            continue
        claim = by_id.get(entry["id"])
        if claim is None:
            problems.append(f"{path}: no claim {entry['id']!r} in the manifest (ids: {', '.join(by_id) or 'none'})")
            continue
        claim["check"] = copy.deepcopy(entry["check"])
    if problems:
        raise InputError("; ".join(problems), where=source, remedy="use the claim ids `provenance ingest` printed")
    require_valid(result, PAPER_MANIFEST, where=source)
    return result
