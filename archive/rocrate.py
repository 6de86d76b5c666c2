"""RO-Crate 1.2 metadata: a small typed builder with fixed key order, and a checker.

The builder emits ``ro-crate-metadata.json`` for a crate whose root is a bag's
``data/`` (a Bagged RO-Crate): the metadata descriptor, the root ``Dataset``
(``hasPart`` lists every File entity, ``mentions`` every action), ``File``
entities with ``contentSize`` and ``sha256``, contextual entities, and one
``CreateAction`` per tool run (Process Run Crate 0.5). Output order is fixed so
the bytes are deterministic. :func:`check_crate` re-checks a crate against the
files actually present, reporting every problem.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTEXT = "https://w3id.org/ro/crate/1.2/context"
SPEC = "https://w3id.org/ro/crate/1.2"
SPEC_1_1 = "https://w3id.org/ro/crate/1.1"
"""Also named by the descriptor: Process Run Crate 0.5 is defined on top of RO-Crate 1.1, and
validators check its descriptor rule (``conformsTo`` 1.1); a 1.2 crate is a valid 1.1 crate."""
PROCESS_RUN_PROFILE = "https://w3id.org/ro/wfrun/process/0.5"
METADATA_FILE = "ro-crate-metadata.json"
COMPLETED = "http://schema.org/CompletedActionStatus"
FAILED = "http://schema.org/FailedActionStatus"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


LICENCE_NOT_STATED: Mapping[str, Any] = {
    "@id": "https://choosealicense.com/no-permission/",
    "@type": "CreativeWork",
    "name": "No licence stated",
    "description": "The record states no licence, so default copyright applies; ask its publisher before reusing it.",
}
"""The licence entity for a crate whose source states none: an absolute https URL, as RO-Crate
recommends for every licence, of a page explaining what no licence means (default copyright)."""
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_absolute_uri(text: str) -> bool:
    """``scheme:...``: what RO-Crate asks of licence and web entity identifiers."""
    return bool(_ABSOLUTE_URI.match(text))


def ref(entity_id: str) -> dict[str, str]:
    """A JSON-LD reference ``{"@id": ...}``."""
    return {"@id": entity_id}


def refs(entity_ids: Sequence[str]) -> dict[str, str] | list[dict[str, str]]:
    """References to ``entity_ids``: one reference alone, not a list of one (RO-Crate 1.2's compact JSON-LD)."""
    return ref(entity_ids[0]) if len(entity_ids) == 1 else [ref(e) for e in entity_ids]


@dataclass(frozen=True)
class CrateFile:
    """A ``File`` data entity: a path relative to the crate root."""

    path: str
    size: int
    sha256: str
    name: str | None = None
    encoding_format: str | None = None
    description: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"@id": self.path, "@type": "File", "name": self.name or posixpath.basename(self.path)}
        if self.description:
            doc["description"] = self.description
        if self.encoding_format:
            doc["encodingFormat"] = self.encoding_format
        doc["contentSize"] = str(self.size)
        doc["sha256"] = self.sha256
        for key, value in self.extra.items():
            doc.setdefault(key, value)
        return doc


@dataclass(frozen=True)
class CreateAction:
    """One tool run (Process Run Crate): what ran, on what, with what result and outcome."""

    id: str
    name: str
    instrument: str
    objects: Sequence[str]
    results: Sequence[str]
    end_time: str
    ok: bool
    description: str | None = None
    agent: str | None = None
    start_time: str | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"@id": self.id, "@type": "CreateAction", "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["instrument"] = ref(self.instrument)
        if self.agent:
            doc["agent"] = ref(self.agent)
        doc["object"] = refs(self.objects)
        doc["result"] = refs(self.results)
        if self.start_time:
            doc["startTime"] = self.start_time
        doc["endTime"] = self.end_time
        doc["actionStatus"] = ref(COMPLETED if self.ok else FAILED)
        if self.error and not self.ok:
            doc["error"] = self.error
        for key, value in self.extra.items():
            doc.setdefault(key, value)
        return doc


@dataclass
class CrateBuilder:
    """Collects entities and emits the crate's JSON-LD with a fixed order.

    Files are listed in ``hasPart`` sorted by path; actions in ``mentions`` in the
    order added; contextual entities sorted by ``@id``. For roc-validator's RECOMMENDED
    level: ``authors`` and ``publisher`` name contextual entities (Person or
    Organization) the caller adds; ``default_agent`` is the agent of every action that
    names none; a licence must be an absolute URI (see :data:`LICENCE_NOT_STATED`);
    give ``descriptor_conforms_to`` one RO-Crate version.
    """

    name: str
    description: str
    date_published: str
    license: str | None = None
    identifier: str | None = None
    conforms_to: Sequence[str] = ()
    descriptor_conforms_to: Sequence[str] = (SPEC,)
    license_entity: Mapping[str, Any] | None = None
    root_extra: Mapping[str, Any] = field(default_factory=dict)
    authors: Sequence[str] = ()
    publisher: str | None = None
    default_agent: str | None = None
    files: dict[str, CrateFile] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: list[CreateAction] = field(default_factory=list)
    contextual: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_file(self, entry: CrateFile) -> None:
        if entry.path == METADATA_FILE or entry.path.startswith(("/", "../")) or "/../" in entry.path:
            raise ValueError(f"{entry.path!r} cannot be a File entity of the crate")
        self.files[entry.path] = entry

    def add_dataset(self, entity: Mapping[str, Any]) -> None:
        """A directory data entity (``@id`` ends in ``/``, ``@type`` Dataset); the root's ``hasPart`` lists it."""
        entity_id = str(entity["@id"])
        if not entity_id.endswith("/") or entity_id.startswith(("/", "../")) or "/../" in entity_id:
            raise ValueError(f"{entity_id!r} cannot be a directory Dataset of the crate")
        self.datasets[entity_id] = dict(entity)

    def add_entity(self, entity: Mapping[str, Any]) -> None:
        """A contextual entity (software, person, profile, ...); the first one per ``@id`` wins."""
        self.contextual.setdefault(str(entity["@id"]), dict(entity))

    def add_action(self, action: CreateAction) -> None:
        self.actions.append(action)

    def to_json(self) -> dict[str, Any]:
        root: dict[str, Any] = {
            "@id": "./",
            "@type": "Dataset",
            "name": self.name,
            "description": self.description,
            "datePublished": self.date_published,
        }
        if self.license:
            root["license"] = ref(self.license)
        elif self.license_entity is not None:
            root["license"] = ref(str(self.license_entity["@id"]))
            self.add_entity(self.license_entity)
        if self.identifier:
            root["identifier"] = self.identifier
        if self.authors:
            root["author"] = refs(self.authors)
        if self.publisher:
            root["publisher"] = ref(self.publisher)
        if self.conforms_to:
            root["conformsTo"] = refs(self.conforms_to)
        root["hasPart"] = refs(sorted([*self.files, *self.datasets]))
        if self.actions:
            root["mentions"] = refs([a.id for a in self.actions])
        for key, value in self.root_extra.items():
            root.setdefault(key, value)
        graph: list[dict[str, Any]] = [
            {
                "@id": METADATA_FILE,
                "@type": "CreativeWork",
                "conformsTo": refs(self.descriptor_conforms_to),
                "about": ref("./"),
            },
            root,
        ]
        graph.extend(self.files[p].to_json() for p in sorted(self.files))
        graph.extend(self.datasets[d] for d in sorted(self.datasets))
        graph.extend(self._with_agent(a).to_json() for a in self.actions)
        graph.extend(self.contextual[k] for k in sorted(self.contextual))
        return {"@context": CONTEXT, "@graph": graph}


    def _with_agent(self, action: CreateAction) -> CreateAction:
        if action.agent or not self.default_agent:
            return action
        return dataclasses.replace(action, agent=self.default_agent)

    def named_but_missing(self) -> list[str]:
        """Ids the root or the actions name (author, publisher, agent) with no entity in the crate."""
        named = [*self.authors, *([self.publisher] if self.publisher else []),
                 *(a.agent or self.default_agent or "" for a in self.actions)]
        return sorted({n for n in named if n and n not in self.contextual})


@dataclass(frozen=True)
class PresentFile:
    """What the bag says about a file: its size and sha256."""

    size: int
    sha256: str


def check_crate(doc: Any, present: Mapping[str, PresentFile]) -> list[str]:
    """Every problem of crate metadata ``doc`` against the files ``present`` (crate-relative).

    Checks the context, the descriptor, the root (``datePublished``), that each
    ``File`` entity names a present file by a safe relative path with matching
    ``contentSize`` and ``sha256``, and that every File is reachable from the root.
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ["metadata is not a JSON object"]
    if doc.get("@context") != CONTEXT:
        problems.append(f"@context is {doc.get('@context')!r}, expected {CONTEXT!r}")
    graph = doc.get("@graph")
    if not isinstance(graph, list) or not all(isinstance(e, dict) for e in graph):
        return [*problems, "@graph is not a list of objects"]
    by_id: dict[str, dict[str, Any]] = {}
    for entity in graph:
        eid = entity.get("@id")
        if not isinstance(eid, str):
            problems.append("an entity has no string @id")
            continue
        if eid in by_id:
            problems.append(f"@id {eid!r} appears twice in @graph")
        by_id[eid] = entity
    descriptor = by_id.get(METADATA_FILE)
    if descriptor is None:
        problems.append("no metadata descriptor entity 'ro-crate-metadata.json'")
    else:
        if descriptor.get("about") != ref("./"):
            problems.append("the descriptor is not 'about' the root './'")
        conforms = descriptor.get("conformsTo")
        listed = conforms if isinstance(conforms, list) else [conforms]
        if ref(SPEC) not in listed:
            problems.append(f"the descriptor does not conform to {SPEC}")
    root = by_id.get("./")
    reachable: set[str] = set()
    if root is None:
        problems.append("no root data entity './'")
    else:
        if not _has_type(root, "Dataset"):
            problems.append("the root './' is not a Dataset")
        published = root.get("datePublished")
        if not isinstance(published, str) or not _ISO_DATE.match(published):
            problems.append("the root has no ISO 8601 datePublished")
        reachable = _reachable(root, by_id)
    for eid, entity in sorted(by_id.items()):
        if not _has_type(entity, "File"):
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", eid):
            continue  # an absolute URI: a web-based data entity
        if eid.startswith("/") or eid == ".." or eid.startswith("../") or "/../" in eid or "\\" in eid:
            problems.append(f"File @id {eid!r} escapes the crate")
            continue
        if eid not in present:
            problems.append(f"File {eid!r} is described but not present in the crate")
            continue
        size = entity.get("contentSize")
        if size is not None and str(size) != str(present[eid].size):
            problems.append(f"File {eid!r}: contentSize {size} but the file has {present[eid].size} bytes")
        digest = entity.get("sha256")
        if digest is not None and str(digest).lower() != present[eid].sha256:
            problems.append(f"File {eid!r}: sha256 {digest} does not match the file")
        if eid not in reachable:
            problems.append(f"File {eid!r} is not reachable from the root through hasPart")
    return problems


def _has_type(entity: Mapping[str, Any], name: str) -> bool:
    t = entity.get("@type")
    return t == name or (isinstance(t, list) and name in t)


def _reachable(root: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        parts = node.get("hasPart", [])
        if isinstance(parts, dict):
            parts = [parts]
        for part in parts if isinstance(parts, list) else []:
            pid = part.get("@id") if isinstance(part, dict) else None
            if isinstance(pid, str) and pid not in seen:
                seen.add(pid)
                if pid in by_id:
                    stack.append(by_id[pid])
    return seen
