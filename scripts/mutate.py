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
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = Path(__file__).with_name("mutate-equivalent.txt")
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Target:
    module: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # only these qualnames (empty: the whole module)


TARGETS: tuple[Target, ...] = (
    Target("provenance.corrections.merkle", ("tests/corrections/test_merkle.py",)),
    Target("provenance.signing.dsse", ("tests/signing/test_dsse.py", "tests/signing/test_vectors.py")),
    Target("provenance.signing.trust", ("tests/signing/test_trust.py",)),
    Target("provenance.claims.decimal_text", ("tests/claims/test_decimal_text.py",
                                              "tests/claims/test_decimal_text_edges.py")),
    Target("provenance.claims.formula", ("tests/claims/test_formula.py", "tests/claims/test_value_bounds.py")),
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


def run_tests(tests: tuple[str, ...]) -> int:
    import pytest

    return int(pytest.main(["-x", "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:randomly",
                            *[str(REPO / t) for t in tests]]))


def try_mutant(mutant: Mutant, target: Target) -> str:
    """``killed``, ``survived`` or ``timeout``/``error``, from a forked child that applies and tests it."""
    pid = os.fork()
    if pid == 0:  # child
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            signal.alarm(TIMEOUT_SECONDS)
            apply(mutant, importlib.import_module(mutant.module))
            code = 0 if run_tests(target.tests) == 0 else 1
        except BaseException:  # a mutant that breaks the import is killed
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module names or suffixes (default: every target)")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--show-survivors", action="store_true", help="print each surviving mutant's key")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    targets = [t for t in TARGETS if not args.modules or any(t.module.endswith(m) for m in args.modules)]
    equivalent = load_equivalent()
    rows = []
    exit_code = 0
    for target in targets:
        importlib.import_module(target.module)
        mutants = mutants_of(target)
        if args.list:
            for m in mutants:
                print(m.key)
            continue
        start = time.perf_counter()
        if run_tests(target.tests) != 0:
            print(f"{target.module}: the tests fail without any mutant; fix them first", file=sys.stderr)
            return 2
        survivors: list[Mutant] = []
        killed = skipped = 0
        for mutant in mutants:
            if mutant.key in equivalent:
                skipped += 1
                continue
            outcome = try_mutant(mutant, target)
            if outcome == "survived":
                survivors.append(mutant)
            else:
                killed += 1
        scored = len(mutants) - skipped
        score = 100.0 * killed / scored if scored else 100.0
        rows.append((target.module, len(mutants), skipped, killed, len(survivors), score,
                     time.perf_counter() - start))
        print(f"{target.module}: {killed}/{scored} killed ({score:.1f}%), {len(survivors)} survived, "
              f"{skipped} equivalent", flush=True)
        if args.show_survivors:
            for m in survivors:
                print(f"  SURVIVED line {m.line}: {m.key}")
        if score < 90.0:
            exit_code = 1
    if rows:
        print()
        print(f"{'module':36} {'mutants':>8} {'equiv':>6} {'killed':>7} {'survived':>9} {'score':>7} {'time':>7}")
        for module, total, skipped, killed, survived, score, seconds in rows:
            print(f"{module:36} {total:8} {skipped:6} {killed:7} {survived:9} {score:6.1f}% {seconds:6.0f}s")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
