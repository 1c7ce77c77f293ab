"""The command line: keygen, sign, request, inspect and demo.

Keys printed or stored are cross-checked with eth-account; signatures printed by ``sign`` are
verified by erc8128.protocol.verify; ``request`` runs against the demo server on 127.0.0.1;
``inspect`` runs on the ERC-8128 draft's own positive vector (vectors/third_party/erc8128-draft).
"""

import base64
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account as EthAccount

from erc8128.cli import main
from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import verify_request
from erc8128.server import ServerConfig, start_server
from erc8128.state.nonces.memory import MemoryReplayStore

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "vectors/third_party/erc8128-draft/test-cases.json").read_text())
POSITIVE = CASES["positive"]
HTTP_BLOCK: str = POSITIVE["request"]["http_block_as_displayed"]
NOW = str(CASES["verifier_settings"]["now"])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _key_of(path: Path) -> str:
    return path.read_text().strip()


# --------------------------------------------------------------------------------------------
# keygen
# --------------------------------------------------------------------------------------------


def test_keygen_writes_0600_and_never_prints_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "agent.key"
    old_umask = os.umask(0)  # even with a permissive umask the file is owner-only
    try:
        status, out, err = run(capsys, "keygen", "--out", str(key_file))
    finally:
        os.umask(old_umask)
    assert status == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = _key_of(key_file)
    address = EthAccount.from_key(key).address.lower()
    assert f"address:  {address}" in out
    assert f"keyid:    eip155:1:{address}" in out
    for text in (out, err):
        assert key[2:] not in text.lower()


def test_keygen_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "agent.key"
    key_file.write_text("keep me")
    status, _out, err = run(capsys, "keygen", "--out", str(key_file))
    assert status == 2
    assert "key_file_exists" in err
    assert key_file.read_text() == "keep me"


def test_keygen_show_private_key(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "keygen", "--show-private-key", "--chain-id", "8453")
    assert status == 0
    key = out.split("private key: ")[1].strip()
    address = EthAccount.from_key(key).address.lower()
    assert f"keyid:    eip155:8453:{address}" in out


def test_keygen_needs_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "keygen")
    assert status == 2
    assert "key_destination_missing" in err
    assert out == ""


def test_keygen_through_the_console_entry(tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    done = subprocess.run(
        [sys.executable, "-m", "erc8128", "keygen", "--out", str(key_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _key_of(key_file)[2:] not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------------------------
# sign
# --------------------------------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "agent.key"
    assert main(["keygen", "--out", str(path)]) == 0
    capsys.readouterr()
    return path


def _header_lines(out: str) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for line in out.strip().splitlines()]  # type: ignore[misc]


def test_sign_prints_headers_that_verify(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://api.example/items?view=full"
    status, out, err = run(
        capsys, "sign", url, "-X", "POST", "-H", "Content-Type: application/json",
        "-d", '{"hello":"world"}', "--key-file", str(key_file), "--created", "1700000000",
        "--nonce", "EjRWeJCrze8BI0VniavN7w", "-v",
    )
    assert status == 0
    added = _header_lines(out)
    assert [name for name, _ in added] == ["Content-Digest", "Signature-Input", "Signature"]
    # RFC 9530: sha-256 of the content, computed here with hashlib.
    digest = base64.b64encode(hashlib.sha256(b'{"hello":"world"}').digest()).decode()
    assert added[0][1] == f"sha-256=:{digest}:"
    request = Request("POST", url, (("Content-Type", "application/json"), *added),
                      b'{"hello":"world"}')
    verified = verify_request(request, now=1700000001, nonces=MemoryReplayStore())
    assert verified.address == EthAccount.from_key(_key_of(key_file)).address.lower()
    assert verified.nonce == "EjRWeJCrze8BI0VniavN7w"
    # -v explains on stderr: the signature base and the request as it would be sent.
    assert '"@signature-params": ("@scheme"' in err
    assert "> POST /items?view=full HTTP/1.1" in err
    assert ">+ Signature-Input: eth=" in err


def test_sign_with_env_key_and_components(
    key_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERC8128_PRIVATE_KEY", _key_of(key_file))
    status, out, _ = run(
        capsys, "sign", "https://api.example/a", "--label", "agent", "--component", "@authority",
        "--component", "@method", "--created", "1700000000",
    )
    assert status == 0
    added = dict(_header_lines(out))
    assert added["Signature-Input"].startswith('agent=("@authority" "@method");created=1700000000;')
    request = Request("GET", "https://api.example/a", tuple(added.items()), None)
    verified = verify_request(request, now=1700000000, nonces=MemoryReplayStore(),
                              policy=VerifierPolicy(class_bound=True))
    assert not verified.request_bound


def test_sign_without_key_is_a_typed_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERC8128_PRIVATE_KEY", raising=False)
    status, _out, err = run(capsys, "sign", "https://api.example/")
    assert status == 2
    assert "private_key_missing" in err
    assert "erc8128 keygen --out agent.key" in err  # where a key comes from
    assert "Traceback" not in err


def test_sign_rejects_malformed_header_option(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "sign", "https://api.example/", "-H", "no colon",
                         "--key-file", str(key_file))
    assert status == 2
    assert "header_option_invalid" in err


# --------------------------------------------------------------------------------------------
# request (against the demo server)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with start_server(ServerConfig(port=0)) as running:
        yield running.url


def test_request_whoami_verbose(
    server_url: str, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "request", server_url + "/api/whoami",
                           "--key-file", str(key_file), "-v")
    assert status == 0
    answer = json.loads(out)
    assert answer["address"] == EthAccount.from_key(_key_of(key_file)).address.lower()
    assert "> GET /api/whoami HTTP/1.1" in err
    assert ">+ Signature-Input: eth=" in err
    assert '"@path": /api/whoami' in err
    assert "< HTTP 200" in err
    assert _key_of(key_file)[2:] not in out + err


def test_request_post_data_and_refusal(
    server_url: str, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, "request", server_url + "/api/projects", "-H", "Content-Type: application/json",
        "-d", '{"name": "cli", "auto_approve": false, "public": false}',
        "--key-file", str(key_file),
    )
    assert status == 0
    project = json.loads(out)
    assert project["owner"] == EthAccount.from_key(_key_of(key_file)).address.lower()
    # Another key is not an approved agent of that project: 401 with the server's reason.
    other = key_file.parent / "other.key"
    assert main(["keygen", "--out", str(other)]) == 0
    capsys.readouterr()
    status, out, err = run(capsys, "request", f"{server_url}/api/projects/{project['id']}/echo",
                           "--key-file", str(other))
    assert status == 1
    assert "HTTP 401 principal_not_allowed" in err
    assert json.loads(out)["reason"] == "principal_not_allowed"


def test_request_json_sends_curls_two_json_lines(
    server_url: str, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "request", server_url + "/api/projects", "--json",
                           '{"name": "json", "public": false}', "--key-file", str(key_file), "-v")
    assert status == 0, err
    assert json.loads(out)["name"] == "json"
    assert ">+ Content-Type: application/json" in err
    assert ">+ Accept: application/json" in err


def test_request_data_without_a_content_type_names_the_fix(
    server_url: str, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A newcomer's first POST: -d with JSON and no -H, as with curl. The server's 415 stands;
    # the command says what to type instead.
    status, out, err = run(capsys, "request", server_url + "/api/projects", "-d",
                           '{"name": "data"}', "--key-file", str(key_file))
    assert status == 1
    assert json.loads(out)["reason"] == "unsupported_media_type"
    assert "HTTP 415" in err
    assert "--json DATA" in err and "-H 'Content-Type: application/json'" in err


def test_sign_json_prints_the_json_lines_it_adds(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "sign", "http://127.0.0.1:8128/api/projects", "--json",
                         '{"name": "x"}', "-H", "Accept: text/plain", "--key-file", str(key_file))
    assert status == 0
    lines = _header_lines(out)
    assert ("Content-Type", "application/json") in lines
    assert ("Accept", "text/plain") not in lines  # the caller's own -H line is not repeated
    assert not any(name == "Accept" for name, _ in lines)  # nor replaced by --json's
    assert any(name == "Signature-Input" for name, _ in lines)


def test_request_transport_error(key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "request", "http://127.0.0.1:9/", "--key-file", str(key_file))
    assert status == 2
    assert "transport_error" in err


# --------------------------------------------------------------------------------------------
# inspect (the draft's positive vector)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def vector_file(tmp_path: Path) -> Path:
    path = tmp_path / "positive.http"
    path.write_text(HTTP_BLOCK)
    return path


def test_inspect_explains_and_verifies_the_draft_vector(
    vector_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "inspect", str(vector_file), "--now", NOW,
                           "--public-url", "https://api.example")
    assert status == 0, out + err
    # Every line of the vector's signature base, rebuilt from the raw request.
    for line in POSITIVE["signature_base"].split("\n"):
        assert f"           {line}\n" in out
    assert f"len(M) = {POSITIVE['signature_base_utf8_len']} bytes" in out
    assert POSITIVE["erc191_hash"] in out
    assert POSITIVE["signature"] in out
    address = CASES["fixture"]["address"]
    assert f"recovered address {address}: equals the keyid address" in out
    assert "ok   step 12 Content-Digest: Content-Digest sha-256=" in out
    assert "candidates request (draft)" in out
    for number in range(1, 19):  # every numbered step of SPEC.md §4, from verify_request
        assert f"ok   step {number:>2} " in out
    signer = POSITIVE["expected"]["signer"]
    assert f"VERIFIED (draft signature): label 'request', signer {signer}" in out
    assert "request-bound, non-replayable" in out


def test_inspect_from_stdin_with_host_as_origin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HTTP_BLOCK.encode())))
    status, out, _ = run(capsys, "inspect", "-", "--now", NOW)
    assert status == 0
    assert "scheme https (assumed); authority api.example (the Host header)" in out
    assert "VERIFIED" in out


def test_inspect_crlf_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head, body = HTTP_BLOCK.split("\n\n", 1)
    path = tmp_path / "crlf.http"
    path.write_bytes(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body.encode())
    status, out, _ = run(capsys, "inspect", str(path), "--now", NOW)
    assert status == 0
    assert "VERIFIED" in out


@pytest.mark.parametrize(
    ("change", "now", "reason"),
    [
        (lambda text: text, "1700000200", "request_expired"),
        (lambda text: text, "1699999900", "request_not_yet_valid"),
        (lambda text: text.replace('{"hello":"world"}', '{"hello":"WORLD"}'), NOW,
         "bad_content_digest"),
        (lambda text: text.replace("/items?view=full", "/items?view=mini"), NOW,
         "bad_signature"),
    ],
)
def test_inspect_explains_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, now: str, reason: str
) -> None:
    path = tmp_path / "changed.http"
    path.write_text(change(HTTP_BLOCK))  # type: ignore[operator]
    status, out, _ = run(capsys, "inspect", str(path), "--now", now,
                         "--public-url", "https://api.example")
    assert status == 1
    assert f"REJECTED: {reason} (HTTP 401)" in out


def test_inspect_wrong_origin_recovers_another_address(
    vector_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "inspect", str(vector_file), "--now", NOW,
                         "--public-url", "https://other.example")
    assert status == 1
    assert "DIFFERS FROM the keyid address" in out
    assert "REJECTED: bad_signature" in out


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "raw_request_empty"),
        (HTTP_BLOCK.replace("Content-Length: 17", "Content-Length: 99").encode(),
         "content_truncated"),
        (b"GARBAGE\n\n", "paste_format_unknown"),
        (b"GET\tx HTTP/1.1\nHost: a\n\n", "paste_format_unknown"),
    ],
)
def test_inspect_bad_input_is_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, reason: str
) -> None:
    path = tmp_path / "bad.http"
    path.write_bytes(data)
    status, _, err = run(capsys, "inspect", str(path), "--public-url", "https://api.example")
    assert status == 2
    assert reason in err
    assert "Traceback" not in err


def test_inspect_missing_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.http"
    path.write_text("GET / HTTP/1.1\nHost: api.example\n\n")
    status, out, _ = run(capsys, "inspect", str(path), "--now", NOW)
    assert status == 1
    assert "REJECTED: signature_missing" in out


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------


def test_demo_runs_the_whole_story(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo")
    assert status == 0, out + err
    assert "-> HTTP 401 nonce_reused" in out
    assert "-> HTTP 401 bad_content_digest" in out
    assert "joined project" in out and "status approved" in out
    assert "GET /api/whoami -> HTTP 200" in out
    assert "UNEXPECTED" not in out
    assert "done: every step had the expected outcome" in out


@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_sign_full_prints_a_request_that_inspect_verifies_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str
) -> None:
    """`erc8128 sign --full` is ready to paste: inspect needs no profile and no public URL."""
    key_file = tmp_path / "agent.key"
    key_file.write_text("00" * 31 + "01\n")
    key_file.chmod(0o600)
    status, out, _ = run(capsys, "sign", "http://127.0.0.1:8128/api/items?x=1", "-d", '{"a":1}',
                         "-H", "Content-Type: application/json", "--key-file", str(key_file),
                         "--created", "1700000000", "--profile", profile, "--full")
    assert status == 0
    assert out.startswith("POST /api/items?x=1 HTTP/1.1\nHost: 127.0.0.1:8128\n")
    assert out.endswith('\n\n{"a":1}')
    pasted = tmp_path / "signed.http"
    pasted.write_text(out)
    status, report, _ = run(capsys, "inspect", str(pasted), "--now", "1700000001")
    assert status == 0, report
    assert f"VERIFIED ({profile} signature)" in report


def test_request_without_a_scheme_says_what_to_type(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``erc8128 request 127.0.0.1:8128/api/whoami`` (no scheme) is refused before anything is
    signed or sent, with the URL to type instead."""
    monkeypatch.setenv("ERC8128_PRIVATE_KEY", "11" * 32)
    for command in ("request", "sign"):
        status, _out, err = run(capsys, command, "127.0.0.1:8128/api/whoami")
        assert status == 2, err
        assert "url_not_absolute" in err and "http://127.0.0.1:8128/api/whoami" in err


def test_request_to_a_port_where_nothing_listens_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket  # noqa: PLC0415

    monkeypatch.setenv("ERC8128_PRIVATE_KEY", "11" * 32)
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, _out, err = run(capsys, "request", f"http://127.0.0.1:{port}/")
    assert status == 2, err
    assert "transport_error" in err and "nothing listens there" in err


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_closed_pipe_ends_a_command_quietly(tmp_path: Path, unbuffered: str) -> None:
    """`erc8128 keygen --out FILE | head -1`: the reader leaves before the output is written.
    The command stops with 141 (128 + SIGPIPE) and no traceback, buffered or not."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe fails with EPIPE
    try:
        run = subprocess.run(
            [sys.executable, "-m", "erc8128", "keygen", "--out", str(tmp_path / "k.key")],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
            env={**os.environ, "PYTHONUNBUFFERED": unbuffered},
        )
    finally:
        os.close(write_end)
    assert run.returncode == 141, run.stderr
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr
    assert (tmp_path / "k.key").is_file()  # the key was written before the output failed
