#!/usr/bin/env python3
"""Regenerate (or, with --check, compare) the Lean golden files of the six seed claims.

Input: tests/lean/golden/seed-claims.json (a copy of ../shared/examples/seed-claims.json;
refresh it with --from PATH). Output: tests/lean/golden/seed-claims/, the exact Lake
project `provenance lean emit` writes. tests/lean/test_golden.py compares byte for byte.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from provenance.claims.engine import check_claims  # noqa: E402
from provenance.claims.model import load_claims  # noqa: E402
from provenance.jsonio import load_json_file  # noqa: E402
from provenance.lean.emit import ProjectPlan, items_from, plan_project, write_project  # noqa: E402

GOLDEN = REPO / "tests" / "lean" / "golden"
INPUT = GOLDEN / "seed-claims.json"
OUTPUT = GOLDEN / "seed-claims"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def golden_plan(source: Path = INPUT) -> ProjectPlan:
    """The project plan for the seed claims (pure; no clock enters the files)."""
    claims = load_claims(load_json_file(source), source=str(source))
    items, skipped = items_from(claims, check_claims(claims, now=NOW))
    return plan_project(items, skipped)


def differences(plan: ProjectPlan, directory: Path) -> list[str]:
    """Relative paths whose bytes differ from ``plan`` (missing and extra files included)."""
    found = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} if directory.is_dir() else set()
    out = sorted(set(plan.files) ^ found)
    out += sorted(rel for rel in set(plan.files) & found if (directory / rel).read_bytes() != plan.files[rel])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on any difference")
    parser.add_argument("--from", dest="source", type=Path, help="refresh the input copy from this seed-claims.json first")
    args = parser.parse_args()
    if args.source is not None:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.source, INPUT)
    plan = golden_plan()
    if args.check:
        diff = differences(plan, OUTPUT)
        for rel in diff:
            print(f"differs: {rel}")
        print("golden files match" if not diff else f"{len(diff)} golden files differ")
        return 1 if diff else 0
    write_project(plan, OUTPUT)
    print(f"wrote {len(plan.files)} files to {OUTPUT.relative_to(REPO)} ({len(plan.theorems)} theorems)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
