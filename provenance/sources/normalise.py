"""The one text normalisation rule, applied identically when a check is written and when it is verified.

Rule ``text-1`` (:data:`NORMALISATION`), in this order:

1. the invisible format characters U+00AD (soft hyphen), U+200B-U+200D
   (zero-width space and joiners), U+2060 (word joiner) and U+FEFF (BOM) are removed;
2. Unicode NFKC (so "ﬁ" is "fi", a no-break or thin space is a space, a
   fullwidth digit is an ASCII digit, and a superscript 2 is a plain 2);
3. every dash that can stand for a minus sign, U+2010 (hyphen), U+2012
   (figure dash), U+2013 (en dash) and U+2212 (minus sign), becomes ASCII "-";
4. a line-end hyphenation is joined: a "-" right after a letter, then
   optional spaces or tabs, a line break, optional whitespace and a letter,
   loses the hyphen and the whitespace ("signifi-\\ncant" is "significant");
5. every run of whitespace (characters for which ``str.isspace`` is true,
   line breaks included) becomes one space, and the ends are stripped;
6. NFKC once more (step 4 can bring a letter next to a combining mark), so
   that applying the rule twice changes nothing.

Line locators (``{"line": N}``) normalise the one line alone, so step 4 never
crosses the line the locator names; quotes and PDF pages normalise the whole text.
"""

from __future__ import annotations

import re
import unicodedata

NORMALISATION = "text-1"
"""Version of the rule above, recorded in every grounding record."""

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2012\u2013\u2212", "-"))
_HYPHENATION = re.compile(r"(?<=[^\W\d_])-[ \t]*(?:\r\n|\n|\r|\x0b|\x0c|\x1c|\x1d|\x1e|\x85|\u2028|\u2029)\s*(?=[^\W\d_])")


def normalise(text: str) -> str:
    """``text`` under rule :data:`NORMALISATION` (see the module docstring). Idempotent."""
    if text.isascii():
        if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text  # only single inner spaces and no line breaks: nothing to do
        if "-" in text:
            text = _HYPHENATION.sub("", text)
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_DASHES)
    text = _HYPHENATION.sub("", text)
    return unicodedata.normalize("NFKC", " ".join(text.split()))
