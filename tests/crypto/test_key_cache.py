"""erc8128.crypto.key_cache (SPEC.md D53): a cached signer key never changes a verdict or a message.

Every verify_request.json and replay.json vector is run three times through verify_request:
without a cache, with a cold cache and with the same cache warm (its keys learnt on the previous
run); the outcomes, the error messages and every candidate's failure must be identical, and the
warm run must actually hit. Then the cache's own rules: the bound, the LRU order, no entry for
an address that did not recover, entries of another backend ignored.
"""

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from erc8128.crypto import accelerate
from erc8128.crypto.accelerate import BackendUnavailable, load_backend, use_backend
from erc8128.crypto.addresses import address_of
from erc8128.crypto.key_cache import DEFAULT_CAPACITY, KeyCacheError, SignerKeyCache
from erc8128.crypto.personal_sign import personal_message_hash, sign_hash
from erc8128.crypto.secp256k1 import N
from erc8128.errors import InvalidSignature, VerificationError
from erc8128.protocol.verify import verify_request
from erc8128_vectors import VECTORS_DIR
from erc8128_vectors import common as vector_runners
from erc8128_vectors import generate as vector_generator


def _backends() -> list[str]:
    names = ["pure"]
    try:
        load_backend("coincurve")
    except BackendUnavailable:
        return names
    return [*names, "coincurve"]


@functools.cache
def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))
    return document


def _tests(name: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for group in _load(name)["testGroups"]:
        for test in group["tests"]:
            yield group, test


def _run_every_vector(
    monkeypatch: pytest.MonkeyPatch, cache: SignerKeyCache | None
) -> tuple[list[Any], list[Any]]:
    """(the vector outcomes, what verify_request returned or raised, in full) for one run."""
    seen: list[Any] = []

    def verify_with_cache(*args: Any, **kwargs: Any) -> Any:
        try:
            verified = verify_request(*args, **kwargs, key_cache=cache)
        except VerificationError as error:
            failures = tuple((f.reason, f.message) for f in error.candidate_failures)
            seen.append(("invalid", error.reason, error.message, failures))
            raise
        seen.append(("valid", verified))
        return verified

    # The runners (imported from generate) call verify_request from the module that holds them.
    monkeypatch.setattr(vector_runners, "verify_request", verify_with_cache)
    outcomes: list[Any] = [
        vector_generator.run_verify(test, group["profile"])
        for group, test in _tests("verify_request.json")
    ]
    outcomes += [
        vector_generator.run_verify_steps(group["profile"], test["policy"], test["steps"])
        for group, test in _tests("replay.json")
    ]
    return outcomes, seen


@pytest.mark.parametrize("backend", _backends())
def test_every_vector_with_the_cache_off_cold_and_warm(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    use_backend(backend)
    try:
        plain = _run_every_vector(monkeypatch, None)
        cache = SignerKeyCache()
        cold = _run_every_vector(monkeypatch, cache)
        after_cold = cache.statistics()
        warm = _run_every_vector(monkeypatch, cache)
        after_warm = cache.statistics()
    finally:
        use_backend(None)
    assert cold == plain
    assert warm == plain
    # The recorded outcomes of the vectors themselves, not only agreement with ourselves.
    recorded = [
        {k: v for k, v in test.items() if k not in {"tcId", "comment", "flags", "draftRow",
                                                    "decision", "request", "now", "policy",
                                                    "prior", "requirement", "explanation",
                                                    "tags", "chain_ids", "textOutcome"}}
        for _, test in _tests("verify_request.json")
    ]
    for outcome, recorded_outcome in zip(plain[0], recorded, strict=False):
        # "acceptable": either outcome conforms; the recorded one is the reference's (a reason
        # means it rejects), as in test_vectors.
        result = None
        if recorded_outcome["result"] == "acceptable":
            result = "invalid" if "reason" in recorded_outcome else "valid"
        assert outcome == {**recorded_outcome, "result": result or recorded_outcome["result"]}
    # The warm run checked repeat signers against cached keys: valid and bad signatures alike.
    assert after_warm.hits > after_cold.hits
    assert after_warm.entries >= 1
    valid_count = sum(1 for entry in warm[1] if entry[0] == "valid")
    assert after_warm.hits - after_cold.hits >= valid_count // 2


# -- the cache's own rules ----------------------------------------------------------------------

KEYS = [(index + 1).to_bytes(32, "big") for index in range(4)]
MESSAGE_HASH = personal_message_hash(b"an ERC-8128 signature base")


def _signature(key: bytes, message_hash: bytes = MESSAGE_HASH) -> bytes:
    return sign_hash(key, message_hash)


@pytest.mark.parametrize("backend_name", _backends())
def test_same_answer_as_recover_address_for_every_kind_of_input(backend_name: str) -> None:
    backend = load_backend(backend_name)
    cache = SignerKeyCache()
    signer = address_of(KEYS[0])
    good = _signature(KEYS[0])
    r, s, v = good[:32], int.from_bytes(good[32:64], "big"), good[64]
    inputs = [
        good,
        _signature(KEYS[1]),  # another signer
        good[:64] + bytes((v ^ 1,)),  # wrong v: recovers another key
        r + (N - s).to_bytes(32, "big") + bytes((v ^ 1,)),  # high s: §3.4.3 rejects it
        good[:64] + bytes((1,)),  # v = 1
        good[:64],  # 64 bytes
        bytes(65),  # r = 0
    ]
    for _ in range(2):  # the second pass runs with the key cached
        for signature in inputs:
            try:
                expected: Any = backend.recover_address(MESSAGE_HASH, signature)
            except InvalidSignature as error:
                expected = (error.reason, error.message)
            try:
                got: Any = cache.recover_address(MESSAGE_HASH, signature, signer, backend)
            except InvalidSignature as error:
                got = (error.reason, error.message)
            assert got == expected
    assert cache.statistics().hits == 1
    assert signer in cache
    assert len(cache) == 1


def test_only_an_address_that_recovered_is_cached() -> None:
    backend = load_backend("pure")
    cache = SignerKeyCache()
    wrong_claim = address_of(KEYS[1])
    recovered = cache.recover_address(MESSAGE_HASH, _signature(KEYS[0]), wrong_claim, backend)
    assert recovered == address_of(KEYS[0])
    assert len(cache) == 0
    # The real signer of KEYS[1] is then verified by recovery, not by a poisoned entry.
    assert cache.recover_address(MESSAGE_HASH, _signature(KEYS[1]), wrong_claim, backend) == (
        wrong_claim
    )
    assert wrong_claim in cache


def test_bound_and_least_recently_used_order() -> None:
    backend = load_backend("pure")
    cache = SignerKeyCache(capacity=2)
    addresses = [address_of(key) for key in KEYS[:3]]
    for key, address in zip(KEYS[:2], addresses, strict=False):
        cache.recover_address(MESSAGE_HASH, _signature(key), address, backend)
    # Touch the first: the second becomes the least recently used and leaves first.
    cache.recover_address(MESSAGE_HASH, _signature(KEYS[0]), addresses[0], backend)
    cache.recover_address(MESSAGE_HASH, _signature(KEYS[2]), addresses[2], backend)
    assert len(cache) == 2
    assert addresses[0] in cache
    assert addresses[1] not in cache
    assert addresses[2] in cache
    statistics = cache.statistics()
    assert (statistics.hits, statistics.misses, statistics.capacity) == (1, 3, 2)


def test_an_entry_of_another_backend_is_not_used() -> None:
    try:
        coincurve = load_backend("coincurve")
    except BackendUnavailable:
        pytest.skip("coincurve is not installed (pip install '.[fast]')")
    pure = load_backend("pure")
    cache = SignerKeyCache()
    signer = address_of(KEYS[0])
    cache.recover_address(MESSAGE_HASH, _signature(KEYS[0]), signer, pure)
    assert cache.recover_address(MESSAGE_HASH, _signature(KEYS[0]), signer, coincurve) == signer
    assert cache.statistics().hits == 0
    # Re-learnt for coincurve, which then hits.
    assert cache.recover_address(MESSAGE_HASH, _signature(KEYS[0]), signer, coincurve) == signer
    assert cache.statistics().hits == 1


@pytest.mark.parametrize("capacity", [0, -1, 1.5, True, "8"])
def test_capacity_must_be_a_positive_integer(capacity: Any) -> None:
    with pytest.raises(KeyCacheError) as raised:
        SignerKeyCache(capacity=capacity)
    assert raised.value.reason == "cache_capacity"


def test_default_capacity() -> None:
    assert SignerKeyCache().statistics().capacity == DEFAULT_CAPACITY


def test_the_backend_hooks_exist_on_every_backend() -> None:
    for name in _backends():
        backend = accelerate.load_backend(name)
        public_key = backend.recover_public_key(MESSAGE_HASH, _signature(KEYS[3]))
        prepared = backend.prepare_public_key(public_key)
        assert backend.signed_by(prepared, MESSAGE_HASH, _signature(KEYS[3]))
        assert not backend.signed_by(prepared, MESSAGE_HASH, _signature(KEYS[2]))
