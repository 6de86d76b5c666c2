"""Repro script for claim c2 of rag-benchmark-paper.txt.

Reads the per-benchmark exact-match scores from DATA/exact_match.csv (DATA is the
first argument, or the directory beside this script) and prints, as JSON, the
gain of each benchmark as a decimal string: the inputs of the claim's check.
Exact decimal arithmetic; no network, no writes.
"""

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

NAMES = {"NaturalQuestions": "nq", "TriviaQA": "tqa", "WebQuestions": "wq"}


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    gains = {}
    with open(data / "exact_match.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gain = Decimal(row["retrieval_augmented"]) - Decimal(row["closed_book"])
            gains[NAMES[row["benchmark"]]] = str(gain)
    print(json.dumps(gains, sort_keys=True))


if __name__ == "__main__":
    main()
