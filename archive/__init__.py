"""Generic archival I/O: BagIt, RO-Crate, Zenodo client, Zenodo stand-in, local archive.

This package never imports :mod:`provenance`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
