"""Issue 11, finding 4: one request carrying N valid signatures was accepted N times.

Decision D28 (SPEC.md): the replay keys of every signature on a request that verifies are
consumed together, in ONE atomic store step (memory: one lock; SQLite: one transaction; Redis:
one Lua script), so the request is accepted once and none of its signatures can be presented
again alone. Before this decision the replay of a two-signature POST created a second project
(the first candidate failed `nonce_reused`, the second won).
"""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from erc8128.errors import ReplayStoreUnavailable, VerificationError
from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.server import ServerConfig, start_server
from erc8128.state.nonces import MemoryReplayStore, RedisReplayStore, replay_key
from erc8128.state.nonces.base import BatchReplayStore, ReplayStore
from tests.support.demo_client import Agent, send, send_request
from tests.support.redis_server import RedisServer
from tests.support.replay_kit import STORE_KINDS, Kit, store_kit

NOW = 1700000001
KEY_1 = (1).to_bytes(32, "big")
KEY_2 = (2).to_bytes(32, "big")
SIGNER_1 = "eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"


def unsigned() -> Request:
    return Request("POST", "https://api.example/items", (("Content-Type", "application/json"),),
                   b'{"name":"x"}')


def two_signatures(request: Request | None = None, *, created: int = NOW - 1) -> Request:
    first = sign_request(request or unsigned(), KEY_1, created=created, label="a", nonce="n-a")
    return sign_request(first.request, KEY_2, created=created, label="b", nonce="n-b").request


def only(request: Request, label: str) -> Request:
    headers = tuple(
        (name, value) for name, value in request.headers
        if name.lower() not in ("signature-input", "signature") or value.startswith(label + "=")
    )
    return Request(request.method, request.target_uri, headers, request.body)


def reason(request: Request, store: ReplayStore, **kwargs: object) -> str:
    try:
        verify_request(request, now=NOW, nonces=store, **kwargs)  # type: ignore[arg-type]
    except VerificationError as error:
        return error.reason
    return "accepted"


# ----------------------------------------------------------------- the verifier (step 18)


def test_two_signatures_one_acceptance_and_no_signature_left_to_replay() -> None:
    store = MemoryReplayStore()
    request = two_signatures()
    verified = verify_request(request, now=NOW, nonces=store)
    assert (verified.label, verified.nonce_consumed) == ("a", True)
    assert len(store) == 2  # both keys marked by the one acceptance
    assert reason(request, store) == "nonce_reused"
    assert reason(only(request, "b"), store) == "nonce_reused"
    assert reason(only(request, "a"), store) == "nonce_reused"


def test_a_request_with_a_used_signature_marks_nothing() -> None:
    store = MemoryReplayStore()
    request = two_signatures()
    assert reason(only(request, "a"), store) == "accepted"
    with pytest.raises(VerificationError) as info:
        verify_request(request, now=NOW, nonces=store)
    failures = {f.label: f.reason for f in info.value.candidate_failures}
    assert failures == {"a": "nonce_reused", "b": "nonce_reused"}
    assert "another signature on this request was used" in info.value.candidate_failures[1].message
    assert len(store) == 1  # b's key was not marked


def test_a_failing_second_signature_consumes_nothing() -> None:
    store = MemoryReplayStore()
    request = two_signatures()
    # b's Signature member replaced by a's bytes: b no longer verifies.
    a_bytes = next(v for n, v in request.headers if n == "Signature" and v.startswith("a="))
    forged = Request(request.method, request.target_uri, tuple(
        (n, "b=" + a_bytes[2:]) if n == "Signature" and v.startswith("b=") else (n, v)
        for n, v in request.headers), request.body)
    assert verify_request(forged, now=NOW, nonces=store).label == "a"
    assert len(store) == 1
    assert reason(only(request, "b"), store) == "accepted"  # b's own nonce was left alone


def test_one_signer_one_nonce_in_both_profiles_is_one_key() -> None:
    store = MemoryReplayStore()
    draft = sign_request(unsigned(), KEY_1, created=NOW - 1, label="d", nonce="same")
    both = sign_request(draft.request, KEY_1, created=NOW - 1, label="l", nonce="same",
                        profile="legacy").request
    policy = VerifierPolicy(profiles=("draft", "legacy"))
    assert verify_request(both, now=NOW, nonces=store, policy=policy).label == "d"
    assert len(store) == 1
    assert reason(only(both, "l"), store, policy=policy) == "nonce_reused"


def test_a_replayable_signature_on_a_replayed_request_still_wins() -> None:
    store = MemoryReplayStore()
    from erc8128.state.invalidation import MemoryInvalidationState  # noqa: PLC0415

    policy = VerifierPolicy(replay="either")
    state = MemoryInvalidationState()
    keyed = sign_request(unsigned(), KEY_1, created=NOW - 1, label="a", nonce="n-a")
    with_replayable = sign_request(keyed.request, KEY_2, created=NOW - 1, label="r",
                                   replayable=True, nonce=None).request
    kwargs = {"policy": policy, "invalidation": state}
    assert reason(only(with_replayable, "a"), store, **kwargs) == "accepted"
    # Its signer let r be reused: the request is accepted through r, nothing is marked.
    verified = verify_request(with_replayable, now=NOW, nonces=store, policy=policy,
                              invalidation=state)
    assert (verified.label, verified.replayable) == ("r", True)


class SequentialOnly:
    """A third-party store without the batch step (only ``consume``)."""

    def __init__(self) -> None:
        self.inner = MemoryReplayStore()

    def consume(self, key: str, until: int, *, now: float) -> bool:
        return self.inner.consume(key, until, now=now)

    def close(self) -> None:
        self.inner.close()


def test_a_store_without_the_batch_step_still_accepts_once() -> None:
    store = SequentialOnly()
    assert not isinstance(store, BatchReplayStore)
    request = two_signatures()
    assert verify_request(request, now=NOW, nonces=store).label == "a"
    assert reason(only(request, "b"), store) == "nonce_reused"


# ----------------------------------------------------------- the batch step of each store


@pytest.fixture(params=STORE_KINDS)
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    yield from store_kit(request, tmp_path, time.time)


def keys(*nonces: str) -> list[str]:
    return [replay_key(SIGNER_1, nonce) for nonce in nonces]


def test_consume_all_marks_all_or_none(kit: Kit) -> None:
    until = kit.now() + 90
    a, b, c = keys("a", "b", "c")
    assert kit.store.consume_all([(a, until), (b, until)], now=kit.now()) == ()
    assert kit.store.consume_all([(c, until), (b, until)], now=kit.now()) == (b,)
    # Nothing of the refused batch was marked: c is still free.
    assert kit.store.consume_all([(c, until)], now=kit.now()) == ()
    assert kit.store.consume_all([(a, until), (b, until), (c, until)], now=kit.now()) == (a, b, c)


@pytest.mark.parametrize("entries", [[], "ab", [("k",)], [("k", 10), ("k", 10)], [("k", 0)],
                                     [(1, 10)]])
def test_consume_all_bad_entries_fail_closed(kit: Kit, entries: object) -> None:
    with pytest.raises(ReplayStoreUnavailable):
        kit.store.consume_all(entries, now=kit.now())  # type: ignore[arg-type]


def test_consume_all_races_have_one_winner(kit: Kit) -> None:
    until = kit.now() + 90
    batches = [keys("x", "y"), keys("y", "z"), keys("z", "x"), keys("x", "y", "z")] * 4
    results: list[tuple[str, ...]] = []
    barrier = threading.Barrier(len(batches))
    lock = threading.Lock()

    def run(batch: list[str]) -> None:
        barrier.wait()
        used = kit.store.consume_all([(key, until) for key in batch], now=kit.now())
        with lock:
            results.append(used)

    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Every pair of batches shares a key, so exactly one batch can have been marked.
    assert len(results) == len(batches)
    assert sum(1 for used in results if used == ()) == 1


def test_redis_verifier_accepts_a_two_signature_request_once(redis_server: RedisServer) -> None:
    now = int(time.time())
    prefix = f"test:multisig:{time.monotonic_ns()}:"
    request = two_signatures(created=now - 1)
    with RedisReplayStore(redis_server.url, prefix=prefix) as store:
        assert verify_request(request, now=now, nonces=store).label == "a"
        for replay in (request, only(request, "b"), only(request, "a")):
            with pytest.raises(VerificationError) as info:
                verify_request(replay, now=now, nonces=store)
            assert info.value.reason == "nonce_reused"


# ------------------------------------------------------------------- over HTTP (the app)

OWNER = Agent("multisig-owner")
CO_SIGNER = Agent("multisig-co-signer")


def test_one_post_with_two_signatures_creates_one_project() -> None:
    with start_server(ServerConfig(port=0)) as server:
        first = OWNER.sign(server.url, "POST", "/api/projects", {"name": "once"}, label="a")
        both = sign_request(first.request, CO_SIGNER.key, created=int(time.time()), label="b")
        assert send_request(server.bound_url, both.request).status == 201
        replays = [send_request(server.bound_url, both.request),
                   send_request(server.bound_url, only(both.request, "b"))]
        assert [(r.status, r.json()["reason"]) for r in replays] == [(401, "nonce_reused")] * 2
        names = [p["name"] for p in send(server.bound_url, "GET", "/api/projects").json()[
            "projects"]]
        assert names == ["once"]
