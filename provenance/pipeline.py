"""The one evaluation pipeline: the exact check, then Lean, then repro runs.

``claims check``, ``repro run`` and ``bundle build`` all call :func:`evaluate`::

    evaluation = evaluate(claims, now=now, base_dir=..., lean=LeanStep("auto"),
                          repro=ReproStep((script,), sandbox, runner_name))
    evaluation.verdicts   # one per claim: the repro verdict where a run fed the claim, else the exact/Lean one
    evaluation.exact      # the exact verdicts after the Lean step
    evaluation.runs       # per script: the ReproRun and the verdicts it fed
    evaluation.lean_version

The collaborators are typed and injectable: a Lean :class:`Toolchain` and
:class:`LeanRunner` (found on ``PATH`` when not given), and a
:class:`~provenance.sandbox.Sandbox` with the name verdicts record for it
(:func:`provenance.sandbox.choose_sandbox`). The pipeline reads no
environment and prints nothing; ``now`` is the caller's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.claims.engine import check_claims, iter_check_claims
from provenance.claims.leanmode import LeanMode
from provenance.claims.leanmode import (
    parse_lean_mode as parse_lean_mode,  # re-exported: callers import it from here
)
from provenance.claims.model import Claim
from provenance.claims.verdict import Verdict
from provenance.sources.grounding import SourceStore

if TYPE_CHECKING:  # Lean's and a repro run's modules are imported only when they are asked for
    from provenance.claims.repro import ReproRun
    from provenance.lean.runner import LeanRunner, Toolchain
    from provenance.sandbox.runner import Sandbox


@dataclass(frozen=True)
class LeanStep:
    """How to run the Lean step.

    ``mode``: ``auto`` (prove where Lean is installed; otherwise every verdict
    records "Lean not run"), ``off``, or ``require`` (:class:`ToolMissing`
    without Lean). ``toolchain``/``runner`` replace the ``lean`` found on PATH.
    """

    mode: LeanMode = "auto"
    jobs: int = 2
    timeout: float = 120.0
    toolchain: Toolchain | None = None
    runner: LeanRunner | None = None


@dataclass(frozen=True)
class ReproStep:
    """Repro scripts to run, in order, in ``sandbox`` (recorded in verdicts as ``runner_name``)."""

    scripts: tuple[Path, ...]
    sandbox: Sandbox
    runner_name: str
    data: Path | None = None
    timeout: float = 60.0
    memory_mb: int | None = 1024


@dataclass(frozen=True)
class ReproOutcome:
    """One script's run and the verdicts (method ``sandbox``) of the claims it fed."""

    run: ReproRun
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` concluded. ``lean_version`` is None when Lean did not run."""

    exact: tuple[Verdict, ...]
    runs: tuple[ReproOutcome, ...] = ()
    lean_version: str | None = None
    before_lean: tuple[Verdict, ...] = ()
    """The exact verdicts before the Lean step (what the Lean theorems are emitted from)."""

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """One verdict per claim: a later run's verdict replaces an earlier one, and any run's the exact one.

        Exact claims keep their document order; claims only a run reached follow.
        """
        final: dict[str, Verdict] = {v.claim_id: v for v in self.exact}
        for outcome in self.runs:
            for verdict in outcome.verdicts:
                final[verdict.claim_id] = verdict
        exact_ids = {v.claim_id for v in self.exact}
        return tuple(final[v.claim_id] for v in self.exact) + tuple(v for cid, v in final.items() if cid not in exact_ids)


def all_verified(verdicts: Sequence[Verdict]) -> bool:
    """True when every verdict is ``verified`` (vacuously true for none)."""
    return all(v.status == "verified" for v in verdicts)


def _has_check(claims: Sequence[Claim]) -> bool:
    return any(c.check is not None or c.check_error is not None for c in claims)


def _lean_plan(claims: Sequence[Claim], step: LeanStep) -> tuple[Toolchain | None, dict[str, Any] | None]:
    """The Lean toolchain to prove with (None: Lean does not run) and, when Lean was wanted but is absent,
    every verdict's ``lean`` record; :class:`ToolMissing` for ``require`` without Lean."""
    parse_lean_mode(step.mode)
    if step.mode == "off" or not _has_check(claims):
        return None, None
    from provenance.lean.runner import locate_lean, missing_lean

    toolchain, why = (step.toolchain, "") if step.toolchain is not None else locate_lean()
    if toolchain is not None:
        return toolchain, None
    if step.mode == "require":
        raise missing_lean(why, remedy_suffix=" (--lean require)")
    return None, {"status": "not_run", "reason": why}


def stream_verdicts(
    claims: Sequence[Claim], *, now: datetime, base_dir: Path | None = None, lean: LeanStep | None = None,
) -> Iterator[Verdict]:
    """The verdicts of :func:`evaluate` without repro, in its order. When Lean will not run (nothing after the
    exact check changes a verdict) they are made one at a time, so a caller that writes each out keeps none."""
    step = lean or LeanStep("off")
    toolchain, not_run = _lean_plan(claims, step)
    if toolchain is None:
        return iter_check_claims(claims, now=now, base_dir=base_dir, lean=not_run)
    found = LeanStep(step.mode, step.jobs, step.timeout, toolchain, step.runner)
    return iter(evaluate(claims, now=now, base_dir=base_dir, lean=found).verdicts)


def evaluate(
    claims: Sequence[Claim],
    *,
    now: datetime,
    base_dir: Path | None = None,
    lean: LeanStep | None = None,
    repro: ReproStep | None = None,
    on_script: Callable[[Path], None] | None = None,
    sources: SourceStore | None = None,
) -> Evaluation:
    """Check ``claims`` exactly, prove the results in Lean (``lean``), then feed them from repro runs (``repro``).

    ``base_dir`` is where cited source files are looked up, unless ``sources``
    (a bundle's payload) is given (the ``sourced`` scope); ``on_script(path)`` is called before each repro script runs.
    Raises :class:`InputError` for an unknown Lean mode or a missing script,
    :class:`ToolMissing` for ``require`` without Lean; a failing check or script
    is a verdict, never an exception.
    """
    step = lean or LeanStep("off")
    toolchain, not_run = _lean_plan(claims, step)
    exact = check_claims(claims, now=now, base_dir=base_dir, lean=not_run, store=sources)
    before_lean = tuple(exact)
    if toolchain is not None and exact:
        from provenance.lean.pipeline import apply_lean

        exact = apply_lean(claims, exact, step.mode, jobs=step.jobs, timeout=step.timeout,
                           runner=step.runner, toolchain=toolchain)
    runs: list[ReproOutcome] = []
    if repro is not None:
        from provenance.claims.repro import apply_repro, run_repro

        for script in repro.scripts:
            if on_script is not None:
                on_script(script)
            run = run_repro(script, data=repro.data, sandbox=repro.sandbox, timeout=repro.timeout,
                            memory_mb=repro.memory_mb, runner_name=repro.runner_name)
            runs.append(ReproOutcome(run, tuple(apply_repro(claims, run, now=now))))
    return Evaluation(tuple(exact), tuple(runs), toolchain.version if toolchain is not None and exact else None,
                      before_lean)
