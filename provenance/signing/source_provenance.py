"""source-provenance-v1: where a record and its derived files came from, as a signable predicate.

It binds the record (id, publisher, claim lineage), the generator (name and
version), the git repository, commit and dirty state of the inputs, the Python
and Lean versions, the digests of inputs and outputs, and the times. Git facts
come from gitpython; an input outside any repository is recorded as
``"not-in-git"``, never as an error. Remote URLs lose any user:password part.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from provenance import GENERATOR, __version__
from provenance.errors import InputError
from provenance.jsonio import canonical_sha256
from provenance.schemas import require_valid
from provenance.signing.intoto import make_statement, predicate_type_uri, sha256_file, sign_statement
from provenance.signing.keys import SigningKey

CONTRACT = "source-provenance-v1"
PREDICATE_TYPE = predicate_type_uri("source-provenance")
"""``https://provenance-archive.dev/attestation/source-provenance/v1``"""

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(.+)$")


def redact_remote(url: str) -> str | None:
    """A remote URL without credentials; local paths (which name local users' directories) become None."""
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    match = _SCP_LIKE.match(url)
    if match and not url.startswith(("/", ".", "file:")):
        return f"{match.group(1)}:{match.group(2)}"
    return None


@dataclass(frozen=True)
class GitFacts:
    """What git says about one repository holding some inputs."""

    commit: str | None
    branch: str | None
    dirty: bool
    remote: str | None
    statuses: Mapping[Path, str]


def _git_facts(root: Path, files: Sequence[Path]) -> GitFacts:
    import git

    repo = git.Repo(root)
    try:
        commit: str | None = repo.head.commit.hexsha
    except ValueError:  # a repository without commits
        commit = None
    try:
        branch: str | None = repo.active_branch.name
    except TypeError:  # detached HEAD
        branch = None
    remote = None
    for r in repo.remotes:
        urls = list(r.urls)
        if urls:
            remote = redact_remote(urls[0])
            break
    rels = [f.relative_to(root).as_posix() for f in files]
    tracked = set(repo.git.ls_files("-z", "--", *rels).split("\0")) - {""}
    changed: dict[str, str] = {}
    porcelain = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all", "--", *rels)
    for entry in porcelain.split("\0"):
        if len(entry) > 3:
            code, path = entry[:2], entry[3:]
            changed[path] = "untracked" if code == "??" else "modified"
    statuses: dict[Path, str] = {}
    for f, rel in zip(files, rels, strict=True):
        if rel in changed:
            statuses[f] = changed[rel]
        elif rel in tracked:
            statuses[f] = "clean"
        else:
            statuses[f] = "ignored"
    dirty = repo.is_dirty(untracked_files=False)
    return GitFacts(commit, branch, dirty, remote, statuses)


def _repo_root(directory: Path) -> Path | None:
    import git

    try:
        repo = git.Repo(directory, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.working_tree_dir is None:
        return None
    return Path(repo.working_tree_dir).resolve()


def _repo_roots(paths: Sequence[Path]) -> dict[Path, Path | None]:
    """The git working tree holding each (resolved) path.

    Each directory is looked at once (is there a ``.git`` in it?), and git is asked once
    per repository found, not once per file.
    """
    nearest: dict[Path, Path | None] = {}
    confirmed: dict[Path, Path | None] = {}

    def marked(directory: Path) -> Path | None:
        chain: list[Path] = []
        found: Path | None = None
        current = directory
        while True:
            if current in nearest:
                found = nearest[current]
                break
            chain.append(current)
            if (current / ".git").exists():
                found = current
                break
            if current.parent == current:
                break
            current = current.parent
        for d in chain:
            nearest[d] = found
        return found

    roots: dict[Path, Path | None] = {}
    for p in paths:
        mark = marked(p.parent)
        if mark is not None and mark not in confirmed:
            confirmed[mark] = _repo_root(mark)
        roots[p] = confirmed[mark] if mark is not None else None
    return roots


def _display_name(path: Path, base: Path, *, resolved: bool = False) -> str:
    try:
        return (path if resolved else path.resolve()).relative_to(base).as_posix()
    except ValueError:
        return path.name


def _claim_lineage(manifest: Mapping[str, Any]) -> dict[str, Any]:
    prov = manifest.get("provenance") or {}
    claims = []
    for claim in manifest.get("claims") or []:
        if not isinstance(claim, Mapping):
            continue
        check = claim.get("check")
        claims.append(
            {
                "id": claim.get("id"),
                "verified": claim.get("verified"),
                "confidence": claim.get("confidence"),
                "check_sha256": canonical_sha256(check) if isinstance(check, Mapping) else None,
                "text_sha256": canonical_sha256(claim.get("text", "")),
            }
        )
    return {"statement": prov.get("claim_lineage") if isinstance(prov, Mapping) else None, "claims": claims}


def build_source_provenance(
    manifest: Mapping[str, Any],
    inputs: Sequence[Path],
    outputs: Mapping[str, str] | Sequence[Path],
    *,
    now: datetime,
    lean_version: str | None,
    base: Path | None = None,
    known: Mapping[Path, tuple[int, str]] | None = None,
) -> dict[str, Any]:
    """A source-provenance-v1 predicate for ``manifest`` derived from ``inputs`` into ``outputs``.

    ``outputs`` is ``name -> sha256`` or a list of files to hash. Names of files are
    relative to ``base`` (default: the working directory) or else their file names.
    ``known`` gives (size, sha256) of inputs the caller already read (e.g. while copying
    them), which are then not read again. The result is validated against the schema.
    """
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("record_id"), str):
        raise InputError("not a paper manifest (no record_id)", remedy="give the output of `provenance ingest`")
    root = (base or Path.cwd()).resolve()
    input_entries: list[dict[str, Any]] = []
    by_repo: dict[Path, list[Path]] = {}
    digests = dict(known or {})
    resolved_of: dict[Path, Path] = {}
    for p in inputs:
        if p not in digests and not p.is_file():
            raise InputError("input is not a file", where=str(p), remedy="give existing input files")
        resolved_of[p] = p.resolve()
    for p, repo_root in _repo_roots(list(resolved_of.values())).items():
        if repo_root is not None:
            by_repo.setdefault(repo_root, []).append(p)
    repositories: list[dict[str, Any]] = []
    repo_index: dict[Path, int] = {}
    statuses: dict[Path, str] = {}
    for repo_root, files in sorted(by_repo.items()):
        facts = _git_facts(repo_root, files)
        repo_index[repo_root] = len(repositories)
        statuses.update(facts.statuses)
        repositories.append(
            {
                "commit": facts.commit,
                "branch": facts.branch,
                "dirty": facts.dirty,
                "remote": facts.remote,
                "inputs_changed": sorted(
                    _display_name(f, root, resolved=True) for f, s in facts.statuses.items() if s in ("modified", "untracked")
                ),
            }
        )
    repo_of = {f: r for r, fs in by_repo.items() for f in fs}
    for p in inputs:
        resolved = resolved_of[p]
        repo_root = repo_of.get(resolved)
        size, sha256 = digests[p] if p in digests else (p.stat().st_size, sha256_file(p))
        input_entries.append(
            {
                "name": _display_name(resolved, root, resolved=True),
                "sha256": sha256,
                "bytes": size,
                "git": {
                    "status": statuses.get(resolved, "not-in-git"),
                    "repository": repo_index[repo_root] if repo_root is not None else None,
                },
            }
        )
    if isinstance(outputs, Mapping):
        output_entries = [{"name": n, "sha256": d} for n, d in sorted(outputs.items())]
    else:
        output_entries = [{"name": _display_name(p, root), "sha256": sha256_file(p)} for p in outputs]
    prov = manifest.get("provenance")
    predicate: dict[str, Any] = {
        "contract": CONTRACT,
        "record": {
            "record_id": manifest["record_id"],
            "title": manifest.get("title"),
            "doi": manifest.get("doi"),
            "submitted": manifest.get("submitted"),
            "manifest_contract": manifest.get("contract"),
            "manifest_sha256": canonical_sha256(manifest),
            "source_sha256": (manifest.get("source") or {}).get("sha256"),
            "gate_status": (manifest.get("gate_verdict") or {}).get("status"),
        },
        "publisher": prov.get("publisher") if isinstance(prov, Mapping) else None,
        "record_provenance": dict(prov) if isinstance(prov, Mapping) else None,
        "claim_lineage": _claim_lineage(manifest),
        "generator": {"name": GENERATOR, "version": __version__},
        "repositories": repositories,
        "runtime": {
            "python": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "platform": f"{sys.platform}-{platform.machine()}",
            "lean": lean_version,
        },
        "inputs": input_entries,
        "outputs": output_entries,
        "times": {"generated": _utc(now), "record_submitted": manifest.get("submitted")},
    }
    require_valid(predicate, CONTRACT, where="source provenance")
    return predicate


def _utc(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_provenance_statement(predicate: Mapping[str, Any]) -> dict[str, Any]:
    """An in-toto Statement whose subjects are the outputs (or the inputs when there are none)."""
    files = predicate["outputs"] or predicate["inputs"]
    return make_statement([(f["name"], f["sha256"]) for f in files], PREDICATE_TYPE, predicate)


def sign_source_provenance(predicate: Mapping[str, Any], keys: Sequence[SigningKey]) -> dict[str, Any]:
    """The DSSE envelope of :func:`source_provenance_statement`."""
    return sign_statement(source_provenance_statement(predicate), keys)

