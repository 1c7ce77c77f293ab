"""Interop in both directions with the TypeScript SDK `@slicekit/erc8128` 0.2.0 (legacy profile):
requests it signs verify here, requests we sign verify there, and the signatures are the same
bytes when both sides sign the same base (RFC 6979). Where the SDK deviates from the February
text, the scenario names the entry of `conformance/adapters/slicekit/deviations.json` that
explains it, so a change in the SDK's behaviour fails this test."""

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.memory import MemoryReplayStore

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = ROOT / "conformance/adapters/slicekit"
DEVIATIONS = {d["id"] for d in json.loads((ADAPTER_DIR / "deviations.json").read_text())}
KEY = bytes.fromhex("00" * 31 + "01")
CREATED = 1700000000
NOW = CREATED + 1
LEGACY = VerifierPolicy(profiles=("legacy",))


class Adapter:
    """A minimal JSON-lines client for one adapter process."""

    def __init__(self) -> None:
        if not (ADAPTER_DIR / "node_modules").is_dir():
            pytest.fail("run: npm ci --prefix conformance/adapters/slicekit")
        self.process = subprocess.Popen(
            ["node", str(ADAPTER_DIR / "adapter.mjs")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.seq = 0

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"seq": self.seq, "op": op, **fields}) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        assert answer["seq"] == self.seq
        return answer

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def adapter() -> Iterator[Adapter]:
    running = Adapter()
    yield running
    running.close()


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    # None: interoperates; else the deviations.json id that explains why it does not.
    ours_to_theirs: str | None = None
    theirs_to_ours: str | None = None


SCENARIOS = [
    Scenario("get-no-query", "GET", "https://api.example/items", (), None),
    Scenario("get-query", "GET", "https://api.example/items?view=full&x=%41", (), None),
    Scenario("post-json", "POST", "https://api.example/items",
             (("content-type", "application/json"),), b'{"hello":"world"}'),
    Scenario("post-json-query", "POST", "https://api.example/items?view=full",
             (("content-type", "application/json"),), b'{"hello":"world"}'),
    Scenario("put-port", "PUT", "https://api.example:8443/a/b", (), b"x"),
]


def to_wire(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "url": request.target_uri,
        "headers": [list(h) for h in request.headers],
        "body_hex": None if request.body is None else request.body.hex(),
    }


def from_wire(scenario: Scenario, headers: list[list[str]]) -> Request:
    return Request(scenario.method, scenario.url, tuple((n, v) for n, v in headers), scenario.body)


def request_of(scenario: Scenario) -> Request:
    return Request(scenario.method, scenario.url, scenario.headers, scenario.body)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_ours_verify_there(adapter: Adapter, scenario: Scenario) -> None:
    signed = sign_request(request_of(scenario), KEY, profile="legacy", created=CREATED,
                          nonce=f"ours-{scenario.name}")
    answer = adapter.call("verify_request", profile="legacy", request=to_wire(signed.request),
                          now=NOW, policy={}, replay_session=f"o-{scenario.name}")
    if scenario.ours_to_theirs is None:
        assert "ok" in answer, answer
        assert answer["ok"]["address"] == "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
    else:
        assert scenario.ours_to_theirs in DEVIATIONS
        assert "error" in answer, answer


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_theirs_verify_here(adapter: Adapter, scenario: Scenario) -> None:
    answer = adapter.call(
        "sign_request", profile="legacy", request=to_wire(request_of(scenario)),
        private_key_hex=KEY.hex(), chain_id=1, created=CREATED, expires=CREATED + 60,
        nonce=f"theirs-{scenario.name}", label="eth", components=None, params={},
    )
    assert "ok" in answer, answer
    received = from_wire(scenario, answer["ok"]["headers"])
    nonces = MemoryReplayStore()
    if scenario.theirs_to_ours is None:
        result = verify_request(received, now=NOW, nonces=nonces, policy=LEGACY)
        assert result.address == "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        assert result.request_bound and not result.replayable
        # Same base, same key → the same signature bytes (both sides use RFC 6979).
        ours = sign_request(
            Request(scenario.method, scenario.url,
                    tuple(h for h in received.headers
                          if h[0].lower() not in ("signature", "signature-input")),
                    scenario.body),
            KEY, profile="legacy", created=CREATED, nonce=f"theirs-{scenario.name}",
            components=[c.strip('"') for c in result.covered_components],
        )
        assert ours.signature_base == result.signature_base
        assert ", ".join(received.field_lines("signature")) == ", ".join(
            ours.request.field_lines("signature"))
    else:
        assert scenario.theirs_to_ours in DEVIATIONS
        with pytest.raises(VerificationError):
            verify_request(received, now=NOW, nonces=nonces, policy=LEGACY)


def test_whitespace_inside_a_covered_value_breaks_interop(adapter: Adapter) -> None:
    """Deviation field-whitespace-collapsed-verify: the SDK collapses internal whitespace."""
    assert "field-whitespace-collapsed-verify" in DEVIATIONS
    request = Request("GET", "https://api.example/items", (("x-note", "a  b"),))
    signed = sign_request(request, KEY, profile="legacy", created=CREATED, nonce="ws",
                          components=["@authority", "@method", "@path", "x-note"])
    answer = adapter.call("verify_request", profile="legacy", request=to_wire(signed.request),
                          now=NOW, policy={}, replay_session="ws")
    assert answer.get("error", {}).get("reason") == "bad_signature", answer
    assert verify_request(signed.request, now=NOW, policy=LEGACY,
                          nonces=MemoryReplayStore()).address


def test_absent_query_covered_breaks_interop(adapter: Adapter) -> None:
    """Deviation query-absent-verify: the SDK takes `@query` as "" when there is no query."""
    assert "query-absent-verify" in DEVIATIONS
    request = Request("GET", "https://api.example/items", ())
    signed = sign_request(request, KEY, profile="legacy", created=CREATED, nonce="q",
                          components=["@authority", "@method", "@path", "@query"])
    answer = adapter.call("verify_request", profile="legacy", request=to_wire(signed.request),
                          now=NOW, policy={}, replay_session="q")
    assert answer.get("error", {}).get("reason") == "bad_signature", answer


def test_the_replay_is_refused_on_both_sides(adapter: Adapter) -> None:
    signed = sign_request(request_of(SCENARIOS[0]), KEY, profile="legacy", created=CREATED,
                          nonce="replay-both")
    first = adapter.call("verify_request", profile="legacy", request=to_wire(signed.request),
                         now=NOW, policy={}, replay_session="replay-both")
    second = adapter.call("verify_request", profile="legacy", request=to_wire(signed.request),
                          now=NOW, policy={}, replay_session="replay-both")
    assert "ok" in first and second["error"]["reason"] == "nonce_reused"
