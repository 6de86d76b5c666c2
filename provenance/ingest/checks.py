"""Attach arithmetic checks (claim-check-v1) to a manifest's claims, by claim id."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from provenance.claims.errors import CheckFormatError, ClaimError
from provenance.claims.model import parse_check
from provenance.contracts import CLAIM_CHECK, PAPER_MANIFEST
from provenance.errors import InputError
from provenance.schemas import require_valid, validate


def attach_checks(manifest: Mapping[str, Any], checks_doc: Any, *, source: str) -> dict[str, Any]:
    """A copy of ``manifest`` whose claims carry the checks of ``checks_doc`` ({"claims": [{id, check}]}).

    The checks file is judged as what it is, not as a manifest: every id must name a claim of
    the manifest, once; every check must parse (claim-check-v1: decimal strings, a tolerance
    and/or a precision, a formula over its inputs that parses). Every problem is reported at
    once, in plain words with what to write, as one :class:`InputError` (exit 2). The result
    is validated against paper-manifest-v1.1.
    """
    if not isinstance(checks_doc, Mapping) or not isinstance(checks_doc.get("claims"), list):
        raise InputError('the checks file must be {"claims": [{"id": ..., "check": {...}}]}', where=source,
                         remedy="fix the checks file")
    result = copy.deepcopy(dict(manifest))
    by_id = {claim["id"]: claim for claim in result.get("claims", [])}
    problems: list[str] = []
    first_at: dict[str, str] = {}
    for index, entry in enumerate(checks_doc["claims"]):
        path = f"$.claims[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or "check" not in entry:
            problems.append(f"{path}: needs an \"id\" string and a \"check\" object")
            continue
        cid = entry["id"]
        if cid in first_at:
            problems.append(f"{path}.id: claim {cid!r} already has a check at {first_at[cid]} (one check per claim)")
            continue
        first_at[cid] = path
        claim = by_id.get(cid)
        if claim is None:
            problems.append(f"{path}: no claim {cid!r} in the manifest (ids: {', '.join(by_id) or 'none'})")
            continue
        problems += _check_problems(entry["check"], f"{path}.check")
        claim["check"] = copy.deepcopy(entry["check"])
    if problems:
        raise InputError("checks file: " + "; ".join(problems), where=source,
                         remedy="fix each one named (`provenance claims check --help` describes a check)")
    require_valid(result, PAPER_MANIFEST, where=f"{source} (attached to the manifest)")
    return result


def _check_problems(raw: Any, where: str) -> list[str]:
    """Why ``raw`` is not a usable check, in the engine's words, then anything else its schema refuses."""
    try:
        parse_check(raw, where=where)
    except CheckFormatError as exc:
        return [exc.message]
    except ClaimError as exc:  # the formula: a syntax error, an unknown name, a wrong arity, too complex
        return [str(exc).removesuffix("; fix the formula")]
    return [f"{where}{f.path.removeprefix('$')}: {f.message}" for f in validate(raw, CLAIM_CHECK)]
