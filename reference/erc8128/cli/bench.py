"""``erc8128 bench``: median timings of the crypto core on this machine, peers as ratios.

Times Keccak-256 (one 136-byte block and a 450-byte signature base), ERC-191 signing and strict
recovery for the pure-Python path and the accelerated backend (erc8128.crypto.accelerate), and, in
the same run, the same operations in independent libraries when they are installed: pycryptodome's
Keccak and ``ecdsa`` (RFC 6979 signing, ``VerifyingKey.from_public_key_recovery_with_digest``).
Every figure is the median over several repeats of ``timeit``; ``--quick`` runs few iterations
(for tests: the numbers are then rough). Peers are imported lazily, here only.

Columns: ``pure`` (the standard-library code), ``accelerated`` (the coincurve backend of
erc8128.crypto.accelerate, whose Keccak is pycryptodome's), then the peers called directly.

Reading the recovery row: ``recover_address`` includes the Keccak-256 of the public key and
the address; ``ecdsa`` only recovers its candidate public keys, so the comparison favours it.

The ``verify_request`` row times the whole verification of a signed POST with a JSON body
(draft profile, Non-Replayable, every request signed before timing): ``pure`` and
``accelerated`` as above, and ``+cache`` with a :class:`~erc8128.crypto.key_cache.SignerKeyCache`
(one recovery for the signer, then verification against its cached key, SPEC.md D53).
benchmarks/bench_verify.py prints the same measurement for both profiles beside
``@slicekit/erc8128`` verifying in-process, with the ratios.
"""

import argparse
import hashlib
import platform
import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from erc8128.cli.command import add_command, run_alone
from erc8128.crypto import keccak, personal_sign
from erc8128.crypto.accelerate import Backend, BackendUnavailable, load_backend, use_backend
from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.http.message import Request
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.memory import MemoryReplayStore

PRIVATE_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
BLOCK = bytes(range(136))
# The longest message that fits one Keccak-256 block (rate 136 bytes, padding needs >= 1 byte):
# its time is the time of one permutation, the "per 136-byte block" figure of issue #2.
ONE_BLOCK = bytes(range(135))


def _signature_base(length: int) -> bytes:
    """An RFC 9421 signature base shaped like ERC-8128's, padded (in the nonce) to ``length``."""
    head = (
        '"@method": POST\n'
        '"@authority": api.example.com\n'
        '"@path": /v1/orders\n'
        '"@query": ?a=1&b=two\n'
        '"content-type": application/json\n'
        '"content-digest": sha-256=:k6I5cakU5erL8KjSUVTNownDwccvu5kU1Hxg88toFYg=:\n'
        '"@signature-params": ("@method" "@authority" "@path" "@query" "content-type" '
        '"content-digest");created=1700000000;expires=1700000060;nonce="'
    )
    tail = '";keyid="erc8128:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf";tag="erc8128"'
    nonce = "n" * (length - len(head) - len(tail))
    return (head + nonce + tail).encode("ascii")


SIGNATURE_BASE = _signature_base(450)

# Targets of the project's issue #2 for the pure path (seconds; ratio against ecdsa).
TARGETS = {
    "recover_address": 0.6e-3,
    "sign_hash": 0.4e-3,
    "recover_vs_ecdsa": 5.0,
    "keccak_block": 0.1e-3,
}


@dataclass(frozen=True)
class Row:
    """One operation: (implementation, median seconds per call) in display order."""

    operation: str
    timings: tuple[tuple[str, float], ...]
    # The implementation the pure path is compared with in the ratio, if measured.
    peer: str | None = None


def measure(function: Callable[[], object], *, quick: bool) -> float:
    """Median seconds per call of ``function`` over timeit repeats (warm-up call first)."""
    function()
    if quick:
        return statistics.median(timeit.repeat(function, number=1, repeat=3))
    single = min(timeit.repeat(function, number=1, repeat=3))
    number = max(1, int(0.02 / max(single, 1e-9)))
    repeats = timeit.repeat(function, number=number, repeat=15)
    return statistics.median(repeats) / number


def _ecdsa_peer() -> dict[str, Callable[[], object]] | None:
    """Sign and recover closures for the ``ecdsa`` package, or None if it is not installed."""
    try:
        import ecdsa  # noqa: PLC0415 - a peer, imported only when benchmarking
        from ecdsa.util import sigencode_string  # noqa: PLC0415
    except ImportError:
        return None
    signing_key = ecdsa.SigningKey.from_string(PRIVATE_KEY, curve=ecdsa.SECP256k1)
    message_hash = personal_sign.personal_message_hash(SIGNATURE_BASE)
    signature = personal_sign.sign_hash(PRIVATE_KEY, message_hash)

    def sign() -> object:
        return signing_key.sign_digest_deterministic(
            message_hash, hashfunc=hashlib.sha256, sigencode=sigencode_string
        )

    def recover() -> object:
        return ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
            signature[:64], message_hash, ecdsa.SECP256k1
        )

    return {"sign": sign, "recover": recover}


def _pycryptodome_keccak() -> Callable[[bytes], bytes] | None:
    try:
        from Crypto.Hash import keccak as pycryptodome_keccak  # noqa: PLC0415 - a peer
    except ImportError:
        return None

    def digest(data: bytes) -> bytes:
        result: bytes = pycryptodome_keccak.new(digest_bits=256, data=data).digest()
        return result

    return digest


# -- verify_request: the whole verification, pure or accelerated, with or without the key cache --

VERIFY_TARGET_URI = "https://api.example/items?view=full"
VERIFY_BODY = b'{"hello":"world","items":[1,2,3]}'
VERIFY_CREATED = 1700000000
VERIFY_CONFIGURATIONS = ("pure", "pure+cache", "accelerated", "accelerated+cache")
_BACKEND_OF = {"pure": "pure", "accelerated": "coincurve"}


def signed_requests(count: int, profile: ProfileName) -> list[Request]:
    """``count`` POSTs with a JSON body signed by PRIVATE_KEY, each with its own nonce."""
    request = Request(
        "POST", VERIFY_TARGET_URI, (("Content-Type", "application/json"),), VERIFY_BODY
    )
    return [
        sign_request(
            request, PRIVATE_KEY, created=VERIFY_CREATED, profile=profile, nonce=f"n{index}"
        ).request
        for index in range(count)
    ]


@dataclass(frozen=True)
class VerifyTiming:
    """Seconds per verify_request call in one configuration, one figure per repeat."""

    configuration: str
    wall_seconds: tuple[float, ...]
    cpu_seconds: tuple[float, ...]

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)


def time_verify_request(
    requests: Sequence[Request], profile: ProfileName, configuration: str, *, repeats: int
) -> VerifyTiming:
    """Verify every request once per repeat (a fresh replay store and key cache each time).

    With ``+cache`` the first request of a repeat recovers the signer's key and the others are
    checked against it: the steady state of one agent calling a server again and again.
    """
    backend_name, _, cache_flag = configuration.partition("+")
    policy = VerifierPolicy(profiles=(profile,))
    now = VERIFY_CREATED + 1
    walls: list[float] = []
    cpus: list[float] = []
    use_backend(_BACKEND_OF[backend_name])
    try:
        verify_request(requests[0], now=now, nonces=MemoryReplayStore(),
                       policy=policy)  # warm-up: lazy tables, imports
        for _ in range(repeats):
            nonces = MemoryReplayStore()
            cache = SignerKeyCache() if cache_flag == "cache" else None
            wall_start = time.perf_counter()
            cpu_start = time.process_time()
            for request in requests:
                verify_request(request, now=now, nonces=nonces, policy=policy, key_cache=cache)
            cpus.append((time.process_time() - cpu_start) / len(requests))
            walls.append((time.perf_counter() - wall_start) / len(requests))
    finally:
        use_backend(None)
    return VerifyTiming(configuration, tuple(walls), tuple(cpus))


def verify_request_timings(
    *, count: int, repeats: int, profile: ProfileName = "draft"
) -> list[VerifyTiming]:
    """Every configuration of VERIFY_CONFIGURATIONS whose backend is installed."""
    requests = signed_requests(count, profile)
    timings = []
    for configuration in VERIFY_CONFIGURATIONS:
        try:
            load_backend(_BACKEND_OF[configuration.partition("+")[0]])
        except BackendUnavailable:
            continue
        timings.append(time_verify_request(requests, profile, configuration, repeats=repeats))
    return timings


def run_benchmarks(*, quick: bool) -> list[Row]:
    """Measure every row; implementations that are not installed are left out."""
    pure = load_backend("pure")
    try:
        accelerated: Backend | None = load_backend("coincurve")
    except BackendUnavailable:
        accelerated = None
    ecdsa_peer = _ecdsa_peer()
    pycryptodome_keccak = _pycryptodome_keccak()
    message_hash = pure.personal_message_hash(SIGNATURE_BASE)
    signature = pure.sign_hash(PRIVATE_KEY, message_hash)

    rows = []
    # "accelerated" is the coincurve backend of erc8128.crypto.accelerate (its Keccak is
    # pycryptodome's); "pycryptodome" and "ecdsa" are the peers, called directly.
    for label, data in (
        ("keccak256 135 B (1 block)", ONE_BLOCK),
        ("keccak256 136 B", BLOCK),
        ("keccak256 450 B", SIGNATURE_BASE),
    ):
        timings = [("pure", measure(partial(keccak.keccak256, data), quick=quick))]
        if accelerated is not None:
            timings.append(
                ("accelerated", measure(partial(accelerated.keccak256, data), quick=quick))
            )
        if pycryptodome_keccak is not None:
            timings.append(
                ("pycryptodome", measure(partial(pycryptodome_keccak, data), quick=quick))
            )
        rows.append(Row(label, tuple(timings), "pycryptodome" if pycryptodome_keccak else None))

    backends = [("pure", pure)] + ([("accelerated", accelerated)] if accelerated else [])

    def against_ecdsa(label: str, timings: list[tuple[str, float]], peer_call: str) -> Row:
        """The row ``label``: ``timings``, then the ecdsa peer's ``peer_call`` if installed."""
        if ecdsa_peer is not None:
            timings.append(("ecdsa", measure(ecdsa_peer[peer_call], quick=quick)))
        return Row(label, tuple(timings), "ecdsa" if ecdsa_peer else None)

    rows.append(against_ecdsa("sign_hash", [
        (name, measure(partial(backend.sign_hash, PRIVATE_KEY, message_hash), quick=quick))
        for name, backend in backends
    ], "sign"))

    sign_message_timings = [
        (name, measure(partial(backend.sign_message, PRIVATE_KEY, SIGNATURE_BASE), quick=quick))
        for name, backend in backends
    ]
    rows.append(Row("sign_message 450 B", tuple(sign_message_timings)))

    rows.append(against_ecdsa("recover_address", [
        (name, measure(partial(backend.recover_address, message_hash, signature), quick=quick))
        for name, backend in backends
    ], "recover"))
    rows.append(against_ecdsa("recover_public_key", [
        ("pure", measure(partial(pure.recover_public_key, message_hash, signature), quick=quick))
    ], "recover"))

    verify_timings = verify_request_timings(
        count=5 if quick else 200, repeats=1 if quick else 5, profile="draft"
    )
    rows.append(
        Row(
            "verify_request POST+JSON draft",
            tuple((timing.configuration, timing.wall) for timing in verify_timings),
        )
    )
    return rows


def _ratio_text(pure_seconds: float, peer: str, peer_seconds: float) -> str:
    if pure_seconds <= peer_seconds:
        return f"pure is {peer_seconds / pure_seconds:.1f}× faster than {peer}"
    return f"pure is {pure_seconds / peer_seconds:.1f}× slower than {peer}"


def format_row(row: Row) -> str:
    """``operation: impl 0.123 ms, impl 0.456 ms → pure is 3.7× faster than peer``."""
    timings = dict(row.timings)
    parts = ", ".join(f"{name} {seconds * 1e3:.3f} ms" for name, seconds in row.timings)
    line = f"{row.operation}: {parts}"
    if row.peer is not None and row.peer in timings:
        line += " → " + _ratio_text(timings["pure"], row.peer, timings[row.peer])
    return line


def _target_lines(rows: list[Row]) -> list[str]:
    by_operation = {row.operation: dict(row.timings) for row in rows}
    lines = []
    recover = by_operation["recover_address"]["pure"]
    sign = by_operation["sign_hash"]["pure"]
    verdict = {True: "met", False: "MISSED"}
    lines.append(
        f"target recover_address pure <= {TARGETS['recover_address'] * 1e3:.1f} ms: "
        f"{recover * 1e3:.3f} ms, {verdict[recover <= TARGETS['recover_address']]}"
    )
    if "ecdsa" in by_operation["recover_address"]:
        ratio = by_operation["recover_address"]["ecdsa"] / recover
        lines.append(
            f"target recover_address pure >= {TARGETS['recover_vs_ecdsa']:.0f}× faster than "
            f"ecdsa: {ratio:.1f}×, {verdict[ratio >= TARGETS['recover_vs_ecdsa']]}"
        )
    block = by_operation["keccak256 135 B (1 block)"]["pure"]
    lines.append(
        f"target keccak256 pure <= {TARGETS['keccak_block'] * 1e6:.0f} µs per block: "
        f"{block * 1e6:.0f} µs, {verdict[block <= TARGETS['keccak_block']]}"
    )
    lines.append(
        f"target sign_hash pure <= {TARGETS['sign_hash'] * 1e3:.1f} ms: "
        f"{sign * 1e3:.3f} ms, {verdict[sign <= TARGETS['sign_hash']]}"
    )
    return lines


def run(args: argparse.Namespace) -> int:
    quick = bool(args.quick)
    print(
        f"erc8128 bench: median per call, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {'quick' if quick else 'full'} run"
    )
    rows = run_benchmarks(quick=quick)
    for row in rows:
        print(format_row(row))
    for line in _target_lines(rows):
        print(line)
    return 0


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="few iterations (for tests); rough numbers"
    )


def add_parser(subparsers: Any) -> None:
    _configure(add_command(
        subparsers, "bench", run,
        summary="time the crypto core on this machine and compare with installed peers",
    ))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of benchmarks/bench_crypto.py (same options as ``erc8128 bench``)."""
    return run_alone("bench_crypto", __doc__, _configure, run, argv)
