"""The auditor's page: one self-contained HTML (or Markdown) report of a bundle.

It shows the record, each claim with its check, exact value, verdict, scope and
Lean theorem, the signatures and keys, the DOI, the correction history and the
files; with a trust root, also the full verification checklist. Every value from
the bundle is escaped; the HTML has inline CSS only: no script, no external
resource, no link the page loads by itself.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provenance.bundle.artifacts import CarriedArtifact, carried_artifacts
from provenance.bundle.layout import (
    ATTESTATION,
    CORRECTIONS_CHECKPOINT,
    CORRECTIONS_LOG,
    CRATE,
    MANIFEST,
    REPRO_RUNS,
    SOURCE_PROVENANCE,
    TAG_MANIFEST_SHA256,
    VERDICTS,
    bundle_id_of,
)
from provenance.bundle.verify import VerifyReport, read_bag, verify_read_bag
from provenance.bundle.verify.findings import count_claims, describe_claims
from provenance.errors import InputError
from provenance.jsonio import loads_strict
from provenance.signing.dsse import has_envelope_shape
from provenance.signing.trust import TrustRoot

FORMATS = ("html", "md")


@dataclass(frozen=True)
class KeyUse:
    """Who signed a document: the key id hints in its envelope (verified when a trust root was given)."""

    document: str
    keyids: tuple[str, ...]
    payload_type: str
    verified: bool | None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from the bundle's verified bytes."""

    bundle: str
    kind: str
    bundle_id: str | None
    bag_valid: bool
    bag_problems: tuple[str, ...]
    bag_info: tuple[tuple[str, str], ...]
    manifest: Mapping[str, Any]
    verdicts: Sequence[Mapping[str, Any]]
    exact_verdicts: Sequence[Mapping[str, Any]]
    lean_mode: str | None
    lean_version: str | None
    signatures: tuple[KeyUse, ...]
    runs: Sequence[Mapping[str, Any]]
    corrections: Sequence[Mapping[str, Any]]
    correction_status: Mapping[str, Any] | None
    files: tuple[tuple[str, int, str], ...]
    verification: VerifyReport | None = field(default=None)
    archived_doi: str | None = None
    """The DOI of the archived copy this bundle is (from the archive it was deposited to), when known."""
    artifacts: tuple[CarriedArtifact, ...] = ()

    def claim_statuses(self) -> dict[str, str]:
        """Each checked claim's final status."""
        return {str(v.get("claim_id")): str(v.get("status")) for v in self.verdicts}

    def unchecked(self) -> tuple[str, ...]:
        """Claims of the manifest with no verdict (they state no check)."""
        checked = self.claim_statuses()
        claims = self.manifest.get("claims")
        return tuple(str(c.get("id")) for c in (claims if isinstance(claims, list) else [])
                     if isinstance(c, Mapping) and str(c.get("id")) not in checked)

    def corrected(self) -> dict[str, str]:
        """Each claim the carried correction log names, with its status there."""
        claims = (self.correction_status or {}).get("claims")
        return {str(k): str(v) for k, v in claims.items()} if isinstance(claims, Mapping) else {}


MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Documents larger than this are not rendered (one page is not the place; ``verify --json`` is)."""
MAX_CLAIM_ROWS = 2000


def _doc(contents: Mapping[str, bytes], name: str) -> Any:
    data = contents.get(name)
    if data is None or len(data) > MAX_DOCUMENT_BYTES:
        return None
    try:
        return loads_strict(data, source=name)
    except (InputError, ValueError):  # ValueError: e.g. an integer over Python's digit limit
        return None


def _what_changed(log: bytes, seqs: Sequence[int]) -> dict[int, Any]:
    """Each entry's ``what_changed``, read from the log's records (the history does not hold it)."""
    from provenance.corrections.entries import read_record, split_lines
    from provenance.errors import ProvenanceError

    lines, _ = split_lines(log)
    out: dict[int, Any] = {}
    for seq in seqs:
        if 0 <= seq < len(lines):
            try:
                out[seq] = read_record(lines[seq], seq).get("what_changed")
            except ProvenanceError:
                continue
    return out


def _changes(value: Any) -> list[str]:
    """A record's ``what_changed`` as sentences (its items are ``{"summary": ...}``)."""
    items = value if isinstance(value, list) else []
    return [str(c.get("summary")) if isinstance(c, Mapping) else str(c) for c in items if c]


def _key_use(name: str, envelope: Any, verified: bool | None, trust: TrustRoot | None) -> KeyUse | None:
    if not isinstance(envelope, Mapping):
        return None
    sigs = envelope.get("signatures")
    keyids = tuple(str(s.get("keyid", "")) for s in sigs if isinstance(s, Mapping)) if isinstance(sigs, list) else ()
    names = tuple(trust.names.get(k, "") for k in keyids) if trust is not None else ()
    return KeyUse(name, keyids, str(envelope.get("payloadType", "")), verified, names)


def load_report_data(path: str | os.PathLike[str], trust: TrustRoot | None = None, *,
                     archived_doi: str | None = None) -> ReportData:
    """Read a bundle (directory or zip, nothing extracted); with ``trust`` run the full verification too.

    ``archived_doi`` is the DOI an archive gave this very bundle (the record's own DOI is in its manifest).
    """
    bag, kind = read_bag(path)
    contents = bag.contents
    verification = (verify_read_bag(bag, str(path), kind, trust, lean_mode="off", path=path)
                    if trust is not None else None)
    manifest = _doc(contents, MANIFEST)
    if not isinstance(manifest, Mapping):
        size = len(contents.get(MANIFEST, b""))
        why = f"is {size} bytes, too large for a report page" if size > MAX_DOCUMENT_BYTES else "is missing or unreadable"
        raise InputError(f"the bundle's data/manifest.json {why}", where=str(path),
                         remedy="run `provenance verify BUNDLE --json` for a machine report")
    verdicts_doc = _doc(contents, VERDICTS) or {}
    signatures = []
    for name in (ATTESTATION, SOURCE_PROVENANCE):
        ok = None
        if verification is not None:
            ok = not any(f.file == name and f.id.endswith("signature") for f in verification.failures)
        envelope = _doc(contents, name) if has_envelope_shape(contents.get(name, b"")) else None
        use = _key_use(name, envelope, ok, trust)
        if use is not None:
            signatures.append(use)
    runs_doc = _doc(contents, REPRO_RUNS) or {}
    corrections: list[Mapping[str, Any]] = []
    status: Mapping[str, Any] | None = None
    if CORRECTIONS_LOG in contents:
        from provenance.corrections.verify import verify_log

        log_report = verify_log(contents[CORRECTIONS_LOG], contents.get(CORRECTIONS_CHECKPOINT), trust=trust)
        view = log_report.status
        changes = _what_changed(contents[CORRECTIONS_LOG], [h.seq for h in view.history])
        corrections = [{**h.to_json(), "what_changed": _changes(changes.get(h.seq))} for h in view.history]
        status = {**view.to_json(), "signatures_verified": log_report.signatures_verified,
                  "checkpoint_verified": log_report.checkpoint_verified, "ok": log_report.ok}
    files = tuple(
        (name, d.size, d["sha256"]) for name, d in sorted(bag.files.items())
    )
    artifacts = carried_artifacts({name: d.size for name, d in bag.files.items()}, _doc(contents, CRATE))
    return ReportData(
        bundle=str(path),
        kind=kind,
        bundle_id=bundle_id_of(bag.files[TAG_MANIFEST_SHA256]["sha256"]) if TAG_MANIFEST_SHA256 in bag.files else None,
        bag_valid=bag.ok,
        bag_problems=tuple(f"{f.path}: {f.message}" if f.path else f.message for f in bag.errors),
        bag_info=bag.bag_info,
        manifest=manifest,
        verdicts=[v for v in verdicts_doc.get("verdicts", []) if isinstance(v, Mapping)],
        exact_verdicts=[v for v in verdicts_doc.get("exact_verdicts", []) if isinstance(v, Mapping)],
        lean_mode=verdicts_doc.get("lean_mode"),
        lean_version=verdicts_doc.get("lean_version"),
        signatures=tuple(signatures),
        runs=[r for r in runs_doc.get("runs", []) if isinstance(r, Mapping)],
        corrections=corrections,
        correction_status=status,
        files=files,
        verification=verification,
        archived_doi=archived_doi,
        artifacts=artifacts,
    )


# ------------------------------------------------------------------ shared pieces


def _s(value: Any) -> str:
    if value is None:
        return "—"
    return str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _check_text(check: Mapping[str, Any] | None) -> str:
    if not isinstance(check, Mapping):
        return "no check"
    inputs = check.get("inputs") or {}
    parts = [f"{check.get('formula')}"]
    if isinstance(inputs, Mapping) and inputs:
        shown = ", ".join(f"{k} = {v.get('value') if isinstance(v, Mapping) else v}" for k, v in inputs.items())
        parts.append(f"with {shown}")
    parts.append(f"expected {check.get('expected')}")
    tol = check.get("tolerance")
    if isinstance(tol, Mapping):
        parts.extend(f"{k} tolerance {v}" for k, v in tol.items())
    if check.get("precision") is not None:
        parts.append(f"stated to {check.get('precision')} decimals")
    return "; ".join(parts)


def _authors(manifest: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    out = []
    for a in manifest.get("authors") or []:
        if isinstance(a, Mapping):
            out.append((str(a.get("name", "")), a.get("orcid") if isinstance(a.get("orcid"), str) else None))
    return out


def _claim_rows(data: ReportData) -> list[dict[str, Any]]:
    final = {str(v.get("claim_id")): v for v in data.verdicts}
    exact = {str(v.get("claim_id")): v for v in data.exact_verdicts}
    corrected = (data.correction_status or {}).get("claims", {}) if data.correction_status else {}
    rows = []
    claims = data.manifest.get("claims")
    for claim in (claims if isinstance(claims, list) else [])[:MAX_CLAIM_ROWS]:
        if not isinstance(claim, Mapping):
            continue
        cid = str(claim.get("id"))
        verdict = final.get(cid) or {}
        ex = exact.get(cid) or {}
        computed = verdict.get("computed") or ex.get("computed") or {}
        lean = ex.get("lean") if isinstance(ex.get("lean"), Mapping) else None
        rows.append(
            {
                "id": cid,
                "text": str(claim.get("text", "")),
                "truncated": bool(claim.get("truncated")),
                "check": _check_text(claim.get("check")),
                "value": computed.get("decimal") if isinstance(computed, Mapping) else None,
                "fraction": computed.get("fraction") if isinstance(computed, Mapping) else None,
                "status": verdict.get("status", "not checked"),
                "method": verdict.get("method"),
                "scope": verdict.get("scope"),
                "reason": verdict.get("reason") or ("" if verdict else "the claim states no check: nothing to recompute"),
                "exact_status": ex.get("status"),
                "lean": lean,
                "correction": corrected.get(cid) if isinstance(corrected, Mapping) else None,
                "reproduced": verdict.get("reproduced_inputs"),
                "grounding": [g for g in _list(ex.get("grounding") or verdict.get("grounding")) if isinstance(g, Mapping)],
                "finding": _mapping(ex.get("restatement") or verdict.get("restatement")).get("finding"),
            }
        )
    return rows


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _grounding_counts(rows: Sequence[Mapping[str, Any]]) -> str:
    """The top line about sources and restatement: how many verified claims do not restate their claim, how
    many rest on inputs all found in their sources, and which inputs are not (empty when nothing to say)."""
    verified = [r for r in rows if r["status"] == "verified"]
    unrestated = [r for r in verified if r["finding"]]
    sourced = [r for r in rows if r["grounding"] and all(g.get("status") == "found" for g in r["grounding"])]
    missed = [(r["id"], [str(g.get("input")) for g in r["grounding"] if g.get("status") != "found"]) for r in rows]
    missed = [(cid, names) for cid, names in missed if names]
    if not (unrestated or sourced or missed):
        return ""
    parts = [f"{len(verified)} verified, of which {len(unrestated)} do not restate their claim"
             + (f" ({', '.join(r['id'] for r in unrestated)})" if unrestated else "")]
    if sourced or missed:
        parts.append(f"{len(sourced)} with every input found in its source")
    if missed:
        parts.append("inputs not found in their sources: " + ", ".join(f"{cid} ({', '.join(n)})" for cid, n in missed))
    return "; ".join(parts) + "."


def _locator_text(locator: Any) -> str:
    if isinstance(locator, Mapping):
        return ", ".join(f"{k} {v!r}" if isinstance(v, str) else f"{k} {v}" for k, v in locator.items())
    return str(locator)


def _lean_text(lean: Mapping[str, Any] | None) -> str:
    if not lean:
        return "no theorem"
    if lean.get("status") == "not_run":
        reason = str(lean.get("reason"))
        return reason if reason.lower().startswith("lean not run") else f"Lean not run: {reason}"
    axioms = lean.get("axioms")
    ax = ", ".join(axioms) if isinstance(axioms, list) and axioms else "none"
    return (f"{lean.get('theorem')} in {lean.get('file')} — {lean.get('status')} by Lean {lean.get('lean_version')} "
            f"({lean.get('statement')}; axioms: {ax})")


# ------------------------------------------------------------------ HTML

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.7rem;font-weight:600;font-size:.8rem;color:#fff;background:#57606a}
.tone-good{background:#1a7f37}.tone-bad{background:#cf222e}.tone-warn{background:#9a6700}.tone-info{background:#0969da}
.tone-odd{background:#8250df}.tone-none{background:#57606a}.muted{color:#57606a}.banner{padding:.6rem .8rem;border-radius:.4rem;margin:.6rem 0;color:#1b1f24}
.good{background:#dafbe1;border:1px solid #4ac26b}.bad{background:#ffebe9;border:1px solid #ff8182}.neutral{background:#fff8c5;border:1px solid #d4a72c}
dl{display:grid;grid-template-columns:12rem 1fr;gap:.2rem .8rem}dt{font-weight:600}dd{margin:0}
"""

_TONE = {
    # verdicts and checklist
    "verified": "good", "ok": "good", "falsified": "bad", "fail": "bad", "inconclusive": "warn", "skip": "warn",
    "error": "odd", "not checked": "none",
    # record and claim status in the correction log
    "current": "good", "clarified": "info", "corrected": "warn", "under_concern": "warn",
    "partially_retracted": "bad", "retracted": "bad", "withdrawn": "bad",
    # correction types (Crossmark: removal, retraction, partial retraction and withdrawal are errors)
    "correction": "warn", "erratum": "warn", "addendum": "info", "clarification": "info",
    "expression_of_concern": "warn", "partial_retraction": "bad", "retraction": "bad", "withdrawal": "bad",
    "removal": "bad",
    # Crossmark severity
    "alert": "warn",
    # grounding of an input in its source, and the restatement finding
    "found": "good", "not found": "warn", "ambiguous": "warn", "does not restate its claim": "warn",
}
"""Every status word the page shows, and the tone of its badge (each tone is white on a dark colour)."""


def _e(value: Any) -> str:
    return html.escape(_s(value), quote=True)


def _badge(status: Any) -> str:
    tone = _TONE.get(str(status).strip().lower(), "none")
    return f'<span class="badge tone-{tone}">{_e(str(status).replace("_", " "))}</span>'


def _doi_link(doi: Any, *, missing: str = "none yet") -> str:
    if not isinstance(doi, str) or not doi:
        return _e(missing)
    safe = doi if re.fullmatch(r"10\.\d{4,9}/[^\s\"<>]+", doi) else None
    if safe is None:
        return _e(doi)
    note = " (DataCite test prefix: never resolves)" if doi.startswith("10.5072/") else ""
    return f'<a href="https://doi.org/{html.escape(safe, quote=True)}">{_e(doi)}</a>{_e(note) if note else ""}'


def _banners(data: ReportData) -> list[str]:
    """The two facts at the top, kept apart: the bundle's integrity and signatures, and the record's claims."""
    out = []
    if data.verification is not None:
        c = data.verification.counts()
        cls, word = ("good", "VERIFIED") if data.verification.ok else ("bad", "VERIFICATION FAILED")
        out.append(f'<div class="banner {cls}"><strong>Integrity and signatures: {word}</strong> against the trust '
                   f'root: {c["ok"]} checks ok, {c["fail"]} failed, {c["skip"]} skipped.</div>')
    elif data.bag_valid:
        out.append('<div class="banner neutral"><strong>Integrity: every digest matches</strong>, but signatures were '
                   "not checked: run <code>provenance verify BUNDLE --trust TRUST</code> or give --trust.</div>")
    else:
        out.append('<div class="banner bad">Integrity: <strong>The bag is damaged:</strong> '
                   + "; ".join(_e(p) for p in data.bag_problems[:10]) + "</div>")
    statuses, unchecked, corrected = data.claim_statuses(), data.unchecked(), data.corrected()
    counts = count_claims(statuses, unchecked, corrected)
    cls = "bad" if counts["falsified"] or counts["error"] else "neutral" if counts["corrected"] else "good"
    record = data.correction_status.get("status") if data.correction_status else None
    status = f" Record status {_badge(record)}." if record else ""
    out.append(f'<div class="banner {cls}"><strong>Claims:</strong> {_e(describe_claims(statuses, unchecked, corrected))}'
               f".{status}</div>")
    return out


UNRESTATED = "does not restate its claim"
"""The badge beside the status of a verdict whose check does not restate its claim."""


def _restatement_html(row: Mapping[str, Any]) -> str:
    if not row["finding"]:
        return ""
    return f" {_badge(UNRESTATED)}<br>{_e(row['finding'])}"


def _grounding_html(row: Mapping[str, Any]) -> str:
    if not row["grounding"]:
        return ""
    items = "".join(
        f'<li><strong>{_e(g.get("input"))}</strong> {_badge(g.get("status"))} in <code>{_e(g.get("file"))}</code> at '
        f'{_e(_locator_text(g.get("locator")))}: <span class="mono">{_e(g.get("span"))}</span>'
        + ("" if g.get("status") == "found" else f'<br><span class="muted">{_e(g.get("reason"))}</span>') + "</li>"
        for g in row["grounding"]
    )
    return f"<br>Sources:<ul>{items}</ul>"


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    m = data.manifest
    title = _s(m.get("title") or m.get("record_id"))
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Audit report: {_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Audit report of bundle <code>{_e(data.bundle_id)}</code> ({_e(data.kind)})</p>',
    ]
    out.extend(_banners(data))
    counts = _grounding_counts(_claim_rows(data))
    if counts:
        out.append(f'<div class="banner neutral"><strong>Claims and their sources:</strong> {_e(counts)}</div>')
    out.append("<h2>Record</h2><dl>")
    info = dict(data.bag_info)
    authors = ", ".join(
        _e(n) + (f' (<a href="https://orcid.org/{html.escape(o.removeprefix("https://orcid.org/"), quote=True)}">ORCID</a>)'
                 if o and re.fullmatch(r"(https://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]", o) else "")
        for n, o in _authors(m)
    )
    score = m.get("review_score")
    gate = m.get("gate_verdict") if isinstance(m.get("gate_verdict"), Mapping) else None
    rows = [
        ("Record id", f"<code>{_e(m.get('record_id'))}</code>"),
        ("DOI of the record", _doi_link(m.get("doi"), missing="none stated in the record")),
        ("DOI of this archived copy", _doi_link(data.archived_doi,
                                                missing="not known (not deposited, or not from this archive)")),
        ("Authors", authors or "—"),
        ("Submitted", _e(m.get("submitted"))),
        ("Research question", _e(m.get("research_question"))),
        ("Review score", _e(f"{score.get('value')} / {score.get('scale')}") if isinstance(score, Mapping) else "—"),
        ("Verification level", _e(m.get("verification_level"))),
        ("Recorded gate verdict", (_badge(gate.get("status")) + " " + _e(gate.get("reason"))) if gate else "—"),
        ("Bundle version", _e(info.get("Bundle-Version"))),
        ("Supersedes", f"<code>{_e(info.get('Previous-Bundle-Id'))}</code>" if info.get("Previous-Bundle-Id") else "—"),
        ("Bagging date", _e(info.get("Bagging-Date"))),
    ]
    out.extend(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    out.append("</dl>")
    if m.get("abstract"):
        out.append(f"<p>{_e(m.get('abstract'))}{' […]' if m.get('abstract_truncated') else ''}</p>")

    out.append("<h2>Claims</h2>")
    lean_line = f"Lean mode {_e(data.lean_mode)}" + (f", Lean {_e(data.lean_version)}" if data.lean_version else
                                                     ", no Lean toolchain at build time")
    out.append(f'<p class="muted">{lean_line}. Values are exact (fractions); decimals are shown to 10 places.</p>')
    out.append("<table><tr><th>Claim</th><th>Check</th><th>Exact value</th><th>Verdict</th><th>Lean theorem</th></tr>")
    for r in _claim_rows(data):
        text = _e(r["text"]) + (" <em>(truncated)</em>" if r["truncated"] else "")
        corr = f'<br>correction status: {_badge(r["correction"])}' if r["correction"] else ""
        value = _e(r["value"]) + (f'<br><span class="mono muted">{_e(r["fraction"])}</span>' if r["fraction"] else "")
        repro = ""
        if isinstance(r["reproduced"], Mapping):
            repro = "<br>reproduced: " + ", ".join(
                f"{_e(k)} = {_e(v.get('reproduced'))} (stated {_e(v.get('stated'))})"
                for k, v in r["reproduced"].items() if isinstance(v, Mapping)
            )
        how = f' <span class="muted">{_e(r["method"])} / scope {_e(r["scope"])}</span>' if r["method"] else ""
        verdict = f'{_badge(r["status"])}{how}{_restatement_html(r)}<br>{_e(r["reason"])}{repro}{corr}{_grounding_html(r)}'
        out.append(f'<tr><td><strong>{_e(r["id"])}</strong><br>{text}</td><td class="mono">{_e(r["check"])}</td>'
                   f"<td>{value}</td><td>{verdict}</td><td>{_e(_lean_text(r['lean']))}</td></tr>")
    out.append("</table>")

    if data.runs:
        out.append("<h2>Reproduction runs</h2><table><tr><th>Script</th><th>Sandbox</th><th>Outputs</th></tr>")
        for run in data.runs:
            sealed = "sealed" if run.get("sealed") else "UNSAFE: not sealed"
            outputs = _mapping(run.get("outputs"))
            shown = ", ".join(f"{_e(k)} = {_e(v)}" for k, v in outputs.items()) or _e(run.get("error"))
            out.append(f'<tr><td><code>{_e(run.get("script"))}</code><br><span class="mono muted">sha256 '
                       f'{_e(run.get("script_sha256"))}</span></td><td>{_e(sealed)} ({_e(run.get("runner"))}), '
                       f'exit {_e(run.get("exit_code"))}</td><td>{shown}</td></tr>')
        out.append("</table>")

    if data.artifacts:
        out.append("<h2>Artifacts</h2><table><tr><th>Artifact</th><th>Files</th><th>Bytes</th><th>Description</th></tr>")
        out.extend(f"<tr><td><code>{_e(a.name)}</code></td><td>{a.files}</td><td>{a.bytes}</td>"
                   f"<td>{_e(a.description or '—')}</td></tr>" for a in data.artifacts)
        out.append("</table>")

    out.append("<h2>Signatures and keys</h2><table><tr><th>Document</th><th>Payload type</th><th>Key ids</th>"
               "<th>Checked</th></tr>")
    for s in data.signatures:
        checked = "not checked (no trust root given)" if s.verified is None else ("valid, attestor key" if s.verified
                                                                                  else "INVALID")
        keys = "<br>".join(_e(k) + (f" ({_e(n)})" if n else "") for k, n in zip(s.keyids, s.names or ("",) * len(s.keyids), strict=True))
        out.append(f"<tr><td><code>{_e(s.document)}</code></td><td><code>{_e(s.payload_type)}</code></td>"
                   f'<td class="mono">{keys}</td><td>{_e(checked)}</td></tr>')
    out.append("</table>")
    out.append('<p class="muted">The attestation signs every file of the bag except the tag manifests and itself; '
               "the bundle id is the sha256 of tagmanifest-sha256.txt, which lists the attestation.</p>")

    out.append("<h2>Correction history</h2>")
    if data.correction_status is None:
        out.append("<p>No correction log is carried: no correction has been issued for this version.</p>")
    else:
        st = data.correction_status
        out.append(f'<p>Record status {_badge(st.get("status"))}, {_e(st.get("count"))} correction(s); '
                   f'signatures {"verified" if st.get("signatures_verified") else "not verified"}, checkpoint '
                   f'{"verified" if st.get("checkpoint_verified") else "not verified"}.</p>')
        out.append("<table><tr><th>#</th><th>Type</th><th>Severity</th><th>Issued</th><th>Claims</th>"
                   "<th>What was wrong</th><th>What changed</th><th>Reason</th></tr>")
        for h in data.corrections:
            reason = _mapping(h.get("reason"))
            sup = f"<br>superseded by #{_e(h.get('superseded_by'))}" if h.get("superseded_by") is not None else ""
            changed = "<br>".join(_e(c) for c in h.get("what_changed") or []) or "—"
            out.append(f"<tr><td>{_e(h.get('seq'))}</td><td>{_badge(h.get('type'))}{sup}</td>"
                       f"<td>{_badge(h.get('severity'))}</td>"
                       f"<td>{_e(h.get('issued_at'))}<br>{_e(h.get('issued_by'))}</td>"
                       f"<td>{_e(', '.join(h.get('claims') or []) or 'all')}</td>"
                       f"<td>{_e(h.get('what_was_wrong'))}</td><td>{changed}</td>"
                       f"<td>{_e(str(reason.get('category', '')).replace('_', ' '))}: {_e(reason.get('text'))}</td></tr>")
        out.append("</table>")

    if data.verification is not None:
        out.append("<h2>Verification checklist</h2><table><tr><th></th><th>Check</th><th>File</th><th>Finding</th></tr>")
        for f in data.verification.findings:
            out.append(f"<tr><td>{_badge(f.status)}</td><td><code>{_e(f.id)}</code></td><td><code>{_e(f.file)}</code>"
                       f"</td><td>{_e(f.message)}</td></tr>")
        out.append("</table>")

    refs = [r for r in m.get("references") or [] if isinstance(r, Mapping)]
    if refs:
        out.append("<h2>References</h2><ul>")
        out.extend(f"<li>{_e(r.get('kind'))}: <code>{_e(r.get('id'))}</code> {_e(r.get('url'))}</li>" for r in refs)
        out.append("</ul>")

    out.append("<h2>Files</h2><details><summary>" + f"{len(data.files)} files with their sha256</summary>")
    out.append("<table><tr><th>File</th><th>Bytes</th><th>sha256</th></tr>")
    out.extend(f'<tr><td><code>{_e(n)}</code></td><td>{size}</td><td class="mono">{_e(d)}</td></tr>'
               for n, size, d in data.files)
    out.append("</table></details>")
    out.append('<p class="muted">Generated by provenance-archive from the bundle\'s own bytes.</p></body></html>')
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _m(value: Any) -> str:
    """Markdown-escaped single-line text (HTML is escaped too: Markdown passes raw HTML through)."""
    text = " ".join(_s(value).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _code(value: Any) -> str:
    text = " ".join(_s(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def _grounding_md(row: Mapping[str, Any]) -> str:
    return "".join(
        f"; source of {_m(g.get('input'))}: **{_m(g.get('status'))}** in {_code(g.get('file'))} at "
        f"{_m(_locator_text(g.get('locator')))}: {_code(g.get('span'))}"
        for g in row["grounding"]
    )


def render_markdown(data: ReportData) -> str:
    """The report as Markdown (tables in the GitHub dialect)."""
    m = data.manifest
    info = dict(data.bag_info)
    lines = [f"# {_m(m.get('title') or m.get('record_id'))}", "",
             f"Audit report of bundle {_code(data.bundle_id)} ({_m(data.kind)}).", ""]
    if data.verification is not None:
        c = data.verification.counts()
        word = "**VERIFIED**" if data.verification.ok else "**VERIFICATION FAILED**"
        lines += [f"Integrity and signatures: {word} against the trust root: {c['ok']} ok, {c['fail']} failed, "
                  f"{c['skip']} skipped.", ""]
    elif not data.bag_valid:
        lines += ["Integrity: **the bag is damaged:** " + "; ".join(_m(p) for p in data.bag_problems[:10]), ""]
    record = data.correction_status.get("status") if data.correction_status else None
    lines += [f"Claims: **{_m(describe_claims(data.claim_statuses(), data.unchecked(), data.corrected()))}**"
              + (f"; record status **{_m(record)}**" if record else "") + ".", ""]
    counts = _grounding_counts(_claim_rows(data))
    if counts:
        lines += [f"Claims and their sources: {_m(counts)}", ""]
    doi = m.get("doi")
    lines += [
        "## Record", "",
        f"- Record id: {_code(m.get('record_id'))}",
        f"- DOI of the record: {_m(doi) if doi else 'none stated in the record'}",
        f"- DOI of this archived copy: {_m(data.archived_doi) if data.archived_doi else 'not known'}",
        f"- Authors: {', '.join(_m(n) for n, _ in _authors(m)) or '—'}",
        f"- Submitted: {_m(m.get('submitted'))}",
        f"- Research question: {_m(m.get('research_question'))}",
        f"- Bundle version: {_m(info.get('Bundle-Version'))}"
        + (f", supersedes {_code(info.get('Previous-Bundle-Id'))}" if info.get("Previous-Bundle-Id") else ""),
        "", "## Claims", "",
        "| Claim | Check | Exact value | Verdict | Lean theorem |", "|---|---|---|---|---|",
    ]
    for r in _claim_rows(data):
        corr = f"; correction: {_m(r['correction'])}" if r["correction"] else ""
        lines.append(
            f"| **{_m(r['id'])}** {_m(r['text'])} | {_code(r['check'])} | {_m(r['value'])} "
            f"({_code(r['fraction'])}) | **{_m(r['status'])}**"
            + (f" ({_m(r['method'])}, scope {_m(r['scope'])})" if r["method"] else "")
            + (f" **does not restate its claim**: {_m(r['finding'])}" if r["finding"] else "")
            + f": {_m(r['reason'])}{corr}{_grounding_md(r)} | {_m(_lean_text(r['lean']))} |"
        )
    lines += ["", "## Signatures and keys", ""]
    for s in data.signatures:
        checked = "not checked" if s.verified is None else ("valid" if s.verified else "INVALID")
        lines.append(f"- {_code(s.document)} ({_code(s.payload_type)}): keys {', '.join(_code(k) for k in s.keyids)}; {checked}")
    lines += ["", "## Correction history", ""]
    if data.correction_status is None:
        lines.append("No correction log is carried.")
    else:
        lines.append(f"Record status **{_m(data.correction_status.get('status'))}**, "
                     f"{_m(data.correction_status.get('count'))} correction(s).")
        lines.append("")
        for h in data.corrections:
            reason = _mapping(h.get("reason"))
            changed = "; ".join(h.get("what_changed") or []) or "—"
            lines.append(f"- #{_m(h.get('seq'))} {_m(h.get('type'))} ({_m(h.get('severity'))}), {_m(h.get('issued_at'))} "
                         f"by {_m(h.get('issued_by'))}: what was wrong: {_m(h.get('what_was_wrong'))}; what changed: "
                         f"{_m(changed)}; reason ({_m(reason.get('category'))}): {_m(reason.get('text'))}")
    if data.verification is not None:
        lines += ["", "## Verification checklist", ""]
        for f in data.verification.findings:
            mark = {"ok": "✓", "fail": "✗", "skip": "–"}[f.status]
            lines.append(f"- {mark} {_code(f.id)} {(_code(f.file) + ' ') if f.file else ''}{_m(f.message)}")
    if data.artifacts:
        lines += ["", "## Artifacts", ""]
        lines += [f"- {_code(a.name)}: {a.files} file(s), {a.bytes} bytes" + (f": {_m(a.description)}" if a.description
                  else "") for a in data.artifacts]
    lines += ["", "## Files", "", "| File | Bytes | sha256 |", "|---|---|---|"]
    lines += [f"| {_code(n)} | {size} | {_code(d)} |" for n, size, d in data.files]
    return "\n".join(lines) + "\n"


def render(data: ReportData, fmt: str) -> str:
    """``html`` or ``md``."""
    if fmt == "html":
        return render_html(data)
    if fmt == "md":
        return render_markdown(data)
    raise InputError(f"unknown report format {fmt!r}", remedy="use html or md")
