"""The demo server's browser pages: a request inspector (``/``) and an owner console
(``/console``), with the two JSON endpoints behind the inspector.

The pages are static HTML, CSS and JavaScript shipped in ``erc8128/server/static`` (no build
step, no CDN; the inspector and the console keep only their ``<main>`` there and get the shared
head and header from :mod:`erc8128.server.page_frame`) and served with a strict
Content-Security-Policy: scripts and styles only from this origin, no inline script, no
framing. The console needs no server code at all: every owner action is an ERC-8128 signed
request that the page builds itself and the wallet signs.

``POST /api/inspect`` explains the verification of a pasted raw HTTP request with the reference
verifier's own step trace (:func:`erc8128.protocol.verify.explain_request`), against a FRESH replay
store and a fresh early-invalidation state made for that one call: the server's own nonces are never
read or written (decision D57). ``POST /api/build`` signs a request with the reference
:func:`erc8128.protocol.sign.sign_request` for the build tab, with the public test key or a
throwaway key the page generated (decision D58). Both have size limits and a per-client rate limit.
"""

import datetime
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import Any, Final

from erc8128.crypto.addresses import address_of
from erc8128.crypto.personal_sign import personal_message_hash, prefixed_message, recover_address
from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error
from erc8128.http.bounded_json import InvalidJson, parse_json
from erc8128.http.content_digest import SUPPORTED_ALGORITHMS, content_digest
from erc8128.http.message import (
    Request,
    authority,
    head_lines,
    path,
    query,
    request_from_wire,
    scheme,
)
from erc8128.http.paste import HarEntryRequired, PasteError, as_text, parse_paste
from erc8128.http.raw_request import RawRequest
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    Dictionary,
    InnerList,
    Item,
    get_param,
    parse_dictionary,
    serialize_bare_item,
    serialize_item,
)
from erc8128.protocol.challenge import HttpResponse, problem_response
from erc8128.protocol.inspection import inspect_paste, server_answer
from erc8128.protocol.keyid import ProfileName, parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import candidate_profile
from erc8128.server.budget import charged_failures
from erc8128.server.page_frame import CONSOLE, INSPECTOR, framed_page
from erc8128.server.spec_page import render_spec, render_spec_missing, spec_text

# Decision D60: scripts, styles and fetches only from this origin; nothing inline, no frames,
# no forms posting elsewhere, no <base>. The pages need nothing more.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Decision D57: a pasted request is at most 64 KiB (the verifier's own field limits, 16 KiB per
# signature field, apply inside it); the inspector is for reading requests, not for load.
MAX_RAW_REQUEST_BYTES: Final = 64 * 1024
MAX_API_BODY_BYTES: Final = 4 * MAX_RAW_REQUEST_BYTES  # JSON escaping may quadruple it
RATE_LIMIT_CALLS: Final = 60  # per client address and minute, for /api/inspect and /api/build
RATE_LIMIT_WINDOW_SEC: Final = 60
MAX_TRACKED_CLIENTS: Final = 10_000
# The ERC-8128 draft's fixture key (vectors/third_party/erc8128-draft): public, never hold assets.
TEST_PRIVATE_KEY: Final = bytes.fromhex("00" * 31 + "01")



@dataclass(frozen=True)
class _FramedPage:
    """A page kept in ``static/`` as its ``<main>`` element alone and served inside the shared
    head and header (:func:`erc8128.server.page_frame.framed_page`)."""

    main: str  # the file in static/
    title: str
    script: str  # the page's module in static/
    current: str  # the navigation's href marked as this page

    def html(self) -> bytes:
        main = _static(self.main).decode("utf-8")
        return framed_page(self.title, main, current=self.current,
                           script=self.script).encode("utf-8")


_INSPECTOR_PAGE: Final = _FramedPage("inspect.html", "ERC-8128 request inspector", "inspect.js",
                                     INSPECTOR[0])
_FRAMED_PAGES: Final = {
    "/": _INSPECTOR_PAGE,
    "/inspect": _INSPECTOR_PAGE,
    "/console": _FramedPage("console.html", "ERC-8128 owner console", "console.js",
                            CONSOLE[0]),
}
# Whole documents: docs/walkthrough.md rendered by docs/make_walkthrough.py (issue 22)
_PAGES: Final = {"/walkthrough": "walkthrough.html"}
_ASSETS: Final = {
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
    "/static/erc8128.js": ("erc8128.js", "text/javascript; charset=utf-8"),
    "/static/inspect.js": ("inspect.js", "text/javascript; charset=utf-8"),
    "/static/console.js": ("console.js", "text/javascript; charset=utf-8"),
}
_SECURITY_HEADERS: Final = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-cache"),
)

# What each signature parameter means (ERC-8128 §3.3), shown beside its value.
PARAMETER_MEANINGS: Final = {
    "created": "when the signature was made (Unix seconds; draft §3.3.2)",
    "expires": "after this (plus skew) the signature is refused (draft §3.3.2)",
    "nonce": "replay key: present means Non-Replayable, used at most once (draft §3.1.2)",
    "keyid": "the signer: chain and address (draft §3.3.1)",
    "tag": 'the profile marker; "erc8128" selects the candidate (draft §3.5)',
    "alg": "forbidden in ERC-8128: a candidate with alg is refused (draft §3.3.4)",
    "mode": 'mode="eoa": skip the code lookup when recovery matches (draft §3.3.5)',
}
COMPONENT_MEANINGS: Final = {
    '"@scheme"': "URI scheme, from the verifier's trusted public URL",
    '"@authority"': "host[:port], from the verifier's trusted public URL",
    '"@method"': "the request method",
    '"@path"': "the path exactly as received",
    '"@query"': "the query with its leading ?",
    '"@target-uri"': "the whole effective target URI",
    '"@request-target"': "the request target as on the request line",
    '"content-digest"': "RFC 9530 hash of the content",
    '"content-type"': "the media type of the content",
    '"@signature-params"': "the Signature-Input member itself: components and parameters",
}


class _BadInput(Erc8128Error):
    """A request to the inspector or builder endpoint that cannot be answered (400/413/415)."""

    status: int

    def __init__(self, reason: str, message: str, *, status: int) -> None:
        super().__init__(reason, message)
        self.status = status


@dataclass(frozen=True)
class Example:
    """One inspector example: a raw request and the verifier settings it is meant for."""

    id: str
    title: str
    raw: str
    public_url: str
    now: int
    profile: str
    replay: bool = False  # verify twice against one fresh store: the second is a replay
    class_bound: bool = False
    note: str = ""


def raw_request_text(request: Request) -> str:
    """``request`` as an HTTP/1.1 message with LF line ends: request line, ``Host`` (from the
    target URI, unless the request has one), its header lines, ``Content-Length`` for content,
    a blank line, the content (decoded as UTF-8)."""
    return "\n".join(head_lines(request)) + "\n\n" + (request.body or b"").decode("utf-8")


def examples() -> tuple[Example, ...]:
    """The inspector's examples, all signed here with the public test key (deterministic:
    RFC 6979 signatures, fixed nonces and times). The first is the ERC-8128 draft's positive
    vector byte for byte (tests/server/test_pages.py compares it with the draft's fixture)."""
    now = 1700000001
    created = 1700000000
    origin = "https://api.example"
    headers = (("Host", "api.example"), ("Content-Type", "application/json"),
               ("Content-Length", "17"))
    positive = sign_request(
        Request("POST", origin + "/items?view=full", headers, b'{"hello":"world"}'),
        TEST_PRIVATE_KEY, created=created, nonce="EjRWeJCrze8BI0VniavN7w", label="request",
    )
    positive_raw = raw_request_text(positive.request)
    tampered = replace(
        positive.request,
        headers=tuple((n, "18" if n == "Content-Length" else v) for n, v in
                      positive.request.headers),
        body=b'{"hello":"world!"}',
    )
    legacy = sign_request(
        Request("GET", origin + "/items?view=full", (("Host", "api.example"),)),
        TEST_PRIVATE_KEY, created=created, nonce="legacy-example-nonce", profile="legacy",
        label="sig1",
    )
    class_bound = sign_request(
        Request("GET", origin + "/items?view=full", (("Host", "api.example"),)),
        TEST_PRIVATE_KEY, created=created, replayable=True,
        components=("@authority", "@method", "@path"),
    )
    return (
        Example("draft-positive", "ERC-8128 draft: the positive vector", positive_raw, origin, now,
                "draft", note="The draft's own test vector: verifies."),
        Example("replay", "A replay of the positive vector", positive_raw, origin, now, "draft",
                replay=True,
                note="Verified twice against one fresh replay store: the second time the nonce "
                     "is already used."),
        Example("tampered-body", "The positive vector with a tampered body",
                raw_request_text(tampered), origin, now, "draft",
                note="One byte added to the body: Content-Digest no longer matches."),
        Example("legacy", "A legacy (February text) request", raw_request_text(legacy.request),
                origin, now, "legacy",
                note='keyid "erc8128:1:0x..." and no tag: the profile the shipped SDKs speak.'),
        Example("class-bound", "A Class-Bound, Replayable signature",
                raw_request_text(class_bound.request), origin, now, "draft",
                note="No @scheme or @query and no nonce: refused unless the route accepts "
                     "Class-Bound (tick the box to see it verify)."),
    )


class _RateLimiter:
    """At most ``calls`` per ``window`` seconds per client address (fixed windows)."""

    def __init__(self, calls: int, window: int) -> None:
        self.calls = calls
        self.window = window
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # client -> (window index, calls)

    def allow(self, client: str, now: int) -> bool:
        index = now // self.window
        with self._lock:
            if len(self._counts) >= MAX_TRACKED_CLIENTS:
                self._counts = {c: v for c, v in self._counts.items() if v[0] == index}
                if len(self._counts) >= MAX_TRACKED_CLIENTS:
                    return False  # too many clients at once: refuse rather than grow
            window_index, count = self._counts.get(client, (index, 0))
            if window_index != index:
                count = 0
            if count >= self.calls:
                return False
            self._counts[client] = (index, count + 1)
            return True


def _static(name: str) -> bytes:
    return (files("erc8128.server") / "static" / name).read_bytes()


def _json(status: int, document: object) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(status, (("Content-Type", "application/json"),
                                 ("Cache-Control", "no-store")), body)


class Pages:
    """Serves the pages, their assets and the inspector/builder endpoints.

    ``policy`` is the server's verifier policy: its served chains, skew, maximum validity and
    limits are the inspector's defaults; the profile and the route options come from the page.
    """

    def __init__(self, *, policy: VerifierPolicy,
                 rate_limit: tuple[int, int] = (RATE_LIMIT_CALLS, RATE_LIMIT_WINDOW_SEC)) -> None:
        self.policy = policy
        self._limiter = _RateLimiter(*rate_limit)
        self._examples: tuple[Example, ...] | None = None
        self._examples_lock = threading.Lock()
        self._endpoints: dict[
            str, Callable[[dict[str, Any], int, Callable[[int], None]], dict[str, Any]]] = {
            "/api/inspect": self._inspect,
            "/api/build": self._build,
        }

    def handle(self, request: Request, *, now: int, client: str,
               charge: Callable[[int], None] = lambda cost: None) -> HttpResponse | None:
        """The answer for a page, asset or endpoint path; None for every other path.

        ``charge`` receives the failed recoveries an inspector call made (decision D79): the
        server charges them to the client's failed-verification budget like the API's own.
        """
        request_path = path(request.target_uri)
        if request_path in _FRAMED_PAGES or request_path in _PAGES or request_path in _ASSETS \
                or request_path in ("/api/examples", "/spec"):
            if request.method not in ("GET", "HEAD"):
                return problem_response(405, "method_not_allowed", "expected GET",
                                        headers=(("Allow", "GET, HEAD"),))
            if request_path == "/api/examples":
                return _json(200, {"examples": [vars(e) for e in self._example_list()]})
            if request_path == "/spec":
                text = spec_text()
                # Every page's navigation links /spec: without SPEC.md (a wheel install) the
                # answer is still a page in that navigation, saying so, with status 404.
                page, status = ((render_spec_missing(), 404) if text is None
                                else (render_spec(text), 200))
                return HttpResponse(status, (*_SECURITY_HEADERS,
                                             ("Content-Type", "text/html; charset=utf-8")),
                                    page.encode("utf-8"))
            framed = _FRAMED_PAGES.get(request_path)
            if framed is not None:
                return HttpResponse(200, (*_SECURITY_HEADERS,
                                          ("Content-Type", "text/html; charset=utf-8")),
                                    framed.html())
            name, content_type = _ASSETS.get(request_path, (_PAGES.get(request_path, ""),
                                                            "text/html; charset=utf-8"))
            return HttpResponse(200, (*_SECURITY_HEADERS, ("Content-Type", content_type)),
                                _static(name))
        endpoint = self._endpoints.get(request_path)
        if endpoint is None:
            return None
        if request.method != "POST":
            return problem_response(405, "method_not_allowed", "expected POST",
                                    headers=(("Allow", "POST"),))
        if not self._limiter.allow(client, now):
            return problem_response(
                429, "rate_limited",
                f"expected at most {self._limiter.calls} calls per {self._limiter.window} s "
                f"from one address", headers=(("Retry-After", str(self._limiter.window)),))
        try:
            return _json(200, endpoint(_json_body(request), now, charge))
        except _BadInput as error:
            return problem_response(error.status, error.reason, error.message)

    def _example_list(self) -> tuple[Example, ...]:
        with self._examples_lock:
            if self._examples is None:
                self._examples = examples()
            return self._examples

    # ---- POST /api/inspect ------------------------------------------------------------------
    def _inspect(self, body: dict[str, Any], server_now: int, charge: Callable[[int], None]
                 ) -> dict[str, Any]:
        raw_text = _string(body, "raw")
        raw_bytes = raw_text.encode("utf-8")
        if len(raw_bytes) > MAX_RAW_REQUEST_BYTES:
            raise _BadInput("raw_request_too_large",
                            f"expected a request of at most {MAX_RAW_REQUEST_BYTES} bytes, got "
                            f"{len(raw_bytes)}", status=413)
        now = _integer(body, "now", server_now)
        profile = _string(body, "profile", "auto")
        if profile not in ("auto", "draft", "legacy", "both"):
            raise _BadInput("invalid_field", f"expected profile auto, draft, legacy or both, got "
                            f"{profile!r}", status=400)
        class_bound = _boolean(body, "class_bound")
        replayable = _boolean(body, "replayable")
        replay = _boolean(body, "replay")
        entry = body.get("entry")
        if entry is not None and (type(entry) is not int or not 0 <= entry < 10_000):
            raise _BadInput("invalid_field", "expected 'entry' as a HAR entry index", status=400)
        try:
            paste = parse_paste(raw_text, entry=entry)
        except HarEntryRequired as error:  # a HAR file with many entries: the page lists them
            return {"verdict": "choose_entry", "reason": error.reason, "message": error.message,
                    "format": "har", "entries": [vars(e) for e in error.entries]}
        except PasteError as error:
            raise _BadInput(error.reason, error.message, status=400) from None
        _check_header_section(paste.raw)
        public_url = _string(body, "public_url", "")
        trusted = None
        try:
            if public_url:
                trusted = (scheme(public_url), authority(public_url))
            route = replace(self.policy, class_bound=class_bound,
                            replay="either" if replayable or class_bound else "non-replayable")
            # Decision D57: every attempt runs against a fresh replay store and invalidation
            # state; every account is treated as code-free (no RPC is made for pasted input).
            inspection = inspect_paste(paste, now=now, policy=route, public_url=trusted,
                                       profile=profile,  # type: ignore[arg-type]
                                       runs=2 if replay else 1)
        except Erc8128Error as error:
            raise _BadInput(error.reason, error.message, status=400) from None
        explanation = inspection.explanation
        request = inspection.request
        # D79: 8 bogus candidates and replay cost 16 recoveries; charged as the API's.
        charge(sum(charged_failures(refusal) for refusal in inspection.refusals))
        failure = explanation.error
        verified = explanation.verified
        members = _members(request, inspection.profiles)
        answer = server_answer(paste, None if failure is None else failure.reason)
        # D79: the commentary's own recoveries that do not give the keyid's address are failed
        # verifications too (a paste of bogus signatures is not free).
        charge(sum(("recover_error" in member or "recovered" in member)
                   and str(member.get("recovered", "")).lower()
                   != str(member.get("keyid_address", "")).lower()
                   for member in members))
        return {
            "verdict": "verified" if verified is not None else "rejected",
            "reason": failure.reason if failure is not None else None,
            "status": failure.status if failure is not None else 200,
            "message": failure.message if failure is not None else None,
            "winner": verified.label if verified is not None else None,
            "winner_profile": verified.profile if verified is not None else None,
            "binding": (None if verified is None else
                        "request-bound" if verified.request_bound else "class-bound"),
            "replay": (None if verified is None else
                       "replayable" if verified.replayable else "non-replayable"),
            "runs": 2 if replay else 1,
            "now": now,
            "now_date": _date(now),
            "server_answer": None if answer is None else {
                "status": answer.status, "reason": answer.reason, "said": answer.said,
                "why": answer.why},
            "format": paste.format,
            "format_title": paste.format_title,
            "entries": [vars(e) for e in paste.entries],
            "entry": paste.entry,
            "public_url": f"{inspection.scheme}://{inspection.authority}",
            "public_url_assumed": not public_url,
            "scheme": inspection.scheme,
            "scheme_from": inspection.scheme_from,
            "authority": inspection.authority,
            "authority_from": inspection.authority_from,
            "scheme_note": inspection.scheme_note,
            "attempts": [vars(a) for a in inspection.attempts],
            "profiles": list(inspection.profiles),
            "profile_from": inspection.profile_from,
            "member_profiles": [{"label": label, "kind": kind}
                                for label, kind in inspection.member_profiles],
            "target_uri": request.target_uri,
            "request_line": paste.raw.request_line,
            "headers": [[name, as_text(value)] for name, value in request.headers],
            "body_bytes": len(request.body or b""),
            "members": members,
            "steps": [
                {"step": s.step, "title": s.title, "label": s.label, "looked_at": s.looked_at,
                 "verdict": s.verdict, "reason": s.reason, "detail": s.detail, "value": s.value}
                for s in explanation.steps
            ],
        }

    # ---- POST /api/build --------------------------------------------------------------------
    def _build(self, body: dict[str, Any], server_now: int, charge: Callable[[int], None]
               ) -> dict[str, Any]:
        method = _string(body, "method", "GET")
        url = _string(body, "url")
        content = _string(body, "body", "").encode("utf-8")
        if len(content) > MAX_RAW_REQUEST_BYTES:
            raise _BadInput("raw_request_too_large",
                            f"expected a body of at most {MAX_RAW_REQUEST_BYTES} bytes", status=413)
        headers = body.get("headers", [])
        if not isinstance(headers, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
            for h in headers
        ):
            raise _BadInput("invalid_field", "expected 'headers' as [[name, value], ...]",
                            status=400)
        key_text = _string(body, "key", "test")
        # Decision D58: the key is the public test key, or a throwaway key the page generated.
        private_key = TEST_PRIVATE_KEY if key_text == "test" else _hex_key(key_text)
        profile = _string(body, "profile", "draft")
        if profile not in ("draft", "legacy"):
            raise _BadInput("invalid_field", f"expected profile draft or legacy, got "
                            f"{profile!r}", status=400)
        created = _integer(body, "created", server_now)
        validity = _integer(body, "validity", 60)
        try:
            origin_scheme, origin_authority = scheme(url), authority(url)
            target = path(url) + ("?" + q if (q := query(url)) is not None else "")
            header_pairs = tuple((str(n), str(v)) for n, v in headers)
            if content and not any(n.lower() == "content-length" for n, _ in header_pairs):
                header_pairs += (("Content-Length", str(len(content))),)
            request = request_from_wire(
                f"{method} {target} HTTP/1.1",
                [f"Host: {origin_authority}", *(f"{n}: {v}" for n, v in header_pairs)],
                content or None, scheme=origin_scheme, authority=origin_authority)
            signed = sign_request(
                request, private_key, created=created, expires=created + validity,
                profile=profile,  # type: ignore[arg-type]
                chain_id=_integer(body, "chain_id", 1),
                replayable=_boolean(body, "replayable"),
            )
        except Erc8128Error as error:
            raise _BadInput(error.reason, error.message, status=400) from None
        signature = signed.signature
        return {
            "address": address_of(private_key),
            "keyid": signed.keyid,
            "test_key": key_text == "test",
            "content_digest": next(iter(signed.request.field_lines("content-digest")), None),
            "signature_input": f"{signed.label}={signed.signature_input}",
            "signature_base": signed.signature_base,
            "signature_base_bytes": len(signed.signature_base.encode("ascii")),
            "message_hash": "0x" + signed.message_hash.hex(),
            "signature": "0x" + signature.hex(),
            "r": "0x" + signature[:32].hex(),
            "s": "0x" + signature[32:64].hex(),
            "v": signature[64],
            "signature_field": f"{signed.label}={serialize_bare_item(signature)}",
            "raw": raw_request_text(signed.request),
            "public_url": f"{origin_scheme}://{origin_authority}",
            "created": created,
        }


def _members(request: Request, profiles: tuple[ProfileName, ...]) -> list[dict[str, Any]]:
    """Commentary on every Signature-Input member: candidate or not, parameters, ``M`` tied
    line by line to its component, ``H``, r/s/v and the recovered address against the keyid.
    The verdict is never decided here: it is the trace's (explain_request)."""
    try:
        inputs: Dictionary = parse_dictionary(", ".join(request.field_lines("signature-input")))
        signatures = dict(parse_dictionary(", ".join(request.field_lines("signature"))))
    except Erc8128Error:
        return []
    members: list[dict[str, Any]] = []
    for label, member in inputs:
        keyid = get_param(member.params, "keyid")
        profile = candidate_profile(member.params, profiles)  # step 4's own rule
        candidate = None if profile is None else profile.name
        entry: dict[str, Any] = {
            "label": label,
            "candidate": candidate,
            "components": [],
            "params": [
                {"name": name, "value": serialize_bare_item(value),
                 "meaning": PARAMETER_MEANINGS.get(name, "an extra parameter"),
                 "date": _date(value) if name in ("created", "expires") and
                 type(value) is int else None}
                for name, value in member.params
            ],
        }
        members.append(entry)
        if not isinstance(member, InnerList):
            continue
        entry["components"] = [
            {"identifier": serialize_item(item),
             "meaning": COMPONENT_MEANINGS.get(serialize_item(item), "a header field")}
            for item in member.items
        ]
        if isinstance(keyid, str):
            written_in = candidate or ("legacy" if keyid.startswith("erc8128:") else "draft")
            try:
                account = parse_keyid(keyid, written_in)
                entry["keyid_address"] = account.address
                entry["chain_id"] = account.chain_id
            except Erc8128Error as error:
                entry["keyid_error"] = f"{error.reason}: {error.message}"
        try:
            base = signature_base(request, member)
        except Erc8128Error as error:
            entry["base_error"] = f"{error.reason}: {error.message}"
            continue
        lines = base.split("\n")  # no value contains LF (decision D19)
        identifiers = [serialize_item(item) for item in member.items] + ['"@signature-params"']
        entry["base"] = [{"component": c, "line": line, "source": _source(request, c)}
                         for c, line in zip(identifiers, lines, strict=True)]
        message = base.encode("ascii")
        message_hash = personal_message_hash(message)
        entry["base_bytes"] = len(message)
        # ERC-191 personal_sign:
        # keccak256("\x19Ethereum Signed Message:\n" || decimal(byteLength(M)) || M)
        entry["base_escaped"] = base.replace("\\", "\\\\").replace("\n", "\\n")
        entry["erc191_prefix"] = f"\\x19Ethereum Signed Message:\\n{len(message)}"
        entry["erc191_hex"] = "0x" + prefixed_message(message).hex()
        entry["erc191_prefix_bytes"] = len(prefixed_message(message)) - len(message)
        entry["message_hash"] = "0x" + message_hash.hex()
        covered = {serialize_item(item).strip('"').lower() for item in member.items}
        if "@authority" in covered:
            covered.add("host")  # @authority signs the authority (in a paste, read from Host)
        entry["uncovered"] = [
            {"index": index, "name": name}
            for index, (name, _) in enumerate(request.headers)
            if name.lower() not in covered and name.lower() not in _SIGNATURE_FIELDS
        ]
        entry["digests"] = _digests(request)
        signature_item = signatures.get(label)
        if not isinstance(signature_item, Item) or not isinstance(signature_item.value, bytes):
            entry["signature_error"] = "no Signature member with this label holding bytes"
            continue
        signature = signature_item.value
        entry["signature"] = {"hex": "0x" + signature.hex(), "bytes": len(signature)}
        if len(signature) == 65:
            entry["signature"].update(r="0x" + signature[:32].hex(),
                                      s="0x" + signature[32:64].hex(), v=signature[64])
        try:
            entry["recovered"] = recover_address(message_hash, signature).lower()
        except Erc8128Error as error:
            entry["recover_error"] = f"{error.reason}: {error.message}"
        else:
            # Both sides lowercase: a legacy keyid may be written in mixed case (February
            # text §3.3.1: "Verifiers MUST treat address hex as case-insensitive").
            claimed = entry.get("keyid_address")
            entry["address_match"] = None if claimed is None else entry["recovered"] == claimed
    return members


_SIGNATURE_FIELDS: Final = ("signature", "signature-input")


def _date(unix: object) -> str | None:
    """A Unix time as an RFC 3339 UTC date, shown beside the number."""
    if type(unix) is not int or not 0 <= unix < 253402300800:
        return None
    return datetime.datetime.fromtimestamp(unix, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _source(request: Request, component: str) -> dict[str, Any]:
    """Where a line of M came from: the request line, header lines (by index), the origin
    (scheme and authority the verifier trusts) or the Signature-Input member itself."""
    name = component.strip('"').lower()
    indexes = [i for i, (field, _) in enumerate(request.headers) if field.lower() == name]
    if name == "@signature-params":
        indexes = [i for i, (field, _) in enumerate(request.headers)
                   if field.lower() == "signature-input"]
        return {"kind": "signature-input", "headers": indexes}
    if name in ("@method", "@path", "@query", "@request-target", "@query-param"):
        return {"kind": "request-line", "headers": []}
    if name == "@authority":
        hosts = [i for i, (field, _) in enumerate(request.headers) if field.lower() == "host"]
        return {"kind": "origin", "headers": hosts}
    if name in ("@scheme", "@target-uri"):
        return {"kind": "origin", "headers": []}
    return {"kind": "header", "headers": indexes}


def _digests(request: Request) -> list[dict[str, Any]]:
    """Each received Content-Digest member beside the one recomputed over the content, both in
    the field's own encoding (RFC 9530 §2: an sf-binary of the hash)."""
    rows: list[dict[str, Any]] = []
    try:
        members = parse_dictionary(", ".join(request.field_lines("content-digest")))
    except Erc8128Error:
        return rows
    for algorithm, member in members:
        received = f"{algorithm}={serialize_item(member) if isinstance(member, Item) else '?'}"
        recomputed = None
        if algorithm in SUPPORTED_ALGORITHMS:
            recomputed = content_digest(request.body or b"", (algorithm,))
        rows.append({"algorithm": algorithm, "received": received, "recomputed": recomputed,
                     "match": None if recomputed is None else recomputed == received})
    return rows


def _check_header_section(raw: RawRequest) -> None:
    """The front end's limits (erc8128.server.frontend.FrontEndLimits) on the pasted request."""
    if len(raw.request_line) > 8 * 1024:
        raise _BadInput("request_line_too_long", "expected a request line <= 8192 bytes",
                        status=400)
    if len(raw.header_lines) > 100:
        raise _BadInput("too_many_header_lines",
                        f"expected <= 100 header lines, got {len(raw.header_lines)}", status=400)
    size = sum(len(line) + 2 for line in raw.header_lines)
    if size > 16 * 1024:
        raise _BadInput("header_section_too_large",
                        f"expected header lines <= 16384 bytes, got {size}", status=400)


def _json_body(request: Request) -> dict[str, Any]:
    content_types = request.field_lines("content-type")
    if len(content_types) != 1 or content_types[0].split(";")[0].strip().lower() != (
            "application/json"):
        raise _BadInput("unsupported_media_type", "expected Content-Type: application/json",
                        status=415)
    body = request.body or b""
    if len(body) > MAX_API_BODY_BYTES:
        raise _BadInput("raw_request_too_large",
                        f"expected a request of at most {MAX_RAW_REQUEST_BYTES} bytes (JSON of at "
                        f"most {MAX_API_BODY_BYTES} bytes), got {len(body)} bytes of JSON",
                        status=413)
    try:
        # The API's own bounded parser (D79): a 5,000-digit integer or a lone "\ud800" in
        # raw or body is invalid_json, never a ValueError or UnicodeEncodeError (500) later.
        document = parse_json(body)
    except InvalidJson as error:
        raise _BadInput(error.reason, error.message, status=400) from None
    if not isinstance(document, dict):
        raise _BadInput("invalid_json", "expected a JSON object", status=400)
    return document


def _string(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise _BadInput("invalid_field", f"expected {key!r} as a string", status=400)
    return value


def _integer(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if type(value) is not int or not 0 <= value <= 2**53:
        raise _BadInput("invalid_field", f"expected {key!r} as an integer 0..2^53", status=400)
    return value


def _boolean(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise _BadInput("invalid_field", f"expected {key!r} as true or false", status=400)
    return value


def _hex_key(text: str) -> bytes:
    digits = text[2:] if text.startswith("0x") else text
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _BadInput("invalid_field", "expected 'key' as \"test\" or 32 bytes of hex",
                        status=400)
    key = bytes.fromhex(digits)
    if not 0 < int.from_bytes(key, "big") < N:
        raise _BadInput("invalid_field", "expected a secp256k1 private key", status=400)
    return key
