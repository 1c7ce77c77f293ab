"""The package shows its layers: each module imports only from its own layer and the layers below.

    base (errors, reasons) < crypto < http < state < protocol < chain < client < integrations
    < server < cli

``erc8128/__init__.py`` (the public surface) and ``__main__`` sit on top and may import
anything. The check reads every module's imports
with :mod:`ast` (function-local imports included), so a layer violation cannot hide in a function.

Within a layer, the same graph has no circle: no module imports, however indirectly, a module
that imports it (``TYPE_CHECKING`` and function-level imports count).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reference" / "erc8128"
ORDER = ("base", "crypto", "http", "state", "protocol", "chain", "client", "integrations",
         "server", "cli")
BASE = frozenset({"errors", "reasons", "_version"})
FACADES = frozenset({"erc8128", "erc8128.__main__"})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """The layer of an ``erc8128`` module name, or None for a facade or a foreign module."""
    parts = module.split(".")
    if parts[0] != "erc8128" or module in FACADES:
        return None
    if len(parts) == 1:
        return None
    if parts[1] in BASE:
        return "base"
    assert parts[1] in ORDER, (
        f"{module} is in no layer: add it to one (tests/package/test_layers.py)")
    return parts[1]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # "from erc8128.crypto import keccak" imports the module erc8128.crypto.keccak
            folder = PACKAGE.parent / node.module.replace(".", "/")
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if (folder / alias.name).is_dir() or (folder / f"{alias.name}.py").exists()
            )
    return {name for name in names if name == "erc8128" or name.startswith("erc8128.")}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_a_layer() -> None:
    for path in MODULES:
        name = module_name(path)
        if name not in FACADES:
            assert layer_of(name) in ORDER, name


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_go_down_the_layers(path: Path) -> None:
    name = module_name(path)
    own = layer_of(name)
    if own is None:
        return  # a facade: erc8128/__init__.py re-exports on purpose
    for target in sorted(imported(path)):
        if target == "erc8128":
            raise AssertionError(f"{name} imports the package facade erc8128; import the module")
        theirs = layer_of(target)
        if theirs is None:
            continue
        assert ORDER.index(theirs) <= ORDER.index(own), (
            f"{name} (layer {own}) imports {target} (layer {theirs}): expected a layer at or "
            f"below {own}"
        )


def import_graph() -> dict[str, frozenset[str]]:
    """Each package module and the package modules it imports (module or function level)."""
    names = {module_name(path): path for path in MODULES}
    return {
        name: frozenset(target for target in imported(path) if target in names and target != name)
        for name, path in names.items()
    }


def find_circle(graph: dict[str, frozenset[str]]) -> list[str] | None:
    """One import circle (first module repeated at the end), or None: a depth-first search."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        trail: list[str] = [start]
        on_trail = {start}
        pending = [iter(sorted(graph[start]))]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                pending.pop()
                done.add(trail[-1])
                on_trail.discard(trail.pop())
            elif target in on_trail:
                return [*trail[trail.index(target):], target]
            elif target not in done:
                trail.append(target)
                on_trail.add(target)
                pending.append(iter(sorted(graph[target])))
    return None


def test_find_circle_finds_one() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}),
             "d": frozenset({"a"})}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    acyclic = {"a": frozenset({"b"}), "b": frozenset(), "c": frozenset({"a", "b"})}
    assert find_circle(acyclic) is None


def test_the_import_graph_has_no_circle() -> None:
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])
