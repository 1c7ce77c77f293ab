"""The ERC-8128 draft's own test fixture (vectors/third_party/erc8128-draft/test-cases.json),
as request values the tests mutate row by row."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128_vectors.common import with_field

__all__ = [
    "ADDRESS", "CASES", "LABEL", "NOW", "POSITIVE", "PRIVATE_KEY", "SIGNATURE_BASE", "field",
    "positive_request", "rejects", "store", "verify", "with_field", "without",
]

ROOT = Path(__file__).resolve().parents[2]
CASES: dict[str, Any] = json.loads(
    (ROOT / "vectors/third_party/erc8128-draft/test-cases.json").read_text()
)
POSITIVE = CASES["positive"]
PRIVATE_KEY = bytes.fromhex(CASES["fixture"]["private_key"][2:])
ADDRESS: str = CASES["fixture"]["address"]
NOW: int = CASES["verifier_settings"]["now"]
SIGNATURE_BASE: str = POSITIVE["signature_base"]
LABEL: str = POSITIVE["label"]


def positive_request() -> Request:
    raw = POSITIVE["request"]
    return Request(
        method=raw["method"],
        target_uri="https://api.example" + raw["target"],
        headers=tuple((name, value) for name, value in raw["headers"]),
        body=raw["body"].encode("ascii"),
    )


def without(request: Request, name: str) -> Request:
    return replace(
        request, headers=tuple(h for h in request.headers if h[0].lower() != name.lower())
    )


def field(request: Request, name: str) -> str:
    return ", ".join(request.field_lines(name))


def store() -> MemoryReplayStore:
    """A fresh replay store (it expires marks at the ``now`` the verifier hands it)."""
    return MemoryReplayStore()


def verify(request: Request, **kwargs: object) -> Verified:
    """``verify_request`` at the fixture's ``now`` with a fresh replay store, unless given."""
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("nonces", store())
    return verify_request(request, **kwargs)  # type: ignore[arg-type]


def rejects(request: Request, reason: str, **kwargs: object) -> VerificationError:
    """Assert that ``verify`` refuses ``request`` with ``reason``; the error, for more checks."""
    with pytest.raises(VerificationError) as info:
        verify(request, **kwargs)
    assert info.value.reason == reason, info.value.message
    return info.value
