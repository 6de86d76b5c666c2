"""A faithful loopback stand-in for Zenodo's legacy deposit API, with fault injection.

It implements the API *as actually deployed* (``reference/zenodo-api.md``
section 12): scopes and owners, 403 for anonymous calls, 415 for non-JSON
bodies, 405 for file sort/rename, metadata PUT that replaces and drops unknown
keys, ``prereserve_doi`` always under 10.5281, 10.5072 DOIs at publish, 202
from publish, 204 from discard, newversion returning the new draft (or 400
"Please remove all files first."), bare-hex checksums in deposition files and
``md5:`` in the bucket API, ``X-RateLimit-*`` headers and 429 with
``Retry-After``. Uploads stream to disk with the MD5 computed on the fly.
State lives in ``data_dir`` (``state.json`` written atomically, files under
``buckets/``), so a restarted server still knows its depositions.

Against Zenodo on InvenioRDM (the reference's section "Zenodo on InvenioRDM"),
each checked by ``tests/deposit/test_standin_fidelity.py``:

* ``links.latest`` of a published deposition or record is
  ``/api/records/{own id}/versions/latest``; drafts carry none. That URL answers
  301 with ``Location`` = the latest version's ``links.self``, and
  ``/api/records/{concept id}`` answers 302 to the same (:mod:`.records`);
* a create or metadata PUT that omits ``publication_date`` gets today's date
  (:mod:`.depositions`); a new version gets today's date;
* a bucket listing answers 500 as Zenodo does; the knob
  ``bucket_list_500_bug=False`` gives the documented 200 listing (:mod:`.buckets`).

The control plane (``/_control/...``, no auth, test-only) resets the state,
freezes "today", changes knobs and installs ordered fault rules whose
actions are ``status``, ``delay``, ``reset_after_bytes``,
``succeed_then_status``, ``corrupt_checksum`` and ``rate_limit``.
"""

from archive.zenodo.standin.config import ACTIONS, WRITE, StandinConfig
from archive.zenodo.standin.server import StandinServer

__all__ = ["ACTIONS", "WRITE", "StandinConfig", "StandinServer"]
