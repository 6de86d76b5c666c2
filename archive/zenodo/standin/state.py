"""The stand-in's model (concepts, depositions, buckets, files, faults), persisted in ``state.json``."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from archive.atomic import atomic_write_bytes
from archive.jsontext import loads
from archive.zenodo.standin.config import StandinConfig


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class StandinState:
    """The model: concepts, depositions, buckets, files, faults. Every method runs under ``lock``."""

    def __init__(self, data_dir: Path, config: StandinConfig) -> None:
        self.data_dir = data_dir
        self.config = config
        self.lock = threading.RLock()
        self.faults: list[dict[str, Any]] = []
        self.fault_log: list[dict[str, Any]] = []
        self.rate: dict[str, tuple[int, int]] = {}
        self.request_log: list[dict[str, Any]] = []
        (data_dir / "buckets").mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "state.json"
        if self.path.exists():
            saved = loads(self.path.read_bytes(), what=f"the stand-in state {self.path}")
            self.model: dict[str, Any] = saved["model"]
            self.faults = saved.get("faults", [])
        else:
            self.model = self._empty()

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"next_id": 1, "today": None, "depositions": {}, "concepts": {}, "buckets": {}}

    def save(self) -> None:
        blob = json.dumps({"model": self.model, "faults": self.faults}, sort_keys=True).encode()
        atomic_write_bytes(self.path, blob, 0o600)

    def reset(self) -> None:
        shutil.rmtree(self.data_dir / "buckets", ignore_errors=True)
        (self.data_dir / "buckets").mkdir(parents=True, exist_ok=True)
        self.model = self._empty()
        self.faults = []
        self.fault_log = []
        self.rate = {}
        self.request_log = []
        self.save()

    def today(self) -> str:
        return str(self.model.get("today") or date.today().isoformat())

    def allocate(self) -> int:
        value = int(self.model["next_id"])
        self.model["next_id"] = value + 1
        return value

    def bucket_dir(self, bucket: str) -> Path:
        return self.data_dir / "buckets" / bucket


def is_draft(dep: Mapping[str, Any]) -> bool:
    """An open draft: never published, or published with an edit open."""
    return not dep["published"] or bool(dep.get("edit_open"))


def files_editable(dep: Mapping[str, Any]) -> bool:
    return not dep["published"]


def state_name(dep: Mapping[str, Any]) -> str:
    if not dep["published"]:
        return "unsubmitted"
    return "inprogress" if dep.get("edit_open") else "done"
