"""Checks of the bundle's documents: the paper manifest, the RO-Crate and the repro runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive.rocrate import PresentFile
from archive.rocrate import check_crate as check_crate_metadata
from provenance.bundle.layout import ARTIFACTS_DIR, CRATE, MANIFEST, REPRO_RUNS
from provenance.bundle.verify.context import Checklist
from provenance.contracts import BUNDLE_REPRO_RUNS, PAPER_MANIFEST
from provenance.errors import InputError

if TYPE_CHECKING:
    from provenance.bundle.artifacts import CarriedArtifact


def check_manifest(record_id: str | None, out: Checklist) -> dict[str, Any] | None:
    """The paper manifest against its schema, and bag-info's External-Identifier against its record id."""
    doc = out.json(MANIFEST)
    if doc is None:
        return None
    problems = out.cache.schema_findings(doc, PAPER_MANIFEST)
    for finding in problems:
        out.fail(f"schema.{PAPER_MANIFEST}", str(finding), MANIFEST)
    if not problems:
        out.ok(f"schema.{PAPER_MANIFEST}", f"valid against {PAPER_MANIFEST}", MANIFEST)
    if not isinstance(doc, dict):
        return None
    if record_id is None:
        out.fail("bag-info.external-identifier", "bag-info.txt has no External-Identifier", "bag-info.txt")
    elif doc.get("record_id") != record_id:
        out.fail("bag-info.external-identifier",
                 f"External-Identifier {record_id!r} is not the manifest's record_id {doc.get('record_id')!r}",
                 "bag-info.txt")
    else:
        out.ok("bag-info.external-identifier", f"External-Identifier is the record id {record_id}", "bag-info.txt")
    return doc


def check_crate(out: Checklist) -> None:
    """The RO-Crate describes every payload file with its size and sha256."""
    doc = out.json(CRATE)
    if doc is None:
        return
    present = {
        name.removeprefix("data/"): PresentFile(out.bag.files[name].size, digest)
        for name, digest in out.sha256.items()
        if name.startswith("data/") and name != CRATE
    }
    changed = tuple(f"File {name.removeprefix('data/')!r}:" for name in out.changed)
    problems = [p for p in check_crate_metadata(doc, present) if not p.startswith(changed)]
    for problem in problems:
        out.fail("rocrate", problem, CRATE)
    graph = doc.get("@graph") if isinstance(doc, dict) else None
    described = {e.get("@id") for e in graph if isinstance(e, dict)} if isinstance(graph, list) else set()
    undescribed = sorted(set(present) - described)
    for name in undescribed:
        out.fail("rocrate", "payload file has no File entity in the crate", f"data/{name}")
    if not problems and not undescribed:
        out.ok("rocrate", f"RO-Crate 1.2 metadata describes all {len(present)} payload files with matching "
               "sha256 and contentSize", CRATE)


def check_repro_runs(out: Checklist) -> list[dict[str, Any]]:
    """Each recorded repro run against the script and output bytes carried; returns the runs."""
    if REPRO_RUNS not in out.bag.files:
        out.skip("repro", "no repro runs carried")
        return []
    doc = out.json(REPRO_RUNS)
    if not isinstance(doc, dict) or doc.get("contract") != BUNDLE_REPRO_RUNS or not isinstance(doc.get("runs"), list):
        if not out.too_costly(REPRO_RUNS):
            out.fail("repro", f"not a {BUNDLE_REPRO_RUNS} document", REPRO_RUNS)
        return []
    from provenance.claims.repro import parse_outputs

    runs: list[dict[str, Any]] = []
    for run in doc["runs"]:
        if not isinstance(run, dict):
            out.fail("repro", "a run is not an object", REPRO_RUNS)
            continue
        script, stdout = str(run.get("script")), str(run.get("stdout"))
        bad = False
        if out.sha256.get(script) != run.get("script_sha256"):
            out.fail("repro.script", "the script's sha256 is not the one the run recorded", script)
            bad = True
        if out.sha256.get(stdout) != run.get("outputs_sha256"):
            out.fail("repro.outputs", "the output's sha256 is not the one the run recorded", stdout)
            bad = True
        raw = out.bag.contents.get(stdout)
        if run.get("ok") and raw is not None and not out.too_costly(stdout):
            try:
                parsed = parse_outputs(raw)
            except InputError as exc:
                out.fail("repro.outputs", exc.message, stdout)
                bad = True
            else:
                if parsed != run.get("outputs"):
                    out.fail("repro.outputs", "the recorded outputs are not what the script printed", stdout)
                    bad = True
        if not bad:
            sealed = "sealed" if run.get("sealed") else "UNSAFE (not sealed)"
            out.ok("repro.run", f"{sealed} run by {run.get('runner')}; script and output bytes match the record",
                   script)
        runs.append(run)
    return runs


def check_artifacts(out: Checklist) -> tuple[CarriedArtifact, ...]:
    """The artifacts the bundle carries (``data/artifacts/``): each intact, or named when a file of it is not."""
    sizes = {name: d.size for name, d in out.bag.files.items()}
    artifacts: tuple[CarriedArtifact, ...] = ()
    if any(name.startswith(ARTIFACTS_DIR) for name in sizes):  # else none: the artifacts module need not load
        from provenance.bundle.artifacts import carried_artifacts

        artifacts = carried_artifacts(sizes, out.json(CRATE, record=False))
    if not artifacts:
        out.skip("artifacts", "no artifacts carried (bundle build --include)")
        return artifacts
    broken = {name.removeprefix(ARTIFACTS_DIR).split("/", 1)[0] for name in out.changed if name.startswith(ARTIFACTS_DIR)}
    broken |= {f.path.removeprefix(ARTIFACTS_DIR).split("/", 1)[0] for f in out.bag.findings
               if f.level == "error" and f.path and f.path.startswith(ARTIFACTS_DIR)}
    for artifact in artifacts:
        where = f"{ARTIFACTS_DIR}{artifact.name}"
        if artifact.name in broken:
            out.fail("artifacts", f"the artifact {artifact.name!r} is not as it was bundled (see the bag findings "
                     "for its files)", where)
        else:
            out.ok("artifacts", f"artifact {artifact.name!r}: {artifact.files} file(s), {artifact.bytes} bytes, every "
                   "digest verified" + (f" ({artifact.description})" if artifact.description else ""), where)
    return artifacts
