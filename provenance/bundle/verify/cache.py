"""Results a batch verifier may reuse between similar bundles (explicit: only callers who pass one use one)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from provenance.claims.verdict import Verdict
from provenance.schemas import SchemaFinding, validate


@dataclass
class VerifyCache:
    """Results a caller who verifies many similar bundles (a batch, a benchmark) lets verification
    remember: schema findings by document content, parsed verdicts, and Lean project checks by file
    digests. Each table holds at most ``limit`` entries (then starts over); ``limit=0`` remembers nothing.
    """

    limit: int = 256
    schema: dict[tuple[str, str], tuple[SchemaFinding, ...]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    lean: dict[tuple[tuple[str, str], ...], tuple[int, str | None]] = field(default_factory=dict)

    def _store(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        if self.limit <= 0:
            return
        if len(table) >= self.limit:
            table.clear()
        table[key] = value

    def schema_findings(self, doc: Any, name: str) -> tuple[SchemaFinding, ...]:
        """:func:`validate`, remembered by document content."""
        key = (name, _content_key(doc)) if self.limit > 0 else None
        found = self.schema.get(key) if key is not None else None
        if found is None:
            found = tuple(validate(doc, name))
            self._store(self.schema, key, found)
        return found

    def verdict(self, item: Any, *, where: str) -> Verdict:
        """:meth:`Verdict.from_json`, remembered by content."""
        key = _content_key(item) if self.limit > 0 else None
        verdict = self.verdicts.get(key) if key is not None else None
        if verdict is None:
            verdict = Verdict.from_json(item, where=where)
            self._store(self.verdicts, key, verdict)
        return verdict

    def lean_project(self, key: tuple[tuple[str, str], ...]) -> tuple[int, str | None] | None:
        """The remembered outcome of loading a Lean project with these files: (theorems, problem)."""
        return self.lean.get(key)

    def remember_lean(self, key: tuple[tuple[str, str], ...], count: int, problem: str | None) -> None:
        self._store(self.lean, key, (count, problem))


NO_CACHE = VerifyCache(limit=0)


def _content_key(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
