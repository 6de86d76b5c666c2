"""The route table: each path pattern, the methods it answers, and the endpoint that serves it.

A path that matches with a method not listed answers 405 (404 where Zenodo does:
the public records and vocabularies); a path that matches nothing answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from archive.zenodo.standin.actions import ActionEndpoints
from archive.zenodo.standin.buckets import BucketEndpoints
from archive.zenodo.standin.control import ControlEndpoints
from archive.zenodo.standin.deposition_files import DepositionFileEndpoints
from archive.zenodo.standin.depositions import DepositionEndpoints
from archive.zenodo.standin.records import RecordEndpoints

_DEP = r"/api/deposit/depositions"
_BUCKET = r"/api/files/([0-9a-f-]{36})"


@dataclass(frozen=True)
class Route:
    """``pattern`` (matched whole) -> ``{method: endpoint name}``; groups become its arguments."""

    pattern: re.Pattern[str]
    methods: dict[str, str]
    other_method_status: int = 405


def _route(pattern: str, other_method_status: int = 405, **methods: str) -> Route:
    return Route(re.compile(pattern), methods, other_method_status)


ROUTES: tuple[Route, ...] = (
    _route(_DEP, GET="_list", POST="_create"),
    _route(_DEP + r"/(\d+)", GET="_get", PUT="_put", DELETE="_delete"),
    _route(_DEP + r"/(\d+)/files", GET="_files_list", POST="_files_post"),
    _route(_DEP + r"/(\d+)/files/([^/]+)", GET="_file_get", DELETE="_file_delete"),
    _route(_DEP + r"/(\d+)/actions/publish", POST="_action_publish"),
    _route(_DEP + r"/(\d+)/actions/edit", POST="_action_edit"),
    _route(_DEP + r"/(\d+)/actions/discard", POST="_action_discard"),
    _route(_DEP + r"/(\d+)/actions/newversion", POST="_action_newversion"),
    _route(_BUCKET, GET="_bucket_list"),
    _route(_BUCKET + r"/([^/]+)", PUT="_bucket_put", GET="_bucket_get", DELETE="_bucket_delete"),
    _route(r"/api/records/(\d+)", 404, GET="_record"),
    _route(r"/api/records/(\d+)/versions/latest", 404, GET="_record_latest"),
    _route(r"/api/records/(\d+)/files/([^/]+)/content", 404, GET="_record_file_public"),
    _route(r"/api/records/(\d+)/draft/files/([^/]+)/content", 404, GET="_record_file_draft"),
    _route(r"/api/licenses", 404, GET="_licenses"),
    _route(r"/api/vocabularies/licenses", 404, GET="_licenses"),
)


class Handler(DepositionEndpoints, DepositionFileEndpoints, ActionEndpoints, BucketEndpoints, RecordEndpoints,
              ControlEndpoints):
    """Every endpoint, dispatched through :data:`ROUTES`."""

    def _route(self, method: str) -> None:
        path = self._path.rstrip("/") or "/"
        for route in ROUTES:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            name = route.methods.get(method)
            if name is None:
                if route.other_method_status == 404:
                    break
                raise self._error(405, "Method not allowed.")
            endpoint: Callable[..., None] = getattr(self, name)
            return endpoint(*match.groups())
        raise self._error(404, "The requested URL was not found on the server.")
