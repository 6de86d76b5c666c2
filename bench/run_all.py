"""Run every benchmark in bench/ and print one table: figure, ours, peer, ratio, target, met and, where a
benchmark measured one, the ceiling this machine allows for that ratio.

Each ``bench/bench_*.py`` prints readable lines and, as its last line, one JSON
object ``{"bench": NAME, "rows": [{"figure", "ours", "peer", "ratio", "target", "met"}]}``.
Ratios are measured against a peer on the same data in the same run, never
against a stored number. ``--quick`` passes ``--quick`` to each benchmark.

Before timing, the packages are compiled to bytecode, as ``pip install`` leaves them: where the
environment sets PYTHONDONTWRITEBYTECODE (this project's build machines do), every CLI run would
otherwise compile its modules from source again, about 90 ms of CPU that no installed copy pays.
"""

from __future__ import annotations

import argparse
import compileall
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") and '"bench"' in line:
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data sets, for a smoke run")
    parser.add_argument("only", nargs="*", help="benchmark names to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    for package in ("provenance", "archive"):
        compileall.compile_dir(str(HERE.parent / package), quiet=1)
    print("bytecode: provenance/ and archive/ compiled, as an installed copy has them", flush=True)
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for script in scripts:
        argv = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr[-2000:] if proc.returncode else "")
        print(f"   ({time.perf_counter() - start:.1f} s, exit {proc.returncode})", flush=True)
        result = _last_json_line(proc.stdout)
        if proc.returncode != 0 or result is None:
            failed.append(script.name)
            continue
        for row in result.get("rows", []):
            rows.append({"bench": result.get("bench", script.stem), **row})
    header = ["bench", "figure", "ours", "peer", "ratio", "target", "met", "ceiling"]
    table = [header] + [[_cell(r.get(h)) for h in header] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print()
    for index, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    if failed:
        print(f"\nbenchmarks that did not report: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
