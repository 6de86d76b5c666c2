"""provenance-archive: make research claims checkable and their records trustworthy."""

__all__ = ["__version__"]
__version__ = "0.1.0"
GENERATOR = "provenance-archive"
