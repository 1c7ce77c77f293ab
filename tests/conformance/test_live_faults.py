"""Live mode against servers with one planted fault each (tests/support/faulty_live_server.py), over
loopback: every fault is caught by the check written for it, with the root cause in its first
line; the fault-free control passes the same checks; a scaled deployment is raced across its
instances; a server that hangs, resets, answers garbage or rate-limits gets an outcome per check
and the run goes on.

Before these checks, live mode passed every one of these servers (issue 21)."""

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from erc8128_conformance.live import (
    LIVE_CHECKS,
    RACE_COPIES,
    RATE_LIMIT_RETRIES,
    BadAnswer,
    CheckNotApplicable,
    LiveContext,
    LiveTarget,
    RateLimited,
    fetch_discovery,
    send,
    valid_request,
)
from tests.support.service_process import listening_url

ROOT = Path(__file__).resolve().parents[2]
FAULTY = ROOT / "tests" / "support" / "faulty_live_server.py"

# fault -> (the checks that must fail, a phrase of the root cause in the first problem line)
CAUGHT_BY: dict[str, tuple[tuple[str, ...], str]] = {
    "check-then-insert": (("replay_race_get_at_most_one_accepted",
                           "replay_race_post_at_most_one_accepted"), "check-then-insert"),
    "ignore-invalidation": (("invalidation_not_before_refuses_replay",
                             "invalidation_fingerprint_refuses_replay"),
                            "early invalidation ignored"),
    "ignore-not-before": (("invalidation_not_before_refuses_replay",),
                          "early invalidation ignored"),
    "duplicate-components": (("duplicated_component_400_signature_input_invalid",),
                             "covered twice"),
    "untrimmed-values": (("field_value_whitespace_trimmed_200",), "signed trimmed"),
    "replay-key-per-profile": (("replay_key_across_profiles_401_nonce_reused",),
                               "replay key per profile"),
    "winner-nonce-only": (("multi_signature_replay_401_nonce_reused",),
                          "multi-signature replay"),
}
NEW_CHECKS = sorted({name for names, _ in CAUGHT_BY.values() for name in names})


def _context(url: str, profile: str = "draft", **extra: Any) -> LiveContext:
    target = LiveTarget(url, "/api/whoami", "draft" if profile == "draft" else "legacy",
                        timeout=extra.pop("timeout", 10.0))
    document, note = fetch_discovery(target)
    return LiveContext(target, "/api/projects", document, note,
                       run_profiles=("draft", "legacy"), **extra)


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[str]:
    with listening_url([sys.executable, str(FAULTY), request.param], cwd=ROOT) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("faulty", list(CAUGHT_BY), indirect=True)
def test_each_fault_is_caught_by_its_check(faulty: str, request: pytest.FixtureRequest) -> None:
    fault = request.node.callspec.params["faulty"]
    names, phrase = CAUGHT_BY[fault]
    ctx = _context(faulty)
    for name in NEW_CHECKS:
        problems = LIVE_CHECKS[name].run(ctx)
        if name in names:
            assert problems, (fault, name)
            assert phrase in problems[0], (fault, problems[0])
        else:
            assert problems == [], (fault, name, problems)


@pytest.mark.slow
@pytest.mark.parametrize("faulty", ["none"], indirect=True)
@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_the_fault_free_server_passes_every_new_check(faulty: str, profile: str) -> None:
    ctx = _context(faulty, profile)
    for name in NEW_CHECKS:
        if profile in LIVE_CHECKS[name].requirements:
            assert LIVE_CHECKS[name].run(ctx) == [], name


def _conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "erc8128", "conformance", *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)


def _first_screen(stdout: str) -> str:
    screen = stdout[stdout.index("ERC-8128 conformance"):]
    return screen[:screen.index("by level:")]


@pytest.mark.slow
@pytest.mark.parametrize(("faulty", "root_cause"), [
    ("check-then-insert", "check-then-insert replay store"),
    ("ignore-invalidation", "early invalidation ignored"),
], indirect=["faulty"])
def test_the_first_screen_names_the_root_cause(faulty: str, root_cause: str,
                                                tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run = _conformance("--target", faulty, "--profile", "both", "--post-path", "/api/projects",
                       "--report-json", str(report))
    assert run.returncode == 1, run.stdout[-4000:]
    assert root_cause in _first_screen(run.stdout), run.stdout[-6000:]
    outcomes = {o["id"]: o for o in json.loads(report.read_text())["outcomes"]}
    failed = {i for i, o in outcomes.items() if o["outcome"] == "failed"}
    assert failed and all(root_cause in outcomes[i]["why"] for i in failed), failed


# ---- a scaled deployment: two instances, one trusted origin ------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_instances(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two `erc8128 serve` processes behind one public URL: sharing a SQLite replay store
    (param "shared") or each with its own memory store (param "separate")."""
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    nonces = f"sqlite:{tmp_path / 'nonces.db'}" if request.param == "shared" else "memory"
    command = [sys.executable, "-m", "erc8128", "serve", "--profile", "both", "--quiet",
               "--no-restart-guard", "--nonces", nonces, "--public-url", public]
    with listening_url([*command, "--port", str(port)], cwd=ROOT) as first, \
            listening_url([*command, "--port", "0"], cwd=ROOT) as second:
        yield first, second


@pytest.mark.slow
@pytest.mark.parametrize(("two_instances", "most_accepted"), [("shared", 1), ("separate", 2)],
                         indirect=["two_instances"])
def test_the_race_spreads_over_instances_of_one_deployment(
        two_instances: tuple[str, str], most_accepted: int) -> None:
    first, second = two_instances
    ctx = _context(first, instances=(second,))
    problems = LIVE_CHECKS["replay_race_get_at_most_one_accepted"].run(ctx)
    if most_accepted == 1:
        assert problems == []
    else:
        assert problems and "spread over 2 instances" in problems[0], problems
        assert f"2 of {RACE_COPIES} concurrent copies accepted" in problems[0]


# ---- servers that hang, reset, answer garbage or rate-limit --------------------------------


class _Misbehaving:
    """A raw TCP server: ``mode`` hang / reset / garbage / limited (429 always) / limited-once
    (429 then the connection's request is answered 200)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.connections = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection, self.connections),
                             daemon=True).start()

    def _answer(self, connection: socket.socket, number: int) -> None:
        with connection:
            connection.settimeout(5)
            try:
                connection.recv(65536)
                if self.mode == "hang":
                    self._stop.wait(5)
                elif self.mode == "reset":
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
                elif self.mode == "garbage":
                    connection.sendall(b"\x00\xffnot http at all\r\n\r\n")
                elif self.mode == "limited" or (self.mode == "limited-once" and number == 1):
                    connection.sendall(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\n"
                                       b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                else:
                    body = b'{"ok":true}'
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 11\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.mark.parametrize(("mode", "error"), [("hang", TimeoutError), ("reset", OSError),
                                             ("garbage", BadAnswer), ("limited", RateLimited)])
def test_a_misbehaving_answer_is_a_typed_error(mode: str, error: type[Exception]) -> None:
    server = _Misbehaving(mode)
    try:
        target = LiveTarget(server.url, "/api/whoami", "draft", timeout=0.5)
        ctx = LiveContext(target)
        with pytest.raises(error) as raised:
            send(target, valid_request(ctx), sleep=lambda seconds: None)
        if mode == "limited":
            assert "429" in str(raised.value) and "GET /api/whoami" in str(raised.value)
            assert server.connections == 4  # the first try and RATE_LIMIT_RETRIES retries
    finally:
        server.close()


def test_a_429_is_retried_after_its_retry_after() -> None:
    server = _Misbehaving("limited-once")
    waits: list[float] = []
    try:
        target = LiveTarget(server.url, "/api/whoami", "draft", timeout=2)
        answer = send(target, valid_request(LiveContext(target)), sleep=waits.append)
        assert answer.status == 200 and waits == [0.0] and server.connections == 2
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hang", "reset", "garbage", "limited"])
def test_a_misbehaving_server_gets_an_outcome_per_check(mode: str, tmp_path: Path) -> None:
    server = _Misbehaving(mode)
    try:
        report = tmp_path / "report.json"
        run = _conformance("--target", server.url, "--profile", "draft", "--timeout", "0.3",
                           "--report-json", str(report))
        assert run.returncode == 1, run.stdout[-3000:]
        outcomes = json.loads(report.read_text())["outcomes"]
        ids = {o["id"] for o in outcomes}
        assert {f"live/draft/{name}" for name, check in LIVE_CHECKS.items()
                if "draft" in check.requirements} == ids
        errored = [o for o in outcomes if o["outcome"] == "errored"]
        assert len(errored) > 40, {o["outcome"] for o in outcomes}
        if mode == "limited":
            assert all("rate limited" in o["message"] for o in errored)
    finally:
        server.close()


def test_a_check_that_cannot_apply_says_why() -> None:
    ctx = LiveContext(LiveTarget("http://127.0.0.1:9", "/api/whoami", "draft"))
    with pytest.raises(CheckNotApplicable, match="--profile both"):
        LIVE_CHECKS["replay_key_across_profiles_401_nonce_reused"].run(ctx)
    with pytest.raises(CheckNotApplicable, match="replay=either"):
        LIVE_CHECKS["invalidation_not_before_refuses_replay"].run(ctx)


def test_the_race_never_sends_more_than_its_stated_number_of_requests() -> None:
    # Every round answered 429: the race is raced again at most RATE_LIMIT_RETRIES times, then
    # reported rate limited; RACE_COPIES connections a round, never one more.
    server = _Misbehaving("limited")
    try:
        ctx = LiveContext(LiveTarget(server.url, "/api/whoami", "draft", timeout=2))
        with pytest.raises(RateLimited, match="replay race"):
            LIVE_CHECKS["replay_race_get_at_most_one_accepted"].run(ctx)
        assert server.connections == RACE_COPIES * (1 + RATE_LIMIT_RETRIES)
    finally:
        server.close()
