"""Zenodo legacy deposit API: a crash-aware client and a faithful loopback stand-in server.

Facts come from ``reference/zenodo-api.md``: build against the API as it
actually behaves (newversion returns the new draft, discard returns 204,
checksums are bare hex or ``md5:``-prefixed, errors carry a ``messages`` list).
"""

from archive.zenodo.client import ZenodoClient
from archive.zenodo.errors import (
    ZenodoAuthError,
    ZenodoChecksumMismatch,
    ZenodoError,
    ZenodoFieldError,
    ZenodoMetadataMismatch,
    ZenodoNotFound,
    ZenodoRateLimited,
    ZenodoServerError,
    ZenodoTransportError,
    ZenodoValidationError,
)

__all__ = [
    "ZenodoAuthError",
    "ZenodoChecksumMismatch",
    "ZenodoClient",
    "ZenodoError",
    "ZenodoFieldError",
    "ZenodoMetadataMismatch",
    "ZenodoNotFound",
    "ZenodoRateLimited",
    "ZenodoServerError",
    "ZenodoTransportError",
    "ZenodoValidationError",
]
