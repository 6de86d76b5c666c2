"""What a bundle says about itself for people and their tools: the RO-Crate and ``CITATION.cff``.

:func:`bundle_crate` describes every payload file (a ``File`` entity with its
size and sha256, from the one copy+hash pass of the build) and every check
run (one ``CreateAction`` per exact check, Lean batch and repro run);
:func:`citation_cff` cites the bundle as a dataset. Both are pure: they read
only the values they are given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from archive.rocrate import PROCESS_RUN_PROFILE, SPEC, SPEC_1_1, CrateBuilder, CrateFile, CreateAction
from provenance import GENERATOR, __version__
from provenance.bundle.layout import PROFILE_ID, REPRO_DIR
from provenance.claims.verdict import Verdict
from provenance.clock import rfc3339

SOFTWARE_ID = f"https://provenance-archive.dev/software/{GENERATOR}/{__version__}"
LEAN_SOFTWARE = "https://lean-lang.org/"
BWRAP_SOFTWARE = "https://github.com/containers/bubblewrap"

_ENCODINGS = (
    (".json", "application/json"),
    (".jsonl", "application/jsonl"),
    (".py", "text/x-python"),
    (".lean", "text/x-lean"),
    (".csv", "text/csv"),
    (".cff", "application/x-yaml"),
    (".txt", "text/plain"),
    (".md", "text/plain"),
    (".checkpoint", "text/plain"),
)


def encoding_format(name: str) -> str:
    """The media type the crate states for a payload file, from its name."""
    return next((media for suffix, media in _ENCODINGS if name.endswith(suffix)), "application/octet-stream")


@dataclass(frozen=True)
class CrateRuns:
    """The check runs the crate records: the verdicts, the Lean version and files, the repro runs."""

    verdicts: Sequence[Verdict]
    lean_version: str | None
    lean_files: Sequence[str]
    repro_runs: Sequence[Mapping[str, Any]]


def _yaml_str(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string with ASCII escapes is one)."""
    return json.dumps(value, ensure_ascii=True)


def citation_cff(manifest: Mapping[str, Any], released: str, version: int) -> bytes:
    """``CITATION.cff`` (CFF 1.2.0) for the bundle as a dataset."""
    lines = [
        "cff-version: 1.2.0",
        f"message: {_yaml_str('If you use this verified-claims bundle, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml_str(str(manifest.get('title') or manifest.get('record_id')))}",
        f"version: {_yaml_str(str(version))}",
        f"date-released: {_yaml_str(released)}",
        "authors:",
    ]
    authors = manifest.get("authors") or []
    if not authors:
        lines.append(f"  - name: {_yaml_str('Unknown')}")
    for author in authors:
        name = str(author.get("name", "")) if isinstance(author, Mapping) else str(author)
        family, _, given = name.partition(",")
        if given.strip():
            lines.append(f"  - family-names: {_yaml_str(family.strip())}")
            lines.append(f"    given-names: {_yaml_str(given.strip())}")
        else:
            lines.append(f"  - name: {_yaml_str(name.strip() or 'Unknown')}")
        orcid = author.get("orcid") if isinstance(author, Mapping) else None
        if isinstance(orcid, str) and orcid:
            url = orcid if orcid.startswith("https://") else f"https://orcid.org/{orcid}"
            lines.append(f"    orcid: {_yaml_str(url)}")
    doi = manifest.get("doi")
    if isinstance(doi, str) and doi:
        lines.append(f"doi: {_yaml_str(doi)}")
    lines.append("identifiers:")
    lines.append("  - type: other")
    lines.append(f"    value: {_yaml_str(str(manifest.get('record_id')))}")
    lines.append(f"    description: {_yaml_str('record id')}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _root(manifest: Mapping[str, Any], now: datetime, license_id: str | None) -> CrateBuilder:
    title = str(manifest.get("title") or manifest.get("record_id"))
    description = str(manifest.get("abstract") or manifest.get("research_question") or title)
    doi = manifest.get("doi")
    return CrateBuilder(
        name=title,
        description=description,
        date_published=rfc3339(now),
        identifier=f"https://doi.org/{doi}" if isinstance(doi, str) and doi else None,
        conforms_to=(PROCESS_RUN_PROFILE, PROFILE_ID),
        root_extra={"alternateName": str(manifest.get("record_id"))},
        descriptor_conforms_to=(SPEC, SPEC_1_1),
        license=license_id,
        license_entity=None if license_id else {
            "@id": "#license",
            "@type": "CreativeWork",
            "name": "No licence stated",
            "description": "The record states no licence; ask its publisher before reusing it.",
        },
    )


def _exact_action(builder: CrateBuilder, runs: CrateRuns, end: str) -> None:
    errors = sum(1 for v in runs.verdicts if v.status == "error")
    builder.add_action(
        CreateAction(
            id="#run-exact-check",
            name="Exact arithmetic check of every claim",
            description=f"{len(runs.verdicts)} verdicts; {errors} errors",
            instrument=SOFTWARE_ID,
            objects=["manifest.json"],
            results=["verdicts.json"],
            end_time=end,
            ok=True,
        )
    )


def _lean_action(builder: CrateBuilder, runs: CrateRuns, end: str) -> None:
    if runs.lean_version is None or not runs.lean_files:
        return
    lean_id = f"{LEAN_SOFTWARE}#v{runs.lean_version}"
    builder.add_entity({"@id": lean_id, "@type": "SoftwareApplication", "name": "Lean 4",
                        "version": runs.lean_version, "url": LEAN_SOFTWARE})
    rejected = [v.claim_id for v in runs.verdicts if v.lean and v.lean.get("status") == "rejected"]
    builder.add_action(
        CreateAction(
            id="#run-lean",
            name="Lean 4 type-check of the claim theorems",
            instrument=lean_id,
            objects=[f.removeprefix("data/") for f in runs.lean_files],
            results=["verdicts.json"],
            end_time=end,
            ok=not rejected,
            error=f"rejected: {', '.join(rejected)}" if rejected else None,
        )
    )


def _repro_actions(builder: CrateBuilder, runs: CrateRuns, files: Mapping[str, Any], end: str) -> None:
    data_files = [n.removeprefix("data/") for n in files if n.startswith(f"{REPRO_DIR}data/")]
    for index, run in enumerate(runs.repro_runs):
        runner = str(run.get("runner"))
        if run.get("sealed"):
            bwrap_version = runner.rsplit(" ", 1)[-1]
            instrument = f"{BWRAP_SOFTWARE}#v{quote(bwrap_version, safe='.')}"
            builder.add_entity({"@id": instrument, "@type": "SoftwareApplication", "name": "bubblewrap",
                                "version": bwrap_version, "url": BWRAP_SOFTWARE})
        else:
            instrument = f"{SOFTWARE_ID}#unsafe-host-runner"
            builder.add_entity({"@id": instrument, "@type": "SoftwareApplication", "name": runner,
                                "version": __version__, "url": "https://provenance-archive.dev/"})
        builder.add_action(
            CreateAction(
                id=f"#run-repro-{index + 1}",
                name=f"Sealed repro run of {str(run['script']).rsplit('/', 1)[-1]}",
                instrument=instrument,
                objects=[str(run["script"]).removeprefix("data/"), *data_files],
                results=[str(run["stdout"]).removeprefix("data/"), "verdicts.json"],
                end_time=end,
                ok=bool(run.get("ok")),
                error=str(run.get("error")) if run.get("error") else None,
            )
        )


def bundle_crate(
    manifest: Mapping[str, Any],
    files: Mapping[str, tuple[int, str]],
    now: datetime,
    runs: CrateRuns,
    license_id: str | None = None,
) -> dict[str, Any]:
    """The RO-Crate of a bundle: a File per payload file (``files``: bag name -> size, sha256),
    a CreateAction per check run, the profiles and the software that ran."""
    builder = _root(manifest, now, license_id)
    for name, (size, sha) in sorted(files.items()):
        rel = name.removeprefix("data/")
        builder.add_file(CrateFile(rel, size, sha, encoding_format=encoding_format(rel)))
    for profile, label in ((PROCESS_RUN_PROFILE, "Process Run Crate 0.5"),
                           (PROFILE_ID, "provenance-archive bundle 1.0")):
        builder.add_entity({"@id": profile, "@type": ["CreativeWork", "Profile"], "name": label,
                            "version": profile.rsplit("/", 1)[-1]})
    builder.add_entity({"@id": SOFTWARE_ID, "@type": "SoftwareApplication", "name": GENERATOR,
                        "version": __version__, "url": "https://provenance-archive.dev/"})
    end = rfc3339(now)
    _exact_action(builder, runs, end)
    _lean_action(builder, runs, end)
    _repro_actions(builder, runs, files, end)
    return builder.to_json()
