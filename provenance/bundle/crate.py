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

from archive.rocrate import (
    COMPLETED,
    FAILED,
    LICENCE_NOT_STATED,
    PROCESS_RUN_PROFILE,
    SPEC,
    CrateBuilder,
    CrateFile,
    CreateAction,
    is_absolute_uri,
)
from provenance import GENERATOR, __version__
from provenance.bundle.artifacts import Artifact, media_type
from provenance.bundle.layout import (
    ARTIFACTS_DIR,
    CITATION,
    CORRECTIONS_CHECKPOINT,
    CORRECTIONS_LOG,
    LEAN_DIR,
    MANIFEST,
    PROFILE_ID,
    REPRO_DIR,
    REPRO_RUNS,
    SOURCE_PROVENANCE,
    VERDICTS,
)
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


@dataclass(frozen=True)
class CrateContext:
    """What the crate states about the bundle beyond its files: the version it is, what it corrects,
    who signed it (the attestor key: the agent of every action), the licence and the artifacts.
    Nothing here depends on a trust root, so the same inputs, key and clock give the same bytes."""

    now: datetime
    version: int = 1
    previous_id: str | None = None
    attestor_keyid: str | None = None
    license_id: str | None = None
    artifacts: Sequence[Artifact] = ()


_DESCRIPTIONS = (
    (MANIFEST, "The paper manifest (paper-manifest-v1.1): the record, its claims and their checks."),
    (VERDICTS, "The verdict of each claim (verdict-v1), exact and after Lean and repro runs."),
    (CITATION, "How to cite this bundle (Citation File Format 1.2.0)."),
    (SOURCE_PROVENANCE, "Where the record and its derived files came from (source-provenance-v1), signed."),
    (REPRO_RUNS, "One record per sealed repro run: script, outputs, sandbox and limits."),
    (CORRECTIONS_LOG, "The record's signed, hash-chained correction log (one DSSE envelope per line)."),
    (CORRECTIONS_CHECKPOINT, "The signed checkpoint (C2SP signed note) of the correction log."),
)


def _description(name: str, artifacts: Mapping[str, Artifact]) -> str:
    """The description of a payload file (bag name): fixed for our documents, the user's for an artifact."""
    for known, text in _DESCRIPTIONS:
        if name == known:
            return text
    rel = name.removeprefix("data/")
    if name.startswith(ARTIFACTS_DIR):
        artifact = artifacts.get(rel.split("/", 2)[1])
        if artifact is not None and not artifact.is_directory and artifact.description:
            return artifact.description
        label = artifact.name if artifact is not None else rel
        return f"A file of the artifact {label!r}, carried as it was given."
    if name.startswith(LEAN_DIR):
        return "Part of the Lean 4 project of the claim theorems (each proved by decide)."
    if name.startswith(REPRO_DIR + "data/"):
        return "Input data of the repro scripts (read-only in the sandbox)."
    if name.endswith(".stdout") and name.startswith(REPRO_DIR):
        return "What the repro script printed (its outputs, as JSON)."
    if name.startswith(REPRO_DIR):
        return "A repro script, run in the sealed sandbox."
    return "A payload file of the bundle."


def _licence(builder_license: str | None) -> tuple[str | None, Mapping[str, Any] | None]:
    """The licence as an absolute URI and its entity (an SPDX id becomes its spdx.org URL)."""
    if builder_license is None:
        return None, LICENCE_NOT_STATED
    if is_absolute_uri(builder_license):
        return builder_license, {"@id": builder_license, "@type": "CreativeWork", "name": builder_license,
                                 "description": f"The licence the record is published under: {builder_license}."}
    url = f"https://spdx.org/licenses/{quote(builder_license, safe='.-+')}"
    return url, {"@id": url, "@type": "CreativeWork", "name": builder_license, "identifier": builder_license,
                 "description": f"The licence the record is published under (SPDX identifier {builder_license})."}


def _people(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One contextual entity per author: a Person ("Family, Given") or an Organization, by ORCID where known."""
    entities = []
    for index, author in enumerate(manifest.get("authors") or []):
        if not isinstance(author, Mapping) or not isinstance(author.get("name"), str):
            continue
        orcid = author.get("orcid")
        entity_id = f"https://orcid.org/{orcid}" if isinstance(orcid, str) and orcid else f"#author-{index + 1}"
        entity: dict[str, Any] = {"@id": entity_id, "@type": "Person" if "," in author["name"] else "Organization",
                                  "name": author["name"]}
        if isinstance(author.get("affiliation"), str):
            entity["affiliation"] = author["affiliation"]
        entities.append(entity)
    return entities


def _publisher(manifest: Mapping[str, Any], authors: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    provenance = manifest.get("provenance")
    name = provenance.get("publisher") if isinstance(provenance, Mapping) else None
    if isinstance(name, str) and name:
        return {"@id": "#publisher", "@type": "Organization", "name": name}
    return dict(authors[0]) if authors else None


def _root(manifest: Mapping[str, Any], context: CrateContext) -> CrateBuilder:
    title = str(manifest.get("title") or manifest.get("record_id"))
    description = str(manifest.get("abstract") or manifest.get("research_question") or title)
    doi = manifest.get("doi")
    authors = _people(manifest)
    publisher = _publisher(manifest, authors)
    agent = f"#attestor-{context.attestor_keyid[:16]}" if context.attestor_keyid else None
    license_uri, license_entity = _licence(context.license_id)
    builder = CrateBuilder(
        name=title,
        description=description,
        date_published=rfc3339(context.now),
        identifier=f"https://doi.org/{doi}" if isinstance(doi, str) and doi else None,
        conforms_to=(PROCESS_RUN_PROFILE, PROFILE_ID),
        root_extra={"alternateName": str(manifest.get("record_id")), "version": str(context.version)},
        descriptor_conforms_to=(SPEC,),
        license=license_uri,
        license_entity=license_entity if license_uri is None else None,
        authors=tuple(a["@id"] for a in authors),
        publisher=publisher["@id"] if publisher else None,
        default_agent=agent,
    )
    if license_uri is not None and license_entity is not None:
        builder.add_entity(license_entity)
    for entity in [*authors, *([publisher] if publisher else [])]:
        builder.add_entity(entity)
    if agent is not None and context.attestor_keyid is not None:
        builder.add_entity({"@id": agent, "@type": "Person",
                            "name": f"Holder of attestor key {context.attestor_keyid[:16]}",
                            "identifier": context.attestor_keyid})
    return builder


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
            description=f"{len(runs.lean_files)} Lean files; {len(rejected)} theorem(s) rejected",
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
        script = str(run["script"]).rsplit("/", 1)[-1]
        builder.add_action(
            CreateAction(
                id=f"#run-repro-{index + 1}",
                name=f"{'Sealed' if run.get('sealed') else 'UNSAFE, unsealed'} repro run of {script}",
                description=f"Fed claims: {', '.join(run.get('claims_fed') or []) or 'none'}",
                instrument=instrument,
                objects=[str(run["script"]).removeprefix("data/"), *data_files],
                results=[str(run["stdout"]).removeprefix("data/"), "verdicts.json"],
                end_time=end,
                ok=bool(run.get("ok")),
                error=str(run.get("error")) if run.get("error") else None,
            )
        )


def _correction_action(builder: CrateBuilder, manifest: Mapping[str, Any], files: Mapping[str, Any],
                       context: CrateContext, end: str) -> None:
    """A version that supersedes an earlier bundle: a CreateAction from that bundle (and the log) to this one."""
    if context.previous_id is None:
        return
    previous = f"#bundle-version-{context.version - 1}"
    builder.add_entity({"@id": previous, "@type": "CreativeWork", "name": f"Bundle version {context.version - 1}",
                        "identifier": context.previous_id,
                        "description": "The earlier bundle of this record, which this version supersedes."})
    record = manifest.get("correction_record")
    status = record.get("status") if isinstance(record, Mapping) else None
    objects = [previous] + ([CORRECTIONS_LOG.removeprefix("data/")] if CORRECTIONS_LOG in files else [])
    builder.add_action(
        CreateAction(
            id="#new-version",
            name=f"Bundle version {context.version} of the record, superseding version {context.version - 1}",
            description=f"Record status {status}" if status else "A new version of the record's bundle",
            instrument=SOFTWARE_ID,
            objects=objects,
            results=["manifest.json", "verdicts.json"],
            end_time=end,
            ok=True,
        )
    )


def _artifact_entities(builder: CrateBuilder, context: CrateContext) -> None:
    for artifact in context.artifacts:
        if not artifact.is_directory:
            continue
        entity: dict[str, Any] = {
            "@id": artifact.root, "@type": "Dataset", "name": artifact.name,
            "description": artifact.description or f"The directory {artifact.name!r}, carried as it was given.",
            "hasPart": [{"@id": f.payload_name} for f in artifact.files],
        }
        builder.add_dataset(entity)


def _action_statuses(builder: CrateBuilder) -> None:
    """The action status values the actions name, described (RO-Crate asks every referenced entity for a type)."""
    for status, name in ((COMPLETED, "Completed"), (FAILED, "Failed")):
        if any(a.ok == (status == COMPLETED) for a in builder.actions):
            builder.add_entity({"@id": status, "@type": "ActionStatusType", "name": name})


def bundle_crate(manifest: Mapping[str, Any], files: Mapping[str, tuple[int, str]], runs: CrateRuns,
                 context: CrateContext) -> dict[str, Any]:
    """The RO-Crate of a bundle: a File per payload file (``files``: bag name -> size, sha256) with its media
    type and description, a Dataset per included directory, a CreateAction per check run (and one for a new
    version), the authors, publisher, licence, profiles and software that ran."""
    builder = _root(manifest, context)
    by_name = {a.name: a for a in context.artifacts}
    for name, (size, sha) in sorted(files.items()):
        rel = name.removeprefix("data/")
        media = media_type(rel) if name.startswith(ARTIFACTS_DIR) else encoding_format(rel)
        builder.add_file(CrateFile(rel, size, sha, encoding_format=media, description=_description(name, by_name)))
    _artifact_entities(builder, context)
    for profile, label in ((PROCESS_RUN_PROFILE, "Process Run Crate 0.5"),
                           (PROFILE_ID, "provenance-archive bundle 1.0")):
        builder.add_entity({"@id": profile, "@type": ["CreativeWork", "Profile"], "name": label,
                            "version": profile.rsplit("/", 1)[-1]})
    builder.add_entity({"@id": SOFTWARE_ID, "@type": "SoftwareApplication", "name": GENERATOR,
                        "version": __version__, "url": "https://provenance-archive.dev/"})
    end = rfc3339(context.now)
    _exact_action(builder, runs, end)
    _lean_action(builder, runs, end)
    _repro_actions(builder, runs, files, end)
    _correction_action(builder, manifest, files, context, end)
    _action_statuses(builder)
    return builder.to_json()
