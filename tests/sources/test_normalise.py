"""The one normalisation rule: each step on a worked case, and idempotence on generated text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.sources.normalise import NORMALISATION, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u00adb\u200bc\ufeff", "abc"),  # invisible format characters removed
        ("\ufb01ne \uff18.\uff12", "fine 8.2"),  # NFKC: ligature, fullwidth digits
        ("8.2\u00a0%", "8.2 %"),  # no-break space is a space
        ("\u22128.2 \u20137.5 \u20127 \u2010x \u2011y", "-8.2 -7.5 -7 -x -y"),  # dashes that can be minus signs
        ("signifi-\ncant", "significant"),  # line-end hyphenation joined
        ("signifi- \r\n   cant", "significant"),
        ("state-of-the-art", "state-of-the-art"),  # a hyphen inside a line stays
        ("gain -\n8.2", "gain - 8.2"),  # not between letters: not a hyphenation
        ("  a \t\n\n b  ", "a b"),  # whitespace runs to one space, ends stripped
        ("e\u200b\u0301", "\u00e9"),  # composing after the removal
    ],
)
def test_each_step_of_the_rule(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_the_rule_has_a_version() -> None:
    assert NORMALISATION == "text-1"


TRICKY = st.sampled_from(
    list("ab -\n\r\t.8") + ["\u00ad", "\u200b", "\u00a0", "\u2212", "\u2011", "\u2013", "\u0301", "\u0308", "\uff18", "\u00b2",
                            "\u1100", "\u1161", "\u11a8", "\u2028", "\ufb01", "\u3000", "\u1e9b", "\u0323"]
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(TRICKY, max_size=40).map("".join)))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_the_ascii_fast_path_agrees_with_the_general_path(text: str) -> None:
    # A non-ASCII character that the rule removes forces the general path on the same text.
    assert normalise(text) == normalise(text + "\u200b")
