"""Bench: exact claim checks per second on generated claims (one core).

Generates N claims (default 100,000; --quick 10,000) with the check shapes of
the seeds (mean of three, difference, percent change, ratio, sum; relative and
absolute tolerances and precisions), then times, in this process:

* ours: ``load_claims`` + ``check_claims`` (parse every check and formula,
  evaluate exactly, build verdict-v1 records with the check's canonical sha256);
* peer: the same arithmetic written directly with ``fractions.Fraction`` (no
  parsing, no verdicts): the floor any exact checker pays.

and, through the whole CLI (issue 14.7): ``provenance claims check FILE --json --lean off`` of the same
claims written to a file, in a child process (its CPU time and peak RSS from ``wait4``), against the
in-process engine (``load_claims`` + ``check_claims``, CPU time). Target: the CLI >= 0.8x the engine's
rate, peak RSS < 300 MB. Beside it, the ceiling this machine allows a CLI that must start, read the file
and write the verdicts: the engine's time over (start-up of the same command on one claim + a bare
``json.loads`` of the input + the engine + a bare write of the output bytes), i.e. as if rendering the
JSON cost nothing; and the same with the standard library's fastest encoder (C, compact, no indent)
rendering the verdicts.

Prints human lines, then one JSON line (the ``make bench`` contract).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provenance.claims.engine import check_claims
from provenance.claims.model import load_claims

TARGET = 20_000
CLI_TARGET = 0.8
CLI_RSS_MB = 300


def dec(rng: random.Random, places: int = 1) -> str:
    units = rng.randint(1, 99_999)
    text = str(units).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}" if places else text


def generate(n: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    claims = []
    for i in range(n):
        shape = i % 5
        if shape == 0:
            inputs = {"a": dec(rng), "b": dec(rng), "c": dec(rng)}
            mean = sum(Fraction(v) for v in inputs.values()) / 3
            check: dict[str, Any] = {"formula": "mean(a, b, c)", "inputs": inputs, "expected": f"{float(mean):.2f}", "tolerance": {"relative": "0.05"}}
        elif shape == 1:
            inputs = {"x": dec(rng), "y": dec(rng)}
            diff = Fraction(inputs["x"]) - Fraction(inputs["y"])
            check = {"formula": "difference(x, y)", "inputs": inputs, "expected": f"{float(diff):.1f}", "tolerance": {"absolute": "0.05"}}
        elif shape == 2:
            inputs = {"old": dec(rng), "new": dec(rng)}
            pct = 100 * (Fraction(inputs["new"]) - Fraction(inputs["old"])) / Fraction(inputs["old"])
            check = {"formula": "percent_change(old, new)", "inputs": inputs, "expected": f"{float(pct):.1f}", "precision": 1}
        elif shape == 3:
            inputs = {"gain": dec(rng), "base": dec(rng)}
            check = {"formula": "ratio(gain, base)", "inputs": inputs, "expected": "1.5", "tolerance": {"relative": "0.1"}}
        else:
            inputs = {"p": dec(rng, 2), "q": dec(rng, 2), "r": dec(rng, 2), "s": dec(rng, 2)}
            check = {"formula": "sum", "inputs": inputs, "expected": "2000.00", "precision": 2}
        claims.append({"id": f"c{i}", "text": "generated", "check": check})
    return {"claims": claims}


def peer(doc: dict[str, Any]) -> int:
    """The same checks as bare Fraction arithmetic on pre-split values."""
    holds = 0
    for item in doc["claims"]:
        check = item["check"]
        values = [Fraction(v) for v in check["inputs"].values()]
        formula = check["formula"]
        if formula.startswith("mean"):
            value = sum(values, Fraction(0)) / len(values)
        elif formula.startswith("difference"):
            value = values[0] - values[1]
        elif formula.startswith("percent"):
            value = 100 * (values[1] - values[0]) / values[0]
        elif formula.startswith("ratio"):
            value = values[0] / values[1]
        else:
            value = sum(values, Fraction(0))
        expected = Fraction(check["expected"])
        if "precision" in check:
            bound = Fraction(5, 10 ** (check["precision"] + 1))
        elif "absolute" in check["tolerance"]:
            bound = Fraction(check["tolerance"]["absolute"])
        else:
            bound = Fraction(check["tolerance"]["relative"]) * abs(expected)
        holds += abs(value - expected) <= bound
    return holds


def best_of(runs: int, fn: Any) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(runs):
        start = time.process_time()  # CPU time of this one process: robust to other load on the machine
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


_MEASURE = """
import json, os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    proc = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
err = proc.stderr.read().decode()
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
                  "code": os.waitstatus_to_exitcode(status), "stderr": err[-1500:]}))
"""
"""Runs the CLI from a small process: a child forked from this one (which holds every claim) would count this
process's pages in its peak RSS."""


def cli_run(path: Path, n: int) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS (MB) of ``provenance claims check PATH --json --lean off``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "SOURCE_DATE_EPOCH": "1767225600"}
    out = path.with_suffix(".out.json")
    measured = json.loads(subprocess.run(
        [sys.executable, "-c", _MEASURE, str(out), sys.executable, "-m", "provenance", "claims", "check", str(path),
         "--json", "--lean", "off"], env=env, check=True, capture_output=True, text=True).stdout)
    if measured["code"] not in (0, 1):
        raise RuntimeError(f"claims check exit {measured['code']}: {measured['stderr']}")
    with out.open("rb") as handle:
        verdicts = json.load(handle)
    assert len(verdicts) == n, len(verdicts)
    return float(measured["cpu"]), float(measured["rss_mb"])


def bare_costs(path: Path, out: Path, verdict_json: list[Any], runs: int) -> dict[str, float]:
    """CPU seconds of what any CLI pays around the engine: a bare strict-less parse of the input, a bare write
    of the output bytes, and the C encoder's compact rendering of the verdicts (the cyclic collector paused,
    as the CLI pauses it)."""
    data = path.read_bytes()
    text = out.read_bytes()
    gc.disable()
    parse_s, _ = best_of(runs, lambda: json.loads(data))
    sink = path.with_suffix(".sink")

    def write() -> None:
        with sink.open("wb") as handle:
            handle.write(text)

    write_s, _ = best_of(runs, write)
    render_s, _ = best_of(runs, lambda: json.dumps(verdict_json, ensure_ascii=False))
    gc.enable()
    return {"parse": parse_s, "write": write_s, "render": render_s}


def start_cpu(work: Path) -> float:
    """CPU seconds of ``claims check --json`` of one claim: the interpreter and the command's imports."""
    one = work / "one.json"
    one.write_text(json.dumps(generate(1)))
    return min(cli_run(one, 1)[0] for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 claims, one run")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    runs = 1 if args.quick else 2
    doc = generate(n)
    now = datetime.now(UTC)

    ours_s, verdicts = best_of(runs, lambda: check_claims(load_claims(doc), now=now))
    peer_s, peer_holds = best_of(runs, lambda: peer(doc))
    verified = sum(v.status == "verified" for v in verdicts)
    assert len(verdicts) == n and verified == peer_holds, (verified, peer_holds)

    ours_rate = n / ours_s
    peer_rate = n / peer_s
    print(f"claims: {n} generated (5 shapes), best of {runs} run(s), one core")
    print(f"ours (parse + exact check + verdict): {ours_s:.2f} s, {ours_rate:,.0f} checks/s; {verified} verified")
    print(f"peer (bare Fraction arithmetic):      {peer_s:.2f} s, {peer_rate:,.0f} checks/s")
    print(f"ours / peer: {ours_rate / peer_rate:.2f}; target >= {TARGET:,} checks/s: {'met' if ours_rate >= TARGET else 'NOT met'}")
    row = {
        "figure": f"exact claim checks per second ({n} claims, one core)",
        "ours": round(ours_rate),
        "peer": round(peer_rate),
        "ratio": round(ours_rate / peer_rate, 3),
        "target": f">= {TARGET} checks/s",
        "met": ours_rate >= TARGET,
    }
    with tempfile.TemporaryDirectory(prefix="bench-claims-") as tmp:
        path = Path(tmp) / "claims.json"
        path.write_text(json.dumps(doc))
        input_mb = path.stat().st_size / 1e6
        cli = [cli_run(path, n) for _ in range(runs)]
        bare = bare_costs(path, path.with_suffix(".out.json"), [v.to_json() for v in verdicts], runs)
        start_s = start_cpu(Path(tmp))
    cli_s, cli_rss = min(c[0] for c in cli), max(c[1] for c in cli)
    cli_ratio = ours_s / cli_s
    cli_met = cli_ratio >= CLI_TARGET and cli_rss < CLI_RSS_MB
    around = start_s + bare["parse"] + bare["write"]
    ceiling = ours_s / (around + ours_s)
    ceiling_c = ours_s / (around + bare["render"] + ours_s)
    print(f"claims check --json (whole CLI, {input_mb:.1f} MB input): "
          f"{cli_s:.2f} s CPU, {n / cli_s:,.0f} checks/s, peak RSS {cli_rss:.0f} MB; in-process engine {ours_s:.2f} s")
    print(f"around the engine, bare: start-up {start_s:.2f} s, json.loads {bare['parse']:.2f} s, "
          f"write {bare['write']:.2f} s; the C encoder's compact rendering {bare['render']:.2f} s")
    print(f"CLI / engine: {cli_ratio:.2f}; target >= {CLI_TARGET} and RSS < {CLI_RSS_MB} MB: "
          f"{'met' if cli_met else 'NOT met'}; ceiling {ceiling:.2f} if rendering were free, "
          f"{ceiling_c:.2f} with the C encoder rendering")
    cli_row = {
        "figure": f"claims check --json, whole CLI ({n} claims) vs the in-process engine",
        "ours": round(n / cli_s),
        "peer": round(ours_rate),
        "ratio": round(cli_ratio, 3),
        "target": CLI_TARGET,
        "peak_rss_mb": round(cli_rss),
        "ceiling": round(ceiling, 3),
        "ceiling_c_encoder": round(ceiling_c, 3),
        "met": cli_met,
    }
    print(json.dumps({"bench": "claims", "rows": [row, cli_row]}))


if __name__ == "__main__":
    main()
