"""provenance.cli.styled: lines written without rich are byte for byte what rich prints for their markup."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from provenance.cli.styled import Piece, markup, print_lines, verbatim

STYLES = st.sampled_from([None, None, "green", "bold red", "yellow", "dim", "bold green"])
TEXT = (st.text(st.sampled_from("ab ✓:-_.,;()/x1é漢😀"), max_size=12)  # mostly what checklists hold
        | st.text(st.sampled_from("ab ✓:[]\\/-_.x1😀\t\r\x1b\u200b\u00a0é漢") | st.characters(), max_size=12)
        | st.sampled_from([":smile:", ":x:", "::", "a:b:c", "[red]", "[/]", "\\", "x\\", "[bold]x[/bold]", "sha256:ab",
                           "trailing ", "\\[x]", ":+1:", ": smile:"]))
LINES = st.lists(st.lists(st.tuples(TEXT, STYLES), max_size=5), min_size=1, max_size=4)


def rich_prints(lines: list[list[Piece]], width: int) -> str:
    """What the shared console (soft wrap, no highlighting) writes for ``lines`` on a stream that is not a terminal."""
    out = io.StringIO()
    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=False, width=width)
    for line in lines:
        console.print(markup(line))
    return out.getvalue()


@settings(max_examples=1500, deadline=None)
@given(lines=LINES, width=st.integers(1, 200))
def test_what_is_written_verbatim_is_what_rich_prints(lines: list[list[Piece]], width: int) -> None:
    text = verbatim(lines)
    if text is not None:
        assert text == rich_prints(lines, width)


@pytest.mark.parametrize("line", [
    [("VERIFIED", "bold green"), (" (18 checks ok)", None)],
    [("  ", None), ("✓", "green"), (" bag.valid", None), (" ", None), ("data/x.json", "dim"), (": sha256:ab", None)],
])
def test_ordinary_checklist_lines_are_written_verbatim(line: list[Piece]) -> None:
    assert verbatim([line]) == "".join(text for text, _ in line) + "\n"


@pytest.mark.parametrize("text", [":smile:", "a[red]b", "tab\there", "back\\slash", "ends ", "cr\r", "esc\x1b[31m"])
def test_text_rich_would_change_goes_through_rich(text: str) -> None:
    assert verbatim([[("x ", None), (text, None)]]) is None


@pytest.mark.parametrize("force_color", [False, True])
def test_print_lines_in_a_real_process_matches_rich(force_color: bool) -> None:
    """Piped stdout: written verbatim or through rich, the bytes are rich's; with FORCE_COLOR, rich's styled ones."""
    lines = [[("✓", "green"), (" plain line: sha256:ab", None)], [("file ", None), (":smile: [b]x\\", "dim")]]
    run = ("import sys\nfrom provenance.cli.styled import print_lines\n"
           f"print_lines({lines[0:1]!r})\nprint_lines({lines!r})\n")
    reference = ("import sys\nfrom rich.console import Console\nfrom provenance.cli.styled import markup\n"
                 "c = Console(highlight=False, soft_wrap=True)\n"
                 f"for line in {lines[0:1]!r} + {lines!r}:\n    c.print(markup(line))\n")
    env = {"PATH": "/usr/bin:/bin", **({"FORCE_COLOR": "1"} if force_color else {})}
    ours = subprocess.run([sys.executable, "-c", run], capture_output=True, env=env, timeout=60, check=True).stdout
    theirs = subprocess.run([sys.executable, "-c", reference], capture_output=True, env=env, timeout=60, check=True).stdout
    assert ours == theirs
    assert (b"\x1b[" in ours) is force_color


def test_print_lines_writes_verbatim_without_rich(capsys: pytest.CaptureFixture[str]) -> None:
    probe = ("import sys\nfrom provenance.cli.styled import print_lines\n"
             "print_lines([[('ok', 'green'), (' fine', None)]])\n"
             "print('RICH', sorted(m for m in sys.modules if m.split('.')[0] == 'rich'), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert proc.stdout == "ok fine\n"
    assert "RICH []" in proc.stderr
    print_lines([[("in process", None)]])
    assert capsys.readouterr().out == "in process\n"
