"""Bundle -> deposit: read and check the bundle, plan the upload, drive the crash-safe depositor.

``deposit_bundle`` starts (or, when its journal already exists, continues) a
deposit; ``resume_deposit`` continues one from its journal. Targets:
``local`` (the embedded archive, default), ``zenodo``, ``zenodo-sandbox`` or
the URL of a Zenodo-compatible server (the stand-in). A second bundle of a
record already deposited at the target becomes a new version
(``isNewVersionOf`` the previous DOI); the same bundle twice is reported as
already deposited, never published twice.

Test hook (explicit, for crash tests only): when ``PROVENANCE_DEPOSIT_CRASH_AT``
names a step (``before-create``, ``after-create``, ``journaled-create``,
``uploaded:<key>``, ``before-metadata``, ``after-metadata``,
``before-publish``, ``after-publish``, ``done``), the process kills itself
with SIGKILL at that step.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.atomic import atomic_write_bytes
from archive.depositor import Depositor, Registry, Repository, previous_version, target_key
from archive.errors import ArchiveInputError, RepositoryUnreachable
from archive.hashing import FileDigests, hash_file
from archive.journal import FileRegistry, Journal, JournalFile, exclusive, find_journals
from archive.local_archive import LocalArchive, default_archive_dir
from archive.zenodo.client import ZenodoClient, normalise_base_url
from archive.zenodo.repository import ZenodoRepository
from provenance.bundle.layout import ATTESTATION, CRATE
from provenance.bundle.read import BundleInfo, info_of_valid_bag, read_valid_bundle
from provenance.clock import utc_now
from provenance.deposit.bundlezip import zip_bag_directory
from provenance.deposit.config import NAMED_SERVERS, NEW_FORM, TOKEN_ENV, config_file, data_dir, token_for
from provenance.deposit.licence import deposit_licence
from provenance.deposit.metadata import DepositOptions, build_metadata, bundle_hex, marker_keyword
from provenance.errors import CheckFailed, InputError, ProvenanceError
from provenance.signing.trust import TrustRoot

CRASH_ENV = "PROVENANCE_DEPOSIT_CRASH_AT"


class NotReached(ProvenanceError):
    """A deposit step's request never reached the repository (refused, unreachable): nothing was done there."""
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Target:
    """Where a deposit goes. ``name`` is what the user typed (``local``, ``zenodo``, a URL)."""

    kind: str
    name: str
    url: str | None = None
    archive_dir: Path | None = None


def sanitise(text: str) -> str:
    """A file-name-safe form of a record id: ``SRCH:2A059E4E`` -> ``SRCH-2A059E4E``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "record"


def upload_key(record_id: str, bundle_id: str) -> str:
    """``<record-id-sanitised>-<bundle-id hex[:12]>.zip``."""
    return f"{sanitise(record_id)}-{bundle_hex(bundle_id)[:12]}.zip"


CONTAINER_DIGESTS = ("md5", "sha256")
"""What the journal records of the zip it uploads (md5 for Zenodo, sha256 for the local archive)."""


def read_bundle(path: str | os.PathLike[str]) -> BundleInfo:
    """Validate the bag (every finding) and read its identity, manifest, crate and carried log (the one bundle reader)."""
    info, _ = read_valid_bundle(path)
    return info


NO_VERIFY_NOTE = "not verified before deposit (--no-verify: a rehearsal)"


@dataclass(frozen=True)
class CheckedBundle:
    """A bundle read once: who it is, how it was checked (the journal's ``verification``), and, for a zip,
    the digests of the zip itself (:data:`CONTAINER_DIGESTS`) from that same read."""

    info: BundleInfo
    verification: dict[str, Any]
    container: FileDigests | None


def verified_bundle(path: str | os.PathLike[str], trust: TrustRoot | None, *, verify: bool = True) -> CheckedBundle:
    """The bundle at ``path``, read once, and how it was checked.

    With ``verify`` (the default), the full offline verification of ``provenance verify``
    against ``trust`` (every digest, the attestation's signature by a trusted attestor key,
    every claim recomputed; Lean is not re-run): a bundle that fails any check raises
    :class:`CheckFailed` and nothing is deposited; without ``trust``, :class:`InputError`.
    Without ``verify`` the bag is still validated; the record says it was not verified.
    The zip's own digests are computed beside the bag's validation, so the deposit needs no pass of its own.
    """
    if not verify:
        info, bag = read_valid_bundle(path, container_algorithms=CONTAINER_DIGESTS)
        return CheckedBundle(info, {"verified": False, "note": NO_VERIFY_NOTE}, bag.container)
    if trust is None:
        raise InputError("deposit verifies the bundle against a trust root before it deposits, and none was given",
                         where="--trust", remedy="give --trust trust-root.json, or --no-verify for a rehearsal "
                                                 "(recorded in the deposit journal)")
    from provenance.bundle.verify import read_bag, verify_read_bag

    bag, kind = read_bag(path, container_algorithms=CONTAINER_DIGESTS)
    report = verify_read_bag(bag, str(path), kind, trust, lean_mode="off")
    if not report.ok:
        failures = report.failures
        shown = "; ".join(f"{f.file + ': ' if f.file else ''}{f.message}" for f in failures[:3])
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise CheckFailed(f"the bundle does not verify, so it is not deposited: {shown}{more}", where=str(path),
                          remedy="run `provenance verify` on it for the full report")
    record = {"verified": True, "trust_root_version": trust.version, "signers": list(report.signers),
              "checks": report.counts()}
    return CheckedBundle(info_of_valid_bag(path, bag), record, bag.container)


def resolve_target(to: str, archive_dir: str | os.PathLike[str] | None = None,
                   env: Mapping[str, str] | None = None) -> Target:
    name = to.strip()
    if name == "local":
        return Target("local", "local", None, Path(archive_dir) if archive_dir else default_archive_dir(env or {}))
    if name in NAMED_SERVERS:
        return Target("zenodo", name, NAMED_SERVERS[name])
    if name.startswith(("http://", "https://")):
        try:
            return Target("zenodo", name, normalise_base_url(name))
        except ArchiveInputError as exc:
            raise InputError(exc.message, where="--to", remedy=exc.remedy) from None
    raise InputError(f"unknown target {to!r}", where="--to", remedy="use local, zenodo, zenodo-sandbox or a URL")


def _target_from_journal(j: Journal) -> Target:
    t = j.target
    if t.get("kind") == "local":
        return Target("local", "local", None, Path(str(t.get("dir"))))
    return Target("zenodo", str(t.get("name") or t.get("url")), str(t.get("url")))


def _open(target: Target, env: Mapping[str, str], client_kwargs: Mapping[str, Any] | None
          ) -> tuple[Repository, Registry, Path]:
    """The repository, its registry and its default journal directory."""
    if target.kind == "local":
        assert target.archive_dir is not None
        archive = LocalArchive(target.archive_dir)
        return archive, archive, target.archive_dir / "journals"
    assert target.url is not None
    token = token_for(target.url, env=env)
    if token is None:
        raise InputError(f"no Zenodo token for {target.url}", where=TOKEN_ENV,
                         remedy=f"set {TOKEN_ENV}, or add it for this server to {config_file(env)} (mode 0600): "
                                f"{NEW_FORM}")
    client = ZenodoClient(target.url, token.reveal(), **dict(client_kwargs or {}))
    repo = ZenodoRepository(client, kind="zenodo")
    base = data_dir(env)
    return repo, FileRegistry(base / "zenodo-registry.json"), base / "deposits"


def crash_hook_from_env(env: Mapping[str, str]) -> Callable[[str], None] | None:
    """The explicit test hook: SIGKILL this process at the step named in ``PROVENANCE_DEPOSIT_CRASH_AT``."""
    step = env.get(CRASH_ENV)
    if not step:
        return None

    def hook(name: str) -> None:
        if name == step or (step.endswith("*") and name.startswith(step[:-1])):
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _describe(repo: Repository, target: Target) -> dict[str, Any]:
    described = repo.describe()
    described["name"] = target.name
    return described


def deposit_bundle(
    bundle: str | os.PathLike[str],
    *,
    to: str = "local",
    archive_dir: str | os.PathLike[str] | None = None,
    journal_dir: str | os.PathLike[str] | None = None,
    publish: bool | None = None,
    communities: Sequence[str] = (),
    license: str | None = None,
    env: Mapping[str, str],
    progress: ProgressFn | None = None,
    today: str | None = None,
    client_kwargs: Mapping[str, Any] | None = None,
    hook: Callable[[str], None] | None = None,
    trust: TrustRoot | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """Deposit ``bundle``; return the journal summary plus ``status`` and ``verification``.

    The bundle is verified against ``trust`` first (:func:`verified_bundle`);
    ``verify=False`` skips that for rehearsals, and the journal records it.
    ``hook`` is called with the name of each step (default: the crash hook of
    ``PROVENANCE_DEPOSIT_CRASH_AT``, if set).

    ``publish`` defaults to True for the local archive and False for Zenodo
    (publishing on Zenodo is irreversible, so it must be asked for).
    """
    e = dict(env)
    checked = verified_bundle(bundle, trust, verify=verify)
    info, verification = checked.info, checked.verification
    target = resolve_target(to, archive_dir, e)
    repo, registry, default_journals = _open(target, e, client_kwargs)
    jdir = Path(journal_dir) if journal_dir else default_journals
    described = _describe(repo, target)
    key = upload_key(info.record_id, info.bundle_id)
    journal_path = jdir / f"{sanitise(target.name if target.kind != 'local' else 'local')}--{key[:-4]}.json"
    do_publish = (target.kind == "local") if publish is None else publish

    with exclusive(journal_path):
        summary = _deposit_locked(checked, repo, registry, described, jdir, journal_path, key, do_publish,
                                  publish=publish, communities=communities, license=license, progress=progress,
                                  today=today, hook=hook or crash_hook_from_env(e), verification=verification)
    return {**summary, "verification": verification}


def _deposit_locked(checked: CheckedBundle, repo: Repository, registry: Registry,
                    described: Mapping[str, Any], jdir: Path, journal_path: Path, key: str, do_publish: bool, *,
                    publish: bool | None, communities: Sequence[str], license: str | None,
                    progress: ProgressFn | None, today: str | None,
                    hook: Callable[[str], None] | None, verification: Mapping[str, Any]) -> dict[str, Any]:
    """The deposit proper, run while holding the journal's lock."""
    info = checked.info
    if journal_path.exists():
        journal = Journal.load(journal_path)
        if journal.phase == "published":
            return {**journal.summary(), "status": "already-deposited"}
        summary = _reaching(journal_path, described.get("url"), lambda: Depositor(
            repo, journal, registry=registry, progress=progress, hook=hook).run(publish=publish))
        return {**summary, "status": "resumed-" + summary["phase"]}

    for other in find_journals(jdir):
        if (other.phase not in ("published", "discarded") and other.data.get("record_id") == info.record_id
                and target_key(other.target) == target_key(described)):
            raise InputError(
                f"another deposit of record {info.record_id} is unfinished (bundle {other.data.get('bundle_id')})",
                where=str(other.path),
                remedy="finish it with `provenance deposit resume` or drop it with `provenance deposit discard`",
            )
    latest = registry.lookup(target_key(described), info.record_id)
    if latest and latest.get("bundle_id") == info.bundle_id:
        return {"status": "already-deposited", "record_id": info.record_id, "bundle_id": info.bundle_id,
                "phase": "published", "target": described, **{k: latest.get(k) for k in (
                    "deposition_id", "doi", "concept_id", "concept_doi", "record_url")}}
    previous = previous_version(registry, described, info.record_id)
    version = str(len(latest.get("versions", [])) + 1) if latest else "1"
    options = DepositOptions(
        bundle_id=info.bundle_id,
        publication_date=today or utc_now().date().isoformat(),
        version=version,
        previous_doi=str(previous["doi"]) if previous and previous.get("doi") else None,
        communities=tuple(communities),
        license=deposit_licence(info.member(CRATE), license, where=f"{info.path}: {CRATE}"),
        checkpoint=checkpoint.line() if (checkpoint := info.checkpoint()) is not None else None,
        correction=info.latest_correction(),
        artifacts=tuple(a.to_json() for a in info.artifacts()),
    )
    metadata = build_metadata(info.manifest, options)

    files_dir = journal_path.with_suffix(".files")
    files_dir.mkdir(parents=True, exist_ok=True)
    files: list[JournalFile] = []
    if info.kind == "zip":
        zip_path = info.path.resolve()
        digests = checked.container or hash_file(zip_path, CONTAINER_DIGESTS)
    else:
        zipped = zip_bag_directory(info, files_dir / key)
        zip_path, digests = zipped.path, FileDigests(zipped.size, {"md5": zipped.md5, "sha256": zipped.sha256})
    files.append(JournalFile(key, str(zip_path), digests.size, digests["md5"], digests["sha256"]))
    attestation = info.member(ATTESTATION)
    if attestation is not None:
        name, data = ATTESTATION, attestation
        att_key = f"{key[:-4]}.{sanitise(name)}"
        att_path = files_dir / att_key
        atomic_write_bytes(att_path, data, 0o644)
        d = hash_file(att_path, ("md5", "sha256"))
        files.append(JournalFile(att_key, str(att_path), d.size, d["md5"], d["sha256"]))

    journal = Journal.create(
        journal_path, target=described, record_id=info.record_id, bundle_id=info.bundle_id, files=files,
        metadata=metadata, publish=do_publish, marker=marker_keyword(info.bundle_id), previous=previous,
        extra={"bundle_path": str(info.path.resolve()), "version": version, "verification": dict(verification)},
    )
    summary = _reaching(journal_path, described.get("url"), lambda: Depositor(
        repo, journal, registry=registry, progress=progress, hook=hook).run())
    return {**summary, "status": summary["phase"]}


def journal_dirs(env: Mapping[str, str], archive_dir: str | os.PathLike[str] | None,
                 journal_dir: str | os.PathLike[str] | None) -> list[Path]:
    dirs = [Path(journal_dir)] if journal_dir else []
    dirs.append((Path(archive_dir) if archive_dir else default_archive_dir(env)) / "journals")
    dirs.append(data_dir(env) / "deposits")
    return dirs


def open_journals(dirs: Sequence[Path]) -> list[Journal]:
    """Journals with something left to do: unfinished, or a draft waiting to be published (``draft_ready``)."""
    found: dict[Path, Journal] = {}
    for d in dirs:
        for j in find_journals(d):
            if not j.finished or j.phase == "draft_ready":
                found[j.path.resolve()] = j
    return list(found.values())


def _pick(journal: str | os.PathLike[str] | None, env: Mapping[str, str],
          archive_dir: str | os.PathLike[str] | None, journal_dir: str | os.PathLike[str] | None, *,
          command: str) -> Journal:
    if journal is not None:
        return Journal.load(journal)
    dirs = journal_dirs(env, archive_dir, journal_dir)
    pending = open_journals(dirs)
    if not pending:
        raise InputError("no deposit journal with work left (unfinished, or a draft waiting to be published)",
                         where=command, remedy="give the journal path, or --archive-dir/--journal-dir where it "
                                               f"lives (searched: {', '.join(str(d) for d in dirs)})")
    if len(pending) > 1:
        listed = ", ".join(f"{j.path} ({j.phase})" for j in pending)
        raise InputError(f"{len(pending)} deposits with work left: {listed}", where=command,
                         remedy=f"name the journal: `provenance deposit {command} JOURNAL`")
    return pending[0]


def _reaching(journal: Path, url: str | None, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a step that talks to the repository; a request that never reached it says what to do next."""
    try:
        return step()
    except RepositoryUnreachable as exc:
        raise NotReached(
            f"{url or 'the repository'} was not reached, so nothing was done there: {exc.message}",
            where=str(journal),
            remedy=f"if the URL is wrong, drop this attempt with `provenance deposit discard {journal}` and deposit "
                   f"again with the right --to; if it is right, `provenance deposit resume {journal}` once it answers",
        ) from None


def list_journals(*, env: Mapping[str, str], archive_dir: str | os.PathLike[str] | None = None,
                  journal_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every deposit journal in the known places, as summaries."""
    e = dict(env)
    seen: dict[Path, dict[str, Any]] = {}
    for d in journal_dirs(e, archive_dir, journal_dir):
        for j in find_journals(d):
            seen[j.path.resolve()] = j.summary()
    return list(seen.values())


def discard_deposit(
    journal: str | os.PathLike[str] | None = None,
    *,
    archive_dir: str | os.PathLike[str] | None = None,
    journal_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str],
    client_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Abandon an unpublished deposit: its draft is discarded and its journal closed."""
    e = dict(env)
    j = _pick(journal, e, archive_dir, journal_dir, command="discard")
    repo, registry, _ = _open(_target_from_journal(j), e, client_kwargs)
    with exclusive(j.path):
        summary = Depositor(repo, j, registry=registry).discard()
    return {**summary, "status": summary["phase"]}


def resume_deposit(
    journal: str | os.PathLike[str] | None = None,
    *,
    archive_dir: str | os.PathLike[str] | None = None,
    journal_dir: str | os.PathLike[str] | None = None,
    publish: bool | None = None,
    env: Mapping[str, str],
    progress: ProgressFn | None = None,
    client_kwargs: Mapping[str, Any] | None = None,
    hook: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Continue the deposit of ``journal`` (or of the one journal found with work left) to its end."""
    e = dict(env)
    j = _pick(journal, e, archive_dir, journal_dir, command="resume")
    target = _target_from_journal(j)
    repo, registry, _ = _open(target, e, client_kwargs)
    with exclusive(j.path):
        j = Journal.load(j.path)  # re-read under the lock
        locked = j
        summary = _reaching(j.path, target.url, lambda: Depositor(
            repo, locked, registry=registry, progress=progress, hook=hook or crash_hook_from_env(e)).run(publish=publish))
    return {**summary, "status": summary["phase"]}
