"""The JSON-RPC account-state provider without a chain: ABI encoding cross-checked with eth-abi,
configuration, the chain guard (no call to a chain the provider is not configured for), and a
hostile local server (huge, malformed, wrong-typed, slow or silent answers → unavailable, within
the timeouts, never accepted; full requests → 503 with the nonce not consumed)."""

import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import eth_abi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.chain.abi import (
    ERC1271_MAGIC_VALUE,
    AbiEncodingError,
    Word,
    address_word,
    encode_erc6492_wrapper,
    encode_is_valid_signature,
    uint256_word,
)
from erc8128.chain.erc6492_validator import VALIDATOR_CREATION_CODE
from erc8128.chain.jsonrpc import (
    ExecutionReverted,
    JsonRpcEndpoint,
    RpcConfigError,
    RpcUnavailable,
    rpc_call,
)
from erc8128.chain.rpc import RpcAccountState, erc6492_validation_call
from erc8128.crypto.keccak import keccak256
from erc8128.errors import (
    AccountStateUnavailable,
    Erc8128Error,
    InvalidAddress,
    VerificationError,
)
from erc8128.http.message import Request
from erc8128.protocol.accounts import ERC6492_MAGIC_SUFFIX
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.anvil import free_port
from tests.support.hostile_rpc import (
    HostileRpcServer,
    http_response,
    json_answer,
    silent,
    sleep_then,
    trickle,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ACCOUNT = Account(1, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23")
HASH = keccak256(b"H")
# Small, fast bounds for the hostile cases (seconds, bytes).
FAST = {"connect_timeout": 0.5, "read_timeout": 0.3, "total_timeout": 1.0}


def provider(url: str, **bounds: Any) -> RpcAccountState:
    endpoint = JsonRpcEndpoint(url, **{**FAST, **bounds})
    return RpcAccountState(((1, endpoint),))


def result(value: object) -> Any:
    return json_answer(lambda request: {"jsonrpc": "2.0", "id": request["id"], "result": value})


def error(code: int, message: str) -> Any:
    return json_answer(
        lambda request: {
            "jsonrpc": "2.0",
            "id": request["id"],
            "error": {"code": code, "message": message, "data": "0x08c379a0"},
        }
    )


# ABI encoding, against eth-abi (an independent implementation).

def test_is_valid_signature_calldata_matches_eth_abi() -> None:
    signature = bytes(range(65))
    expected = keccak256(b"isValidSignature(bytes32,bytes)")[:4] + eth_abi.encode(
        ["bytes32", "bytes"], [HASH, signature]
    )
    assert encode_is_valid_signature(HASH, signature) == expected


def test_magic_value_is_the_selector_left_aligned() -> None:
    assert eth_abi.encode(["bytes4"], [bytes.fromhex("1626ba7e")]) == ERC1271_MAGIC_VALUE


@settings(max_examples=100, deadline=None)
@given(
    factory=st.binary(min_size=20, max_size=20),
    calldata=st.binary(max_size=200),
    signature=st.binary(max_size=200),
)
def test_erc6492_wrapper_matches_eth_abi(factory: bytes, calldata: bytes, signature: bytes) -> None:
    wrapper = encode_erc6492_wrapper(factory, calldata, signature)
    assert wrapper.endswith(ERC6492_MAGIC_SUFFIX)
    encoded = eth_abi.encode(["address", "bytes", "bytes"], [factory, calldata, signature])
    assert wrapper == encoded + ERC6492_MAGIC_SUFFIX
    assert eth_abi.decode(["address", "bytes", "bytes"], wrapper[:-32]) == (
        "0x" + factory.hex(),
        calldata,
        signature,
    )


def test_validator_call_is_init_code_then_constructor_arguments() -> None:
    signature = b"\x01" * 97
    data = erc6492_validation_call(ACCOUNT, HASH, signature)
    assert data.startswith(VALIDATOR_CREATION_CODE)
    arguments = eth_abi.decode(
        ["address", "bytes32", "bytes"], data[len(VALIDATOR_CREATION_CODE) :]
    )
    assert arguments == (ACCOUNT.address, HASH, signature)


def test_validator_module_is_the_committed_artifact() -> None:
    artifact = json.loads((ROOT / "contracts/artifacts/Erc6492Validator.json").read_text())
    assert bytes.fromhex(artifact["bytecode"][2:]) == VALIDATOR_CREATION_CODE


@pytest.mark.parametrize(
    "make",
    [
        lambda: Word(b"\x00" * 31),
        lambda: uint256_word(-1),
        lambda: uint256_word(2**256),
        lambda: address_word(b"\x00" * 19),
        lambda: encode_is_valid_signature(b"\x00" * 31, b""),
    ],
)
def test_abi_rejects_values_that_do_not_fit(make: Any) -> None:
    with pytest.raises(AbiEncodingError):
        make()


def test_provider_modules_import_only_the_standard_library() -> None:
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import erc8128.chain.rpc, erc8128.chain.jsonrpc, erc8128.chain.abi\n"
        "import erc8128.chain.erc6492_validator\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    foreign = {
        name
        for name in json.loads(out.stdout)
        if name not in sys.stdlib_module_names and name != "erc8128" and not name.startswith("_")
    }
    assert foreign == set()


# Configuration and the chain guard.

@pytest.mark.parametrize(
    ("url", "bounds"),
    [
        ("ftp://127.0.0.1/", {}),
        ("http:///path", {}),
        ("http://127.0.0.1:99999/", {}),
        ("http://user:pw@127.0.0.1/", {}),
        ("http://127.0.0.1/a b", {}),
        ("http://127.0.0.1/", {"read_timeout": 0}),
        ("http://127.0.0.1/", {"total_timeout": float("inf")}),
        ("http://127.0.0.1/", {"connect_timeout": True}),
        ("http://127.0.0.1/", {"max_response_bytes": 0}),
    ],
)
def test_endpoint_rejects_bad_configuration(url: str, bounds: dict[str, Any]) -> None:
    with pytest.raises(RpcConfigError):
        JsonRpcEndpoint(url, **bounds)


@pytest.mark.parametrize(
    "urls",
    [{"1": "http://127.0.0.1/"}, {"eip155:01": "http://127.0.0.1/"}, {"cosmos:1": "http://x/"}],
)
def test_from_urls_requires_caip2_eip155_chain_ids(urls: dict[str, str]) -> None:
    with pytest.raises(RpcConfigError):
        RpcAccountState.from_urls(urls)


def test_from_urls_and_duplicate_chains() -> None:
    state = RpcAccountState.from_urls({"eip155:1": "http://127.0.0.1:1/", "eip155:10": "http://127.0.0.1:2/"})
    assert state.chain_ids == frozenset({1, 10})
    endpoint = JsonRpcEndpoint("http://127.0.0.1:1/")
    with pytest.raises(RpcConfigError):
        RpcAccountState(((1, endpoint), (1, endpoint)))
    with pytest.raises(RpcConfigError):
        RpcAccountState(((1, endpoint),), block="earliest")  # type: ignore[arg-type]


def test_provider_never_calls_a_chain_it_is_not_configured_for() -> None:
    calls: list[str] = []

    def counting(endpoint: JsonRpcEndpoint, method: str, params: list[Any]) -> object:
        calls.append(method)
        return "0x"

    state = RpcAccountState(((1, JsonRpcEndpoint("http://127.0.0.1:1/")),), transport=counting)
    other_chain = Account(5, ACCOUNT.address)
    for lookup in (
        lambda: state.get_code(other_chain),
        lambda: state.erc1271_is_valid(other_chain, HASH, b""),
        lambda: state.erc6492_is_valid(other_chain, HASH, ERC6492_MAGIC_SUFFIX),
    ):
        with pytest.raises(AccountStateUnavailable) as info:
            lookup()
        assert info.value.reason == "chain_not_configured"
    assert calls == []
    assert state.get_code(ACCOUNT) == b""
    assert calls == ["eth_getCode"]


@pytest.mark.parametrize(
    "lookup",
    [
        lambda state, account: state.get_code(account),
        lambda state, account: state.erc1271_is_valid(account, HASH, b""),
        lambda state, account: state.erc6492_is_valid(account, HASH, ERC6492_MAGIC_SUFFIX),
    ],
    ids=["get_code", "erc1271", "erc6492"],
)
def test_provider_rejects_a_malformed_account_address_before_any_call(lookup: Any) -> None:
    calls: list[str] = []

    def counting(endpoint: JsonRpcEndpoint, method: str, params: list[Any]) -> object:
        calls.append(method)
        return "0x"

    state = RpcAccountState(((1, JsonRpcEndpoint("http://127.0.0.1:1/")),), transport=counting)
    with pytest.raises(InvalidAddress):
        lookup(state, Account(1, "0x1234"))
    assert calls == []


# The hostile server: every answer that is not a well-formed result is "unavailable".

HOSTILE = {
    "connection closed at once": lambda conn, request, stop: None,
    "not HTTP": lambda conn, request, stop: conn.sendall(b"SSH-2.0-hello\r\n\r\n"),
    "HTTP 500": lambda conn, request, stop: conn.sendall(http_response(b"{}", "500 Oops")),
    "HTTP 301 redirect": lambda conn, request, stop: conn.sendall(
        http_response(b"", "301 Moved", "Location: http://127.0.0.1:1/\r\n")
    ),
    "truncated body": lambda conn, request, stop: conn.sendall(
        http_response(b'{"jsonrpc":"2.0","id":1,"result":"0x"}')[:-5]
    ),
    "huge body with Content-Length": lambda conn, request, stop: conn.sendall(
        http_response(b" " * (2 * 1024 * 1024))
    ),
    "huge body without Content-Length": lambda conn, request, stop: conn.sendall(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"[" * (2 * 1024 * 1024)
    ),
    "huge chunked body": lambda conn, request, stop: conn.sendall(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"10000\r\n" + b" " * 0x10000 + b"\r\n") * 40
    ),
    "malformed JSON": lambda conn, request, stop: conn.sendall(http_response(b"{not json")),
    "deeply nested JSON": lambda conn, request, stop: conn.sendall(
        http_response(b"[" * 200_000 + b"]" * 200_000)
    ),
    "JSON nested 33 deep": lambda conn, request, stop: conn.sendall(
        http_response(b'{"jsonrpc":"2.0","id":1,"result":' + b"[" * 32 + b"]" * 32 + b"}")
    ),
    "unterminated string of escaped quotes": lambda conn, request, stop: conn.sendall(
        http_response(b'{"jsonrpc":"2.0","id":1,"result":"' + b'\\"' * 400_000)
    ),
    "NaN": lambda conn, request, stop: conn.sendall(
        http_response(b'{"jsonrpc":"2.0","id":1,"result":NaN}')
    ),
    "invalid UTF-8": lambda conn, request, stop: conn.sendall(http_response(b'{"a":"\xff"}')),
    "huge integer literal": lambda conn, request, stop: conn.sendall(
        http_response(b'{"jsonrpc":"2.0","id":1,"result":' + b"9" * 100_000 + b"}")
    ),
    "a JSON array (batch)": json_answer(lambda request: [{"jsonrpc": "2.0", "id": 1}]),
    "no jsonrpc member": json_answer(lambda request: {"id": request["id"], "result": "0x"}),
    "wrong id": json_answer(lambda request: {"jsonrpc": "2.0", "id": 999, "result": "0x"}),
    "id as string": json_answer(lambda request: {"jsonrpc": "2.0", "id": "1", "result": "0x"}),
    "both result and error": json_answer(
        lambda request: {"jsonrpc": "2.0", "id": request["id"], "result": "0x", "error": {}}
    ),
    "neither result nor error": json_answer(lambda request: {"jsonrpc": "2.0", "id": 1}),
    "error not an object": json_answer(
        lambda request: {"jsonrpc": "2.0", "id": request["id"], "error": "boom"}
    ),
    "error code as string": json_answer(
        lambda request: {"jsonrpc": "2.0", "id": 1, "error": {"code": "3", "message": "x"}}
    ),
    "other RPC error": error(-32005, "rate limited"),
    "internal error (e.g. out of gas)": error(-32603, "EVM error OutOfGas"),
    "result a number": result(123),
    "result null": result(None),
    "result odd hex": result("0x123"),
    "result not hex": result("0xzz"),
    "result without 0x": result("6080"),
    "result a list": result(["0x"]),
    "silent server": silent,
    "slow answer": sleep_then(2.0, result("0x")),
    "trickling answer": trickle(http_response(b'{"jsonrpc":"2.0","id":1,"result":"0x"}'), 0.1),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_answers_are_unavailable_for_get_code(name: str) -> None:
    with HostileRpcServer(HOSTILE[name]) as server:
        state = provider(server.url)
        started = time.monotonic()
        with pytest.raises(AccountStateUnavailable) as info:
            state.get_code(ACCOUNT)
        elapsed = time.monotonic() - started
    assert isinstance(info.value, RpcUnavailable)
    # Bounded by the overall deadline (1 s) plus scheduling slack, never a hang.
    assert elapsed < FAST["total_timeout"] + 0.5


@pytest.mark.parametrize(
    "name",
    ["huge body with Content-Length", "malformed JSON", "other RPC error", "result a number",
     "silent server", "trickling answer"],
)
def test_hostile_answers_are_unavailable_for_erc1271_and_erc6492(name: str) -> None:
    with HostileRpcServer(HOSTILE[name]) as server:
        state = provider(server.url)
        with pytest.raises(AccountStateUnavailable):
            state.erc1271_is_valid(ACCOUNT, HASH, b"\x00" * 65)
        with pytest.raises(AccountStateUnavailable):
            state.erc6492_is_valid(ACCOUNT, HASH, b"\x00" * 64 + ERC6492_MAGIC_SUFFIX)


def test_deep_json_is_refused_before_parsing_even_with_a_raised_recursion_limit() -> None:
    """json.loads recurses per nesting level; with a raised recursion limit (as some frameworks
    set) 1 MiB of '[' would overflow the C stack and crash the process instead of raising."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with (
            HostileRpcServer(HOSTILE["deeply nested JSON"]) as server,
            pytest.raises(RpcUnavailable) as info,
        ):
            provider(server.url).get_code(ACCOUNT)
    finally:
        sys.setrecursionlimit(limit)
    assert "nested" in info.value.message


def test_json_nested_within_the_bound_is_parsed() -> None:
    answer = json_answer(lambda request: {"jsonrpc": "2.0", "id": 1, "result": [[["0x"]]]})
    with HostileRpcServer(answer) as server:
        nested = rpc_call(JsonRpcEndpoint(server.url, **FAST), "eth_getCode", [])
    assert nested == [[["0x"]]]


def test_response_limit_stops_reading_early() -> None:
    def endless(conn: socket.socket, request: dict[str, Any], stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        while not stop.is_set():
            conn.sendall(b" " * 65536)

    with HostileRpcServer(endless) as server:
        state = provider(server.url, max_response_bytes=4096, total_timeout=5.0, read_timeout=2.0)
        started = time.monotonic()
        with pytest.raises(RpcUnavailable) as info:
            state.get_code(ACCOUNT)
        assert info.value.reason == "rpc_response_too_large"
        # Stopped by the size limit, long before the 2 s read timeout could end the exchange.
        assert time.monotonic() - started < 1.0


def test_https_with_an_untrusted_certificate_is_unavailable(tmp_path: Path) -> None:
    """The transport verifies TLS certificates (the default context): a self-signed node is
    refused before any JSON is read, never trusted."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    with HostileRpcServer(result("0x"), tls=tls) as server:
        assert server.url.startswith("https://")
        with pytest.raises(RpcUnavailable) as info:
            provider(server.url).get_code(ACCOUNT)
        assert server.requests == []
    assert info.value.reason == "rpc_transport"
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message


def test_closed_port_is_unavailable() -> None:
    state = provider(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RpcUnavailable) as info:
        state.get_code(ACCOUNT)
    assert info.value.reason == "rpc_connect"


@pytest.mark.parametrize(
    ("returned", "valid"),
    [
        ("0x" + ERC1271_MAGIC_VALUE.hex(), True),
        ("0x", False),
        ("0x1626ba7e", False),  # not ABI-encoded: 4 bytes instead of one word
        ("0x" + ERC1271_MAGIC_VALUE.hex() + "00" * 32, False),  # two words
        ("0x" + "00" * 28 + "1626ba7e", False),  # right-aligned: a uint, not a bytes4
        ("0x" + "ff" * 4 + "00" * 28, False),
    ],
)
def test_erc1271_is_valid_only_for_the_exact_magic_word(returned: str, valid: bool) -> None:
    with HostileRpcServer(result(returned)) as server:
        assert provider(server.url).erc1271_is_valid(ACCOUNT, HASH, b"\x01" * 65) is valid
        (request,) = server.requests
    call, block = request["params"]
    assert request["method"] == "eth_call"
    assert block == "latest"
    assert call == {
        "to": ACCOUNT.address,
        "data": "0x" + encode_is_valid_signature(HASH, b"\x01" * 65).hex(),
    }


@pytest.mark.parametrize(
    "answer",
    [error(3, "execution reverted"), error(-32000, "execution reverted: not owner")],
)
def test_a_revert_is_invalid_not_unavailable(answer: Any) -> None:
    with HostileRpcServer(answer) as server:
        state = provider(server.url)
        assert state.erc1271_is_valid(ACCOUNT, HASH, b"\x01" * 65) is False
        assert state.erc6492_is_valid(ACCOUNT, HASH, b"\x01" * 96 + ERC6492_MAGIC_SUFFIX) is False
        # eth_getCode executes nothing: a "revert" there is a broken node, so unavailable.
        with pytest.raises(RpcUnavailable):
            state.get_code(ACCOUNT)


def test_execution_reverted_carries_the_revert_data() -> None:
    with (
        HostileRpcServer(error(3, "execution reverted")) as server,
        pytest.raises(ExecutionReverted) as info,
    ):
        rpc_call(JsonRpcEndpoint(server.url, **FAST), "eth_call", [])
    assert info.value.data == "0x08c379a0"
    assert isinstance(info.value, Erc8128Error)


@pytest.mark.parametrize(
    ("returned", "outcome"),
    [
        ("0x" + "00" * 31 + "01", True),
        ("0x" + "00" * 32, False),
        ("0x" + "00" * 31 + "02", None),
        ("0x", None),
        ("0x" + "00" * 31 + "01" + "00", None),
    ],
)
def test_erc6492_accepts_only_the_validator_word(returned: str, outcome: bool | None) -> None:
    signature = b"\x01" * 96 + ERC6492_MAGIC_SUFFIX
    with HostileRpcServer(result(returned)) as server:
        state = provider(server.url)
        if outcome is None:
            with pytest.raises(RpcUnavailable):
                state.erc6492_is_valid(ACCOUNT, HASH, signature)
        else:
            assert state.erc6492_is_valid(ACCOUNT, HASH, signature) is outcome
        (request,) = server.requests
    (call, _block) = request["params"]
    assert set(call) == {"data"}  # no "to": the init code runs, nothing is deployed
    assert call["data"] == "0x" + erc6492_validation_call(ACCOUNT, HASH, signature).hex()


def test_call_gas_is_sent_with_every_eth_call() -> None:
    with HostileRpcServer(result("0x" + ERC1271_MAGIC_VALUE.hex())) as server:
        endpoint = JsonRpcEndpoint(server.url, **FAST)
        state = RpcAccountState(((1, endpoint),), call_gas=500_000)
        assert state.erc1271_is_valid(ACCOUNT, HASH, b"\x01" * 65)
        (request,) = server.requests
    assert request["params"][0]["gas"] == "0x7a120"
    with pytest.raises(RpcConfigError):
        RpcAccountState(((1, endpoint),), call_gas=0)


def test_check_chain_ids() -> None:
    with HostileRpcServer(result("0x1")) as server:
        RpcAccountState.from_urls({"eip155:1": server.url}).check_chain_ids()
        with pytest.raises(RpcConfigError):
            RpcAccountState.from_urls({"eip155:5": server.url}).check_chain_ids()
    with HostileRpcServer(result("0x01")) as server, pytest.raises(RpcUnavailable):
        RpcAccountState.from_urls({"eip155:1": server.url}).check_chain_ids()


# Full requests: an unavailable provider is 503, and the nonce stays unused.

def _signed(mode: str | None = None) -> Request:
    request = Request("GET", "https://api.example/orders?id=7")
    params = {"mode": mode} if mode else None
    return sign_request(request, KEY, created=NOW, nonce="n-1", params=params).request


@pytest.mark.parametrize(
    "name", ["silent server", "malformed JSON", "huge body with Content-Length"]
)
def test_hostile_provider_gives_503_and_consumes_no_nonce(name: str) -> None:
    store = MemoryReplayStore()
    request = _signed()
    with HostileRpcServer(HOSTILE[name]) as server, pytest.raises(VerificationError) as info:
        verify_request(request, now=NOW, nonces=store, accounts=provider(server.url))
    assert info.value.reason == "signature_verification_unavailable"
    assert info.value.status == 503
    assert len(store) == 0
    # The same request verifies afterwards against a code-free answer: its nonce is unused.
    with HostileRpcServer(result("0x")) as server:
        verified = verify_request(request, now=NOW, nonces=store, accounts=provider(server.url))
    assert verified.nonce_consumed
    assert verified.verification_method == "eoa"


def refusal_for_chain_5(nonce: str, **options: Any) -> VerificationError:
    """Verify a request signed on chain 5 against a provider for chain 1 only: the refusal,
    after asserting that the provider's node was never asked."""
    request = Request("GET", "https://api.example/orders?id=7")
    signed = sign_request(request, KEY, created=NOW, chain_id=5, nonce=nonce).request
    with HostileRpcServer(result("0x")) as server:
        with pytest.raises(VerificationError) as info:
            verify_request(
                signed,
                now=NOW,
                nonces=MemoryReplayStore(),
                accounts=provider(server.url),
                **options,
            )
        assert server.requests == []
    return info.value


def test_unserved_chain_is_unsupported_with_no_rpc_call() -> None:
    refusal = refusal_for_chain_5("n-2")
    assert refusal.reason == "unsupported_chain"
    assert refusal.status == 401


def test_served_chain_without_endpoint_is_503_with_no_rpc_call() -> None:
    refusal = refusal_for_chain_5("n-3", policy=VerifierPolicy(served_chains=frozenset({1, 5})))
    assert refusal.reason == "signature_verification_unavailable"
