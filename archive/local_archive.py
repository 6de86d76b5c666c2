"""The embedded local archive: a directory with an SQLite index, with Zenodo's life cycle.

Layout under ``root``::

    index.sqlite            depositions, concepts, files, registry (WAL, synchronous=FULL)
    objects/<id>/<key>      the files of deposition <id> (read-only once published)
    tmp/                    uploads in progress

Drafts are created, filled, published (minting ``10.5072/local.<id>``; the
first version also mints the concept ``10.5072/local.<concept>``; ids come
from one sequence so they never collide) and versioned. 10.5072 is the
DataCite test prefix: it never resolves and is never mistaken for a real DOI.
Every change is one ``BEGIN IMMEDIATE`` transaction and files are renamed
into place after an fsync, so two processes can deposit at once and a crash
leaves either the old state or the new one.

It implements :class:`archive.depositor.Repository` and ``Registry``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from archive.atomic import atomic_writer, fsync_dir
from archive.depositor import Progress, RemoteDeposit, StoredFile
from archive.errors import ArchiveError, ArchiveInputError
from archive.journal import utc_now
from archive.jsontext import loads
from archive.zenodo.vocabulary import check_file_key, check_publishable, check_shapes

DOI_PREFIX = "10.5072"
CHUNK = 1024 * 1024
SCHEMA = """
CREATE TABLE IF NOT EXISTS seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS concepts (
    id INTEGER PRIMARY KEY, doi TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deposits (
    id INTEGER PRIMARY KEY, concept_id INTEGER NOT NULL REFERENCES concepts(id),
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')), doi TEXT UNIQUE,
    metadata TEXT NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL, published TEXT);
CREATE TABLE IF NOT EXISTS files (
    deposit_id INTEGER NOT NULL REFERENCES deposits(id), key TEXT NOT NULL, file_id TEXT NOT NULL,
    size INTEGER NOT NULL, md5 TEXT NOT NULL, sha256 TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (deposit_id, key));
CREATE TABLE IF NOT EXISTS registry (
    target TEXT NOT NULL, record_id TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (target, record_id));
"""


class LocalArchiveError(ArchiveError):
    """The local archive refused an operation (wrong state, damaged file)."""


class LocalNotFound(ArchiveInputError):
    """No such deposition, DOI or file in the local archive."""


def default_archive_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/provenance/archive`` (default ``$HOME/.local/share/provenance/archive``).

    ``env`` is the environment the caller resolved (the library reads none itself); without
    ``HOME`` the user's home directory comes from the password database.
    """
    home = env.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    base = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return Path(base) / "provenance" / "archive"


class LocalArchive:
    """A local, versioned, DOI-minting archive in one directory."""

    def __init__(self, root: str | os.PathLike[str], *, doi_prefix: str = DOI_PREFIX) -> None:
        self.root = Path(root).absolute()  # record URLs are file: URIs, which must be absolute
        self.doi_prefix = doi_prefix
        try:
            (self.root / "objects").mkdir(parents=True, exist_ok=True)
            (self.root / "tmp").mkdir(exist_ok=True)
        except OSError as exc:
            raise ArchiveInputError(f"{self.root}: cannot create the local archive: {exc.strerror}",
                                    remedy="choose a writable --archive-dir") from None
        with self._read() as db:
            db.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"LocalArchive({str(self.root)!r})"

    # -- plumbing ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", timeout=60, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so writers queue, never deadlock."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    @staticmethod
    def _next_id(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM seq WHERE name = 'id'").fetchone()
        value = 1 if row is None else int(row["value"]) + 1
        db.execute("INSERT INTO seq (name, value) VALUES ('id', ?) ON CONFLICT(name) DO UPDATE SET value = ?",
                   (value, value))
        return value

    def doi_of(self, n: int | str) -> str:
        return f"{self.doi_prefix}/local.{n}"

    def _dir(self, deposit_id: int | str) -> Path:
        return self.root / "objects" / str(int(deposit_id))

    def _row(self, db: sqlite3.Connection, deposit_id: str) -> sqlite3.Row:
        try:
            n = int(deposit_id)
        except ValueError:
            raise LocalNotFound(f"no deposition {deposit_id!r}", remedy="give a number or a 10.5072/local.N DOI") from None
        row = db.execute("SELECT * FROM deposits WHERE id = ?", (n,)).fetchone()
        if row is None:
            raise LocalNotFound(f"no deposition {n} in {self.root}", remedy="list the archive to see its deposition ids")
        return row  # type: ignore[no-any-return]

    def _remote(self, db: sqlite3.Connection, row: sqlite3.Row) -> RemoteDeposit:
        concept = db.execute("SELECT doi FROM concepts WHERE id = ?", (row["concept_id"],)).fetchone()
        files = db.execute("SELECT key, size, md5, file_id FROM files WHERE deposit_id = ? ORDER BY key",
                           (row["id"],)).fetchall()
        published = row["state"] == "published"
        return RemoteDeposit(
            id=str(row["id"]),
            concept_id=str(row["concept_id"]),
            published=published,
            doi=row["doi"],
            concept_doi=concept["doi"] if concept is not None else None,
            record_url=self._dir(row["id"]).as_uri() if published else None,
            upload_target=None,
            files=tuple(StoredFile(f["key"], int(f["size"]), f["md5"], f["file_id"]) for f in files),
            metadata=loads(row["metadata"], what="a stored entry of the local archive"),
        )

    @staticmethod
    def _check_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
        problems = check_shapes(metadata)
        if problems:
            raise ArchiveInputError("metadata refused: " + "; ".join(f"{f}: {m}" for f, m in problems),
                                    remedy="fix those fields")
        return loads(json.dumps(dict(metadata)), what="the metadata")  # type: ignore[no-any-return]

    @staticmethod
    def _require_draft(row: sqlite3.Row) -> None:
        if row["state"] != "draft":
            raise LocalArchiveError(f"deposition {row['id']} is published; its files and metadata are frozen",
                                    remedy="make a new version")

    # -- Repository -------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "dir": str(self.root.resolve())}

    def create_draft(self, metadata: Mapping[str, Any]) -> RemoteDeposit:
        clean = self._check_metadata(metadata)
        now = utc_now()
        with self._tx() as db:
            concept = self._next_id(db)
            dep = self._next_id(db)
            db.execute("INSERT INTO concepts (id, doi, created) VALUES (?, NULL, ?)", (concept, now))
            db.execute("INSERT INTO deposits (id, concept_id, state, metadata, created, modified) "
                       "VALUES (?, ?, 'draft', ?, ?, ?)", (dep, concept, json.dumps(clean), now, now))
            return self._remote(db, self._row(db, str(dep)))

    def find_draft_by_marker(self, marker: str) -> RemoteDeposit | None:
        with self._read() as db:
            for row in db.execute("SELECT * FROM deposits WHERE state = 'draft' ORDER BY id").fetchall():
                keywords = loads(row["metadata"], what="a stored entry of the local archive").get("keywords") or []
                if marker in keywords:
                    return self._remote(db, row)
        return None

    def new_version(self, published_id: str, concept_id: str | None) -> RemoteDeposit:
        """The open draft of the concept, else a new one with the latest version's files and metadata."""
        now = utc_now()
        with self._tx() as db:
            base = self._row(db, published_id)
            if base["state"] != "published":
                raise LocalArchiveError(f"deposition {published_id} is not published", remedy="publish it first")
            draft = db.execute("SELECT * FROM deposits WHERE concept_id = ? AND state = 'draft' ORDER BY id",
                               (base["concept_id"],)).fetchone()
            if draft is not None:
                return self._remote(db, draft)
            latest = db.execute("SELECT * FROM deposits WHERE concept_id = ? AND state = 'published' "
                                "ORDER BY id DESC", (base["concept_id"],)).fetchone()
            metadata = loads(latest["metadata"], what="a stored entry of the local archive")
            metadata.pop("version", None)
            metadata.pop("doi", None)
            new_id = self._next_id(db)
            db.execute("INSERT INTO deposits (id, concept_id, state, metadata, created, modified) "
                       "VALUES (?, ?, 'draft', ?, ?, ?)", (new_id, base["concept_id"], json.dumps(metadata), now, now))
            src, dst = self._dir(latest["id"]), self._dir(new_id)
            dst.mkdir(parents=True, exist_ok=True)
            for f in db.execute("SELECT * FROM files WHERE deposit_id = ?", (latest["id"],)).fetchall():
                tmp = self.root / "tmp" / uuid.uuid4().hex
                shutil.copyfile(src / f["key"], tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dst / f["key"])
                db.execute("INSERT INTO files (deposit_id, key, file_id, size, md5, sha256, created) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (new_id, f["key"], uuid.uuid4().hex, f["size"], f["md5"], f["sha256"], now))
            return self._remote(db, self._row(db, str(new_id)))

    def get(self, deposit_id: str) -> RemoteDeposit:
        with self._read() as db:
            return self._remote(db, self._row(db, deposit_id))

    def upload(self, draft: RemoteDeposit, key: str, path: Path, progress: Progress | None,
               expected_md5: str | None = None) -> StoredFile:
        problem = check_file_key(key)
        if problem:
            raise ArchiveInputError(problem, remedy="rename the file")
        with self._read() as db:
            self._require_draft(self._row(db, draft.id))
        md5 = hashlib.md5(usedforsecurity=False)
        sha = hashlib.sha256()
        tmp = self.root / "tmp" / f"{uuid.uuid4().hex}.part"
        size = 0
        total = path.stat().st_size
        try:
            with path.open("rb") as src, tmp.open("wb") as dst:
                if progress is not None:
                    progress(0, total)
                while chunk := src.read(CHUNK):
                    md5.update(chunk)
                    sha.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                    if progress is not None:
                        progress(size, total)
                dst.flush()
                os.fsync(dst.fileno())
            if expected_md5 is not None and md5.hexdigest() != expected_md5.lower():
                raise LocalArchiveError(f"{path} has md5 {md5.hexdigest()}, expected {expected_md5}",
                                        remedy="the file changed since it was hashed; deposit again")
            target_dir = self._dir(draft.id)
            target_dir.mkdir(parents=True, exist_ok=True)
            with self._tx() as db:
                self._require_draft(self._row(db, draft.id))
                os.replace(tmp, target_dir / key)
                fsync_dir(target_dir)
                file_id = uuid.uuid4().hex
                db.execute("INSERT INTO files (deposit_id, key, file_id, size, md5, sha256, created) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(deposit_id, key) DO UPDATE SET "
                           "file_id = excluded.file_id, size = excluded.size, md5 = excluded.md5, "
                           "sha256 = excluded.sha256, created = excluded.created",
                           (int(draft.id), key, file_id, size, md5.hexdigest(), sha.hexdigest(), utc_now()))
                db.execute("UPDATE deposits SET modified = ? WHERE id = ?", (utc_now(), int(draft.id)))
        finally:
            tmp.unlink(missing_ok=True)
        return StoredFile(key, size, md5.hexdigest(), file_id)

    def delete_file(self, deposit_id: str, stored: StoredFile) -> None:
        with self._tx() as db:
            self._require_draft(self._row(db, deposit_id))
            db.execute("DELETE FROM files WHERE deposit_id = ? AND key = ?", (int(deposit_id), stored.key))
            (self._dir(deposit_id) / stored.key).unlink(missing_ok=True)

    def set_metadata(self, deposit_id: str, metadata: Mapping[str, Any]) -> RemoteDeposit:
        clean = self._check_metadata(metadata)
        with self._tx() as db:
            self._require_draft(self._row(db, deposit_id))
            db.execute("UPDATE deposits SET metadata = ?, modified = ? WHERE id = ?",
                       (json.dumps(clean), utc_now(), int(deposit_id)))
            return self._remote(db, self._row(db, deposit_id))

    def publish(self, deposit_id: str) -> RemoteDeposit:
        """Mint the DOIs and freeze the files; publishing a published deposition returns it unchanged."""
        with self._tx() as db:
            row = self._row(db, deposit_id)
            if row["state"] == "published":
                return self._remote(db, row)
            dep = self._remote(db, row)
            problems = check_publishable(dep.metadata)
            if not dep.files:
                problems.append(("files", "a deposition needs at least one file"))
            for f in dep.files:
                path = self._dir(deposit_id) / f.key
                if not path.is_file() or path.stat().st_size != f.size:
                    problems.append((f"files.{f.key}", "missing or damaged on disk"))
            if problems:
                raise ArchiveInputError("cannot publish: " + "; ".join(f"{k}: {m}" for k, m in problems),
                                        remedy="fix the draft and publish again")
            now = utc_now()
            db.execute("UPDATE deposits SET state = 'published', doi = ?, published = ?, modified = ? WHERE id = ?",
                       (self.doi_of(row["id"]), now, now, row["id"]))
            db.execute("UPDATE concepts SET doi = ? WHERE id = ? AND doi IS NULL",
                       (self.doi_of(row["concept_id"]), row["concept_id"]))
            for f in dep.files:
                os.chmod(self._dir(deposit_id) / f.key, 0o444)
            return self._remote(db, self._row(db, deposit_id))

    def discard(self, deposit_id: str) -> None:
        with self._tx() as db:
            row = self._row(db, deposit_id)
            self._require_draft(row)
            db.execute("DELETE FROM files WHERE deposit_id = ?", (row["id"],))
            db.execute("DELETE FROM deposits WHERE id = ?", (row["id"],))
            other = db.execute("SELECT 1 FROM deposits WHERE concept_id = ?", (row["concept_id"],)).fetchone()
            if other is None:
                db.execute("DELETE FROM concepts WHERE id = ?", (row["concept_id"],))
            shutil.rmtree(self._dir(row["id"]), ignore_errors=True)

    # -- Registry ---------------------------------------------------------------

    def lookup(self, target: str, record_id: str) -> dict[str, Any] | None:
        with self._read() as db:
            row = db.execute("SELECT entry FROM registry WHERE target = ? AND record_id = ?",
                             (target, record_id)).fetchone()
        return None if row is None else dict(loads(row["entry"], what="a stored entry of the local archive"))

    def record(self, target: str, record_id: str, version: Mapping[str, Any]) -> None:
        with self._tx() as db:
            row = db.execute("SELECT entry FROM registry WHERE target = ? AND record_id = ?",
                             (target, record_id)).fetchone()
            entry: dict[str, Any] = loads(row["entry"], what="a stored entry of the local archive") if row else {"target": target, "record_id": record_id, "versions": []}
            versions = [v for v in entry.get("versions", []) if v.get("deposition_id") != version.get("deposition_id")]
            versions.append(dict(version))
            entry.update({k: version.get(k) for k in ("deposition_id", "doi", "concept_id", "concept_doi",
                                                       "record_url", "bundle_id")})
            entry["versions"] = versions
            db.execute("INSERT INTO registry (target, record_id, entry) VALUES (?, ?, ?) "
                       "ON CONFLICT(target, record_id) DO UPDATE SET entry = excluded.entry",
                       (target, record_id, json.dumps(entry)))

    # -- browsing ---------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """A deposition id from ``N``, ``10.5072/local.N`` or a concept DOI (its latest version)."""
        text = ref.strip()
        for prefix in ("https://doi.org/", "doi:"):
            if text.lower().startswith(prefix):
                text = text[len(prefix):]
        if text.startswith(f"{self.doi_prefix}/local."):
            text = text.rsplit(".", 1)[1]
        if not text.isdigit():
            raise LocalNotFound(f"{ref!r} is not a local id or DOI", remedy="give N or 10.5072/local.N")
        with self._read() as db:
            n = int(text)
            if db.execute("SELECT 1 FROM deposits WHERE id = ?", (n,)).fetchone():
                return str(n)
            latest = db.execute("SELECT id FROM deposits WHERE concept_id = ? AND state = 'published' "
                                "ORDER BY id DESC", (n,)).fetchone()
            if latest is not None:
                return str(latest["id"])
        raise LocalNotFound(f"no deposition or concept {ref!r} in {self.root}", remedy="list the archive to see its deposition ids")

    def list_deposits(self) -> list[dict[str, Any]]:
        """Every deposition, newest first, as plain JSON."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM deposits ORDER BY id DESC").fetchall()
            return [self._summary(db, row) for row in rows]

    def _summary(self, db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        dep = self._remote(db, row)
        versions = db.execute("SELECT id FROM deposits WHERE concept_id = ? AND state = 'published' ORDER BY id",
                              (row["concept_id"],)).fetchall()
        return {
            "id": dep.id, "state": row["state"], "doi": dep.doi, "concept_id": dep.concept_id,
            "concept_doi": dep.concept_doi, "title": dep.metadata.get("title"),
            "version": dep.metadata.get("version"), "created": row["created"], "published": row["published"],
            "record_url": dep.record_url, "versions": [str(v["id"]) for v in versions],
            "files": [{"key": f.key, "size": f.size, "md5": f.md5} for f in dep.files],
        }

    def show(self, ref: str) -> dict[str, Any]:
        """One deposition with its metadata, files (with sha256) and sibling versions."""
        dep_id = self.resolve(ref)
        with self._read() as db:
            row = self._row(db, dep_id)
            out = self._summary(db, row)
            out["metadata"] = loads(row["metadata"], what="a stored entry of the local archive")
            out["files"] = [dict(f) for f in db.execute(
                "SELECT key, size, md5, sha256 FROM files WHERE deposit_id = ? ORDER BY key", (row["id"],)).fetchall()]
        return out

    def fetch(self, ref: str, dest: str | os.PathLike[str], *, key: str | None = None) -> dict[str, Any]:
        """Copy a file of a deposition to ``dest`` (atomically), verifying its MD5 and sha256 on the way.

        ``key`` defaults to the deposition's only ``.zip`` file.
        """
        dep_id = self.resolve(ref)
        info = self.show(dep_id)
        files = {f["key"]: f for f in info["files"]}
        if key is None:
            zips = [k for k in files if k.endswith(".zip")]
            if len(zips) != 1:
                raise ArchiveInputError(f"deposition {dep_id} holds {sorted(files)}", remedy="name the file with --key")
            key = zips[0]
        if key not in files:
            raise LocalNotFound(f"deposition {dep_id} has no file {key!r}", remedy=f"choose one of {sorted(files)}")
        want = files[key]
        md5 = hashlib.md5(usedforsecurity=False)
        sha = hashlib.sha256()
        source = self._dir(dep_id) / key
        target = Path(dest)
        if target.is_dir():
            target = target / key
        with source.open("rb") as src, atomic_writer(target, 0o644) as out:
            while chunk := src.read(CHUNK):
                md5.update(chunk)
                sha.update(chunk)
                out.write(chunk)
            if md5.hexdigest() != want["md5"] or sha.hexdigest() != want["sha256"]:
                raise LocalArchiveError(f"the archived copy of {key} in deposition {dep_id} is damaged "
                                        f"(sha256 {sha.hexdigest()}, index says {want['sha256']})",
                                        remedy="restore the archive directory from a backup")
        return {"deposition_id": dep_id, "doi": info["doi"], "key": key, "path": str(target),
                "size": want["size"], "md5": want["md5"], "sha256": want["sha256"]}

