"""The Zenodo client as a :class:`archive.depositor.Repository`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive.depositor import Progress, RemoteDeposit, StoredFile
from archive.zenodo.client import Deposition, ZenodoClient
from archive.zenodo.errors import ZenodoError


def to_remote(dep: Deposition) -> RemoteDeposit:
    return RemoteDeposit(
        id=str(dep.id),
        concept_id=dep.conceptrecid,
        published=dep.published,
        doi=dep.doi,
        concept_doi=dep.conceptdoi,
        record_url=dep.record_url if dep.published else None,
        upload_target=dep.bucket_url,
        files=tuple(dep.files),
        metadata=dict(dep.metadata),
    )


class ZenodoRepository:
    """Zenodo (or the stand-in) behind the repository-neutral interface."""

    def __init__(self, client: ZenodoClient, *, kind: str = "zenodo") -> None:
        self.client = client
        self.kind = kind

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.client.base_url}

    def create_draft(self, metadata: Mapping[str, Any]) -> RemoteDeposit:
        return to_remote(self.client.create_deposition(metadata))

    def find_draft_by_marker(self, marker: str) -> RemoteDeposit | None:
        dep = self.client.find_by_marker(marker)
        return None if dep is None else to_remote(dep)

    def new_version(self, published_id: str, concept_id: str | None) -> RemoteDeposit:
        return to_remote(self.client.new_version(int(published_id), concept_id))

    def get(self, deposit_id: str) -> RemoteDeposit:
        return to_remote(self.client.get_deposition(int(deposit_id)))

    def upload(self, draft: RemoteDeposit, key: str, path: Path, progress: Progress | None,
               expected_md5: str | None = None) -> StoredFile:
        bucket = draft.upload_target or self.client.get_deposition(int(draft.id)).bucket_url
        if not bucket:
            raise ZenodoError("the draft has no bucket link", operation=f"upload {key}",
                              remedy="the deposition is not an open draft; resume the deposit")
        return self.client.upload(bucket, key, path, progress=progress, expected_md5=expected_md5)

    def delete_file(self, deposit_id: str, stored: StoredFile) -> None:
        self.client.delete_file(int(deposit_id), stored.file_id)

    def set_metadata(self, deposit_id: str, metadata: Mapping[str, Any]) -> RemoteDeposit:
        return to_remote(self.client.update_metadata(int(deposit_id), metadata))

    def publish(self, deposit_id: str) -> RemoteDeposit:
        dep = self.client.publish(int(deposit_id))
        if not (dep.submitted and dep.doi):
            dep = self.client.wait_published(int(deposit_id), dep)
        return to_remote(dep)

    def discard(self, deposit_id: str) -> None:
        self.client.discard(int(deposit_id))
