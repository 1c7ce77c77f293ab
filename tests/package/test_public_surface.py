"""The package's public surface is deliberate: ``erc8128.__all__`` holds what an integrator needs,
and docs/API.md ("The package's public surface") describes every exported name."""

import re
from pathlib import Path

import erc8128

API = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def documented_names() -> set[str]:
    """The names in the first column of docs/API.md's public-surface table."""
    text = API.read_text()
    section = text[text.index("## The package's public surface"):]
    section = section[: section.index("\n## ", 1)]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", line.split(" | ")[0]))
    return names


def test_every_exported_name_is_documented() -> None:
    missing = sorted(set(erc8128.__all__) - documented_names())
    assert missing == [], f"exported by erc8128 but not in docs/API.md's table: {missing}"


def test_every_documented_name_is_exported() -> None:
    extra = sorted(documented_names() - set(erc8128.__all__))
    assert extra == [], f"in docs/API.md's table but not exported by erc8128: {extra}"


def test_every_exported_name_exists() -> None:
    for name in erc8128.__all__:
        assert hasattr(erc8128, name), name


def test_what_an_integrator_needs_is_exported() -> None:
    # issue 20: the surface lacked what answering a failure and keeping state need.
    for name in ("failure_response", "ReplayStore", "MemoryInvalidationState", "http_status",
                 "sign_request", "verify_request", "VerifierPolicy", "MemoryReplayStore"):
        assert name in erc8128.__all__, name
