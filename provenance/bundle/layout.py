"""Where everything lives in a bundle, and how the attestation covers it.

A bundle is a BagIt 1.0 bag::

    bagit.txt, bag-info.txt                 tag files (bag-info in a fixed order)
    manifest-sha256.txt, manifest-sha512.txt
    attestation.dsse.json                   DSSE envelope of an in-toto Statement v1
    tagmanifest-sha256.txt, tagmanifest-sha512.txt
    data/ro-crate-metadata.json             RO-Crate 1.2; data/ is the crate root
    data/manifest.json                      the paper manifest (paper-manifest-v1.1)
    data/verdicts.json                      {"contract": "bundle-verdicts-v1", "verdicts": [verdict-v1...]}
    data/provenance/source-provenance.dsse.json   signed source-provenance-v1
    data/lean/...                           the emitted Lean project (when a claim has a check)
    data/repro/<script>, data/repro/data/..., data/repro/runs.json   repro runs (with --repro)
    data/corrections/corrections.jsonl(.checkpoint)                 the correction log (with --corrections)
    data/artifacts/<name>[/...]             files the record rests on (with --include)

How the attestation relates to the tag manifests (decided here):

* The Statement has one subject per file of the bag except the two tag manifests
  and the attestation itself: every payload file, ``bagit.txt``, ``bag-info.txt``
  and both payload manifests. It is signed after those are written.
* The attestation is then a tag file like any other, so both tag manifests list
  it; the tag manifests list every tag file except tag manifests (RFC 8493).
* The **bundle id** is ``sha256:`` + the sha256 of ``tagmanifest-sha256.txt``. It
  therefore covers the attestation, and through it and the manifests every file.
  Ed25519 signatures are deterministic, so the same inputs, key and
  ``SOURCE_DATE_EPOCH`` give the same attestation bytes and the same bundle id.
* The tag manifests are the only files the signature does not name; they hold
  nothing but digests of files it does name, and verification recomputes them.
"""

from __future__ import annotations

import re

from provenance.signing.intoto import predicate_type_uri

ATTESTATION = "attestation.dsse.json"
BAG_INFO = "bag-info.txt"
TAG_MANIFEST_SHA256 = "tagmanifest-sha256.txt"
MANIFEST = "data/manifest.json"
VERDICTS = "data/verdicts.json"
CRATE = "data/ro-crate-metadata.json"
SOURCE_PROVENANCE = "data/provenance/source-provenance.dsse.json"
LEAN_DIR = "data/lean/"
REPRO_DIR = "data/repro/"
REPRO_RUNS = "data/repro/runs.json"
CORRECTIONS_LOG = "data/corrections/corrections.jsonl"
CORRECTIONS_CHECKPOINT = CORRECTIONS_LOG + ".checkpoint"
CITATION = "data/CITATION.cff"
ARTIFACTS_DIR = "data/artifacts/"

BUNDLE_PREDICATE_TYPE = predicate_type_uri("bundle")
"""``https://provenance-archive.dev/attestation/bundle/v1``"""
PROFILE_ID = "https://provenance-archive.dev/profiles/bundle/1.0"
ATTESTOR_ROLE = "attestor"
_TAG_MANIFEST = re.compile(r"^tagmanifest-[a-z0-9]+\.txt$")


def is_signed_name(name: str) -> bool:
    """True for every bag file the attestation names (all but tag manifests and itself)."""
    return name != ATTESTATION and not _TAG_MANIFEST.match(name)


def bundle_id_of(tagmanifest_sha256_hex: str) -> str:
    """``sha256:<hex>``: the form corrections and citations use."""
    return f"sha256:{tagmanifest_sha256_hex}"
