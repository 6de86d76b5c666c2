"""The names of the document contracts, in one place.

A document says which contract it follows in its ``contract`` field; the JSON
Schema of that name lives in ``schemas/`` (:mod:`provenance.schemas`). The
last three are our own container documents inside a bundle or the auditor's
state and have no schema file of their own.
"""

from __future__ import annotations

PAPER_MANIFEST = "paper-manifest-v1.1"
CLAIM_CHECK = "claim-check-v1"
VERDICT = "verdict-v1"
SOURCE_PROVENANCE = "source-provenance-v1"
CORRECTION_RECORD = "correction-record-v1"
TRUST_ROOT = "trust-root-v1"

BUNDLE_VERDICTS = "bundle-verdicts-v1"
BUNDLE_REPRO_RUNS = "bundle-repro-runs-v1"
TRUST_STATE = "trust-state-v1"
