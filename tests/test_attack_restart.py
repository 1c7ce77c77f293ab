"""Issue 11, finding 1: replay after a restart.

With ``--nonces memory`` a restart forgot the nonces used before it, so a captured request was
accepted again inside its window (and a signer's early-invalidation not-before was forgotten).
Decision D27 (SPEC.md): the memory replay store and invalidation state of ``erc8128 serve``
are restart-safe by default; a signature whose window opened before the process started
(``created - skew < started_at``) is refused before any cryptography, with
``request_validity_too_long`` (Non-Replayable, ERC-8128 §3.1.2) or ``replayable_not_allowed``
(Replayable, as an invalidation would, D17). SQLite and Redis keep their state across restarts.

The process tests run ``erc8128 serve`` with ``--skew 1`` so the guard lasts about a second.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pytest

from erc8128.cli.serve_cli import _configure, config_from_args
from erc8128.errors import ReplayStoreUnavailable, VerificationError
from erc8128.http.message import Request
from erc8128.protocol.accounts import NoCodeAccountState
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.server.lifecycle import make_invalidation_state, make_replay_store
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces import MemoryReplayStore
from test_server_processes import PUBLIC_URL, serve, stop
from test_server_support import Agent, send_request

NOW = 1700000100
KEY = (1).to_bytes(32, "big")
SKEW = 30


def signed(created: int, *, nonce: str | None = "n-1", expires: int | None = None) -> Request:
    request = Request("GET", "https://api.example/items", (), None)
    return sign_request(request, KEY, created=created, expires=expires, nonce=nonce,
                        replayable=nonce is None).request


def refusal(request: Request, **kwargs: object) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_request(request, now=NOW, **kwargs)  # type: ignore[arg-type]
    return info.value


class CountingAccounts(NoCodeAccountState):
    """Counts the account-state lookups: zero means no cryptography was reached."""

    def __init__(self) -> None:
        self.calls = 0

    def get_code(self, account: Account) -> bytes:
        self.calls += 1
        return super().get_code(account)


# ------------------------------------------------------------------ the verifier (step 14)


def test_window_opened_before_the_start_is_refused_before_cryptography() -> None:
    store = MemoryReplayStore(clock=lambda: NOW, started_at=NOW, restart_safe=True)
    accounts = CountingAccounts()
    # A window opened 1 s before the start (created - skew = NOW - 1).
    request = signed(NOW - 1 + SKEW - 1)
    error = refusal(request, nonces=store, accounts=accounts)
    assert (error.reason, error.status) == ("request_validity_too_long", 401)
    assert "restarted" in error.message
    assert accounts.calls == 0 and len(store) == 0
    # A garbage signature gets the same answer: the check precedes cryptography.
    garbage = Request(request.method, request.target_uri, tuple(
        (n, "eth=:" + "A" * 88 + ":") if n == "Signature" else (n, v)
        for n, v in request.headers), None)
    assert refusal(garbage, nonces=store).reason == "request_validity_too_long"


def test_window_opened_at_the_start_is_accepted() -> None:
    store = MemoryReplayStore(clock=lambda: NOW, started_at=NOW - SKEW, restart_safe=True)
    assert verify_request(signed(NOW), now=NOW, nonces=store).nonce_consumed
    assert refusal(signed(NOW), nonces=store).reason == "nonce_reused"


def test_plain_memory_store_has_no_horizon() -> None:
    store = MemoryReplayStore(clock=lambda: NOW, started_at=NOW)
    assert store.remembers_since() is None
    assert verify_request(signed(NOW - 1), now=NOW, nonces=store).nonce_consumed


def test_restart_safe_invalidation_state_refuses_older_replayable_windows() -> None:
    policy = VerifierPolicy(replay="either")
    nonces = MemoryReplayStore(clock=lambda: NOW)
    state = MemoryInvalidationState(restart_safe=True, started_at=NOW)
    accounts = CountingAccounts()
    error = refusal(signed(NOW - 1, nonce=None), nonces=nonces, policy=policy,
                    invalidation=state, accounts=accounts)
    assert (error.reason, accounts.calls) == ("replayable_not_allowed", 0)
    assert "invalidation state is retained from" in error.message
    fresh = signed(NOW + SKEW, nonce=None)
    assert verify_request(fresh, now=NOW + SKEW, nonces=nonces, policy=policy,
                          invalidation=state).replayable
    # Non-Replayable signatures are the replay store's business: no horizon there.
    assert verify_request(signed(NOW - 1), now=NOW, nonces=nonces, policy=policy,
                          invalidation=state).nonce_consumed


def test_memory_consume_all_honours_the_window() -> None:
    store = MemoryReplayStore(clock=lambda: NOW, started_at=NOW, restart_safe=True)
    with pytest.raises(ReplayStoreUnavailable):
        store.consume_all([("k", NOW + 90)])
    with pytest.raises(ReplayStoreUnavailable):
        store.consume_all([("k", NOW + 90)], window_start=NOW - 1)
    assert store.consume_all([("k", NOW + 90)], window_start=NOW) == ()


def test_serve_turns_the_guard_on_for_memory_and_offers_an_opt_out() -> None:
    parser = argparse.ArgumentParser()
    _configure(parser)
    assert config_from_args(parser.parse_args([])).restart_safe is True
    assert config_from_args(parser.parse_args(["--no-restart-guard"])).restart_safe is False
    store = make_replay_store("memory", restart_safe=True)
    state = make_invalidation_state("memory", restart_safe=True)
    assert isinstance(store, MemoryReplayStore) and isinstance(state, MemoryInvalidationState)
    assert store.remembers_since() == store.started_at
    assert state.remembers_since() == state.started_at


# --------------------------------------------------- erc8128 serve, restarted, over loopback

AGENT = Agent("restart-agent")
OPTIONS = ("--public-url", PUBLIC_URL, "--skew", "1", "--max-validity", "10", "--quiet")


def wait_out_the_guard(listening_at: float, skew: int = 1) -> None:
    """Sleep until a request signed now has a window opening after the process started."""
    ready = math.ceil(listening_at) + skew
    while int(time.time()) < ready:
        time.sleep(0.05)


def project(name: str) -> Request:
    return AGENT.sign(PUBLIC_URL, "POST", "/api/projects", {"name": name},
                      expires=int(time.time()) + 10).request


@pytest.mark.slow
def test_a_request_accepted_before_a_restart_is_refused_after_it() -> None:
    with serve(*OPTIONS) as (url, process, _):
        wait_out_the_guard(time.time())
        captured = project("before the restart")
        assert send_request(url, captured).status == 201
        assert stop(process)[0] == 0
    with serve(*OPTIONS) as (url, process, _):
        started = time.time()
        replay = send_request(url, captured)
        assert (replay.status, replay.json()["reason"]) == (401, "request_validity_too_long")
        wait_out_the_guard(started)
        assert send_request(url, project("after the restart")).status == 201


@pytest.mark.slow
def test_without_the_guard_the_replay_is_accepted() -> None:
    """The attack the guard stops (issue 11, finding 1), reproduced with --no-restart-guard."""
    options = (*OPTIONS, "--no-restart-guard")
    with serve(*options) as (url, process, _):
        captured = project("twice")
        assert send_request(url, captured).status == 201
        assert stop(process)[0] == 0
    with serve(*options) as (url, _, _):
        assert send_request(url, captured).status == 201


def invalidate_before(created: int) -> Request:
    return AGENT.sign(PUBLIC_URL, "POST", "/api/signatures/invalidate",
                      {"not_before": created + 1}, expires=int(time.time()) + 10).request


@pytest.mark.slow
@pytest.mark.parametrize(("guard", "after_restart"),
                         [((), (401, "replayable_not_allowed")),
                          (("--no-restart-guard",), (200, None))])
def test_an_invalidated_replayable_signature_stays_invalid_after_a_restart(
    guard: tuple[str, ...], after_restart: tuple[int, str | None]
) -> None:
    """Without the guard (the second case) the forgotten not-before re-opens the signature."""
    options = (*OPTIONS, *guard)
    with serve(*options) as (url, process, _):
        wait_out_the_guard(time.time())
        created = int(time.time())
        whoami = AGENT.sign(PUBLIC_URL, "GET", "/api/whoami", created=created,
                            expires=created + 10, replayable=True).request
        assert send_request(url, whoami).status == 200
        assert send_request(url, invalidate_before(created)).status == 200
        assert send_request(url, whoami).json()["reason"] == "replayable_not_allowed"
        assert stop(process)[0] == 0
    with serve(*options) as (url, _, _):
        reply = send_request(url, whoami)
        assert (reply.status, reply.json().get("reason")) == after_restart


@pytest.mark.slow
def test_sqlite_state_needs_no_guard(tmp_path: Path) -> None:
    options = (*OPTIONS, "--nonces", f"sqlite:{tmp_path}/state.db")
    with serve(*options) as (url, process, _):
        captured = project("kept")  # right after the start: no guard with a persistent store
        assert send_request(url, captured).status == 201
        assert stop(process)[0] == 0
    with serve(*options) as (url, _, _):
        assert send_request(url, captured).json()["reason"] == "nonce_reused"

