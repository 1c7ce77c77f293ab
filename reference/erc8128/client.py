"""The agent side of ERC-8128: a key, signed requests over HTTP, and joining a server.

ERC-8128 §3.4 (Signing) done at the edge: :class:`Signer` holds the secp256k1 key,
:func:`signed_fetch` reads the clock, signs with :func:`erc8128.sign.sign_request` (fresh
nonce, 60-second window) and sends the request with ``http.client``; :class:`Client` does this for
every call to one server and repairs a rejected signature once from the server's
``Accept-Signature`` challenge (ERC-8128 §6). :func:`discover`, :func:`request_access` and
:func:`bootstrap` speak the demo server's registration API (README, "The demo server's HTTP
API"): an agent generates its key locally, never sends it anywhere, and proves it by signing.

``http.client`` rather than ``urllib.request``: urllib adds ``Content-Type`` to a body after we
signed (the draft profile requires it covered whenever it is sent) and follows redirects (a
signature is bound to one target URI). Only the standard library is used.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from erc8128.addresses import address_of
from erc8128.bounded_json import check_depth
from erc8128.errors import Erc8128Error
from erc8128.keyid import Account, ProfileName, format_keyid
from erc8128.message import Request, ascii_lower, authority, path, query, scheme
from erc8128.secp256k1 import private_key_scalar
from erc8128.sign import DEFAULT_LABEL, DEFAULT_VALIDITY_SEC, SignedRequest, sign_request
from erc8128.structured_fields import (
    BareItem,
    InnerList,
    StructuredFieldError,
    parse_dictionary,
    serialize_item,
)

__all__ = [
    "DEFAULT_KEY_ENV",
    "SIGNATURE_FIELDS",
    "AcceptSignature",
    "Client",
    "ClientError",
    "Discovery",
    "Enrollment",
    "Response",
    "Signer",
    "bootstrap",
    "discover",
    "format_private_key",
    "parse_accept_signature",
    "parse_private_key",
    "redeem_invite",
    "repair_hint",
    "request_access",
    "send_request",
    "signed_fetch",
]

DEFAULT_KEY_ENV: Final = "ERC8128_PRIVATE_KEY"
DEFAULT_TIMEOUT_SEC: Final = 10.0
# A response body larger than this is refused rather than read into memory.
MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024
# ERC-8128 §7: "A client MUST enforce a response limit no greater than 65,536 decoded octets,
# stop reading when the limit is crossed, and reject the document before parsing it."
MAX_DISCOVERY_BYTES: Final = 65_536
# Parameters the signer sets itself; an Accept-Signature member's value for them is not copied.
_SIGNER_PARAMS: Final = frozenset({"created", "expires", "nonce", "keyid", "tag", "alg"})
# The fields signing adds; an HTTP library removes them before re-signing a repaired retry, so the
# retry carries exactly one signature.
SIGNATURE_FIELDS: Final = ("Signature-Input", "Signature", "Content-Digest")
_PRIVATE_KEY_HEX: Final = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")


class ClientError(Erc8128Error):
    """A request the client could not complete: transport failure, or a server rejection.

    For a rejection, ``reason`` is the server's stable code (the problem document's ``reason``,
    else the ``WWW-Authenticate`` ``error``, else ``http_<status>``); ``status`` is the HTTP
    status (0 when no response arrived) and ``response`` the response itself.
    """

    status: int
    response: Response | None

    def __init__(
        self, reason: str, message: str, *, status: int = 0, response: Response | None = None
    ) -> None:
        super().__init__(reason, message)
        self.status = status
        self.response = response


def parse_private_key(text: str) -> bytes:
    """A private key from its text form: 64 hex digits, ``0x`` optional, surrounding space
    ignored. The message of a rejection never repeats the text (it may be a secret)."""
    if not isinstance(text, str):
        raise ClientError("private_key_format", f"expected str, got {type(text).__name__}")
    match = _PRIVATE_KEY_HEX.fullmatch(text.strip())
    if match is None:
        raise ClientError(
            "private_key_format",
            f"expected 64 hex digits with optional 0x, got {len(text.strip())} characters",
        )
    private_key = bytes.fromhex(match.group(1))
    private_key_scalar(private_key)  # SEC 1 §3.2.1: 1 <= d <= n - 1 (raises InvalidKey)
    return private_key


def format_private_key(private_key: bytes) -> str:
    """The text form :func:`parse_private_key` reads: ``0x`` + 64 lowercase hex digits."""
    private_key_scalar(private_key)
    return "0x" + private_key.hex()


@dataclass(frozen=True)
class Signer:
    """An agent's signing identity: a secp256k1 private key, the chain and the profile.

    The key is never shown: ``repr`` and ``str`` name only the address, chain and profile.
    """

    private_key: bytes = field(repr=False)
    chain_id: int = 1
    profile: ProfileName = "draft"

    def __post_init__(self) -> None:
        private_key_scalar(self.private_key)  # raises InvalidKey (type, length, range)
        if type(self.chain_id) is not int or self.chain_id < 0:
            raise ClientError(
                "invalid_chain_id", f"expected a chain id >= 0, got {self.chain_id!r}"
            )
        if self.profile not in ("draft", "legacy"):
            raise ClientError(
                "invalid_profile", f"expected profile 'draft' or 'legacy', got {self.profile!r}"
            )

    def __repr__(self) -> str:
        return (
            f"Signer(address={self.address!r}, chain_id={self.chain_id}, "
            f"profile={self.profile!r})"
        )

    __str__ = __repr__

    @cached_property
    def address(self) -> str:
        """The Ethereum address of the key: ``0x`` + 40 lowercase hex digits."""
        return address_of(self.private_key)

    @property
    def keyid(self) -> str:
        """The ``keyid`` this signer puts in its signatures (ERC-8128 §3.3.1)."""
        return format_keyid(Account(chain_id=self.chain_id, address=self.address), self.profile)

    @classmethod
    def generate(
        cls,
        *,
        chain_id: int = 1,
        profile: ProfileName = "draft",
        randbytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> Signer:
        """A new key from ``secrets`` (rejection sampling into [1, n-1], SEC 1 §3.2.1)."""
        while True:
            candidate = randbytes(32)
            try:
                return cls(candidate, chain_id=chain_id, profile=profile)
            except Erc8128Error:  # d = 0 or d >= n: probability about 2**-128
                continue

    @classmethod
    def from_env(
        cls,
        var: str = DEFAULT_KEY_ENV,
        *,
        chain_id: int = 1,
        profile: ProfileName = "draft",
        environ: Mapping[str, str] | None = None,
    ) -> Signer:
        """The key in environment variable ``var`` (64 hex digits, ``0x`` optional)."""
        values = os.environ if environ is None else environ
        text = values.get(var)
        if text is None:
            raise ClientError("private_key_missing", f"expected environment variable {var}, unset")
        return cls(parse_private_key(text), chain_id=chain_id, profile=profile)

    @classmethod
    def from_key_file(
        cls, file: str | os.PathLike[str], *, chain_id: int = 1, profile: ProfileName = "draft"
    ) -> Signer:
        """The key stored in ``file`` by ``erc8128 keygen`` (one line of hex)."""
        try:
            text = Path(file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise ClientError(
                "key_file_unreadable", f"expected a readable key file at {file}, got {error}"
            ) from None
        return cls(parse_private_key(text), chain_id=chain_id, profile=profile)

    def signature_headers(
        self,
        request: Request,
        *,
        created: int,
        label: str = DEFAULT_LABEL,
        components: Sequence[str] | None = None,
        nonce: str | None = None,
    ) -> tuple[tuple[str, str], ...]:
        """The header lines signing ``request`` adds (Content-Digest, Signature-Input, Signature),
        for HTTP libraries that sign their own request objects in place."""
        signed = self.sign(
            request, created=created, label=label, components=components, nonce=nonce
        )
        return signed.request.headers[len(request.headers) :]

    def sign(
        self,
        request: Request,
        *,
        created: int,
        label: str = DEFAULT_LABEL,
        components: Sequence[str] | None = None,
        nonce: str | None = None,
        params: Mapping[str, BareItem] | None = None,
        validity_sec: int = DEFAULT_VALIDITY_SEC,
    ) -> SignedRequest:
        """Sign ``request`` at time ``created`` (a fresh nonce unless one is given)."""
        return sign_request(
            request,
            self.private_key,
            created=created,
            expires=created + validity_sec,
            profile=self.profile,
            chain_id=self.chain_id,
            nonce=nonce,
            label=label,
            components=components,
            params=params,
        )


def _parse_json(body: bytes) -> Any:
    """A server's JSON body, its nesting bounded first (bounded_json); ValueError if not JSON."""
    text = body.decode("utf-8")
    check_depth(text)
    return json.loads(text)


@dataclass(frozen=True)
class Response:
    """An HTTP response: status, header field lines in wire order, body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    signed: SignedRequest | None = None  # the signed request that produced it, when signed

    def header(self, name: str) -> str | None:
        """The combined value of every field line named ``name``, or ``None``."""
        wanted = ascii_lower(name)
        values = [value for key, value in self.headers if ascii_lower(key) == wanted]
        return ", ".join(values) if values else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON; :class:`ClientError` ``invalid_response`` if it is not."""
        try:
            return _parse_json(self.body)
        except ValueError as error:
            raise ClientError(
                "invalid_response",
                f"expected a JSON body from HTTP {self.status}, got {error}",
                status=self.status,
                response=self,
            ) from None

    @property
    def reason(self) -> str | None:
        """The stable failure code the server gave, if any (ERC-8128 §6)."""
        content_type = self.header("content-type") or ""
        if "json" in content_type:
            try:
                problem = _parse_json(self.body)
            except ValueError:
                problem = None
            # ERC-8128 §6: a problem body "MUST include the same stable code in a `reason`
            # extension".
            if isinstance(problem, dict) and isinstance(problem.get("reason"), str):
                return str(problem["reason"])
        challenge = self.header("www-authenticate") or ""
        found = re.search(r'\berror="([^"\\]*)"', challenge)
        return found.group(1) if found else None

    def raise_for_status(self) -> Response:
        """This response if 2xx; otherwise :class:`ClientError` carrying the server's reason."""
        if self.ok:
            return self
        reason = self.reason or f"http_{self.status}"
        detail = ""
        try:
            problem = _parse_json(self.body)
            if isinstance(problem, dict):
                detail = str(problem.get("detail") or problem.get("title") or "")
        except ValueError:
            detail = self.body[:200].decode("utf-8", "replace")
        raise ClientError(
            reason, f"expected a 2xx answer, got HTTP {self.status}: {detail}".rstrip(": "),
            status=self.status, response=self,
        )


@dataclass(frozen=True)
class AcceptSignature:
    """One member of an RFC 9421 §5.1 ``Accept-Signature`` field: the label the verifier wants
    and the exact component identifiers, in order, plus parameters to copy."""

    label: str
    components: tuple[str, ...]  # as sign_request takes them: "@path" or '"@query-param";name="a"'
    nonce: str | None  # a verifier-issued nonce (ERC-8128 §6 "MAY issue the nonce")
    params: tuple[tuple[str, BareItem], ...]  # other parameters with values, to be copied


def repair_hint(status: int, accept_signature: str | None) -> AcceptSignature | None:
    """The signature a 401's ``Accept-Signature`` asks a single retry to make, or None.

    ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the listed component
    identifiers in the listed order; it MUST NOT append other covered components to that
    signature."
    """
    if status != 401 or accept_signature is None:
        return None
    accepted = parse_accept_signature(accept_signature)
    return accepted[0] if accepted else None


def parse_accept_signature(value: str) -> tuple[AcceptSignature, ...]:
    """Every member of an ``Accept-Signature`` field value, in field order."""
    try:
        members = parse_dictionary(value)
    except StructuredFieldError as error:
        raise ClientError(
            "accept_signature_invalid", f"expected an RFC 9651 Dictionary, got {error.message}"
        ) from None
    found: list[AcceptSignature] = []
    for label, member in members:
        if not isinstance(member, InnerList):
            raise ClientError(
                "accept_signature_invalid",
                f"expected an inner list of components for {label!r}, got an item",
            )
        components: list[str] = []
        for item in member.items:
            if not isinstance(item.value, str):
                raise ClientError(
                    "accept_signature_invalid",
                    f"expected component identifiers as strings, got {item.value!r}",
                )
            components.append(serialize_item(item) if item.params else item.value)
        nonce: str | None = None
        params: list[tuple[str, BareItem]] = []
        for key, param in member.params:
            if key == "nonce" and isinstance(param, str):
                nonce = param
            elif key not in _SIGNER_PARAMS:
                params.append((key, param))
        found.append(AcceptSignature(label, tuple(components), nonce, tuple(params)))
    return tuple(found)


def _send(
    request: Request, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """Send ``request`` exactly as given (no added Content-Type, no redirects)."""
    uri_scheme = scheme(request.target_uri)
    host = authority(request.target_uri)
    target = path(request.target_uri)
    uri_query = query(request.target_uri)
    if uri_query is not None:
        target = f"{target}?{uri_query}"
    connection: http.client.HTTPConnection
    if uri_scheme == "https":
        connection = http.client.HTTPSConnection(host, timeout=timeout)
    elif uri_scheme == "http":
        connection = http.client.HTTPConnection(host, timeout=timeout)
    else:
        raise ClientError("unsupported_scheme", f"expected http or https, got {uri_scheme!r}")
    try:
        has_host = bool(request.field_lines("host"))
        connection.putrequest(
            request.method, target, skip_host=has_host, skip_accept_encoding=True
        )
        for name, value in request.headers:
            connection.putheader(name, value.encode("latin-1"))
        body = request.body
        if body is not None and not request.field_lines("content-length"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        data = answer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ClientError(
                "response_too_large", f"expected at most {max_bytes} bytes, got more"
            )
        headers = tuple((name, value) for name, value in answer.getheaders())
        return answer.status, headers, data
    except (OSError, http.client.HTTPException) as error:
        raise ClientError(
            "transport_error", f"expected an HTTP answer from {host}, got {error!r}"
        ) from None
    finally:
        connection.close()


def send_request(request: Request, *, timeout: float = DEFAULT_TIMEOUT_SEC) -> Response:
    """Send ``request`` exactly as it is (already signed, or deliberately not): no field is
    added but ``Host`` and ``Content-Length`` when absent, and no redirect is followed."""
    status, headers, data = _send(request, timeout)
    return Response(status, headers, data)


def _unsigned_request(
    url: str, method: str, headers: Sequence[tuple[str, str]], body: bytes | None
) -> Request:
    return Request(method, url, tuple(headers), body)


def signed_fetch(
    url: str,
    *,
    signer: Signer,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    label: str = DEFAULT_LABEL,
    components: Sequence[str] | None = None,
    now: int | None = None,
    nonce: str | None = None,
    params: Mapping[str, BareItem] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SEC,
) -> Response:
    """Sign one request with ``signer`` and send it; the response, whatever its status.

    ``now`` defaults to the system clock, read here at the edge (the signing core reads no
    clock). The signature has a fresh nonce and a 60-second window (ERC-8128 §3.3.2: "a baseline
    route MUST accept validity windows up to 60 seconds").
    """
    created = int(time.time()) if now is None else now
    request = _unsigned_request(url, method, headers, body)
    signed = signer.sign(
        request, created=created, label=label, components=components, nonce=nonce, params=params
    )
    status, response_headers, data = _send(signed.request, timeout)
    return Response(status, response_headers, data, signed)


def _fetch(url: str, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES) -> Response:
    """An unsigned GET (public routes: discovery, the project list)."""
    status, headers, data = _send(Request("GET", url, (), None), timeout, max_bytes)
    return Response(status, headers, data)


@dataclass(frozen=True)
class Client:
    """Signed requests to one server: every call is signed with a fresh nonce.

    A 401 carrying ``Accept-Signature`` is repaired once: ERC-8128 §6 "A retry MUST use the
    advertised label and cover exactly the listed component identifiers in the listed order".
    """

    base_url: str
    signer: Signer
    label: str = DEFAULT_LABEL
    timeout: float = DEFAULT_TIMEOUT_SEC
    clock: Callable[[], float] = time.time  # the edge: the only clock the client reads

    def url(self, target: str) -> str:
        """``base_url`` joined with an absolute path (``/api/whoami``)."""
        if target.startswith(("http://", "https://")):
            return target
        return self.base_url.rstrip("/") + "/" + target.lstrip("/")

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        json_body: Any = None,
        components: Sequence[str] | None = None,
    ) -> Response:
        """Send a signed request; retry once on a 401 with an ``Accept-Signature`` repair hint."""
        header_list = list(headers)
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            if not any(ascii_lower(name) == "content-type" for name, _ in header_list):
                header_list.append(("Content-Type", "application/json"))
        url = self.url(target)
        response = signed_fetch(
            url,
            signer=self.signer,
            method=method,
            headers=header_list,
            body=body,
            label=self.label,
            components=components,
            now=int(self.clock()),
            timeout=self.timeout,
        )
        wanted = repair_hint(response.status, response.header("accept-signature"))
        if wanted is None:
            return response
        try:
            return signed_fetch(
                url,
                signer=self.signer,
                method=method,
                headers=header_list,
                body=body,
                label=wanted.label,
                components=wanted.components,
                nonce=wanted.nonce,
                params=dict(wanted.params),
                now=int(self.clock()),
                timeout=self.timeout,
            )
        except ClientError:
            raise
        except Erc8128Error:
            # The hint asks for a component this request cannot cover (a field it does not
            # carry): no compliant retry exists, so the server's refusal stands.
            return response

    def get(self, target: str, **options: Any) -> Response:
        return self.request("GET", target, **options)

    def post(self, target: str, json_body: Any = None, **options: Any) -> Response:
        return self.request("POST", target, json_body=json_body, **options)

    def get_json(self, target: str) -> Any:
        """GET ``target``; the JSON answer, or :class:`ClientError` with the server's reason."""
        return self.get(target).raise_for_status().json()

    def post_json(self, target: str, json_body: Any = None) -> Any:
        """POST ``json_body``; the JSON answer, or :class:`ClientError` with the server's reason."""
        return self.post(target, json_body).raise_for_status().json()


@dataclass(frozen=True)
class Discovery:
    """What a server publishes without authentication (ERC-8128 §7 and the project list)."""

    document: Mapping[str, Any]  # /.well-known/erc8128 (advisory: never verification input)
    projects: tuple[Mapping[str, Any], ...]  # /api/projects


def _json_object(response: Response, what: str) -> dict[str, Any]:
    value = response.raise_for_status().json()
    if not isinstance(value, dict):
        raise ClientError(
            "invalid_response",
            f"expected a JSON object from {what}, got {type(value).__name__}",
            status=response.status,
            response=response,
        )
    return value


def discover(server: str, *, timeout: float = DEFAULT_TIMEOUT_SEC) -> Discovery:
    """Read ``/.well-known/erc8128`` and ``/api/projects`` from ``server``."""
    base = server.rstrip("/")
    document = _json_object(
        _fetch(base + "/.well-known/erc8128", timeout, MAX_DISCOVERY_BYTES), "discovery"
    )
    listing = _json_object(_fetch(base + "/api/projects", timeout), "/api/projects")
    projects = listing.get("projects")
    if not isinstance(projects, list) or not all(isinstance(p, dict) for p in projects):
        raise ClientError(
            "invalid_response", f"expected a list of project objects, got {projects!r}"
        )
    return Discovery(document=document, projects=tuple(projects))


@dataclass(frozen=True)
class Enrollment:
    """An agent registered with a project: its ready client, and where it stands."""

    client: Client
    project_id: str
    status: str  # "approved" or "pending"
    agent: Mapping[str, Any]

    @property
    def signer(self) -> Signer:
        return self.client.signer

    @property
    def address(self) -> str:
        return self.client.signer.address


def _agent_of(answer: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    agent = answer.get("agent")
    if not isinstance(agent, dict) or not isinstance(agent.get("status"), str):
        raise ClientError(
            "invalid_response", f"expected an agent object with a status from {what}, got {agent!r}"
        )
    return agent


def request_access(client: Client, project_id: str, name: str) -> Enrollment:
    """Ask to join ``project_id`` as ``name``; approved at once if the project auto-approves."""
    answer = _json_object(
        client.post(f"/api/projects/{project_id}/request-access", {"name": name}),
        "request-access",
    )
    agent = _agent_of(answer, "request-access")
    return Enrollment(client, str(project_id), str(agent["status"]), agent)


def redeem_invite(client: Client, invite_code: str, name: str) -> Enrollment:
    """Redeem ``invite_code`` as ``name``: the agent is approved in the invite's project."""
    answer = _json_object(
        client.post(f"/api/invites/{invite_code}/redeem", {"name": name}), "redeem"
    )
    agent = _agent_of(answer, "redeem")
    project_id = answer.get("project_id")
    if not isinstance(project_id, str | int) or isinstance(project_id, bool):
        raise ClientError(
            "invalid_response", f"expected the invite's project_id from redeem, got {project_id!r}"
        )
    return Enrollment(client, str(project_id), str(agent["status"]), agent)


def bootstrap(
    server: str,
    invite_code: str | None = None,
    *,
    name: str = "agent",
    project_id: str | None = None,
    signer: Signer | None = None,
    chain_id: int = 1,
    profile: ProfileName = "draft",
    timeout: float = DEFAULT_TIMEOUT_SEC,
) -> Enrollment:
    """Generate a key locally and register it with ``server``.

    With ``invite_code`` the invite is redeemed; otherwise access is requested to
    ``project_id``, or, when none is named, to the first listed project that auto-approves
    (else the first listed). The key never leaves this process: the server learns only the
    address, from the signature.
    """
    chosen_signer = signer if signer is not None else Signer.generate(
        chain_id=chain_id, profile=profile
    )
    client = Client(server, chosen_signer, timeout=timeout)
    if invite_code is not None:
        return redeem_invite(client, invite_code, name)
    if project_id is None:
        projects = discover(server, timeout=timeout).projects
        if not projects:
            raise ClientError("no_project", f"expected a project listed at {server}, got none")
        open_projects = [p for p in projects if p.get("auto_approve") is True]
        project_id = str((open_projects or list(projects))[0].get("id"))
    return request_access(client, project_id, name)
