"""Checks of the Lean project a bundle carries: it is exactly what its claims map generates, and (where
Lean is installed) every theorem is re-checked."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provenance.bundle.layout import LEAN_DIR
from provenance.bundle.tools import LeanTools
from provenance.bundle.verify.context import Checklist
from provenance.errors import ProvenanceError


def check_lean(doc: Any, lean: LeanTools, lean_mode: str, out: Checklist) -> None:
    """The carried Lean project against the claims map, and each theorem in Lean when it is installed."""
    toolchain, runner = lean.toolchain, lean.runner
    bag, sha256 = out.bag, out.sha256
    names = sorted(n for n in bag.files if n.startswith(LEAN_DIR))
    if not names:
        out.skip("lean", "no Lean project carried (no claim had a decided, encodable check)")
        return
    if any(out.too_costly(n) for n in names):
        return
    missing = [n for n in names if n not in bag.contents]
    if missing:
        out.fail("lean.project", "Lean files too large to check", missing[0])
        return
    from provenance.lean.pipeline import check_project, load_project

    recorded: dict[str, Mapping[str, Any]] = {}
    for key in ("exact_verdicts",):
        for item in (doc.get(key) if isinstance(doc, dict) else None) or []:
            if isinstance(item, dict) and isinstance(item.get("lean"), dict):
                recorded[str(item.get("claim_id"))] = item["lean"]
    for cid, record in sorted(recorded.items()):
        file = record.get("file")
        if file is not None and sha256.get(f"data/{file}") != record.get("file_sha256"):
            out.fail("lean.file", f"claim {cid}: the Lean file's sha256 is not the one its verdict records",
                     f"data/{file}")
    memo_key = tuple((name, sha256.get(name, "")) for name in names)
    memo = out.cache.lean_project(memo_key)
    needs_lean = lean_mode != "off" and toolchain is not None
    if memo is not None and not needs_lean:
        count, problem = memo
        if problem is not None:
            out.fail("lean.project", problem, LEAN_DIR)
        else:
            out.ok("lean.project", f"{count} theorem(s): every Lean file is exactly what its claims map "
                   "generates and passes the template grammar", LEAN_DIR)
            out.skip("lean.check", "Lean re-check turned off (--lean off)" if lean_mode == "off" else
                     "Lean toolchain not installed: theorems not re-checked (--lean require makes this fatal)")
        return
    with tempfile.TemporaryDirectory(prefix="provenance-verify-lean-") as tmp:
        root = Path(tmp) / "lean"
        for name in names:
            target = root / name.removeprefix(LEAN_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bag.contents[name])
        try:
            project = load_project(root)
        except ProvenanceError as exc:
            problem = f"the Lean project is not what its claims map generates: {exc.message}"
            out.cache.remember_lean(memo_key, 0, problem)
            out.fail("lean.project", problem, LEAN_DIR)
            return
        out.cache.remember_lean(memo_key, len(project.theorems), None)
        out.ok("lean.project", f"{len(project.theorems)} theorem(s): every Lean file is exactly what its claims map "
               "generates and passes the template grammar", LEAN_DIR)
        if lean_mode == "off":
            out.skip("lean.check", "Lean re-check turned off (--lean off)")
            return
        if toolchain is None:
            out.skip("lean.check", "Lean toolchain not installed: theorems not re-checked (--lean require makes this fatal)")
            return
        try:
            checked = check_project(root, toolchain=toolchain, runner=runner)
        except ProvenanceError as exc:
            out.fail("lean.check", str(exc), LEAN_DIR)
            return
    for check in checked.checks:
        cid = check.theorem.claim_id
        before = recorded.get(cid, {}).get("status")
        now = "accepted" if check.result.accepted else "rejected"
        where = f"data/lean/{check.theorem.file}"
        if not check.result.accepted:
            out.fail(f"lean.{cid}", f"Lean {toolchain.version} rejected {check.theorem.name}: {check.result.reason}", where)
        elif before not in (None, "accepted", "not_run"):
            out.fail(f"lean.{cid}", f"Lean accepts {check.theorem.name} now, the verdict recorded {before}", where)
        else:
            out.ok(f"lean.{cid}", f"Lean {toolchain.version} {now} {check.theorem.name} (axioms "
                   f"{', '.join(check.result.axioms or ()) or 'none'})", where)
