"""A separate process that appends corrections to a log and reports each committed seq on stdout.

Usage: python append_worker.py ENV_DIR LOG COUNT TAG   (COUNT 0 = until killed)
"""

from __future__ import annotations

import sys
from pathlib import Path

from provenance.corrections.record import ClaimChange, CorrectionRequest
from provenance.corrections.store import append_correction
from provenance.signing.keys import load_signing_key
from provenance.signing.trust import load_trust_root


def main() -> None:
    env_dir, log, count, tag = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    signer = load_signing_key(env_dir / "corrector.key")
    log_key = load_signing_key(env_dir / "log.key")
    trust = load_trust_root(env_dir / "trust-root.json")
    i = 0
    while count == 0 or i < count:
        request = CorrectionRequest(
            type="correction", record_id="SRCH:2A059E4E", what_was_wrong=f"{tag} #{i}", reason_text="concurrency",
            claims=(ClaimChange(f"{tag}-{i}"),),
        )
        result = append_correction(log, request, signer=signer, log_key=log_key, trust=trust)
        print(f"committed {result.seq} {result.line_sha256}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
