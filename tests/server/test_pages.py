"""The inspector's and console's server side (erc8128.server.pages), without a browser: the
examples, POST /api/inspect and /api/build, their limits, and the pages' security headers."""

import json
import tomllib
import urllib.request
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from erc8128.http.message import Request, request_from_wire
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.server import ServerConfig, start_server
from erc8128.server.app import App
from erc8128.server.page_frame import NAVIGATION
from erc8128.server.pages import (
    CONTENT_SECURITY_POLICY,
    MAX_RAW_REQUEST_BYTES,
    Pages,
    examples,
)
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.draft_fixture import POSITIVE

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "reference/erc8128/server/static"


def call(pages: Pages, path: str, document: Any, *, client: str = "192.0.2.1",
         now: int = 1700000001) -> tuple[int, Any]:
    body = json.dumps(document).encode("utf-8")
    request = Request("POST", "http://127.0.0.1:8128" + path,
                      (("Content-Type", "application/json"),), body)
    answer = pages.handle(request, now=now, client=client)
    assert answer is not None
    return answer.status, json.loads(answer.body)


def inspect(pages: Pages, **fields: Any) -> dict[str, Any]:
    status, document = call(pages, "/api/inspect", fields)
    assert status == 200, document
    return dict(document)


def test_first_example_is_the_drafts_positive_vector_byte_for_byte() -> None:
    shown = POSITIVE["request"]["http_block_as_displayed"]
    assert examples()[0].raw == shown.rstrip("\n")


@pytest.mark.parametrize(
    ("example_id", "verdict", "failing_step", "reason"),
    [
        ("draft-positive", "verified", None, None),
        ("replay", "rejected", 18, "nonce_reused"),
        ("tampered-body", "rejected", 12, "bad_content_digest"),
        ("legacy", "verified", None, None),
        ("class-bound", "rejected", 11, "insufficient_coverage"),
    ],
)
def test_examples_verdicts_come_from_the_step_trace(
    example_id: str, verdict: str, failing_step: int | None, reason: str | None
) -> None:
    example = next(e for e in examples() if e.id == example_id)
    result = inspect(Pages(policy=VerifierPolicy()), raw=example.raw,
                     public_url=example.public_url, now=example.now, profile=example.profile,
                     replay=example.replay)
    assert (result["verdict"], result["reason"]) == (verdict, reason)
    failed = [s["step"] for s in result["steps"] if s["verdict"] == "fail"]
    assert failed == ([] if failing_step is None else [failing_step])
    if verdict == "verified":
        assert [s["step"] for s in result["steps"]] == list(range(1, 19))


def test_class_bound_example_verifies_when_the_route_accepts_class_bound() -> None:
    example = next(e for e in examples() if e.id == "class-bound")
    result = inspect(Pages(policy=VerifierPolicy()), raw=example.raw,
                     public_url=example.public_url, now=example.now, class_bound=True)
    assert (result["verdict"], result["binding"], result["replay"]) == (
        "verified", "class-bound", "replayable")


def test_positive_vector_members_tie_each_line_of_m_to_its_component() -> None:
    example = examples()[0]
    result = inspect(Pages(policy=VerifierPolicy()), raw=example.raw,
                     public_url=example.public_url, now=example.now)
    (member,) = result["members"]
    assert "\n".join(line["line"] for line in member["base"]) == POSITIVE["signature_base"]
    assert [line["component"] for line in member["base"]] == [
        *POSITIVE["covered_components"], '"@signature-params"']
    assert member["message_hash"] == POSITIVE["erc191_hash"]
    # The commentary and the verifier's own trace agree on M and H (steps 15 and 16).
    values = {s["step"]: s["value"] for s in result["steps"]}
    assert values[15] == POSITIVE["signature_base"]
    assert values[16] == POSITIVE["erc191_hash"]
    assert member["signature"]["hex"] == POSITIVE["signature"]
    assert member["recovered"] == member["keyid_address"] == (
        "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf")


def test_inspector_never_touches_the_servers_nonces() -> None:
    """Decision D57: inspecting a request does not consume its nonce at the server."""
    with start_server(ServerConfig(port=0)) as server:
        now = 1764370000
        signed = sign_request(Request("GET", server.url + "/api/whoami"),
                              bytes.fromhex("11" * 32), created=now)
        raw = "\n".join(["GET /api/whoami HTTP/1.1", f"Host: {server.url[7:]}",
                         *(f"{n}: {v}" for n, v in signed.request.headers)]) + "\n\n"
        result = inspect(server.app.pages, raw=raw, public_url=server.url, now=now)
        assert result["verdict"] == "verified"
        app: App = server.app
        # The same request still verifies against the server's own store: its nonce is unused.
        verify_request(signed.request, now=now, nonces=app.nonces)


def test_inspector_refuses_oversized_and_malformed_requests_with_a_reason() -> None:
    pages = Pages(policy=VerifierPolicy())
    big = "GET / HTTP/1.1\nHost: a\n\n" + "x" * (1024 * 1024)
    status, problem = call(pages, "/api/inspect", {"raw": big})
    assert (status, problem["reason"]) == (413, "raw_request_too_large")
    assert str(MAX_RAW_REQUEST_BYTES) in problem["detail"]
    status, problem = call(pages, "/api/inspect", {"raw": ""})
    assert (status, problem["reason"]) == (400, "raw_request_empty")
    status, problem = call(pages, "/api/inspect", {"raw": "POST / HTTP/1.1\nHost: a\n"
                                                          "Content-Length: 9\n\nshort"})
    assert (status, problem["reason"]) == (400, "content_truncated")
    status, problem = call(pages, "/api/inspect", {"raw": "nonsense"})
    assert status == 400 and problem["reason"]
    status, problem = call(pages, "/api/inspect", {"raw": "GET / HTTP/1.1\n" + "X: y\n" * 101})
    assert (status, problem["reason"]) == (400, "too_many_header_lines")
    status, problem = call(pages, "/api/inspect", ["not", "an", "object"])
    assert (status, problem["reason"]) == (400, "invalid_json")
    status, problem = call(pages, "/api/inspect", {"raw": "GET / HTTP/1.1", "now": "soon"})
    assert (status, problem["reason"]) == (400, "invalid_field")


def test_endpoints_are_rate_limited_per_client_address() -> None:
    pages = Pages(policy=VerifierPolicy(), rate_limit=(3, 60))
    example = examples()[0]
    document = {"raw": example.raw, "public_url": example.public_url, "now": example.now}
    statuses = [call(pages, "/api/inspect", document, now=120)[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert call(pages, "/api/build", {"url": "https://a.example/"}, now=120)[0] == 429
    assert call(pages, "/api/inspect", document, client="192.0.2.2", now=120)[0] == 200
    assert call(pages, "/api/inspect", document, now=180)[0] == 200  # the next minute


def test_build_signs_with_the_test_key_and_the_result_verifies() -> None:
    status, built = call(Pages(policy=VerifierPolicy()), "/api/build", {
        "method": "POST", "url": "https://api.example/items?view=full",
        "headers": [["Content-Type", "application/json"]], "body": '{"hello":"world"}',
        "key": "test", "created": 1700000000,
    })
    assert status == 200, built
    assert built["address"] == "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf" and built["test_key"]
    head, _, body = built["raw"].partition("\n\n")
    lines = head.split("\n")
    request = request_from_wire(lines[0], lines[1:], body.encode(), scheme="https",
                                authority="api.example")
    verified = verify_request(request, now=1700000001,
                              nonces=MemoryReplayStore())
    assert verified.signature_base == built["signature_base"]
    assert "0x" + verified.message_hash.hex() == built["message_hash"]
    assert built["signature"] == built["r"] + built["s"][2:] + f"{built['v']:02x}"


def test_build_refuses_a_key_that_is_not_a_secp256k1_key() -> None:
    pages = Pages(policy=VerifierPolicy())
    for key in ("0x" + "00" * 32, "0x" + "ff" * 32, "0x1234", "nonsense"):
        status, problem = call(pages, "/api/build", {"url": "https://a.example/", "key": key})
        assert (status, problem["reason"]) == (400, "invalid_field")


def test_pages_have_a_strict_content_security_policy_and_no_inline_script() -> None:
    pages = Pages(policy=VerifierPolicy())
    for page_path in ("/", "/inspect", "/console", "/spec"):
        answer = pages.handle(Request("GET", "http://h" + page_path), now=0, client="c")
        assert answer is not None and answer.status == 200
        assert answer.field_lines("content-security-policy") == (CONTENT_SECURITY_POLICY,)
        assert answer.field_lines("x-content-type-options") == ("nosniff",)
        html = answer.body.decode("utf-8")
        assert "<script>" not in html and " on" + "click=" not in html and "style=" not in html
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    script = pages.handle(Request("GET", "http://h/static/console.js"), now=0, client="c")
    assert script is not None
    assert script.field_lines("content-type") == ("text/javascript; charset=utf-8",)
    assert pages.handle(Request("GET", "http://h/static/missing.js"), now=0, client="c") is None
    refused = pages.handle(Request("POST", "http://h/console"), now=0, client="c")
    assert refused is not None and refused.status == 405


def test_every_static_file_is_package_data() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["erc8128"]
    for file in STATIC.iterdir():
        relative = file.relative_to(ROOT / "reference/erc8128").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in globs), relative


class _NavLinks(HTMLParser):
    """The links of a page's <nav aria-label="pages">: (href, label, aria-current or None)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str | None]] = []
        self._in_nav = False
        self._link: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav" and ("aria-label", "pages") in attrs:
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self._link = dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self.links.append((self._link["href"] or "", data, self._link.get("aria-current")))
            self._link = None


SERVED_PAGES = {"/": "/", "/inspect": "/", "/console": "/console",
                "/walkthrough": "/walkthrough", "/spec": "/spec"}  # path -> its nav entry


def test_every_served_page_has_the_one_navigation_and_marks_itself() -> None:
    with start_server(ServerConfig(port=0)) as server:
        for page_path, current in SERVED_PAGES.items():
            with urllib.request.urlopen(server.url + page_path) as answer:
                parser = _NavLinks()
                parser.feed(answer.read().decode("utf-8"))
            assert [(href, label) for href, label, _ in parser.links] == list(NAVIGATION), \
                page_path
            marked = [href for href, _, aria in parser.links if aria is not None]
            assert marked == [current], page_path
            assert all(aria in (None, "page") for _, _, aria in parser.links), page_path


def test_spec_without_spec_md_is_a_404_page_in_the_same_navigation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A wheel install has no SPEC.md; the nav's SPEC.md link then leads to a page saying so."""
    monkeypatch.setattr("erc8128.server.pages.spec_text", lambda: None)
    answer = Pages(policy=VerifierPolicy()).handle(Request("GET", "http://h/spec"), now=0,
                                                   client="c")
    assert answer is not None and answer.status == 404
    assert answer.field_lines("content-type") == ("text/html; charset=utf-8",)
    assert answer.field_lines("content-security-policy") == (CONTENT_SECURITY_POLICY,)
    page = answer.body.decode("utf-8")
    assert "This install has no SPEC.md" in page
    parser = _NavLinks()
    parser.feed(page)
    assert [(href, label) for href, label, _ in parser.links] == list(NAVIGATION)
    assert [href for href, _, aria in parser.links if aria is not None] == ["/spec"]
