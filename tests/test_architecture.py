"""The layering docs/architecture.md promises, checked on the source: imports run one way
(cli -> apply -> plan -> kinds -> client, with spec and model beneath), no module imports
another in a circle (function-level imports included), the emulator imports nothing from the
core and the core reaches the emulator only through the sandbox (and `emulator serve`), and
every module says what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "provisioner"

# Each layer may import the layers below it (a lower number), never one above.
LAYERS = {"model": 0, "spec": 0, "client": 1, "kinds": 2, "plan": 3, "apply": 4, "export": 4,
          "workspace": 4,
          "cli": 5}
# Who may import the emulator: the sandbox runs it in process; `emulator serve` serves it.
EMULATOR_DOORS = ("provisioner.client.sandbox", "provisioner.cli.commands")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every provisioner module `name` imports, anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("provisioner"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            if not origin.startswith("provisioner"):
                continue
            for alias in node.names:  # `from . import bodies` names a module
                candidate = f"{origin}.{alias.name}"
                found.add(candidate if candidate in MODULES else origin)
    return found - {name}


GRAPH = {name: imports(name) for name in MODULES}


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_module_graph_was_read() -> None:
    assert "provisioner.kinds.table" in MODULES
    assert "provisioner.plan.build" in GRAPH["provisioner.cli.commands"]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) in LAYERS))
def test_imports_run_down_only(name: str) -> None:
    own = LAYERS[layer(name) or ""]
    upward = sorted(other for other in GRAPH[name]
                    if layer(other) in LAYERS and LAYERS[layer(other) or ""] > own)
    assert upward == [], f"{name} imports a layer above it"


def test_the_emulator_imports_nothing_from_the_core() -> None:
    leaks = {name: sorted(o for o in GRAPH[name] if layer(o) not in ("emulator", None))
             for name in MODULES if layer(name) == "emulator"}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_the_core_reaches_the_emulator_only_through_its_doors() -> None:
    reaching = sorted(name for name in MODULES if layer(name) != "emulator"
                      and any(layer(o) == "emulator" for o in GRAPH[name]))
    assert reaching == sorted(EMULATOR_DOORS)


def test_no_module_imports_another_in_a_circle() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(GRAPH.get(name, ())):
            if other not in GRAPH:
                continue
            if state.get(other) == 1:
                circles.append([*path[path.index(other):], other])
            elif other not in state:
                visit(other, [*path, other])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    # a package's __init__ that re-exports its own modules is not a circle of logic
    circles = [c for c in circles if not all(n.startswith(c[0] + ".") or n == c[0]
                                             for n in c)]
    assert circles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_what_it_is_for(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{name} has no docstring"
