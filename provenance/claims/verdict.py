"""The verdict-v1 record: what a check concluded, by which method, over which scope.

``verified`` needs a reproducible artifact: for method ``exact`` that artifact
is the check itself, named by ``check_sha256`` (the sha256 of its RFC 8785
bytes); for ``lean4`` the Lean file and its axioms (``lean``); for ``sandbox``
the repro script, data and output digests (``sandbox``, ``artifacts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from provenance.claims.model import Tolerance
from provenance.contracts import VERDICT
from provenance.errors import InputError

Status = Literal["verified", "falsified", "inconclusive", "error"]
Method = Literal["exact", "lean4", "sandbox"]
Scope = Literal["arithmetic", "sourced", "reproduced"]

CONTRACT = VERDICT

_KNOWN = frozenset(
    {
        "contract", "claim_id", "status", "method", "scope", "computed", "expected", "tolerance", "precision",
        "reason", "evaluated_at", "check_sha256", "formula", "inputs", "artifacts", "sandbox", "lean",
    }
)


@dataclass(frozen=True, slots=True)
class Computed:
    """The exact computed value (``fraction`` "227/30") and a decimal rendering (``decimal``, 10 places at most)."""

    fraction: str
    decimal: str
    exact: bool

    def to_json(self) -> dict[str, Any]:
        return {"fraction": self.fraction, "decimal": self.decimal, "decimal_is_exact": self.exact}


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file a verdict rests on: its ``role`` (check, source, script, data, outputs, lean), path and sha256."""

    role: str
    path: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One claim's verdict (verdict-v1). ``extra`` keeps unknown JSON fields for round-trips."""

    claim_id: str
    status: Status
    method: Method
    scope: Scope
    reason: str
    evaluated_at: str
    computed: Computed | None = None
    expected: str | None = None
    tolerance: Tolerance | None = None
    precision: int | None = None
    check_sha256: str | None = None
    formula: str | None = None
    inputs: Mapping[str, str] | None = None
    artifacts: tuple[Artifact, ...] = ()
    sandbox: Mapping[str, Any] | None = None
    lean: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def grounding(self) -> tuple[Mapping[str, Any], ...]:
        """The grounding records of the inputs cited with a structured locator (verdict-v1 ``grounding``)."""
        records = self.extra.get("grounding")
        return tuple(r for r in records if isinstance(r, Mapping)) if isinstance(records, list) else ()

    @property
    def ungrounded(self) -> tuple[str, ...]:
        """The inputs whose value was not found at the place their source names (``not found``, ``ambiguous``)."""
        return tuple(str(r.get("input")) for r in self.grounding if r.get("status") != "found")

    @property
    def restatement_finding(self) -> str | None:
        """"the check does not restate the claim: ..." when the check does not test what its claim states."""
        record = self.extra.get("restatement")
        finding = record.get("finding") if isinstance(record, Mapping) else None
        return finding if isinstance(finding, str) else None

    def to_json(self) -> dict[str, Any]:
        """The verdict-v1 JSON object (valid against ``schemas/verdict-v1.json``)."""
        out: dict[str, Any] = {
            "contract": CONTRACT,
            "claim_id": self.claim_id,
            "status": self.status,
            "method": self.method,
            "scope": self.scope,
            "computed": self.computed.to_json() if self.computed else None,
            "expected": self.expected,
            "tolerance": self.tolerance.to_json() if self.tolerance else None,
            "precision": self.precision,
            "reason": self.reason,
            "evaluated_at": self.evaluated_at,
            "check_sha256": self.check_sha256,
        }
        if self.formula is not None:
            out["formula"] = self.formula
        if self.inputs is not None:
            out["inputs"] = dict(self.inputs)
        if self.artifacts:
            out["artifacts"] = [a.to_json() for a in self.artifacts]
        if self.sandbox is not None:
            out["sandbox"] = dict(self.sandbox)
        if self.lean is not None:
            out["lean"] = dict(self.lean)
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "verdict") -> Verdict:
        """Parse a verdict-v1 object (validated against the schema first); unknown fields go to ``extra``."""
        from provenance.schemas import require_valid

        require_valid(obj, CONTRACT, where=where)
        computed = obj.get("computed")
        tol = obj.get("tolerance")
        status = obj["status"]
        method = obj["method"]
        scope = obj["scope"]
        if status not in get_args(Status) or method not in get_args(Method) or scope not in get_args(Scope):
            raise InputError("unknown status, method or scope", where=where, remedy="see schema verdict-v1")
        return cls(
            claim_id=obj["claim_id"],
            status=status,
            method=method,
            scope=scope,
            reason=obj["reason"],
            evaluated_at=obj["evaluated_at"],
            computed=Computed(computed["fraction"], computed["decimal"], bool(computed.get("decimal_is_exact", False)))
            if computed
            else None,
            expected=obj.get("expected"),
            tolerance=Tolerance(*next(iter(tol.items()))) if tol else None,
            precision=obj.get("precision"),
            check_sha256=obj.get("check_sha256"),
            formula=obj.get("formula"),
            inputs=dict(obj["inputs"]) if obj.get("inputs") is not None else None,
            artifacts=tuple(Artifact(a["role"], a["path"], a["sha256"]) for a in obj.get("artifacts", [])),
            sandbox=dict(obj["sandbox"]) if obj.get("sandbox") is not None else None,
            lean=dict(obj["lean"]) if obj.get("lean") is not None else None,
            extra={k: v for k, v in obj.items() if k not in _KNOWN},
        )
