"""Number tokens in normalised text, and when a token is a given value "as written".

A number token (rule ``tokens-1``, :data:`TOKEN_RULE`) in text normalised by
:func:`provenance.sources.normalise.normalise`:

* body: ASCII digits with optional "," thousands grouping (``1,234,567``: one
  to three digits, then groups of exactly three), then an optional fraction
  ``.digits``; or a bare fraction ``.5``;
* sign: a "-" or "+" directly before the body is its sign unless the
  character before it is a letter, digit, "_", ".", "-" or "+";
* left edge: the token (sign or body) does not follow a letter, digit, "_" or
  "." (``v8.2`` and ``1.8.2`` hold no token), nor a digit and a comma
  (``8,2`` is a decimal comma, not the numbers 8 and 2), nor a letter and a
  "-" or "+" (``GPT-4``, ``top-5``: hyphenated words);
* right edge: the body is not followed by a digit (any Unicode decimal digit)
  or "_", nor by "." or "," and an ASCII digit (``8.2.1``, ``8,25``), nor by
  letters that run into a digit or "_" (``1e5``, ``3x4``); letters alone may
  follow (``12ms``, ``3.5x``, ``3rd``), and so may "%", ")" or any other sign.

A letter is a character that is alphanumeric but not a decimal digit
(``str.isalnum() and not str.isdecimal()``); a word character is a letter, a
decimal digit or "_".

So ``8.2`` is a token in "8.2%", "(8.2)", "-8.2" (as -8.2) and "5-8.2" (as
8.2, a range), and not in "18.25", "8.25", "v8.2" or "8.2.1".

A token's *plain* form is its text without a "+" sign and without grouping
commas, with a "0" before a bare point: ``+1,234.50`` is ``1234.50``,
``-.5`` is ``-0.5``. A token is a value *as written* when its plain form is the
decimal string itself: ``8.20`` is not ``8.2`` (a source that wrote 8.20 is
cited with ``as_written: "8.20"``), ``1,234`` is ``1234``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from provenance.decimal_text import is_decimal, parse_decimal

TOKEN_RULE = "tokens-1"
"""Version of the token rule above."""

_TOKEN = re.compile(
    r"""
    (?=[-+.0-9])
    (?P<sign>(?<![\w.+\-])[-+])?
    (?(sign)|(?<![\w.])(?<![0-9],)(?<![^\W\d_][-+]))
    (?P<body>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)
    (?![\d_])(?![.,][0-9])(?![^\W\d_]+[\d_])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class NumberToken:
    """One number token: its text as it stands, its plain form, and its ``[start, end)`` in the text."""

    text: str
    plain: str
    start: int
    end: int


def plain_form(sign: str, body: str) -> str:
    """The plain form of a token given its sign ("", "-" or "+") and body (see the module docstring)."""
    body = body.replace(",", "")
    if body.startswith("."):
        body = "0" + body
    return "-" + body if sign == "-" else body


def iter_tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[NumberToken]:
    """Every number token of normalised ``text`` that starts in ``[start, end)``, in order.

    The characters around ``[start, end)`` still decide the edges, so a slice
    never turns ``18.25`` into ``8.2``.
    """
    stop = len(text) if end is None else end
    for match in _TOKEN.finditer(text, start):
        if match.start() >= stop:
            return
        sign = match.group("sign") or ""
        yield NumberToken(match.group(0), plain_form(sign, match.group("body")), match.start(), match.end())


def tokens(text: str) -> list[NumberToken]:
    """Every number token of normalised ``text``, in order."""
    return list(iter_tokens(text))


def occurrences(text: str, plain: str, start: int = 0, end: int | None = None) -> list[NumberToken]:
    """The tokens lying wholly inside ``[start, end)`` of normalised ``text`` whose plain form is ``plain``."""
    stop = len(text) if end is None else end
    significant = plain.lstrip("-0.")
    if significant and text.find(significant[0], start, stop) < 0:
        return []  # cheap pre-filter: its first significant digit is not even there
    return [t for t in iter_tokens(text, start, stop) if t.end <= stop and t.plain == plain]


def magnitude(plain: str) -> str:
    """``plain`` without its minus sign (the value as a claim states a fall: "falls by 3.2")."""
    return plain.removeprefix("-")


def as_written_problem(value: str, as_written: object) -> str | None:
    """Why ``as_written`` cannot stand for ``value`` (not a decimal string, or another number), or ``None``."""
    if not is_decimal(as_written):
        return "as_written must be a decimal string, the value as the source writes it (e.g. \"8.20\")"
    assert isinstance(as_written, str)
    if parse_decimal(as_written) != parse_decimal(value):
        return f"as_written {as_written} is not the value {value} (only trailing or leading zeros may differ)"
    return None
