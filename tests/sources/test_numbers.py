"""The number-token rule: worked cases, and Hypothesis against an independent scanner written from the rule's text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.sources.normalise import normalise
from provenance.sources.numbers import as_written_problem, occurrences, plain_form, tokens

ASCII_DIGITS = "0123456789"


def _letter(c: str) -> bool:
    return c.isalnum() and not c.isdecimal()


def _word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _digits(text: str, at: int) -> int:
    end = at
    while end < len(text) and text[end] in ASCII_DIGITS:
        end += 1
    return end


def _token_at(text: str, i: int) -> tuple[str, str, int] | None:
    """(sign, body, end) of the token starting at ``i``, read character by character from the rule."""
    before = text[i - 1] if i else ""
    sign = ""
    j = i
    if text[i] in "+-":
        if before and (_word(before) or before in ".+-"):
            return None
        sign, j = text[i], i + 1
    else:
        if before and (_word(before) or before == "."):
            return None
        if before == "," and i >= 2 and text[i - 2] in ASCII_DIGITS:
            return None
        if before in ("-", "+") and i >= 2 and _letter(text[i - 2]):
            return None
    if j >= len(text):
        return None
    if text[j] == ".":
        k = _digits(text, j + 1)
        if k == j + 1:
            return None
    elif text[j] in ASCII_DIGITS:
        k = _digits(text, j)
        if k - j <= 3:
            while text[k : k + 1] == "," and _digits(text, k + 1) >= k + 4:
                k += 4  # one group of three (a longer run fails at the right edge below)
        if text[k : k + 1] == "." and _digits(text, k + 1) > k + 1:
            k = _digits(text, k + 1)
    else:
        return None
    after = text[k] if k < len(text) else ""
    if after and (after.isdecimal() or after == "_"):
        return None
    if after in (".", ",") and text[k + 1 : k + 2] != "" and text[k + 1] in ASCII_DIGITS:
        return None
    m = k
    while m < len(text) and _letter(text[m]):
        m += 1
    if m > k and m < len(text) and (text[m].isdecimal() or text[m] == "_"):
        return None
    return sign, text[j:k], k


def reference_tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(text, plain, start, end) of every token, leftmost first, scanning on after each one."""
    found = []
    i = 0
    while i < len(text):
        at = _token_at(text, i)
        if at is None:
            i += 1
            continue
        sign, body, end = at
        found.append((text[i:end], plain_form(sign, body), i, end))
        i = end
    return found


def ours(text: str) -> list[tuple[str, str, int, int]]:
    return [(t.text, t.plain, t.start, t.end) for t in tokens(text)]


@pytest.mark.parametrize(
    ("text", "plains"),
    [
        ("8.2%", ["8.2"]),
        ("(8.2)", ["8.2"]),
        ("gain -8.2 points", ["-8.2"]),
        ("gain +8.2 points", ["8.2"]),
        ("pages 5-8.2", ["5", "8.2"]),
        ("18.25 and 8.25", ["18.25", "8.25"]),
        ("v8.2 and L2 and GPT-4 and top-5", []),
        ("version 8.2.1", []),
        ("1,234.5 items", ["1234.5"]),
        ("8,2 is a decimal comma", []),
        ("1,2345 is no grouping", []),
        ("8.2, 7.5, and 7.0 points", ["8.2", "7.5", "7.0"]),
        ("12ms 3.5x 3rd", ["12", "3.5", "3"]),
        ("1e5 and 3x4 and a_1", []),
        (".5 and -.5", ["0.5", "-0.5"]),
        ("x-3 y -3", ["-3"]),
        ("8.20", ["8.20"]),
    ],
)
def test_worked_cases(text: str, plains: list[str]) -> None:
    assert [t.plain for t in tokens(normalise(text))] == plains
    assert [p for _, p, _, _ in reference_tokens(normalise(text))] == plains


def test_a_unicode_minus_is_a_sign_after_normalisation() -> None:
    assert [t.plain for t in tokens(normalise("gain \u22128.2 and \u20137.5"))] == ["-8.2", "-7.5"]


def test_occurrences_are_whole_tokens_inside_the_range() -> None:
    text = "a 18.25 b 8.2 c 8.25 d 8.2"
    assert [t.start for t in occurrences(text, "8.2")] == [10, 23]
    assert occurrences(text, "8.2", 0, 12) == []  # the token at 10 ends at 13
    assert [t.start for t in occurrences(text, "8.2", 9, 13)] == [10]


def test_as_written_may_differ_only_in_zeros() -> None:
    assert as_written_problem("8.2", "8.20") is None
    assert as_written_problem("8.2", "08.2") is None
    assert as_written_problem("8.2", "8.3") is not None
    assert as_written_problem("8.2", "8,20") is not None
    assert as_written_problem("8.2", 8.2) is not None


DOCUMENT_ALPHABET = st.sampled_from(
    list("0123456789") * 4 + list("..,,--++ %()_xev") + ["\n", "\u2212", "\u2013", "\u00a0", "\u0663", "\u00b2", "\u00bd", "Ⅻ", "é"]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(DOCUMENT_ALPHABET, max_size=60).map("".join))
def test_tokens_match_the_independent_scanner_on_generated_documents(raw: str) -> None:
    text = normalise(raw)
    assert ours(text) == reference_tokens(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
            st.sampled_from([" ", ", ", " and ", "v", "x", "-", ".", "%", "(", ")", "\u2212", "a_"]),
        ),
        max_size=20,
    ).map("".join),
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
)
def test_occurrences_agree_with_the_scanner(raw: str, value: str) -> None:
    text = normalise(raw)
    expected = [(start, end) for _, plain, start, end in reference_tokens(text) if plain == value]
    assert [(t.start, t.end) for t in occurrences(text, value)] == expected
