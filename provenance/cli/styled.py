"""Lines for people as styled pieces, printed on stdout through rich, or without it where rich prints them verbatim.

A line is a sequence of :data:`Piece`: literal text and the rich style it shows in (None: unstyled).
Through rich, a line is the markup ``[style]escaped text[/style]`` printed by the shared console
(``soft_wrap``, no highlighting). Where stdout is not a terminal (rich's own test: not a tty, and
``FORCE_COLOR`` unset), rich drops the styles and prints the text as it is, unless the text holds
something rich changes (an emoji code such as ``:x:``, a control character, a tab, a backslash or a
bracket of its markup, trailing space) or the stream cannot encode it. :func:`print_lines` writes
such lines itself, the same bytes rich would write, and loads rich only for the others: importing
rich costs a short command (a verify piped to a file) a third of its start-up.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

Piece = tuple[str, str | None]
"""Literal text, and the rich style it is shown in (None: unstyled)."""

_MAYBE_EMOJI = re.compile(r":[^\s:]*:")
"""Every emoji code rich replaces (``:name:``, ``:name-emoji:``) contains a match; so do some that are not codes."""


def markup(line: Sequence[Piece]) -> str:
    """The rich markup of ``line``: each text escaped, each styled piece in its tags."""
    from rich.markup import escape

    return "".join(f"[{style}]{escape(text)}[/{style}]" if style else escape(text) for text, style in line)


def verbatim(lines: Sequence[Sequence[Piece]]) -> str | None:
    """What rich prints for ``lines`` on a stream that is not a terminal, when that is their bare text and a
    newline each; None when rich might change any of it (see the module docstring)."""
    out = []
    for line in lines:
        text = "".join(piece for piece, _ in line)
        if (not text.isprintable() or "[" in text or "\\" in text or text.endswith(" ")
                or _MAYBE_EMOJI.search(text)):
            return None
        out.append(text + "\n")
    return "".join(out)


def is_terminal(stream: TextIO) -> bool:
    """rich's ``Console.is_terminal`` for a console on ``stream``, without importing rich."""
    if "FORCE_COLOR" in os.environ:
        return True
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def print_lines(lines: Sequence[Sequence[Piece]]) -> None:
    """Print ``lines`` on stdout exactly as the shared rich console prints their :func:`markup`."""
    text = None if is_terminal(sys.stdout) else verbatim(lines)
    if text is not None:
        try:
            text.encode(sys.stdout.encoding or "utf-8")
        except (LookupError, UnicodeEncodeError):  # rich's own write reports this one
            text = None
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from provenance.cli import output

    for line in lines:
        output.console.print(markup(line))
