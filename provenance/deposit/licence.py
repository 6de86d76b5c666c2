"""One licence rule for a record, from its bundle to its deposit.

A record's licence is stated once, in its bundle (``bundle build --license``; the
RO-Crate's root ``license``). ``deposit`` sends that licence. A bundle that states
none ("No licence stated": default copyright) is deposited as Zenodo's
``other-closed`` (Other, not open) unless ``deposit --license`` names one; a
``--license`` that contradicts the bundle's own is refused. Nothing grants a
licence the record never granted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archive.rocrate import LICENCE_NOT_STATED
from archive.zenodo.vocabulary import normalise_license
from provenance.errors import InputError
from provenance.jsonio import loads_strict

NOT_STATED = "other-closed"
"""Zenodo's licence id for a record that grants none (default copyright)."""

_SPDX = re.compile(r"https?://spdx\.org/licenses/([A-Za-z0-9.+-]+?)(?:\.html|\.json)?/?", re.ASCII)
_CC = re.compile(r"https?://creativecommons\.org/licenses/([a-z-]+)/([0-9.]+)/?(?:legalcode)?", re.ASCII)
_CC0 = re.compile(r"https?://creativecommons\.org/publicdomain/zero/1\.0/?(?:legalcode)?", re.ASCII)


def licence_id(reference: str) -> str | None:
    """The Zenodo licence id of a licence URI or id (SPDX or Creative Commons), or None when it has none."""
    text = reference.strip()
    if (spdx := _SPDX.fullmatch(text)) is not None:
        text = spdx.group(1)
    elif (cc := _CC.fullmatch(text)) is not None:
        text = f"cc-{cc.group(1)}-{cc.group(2)}"
    elif _CC0.fullmatch(text):
        text = "cc0-1.0"
    return normalise_license(text)


def stated_licence(crate: bytes | None, *, where: str) -> str | None:
    """The licence URI or id the crate's root states, or None when it states none (or "No licence stated")."""
    if crate is None:
        return None
    doc = loads_strict(crate, source=where)
    graph = doc.get("@graph") if isinstance(doc, Mapping) else None
    root = next((e for e in graph or [] if isinstance(e, Mapping) and e.get("@id") == "./"), None)
    value: Any = root.get("license") if root is not None else None
    ref = value.get("@id") if isinstance(value, Mapping) else value
    if not isinstance(ref, str) or not ref or ref == LICENCE_NOT_STATED["@id"] or ref.startswith("#"):
        return None
    return ref


def deposit_licence(crate: bytes | None, asked: str | None, *, where: str) -> str:
    """The licence to deposit under: the bundle's, else ``asked``, else :data:`NOT_STATED` (see the module rule)."""
    stated = stated_licence(crate, where=where)
    if stated is None:
        if asked is None:
            return NOT_STATED
        chosen = licence_id(asked)
        if chosen is None:
            raise InputError(f"unknown licence {asked!r}", where="--license",
                             remedy="give a Zenodo licence id such as cc-by-4.0, cc0-1.0 or mit")
        return chosen
    own = licence_id(stated)
    if own is None:
        raise InputError(f"the bundle states the licence {stated!r}, which has no Zenodo licence id", where=where,
                         remedy="rebuild it with `bundle build --license` naming an SPDX licence (e.g. CC-BY-4.0)")
    if asked is not None and licence_id(asked) != own:
        raise InputError(f"--license {asked} contradicts the bundle's own licence {stated}", where="--license",
                         remedy="drop --license: a bundle is deposited under the licence it states")
    return own
