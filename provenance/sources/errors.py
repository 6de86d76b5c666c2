"""Typed errors of source grounding (part of the :mod:`provenance.errors` hierarchy)."""

from __future__ import annotations

from provenance.errors import InputError


class SourceError(InputError):
    """A source file or a locator in it cannot be used."""


class LocatorError(SourceError):
    """A ``source.locator`` object is not one of the structured shapes."""


class SourceUnreadable(SourceError):
    """A source file cannot be read as its form: undecodable, malformed, or over a size, count or time bound."""
