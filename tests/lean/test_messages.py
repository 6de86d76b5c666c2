"""Parsing `lean --json` output and the acceptance rule, on samples written from the documented format.

The samples follow reference/lean-claims.md §4-5 (Lean.BaseMessage fields,
#print axioms wording, the decide-false wording of v4.9-v4.22 and v4.23+,
the sorry warning of before and after v4.28, native_decide axioms before and
after v4.29). They are message samples, not a stand-in for lean.
"""

from __future__ import annotations

import json
from typing import Any

from provenance.lean.messages import (
    RunFacts,
    TheoremRange,
    judge,
    parse_axioms,
    parse_message,
    parse_output,
    says_decide_false,
)

FILE = "Claims/C0001.lean"
T1 = TheoremRange("claim_aaaaaaaaaaaaaaaa", 1, 4)
T2 = TheoremRange("claim_bbbbbbbbbbbbbbbb", 6, 12)


def msg(severity: str, data: str, line: int | None, column: int = 0, **extra: Any) -> str:
    obj: dict[str, Any] = {
        "severity": severity,
        "pos": {"line": line, "column": column} if line is not None else None,
        "endPos": None,
        "keepFullRange": False,
        "isSilent": False,
        "fileName": FILE,
        "data": data,
        "caption": "",
    }
    obj.update(extra)
    return json.dumps(obj, separators=(",", ":"))


def no_axioms(name: str, line: int) -> str:
    return msg("information", f"'{name}' does not depend on any axioms", line)


def axioms(name: str, names: str, line: int) -> str:
    return msg("information", f"'{name}' depends on axioms: [{names}]", line)


def run(*lines: str, stderr: str = "", code: int = 0) -> RunFacts:
    return RunFacts(code, "\n".join(lines) + "\n", stderr, False)


def test_clean_run_accepts_both() -> None:
    results = judge(run(no_axioms(T1.name, 14), axioms(T2.name, "propext, Quot.sound", 15)), [T1, T2])
    assert [r.accepted for r in results] == [True, True]
    assert results[0].axioms == () and results[1].axioms == ("propext", "Quot.sound")


def test_decide_false_old_wording_rejects_only_that_theorem() -> None:
    false = msg("error", "tactic 'decide' proved that the proposition\n  (1 : Nat) ≤ 0\nis false", 12, 2)
    results = judge(run(false, no_axioms(T1.name, 14), axioms(T2.name, "sorryAx", 15), code=1), [T1, T2])
    assert results[0].accepted and not results[1].accepted
    assert results[1].outcome == "false" and "found the statement false" in results[1].reason


def test_decide_false_new_wording_is_recognised() -> None:
    message = parse_message(msg("error", "Tactic `decide` proved that the proposition\n  2 = 3\nis false", 4, 2))
    assert says_decide_false(message)


def test_sorry_warning_and_sorry_axiom_reject() -> None:
    for wording in ("declaration uses 'sorry'", "declaration uses `sorry`"):
        results = judge(run(msg("warning", wording, 1, 8), axioms(T1.name, "sorryAx", 14)), [T1])
        assert not results[0].accepted and "warning" in results[0].reason


def test_sorry_hidden_warning_still_rejected_by_axioms() -> None:
    # warn.sorry false (v4.22+) hides the warning; the allow-list still catches sorryAx.
    results = judge(run(axioms(T1.name, "sorryAx", 14)), [T1])
    assert not results[0].accepted and "sorry" in results[0].reason


def test_native_decide_rejected_in_both_axiom_styles() -> None:
    for listed in ("Lean.ofReduceBool", "Lean.ofReduceBool, Lean.trustCompiler", "claim_aaaaaaaaaaaaaaaa._native.native_decide.ax_1"):
        results = judge(run(axioms(T1.name, listed, 14)), [T1])
        assert not results[0].accepted and "native_decide" in results[0].reason


def test_new_axiom_rejected() -> None:
    results = judge(run(axioms(T1.name, "cheat, propext", 14)), [T1])
    assert not results[0].accepted and "cheat" in results[0].reason


def test_wrapped_axiom_list_parses() -> None:
    message = parse_message(msg("information", f"'{T1.name}' depends on axioms: [Classical.choice,\n propext,\n Quot.sound]", 14))
    report = parse_axioms(message)
    assert report is not None and report.axioms == ("Classical.choice", "propext", "Quot.sound")
    assert judge(run(msg("information", message.data, 14)), [T1])[0].accepted


def test_missing_axioms_line_rejects() -> None:
    results = judge(run(no_axioms(T2.name, 15)), [T1, T2])
    assert not results[0].accepted and "never elaborated" in results[0].reason
    assert results[1].accepted


def test_duplicate_axioms_line_rejects() -> None:
    results = judge(run(no_axioms(T1.name, 14), no_axioms(T1.name, 15)), [T1])
    assert not results[0].accepted


def test_error_outside_decide_wording_rejects_with_text() -> None:
    results = judge(run(msg("error", "maximum recursion depth has been reached", 3, 4), no_axioms(T1.name, 14), code=1), [T1])
    assert not results[0].accepted and results[0].outcome == "error" and "recursion" in results[0].reason


def test_non_json_stdout_or_stderr_fail_the_run() -> None:
    bad = judge(run("Claims/C0001.lean:1:0: error: unknown", no_axioms(T1.name, 14)), [T1])
    assert not bad[0].accepted and "not a JSON message" in bad[0].reason
    noisy = judge(run(no_axioms(T1.name, 14), stderr="INTERNAL PANIC: out of memory"), [T1])
    assert not noisy[0].accepted and "stderr" in noisy[0].reason


def test_timeout_is_unchecked() -> None:
    results = judge(RunFacts(None, "", "", True), [T1], timeout=5)
    assert results[0].outcome == "unchecked" and not results[0].accepted and "5 s" in results[0].reason


def test_nonzero_exit_without_error_message_fails_the_run() -> None:
    results = judge(run(no_axioms(T1.name, 14), code=1), [T1])
    assert not results[0].accepted and "exit" in results[0].reason


def test_unknown_and_missing_optional_fields_are_tolerated() -> None:
    line = json.dumps({"severity": "information", "data": f"'{T1.name}' does not depend on any axioms", "fileName": FILE,
                       "pos": {"line": 14, "column": 0}, "kind": "[anonymous]", "someFutureField": [1, 2]})
    assert judge(run(line), [T1])[0].accepted
    assert parse_output('{"severity":"information","data":"x"}\n').messages[0].line is None


def test_info_messages_are_not_errors() -> None:
    results = judge(run(msg("information", "some #check output", 2), no_axioms(T1.name, 14)), [T1])
    assert results[0].accepted
