#!/usr/bin/env python3
"""Lean step benchmarks: emit time for 10,000 claims; Lean throughput batched vs one process per theorem.

Peers, measured in the same run on the same data: the exact claims engine
(``check_claims``) for emission, and one ``lean`` process per theorem for the
batched Lean run (only where ``lean`` is on PATH).

Emission and reading are timed in CPU seconds of this process (the machine is
shared; wall seconds are printed too); Lean runs are timed in wall seconds.

Usage: .venv/bin/python bench/bench_lean.py [--quick]
The last line printed is one JSON object {"bench": "lean", "rows": [...]}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from provenance.claims.engine import check_claims  # noqa: E402
from provenance.claims.model import load_claims  # noqa: E402
from provenance.decimal_text import render_decimal  # noqa: E402
from provenance.lean.emit import items_from, plan_project, write_project  # noqa: E402
from provenance.lean.pipeline import check_project  # noqa: E402
from provenance.lean.reader import read_file  # noqa: E402
from provenance.lean.runner import find_lean  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _decimal(rng: random.Random) -> str:
    places = rng.choice((0, 1, 1, 2))
    return render_decimal(Fraction(rng.randint(1, 10**5), 10**places), places)


def make_document(count: int, seed: int = 7) -> dict[str, Any]:
    """``count`` claims shaped like the seeds: means, differences, ratios, percent changes, with tolerances."""
    rng = random.Random(seed)
    shapes = ("mean", "difference(a, b)", "ratio(a, b)", "percent_change(a, b)", "sum", "max(a, b) - min(a, c)")
    claims = []
    for i in range(count):
        inputs = {name: _decimal(rng) for name in ("a", "b", "c")}
        formula = rng.choice(shapes)
        check: dict[str, Any] = {"formula": formula, "inputs": inputs, "expected": _decimal(rng)}
        if rng.random() < 0.5:
            check["tolerance"] = {"relative": "0.05"}
        else:
            check["precision"] = rng.randint(0, 3)
        claims.append({"id": f"claim-{i}", "text": f"claim number {i}", "check": check})
    return {"claims": claims}


WALL: dict[str, float] = {}


def timed(fn: Any, *args: Any, label: str = "") -> tuple[float, Any]:
    """CPU seconds of this process (stable on a shared machine); wall seconds are kept in WALL[label]."""
    start, wall = time.process_time(), time.perf_counter()
    result = fn(*args)
    WALL[label] = time.perf_counter() - wall
    return time.process_time() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 claims and a small Lean sample")
    args = parser.parse_args()
    count = 1_000 if args.quick else 10_000
    rows: list[dict[str, Any]] = []

    claims = load_claims(make_document(count))
    t_exact, verdicts = timed(lambda: check_claims(claims, now=NOW), label="exact")
    t_plan, plan = timed(lambda: plan_project(*items_from(claims, verdicts)), label="plan")
    with tempfile.TemporaryDirectory() as tmp:
        t_write, _ = timed(lambda: write_project(plan, Path(tmp) / "proj"), label="write")
    t_emit = t_plan + t_write
    print(f"claims: {count}; theorems emitted: {len(plan.theorems)}; files: {len(plan.files)}")
    print(f"exact engine (peer): {t_exact:.3f} CPU s ({WALL['exact']:.3f} s wall)")
    print(f"emit (encode + render + grammar check + write): {t_emit:.3f} CPU s "
          f"({WALL['plan'] + WALL['write']:.3f} s wall; {t_emit / t_exact:.2f}x the exact check)")
    target = 2.0 * count / 10_000
    rows.append({
        "figure": f"emit {count} claims (CPU s); peer: exact engine on the same claims",
        "ours": round(t_emit, 4), "peer": round(t_exact, 4), "ratio": round(t_emit / t_exact, 3),
        "target": f"< {target:g} s", "met": t_emit < target,
    })

    texts = [data.decode() for rel, data in plan.files.items() if rel.startswith("Claims/")]
    t_read, read = timed(lambda: [read_file(text) for text in texts], label="read")
    all_true = all(t.value for f in read for t in f.theorems)
    print(f"independent reader: {t_read:.3f} CPU s for {sum(len(f.theorems) for f in read)} theorems; all read true: {all_true}")
    rows.append({
        "figure": "read back every emitted theorem (CPU s); peer: emit",
        "ours": round(t_read, 4), "peer": round(t_emit, 4), "ratio": round(t_read / t_emit, 3),
        "target": "all statements read true", "met": all_true,
    })

    toolchain = find_lean()
    if toolchain is None:
        print("Lean batched vs per-theorem: not measured (lean not on PATH; install with elan)")
    else:
        sample = 20 if args.quick else 100
        small = load_claims(make_document(sample, seed=11))
        small_verdicts = check_claims(small, now=NOW)
        with tempfile.TemporaryDirectory() as tmp:
            batched = Path(tmp) / "batched"
            write_project(plan_project(*items_from(small, small_verdicts)), batched)
            timed(lambda: check_project(batched, toolchain=toolchain, jobs=2, timeout=600), label="batch")
            t_batch = WALL["batch"]
            result = check_project(batched, toolchain=toolchain, jobs=2, timeout=600)
            per = 0.0
            single_n = min(sample, 10 if args.quick else 20)
            for index in range(single_n):
                one = Path(tmp) / f"one{index}"
                items, skipped = items_from(small[index : index + 1], small_verdicts[index : index + 1])
                write_project(plan_project(items, skipped), one)
                timed(lambda one=one: check_project(one, toolchain=toolchain, jobs=1, timeout=600), label="one")
                per += WALL["one"]
        batch_rate = len(result.checks) / t_batch
        single_rate = single_n / per
        print(f"Lean {toolchain.version}: batched {batch_rate:.1f} theorems/s; one process per theorem {single_rate:.2f} theorems/s")
        rows.append({
            "figure": "Lean theorems checked per second, batched (100/file); peer: one process per theorem",
            "ours": round(batch_rate, 3), "peer": round(single_rate, 3), "ratio": round(batch_rate / single_rate, 2),
            "target": "> 10x", "met": batch_rate / single_rate > 10 and result.all_accepted,
        })
    print(json.dumps({"bench": "lean", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
