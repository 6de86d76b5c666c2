"""The Lean modes a command accepts (auto, off, require): a name the CLI needs before any checking starts."""

from __future__ import annotations

from typing import Literal

from provenance.errors import InputError

LeanMode = Literal["auto", "off", "require"]
LEAN_MODES: tuple[LeanMode, ...] = ("auto", "off", "require")


def parse_lean_mode(text: str) -> LeanMode:
    """``text`` as a Lean mode; :class:`InputError` for anything but auto, off or require."""
    for mode in LEAN_MODES:
        if text == mode:
            return mode
    raise InputError(f"unknown Lean mode {text!r}", remedy="use auto, off or require")
