"""The integrations with real frameworks and HTTP clients: Flask (WSGI) and Starlette (ASGI)
behind the verifying middleware, requests and httpx signing with their auth hooks.

Each middleware is driven both through its framework's test client and over a real loopback
socket (werkzeug / uvicorn in a thread). Refusals are checked for the ERC-8128 §6 shape:
status, ``WWW-Authenticate``, ``Accept-Signature`` and the problem body's ``reason``.
"""

import asyncio
import http.client
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import flask
import httpx
import pytest
import requests
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route
from werkzeug.serving import make_server

from erc8128.client import Client, ClientError, Signer
from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.errors import Erc8128Error
from erc8128.http.message import (
    Request,
    request_from_field_columns,
    request_from_parsed,
    request_from_wire,
)
from erc8128.http.paste import parse_paste
from erc8128.integrations import asgi, wsgi
from erc8128.integrations.gate import VERIFIED_KEY, Gate
from erc8128.integrations.httpx_auth import ERC8128Auth as HttpxAuth
from erc8128.integrations.requests_auth import ERC8128Auth as RequestsAuth
from erc8128.protocol.inspection import inspect_paste
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import Verified
from erc8128.state.nonces.memory import MemoryReplayStore

STRICT = VerifierPolicy(required_components=("x-client",))


def route_policy(method: str, path: str) -> VerifierPolicy | None:
    if path == "/public":
        return None
    if path == "/strict":
        return STRICT
    return VerifierPolicy()


def _summary(verified: Verified | None, body: bytes) -> dict[str, Any]:
    if verified is None:
        return {"verified": False, "body": body.decode()}
    return {
        "verified": True,
        "address": verified.address,
        "label": verified.label,
        "covered": list(verified.covered_components),
        "body": body.decode(),
    }


# --------------------------------------------------------------------------------------------
# Flask (WSGI).
# --------------------------------------------------------------------------------------------


def flask_app() -> flask.Flask:
    app = flask.Flask("integration")

    @app.route("/<path:name>", methods=["GET", "POST", "PUT"])
    def anything(name: str) -> Any:
        # The app reads the body after the middleware did: it must still be all there.
        return _summary(flask.request.environ.get(VERIFIED_KEY), flask.request.get_data())

    return app


def wrap_flask(public_url: str) -> flask.Flask:
    app = flask_app()
    app.wsgi_app = wsgi.ERC8128Middleware(  # type: ignore[method-assign]
        app.wsgi_app, Gate(public_url, policy=route_policy)
    )
    return app


@pytest.fixture(scope="module")
def flask_server() -> Iterator[str]:
    app = flask_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.wsgi_app = wsgi.ERC8128Middleware(  # type: ignore[method-assign]
        app.wsgi_app, Gate(url, policy=route_policy)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join()


def _signed_headers(signer: Signer, method: str, url: str, body: bytes | None = None,
                    headers: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    signed = signer.sign(Request(method, url, headers, body), created=int(time.time()))
    return dict(signed.request.headers)


def test_flask_test_client_verified() -> None:
    signer = Signer.generate()
    client = wrap_flask("http://localhost").test_client()
    body = b'{"a":1}'
    headers = _signed_headers(signer, "POST", "http://localhost/items?x=1", body,
                              (("Content-Type", "application/json"),))
    answer = client.post("/items?x=1", data=body, headers=headers)
    assert answer.status_code == 200
    result = answer.get_json()
    assert result["verified"] is True
    assert result["address"] == signer.address
    assert result["body"] == '{"a":1}'
    assert '"content-digest"' in result["covered"]


def test_flask_test_client_refusals() -> None:
    client = wrap_flask("http://localhost").test_client()
    missing = client.get("/items")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'ERC8128 error="signature_missing"'
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.get_json()["reason"] == "signature_missing"
    # Public routes pass through without a signature (and without a Verified result).
    public = client.get("/public")
    assert public.status_code == 200
    assert public.get_json() == {"verified": False, "body": ""}


def test_flask_tampered_body_is_bad_content_digest() -> None:
    signer = Signer.generate()
    client = wrap_flask("http://localhost").test_client()
    headers = _signed_headers(signer, "POST", "http://localhost/pay", b"amount=1",
                              (("Content-Type", "text/plain"),))
    answer = client.post("/pay", data=b"amount=9", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["reason"] == "bad_content_digest"


def test_flask_wrong_public_url_is_bad_signature() -> None:
    # Signed for another authority than the one the verifier is configured with.
    signer = Signer.generate()
    client = wrap_flask("https://api.example").test_client()
    answer = client.get("/items", headers=_signed_headers(signer, "GET", "http://localhost/items"))
    assert answer.status_code == 401
    assert answer.get_json()["reason"] == "bad_signature"


def test_flask_insufficient_coverage_advertises_route_set() -> None:
    signer = Signer.generate()
    client = wrap_flask("http://localhost").test_client()
    headers = _signed_headers(signer, "GET", "http://localhost/strict")
    answer = client.get("/strict", headers={**headers, "X-Client": "t"})
    assert answer.status_code == 401
    assert answer.get_json()["reason"] == "insufficient_coverage"
    assert answer.headers["Accept-Signature"] == (
        'eth=("@scheme" "@authority" "@method" "@path" "@query" "x-client");created;expires;'
        'tag="erc8128"'
    )


def test_flask_body_over_limit_is_413() -> None:
    app = flask_app()
    app.wsgi_app = wsgi.ERC8128Middleware(  # type: ignore[method-assign]
        app.wsgi_app, Gate("http://localhost", max_body_bytes=4)
    )
    answer = app.test_client().post("/x", data=b"12345")
    assert answer.status_code == 413
    assert answer.get_json()["reason"] == "content_too_large"


def test_requests_auth_over_socket(flask_server: str) -> None:
    signer = Signer.generate()
    auth = RequestsAuth(signer)
    got = requests.get(flask_server + "/items?q=a%20b", auth=auth, timeout=5)
    assert got.status_code == 200
    assert got.json()["address"] == signer.address
    posted = requests.post(flask_server + "/items", json={"k": "v"}, auth=auth, timeout=5)
    assert posted.status_code == 200
    assert json.loads(posted.json()["body"]) == {"k": "v"}
    assert posted.json()["covered"][-2:] == ['"content-digest"', '"content-type"']
    raw = requests.put(flask_server + "/items", data="plain text", auth=auth, timeout=5)
    assert raw.json()["body"] == "plain text"


def test_requests_auth_retries_once_as_advertised(flask_server: str) -> None:
    signer = Signer.generate()
    answer = requests.get(flask_server + "/strict", headers={"X-Client": "r"},
                          auth=RequestsAuth(signer, label="sig1"), timeout=5)
    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [401]
    assert answer.json()["label"] == "sig1"
    assert answer.json()["covered"][-1] == '"x-client"'
    # Without the field the advertised set cannot be covered: the refusal is returned.
    refused = requests.get(flask_server + "/strict", auth=RequestsAuth(signer), timeout=5)
    assert refused.status_code == 401
    assert refused.json()["reason"] == "insufficient_coverage"


def test_requests_without_auth_refused_over_socket(flask_server: str) -> None:
    answer = requests.get(flask_server + "/items", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["reason"] == "signature_missing"


def test_stdlib_client_against_flask(flask_server: str) -> None:
    signer = Signer.generate()
    client = Client(flask_server, signer)
    repaired = client.get("/strict", headers=[("X-Client", "c")])
    assert repaired.status == 200
    assert repaired.json()["covered"][-1] == '"x-client"'
    # Without X-Client the advertised set cannot be covered: no retry, the refusal stands.
    refused = client.get("/strict")
    assert (refused.status, refused.reason) == (401, "insufficient_coverage")
    assert refused.signed is not None
    assert "x-client" not in refused.signed.signature_input


def test_chunked_upload_is_verified_and_readable(flask_server: str) -> None:
    # No Content-Length: werkzeug marks the input terminated and the middleware reads it all.
    signer = Signer.generate()
    body = b"chunk-one|chunk-two"
    headers = _signed_headers(signer, "POST", flask_server + "/upload", body,
                              (("Content-Type", "text/plain"),))
    connection = http.client.HTTPConnection(flask_server.removeprefix("http://"), timeout=5)
    connection.putrequest("POST", "/upload")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for part in (body[:9], body[9:]):
        connection.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    connection.send(b"0\r\n\r\n")
    answer = connection.getresponse()
    result = json.loads(answer.read())
    connection.close()
    assert answer.status == 200, result
    assert result["body"] == body.decode()
    assert result["address"] == signer.address


def test_requests_auth_refuses_streamed_bodies(flask_server: str) -> None:
    with pytest.raises(ClientError) as caught:
        requests.post(flask_server + "/x", data=iter([b"a"]), auth=RequestsAuth(Signer.generate()),
                      timeout=5)
    assert caught.value.reason == "body_not_bytes"


def test_httpx_sync_auth_over_socket(flask_server: str) -> None:
    signer = Signer.generate()
    with httpx.Client(auth=HttpxAuth(signer)) as client:
        got = client.get(flask_server + "/items", params={"q": "1"})
        assert got.status_code == 200
        assert got.json()["address"] == signer.address
        posted = client.post(flask_server + "/items", json={"n": 1})
        assert posted.status_code == 200
        assert json.loads(posted.json()["body"]) == {"n": 1}
        strict = client.get(flask_server + "/strict", headers={"X-Client": "h"})
        assert strict.status_code == 200
        assert [r.status_code for r in strict.history] == [401]
        assert strict.json()["covered"][-1] == '"x-client"'


# --------------------------------------------------------------------------------------------
# Starlette (ASGI).
# --------------------------------------------------------------------------------------------


async def starlette_anything(request: StarletteRequest) -> JSONResponse:
    body = await request.body()
    return JSONResponse(_summary(request.scope.get(VERIFIED_KEY), body))


def starlette_app(public_url: str) -> asgi.ERC8128Middleware:
    app = Starlette(routes=[
        Route("/{name:path}", starlette_anything, methods=["GET", "POST", "PUT"]),
    ])
    return asgi.ERC8128Middleware(app, Gate(public_url, policy=route_policy))


def _in_process(app: Any, base_url: str, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
    """Starlette's test client is httpx over the ASGI transport; used here directly."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, auth=auth)


def test_starlette_in_process_verified_and_refused() -> None:
    signer = Signer.generate()

    async def scenario() -> list[httpx.Response]:
        app = starlette_app("http://testserver")
        async with _in_process(app, "http://testserver") as client:
            return [
                await client.post("/items", json={"z": 2}, auth=HttpxAuth(signer)),
                await client.get("/items"),
                await client.get("/public"),
            ]

    answer, refused, public = asyncio.run(scenario())
    assert answer.status_code == 200
    assert answer.json()["address"] == signer.address
    assert json.loads(answer.json()["body"]) == {"z": 2}
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'ERC8128 error="signature_missing"'
    assert refused.json()["reason"] == "signature_missing"
    assert public.json() == {"verified": False, "body": ""}


def test_starlette_add_middleware_as_the_readme_shows() -> None:
    # README: `app.add_middleware(ERC8128Middleware, gate=Gate(url))`, Starlette's (and
    # FastAPI's) own way to wrap an app, which calls ERC8128Middleware(app, gate=...).
    signer = Signer.generate()
    app = Starlette(routes=[
        Route("/{name:path}", starlette_anything, methods=["GET", "POST", "PUT"]),
    ])
    app.add_middleware(asgi.ERC8128Middleware, gate=Gate("http://testserver",
                                                          policy=route_policy))

    async def scenario() -> list[httpx.Response]:
        async with _in_process(app, "http://testserver") as client:
            return [await client.get("/items", auth=HttpxAuth(signer)),
                    await client.get("/items")]

    answer, refused = asyncio.run(scenario())
    assert answer.json()["address"] == signer.address
    assert refused.json()["reason"] == "signature_missing"


def test_starlette_tampered_body_and_replay() -> None:
    signer = Signer.generate()
    tamper_headers = _signed_headers(signer, "POST", "http://testserver/pay", b"amount=1",
                                     (("Content-Type", "text/plain"),))
    once_headers = _signed_headers(signer, "GET", "http://testserver/once")

    async def scenario() -> list[httpx.Response]:
        async with _in_process(starlette_app("http://testserver"), "http://testserver") as client:
            return [
                await client.post("/pay", content=b"amount=9", headers=tamper_headers),
                await client.get("/once", headers=once_headers),
                await client.get("/once", headers=once_headers),
            ]

    tampered, first, replayed = asyncio.run(scenario())
    assert tampered.status_code == 401
    assert tampered.json()["reason"] == "bad_content_digest"
    assert first.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json()["reason"] == "nonce_reused"


def test_httpx_async_auth_with_asgi_transport() -> None:
    signer = Signer.generate()

    async def scenario() -> list[httpx.Response]:
        app = starlette_app("http://app")
        async with _in_process(app, "http://app", HttpxAuth(signer, label="async")) as client:
            return [
                await client.post("/items", json={"async": True}),
                await client.get("/strict", headers={"X-Client": "a"}),
            ]

    posted, strict = asyncio.run(scenario())
    assert posted.status_code == 200
    assert posted.json()["label"] == "async"
    assert json.loads(posted.json()["body"]) == {"async": True}
    assert strict.status_code == 200
    assert strict.json()["covered"][-1] == '"x-client"'


@pytest.fixture(scope="module")
def uvicorn_server() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(starlette_app(url), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_asgi_over_real_socket(uvicorn_server: str) -> None:
    signer = Signer.generate()
    got = requests.get(uvicorn_server + "/items?a=1&b=2", auth=RequestsAuth(signer), timeout=5)
    assert got.status_code == 200
    assert got.json()["address"] == signer.address
    posted = httpx.post(uvicorn_server + "/items", json={"u": 1}, auth=HttpxAuth(signer))
    assert json.loads(posted.json()["body"]) == {"u": 1}
    refused = httpx.get(uvicorn_server + "/items")
    assert refused.status_code == 401
    assert refused.json()["reason"] == "signature_missing"


def test_percent_encoded_path_verifies_as_sent(uvicorn_server: str, flask_server: str) -> None:
    # RFC 9421 §2.2.6: @path is the target's path as sent; raw_path / RAW_URI keep %2F.
    signer = Signer.generate()
    for base in (uvicorn_server, flask_server):
        answer = requests.get(base + "/a%2Fb/c", auth=RequestsAuth(signer), timeout=5)
        assert answer.status_code == 200, (base, answer.text)


# --------------------------------------------------------------------------------------------
# Packaging: the integrations stay optional.
# --------------------------------------------------------------------------------------------


def test_import_erc8128_imports_no_third_party_http_library() -> None:
    code = (
        "import sys, erc8128, erc8128.integrations, erc8128.client\n"
        "import erc8128.integrations.wsgi, erc8128.integrations.asgi\n"
        "bad = [m for m in ('requests', 'httpx', 'flask', 'starlette', 'werkzeug', 'redis') "
        "if m in sys.modules]\n"
        "print(bad)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert output.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# The Gate's hot path (SPEC.md D73): the request built once, the signer key cache on.
# --------------------------------------------------------------------------------------------

PARSED_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("GET", "/items?x=1", [("Host", "api.example"), ("X-A", "  padded\t"), ("x-a", "again")]),
    ("POST", "/a/%2e%2E/b;p?q=%20", [("Content-Type", "application/json"), ("Empty", "")]),
    ("GET", "https://api.example/abs?y", [("Obs", "caf\xe9")]),
    ("GET", "https://API.example:443/abs", []),
    ("GET", "https://other.example/abs", []),  # absolute-form naming another authority
    ("GET", "*", []),  # asterisk-form
    ("CONNECT", "api.example:443", []),  # authority-form
    ("GET", "/frag#x", []),
    ("GET", "", []),
    ("GET", "/sp ace", []),
    ("G(T", "/", []),  # method not a token
    ("GET", "/", [("Bad Name", "v")]),
    ("GET", "/", [("X", "a\x00b")]),
    ("GET", "/", [("X", "a\rb")]),
    ("GET", "/", [("X", "\u0100")]),  # not a latin-1 octet
    ("GET", "/", [("X", "a\x7fb")]),
]


@pytest.mark.parametrize(("method", "target", "pairs"), PARSED_CASES)
def test_request_from_parsed_matches_request_from_wire(
    method: str, target: str, pairs: list[tuple[str, str]]
) -> None:
    """The Gate's builder accepts, refuses and produces exactly what the wire parser does for
    the same request (when the pairs are what a server would split the lines into)."""
    def outcome(build: Any) -> object:
        try:
            return build()
        except Erc8128Error as error:
            return error.reason

    origin = {"scheme": "https", "authority": "api.example"}
    parsed = outcome(lambda: request_from_parsed(method, target, pairs, b"", **origin))
    # The middleware's form: the same lines as two columns, names and values.
    columns = outcome(lambda: request_from_field_columns(
        method, target, [name for name, _ in pairs], [value for _, value in pairs], b"",
        **origin))
    assert columns == parsed
    wire = outcome(lambda: request_from_wire(
        f"{method} {target} HTTP/1.1", [f"{name}: {value}" for name, value in pairs], b"",
        **origin))
    if " " in target:
        # A space cannot be in a request-target on the wire (it splits the request line): the
        # wire parser names the line, the parsed builder the target; both refuse.
        assert (wire, parsed) == ("request_line_malformed", "request_target_characters")
        return
    assert parsed == wire


@pytest.mark.parametrize(("pairs", "reason"), [
    ([("X", "a\nb")], "bare_cr_or_lf"),  # LF joins the values in the all-at-once check
    ([("X", "v"), ("Y", "a\nb"), ("Z", "w")], "bare_cr_or_lf"),
    ([("X\nY", "v")], "field_name_not_token"),  # LF joins the names
    ([("X", "v"), ("", "w")], "field_name_not_token"),
    ([("X", "v"), ["Y", "w"]], "headers_type"),  # a list, not a (name, value) tuple
    ([("X", "v"), ("Y", "w", "extra")], "headers_type"),
    ([("X", "v"), ("Y", b"w")], "headers_type"),
    ([("X", "v"), (b"Y", "w")], "headers_type"),
])
def test_request_from_parsed_names_the_bad_line_among_good_ones(
    pairs: list[Any], reason: str
) -> None:
    """request_from_parsed checks all lines at once, then one by one when that fails: a bad
    line among good ones (or one carrying the separator of the joined check) is refused with
    the reason the line-by-line check gives."""
    with pytest.raises(Erc8128Error) as refused:
        request_from_parsed("GET", "/", pairs, b"", scheme="https", authority="api.example")
    assert refused.value.reason == reason
    # The middleware's form, names and values apart (a pair's own shape is not in it).
    if all(type(pair) is tuple and len(pair) == 2 for pair in pairs):
        with pytest.raises(Erc8128Error) as refused:
            request_from_field_columns("GET", "/", [pair[0] for pair in pairs],
                                       [pair[1] for pair in pairs], b"", scheme="https",
                                       authority="api.example")
        assert refused.value.reason == reason


def test_request_from_parsed_keeps_order_and_repeats() -> None:
    request = request_from_parsed(
        "GET", "/p?q", [("B", " 1 "), ("a", "2"), ("B", "3")], None,
        scheme="https", authority="API.example:443",
    )
    assert request.target_uri == "https://api.example/p?q"
    assert request.headers == (("B", "1"), ("a", "2"), ("B", "3"))
    assert request.field_lines("b") == ("1", "3")


def test_gate_uses_a_key_cache_by_default() -> None:
    gate = Gate("https://api.example")
    assert isinstance(gate.key_cache, SignerKeyCache)
    assert Gate("https://api.example").key_cache is not gate.key_cache  # one per Gate
    signer = Signer.generate()
    policy = VerifierPolicy()
    for _ in range(3):
        signed = signer.sign(Request("GET", "https://api.example/x"), created=int(time.time()))
        outcome = gate.check("GET", "/x", list(signed.request.headers), b"", policy)
        assert isinstance(outcome, Verified)
    statistics = gate.key_cache.statistics()
    assert (statistics.misses, statistics.hits) == (1, 2)
    assert Gate("https://api.example", key_cache=None).key_cache is None


def test_gate_resolves_a_fixed_policy_once_and_asks_a_route_policy_each_time() -> None:
    policy = VerifierPolicy()
    fixed = Gate("https://api.example", policy=policy)
    assert fixed.route_policy("GET", "/a") is policy
    asked: list[tuple[str, str]] = []

    def route(method: str, path: str) -> VerifierPolicy | None:
        asked.append((method, path))
        return None if path == "/public" else policy

    routed = Gate("https://api.example", policy=route)
    assert routed.route_policy("GET", "/public") is None
    assert routed.route_policy("POST", "/b") is policy
    assert asked == [("GET", "/public"), ("POST", "/b")]


def test_the_gate_clock_is_the_replay_store_clock(tmp_path: Any) -> None:
    """Issue 20, one clock per verification: the Gate's ``clock`` decides the verdict, when the
    replay store forgets a mark and what the restart watermark records. The clock is set far
    from the wall clock, so a store reading a clock of its own would keep the first mark."""
    now = [4_000_000_000]
    gate = Gate("https://api.example", clock=lambda: now[0], state_dir=str(tmp_path))
    assert isinstance(gate.nonces, MemoryReplayStore)
    signer = Signer.generate()
    policy = VerifierPolicy()

    def check_fresh() -> Verified | object:
        signed = signer.sign(Request("GET", "https://api.example/x"), created=now[0])
        return gate.check("GET", "/x", list(signed.request.headers), b"", policy)

    assert isinstance(check_fresh(), Verified)
    assert len(gate.nonces) == 1
    assert gate.watermark is not None and gate.watermark.reserved == now[0] + 1
    now[0] += 3600  # past the first signature's expires + skew, by the Gate's clock alone
    assert isinstance(check_fresh(), Verified)
    assert len(gate.nonces) == 1  # the first mark expired at the Gate's now
    assert gate.watermark.reserved == now[0] + 1


def test_each_refusal_is_one_info_line_naming_the_reason(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """As erc8128 serve's access log: method, target, status and reason code, for the app's
    own log; the accepted request writes nothing, and no received field value is written."""
    gate = Gate("https://api.example", clock=lambda: 1_700_000_000, state_dir=str(tmp_path))
    signed = Signer.generate().sign(Request("GET", "https://api.example/x?q=1"),
                                    created=1_700_000_000)
    headers = list(signed.request.headers)
    with caplog.at_level(logging.INFO, logger="erc8128.integrations.gate"):
        assert isinstance(gate.check("GET", "/x?q=1", headers, b"", VerifierPolicy()), Verified)
        assert caplog.messages == []
        refused = gate.check("GET", "/x?q=1", headers, b"", VerifierPolicy())
        unreadable = gate.check("GET", "/x", [("Bad Name", "v")], b"", VerifierPolicy())
    assert not isinstance(refused, Verified) and not isinstance(unreadable, Verified)
    assert caplog.messages == [
        "refused GET https://api.example/x?q=1: 401 nonce_reused",
        "refused a request that cannot be read (field_name_not_token): 400 "
        "signature_input_invalid",
    ]
    signature = dict(headers)["Signature"]
    assert all(signature not in message for message in caplog.messages)


def test_at_debug_a_refused_request_is_logged_as_a_paste_erc8128_inspect_reads(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A developer's switch: the request as the verifier read it, one bytes literal (control
    octets escaped, so one log line), which the inspector verifies step by step."""
    gate = Gate("https://api.example", clock=lambda: 1_700_000_000, state_dir=str(tmp_path))
    signed = Signer.generate().sign(
        Request("POST", "https://api.example/x", (("Content-Type", "text/plain"),), b"a\r\nb"),
        created=1_700_000_000)
    headers = list(signed.request.headers)
    gate.check("POST", "/x", headers, b"a\r\nb", VerifierPolicy())
    with caplog.at_level(logging.DEBUG, logger="erc8128.integrations.gate"):
        gate.check("POST", "/x", headers, b"a\r\nb", VerifierPolicy())  # a replay
    refused, as_read = caplog.messages
    assert refused == "refused POST https://api.example/x: 401 nonce_reused"
    prefix = "refused request as read, for erc8128 inspect: "
    assert as_read.startswith(prefix) and "\n" not in as_read
    paste = parse_paste(as_read.removeprefix(prefix))
    assert (paste.format, paste.literal) == ("http1", "Python bytes literal")
    whole_log = parse_paste(caplog.text)  # every line as logged, with logging's prefixes
    assert whole_log.raw == paste.raw
    assert whole_log.literal == "Python bytes literal of the Gate's DEBUG line"
    inspection = inspect_paste(paste, now=1_700_000_000, policy=VerifierPolicy())
    assert inspection.explanation.verified is not None  # a fresh inspector: not yet a replay


def test_wsgi_app_reads_only_the_signed_content(tmp_path: Any) -> None:
    """Without content, a server that marks its input terminated hands the app its own (empty)
    stream; without that mark, the app reads the empty content that was signed, never bytes
    the server's stream may still hold (unsigned content)."""
    signer = Signer.generate()
    seen: list[tuple[object, bytes]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen.append((stream, stream.read()))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    middleware = wsgi.ERC8128Middleware(app, Gate("https://api.example",
                                                  state_dir=str(tmp_path)))
    for terminated, held in ((True, b""), (False, b"unsigned")):
        signed = signer.sign(Request("GET", "https://api.example/x"), created=int(time.time()))
        server_stream = io.BytesIO(held)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET", "PATH_INFO": "/x", "RAW_URI": "/x",
            "wsgi.input": server_stream, "wsgi.input_terminated": terminated,
        }
        for name, value in signed.request.headers:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        statuses: list[str] = []
        middleware(environ, lambda status, headers, into=statuses: into.append(status))
        assert statuses == ["200 OK"]
        stream, read = seen[-1]
        assert read == b""
        assert (stream is server_stream) is terminated


def test_wsgi_reads_the_stream_only_when_the_request_has_content(tmp_path: Any) -> None:
    """RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no
    content, so the middleware verifies it without reading the server's stream; a chunked one
    (no Content-Length) is read to its end and its content is what the signature covers."""
    signer = Signer.generate()
    middleware = wsgi.ERC8128Middleware(
        lambda environ, start_response: start_response("200 OK", []) or [b""],
        Gate("https://api.example", state_dir=str(tmp_path)))

    class Stream(io.BytesIO):
        reads = 0

        def read(self, size: int | None = -1) -> bytes:
            Stream.reads += 1
            return super().read(size)

    for method, content, extra in (("GET", b"", {}),
                                   ("POST", b"{}", {"HTTP_TRANSFER_ENCODING": "chunked"})):
        Stream.reads = 0
        signed = signer.sign(Request(method, "https://api.example/x", (), content or None),
                             created=int(time.time()))
        environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/x", "RAW_URI": "/x",
                                   "wsgi.input": Stream(content), "wsgi.input_terminated": True,
                                   **extra}
        for name, value in signed.request.headers:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        statuses: list[str] = []
        middleware(environ, lambda status, headers, into=statuses: into.append(status))
        assert statuses == ["200 OK"], (method, statuses)
        assert Stream.reads == (1 if content else 0), method


def _asgi_receive_calls(gate: Gate, signer: Signer, version: str, method: str, *, content: bytes,
                        length: bool) -> tuple[int, int, bytes, int]:
    """One signed request through the ASGI middleware: the receive() calls made before the app
    ran, in all, what the app read, and the status sent."""
    calls = 0
    calls_before_app: list[int] = []
    app_read: list[bytes] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return {"type": "http.request", "body": content, "more_body": False}

    async def app(scope: Any, app_receive: Any, send: Any) -> None:
        calls_before_app.append(calls)
        app_read.append((await app_receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    signed = signer.sign(Request(method, "https://api.example/x", (), content or None),
                         created=int(time.time()))
    lines = [*signed.request.headers,
             *((("Content-Length", str(len(content))),) if length else ())]
    scope = {"type": "http", "http_version": version, "method": method, "path": "/x",
             "raw_path": b"/x", "query_string": b"",
             "headers": [(n.lower().encode(), v.encode()) for n, v in lines]}
    asyncio.run(asgi.ERC8128Middleware(app, gate)(scope, receive, send))
    return calls_before_app[0], calls, app_read[0], sent[0]["status"]


def test_asgi_receives_before_verifying_only_when_the_request_may_have_content(
    tmp_path: Any,
) -> None:
    """RFC 9112 §6.3 under ASGI: an HTTP/1.1 request with neither Content-Length nor
    Transfer-Encoding has no content, so the middleware verifies it without calling receive()
    and the app gets the server's own receive; an HTTP/2 request may end its content without
    either field, so it is read, as is one with Content-Length, and the app reads the signed
    content."""
    signer = Signer.generate()
    gate = Gate("https://api.example", state_dir=str(tmp_path))
    for version, method, content, length, before_app in (("1.1", "GET", b"", False, 0),
                                                          ("2", "GET", b"", False, 1),
                                                          ("1.1", "POST", b"{}", True, 1)):
        # Bodyless HTTP/1.1: the middleware never called receive() and the app's call reached
        # the server; otherwise the middleware read once and the app got the signed content.
        assert _asgi_receive_calls(gate, signer, version, method, content=content,
                                   length=length) == (
            before_app, 1, content, 200), (version, method)


def test_request_from_parsed_is_the_request_its_parts_make() -> None:
    """request_from_parsed builds the Request without __post_init__'s second pass over the
    field lines: the value, its field lines by any name and its refusals are Request's own."""
    pairs = [("Host", "a"), ("signature-INPUT", "x"), ("B", "1"), ("b", "2")]
    request = request_from_parsed("GET", "/p", pairs, b"{}", scheme="https",
                                  authority="api.example")
    reference = Request("GET", "https://api.example/p", tuple(pairs), b"{}")
    assert request == reference
    for name in ("host", "Signature-Input", "B", "content-type"):
        assert request.field_lines(name) == reference.field_lines(name)
    assert request.field_lines("b") == ("1", "2")
    assert request.with_header("C", "3").field_lines("c") == ("3",)
    with pytest.raises(Erc8128Error) as refused:
        request_from_parsed("GET", "/p", pairs, "text", scheme="https",  # type: ignore[arg-type]
                            authority="api.example")
    assert refused.value.reason == "body_type"


def test_the_gate_publishes_its_policy_at_the_well_known_path(tmp_path: Any) -> None:
    """SPEC.md D91: a Gate with one policy answers GET /.well-known/erc8128 (ERC-8128 §7) with
    the document built from that policy, under ASGI and WSGI alike, before any verification;
    discovery=False leaves the path to the app's own routes (here: verified, so refused)."""
    policy = VerifierPolicy(max_validity_sec=120)

    def asgi_get(gate: Gate, method: str = "GET") -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            raise AssertionError("the app is not reached")

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/.well-known/erc8128",
                 "raw_path": b"/.well-known/erc8128", "query_string": b"", "headers": []}
        asyncio.run(asgi.ERC8128Middleware(app, gate)(scope, receive, send))
        return sent[0]["status"], sent[1]["body"]

    def wsgi_get(gate: Gate) -> tuple[str, bytes]:
        statuses: list[str] = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/.well-known/erc8128",
                   "wsgi.input": io.BytesIO(b"")}
        body = b"".join(wsgi.ERC8128Middleware(
            lambda environ, start_response: pytest.fail("the app is not reached"), gate,
        )(environ, lambda status, headers, into=statuses: into.append(status)))
        return statuses[0], body

    gate = Gate("https://api.example", policy=policy, state_dir=str(tmp_path))
    status, body = asgi_get(gate)
    document = json.loads(body)
    assert status == 200
    assert document["max_validity_sec"] == 120 and document["chains"] == ["eip155:1"]
    assert document["route_policies"]["default"]["replay"] == "non-replayable"
    assert "methods" not in document["route_policies"]["default"]
    assert wsgi_get(gate) == ("200 OK", body)
    assert asgi_get(gate, "POST")[0] == 401  # only GET is the document; POST is verified
    off = Gate("https://api.example", policy=policy, state_dir=str(tmp_path), discovery=False)
    assert asgi_get(off)[0] == 401
    routed = Gate("https://api.example", policy=lambda method, path: policy,
                  state_dir=str(tmp_path))
    assert routed.discovery_answer("GET", "/.well-known/erc8128") is None  # cannot enumerate
