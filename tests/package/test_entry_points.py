"""Only the documented entry points declare ``__all__`` (issue 20 item 5, h11's way): the
package's own list is the public surface (docs/API.md), and an implementation module has none,
so what is public is decided in one place."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "reference" / "erc8128"
# The documented entry points (docs/API.md "The package's public surface").
ENTRY_POINTS = frozenset({
    "erc8128",
    "erc8128.cli",
    "erc8128.client",
    "erc8128.integrations",
    "erc8128.integrations.asgi",
    "erc8128.integrations.gate",
    "erc8128.integrations.httpx_auth",
    "erc8128.integrations.requests_auth",
    "erc8128.integrations.wsgi",
    "erc8128.server",
    "erc8128.state.invalidation",
    "erc8128.state.nonces",
})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def declares_all(path: Path) -> bool:
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            return True
    return False


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_only_entry_points_declare_all() -> None:
    declaring = {module_name(path) for path in MODULES if declares_all(path)}
    assert sorted(declaring - ENTRY_POINTS) == [], "implementation modules with their own __all__"


def test_every_entry_point_exists_and_declares_all() -> None:
    names = {module_name(path): path for path in MODULES}
    for entry in sorted(ENTRY_POINTS):
        assert entry in names, f"{entry} is listed as an entry point but does not exist"
        assert declares_all(names[entry]), f"{entry} is an entry point without __all__"
