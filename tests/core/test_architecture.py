"""The layering rules, checked on the source rather than remembered.

1. ``archive`` never imports ``provenance`` (dependencies point one way).
2. No domain module (anything in ``provenance`` outside ``provenance/cli``)
   imports ``provenance.cli``: the CLI is the shell around the library.
3. No module outside ``provenance/cli`` reads the environment (``os.environ``,
   ``os.getenv``, ...) for configuration: the CLI resolves it once and passes
   values in. The allow-list below names the few modules that hand the
   environment through to a child process, and why.
4. The packages of ``provenance`` (``claims``, ``sources``, ``bundle``, ...; a
   top-level module counts as its own package) import each other without a
   circle, counting imports inside functions too: each package can be read,
   tested and replaced knowing only the ones below it.

The checker is plain functions over a source tree, so the tests also run it on
a temporary tree holding deliberately bad modules and see it fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ENVIRONMENT_PASS_THROUGH: dict[str, str] = {
    # module (relative to the repository) -> why it may read the environment
    "provenance/lean/runner.py": "gives the Lean child its PATH, HOME and elan variables (toolchain lookup)",
    "provenance/sandbox/runner.py": "gives the sandboxed child the PATH its interpreter is found on",
}
"""Modules that read the environment only to pass parts of it to a child process."""

CLI_ENTRY_POINTS = {"provenance/__main__.py"}
"""Outside ``provenance/cli`` but part of the shell: ``python -m provenance`` runs the CLI."""

KNOWN_ENVIRONMENT_READERS: dict[str, str] = {
    # module -> owner removing the read (strict xfail: turns red once fixed, then delete the line)
}

_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def python_files(root: Path, package: str) -> Iterator[Path]:
    yield from sorted((root / package).rglob("*.py"))


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def import_violations(root: Path) -> list[str]:
    """Every import that breaks rule 1 or 2, as ``path:line: what``."""
    found: list[str] = []
    for path in python_files(root, "archive"):
        for line, name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name == "provenance" or name.startswith("provenance."):
                found.append(f"{path.relative_to(root)}:{line}: archive imports {name}")
    for path in python_files(root, "provenance"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("provenance/cli/") or rel in CLI_ENTRY_POINTS:
            continue
        for line, name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name == "provenance.cli" or name.startswith("provenance.cli."):
                found.append(f"{rel}:{line}: domain module imports {name}")
    return sorted(set(found))


def package_imports(root: Path) -> dict[str, set[str]]:
    """Package -> the other ``provenance`` packages its modules import (anywhere in the module)."""
    graph: dict[str, set[str]] = {}
    for path in python_files(root, "provenance"):
        parts = path.relative_to(root / "provenance").with_suffix("").parts
        if parts == ("__init__",):
            continue
        package = parts[0]
        targets = graph.setdefault(package, set())
        for _, name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            pieces = name.split(".")
            if pieces[0] == "provenance" and len(pieces) > 1 and pieces[1] != package:
                targets.add(pieces[1])
    return graph


def package_circles(root: Path) -> set[tuple[str, ...]]:
    """The groups of packages that import each other round a circle (strongly connected, more than one)."""
    graph = package_imports(root)
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        stack = list(graph[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
        reach[start] = seen
    return {tuple(sorted({a} | {b for b in reach[a] if a in reach.get(b, ())})) for a in graph if a in reach[a]}


def environment_reads(path: Path) -> list[int]:
    """Lines of ``path`` that read the process environment (``os.environ``, ``os.getenv``, ``from os import environ``)."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in _ENV_NAMES and isinstance(node.value, ast.Name) \
                and node.value.id in {"os", "posix", "_os"}:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module in {"os", "posix"} and any(
                a.name in _ENV_NAMES for a in node.names):
            lines.append(node.lineno)
    return sorted(lines)


def library_modules(root: Path) -> list[str]:
    """Every module subject to rule 3 (relative paths)."""
    out = []
    for package in ("provenance", "archive"):
        for path in python_files(root, package):
            rel = path.relative_to(root).as_posix()
            if not rel.startswith("provenance/cli/") and rel not in CLI_ENTRY_POINTS:
                out.append(rel)
    return out


def environment_violations(root: Path, allowed: dict[str, str]) -> list[str]:
    return [f"{rel}:{line}: reads the environment" for rel in library_modules(root) if rel not in allowed
            for line in environment_reads(root / rel)]


# ---- the rules, on this repository


def test_archive_never_imports_provenance_and_the_library_never_imports_the_cli() -> None:
    assert import_violations(REPO) == []


def test_the_packages_import_each_other_without_a_circle() -> None:
    circles = package_circles(REPO)
    assert circles == set(), f"packages importing each other round a circle: {sorted(circles)}; move the shared " \
                             "piece below them, or the piece that joins them above"


def _environment_params() -> list[object]:
    params: list[object] = []
    for rel in library_modules(REPO):
        if rel in ENVIRONMENT_PASS_THROUGH:
            continue
        marks = []
        if rel in KNOWN_ENVIRONMENT_READERS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"still reads the environment; owner {KNOWN_ENVIRONMENT_READERS[rel]}"))
        params.append(pytest.param(rel, marks=marks, id=rel))
    return params


@pytest.mark.parametrize("module", _environment_params())
def test_library_module_reads_no_environment(module: str) -> None:
    assert environment_reads(REPO / module) == [], f"{module} reads os.environ/os.getenv: let the CLI pass the value in"


def test_the_allow_lists_name_existing_modules_only() -> None:
    for rel in [*ENVIRONMENT_PASS_THROUGH, *KNOWN_ENVIRONMENT_READERS, *CLI_ENTRY_POINTS]:
        assert (REPO / rel).is_file(), f"{rel} is gone: drop it from the allow-list"
    for rel in ENVIRONMENT_PASS_THROUGH:
        assert environment_reads(REPO / rel), f"{rel} no longer reads the environment: drop it from the allow-list"


# ---- the checker itself fails on deliberately bad modules


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in {"archive/__init__.py": "", "provenance/__init__.py": "", "provenance/cli/__init__.py": "",
                      **files}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("rel", "text"), [
    ("archive/bad.py", "import provenance\n"),
    ("archive/bad.py", "from provenance.errors import InputError\n"),
    ("archive/sub/bad.py", "def f():\n    import provenance.jsonio\n"),
    ("provenance/bundle/bad.py", "from provenance.cli import options\n"),
    ("provenance/bad.py", "from provenance.cli.output import console\n"),
    ("provenance/bad.py", "import provenance.cli.main\n"),
])
def test_checker_catches_a_bad_import(tmp_path: Path, rel: str, text: str) -> None:
    root = _tree(tmp_path, {rel: text, "provenance/cli/fine.py": "from provenance.cli import options\nimport provenance\n"})
    assert {v.split(":")[0] for v in import_violations(root)} == {rel}


def test_checker_catches_a_circle_of_packages_even_through_an_import_inside_a_function(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "provenance/claims/__init__.py": "", "provenance/claims/engine.py": "from provenance.sources import grounding\n",
        "provenance/sources/__init__.py": "", "provenance/sources/grounding.py": "from provenance import numbers\n",
        "provenance/numbers.py": "def f():\n    from provenance.claims.engine import x\n",
        "provenance/lean/__init__.py": "import provenance.claims.engine\n",
    })
    assert package_circles(root) == {("claims", "numbers", "sources")}
    (root / "provenance/numbers.py").write_text("X = 1\n", encoding="utf-8")
    assert package_circles(root) == set()


@pytest.mark.parametrize("text", [
    "import os\nX = os.environ.get('A')\n",
    "import os\nX = os.getenv('A')\n",
    "from os import environ\n",
    "from os import getenv as g\n",
    "import os\ndef f():\n    return dict(os.environ)\n",
])
def test_checker_catches_an_environment_read(tmp_path: Path, text: str) -> None:
    root = _tree(tmp_path, {"provenance/deposit/bad.py": text, "archive/bad.py": text,
                            "provenance/cli/fine.py": text})
    assert {v.split(":")[0] for v in environment_violations(root, {})} == {"archive/bad.py", "provenance/deposit/bad.py"}
    assert environment_violations(root, {"archive/bad.py": "x", "provenance/deposit/bad.py": "x"}) == []


def test_checker_ignores_what_only_looks_like_the_environment(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"provenance/ok.py": "env = {}\nX = env.get('environ')\nclass A:\n    environ = 1\n"})
    assert environment_violations(root, {}) == []
