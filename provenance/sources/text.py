"""Text sources (plain text, Markdown, LaTeX, HTML) as numbered lines of text.

The file is UTF-8 (a BOM is skipped). Lines are the file's own lines (split at
``\\n``, ``\\r\\n`` or ``\\r``), so ``{"line": N}`` is the line an editor shows:

* plain text and Markdown: the lines as they are;
* LaTeX: each line without its comment (from an unescaped ``%``); control
  words (``\\textbf``, ``\\pm``) and spacing symbols (``\\,``, ``~``, ``\\\\``)
  become a space, escaped signs (``\\%``, ``\\$``, ``\\&``, ``\\#``, ``\\_``)
  their sign, and ``{,}`` a comma;
* HTML: the text content (entities decoded; ``script``, ``style`` and comments
  dropped), each piece on the source line where it starts; tags other than
  inline phrasing tags (``b``, ``i``, ``em``, ``span``, ``a`` ...) separate text
  by a space, so ``<td>8.2</td><td>7.5</td>`` reads "8.2 7.5".

A line is normalised on its own; a quote is looked for in the normalised text
of the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Set
from html.parser import HTMLParser
from typing import Literal

from provenance.sources.document import Form, Hit, Miss, Place, resolve_quote, wrong_shape
from provenance.sources.errors import SourceUnreadable
from provenance.sources.locator import LineLocator, Locator, QuoteLocator
from provenance.sources.normalise import normalise
from provenance.sources.numbers import iter_tokens

MAX_LINES = 4_000_000
"""Most lines a text source may have."""

TextForm = Literal["text", "markdown", "latex", "html"]

_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def decode_utf8(data: bytes, *, where: str) -> str:
    """``data`` as UTF-8 text without a BOM; :class:`SourceUnreadable` when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceUnreadable(
            f"not UTF-8 text (byte {exc.start})", where=where, remedy="convert the source to UTF-8 and cite the converted file"
        ) from None


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as an editor numbers them (a final line break ends the last line)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return lines


_LATEX_COMMENT = re.compile(r"^((?:[^\\%]|\\.)*)%.*$", re.DOTALL)
_LATEX_ESCAPED = re.compile(r"\\([%$&#_{}])")
_LATEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|.)|~")


def latex_line(line: str) -> str:
    """One LaTeX source line as text (see the module docstring)."""
    match = _LATEX_COMMENT.match(line)
    if match:
        line = match.group(1)
    line = line.replace("{,}", ",")
    parts = _LATEX_ESCAPED.split(line)
    # split() alternates text and the escaped sign; commands are replaced in the text parts only
    return "".join(part if index % 2 else _LATEX_COMMAND.sub(" ", part) for index, part in enumerate(parts))


_PHRASING = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd mark q s samp small span strike strong time tt u var".split()
)
_HIDDEN = frozenset({"script", "style", "template", "noscript"})


class _HtmlText(HTMLParser):
    def __init__(self, line_count: int) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[] for _ in range(line_count)]
        self.hidden = 0

    def _put(self, text: str) -> None:
        line, _ = self.getpos()
        for offset, piece in enumerate(text.split("\n")):
            index = min(line - 1 + offset, len(self.lines) - 1)
            self.lines[index].append(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag not in _PHRASING:
            self._put(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag not in _PHRASING:
            self._put(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._put(data)


def html_lines(text: str) -> list[str]:
    """The text content of an HTML document, by source line (see the module docstring)."""
    count = len(split_lines(text))
    parser = _HtmlText(max(count, 1))
    parser.feed(text.replace("\r\n", "\n").replace("\r", "\n"))
    parser.close()
    return ["".join(pieces) for pieces in parser.lines]


class TextDocument:
    """A text source as numbered lines; the normalised whole text is built on first need."""

    def __init__(self, data: bytes, form: TextForm, *, where: str) -> None:
        self.form: Form = form
        self.extractor: str | None = None
        text = decode_utf8(data, where=where)
        lines = split_lines(text)
        if len(lines) > MAX_LINES:
            raise SourceUnreadable(f"over {MAX_LINES} lines", where=where, remedy="cite a smaller file")
        if form == "latex":
            lines = [latex_line(line) for line in lines]
        elif form == "html":
            lines = html_lines(text)
        self.lines = lines
        self._whole: str | None = None

    def whole(self) -> str:
        """The normalised text of the whole file."""
        if self._whole is None:
            self._whole = normalise("\n".join(self.lines))
        return self._whole

    def resolve(self, locator: Locator) -> Place | Miss:
        """The line or the quote ``locator`` names."""
        if isinstance(locator, LineLocator):
            if locator.line > len(self.lines):
                return Miss("not found", f"line {locator.line} is past the end (the file has {len(self.lines)} lines)")
            text = normalise(self.lines[locator.line - 1])
            return Place(text, 0, len(text), {"line": locator.line}, f"line {locator.line}")
        if isinstance(locator, QuoteLocator) and locator.page is None:
            return resolve_quote(self.whole(), locator.quote, "in the file", {})
        return wrong_shape(locator, self.form)

    def find(self, wanted: Set[str]) -> Iterator[Hit]:
        """Every line holding a wanted value as a number token; the locator names the line."""
        for number, line in enumerate(self.lines, start=1):
            if not any(c.isdigit() for c in line):
                continue
            text = normalise(line)
            plains = [t.plain for t in iter_tokens(text) if t.plain in wanted]
            if plains:
                place = Place(text, 0, len(text), {"line": number}, f"line {number}")
                for plain in dict.fromkeys(plains):
                    yield Hit(plain, LineLocator(number), place)
