"""Reproduce claim inputs with a repro script run in the sandbox, then check the claims on them.

The script gets the data directory read-only at ``/data`` (also as its first
argument and ``$REPRO_DATA``), a private writable ``/tmp``, no network, and
prints one JSON object ``{name: decimal string}`` on stdout. A name is either an
input name (it feeds every claim with that input) or ``claim_id.input`` (only
that claim). Each claim fed by the run gets a ``sandbox`` verdict: scope
``reproduced`` when every one of its inputs came from the run, with the
script's, data's and output's sha256 recorded.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from provenance.claims.engine import check_sha256_of, compare, computed_of, error_verdict, reason_for
from provenance.claims.errors import ClaimError
from provenance.claims.model import Claim
from provenance.claims.verdict import Artifact, Scope, Status, Verdict
from provenance.clock import rfc3339
from provenance.decimal_text import is_decimal, parse_decimal, render_shortest
from provenance.errors import InputError
from provenance.inputfile import open_regular_file
from provenance.jsonio import canonical_sha256, loads_strict
from provenance.sandbox.runner import Bind, Sandbox, SandboxRequest, SandboxResult

MAX_DATA_FILES = 100_000
SCRIPT_DIR = "/repro"
DATA_DIR = "/data"


def file_sha256(path: Path) -> str:
    """Lowercase hex sha256 of a regular file (a FIFO or a device is an InputError, never read)."""
    h = hashlib.sha256()
    with open_regular_file(path, what="a repro script or data file") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_tree(data: Path) -> list[dict[str, Any]]:
    """Every file under ``data`` as ``{path, sha256, size}`` (symlinks as ``{path, link}``), sorted by path."""
    entries: list[dict[str, Any]] = []
    for root, dirs, files in os.walk(data, followlinks=False):
        dirs.sort()
        for name in [*files, *(d for d in dirs if (Path(root) / d).is_symlink())]:
            path = Path(root) / name
            rel = path.relative_to(data).as_posix()
            if path.is_symlink():
                entries.append({"path": rel, "link": os.readlink(path)})
            elif path.is_file():
                entries.append({"path": rel, "sha256": file_sha256(path), "size": path.stat().st_size})
            if len(entries) > MAX_DATA_FILES:
                raise InputError(
                    f"data directory has more than {MAX_DATA_FILES} files", where=str(data), remedy="give a smaller data set"
                )
    return sorted(entries, key=lambda e: str(e["path"]))


def data_sha256(data: Path) -> str:
    """sha256 of the RFC 8785 bytes of ``{"files": data_tree(data)}``."""
    return canonical_sha256({"files": data_tree(data)})


def python_request(
    script: Path, *, data: Path | None, timeout: float, memory_mb: int | None, interpreter: Path | None = None
) -> SandboxRequest:
    """A request that runs ``script`` with this Python (isolated mode) over ``data`` mounted at /data."""
    exe = (interpreter or Path(sys.executable)).resolve()
    binds = [Bind(script.resolve(), f"{SCRIPT_DIR}/{script.name}")]
    prefix = Path(sys.base_prefix).resolve() if interpreter is None else exe.parent.parent
    if not exe.is_relative_to("/usr"):
        binds.append(Bind(prefix, str(prefix)))
    argv = [str(exe), "-I", "-B", f"{SCRIPT_DIR}/{script.name}"]
    env = {}
    if data is not None:
        binds.append(Bind(data.resolve(), DATA_DIR))
        argv.append(DATA_DIR)
        env["REPRO_DATA"] = DATA_DIR
    return SandboxRequest(argv=tuple(argv), ro_binds=tuple(binds), timeout=timeout, memory_mb=memory_mb, env=env)


@dataclass(frozen=True)
class ReproRun:
    """One script run: the result, the parsed outputs (or why there are none), and the digests."""

    script: Path
    data: Path | None
    result: SandboxResult
    outputs: Mapping[str, str] | None
    error: str | None
    script_sha256: str
    data_sha256: str | None
    outputs_sha256: str
    timeout: float
    memory_mb: int | None
    runner: str

    def sandbox_record(self) -> dict[str, Any]:
        """The verdict's ``sandbox`` object."""
        return {
            "sealed": self.result.sealed,
            "unsafe_no_sandbox": not self.result.sealed,
            "runner": self.runner,
            "script_sha256": self.script_sha256,
            "data_sha256": self.data_sha256,
            "outputs_sha256": self.outputs_sha256,
            "exit_code": self.result.returncode,
            "timed_out": self.result.timed_out,
            "limits": {"timeout_seconds": render_shortest(Fraction(self.timeout).limit_denominator(1000), 3), "memory_mb": self.memory_mb,
                       "processes": self.result.process_cap},
        }

    def artifacts(self) -> tuple[Artifact, ...]:
        found = [Artifact("script", self.script.name, self.script_sha256)]
        if self.data is not None and self.data_sha256 is not None:
            found.append(Artifact("data", self.data.name or str(self.data), self.data_sha256))
        found.append(Artifact("outputs", "stdout", self.outputs_sha256))
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.sandbox_record(),
            "script": str(self.script),
            "data": str(self.data) if self.data is not None else None,
            "ok": self.error is None,
            "error": self.error,
            "outputs": dict(self.outputs) if self.outputs is not None else None,
            "stderr_tail": self.result.stderr.decode("utf-8", "replace")[-2000:],
            "wall_seconds": render_shortest(Fraction(self.result.wall_seconds).limit_denominator(1000), 3),
        }


def parse_outputs(stdout: bytes) -> dict[str, str]:
    """The script's ``{name: decimal string}``; one :class:`InputError` lists every bad entry."""
    try:
        doc = loads_strict(stdout, source="script output")
    except InputError as exc:
        raise InputError(
            exc.message,
            where=exc.where,
            remedy="print only the JSON object {name: decimal string} on stdout (log to stderr)",
        ) from None
    if not isinstance(doc, dict):
        raise InputError("script output must be one JSON object {name: decimal string}", where="script output", remedy="print json.dumps({...})")
    problems = []
    for key, value in doc.items():
        parts = key.split(".")
        if len(parts) > 2 or not all(p and (p[0].isalpha() or p[0] == "_") and p.isascii() for p in parts):
            problems.append(f"{key!r}: not an input name or claim_id.input")
        elif not is_decimal(value):
            problems.append(f"{key!r}: value {value!r} is not a decimal string")
    if problems:
        raise InputError(
            "bad script output: " + "; ".join(problems[:20]),
            where="script output",
            remedy='print decimal strings, e.g. {"nq": "11.2"} (str(Decimal) or f"{x}", never floats)',
        )
    return {str(k): str(v) for k, v in doc.items()}


def run_repro(
    script: Path, *, data: Path | None, sandbox: Sandbox, timeout: float = 60.0, memory_mb: int | None = 1024, runner_name: str | None = None
) -> ReproRun:
    """Run ``script`` in ``sandbox`` and parse its outputs. A failing script is a result, not an exception."""
    if not script.is_file():
        raise InputError("no such script", where=str(script), remedy="give the path of a Python repro script")
    if data is not None and not data.is_dir():
        raise InputError("not a directory", where=str(data), remedy="give --data a directory")
    script_digest = file_sha256(script)
    data_digest = data_sha256(data) if data is not None else None
    result = sandbox.run(python_request(script, data=data, timeout=timeout, memory_mb=memory_mb))
    outputs: dict[str, str] | None = None
    error: str | None = None
    failure = result.failure()
    if failure is not None:
        error = f"repro script {script.name} {failure}"
    else:
        try:
            outputs = parse_outputs(result.stdout)
        except InputError as exc:
            error = f"repro script {script.name} printed unusable output: {exc}"
    return ReproRun(
        script=script,
        data=data,
        result=result,
        outputs=outputs,
        error=error,
        script_sha256=script_digest,
        data_sha256=data_digest,
        outputs_sha256=hashlib.sha256(result.stdout).hexdigest(),
        timeout=timeout,
        memory_mb=memory_mb,
        runner=runner_name or result.runner,
    )


def _fed(claim: Claim, outputs: Mapping[str, str]) -> dict[str, str]:
    assert claim.check is not None
    values: dict[str, str] = {}
    for name in claim.check.inputs:
        if f"{claim.id}.{name}" in outputs:
            values[name] = outputs[f"{claim.id}.{name}"]
        elif name in outputs:
            values[name] = outputs[name]
    return values


def apply_repro(claims: Sequence[Claim], run: ReproRun, *, now: datetime) -> list[Verdict]:
    """Verdicts (method ``sandbox``) for the claims the run feeds; on a failed run, an error for every checked claim."""
    checked = [c for c in claims if c.check is not None or c.check_error is not None]
    record = run.sandbox_record()
    if run.outputs is None:
        return [_with_sandbox(error_verdict(c, run.error or "repro run failed", now=now, method="sandbox"), run, record) for c in checked]
    verdicts: list[Verdict] = []
    for claim in checked:
        if claim.check_error is not None:
            if any(k.startswith(f"{claim.id}.") for k in run.outputs):
                verdicts.append(_with_sandbox(error_verdict(claim, claim.check_error, now=now, method="sandbox"), run, record))
            continue
        assert claim.check is not None
        fed = _fed(claim, run.outputs)
        if not fed:
            continue
        check = claim.check
        values = {name: parse_decimal(item.value) for name, item in check.inputs.items()}
        values.update({name: parse_decimal(v) for name, v in fed.items()})
        try:
            outcome = compare(check, values, where=f"claim {claim.id}: check")
        except ClaimError as exc:
            verdicts.append(_with_sandbox(error_verdict(claim, exc, now=now, method="sandbox"), run, record))
            continue
        missing = [name for name in check.inputs if name not in fed]
        scope: Scope = "arithmetic" if missing else "reproduced"
        status: Status = "verified" if outcome.holds else "falsified"
        reproduced_check = check.with_inputs(fed)
        reason = reason_for(reproduced_check, outcome)
        where = "a sealed sandbox run" if run.result.sealed else "an UNSAFE unsandboxed run"
        reason += f" on inputs from {where} of {run.script.name}"
        changed = [f"{n}={fed[n]} (stated {check.inputs[n].value})" for n in fed if parse_decimal(fed[n]) != parse_decimal(check.inputs[n].value)]
        if changed:
            reason += "; reproduced values differ: " + ", ".join(changed)
        if missing:
            reason += "; not reproduced: " + ", ".join(missing)
        verdicts.append(
            Verdict(
                claim_id=claim.id,
                status=status,
                method="sandbox",
                scope=scope,
                reason=reason,
                evaluated_at=rfc3339(now),
                computed=computed_of(outcome.value),
                expected=check.expected,
                tolerance=check.tolerance,
                precision=check.precision,
                check_sha256=check_sha256_of(claim),
                formula=check.formula,
                inputs={n: i.value for n, i in reproduced_check.inputs.items()},
                artifacts=run.artifacts(),
                sandbox=record,
                extra={"reproduced_inputs": {n: {"stated": check.inputs[n].value, "reproduced": v} for n, v in fed.items()}},
            )
        )
    return verdicts


def _with_sandbox(verdict: Verdict, run: ReproRun, record: Mapping[str, Any]) -> Verdict:
    from dataclasses import replace

    return replace(verdict, sandbox=dict(record), artifacts=run.artifacts())
