"""Zenodo legacy deposit API: a crash-aware client and a faithful loopback stand-in server.

Facts come from ``reference/zenodo-api.md``: build against the API as it
actually behaves (newversion returns the new draft, discard returns 204,
checksums are bare hex or ``md5:``-prefixed, errors carry a ``messages`` list).

The modules: :mod:`~archive.zenodo.client` (the client), :mod:`~archive.zenodo.errors`
(its typed errors), :mod:`~archive.zenodo.retry` (when to retry and how long to wait),
:mod:`~archive.zenodo.vocabulary` (metadata rules), :mod:`~archive.zenodo.repository`
(the client as a deposit repository) and :mod:`~archive.zenodo.standin` (the server).
"""

from archive.zenodo.client import ZenodoClient

__all__ = ["ZenodoClient"]
