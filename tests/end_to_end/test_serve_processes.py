"""``erc8128 serve`` as real processes: two servers sharing one redis-server refuse each
other's replays; SIGTERM shuts down cleanly; no key material in any output; TLS."""

import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from erc8128.state.invalidation import fingerprint_of
from tests.support.demo_client import Agent, send, send_request
from tests.support.redis_server import RedisServer

AGENT = Agent("process-agent")
PUBLIC_URL = "http://api.test"


@contextmanager
def serve(*options: str) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """One ``python -m erc8128 serve`` process on a free port; yields (bound URL, process, log)."""
    directory = Path(tempfile.mkdtemp(prefix="erc8128-serve-"))
    log = directory / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "erc8128", "serve", "--port", "0", *options],
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("erc8128 serve: listening on "), (first, log.read_text())
        bound_url = first.split("listening on ", 1)[1].split(" ", 1)[0]
        yield bound_url, process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    return process.returncode, out


def test_two_processes_sharing_redis_refuse_each_others_replays(
    redis_server: RedisServer,
) -> None:
    options = ("--public-url", PUBLIC_URL, "--nonces", redis_server.url)
    with serve(*options) as (url_a, process_a, log_a), serve(*options) as (url_b, process_b, _):
        for first, second in ((url_a, url_b), (url_b, url_a)):
            signed = AGENT.sign(PUBLIC_URL, "GET", "/api/whoami")
            assert send_request(first, signed.request).status == 200
            replay = send_request(second, signed.request)
            assert replay.status == 401
            assert replay.json()["reason"] == "nonce_reused"
            assert replay.header("WWW-Authenticate") == 'ERC8128 error="nonce_reused"'
        code_a, out_a = stop(process_a)
        code_b, out_b = stop(process_b)
        assert (code_a, code_b) == (0, 0)
        assert "erc8128 serve: stopped" in out_a
        output = out_a + out_b + log_a.read_text()
        # The signer's key never reaches the server; nothing key-like is printed.
        assert AGENT.key.hex() not in output
        assert "/api/whoami 200" in log_a.read_text()


def _invalidations_reach_the_other_process(url_a: str, url_b: str) -> None:
    """A signer invalidates at A (fingerprint, then not-before); B refuses what A was told to
    refuse and still accepts a fresh Replayable signature (ERC-8128 §5.2)."""
    now = int(time.time())
    older = AGENT.sign(PUBLIC_URL, "GET", "/api/whoami?older", replayable=True, created=now - 10)
    denied = AGENT.sign(PUBLIC_URL, "GET", "/api/whoami?denied", replayable=True, created=now)
    for url in (url_a, url_b):
        assert send_request(url, older.request).status == 200
        assert send_request(url, denied.request).status == 200
    fingerprint = fingerprint_of(denied.message_hash)
    reply = send_request(url_a, AGENT.sign(PUBLIC_URL, "POST", "/api/signatures/invalidate",
                                           {"fingerprint": fingerprint}).request)
    assert reply.status == 200, reply.body
    for url in (url_b, url_a):
        refused = send_request(url, denied.request)
        assert refused.status == 401
        assert refused.json()["reason"] == "replayable_not_allowed"
    # The signature invalidated at A was not older's: B still accepts it.
    assert send_request(url_b, older.request).status == 200
    reply = send_request(url_a, AGENT.sign(PUBLIC_URL, "POST", "/api/signatures/invalidate",
                                           {"not_before": now - 5}).request)
    assert reply.status == 200, reply.body
    assert reply.json()["not_before"] == now - 5
    refused = send_request(url_b, older.request)
    assert refused.status == 401
    assert refused.json()["reason"] == "replayable_not_allowed"
    fresh = AGENT.sign(PUBLIC_URL, "GET", "/api/whoami?fresh", replayable=True, created=now)
    assert send_request(url_b, fresh.request).status == 200
    assert send_request(url_b, fresh.request).status == 200  # Replayable: accepted again


def test_two_processes_sharing_redis_honour_each_others_invalidations(
    redis_server: RedisServer,
) -> None:
    options = ("--public-url", PUBLIC_URL, "--nonces", redis_server.url)
    with serve(*options) as (url_a, _, _), serve(*options) as (url_b, _, _):
        _invalidations_reach_the_other_process(url_a, url_b)


def test_two_processes_sharing_sqlite_honour_each_others_invalidations(tmp_path: Path) -> None:
    options = ("--public-url", PUBLIC_URL, "--nonces", f"sqlite:{tmp_path / 'shared.sqlite'}")
    with serve(*options) as (url_a, _, _), serve(*options) as (url_b, _, _):
        _invalidations_reach_the_other_process(url_a, url_b)


def test_sqlite_nonces_survive_a_restart(tmp_path: Path) -> None:
    # --no-restart-guard: the store itself is under test (with the restart watermark, D61, the
    # replay is refused earlier, in step 14, as tests/attacks/test_restart.py shows).
    options = ("--public-url", PUBLIC_URL, "--nonces", f"sqlite:{tmp_path / 'nonces.db'}",
               "--db", str(tmp_path / "app.db"), "--quiet", "--no-restart-guard")
    signed = AGENT.sign(PUBLIC_URL, "POST", "/api/projects", {"name": "kept"})
    with serve(*options) as (url, process, _):
        assert send_request(url, signed.request).status == 201
        assert stop(process)[0] == 0
    with serve(*options) as (url, process, _):
        replay = send_request(url, signed.request)
        assert replay.status == 401
        assert replay.json()["reason"] == "nonce_reused"
        listing = send(url, "GET", "/api/projects").json()["projects"]
        assert [p["name"] for p in listing] == ["kept"]


def test_bad_configuration_fails_without_echoing_key_material(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(
        "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"
    )
    cert_file = tmp_path / "cert.pem"
    cert_file.write_text("not a certificate\n")
    result = subprocess.run(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--tls-cert", str(cert_file),
         "--tls-key", str(key_file)],
        check=False, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "tls_invalid" in result.stderr
    assert "SECRETKEYMATERIAL" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for bad in (["--nonces", "mongodb://x"], ["--public-url", "http://a/path"]):
        result = subprocess.run([sys.executable, "-m", "erc8128", "serve", "--port", "0", *bad],
                                check=False, capture_output=True, text=True, timeout=30)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def test_tls(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl not found: install the Debian package openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    import http.client  # noqa: PLC0415

    # A first start: the restart watermark (D61) refuses nothing, the request is served at once.
    with serve("--tls-cert", str(cert), "--tls-key", str(key)) as (
        url, process, log,
    ):
        assert url.startswith("https://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        context = ssl.create_default_context(cafile=str(cert))
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        signed = AGENT.sign(url, "GET", "/api/whoami")
        connection.putrequest("GET", "/api/whoami", skip_accept_encoding=True)
        for name, value in signed.request.headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 200, response.read()
        connection.close()
        document = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        document.request("GET", "/.well-known/erc8128")
        body = document.getresponse().read()
        assert f'"invalidation_endpoint":"{url}/api/signatures/invalidate"'.encode() in body
        document.close()
        code, _ = stop(process)
        assert code == 0
        assert key.read_text().splitlines()[1] not in log.read_text()


def test_command_line_options_reach_the_discovery_document_and_ctrl_c_stops() -> None:
    options = ("--chain", "1", "--chain", "8453", "--max-validity", "120", "--skew", "5",
               "--name", "Options test", "--profile", "both", "--public-url",
               "https://api.example")
    with serve(*options) as (url, process, _):
        document = send(url, "GET", "/.well-known/erc8128").json()
        assert document["chains"] == ["eip155:1", "eip155:8453"]
        assert document["max_validity_sec"] == 120
        assert document["name"] == "Options test"
        assert document["invalidation_endpoint"] == "https://api.example/api/signatures/invalidate"
        legacy = AGENT.sign("https://api.example", "GET", "/api/whoami", profile="legacy",
                            chain_id=8453)
        reply = send_request(url, legacy.request)
        assert reply.status == 200, reply.body
        assert reply.json()["keyid"] == f"erc8128:8453:{AGENT.address}"
        too_long = AGENT.sign("https://api.example", "GET", "/api/whoami",
                              expires=int(time.time()) + 200)
        assert send_request(url, too_long.request).json()["reason"] == (
            "request_validity_too_long"
        )
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "erc8128 serve: stopped" in out
