"""The one paste parser (erc8128/http/paste.py) and the inspection built on it
(erc8128/protocol/inspection.py), on genuinely signed requests captured from real tools.

tests/data/pastes/ holds the captures; tests/data/pastes/capture.py made them (its docstring
and origin.json say which tool printed each file and when it was signed: the tests verify at
that time). Every paste must come out VERIFIED with no profile and no public URL given, from
``erc8128 inspect`` and from ``POST /api/inspect``.
"""

import importlib.util
import io
import json
import re
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from erc8128.cli import main
from erc8128.http.message import Request
from erc8128.http.paste import (
    FORMAT_GROUPS,
    FORMATS,
    GATE_DEBUG_MARK,
    HarEntryRequired,
    PasteError,
    _bash_words,
    _cmd_words,
    parse_paste,
)
from erc8128.http.raw_request import parse_raw_request
from erc8128.protocol.inspection import inspect_paste
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import verify_request
from erc8128.server import ServerConfig, start_server
from erc8128.server.app import App
from erc8128.server.pages import Pages

PASTES = Path(__file__).parents[1] / "data" / "pastes"
ORIGIN: dict[str, dict[str, Any]] = json.loads((PASTES / "origin.json").read_text())

# file: (format, scheme, where the scheme came from (substring), profile)
EXPECTED = {
    "raw_ours_https.http": ("http1", None, "assumed", "draft"),
    "slicekit_legacy.http": ("http1", None, "assumed", "legacy"),
    "curl_v_http.txt": ("curl-trace", "http", "no TLS handshake", "draft"),
    "curl_v_https.txt": ("curl-trace", "https", "TLS line", "draft"),
    "curl_hand_cleaned_http.txt": ("http1", None, "assumed", "draft"),
    "erc8128_request_v.txt": ("erc8128-verbose", "http", "signed @scheme", "draft"),
    "chrome_curl_bash.txt": ("curl-bash", "http", "URL in the curl command", "draft"),
    "chrome_curl_cmd.txt": ("curl-cmd", "http", "URL in the curl command", "draft"),
    "chrome_h2_headers.txt": ("header-list", "http", ":scheme", "draft"),
    "chrome_har_entry.json": ("har-entry", "http", "request.url", "draft"),
    "chrome_har_file.har": ("har", "http", "request.url", "draft"),
    "chrome_fetch.js": ("fetch", "http", "URL in the fetch call", "draft"),
    "python_requests_debug.txt": ("python-debug", None, "assumed", "draft"),
    "slicekit_console_log.txt": ("node-request", "http", "url: of the logged Request", "legacy"),
    "starlette_scope.txt": ("asgi-scope", "http", "scope's 'scheme'", "draft"),
    "flask_environ.txt": ("wsgi-environ", "http", "wsgi.url_scheme", "draft"),
    "pino_http_log.txt": ("logged-request", None, "assumed", "draft"),
}


def _capture_module() -> Any:
    spec = importlib.util.spec_from_file_location("capture", PASTES / "capture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_capture_is_listed() -> None:
    assert sorted(ORIGIN) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_is_detected_with_its_origin(name: str) -> None:
    form, scheme, scheme_from, _ = EXPECTED[name]
    paste = parse_paste((PASTES / name).read_bytes())
    assert paste.format == form
    assert paste.scheme == scheme
    assert paste.raw.request_line.endswith(" HTTP/1.1")
    assert paste.raw.header("host") is not None
    inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
    assert scheme_from in inspection.scheme_from


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_capture_verifies_with_no_profile_or_public_url(name: str) -> None:
    _, _, _, profile = EXPECTED[name]
    paste = parse_paste((PASTES / name).read_bytes())
    inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
    verified = inspection.explanation.verified
    assert verified is not None, inspection.explanation.error
    assert verified.profile == profile
    assert inspection.profiles == (profile,)


def test_an_assumed_scheme_that_fails_is_retried_and_the_answer_says_so() -> None:
    name = "curl_hand_cleaned_http.txt"
    paste = parse_paste((PASTES / name).read_bytes())
    inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
    assert [(a.scheme, a.verified, a.reason) for a in inspection.attempts] == [
        ("https", False, "bad_signature"), ("http", True, None)]
    assert inspection.scheme_note == ("the paste does not say the scheme: https failed "
                                      "(bad_signature), http verified")


def test_a_legacy_request_is_judged_as_legacy_unless_a_profile_is_forced() -> None:
    name = "slicekit_legacy.http"
    paste = parse_paste((PASTES / name).read_bytes())
    now = ORIGIN[name]["now"]
    auto = inspect_paste(paste, now=now, policy=VerifierPolicy())
    assert auto.member_profiles == (("eth", 'legacy signature (keyid "erc8128:...", no tag)'),)
    forced = inspect_paste(paste, now=now, policy=VerifierPolicy(), profile="draft")
    assert forced.explanation.error is not None
    assert forced.explanation.error.reason == "no_acceptable_signature"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_inspect_verifies_each_capture(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["inspect", str(PASTES / name), "--now", str(ORIGIN[name]["now"])])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"VERIFIED ({EXPECTED[name][3]} signature)" in out
    assert "DIFFERS" not in out


@pytest.mark.parametrize(("late", "reason"), [(3600, "request_expired"),
                                              (-3600, "request_not_yet_valid")])
def test_cli_inspect_of_an_old_capture_names_the_now_that_checks_the_rest(
    late: int, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "raw_ours_https.http"
    assert main(["inspect", str(PASTES / name), "--now", str(ORIGIN[name]["now"] + late)]) == 1
    out = capsys.readouterr().out
    assert f"REJECTED: {reason}" in out
    hint = re.search(r"run again with --now (\d+)", out)
    assert hint is not None, out
    assert main(["inspect", str(PASTES / name), "--now", hint.group(1)]) == 0
    assert "VERIFIED" in capsys.readouterr().out


def _api(document: dict[str, Any]) -> dict[str, Any]:
    pages = Pages(policy=VerifierPolicy())
    body = json.dumps(document).encode()
    request = Request("POST", "http://127.0.0.1/api/inspect",
                      (("Content-Type", "application/json"),), body)
    response = pages.handle(request, now=ORIGIN["raw_ours_https.http"]["now"], client="t")
    assert response is not None
    answer: dict[str, Any] = json.loads(response.body)
    return answer


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_api_inspect_verifies_each_capture(name: str) -> None:
    text = (PASTES / name).read_text()
    answer = _api({"raw": text, "now": ORIGIN[name]["now"]})
    assert answer["verdict"] == "verified", answer.get("message")
    assert answer["format"] == EXPECTED[name][0]
    assert answer["winner_profile"] == EXPECTED[name][3]
    member = answer["members"][0]
    assert member["address_match"] is True


def test_slicekit_signed_request_in_every_format_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The slicekit capture rewritten in each DevTools/curl form (capture.py's writers): the
    signature is the SDK's, the wrapping is each format's. Verified by inspect_paste, by
    ``erc8128 inspect`` and by ``POST /api/inspect``, with no profile and no public URL."""
    capture = _capture_module()
    name = "slicekit_legacy.http"
    raw = parse_raw_request((PASTES / name).read_bytes())
    method, target, _ = raw.request_line.split(" ")
    host = raw.header("host")
    url = f"http://{host}{target}"
    headers = [tuple(line.split(": ", 1)) for line in raw.header_lines]
    data = raw.body.decode()
    record = {"request": {"method": method, "url": url, "postData": data},
              "headers": dict(headers), "wallTime": 1.0, "response": None}
    forms = {
        "curl-bash": capture.copy_as_curl(method, url, headers, data, "posix"),
        "curl-cmd": capture.copy_as_curl(method, url, headers, data, "win"),
        "header-list": capture.h2_header_list(record) + "\n" + data,
        "har-entry": json.dumps(capture.har_entry(record)),
    }
    for form, text in forms.items():
        paste = parse_paste(text)
        assert paste.format == form
        inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
        verified = inspection.explanation.verified
        assert verified is not None and verified.profile == "legacy", (form, inspection)
        path = tmp_path / f"{form}.txt"
        path.write_text(text)
        now = str(ORIGIN[name]["now"])
        assert main(["inspect", str(path), "--now", now]) == 0, form
        assert "VERIFIED (legacy signature)" in capsys.readouterr().out
        answer = _api({"raw": text, "now": ORIGIN[name]["now"]})
        assert (answer["verdict"], answer["format"]) == ("verified", form)


def test_a_paste_in_no_format_gets_one_message_naming_every_format() -> None:
    with pytest.raises(PasteError) as caught:
        parse_paste("* signature base (RFC 9421 §2.5), but nothing else\nhello")
    assert caught.value.reason == "paste_format_unknown"
    for title in FORMATS.values():
        assert title in caught.value.message
    grouped = [name for _, names in FORMAT_GROUPS for name in names]
    assert sorted(grouped) == sorted(FORMATS)  # each format in one group
    assert '"* signature base (RFC 9421 §2.5), but nothing else"' in caught.value.message


def test_a_har_file_with_several_signed_entries_asks_for_a_choice() -> None:
    har = json.loads((PASTES / "chrome_har_file.har").read_text())
    entries = har["log"]["entries"]
    signed = next(e for e in entries if any(h["name"] == "Signature" for h in
                                            e["request"]["headers"]))
    har["log"]["entries"] = [*entries, signed]
    with pytest.raises(HarEntryRequired) as caught:
        parse_paste(json.dumps(har))
    assert [e.signed for e in caught.value.entries].count(True) == 2
    chosen = parse_paste(json.dumps(har), entry=len(entries))
    assert chosen.entry == len(entries)
    answer = _api({"raw": json.dumps(har), "now": ORIGIN["chrome_har_file.har"]["now"]})
    assert answer["verdict"] == "choose_entry"
    assert len(answer["entries"]) == len(entries) + 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("curl 'a b' -H $'x: it\\'s \\u0021' \\\n  --data-raw \"q\\\"\"",
         ["curl", "a b", "-H", "x: it's !", "--data-raw", 'q"']),
    ],
)
def test_bash_quoting(text: str, words: list[str]) -> None:
    assert _bash_words(text) == words


def test_cmd_quoting_round_trips_devtools_escapes() -> None:
    capture = _capture_module()
    for value in ['{"a":"b"}', "100% ok", "a\\b\\\"c", 'x^y', "line1\nline2", "&|<>!"]:
        assert _cmd_words("curl " + capture.cmd_quote(value)) == ["curl", value], value


def test_the_fetch_capture_is_what_copy_as_fetch_writes_for_the_har_entrys_request() -> None:
    capture = _capture_module()
    request = json.loads((PASTES / "chrome_har_entry.json").read_text())["request"]
    pairs = [(header["name"], header["value"]) for header in request["headers"]]
    written = capture.copy_as_fetch(request["method"], request["url"], pairs,
                                    request["postData"]["text"], "strict-origin-when-cross-origin")
    assert (PASTES / "chrome_fetch.js").read_text() == written + "\n"
    # DevTools leaves out Host, Origin, User-Agent and Content-Length; the paste rebuilds the
    # two the call says (Host from the URL, Content-Length from the body) and verifies.
    assert '"origin"' not in written and '"host"' not in written
    raw = parse_paste(written).raw
    assert raw.header("host") == "127.0.0.1:18200"
    assert raw.header("content-length") == str(len(request["postData"]["text"]))


def _fetch_of(options: dict[str, Any], *, prefix: str = "fetch(") -> str:
    return f'{prefix}"https://api.example/items?x=1", {json.dumps(options, indent=4)});'


@pytest.mark.parametrize("prefix", ["fetch(", "await fetch(", "const response = await fetch("])
def test_a_fetch_call_as_a_javascript_author_keeps_it(prefix: str) -> None:
    # Firefox writes `await fetch(` with four-space JSON; a script keeps `const r = await fetch(`.
    paste = parse_paste(_fetch_of({"method": "post", "body": "hi",
                                   "headers": {"X-A": "1"}}, prefix=prefix))
    assert (paste.format, paste.scheme, paste.authority) == ("fetch", "https", "api.example")
    assert paste.raw.request_line == "POST /items?x=1 HTTP/1.1"  # "post" normalised, as fetch
    assert paste.raw.header("x-a") == "1"
    # Fetch standard: a string body without a Content-Type is sent as text/plain;charset=UTF-8.
    assert paste.raw.header("content-type") == "text/plain;charset=UTF-8"
    assert (paste.raw.header("content-length"), paste.raw.body) == ("2", b"hi")


def test_fetch_sends_other_methods_as_written() -> None:
    paste = parse_paste(_fetch_of({"method": "patch", "headers": [["a", "b"]]}))
    assert paste.raw.request_line == "patch /items?x=1 HTTP/1.1"
    assert paste.raw.header("content-length") is None  # no body: none sent


@pytest.mark.parametrize(
    ("text", "reason", "says"),
    [
        ("fetch('https://a.example/', {method: 'GET'})", "fetch_invalid", "written in JSON"),
        ('fetch("https://a.example/", {"body": {"a": 1}})', "fetch_invalid", "body as a string"),
        ('fetch("ftp://a.example/")', "fetch_invalid", "http or https URL"),
        ('fetch("https://a.example/", {"headers": {"a": 1}})', "fetch_invalid", "headers as"),
        ('fetch("https://a.example/") ;\nfetch("https://a.example/b");', "fetch_several",
         "copy the one signed request"),
        ('fetch("https://a.example/", {"headers": {"signature-input": '
         '"eth=(\\"@method\\" \\"origin\\");created=1"}})', "fetch_header_left_out",
         "origin, which Copy as fetch leaves out"),
    ],
    ids=["js-not-json", "object-body", "ftp", "number-header", "several", "covered-origin"],
)
def test_a_fetch_paste_that_cannot_be_read_says_why(text: str, reason: str, says: str) -> None:
    with pytest.raises(PasteError) as caught:
        parse_paste(text)
    assert caught.value.reason == reason
    assert says in caught.value.message


def test_python_debug_output_with_logging_lines_and_a_second_request() -> None:
    captured = (PASTES / "python_requests_debug.txt").read_text()
    send_lines = [line for line in captured.splitlines() if line.startswith("send: ")]
    refused = [*send_lines, "reply: 'HTTP/1.1 401 Unauthorized\\r\\n'",
               'header: WWW-Authenticate: ERC8128 error="nonce_reused"']
    text = "\n".join([
        "DEBUG:urllib3.connectionpool:Starting new HTTP connection (1): 127.0.0.1:18200",
        *refused,
        "DEBUG:urllib3.connectionpool:http://127.0.0.1:18200 \"POST /x HTTP/1.1\" 401 141",
        "send: b'GET /second HTTP/1.1\\r\\nHost: other.example\\r\\n\\r\\n'",
    ])
    paste = parse_paste(text)
    assert paste.format == "python-debug"
    assert paste.raw.request_line == "POST /api/whoami?via=requests HTTP/1.1"  # the first one
    assert paste.raw.body == b'{"hello": "world"}'
    assert (paste.answer_status, paste.answer_reason) == (401, "nonce_reused")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("send: b'GET / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\n\\r\\nab'",
         "content_truncated"),
        ("send: b'GET / HTTP/1.1\\r\\nHost: a\\r\\n'", "python_debug_invalid"),
        ("send: b'GET / HTTP/1.1\\r\\nHost: a'\\x'", "python_debug_invalid"),
    ],
    ids=["truncated-content", "head-not-ended", "not-a-literal"],
)
def test_python_debug_output_that_cannot_be_read_says_why(text: str, reason: str) -> None:
    with pytest.raises(PasteError) as caught:
        parse_paste(text)
    assert caught.value.reason == reason


def test_a_logged_node_request_with_escapes_and_one_without_its_content() -> None:
    logged = "\n".join([
        "Request {", "  method: 'GET',", "  url: 'https://api.example/p?q=1',",
        "  headers: Headers {", "    'x-quote': \"it's \\u00e9\",", "    accept: '*/*'", "  },",
        "  signal: AbortSignal { aborted: false }", "}",
    ])
    paste = parse_paste(logged)
    assert (paste.format, paste.scheme, paste.authority) == ("node-request", "https",
                                                             "api.example")
    assert paste.raw.request_line == "GET /p?q=1 HTTP/1.1"
    assert paste.raw.header("host") == "api.example"
    assert paste.raw.header("x-quote") == "it's é".encode().decode("latin-1")  # as sent
    with pytest.raises(PasteError) as caught:
        parse_paste(logged.replace("accept: '*/*'", "'Content-Digest': 'sha-256=:AA==:'"))
    assert caught.value.reason == "content_missing"
    assert "console.log of a Request does not show its content" in caught.value.message
    with pytest.raises(PasteError) as caught:
        parse_paste("Request {\n  method: 'GET'\n}")
    assert caught.value.reason == "node_request_invalid"


@pytest.mark.parametrize(
    "logged",
    [
        json.dumps({"host": "api.example", "signature-input": 'eth=("@method")',
                    "signature": "eth=:AA==:"}),  # JSON.stringify(req.headers)
        "{'Host': 'api.example', 'Signature-Input': 'eth=(\"@method\")'}",  # a Python dict
        "{\n  host: 'api.example',\n  'signature-input': 'eth=()'\n}",  # Node's util.inspect
        "Headers {\n  'content-type': 'text/plain',\n  'signature-input': 'eth=()'\n}",
        "EnvironHeaders([('Host', 'api.example'), ('Signature-Input', 'eth=()')])",
        "Headers({'host': 'api.example', 'signature-input': 'eth=()'})",  # Starlette
    ],
    ids=["json", "python-dict", "node-inspect", "node-headers", "werkzeug", "starlette"],
)
def test_a_logged_header_object_asks_for_the_request_line(logged: str) -> None:
    # A server author's log line of the request's headers. Not a HAR: say what is missing.
    with pytest.raises(PasteError) as caught:
        parse_paste(logged)
    assert caught.value.reason == "request_line_missing"
    assert "req.headers" in caught.value.message and "GET /path HTTP/1.1" in caught.value.message


def test_stdin_paste_is_read_as_text(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = (PASTES / "erc8128_request_v.txt").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status = main(["inspect", "-", "--now", str(ORIGIN["erc8128_request_v.txt"]["now"])])
    out = capsys.readouterr().out
    assert status == 0
    assert "read as: erc8128 request -v output" in out


@pytest.mark.parametrize(
    ("printed", "form", "scheme", "request_line", "header_lines"),
    [
        ("{'type': 'http', 'scheme': 'https', 'method': 'GET', 'path': '/a/b', "
         "'raw_path': b'/a%2Fb', 'query_string': b'q=<1>', 'app': <App object at 0x1>, "
         "'route': Route(path='/a', name=__import__('os').system('false')), "
         "'nested': <bound method A.f of <A object at 0x2>>, 'note': 'a < b', "
         "'headers': [(b'host', b'api.example'), (b'x-obs', b'caf\\xe9')]}",
         "asgi-scope", "https", "GET /a%2Fb?q=<1> HTTP/1.1",
         ("host: api.example", "x-obs: caf\xe9")),
        ("{'REQUEST_METHOD': 'POST', 'PATH_INFO': '/a/b', 'RAW_URI': '/a%2Fb?x', "
         "'wsgi.input': <Body object at 0x3>, 'wsgi.url_scheme': 'http', "
         "'HTTP_HOST': 'api.example', 'CONTENT_LENGTH': '0', 'CONTENT_TYPE': ''}",
         "wsgi-environ", "http", "POST /a%2Fb?x HTTP/1.1",
         ("Host: api.example", "Content-Length: 0")),
    ],
    ids=["scope", "environ"],
)
def test_a_printed_scope_or_environ_is_read_as_the_middleware_reads_it(
    printed: str, form: str, scheme: str, request_line: str, header_lines: tuple[str, ...]
) -> None:
    """A server author's print(request.scope) / print(request.environ): literals only (the
    object reprs and calls around them read as nothing), the target as sent (raw_path,
    RAW_URI), never evaluated."""
    paste = parse_paste(printed)
    assert (paste.format, paste.scheme) == (form, scheme)
    assert paste.raw.request_line == request_line
    assert paste.raw.header_lines == header_lines


@pytest.mark.parametrize(
    ("text", "reason", "says"),
    [
        ("{'type': 'http', 'method': 'POST', 'headers': [(b'host', b'a'), "
         "(b'content-digest', b'sha-256=:AA==:')]}", "content_missing", "http.request messages"),
        ("{'type': 'http', 'method': 'POST', 'headers': [(b'content-length', b'12')]}",
         "content_missing", "ASGI scope"),
        ("{'REQUEST_METHOD': 'POST', 'CONTENT_LENGTH': '3', 'wsgi.input': <Body>}",
         "content_missing", "wsgi.input"),
        ("{'type': 'http', 'method': 'GET', 'headers': [('host', 'a')]}",
         "asgi_scope_invalid", "(bytes, bytes) pair"),
        ("{'type': 'http', 'headers': []}", "asgi_scope_invalid", "'method'"),
        ("{'REQUEST_METHOD': <object>}", "wsgi_environ_invalid", "REQUEST_METHOD"),
    ],
    ids=["digest", "asgi-content", "wsgi-content", "str-headers", "no-method", "method-repr"],
)
def test_a_printed_scope_or_environ_that_cannot_be_read_says_why(
    text: str, reason: str, says: str
) -> None:
    with pytest.raises(PasteError) as caught:
        parse_paste(text)
    assert caught.value.reason == reason
    assert says in caught.value.message


def test_a_logged_request_line_with_its_answer_and_one_without_its_content() -> None:
    """pino's req/res as one JSON line: the target as logged, the server's answer from res."""
    request: dict[str, Any] = {"method": "GET", "url": "/p?q=1", "headers": {
        "host": "api.example", "x-both": ["a", "b"], "signature-input": "eth=()"}}
    line = {"level": 30, "req": request, "res": {"statusCode": 401, "headers": {
            "www-authenticate": 'ERC8128 error="nonce_reused"'}}}
    paste = parse_paste(json.dumps(line))
    assert (paste.format, paste.raw.request_line) == ("logged-request", "GET /p?q=1 HTTP/1.1")
    assert paste.raw.header_lines == ("host: api.example", "x-both: a", "x-both: b",
                                      "signature-input: eth=()")
    assert (paste.answer_status, paste.answer_reason) == (401, "nonce_reused")
    unsigned = {"req": {"method": "GET", "url": "/", "headers": {"host": "a"}}}
    assert parse_paste(json.dumps(unsigned) + "\n" + json.dumps(line)).raw.request_line == (
        "GET /p?q=1 HTTP/1.1")  # of a log's lines, the signed one
    request["headers"]["content-length"] = "12"
    with pytest.raises(PasteError) as caught:
        parse_paste(json.dumps(line))
    assert caught.value.reason == "content_missing"
    assert "a logged request does not hold its content" in caught.value.message
    request["headers"] = {"x": {"nested": 1}}
    with pytest.raises(PasteError) as caught:
        parse_paste(json.dumps(line))
    assert caught.value.reason == "logged_request_invalid"


@pytest.mark.parametrize(
    ("wrap", "literal"),
    [
        (lambda text: "".join("    " + line for line in text.splitlines(True)), None),
        (lambda text: "\n" + "".join("\t" + line for line in text.splitlines(True)), None),
        (lambda text: repr(text.encode()), "Python bytes literal"),
        (repr, "Python str literal"),
        (json.dumps, "JSON string"),
    ],
    ids=["indented", "tab-indented", "bytes-repr", "str-repr", "json-string"],
)
def test_a_request_indented_or_in_a_string_literal_is_read_as_the_request(
    wrap: Callable[[str], str], literal: str | None
) -> None:
    """A paste from a Markdown block or a quoted mail (indented as a whole), or a request
    printed as a Python repr or kept in a JSON log field (one string literal)."""
    name = "raw_ours_https.http"
    paste = parse_paste(wrap((PASTES / name).read_text()))
    assert (paste.format, paste.literal) == ("http1", literal)
    assert paste.format_title.endswith(f", in a {literal}" if literal else "request")
    inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
    assert inspection.explanation.verified is not None, inspection.explanation.error


def test_a_string_literal_holding_another_is_refused() -> None:
    with pytest.raises(PasteError) as caught:
        parse_paste(repr(repr("GET / HTTP/1.1\r\nHost: a\r\n\r\n")))
    assert caught.value.reason == "paste_format_unknown"
    assert "holds another Python str literal" in caught.value.message
    inner = GATE_DEBUG_MARK + repr(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(PasteError) as caught:  # the Gate's line is read once too
        parse_paste(GATE_DEBUG_MARK + repr(f"GET / HTTP/1.1\r\nX: {inner}\r\n\r\n".encode()))
    assert "holds another Python bytes literal of the Gate's DEBUG line" in caught.value.message


def test_nothing_a_paste_contains_reaches_the_access_log_or_replay_state() -> None:
    """D67: every paste format (one per file here) inspected over real HTTP; the server's access
    log never holds a byte of it and each pasted request's nonce stays unused at the server."""
    log = io.StringIO()
    with start_server(ServerConfig(port=0, access_log=log)) as server:
        app: App = server.app
        for name in sorted(EXPECTED):
            text = (PASTES / name).read_text()
            document = json.dumps({"raw": text, "now": ORIGIN[name]["now"]}).encode()
            request = urllib.request.Request(server.url + "/api/inspect", data=document,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.loads(answer.read())["verdict"] == "verified"
        # After every inspection, each pasted signature is still unused at the server. Several
        # files are one capture in several formats: each signature is verified (and so used)
        # once, at its capture's now.
        verified_signatures: set[tuple[str, ...]] = set()
        for name in sorted(EXPECTED):
            paste = parse_paste((PASTES / name).read_text())
            inspection = inspect_paste(paste, now=ORIGIN[name]["now"], policy=VerifierPolicy())
            signature = inspection.request.field_lines("signature")
            if signature in verified_signatures:
                continue
            verified_signatures.add(signature)
            verify_request(inspection.request, now=ORIGIN[name]["now"], nonces=app.nonces,
                           policy=VerifierPolicy(profiles=inspection.profiles))
        assert len(verified_signatures) == 11  # the chrome_* files are one capture
        # The access line is written after the answer is sent: wait for the last one.
        deadline = time.monotonic() + 5
        while (log.getvalue().count("/api/inspect 200 -") < len(EXPECTED)
               and time.monotonic() < deadline):
            time.sleep(0.01)
        written = log.getvalue()
    assert written.count("/api/inspect 200 -") == len(EXPECTED)
    for marker in ("Signature", "eth=", "sha-256", "0xdda1d91f", "curl", "keyid"):
        assert marker not in written, marker


def test_non_ascii_text_is_shown_as_pasted_never_as_mojibake() -> None:
    """The issue saw "Â§2.5": UTF-8 read as latin-1 on the way back to the person."""
    raw = "GET / HTTP/1.1\nHost: a.example\nX-Note: RFC 9421 §2.5\n\n"
    answer = _api({"raw": raw, "now": 1})
    assert ["X-Note", "RFC 9421 §2.5"] in answer["headers"]
    assert "Â" not in json.dumps(answer, ensure_ascii=False)


def test_cli_lists_har_entries_when_a_choice_is_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = json.loads((PASTES / "chrome_har_file.har").read_text())
    entries = har["log"]["entries"]
    signed = next(i for i, e in enumerate(entries)
                  if any(h["name"] == "Signature" for h in e["request"]["headers"]))
    har["log"]["entries"] = [*entries, entries[signed]]
    path = tmp_path / "two.har"
    path.write_text(json.dumps(har))
    now = str(ORIGIN["chrome_har_file.har"]["now"])
    assert main(["inspect", str(path), "--now", now]) == 2
    err = capsys.readouterr().err
    assert "har_entry_required" in err and "choose one with --entry N" in err
    assert f"  {len(entries)}: POST http://" in err and "(signed)" in err
    assert main(["inspect", str(path), "--now", now, "--entry", str(len(entries))]) == 0
    assert f"HAR entry {len(entries)} of {len(entries) + 1}" in capsys.readouterr().out


def test_browser_request_lines_with_http2_or_absolute_targets_say_their_origin() -> None:
    """Firefox's "Copy Request Headers" writes an HTTP/2 request line; a proxy log writes an
    absolute-form target (RFC 9112 §3.2.2): both are raw requests whose line says enough."""
    paste = parse_paste("POST /x?y=1 HTTP/2\nHost: api.example\n\n")
    assert (paste.format, paste.raw.request_line) == ("http1", "POST /x?y=1 HTTP/2.0")
    paste = parse_paste("GET http://api.example:8080/x HTTP/1.1\nHost: api.example:8080\n\n")
    assert (paste.scheme, paste.authority) == ("http", "api.example:8080")
    assert paste.raw.request_line == "GET /x HTTP/1.1"


def test_a_trace_without_its_content_says_so() -> None:
    trace = "> POST /x HTTP/1.1\n> Host: a\n> Content-Length: 17\n>\n< HTTP/1.1 200 OK\n"
    with pytest.raises(PasteError) as caught:
        parse_paste(trace)
    assert caught.value.reason == "content_missing"
    assert "17 content bytes" in caught.value.message


def _replayed_trace(reason: str) -> str:
    """curl_v_http.txt with the answer a replay of it gets: 401 and the ERC-8128 challenge."""
    text = (PASTES / "curl_v_http.txt").read_text()
    head, _, _ = text.partition("< HTTP/1.1 200 OK")
    return (head + "< HTTP/1.1 401 Unauthorized\n"
            f'< WWW-Authenticate: ERC8128 error="{reason}"\n< Content-Length: 0\n< \n')


def test_the_answer_a_paste_shows_is_read_with_its_challenge_reason() -> None:
    """A -v trace and a HAR entry carry the server's answer (status, and the reason code of a
    WWW-Authenticate: ERC8128 challenge, SPEC.md §5); a raw request carries none."""
    assert (parse_paste(_replayed_trace("nonce_reused")).answer_status,
            parse_paste(_replayed_trace("nonce_reused")).answer_reason) == (401, "nonce_reused")
    ours = parse_paste((PASTES / "curl_v_http.txt").read_bytes())
    assert (ours.answer_status, ours.answer_reason) == (200, None)
    har = parse_paste((PASTES / "chrome_har_entry.json").read_bytes())
    assert har.answer_status == json.loads(
        (PASTES / "chrome_har_entry.json").read_text())["response"]["status"]
    raw = parse_paste((PASTES / "raw_ours_https.http").read_bytes())
    assert (raw.answer_status, raw.answer_reason) == (None, None)


@pytest.mark.parametrize(("reason", "why"), [
    ("nonce_reused", "this inspection starts with a fresh replay store"),
    ("request_expired", "the server judged at its clock when the request arrived"),
    ("keyid_chain_unsupported", "the server's configuration differs from this inspection's"),
])
def test_cli_inspect_says_why_the_servers_refusal_differs(
    reason: str, why: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A developer pastes the -v trace of a request the server refused: the inspector, with a
    fresh replay store and its own clock, verifies it, and says so beside the server's answer
    (read from stdin: no FILE argument)."""
    name = "curl_v_http.txt"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        _replayed_trace(reason).encode())))
    assert main(["inspect", "--now", str(ORIGIN[name]["now"])]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out
    assert f"the server answered: 401 {reason}" in out
    assert "the verdicts differ: " in out and why in out


def test_api_inspect_gives_the_page_the_servers_answer() -> None:
    """The inspector page gets what ``erc8128 inspect`` prints: the server's answer from the
    paste and why the verdicts differ (none for a raw request, which shows no answer)."""
    name = "curl_v_http.txt"
    answer = _api({"raw": _replayed_trace("nonce_reused"), "now": ORIGIN[name]["now"]})
    assert answer["verdict"] == "verified", answer.get("message")
    server = answer["server_answer"]
    assert (server["status"], server["reason"], server["said"]) == (
        401, "nonce_reused", "401 nonce_reused")
    assert "fresh replay store" in server["why"]
    raw = "raw_ours_https.http"
    assert _api({"raw": (PASTES / raw).read_text(),
                 "now": ORIGIN[raw]["now"]})["server_answer"] is None


def test_the_signature_header_lines_alone_ask_for_the_request_line() -> None:
    """What `erc8128 sign` prints, or a log keeps: only the header lines. The paste cannot be
    verified (the signature covers the method, path and authority), and the refusal says what
    to add instead of listing the formats; with the request line and Host it verifies."""
    name = "raw_ours_https.http"
    head = (PASTES / name).read_text().replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")
    header_lines = "\n".join(line for line in head[1:]
                             if line.lower().startswith(("signature-input:", "signature:")))
    with pytest.raises(PasteError) as caught:
        parse_paste(header_lines + "\n")
    assert caught.value.reason == "request_line_missing"
    assert "erc8128 sign --full" in caught.value.message
    answer = _api({"raw": header_lines, "now": ORIGIN[name]["now"]})
    assert answer.get("reason") == "request_line_missing", answer
