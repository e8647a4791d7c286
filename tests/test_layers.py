"""The floors follow the data flow: files → chunks (ingest) → index and search (retriever) →
answers (policyqa) → the page (page/, app.py) → evaluation (eval). Every import of every module
is read (ast, including imports inside functions): none may reach a higher floor, and no two
packages may import each other, directly or round about. ``policyqa/cli.py`` is the outermost
shell: it may import every floor (eval and app lazily, for its subcommands)."""
import ast
from pathlib import Path

import pytest

from policyqa.config import PROJECT_ROOT

#: Floor of each top-level package or module, bottom to top.
FLOORS = {"ingest": 1, "retriever": 2, "policyqa": 3, "page": 4, "app": 4, "eval": 5}
#: Modules that stand above every floor.
SHELL = {"policyqa.cli": 6}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    files = [PROJECT_ROOT / "app.py"]
    for package in ("ingest", "retriever", "policyqa", "page", "eval"):
        files += sorted((PROJECT_ROOT / package).rglob("*.py"))
    return {_module_name(p): p for p in files}


def _imports(path: Path, module: str) -> set[str]:
    """Project modules imported anywhere in ``path`` (absolute names)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = package[: len(package) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in FLOORS}


def _floor(module: str) -> int:
    for shell, floor in SHELL.items():
        if module == shell or module.startswith(shell + "."):
            return floor
    return FLOORS[module.split(".")[0]]


def _unit(module: str) -> str:
    """The package-level node a module belongs to (the shell counts as its own)."""
    return next((s for s in SHELL if module == s or module.startswith(s + ".")), module.split(".")[0])


MODULES = _modules()
IMPORTS = {m: _imports(p, m) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_reaches_a_higher_floor(module):
    upward = sorted(i for i in IMPORTS[module] if _floor(i) > _floor(module))
    assert not upward, f"{module} (floor {_floor(module)}) imports {upward}"


def test_no_package_cycles():
    graph: dict[str, set[str]] = {}
    for module, imported in IMPORTS.items():
        graph.setdefault(_unit(module), set()).update(_unit(i) for i in imported if _unit(i) != _unit(module))

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(unit for unit in graph if unit in reach(unit))
    assert not cycles, f"packages in an import cycle: {cycles}"


def test_the_floors_cover_every_package():
    """A new top-level package must be given a floor here."""
    packages = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py")}
    assert packages <= set(FLOORS) | {"tests", "bench", "scripts"}
