"""The strict JSON reader and the RFC 8785 canonical form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.jsonio import canonical_bytes, load_json_file, loads_strict, write_json


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"x": {"b": 1, "b": 1}}', "duplicate key 'b'"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"expected": 7.57}', 'decimal string "7.57"'),
        ('{"a": 1e5}', "fractional JSON number 1e5"),
        ('{"a": 1', "invalid JSON"),
    ],
)
def test_strict_reader_rejects(text: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        loads_strict(text, source="doc.json")
    assert needle in str(info.value)
    assert "doc.json" in str(info.value)


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        loads_strict('{\n  "a": 1,\n  "b": \n}', source="doc.json")
    assert "doc.json:4:1" in str(info.value)


def test_fractions_allowed_only_when_asked() -> None:
    assert loads_strict('{"a": 0.5}', allow_fractions=True) == {"a": 0.5}


def test_canonical_bytes_rfc8785_order_and_escapes() -> None:
    obj = {"b": [1, "\u00e9", {"z": None, "a": True}], "a": "\u2028\n\"", "\u00e9": 0}
    assert canonical_bytes(obj) == b'{"a":"\xe2\x80\xa8\\n\\"","b":[1,"\xc3\xa9",{"a":true,"z":null}],"\xc3\xa9":0}'


def test_canonical_bytes_refuses_floats() -> None:
    with pytest.raises(InputError) as info:
        canonical_bytes({"a": [1, 0.1]})
    assert "$.a[1]" in str(info.value)


def test_load_json_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_json_file(tmp_path / "missing.json")
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"  \n")
    with pytest.raises(InputError, match="empty"):
        load_json_file(empty)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(InputError, match="not UTF-8"):
        load_json_file(latin)


def test_write_json_is_atomic_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_json(target, {"k": "v"})
    write_json(target, {"k": "w"})
    assert json.loads(target.read_text()) == {"k": "w"}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


_KEYS = st.text(max_size=8)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), st.text(max_size=20))
_JSON: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=300)
@given(_JSON)
def test_canonical_round_trip_through_strict_reader(obj: Any) -> None:
    data = canonical_bytes(obj)
    back = loads_strict(data)
    assert back == obj
    assert canonical_bytes(back) == data


@settings(max_examples=200)
@given(st.dictionaries(_KEYS, _SCALARS, max_size=8))
def test_canonical_is_independent_of_key_order(obj: dict[str, Any]) -> None:
    reordered = dict(reversed(list(obj.items())))
    assert canonical_bytes(reordered) == canonical_bytes(obj)


# ---- issue 13 item 2: integers too long for Python crashed every reader (internal error: ValueError)


@pytest.mark.parametrize("digits", [4301, 5000, 100_000])
def test_integer_longer_than_pythons_limit_is_input_error_with_its_path(digits: int) -> None:
    """Regression: a 4,301-digit integer raised ValueError (exit 1, "internal error") in every reader."""
    text = '{"claims": [{"id": "c1"}, {"seq": ' + "7" * digits + "}]}"
    with pytest.raises(InputError) as info:
        loads_strict(text, source="verdicts.json")
    message = str(info.value)
    assert message.startswith("verdicts.json: $.claims[1].seq: integer ") and f"({digits} digits)" in message
    assert len(message) < 300  # the literal is not echoed whole


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**63, 10**20])
def test_integers_beyond_the_canonical_range_are_refused(value: int) -> None:
    with pytest.raises(InputError, match=r"\$\[0\]\.n: integer .* out of range"):
        loads_strict(f'[{{"n": {value}}}]', source="x")


@pytest.mark.parametrize("value", [0, -0, 1, -1, 2**53 - 1, -(2**53 - 1), 10**15])
def test_integers_in_range_are_read_exactly(value: int) -> None:
    assert loads_strict(f'{{"n": {value}}}') == {"n": value}


def test_the_cli_reports_a_huge_integer_as_bad_input_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    doc = tmp_path / "manifest.json"
    doc.write_text('{"contract": "paper-manifest-v1.1", "n": ' + "1" * 5000 + "}")
    proc = subprocess.run([sys.executable, "-m", "provenance", "schema", "validate", str(doc)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "$.n: integer" in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.parametrize("obj", [{"a": 2**60}, {1: "a"}, {"a": "\ud800"}])
def test_canonical_bytes_of_what_cannot_be_canonical_is_input_error(obj: Any) -> None:
    with pytest.raises(InputError, match="canonical JSON"):
        canonical_bytes(obj)


@settings(max_examples=200, deadline=None)
@given(st.integers())
def test_property_every_integer_is_read_exactly_or_refused_cleanly(value: int) -> None:
    text = json.dumps({"v": value})
    if abs(value) <= 2**53 - 1:
        assert loads_strict(text) == {"v": value}
        assert canonical_bytes(loads_strict(text)) == text.replace(" ", "").encode()
    else:
        with pytest.raises(InputError, match="out of range"):
            loads_strict(text)


# ---- issue 14 item 7: the strict reader's own cost (a regex scan of the whole text cost 0.15 s per 18 MB)

_DIGIT_TEXT = st.text(alphabet=st.sampled_from("0123456789 \"a٠١٢۳\U0001d7ce\ud800é"), max_size=60)


@settings(max_examples=500, deadline=None)
@given(_DIGIT_TEXT)
def test_property_long_digit_run_prefilter_agrees_with_the_ascii_digit_pattern(text: str) -> None:
    """The byte-level prefilter finds exactly the runs of 16 ASCII digits the regex ``[0-9]{16}`` finds."""
    import re

    from provenance.jsonio import _has_long_digit_run

    expected = re.search("[0-9]{16}", text) is not None
    assert _has_long_digit_run(text.encode("utf-8", "surrogatepass")) is expected


_DUP_KEYS = st.sampled_from(["a", "b", "é", "\u212b", "\u00c5"])
_PAIRS: st.SearchStrategy[Any] = st.recursive(
    st.integers(-3, 3) | st.text(max_size=3),
    lambda inner: st.lists(st.tuples(_DUP_KEYS, inner), max_size=4) | st.lists(inner, max_size=3),
    max_leaves=12,
)


def _render(node: Any) -> str:
    """JSON text of a tree whose objects are lists of (key, value) pairs, duplicates kept."""
    if isinstance(node, list) and all(isinstance(item, tuple) for item in node) and node:
        return "{" + ",".join(json.dumps(k) + ":" + _render(v) for k, v in node) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_render(item) for item in node) + "]"
    return json.dumps(node)


def _has_duplicate(node: Any) -> bool:
    if isinstance(node, list) and node and all(isinstance(item, tuple) for item in node):
        keys = [k for k, _ in node]
        return len(set(keys)) != len(keys) or any(_has_duplicate(v) for _, v in node)
    if isinstance(node, list):
        return any(_has_duplicate(item) for item in node)
    return False


@settings(max_examples=500, deadline=None)
@given(_PAIRS)
def test_property_a_duplicate_key_anywhere_is_refused_and_nothing_else_is(tree: Any) -> None:
    text = _render(tree)
    if _has_duplicate(tree):
        with pytest.raises(InputError, match="duplicate key"):
            loads_strict(text)
        with pytest.raises(InputError, match="duplicate key"):
            loads_strict(text.encode())
    else:
        assert loads_strict(text) == json.loads(text) == loads_strict(text.encode())
