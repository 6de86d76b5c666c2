"""Mutation testing of the security and arithmetic cores: one mutant at a time, targeted tests, a score.

Usage: ``python scripts/mutate.py [MODULE ...] [--list] [--show-survivors]`` (``make mutate`` runs all).

For each target module the driver walks the source (``ast``) and makes every
mutant of these kinds, one at a time:

* arithmetic and bit operators swapped (``+``/``-``, ``*``/``/``, ``//``/``/``,
  ``%``/``*``, ``<<``/``>>``, ``&``/``|``, ``**``/``*``);
* comparisons swapped (``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``in``/``not in``,
  ``is``/``is not``) and boolean operators (``and``/``or``), ``not x`` -> ``x``;
* integer constants changed (``n`` -> ``n + 1``, ``0`` -> ``1``, ``1`` -> ``0``) and
  ``True``/``False`` swapped;
* guards removed: every ``raise`` replaced by ``pass``, every statement that is a
  bare call (``check(x)``) removed, ``continue``/``break`` swapped.

A mutant is applied inside one long-lived process that has imported everything
once: a forked child swaps the mutated function's code object in place (so
every reference to the function, including ``from m import f`` in tests, sees
it), or rebinds a mutated module-level constant, then runs the module's tests
with ``pytest -x``. A failing test kills the mutant; a mutant that passes every
test survives. Mutants listed in ``scripts/mutate-equivalent.txt`` (with the
reason each cannot change behaviour) are left out of the score.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import inspect
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = Path(__file__).with_name("mutate-equivalent.txt")


@dataclass(frozen=True)
class Target:
    module: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # only these qualnames (empty: the whole module)


TARGETS: tuple[Target, ...] = (
    Target("provenance.corrections.merkle", ("tests/corrections/test_merkle.py",)),
    Target("provenance.signing.dsse", ("tests/signing/test_dsse.py", "tests/signing/test_vectors.py")),
    Target("provenance.signing.trust", ("tests/signing/test_trust.py", "tests/signing/test_trust_edges.py")),
    Target("provenance.decimal_text", ("tests/core/test_decimal_text.py",
                                              "tests/core/test_decimal_text_edges.py")),
    Target("provenance.claims.formula", ("tests/claims/test_formula.py", "tests/claims/test_formula_edges.py",
                                         "tests/claims/test_value_bounds.py")),
    Target("provenance.claims.engine", ("tests/claims/test_engine.py", "tests/claims/test_comparison_rule.py"),
           functions=("_bounds", "compare_pair", "compare")),
)

_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift, ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd, ast.Pow: ast.Mult,
}
_CMP_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    module: str
    qualname: str  # "<module>" for module-level constants
    line: int
    description: str
    source_line: str
    node_index: int  # position of the mutated node in ast.walk order of the module
    variant: int  # which of that node's variants

    @property
    def key(self) -> str:
        """Stable across unrelated edits: module, function, the line's text and the change."""
        return f"{self.module} | {self.qualname} | {self.source_line} | {self.description}"


def _scopes(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """(qualname, node) of every top-level function and method; the module itself as ``<module>``."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def _owner(tree: ast.Module, target: ast.AST) -> str:
    for qualname, scope in _scopes(tree):
        if any(n is target for n in ast.walk(scope)):
            return qualname
    return "<module>"


def _is_docstring(parent: ast.AST, node: ast.AST) -> bool:
    body = getattr(parent, "body", None)
    return bool(body) and body[0] is node and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _variants(node: ast.AST, parent: ast.AST | None) -> Iterator[tuple[str, Any]]:
    """(description, replacement) for one node; replacement None removes a statement."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
        new = copy.copy(node)
        new.op = _BINOP_SWAPS[type(node.op)]()
        yield f"{type(node.op).__name__} -> {type(new.op).__name__}", new
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMP_SWAPS:
                new = copy.copy(node)
                new.ops = list(node.ops)
                new.ops[i] = _CMP_SWAPS[type(op)]()
                yield f"compare[{i}] {type(op).__name__} -> {type(new.ops[i]).__name__}", new
    elif isinstance(node, ast.BoolOp):
        new = copy.copy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{type(node.op).__name__} -> {type(new.op).__name__}", new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield f"drop {type(node.op).__name__}", node.operand
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield f"{node.value} -> {not node.value}", ast.Constant(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield f"{node.value} -> {node.value + 1}", ast.Constant(node.value + 1)
        if node.value == 1:
            yield "1 -> 0", ast.Constant(0)
    elif isinstance(node, ast.Raise):
        yield "raise -> pass", ast.Pass()
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and parent is not None \
            and not _is_docstring(parent, node):
        yield "remove call statement", None
    elif isinstance(node, ast.Continue):
        yield "continue -> break", ast.Break()
    elif isinstance(node, ast.Break):
        yield "break -> continue", ast.Continue()


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: Any) -> None:
        self.target = target
        self.replacement = replacement

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                new_list = []
                for item in value:
                    if item is self.target:
                        if self.replacement is not None:
                            new_list.append(self.replacement)
                    elif isinstance(item, ast.AST):
                        new_list.append(self.visit(item))
                    else:
                        new_list.append(item)
                if not new_list and field in ("body", "orelse", "finalbody") and value:
                    new_list = [ast.Pass()]
                setattr(node, field, new_list)
            elif value is self.target:
                setattr(node, field, self.replacement)
            elif isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node


def _annotation_nodes(tree: ast.Module) -> set[int]:
    """Nodes inside annotations (never executed with ``from __future__ import annotations``)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        for ann in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if isinstance(ann, ast.AST):
                ids.update(id(n) for n in ast.walk(ann))
    return ids


def _module_path(module: str) -> Path:
    return REPO / (module.replace(".", "/") + ".py")


def mutants_of(target: Target) -> list[Mutant]:
    source = _module_path(target.module).read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _annotation_nodes(tree)
    parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    out: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        owner = _owner(tree, node)
        if target.functions and owner.split(".")[-1] not in target.functions:
            continue
        if owner == "<module>" and not isinstance(node, ast.Constant):
            continue  # module level: only constants (limits such as MAX_SIGNATURES) are mutated
        if owner == "<module>" and isinstance(parents.get(id(node)), ast.Expr):
            continue  # docstrings
        for variant, (description, _) in enumerate(_variants(node, parents.get(id(node)))):
            out.append(Mutant(target.module, owner, node.lineno, description, lines[node.lineno - 1].strip(),
                              index, variant))
    return out


def mutated_tree(mutant: Mutant) -> ast.Module:
    """The module's syntax tree with exactly this mutant applied."""
    tree = ast.parse(_module_path(mutant.module).read_text(encoding="utf-8"))
    parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.node_index)
    description, replacement = list(_variants(node, parents.get(id(node))))[mutant.variant]
    assert description == mutant.description
    new = _Replace(node, replacement).visit(tree)
    return ast.fix_missing_locations(new)


def _unwrap(obj: Any) -> Any:
    return inspect.unwrap(obj) if callable(obj) else obj


def apply(mutant: Mutant, module: ModuleType) -> None:
    """Make ``module`` behave as the mutated source, in place (this process only)."""
    code = compile(mutated_tree(mutant), str(_module_path(mutant.module)), "exec")
    namespace: dict[str, Any] = {"__name__": module.__name__, "__file__": module.__file__,
                                 "__package__": module.__package__}
    exec(code, namespace)  # noqa: S102 - our own source, mutated by this driver
    if mutant.qualname == "<module>":
        for name, value in namespace.items():  # rebind the data whose value the mutant changed
            if callable(value) or isinstance(value, ModuleType) or name.startswith("__"):
                continue
            old_value = getattr(module, name, None)
            if type(old_value) is not type(value) or old_value != value:
                setattr(module, name, value)
        return
    parts = mutant.qualname.split(".")
    old: Any = module
    new: Any = namespace
    for depth, part in enumerate(parts):
        old = getattr(old, part)
        new = new[part] if depth == 0 else getattr(new, part)
    old_function, new_function = _unwrap(old), _unwrap(new)
    if isinstance(old, property):
        old_function, new_function = old.fget, new.fget
    if isinstance(old_function, (staticmethod, classmethod)):
        old_function, new_function = old_function.__func__, new_function.__func__
    assert isinstance(old_function, FunctionType) and isinstance(new_function, FunctionType), mutant.qualname
    old_function.__code__ = new_function.__code__
    # defaults are evaluated once, at definition: a mutated default lives on the function, not in its code
    old_function.__defaults__ = new_function.__defaults__
    old_function.__kwdefaults__ = new_function.__kwdefaults__


def _use_mutation_profile() -> None:
    """Hypothesis deterministic and forgetful: no example database, so no mutant's failure leaks into another run."""
    from hypothesis import settings

    try:
        parent = settings.get_profile("provenance")
    except Exception:  # no project profile: Hypothesis' default
        parent = settings.get_profile("default")
    settings.register_profile("mutate", parent=parent, derandomize=True, database=None, deadline=None)
    settings.load_profile("mutate")


def _tracer(filename: str, lines: set[int]) -> Any:
    """A ``sys.settrace`` function recording the lines of ``filename`` that run."""

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            lines.add(frame.f_lineno)
        return local

    def global_(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == filename:
            lines.add(frame.f_lineno)
            return local
        return None

    return global_


def _run_item(item: Any, nextitem: Any) -> bool:
    """Run one collected test (fixtures set up and torn down as pytest does); True if it passes."""
    from _pytest.runner import runtestprotocol

    return not any(report.failed for report in runtestprotocol(item, nextitem=nextitem, log=False))


def _run_items(items: list[Any]) -> bool:
    """Run these collected tests in order, stopping at the first failure; True if all pass."""
    return all(_run_item(item, items[i + 1] if i + 1 < len(items) else None) for i, item in enumerate(items))


@dataclass(frozen=True)
class Baseline:
    """What the unmutated tests of one target do: the lines each test executes, and its time."""

    items: dict[str, Any]
    lines: dict[str, set[int]]
    seconds: dict[str, float]

    def tests_for(self, line_span: range | None) -> list[Any]:
        """The tests that execute the mutated lines (every test for module-level data), fastest first."""
        if line_span is None:
            chosen = list(self.lines)
        else:
            chosen = [t for t, lines in self.lines.items() if any(n in lines for n in line_span)]
        return [self.items[t] for t in sorted(chosen, key=lambda t: self.seconds[t])]


def _baseline(items: list[Any], filename: str) -> Baseline | None:
    """Run every test once, unmutated, recording lines; None when one fails.

    The run happens in a forked child, so this process stays as the imports left
    it: a cache the tests fill (``parse_decimal_pair``'s) would otherwise answer
    for the mutated code in every later child.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _baseline_child(items, filename, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    recorded = json.loads(data)
    lines = {nodeid: set(found) for nodeid, found in recorded["lines"].items()}
    return Baseline({item.nodeid: item for item in items}, lines, recorded["seconds"])


def _baseline_child(items: list[Any], filename: str, write_end: int) -> None:
    lines: dict[str, list[int]] = {}
    seconds: dict[str, float] = {}
    code = 1
    try:
        for i, item in enumerate(items):
            executed: set[int] = set()
            tracer = _tracer(filename, executed)
            start = time.perf_counter()
            threading.settrace(tracer)
            sys.settrace(tracer)
            try:
                ok = _run_item(item, items[i + 1] if i + 1 < len(items) else None)
            finally:
                sys.settrace(None)
                threading.settrace(None)  # type: ignore[arg-type]
            if not ok:
                print(f"  unmutated test fails: {item.nodeid}", file=sys.stderr, flush=True)
                break
            lines[item.nodeid] = sorted(executed)
            seconds[item.nodeid] = time.perf_counter() - start
        else:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(json.dumps({"lines": lines, "seconds": seconds}).encode())
            code = 0
    except BaseException:
        traceback.print_exc()
    os._exit(code)


def _line_span(mutant: Mutant) -> range | None:
    """The source lines a mutant changes; None for module-level data (read by any test)."""
    if mutant.qualname == "<module>":
        return None
    tree = ast.parse(_module_path(mutant.module).read_text(encoding="utf-8"))
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.node_index)
    for function in ast.walk(tree):  # a default argument acts wherever its function is called
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                node is d for d in (*function.args.defaults, *function.args.kw_defaults)):
            node = function
            break
    return range(node.lineno, (getattr(node, "end_lineno", None) or node.lineno) + 1)


def _child(mutant: Mutant, items: list[Any], timeout: int) -> None:
    """In a forked child: apply the mutant, run the tests, exit 0 (survived) or 1 (killed)."""
    code = 3
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.alarm(timeout)
        apply(mutant, importlib.import_module(mutant.module))
        code = 0 if _run_items(items) else 1
    except BaseException:  # a mutant that breaks the import or the run is killed
        code = 1
    os._exit(code)


def _outcome(status: int) -> str:
    if os.WIFSIGNALED(status):
        return "timeout" if os.WTERMSIG(status) == signal.SIGALRM else "killed"
    return {0: "survived", 1: "killed"}.get(os.WEXITSTATUS(status), "error")


def load_equivalent() -> dict[str, str]:
    """``key -> reason`` from mutate-equivalent.txt: lines ``KEY  # reason``."""
    out: dict[str, str] = {}
    if EQUIVALENT_FILE.is_file():
        for raw in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                key, _, reason = raw.partition("  # ")
                out[key.strip()] = reason.strip()
    return out


@dataclass
class Tally:
    module: str
    total: int = 0
    equivalent: int = 0
    killed: int = 0
    timeouts: int = 0
    errors: int = 0
    uncovered: int = 0
    survivors: list[Mutant] | None = None
    seconds: float = 0.0

    @property
    def scored(self) -> int:
        return self.total - self.equivalent

    @property
    def score(self) -> float:
        # a timeout is a kill (the mutant hangs the tests); an unreached mutant is a survivor no test executes
        return 100.0 * (self.killed + self.timeouts + self.errors) / self.scored if self.scored else 100.0


@dataclass(frozen=True)
class Options:
    jobs: int
    timeout_factor: float
    show: bool


def run_mutants(target: Target, base: Baseline, equivalent: dict[str, str], options: Options) -> Tally:
    """Every mutant of one target, ``options.jobs`` forked children at a time."""
    mutants = mutants_of(target)
    tally = Tally(target.module, total=len(mutants))
    survivors: list[Mutant] = []
    queue: list[tuple[Mutant, list[Any], int]] = []
    for mutant in mutants:
        if mutant.key in equivalent:
            tally.equivalent += 1
            continue
        items = base.tests_for(_line_span(mutant))
        if not items:
            tally.uncovered += 1
            survivors.append(mutant)
            if options.show:
                print(f"  NOT REACHED line {mutant.line}: {mutant.key}", flush=True)
            continue
        seconds = sum(base.seconds[item.nodeid] for item in items)
        queue.append((mutant, items, int(20 + options.timeout_factor * seconds)))
    running: dict[int, Mutant] = {}
    queue.reverse()
    while queue or running:
        while queue and len(running) < options.jobs:
            mutant, items, timeout = queue.pop()
            pid = os.fork()
            if pid == 0:
                _child(mutant, items, timeout)
            running[pid] = mutant
        pid, status = os.waitpid(-1, 0)
        mutant = running.pop(pid)
        outcome = _outcome(status)
        if outcome == "survived":
            survivors.append(mutant)
            if options.show:
                print(f"  SURVIVED line {mutant.line}: {mutant.key}", flush=True)
        elif outcome == "timeout":
            tally.timeouts += 1
        elif outcome == "error":
            tally.errors += 1
        else:
            tally.killed += 1
    tally.survivors = sorted(survivors, key=lambda m: m.line)
    return tally


class _MutationSession:
    """A pytest plugin that replaces the test loop: one unmutated run with line recording, then the mutants."""

    def __init__(self, target: Target, equivalent: dict[str, str], options: Options) -> None:
        self.target = target
        self.equivalent = equivalent
        self.options = options
        self.tally: Tally | None = None
        self.failed_unmutated = False

    def pytest_configure(self, config: Any) -> None:
        _use_mutation_profile()

    def pytest_runtestloop(self, session: Any) -> bool:
        module = importlib.import_module(self.target.module)
        base = _baseline(list(session.items), str(Path(module.__file__ or "").resolve()))
        if base is None:
            self.failed_unmutated = True
            return True
        print(f"{self.target.module}: {len(base.items)} tests in {sum(base.seconds.values()):.1f} s unmutated",
              flush=True)
        self.tally = run_mutants(self.target, base, self.equivalent, self.options)
        return True


def run_target(target: Target, equivalent: dict[str, str], options: Options) -> Tally | None:
    """Collect the target's tests once (in this process) and run its mutants; None when they fail unmutated."""
    session = _MutationSession(target, equivalent, options)
    pytest.main(["-qq", "--no-header", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist",
                 *[str(REPO / t) for t in target.tests]], plugins=[session])
    return None if session.failed_unmutated else session.tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module names or suffixes (default: every target)")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--show-survivors", action="store_true", help="print each surviving mutant's key")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--timeout-factor", type=float, default=10.0,
                        help="a mutant times out after 20 s + this many times its tests' unmutated time")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    targets = [t for t in TARGETS if not args.modules or any(t.module.endswith(m) for m in args.modules)]
    equivalent = load_equivalent()
    options = Options(max(1, args.jobs), args.timeout_factor, args.show_survivors)
    tallies: list[Tally] = []
    exit_code = 0
    for target in targets:
        importlib.import_module(target.module)
        if args.list:
            for m in mutants_of(target):
                print(m.key)
            continue
        start = time.perf_counter()
        tally = run_target(target, equivalent, options)
        if tally is None:
            print(f"{target.module}: the tests fail without any mutant; fix them first", file=sys.stderr)
            return 2
        tally.seconds = time.perf_counter() - start
        tallies.append(tally)
        print(f"{target.module}: {tally.killed + tally.timeouts + tally.errors}/{tally.scored} killed "
              f"({tally.score:.1f}%), {len(tally.survivors or [])} survived ({tally.uncovered} not reached by "
              f"any test), {tally.timeouts} timeouts, {tally.equivalent} equivalent", flush=True)
        if tally.score < 90.0:
            exit_code = 1
    if tallies:
        print()
        print(f"{'module':34} {'mutants':>7} {'equiv':>5} {'killed':>6} {'timeout':>7} {'survived':>8} "
              f"{'unreached':>9} {'score':>7} {'time':>6}")
        for t in tallies:
            print(f"{t.module:34} {t.total:7} {t.equivalent:5} {t.killed + t.errors:6} {t.timeouts:7} "
                  f"{len(t.survivors or []):8} {t.uncovered:9} {t.score:6.1f}% {t.seconds:5.0f}s")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
