"""The one crash-safe deposit state machine, over a one-method-per-operation ``Repository``.

Both the Zenodo client (:class:`archive.zenodo.repository.ZenodoRepository`)
and the embedded local archive (:class:`archive.local_archive.LocalArchive`)
implement :class:`Repository`; :class:`Depositor` drives either from a
:class:`archive.journal.Journal`:

``prepared -> creating -> created -> uploaded -> metadata_set -> publishing -> published``
(or ``draft_ready`` when not publishing).

Every side effect is bracketed by journal writes, and every step can be
re-entered after a crash: a lost create is found again by the marker keyword,
a lost new version by its concept, uploads are compared by MD5 and size
(PUT replaces), metadata PUT is idempotent, and a lost publish is read back
before anything is re-sent. A deposit therefore ends with exactly one
published record whose files match the journal's digests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from archive.errors import ArchiveError, ArchiveInputError, RepositoryUnreachable
from archive.journal import Journal

Progress = Callable[[int, int], None]
Hook = Callable[[str], None]


@dataclass(frozen=True)
class StoredFile:
    """A file held by a repository, as it reports it: key, size, bare lowercase hex MD5, its file id."""

    key: str
    size: int
    md5: str
    file_id: str = ""


@dataclass(frozen=True)
class RemoteDeposit:
    """What the state machine needs to know about a deposition, repository-neutral."""

    id: str
    concept_id: str | None
    published: bool
    doi: str | None = None
    concept_doi: str | None = None
    record_url: str | None = None
    upload_target: str | None = None
    files: tuple[StoredFile, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False)


class Repository(Protocol):
    """A place that holds versioned, published deposits. One method per operation."""

    def describe(self) -> dict[str, Any]:
        """The target as the journal records it (kind, URL or directory); never a secret."""
        ...

    def create_draft(self, metadata: Mapping[str, Any]) -> RemoteDeposit:
        """A new, empty draft of a new concept. Not idempotent."""
        ...

    def find_draft_by_marker(self, marker: str) -> RemoteDeposit | None:
        """The unpublished draft whose keywords hold ``marker``, if any."""
        ...

    def new_version(self, published_id: str, concept_id: str | None) -> RemoteDeposit:
        """The open new-version draft of that concept, creating it if there is none."""
        ...

    def get(self, deposit_id: str) -> RemoteDeposit:
        ...

    def upload(self, draft: RemoteDeposit, key: str, path: Path, progress: Progress | None,
               expected_md5: str | None = None) -> StoredFile:
        """Store ``path`` as ``key`` (replacing one with that key); MD5 and size verified.

        ``expected_md5`` is the digest recorded before the upload; the stored file must match it.
        """
        ...

    def delete_file(self, deposit_id: str, stored: StoredFile) -> None:
        ...

    def set_metadata(self, deposit_id: str, metadata: Mapping[str, Any]) -> RemoteDeposit:
        """Replace all metadata; raises if the repository did not keep it as sent."""
        ...

    def publish(self, deposit_id: str) -> RemoteDeposit:
        """Publish the draft (a lost answer is read back, never blindly re-sent)."""
        ...

    def discard(self, deposit_id: str) -> None:
        ...


class Registry(Protocol):
    """Record id -> the latest published version, per target."""

    def lookup(self, target: str, record_id: str) -> dict[str, Any] | None: ...

    def record(self, target: str, record_id: str, version: Mapping[str, Any]) -> None: ...


class DepositError(ArchiveError):
    """The deposit cannot go on as asked (its journal stays, so it can be resumed)."""


class PublishGateError(DepositError):
    """The draft is not what the journal says should be published; nothing was published."""


def target_key(target: Mapping[str, Any]) -> str:
    """The registry key of a target: its URL or directory."""
    return str(target.get("url") or target.get("dir") or target.get("kind"))


def _no_hook(step: str) -> None:
    return None


class Depositor:
    """Drives one journal to its final phase against ``repository``."""

    def __init__(
        self,
        repository: Repository,
        journal: Journal,
        *,
        registry: Registry | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        hook: Hook | None = None,
    ) -> None:
        self.repo = repository
        self.journal = journal
        self.registry = registry
        self.progress = progress
        self.hook = hook or _no_hook

    def run(self, *, publish: bool | None = None) -> dict[str, Any]:
        """Continue from the journal's phase to the end; return the journal summary.

        ``publish`` overrides the journal's choice (``resume --publish`` on a draft).
        """
        j = self.journal
        if publish is not None and publish != j.data.get("publish"):
            j.update(publish=publish, phase="metadata_set" if j.phase == "draft_ready" else None)
        if j.phase == "published":
            return j.summary()
        if j.phase == "discarded":
            raise DepositError(f"{j.path}: this deposit was discarded", remedy="deposit the bundle again")
        if j.phase in ("prepared", "creating", "created"):
            self._check_files_readable()  # later phases need only the journal's digests
        if j.phase in ("prepared", "creating"):
            self._create()
        draft = self.repo.get(self._dep_id())
        if draft.published and j.phase not in ("publishing",):
            if j.phase != "draft_ready":
                # published outside this run (or by a lost publish answer we never journaled)
                self._finish_published(draft)
                return j.summary()
        if j.phase == "created":
            self._sync_files(draft)
        if j.phase == "uploaded":
            self._set_metadata()
        if j.phase == "metadata_set":
            if j.data.get("publish"):
                self._gate(self.repo.get(self._dep_id()))
                self.hook("before-publish")
                j.update(phase="publishing")
            else:
                j.update(phase="draft_ready")
                return j.summary()
        if j.phase == "publishing":
            self._publish()
        return j.summary()

    def discard(self) -> dict[str, Any]:
        """Abandon an unpublished deposit: drop its draft (if one was made) and close the journal.

        Always possible: when the repository cannot be reached (a mistyped URL, no network),
        the journal is closed anyway and its ``warnings`` say which draft may be left there.
        """
        j = self.journal
        if j.phase == "published":
            raise DepositError(f"{j.path}: already published as {j.data.get('doi')}; published versions stay",
                               remedy="deposit a corrected bundle as a new version")
        if j.phase == "discarded":
            return j.summary()
        try:
            self._discard_remote()
        except RepositoryUnreachable as exc:
            left = (f"draft {j.deposition_id}" if j.deposition_id is not None
                    else "a draft, if its creation reached the repository")
            j.update(phase="discarded", warnings=[
                f"the repository could not be reached ({exc.message}); {left} may remain there: delete it "
                "on the repository's site if it exists"])
            return j.summary()
        j.update(phase="discarded")
        return j.summary()

    def _discard_remote(self) -> None:
        j = self.journal
        if j.phase == "prepared":
            return  # nothing was sent yet
        dep_id = j.deposition_id
        if dep_id is None and j.phase == "creating" and not j.data.get("previous"):
            found = self.repo.find_draft_by_marker(str(j.data["marker"]))
            dep_id = found.id if found is not None else None
        if dep_id is not None:
            current = self.repo.get(dep_id)
            if current.published:
                self._finish_published(current)
                raise DepositError(f"deposition {dep_id} was published meanwhile as {current.doi}",
                                   remedy="published versions stay; the journal now records it")
            self.repo.discard(dep_id)

    # -- steps ------------------------------------------------------------------

    def _dep_id(self) -> str:
        dep_id = self.journal.deposition_id
        if dep_id is None:
            raise DepositError("the journal has no deposition id", remedy="this journal is damaged; start again")
        return dep_id

    def _check_files_readable(self) -> None:
        for f in self.journal.files:
            p = Path(f.path)
            if not p.is_file() or p.stat().st_size != f.size:
                raise ArchiveInputError(
                    f"{p}: the file to deposit is missing or changed since the journal was written",
                    remedy="restore it, or discard this journal and deposit again",
                )

    def _create(self) -> None:
        j = self.journal
        previous = j.data.get("previous")
        draft: RemoteDeposit | None = None
        if j.phase == "creating" and not previous:
            draft = self.repo.find_draft_by_marker(str(j.data["marker"]))
        if draft is None:
            first = j.phase != "creating"
            if first:
                j.update(phase="creating")
            self.hook("before-create")
            try:
                if previous:
                    draft = self.repo.new_version(str(previous["deposition_id"]), previous.get("concept_id"))
                else:
                    draft = self.repo.create_draft(j.data["metadata"])
            except RepositoryUnreachable:
                if first:  # the request never arrived: there is nothing to find or discard there
                    j.update(phase="prepared")
                raise
            self.hook("after-create")
        j.update(phase="created", deposition_id=draft.id, concept_id=draft.concept_id,
                 upload_target=draft.upload_target)
        self.hook("journaled-create")

    def _sync_files(self, draft: RemoteDeposit) -> None:
        """Make the draft hold exactly the journal's files: delete others, upload missing or different."""
        j = self.journal
        wanted = {f.key: f for f in j.files}
        for stored in draft.files:
            want = wanted.get(stored.key)
            if want is None or stored.md5 != want.md5 or stored.size != want.size:
                self.repo.delete_file(draft.id, stored)
                self.hook(f"deleted:{stored.key}")
        have = {s.key: s for s in self.repo.get(draft.id).files}
        for f in j.files:
            stored_now = have.get(f.key)
            if stored_now is not None and stored_now.md5 == f.md5 and stored_now.size == f.size:
                if not f.uploaded:
                    j.mark_uploaded(f.key)
                continue
            if f.uploaded:
                j.mark_uploaded(f.key, False)
            callback: Progress | None = None
            if self.progress is not None:
                callback = functools.partial(self.progress, f.key)
            stored = self.repo.upload(draft, f.key, Path(f.path), callback, f.md5)
            if stored.md5 != f.md5 or stored.size != f.size:
                raise DepositError(
                    f"{f.key}: the repository holds md5 {stored.md5} size {stored.size}, the journal says "
                    f"md5 {f.md5} size {f.size}",
                    remedy="the file changed since the journal was written; deposit again",
                )
            self.hook(f"uploaded:{f.key}")
            j.mark_uploaded(f.key)
        j.update(phase="uploaded")

    def _set_metadata(self) -> None:
        self.hook("before-metadata")
        self.repo.set_metadata(self._dep_id(), self.journal.data["metadata"])
        self.hook("after-metadata")
        self.journal.update(phase="metadata_set")

    def _gate(self, draft: RemoteDeposit) -> None:
        """Publish only a draft whose files are exactly the journal's, by MD5 and size."""
        want = {f.key: (f.md5, f.size) for f in self.journal.files}
        have = {s.key: (s.md5, s.size) for s in draft.files}
        if not want:
            raise PublishGateError("nothing to publish: the journal lists no files", remedy="deposit a bundle")
        if want != have:
            missing = sorted(set(want) - set(have))
            extra = sorted(set(have) - set(want))
            changed = sorted(k for k in set(want) & set(have) if want[k] != have[k])
            raise PublishGateError(
                f"the draft's files differ from the journal (missing {missing}, extra {extra}, changed {changed})",
                remedy="resume the deposit to upload them again",
            )

    def _published_warnings(self, dep: RemoteDeposit) -> list[str]:
        """What the repository silently did not apply at publish (Zenodo swallows community failures)."""
        wanted = self.journal.data["metadata"].get("communities") or []
        have = dep.metadata.get("communities") or []
        have_ids = {c.get("identifier") for c in have if isinstance(c, Mapping)}
        return [f"community {c.get('identifier')!r} was not applied at publish; request it on the record's page"
                for c in wanted if isinstance(c, Mapping) and c.get("identifier") not in have_ids]

    def _publish(self) -> None:
        dep_id = self._dep_id()
        current = self.repo.get(dep_id)
        if not current.published:
            self._gate(current)
            current = self.repo.publish(dep_id)
            self.hook("after-publish")
        self._finish_published(current)

    def _finish_published(self, dep: RemoteDeposit) -> None:
        j = self.journal
        self._gate(dep)
        j.update(phase="published", doi=dep.doi, concept_doi=dep.concept_doi, record_url=dep.record_url,
                 concept_id=dep.concept_id, warnings=self._published_warnings(dep))
        if self.registry is not None:
            self.registry.record(target_key(j.target), str(j.data["record_id"]), {
                "deposition_id": dep.id, "doi": dep.doi, "concept_id": dep.concept_id,
                "concept_doi": dep.concept_doi, "record_url": dep.record_url,
                "bundle_id": j.data.get("bundle_id"), "journal": str(j.path),
            })
        self.hook("done")


def previous_version(registry: Registry | None, target: Mapping[str, Any], record_id: str) -> dict[str, Any] | None:
    """The latest published version of ``record_id`` at ``target``, as the journal's ``previous``."""
    if registry is None:
        return None
    entry = registry.lookup(target_key(target), record_id)
    if not entry or not entry.get("deposition_id"):
        return None
    return {k: entry.get(k) for k in ("deposition_id", "doi", "concept_id", "concept_doi", "bundle_id")}


def same_files(a: Sequence[StoredFile], b: Sequence[StoredFile]) -> bool:
    return {(f.key, f.md5, f.size) for f in a} == {(f.key, f.md5, f.size) for f in b}
