"""The verifying gate in front of a web application (ERC-8128 §4 Verification, §6 Failure
Responses), shared by the WSGI and ASGI middleware.

A :class:`Gate` holds the verifier's trusted configuration (the public URL whose scheme and
authority every signature must cover, the route policy) and its state (the replay store, the
account and invalidation states, the signer key cache). :meth:`Gate.check` turns what a server
received into a :class:`~erc8128.http.message.Request`, verifies it at the clock's time, and
answers either the :class:`~erc8128.protocol.verify.Verified` result or the ERC-8128 §6 refusal
built by :func:`erc8128.protocol.challenge.failure_response`. The clock is read here, at the
edge, once per request: that ``now`` decides the verdict and, handed on by the verifier, the
replay store's expiry (no store holds a clock of its own).

The hot path does each thing once (SPEC.md D73): the request is built from the (name, value)
pairs the server already parsed, never joined into header lines and parsed again; a repeat
signer is checked against its cached public key (SPEC.md D53, on by default here as in
``erc8128 serve``); a fixed policy is not looked up per request.

At construction a Redis replay store is asked whether it persists its keys (SPEC.md D74): if
not, one warning line on the ``erc8128.integrations.gate`` logger names the consequence, or,
with ``require_durable_replay_state=True``, the Gate refuses to be built.

Each refusal is one INFO line on the same logger, as ``erc8128 serve``'s access log has it:
``refused GET https://api.example/items: 401 nonce_reused`` (method, target, status, reason
code; no received field value). ``logging.basicConfig(level=logging.INFO)`` shows them; at
DEBUG, a second line gives the refused request as the verifier read it, as one Python bytes
literal that ``erc8128 inspect`` reads (a developer's switch: it holds the received fields).

Restart safety: SPEC.md D61. By default a Gate keeps the restart watermark in ``state_dir``
(``$XDG_STATE_HOME/erc8128``, else ``~/.local/state/erc8128``); ``state_dir=None`` turns it
off, and then, with a memory replay store, a request accepted before a restart can be accepted
again after it, inside its validity window.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.message import (
    Request,
    head_lines,
    request_from_field_columns,
    request_from_parsed,
)
from erc8128.http.origin import Origin, parse_origin
from erc8128.http.paste import GATE_DEBUG_MARK
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.challenge import HttpResponse, failure_response, problem_response
from erc8128.protocol.discovery import (
    WELL_KNOWN_PATH,
    ProtectedRoute,
    discovery_document,
    discovery_response,
)
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.durability import replay_durability, require_durable
from erc8128.state.invalidation import InvalidationState
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.restart_watermark import RestartWatermark, WatermarkError, default_state_dir

__all__ = ["DEFAULT_MAX_BODY_BYTES", "VERIFIED_KEY", "Gate", "RoutePolicy"]

# Where the middleware puts the Verified result: the WSGI environ key / the ASGI scope key.
VERIFIED_KEY: Final = "erc8128.verified"
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024

# A route policy: the policy for (method, path), or None for a route that needs no signature.
RoutePolicy = Callable[[str, str], VerifierPolicy | None]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gate:
    """Verification of every request to one public URL (``https://api.example``)."""

    public_url: str
    policy: VerifierPolicy | RoutePolicy = field(default_factory=VerifierPolicy)
    nonces: ReplayStore = field(default_factory=MemoryReplayStore)
    accounts: AccountState = field(default_factory=NoCodeAccountState)
    invalidation: InvalidationState | None = None
    clock: Callable[[], float] = time.time
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # D61: where the restart watermark is kept; None: not restart-safe (see the module doc).
    state_dir: str | None = field(default_factory=default_state_dir)
    # SPEC.md D53: a repeat signer costs a verification against its cached key, not a
    # recovery; never changes a verdict. None turns it off.
    key_cache: SignerKeyCache | None = field(default_factory=SignerKeyCache, compare=False)
    # SPEC.md D74: refuse a replay store that a restart of its backend may empty (a Redis
    # without appendonly, memory) instead of warning.
    require_durable_replay_state: bool = False
    # SPEC.md D91: with one policy for every route, answer GET /.well-known/erc8128 with the
    # ERC-8128 §7 discovery document built from it; False leaves that path to the app.
    discovery: bool = True
    origin: Origin = field(init=False, repr=False, compare=False)  # parsed from public_url
    watermark: RestartWatermark | None = field(init=False, repr=False, compare=False)
    # The policy of every route when ``policy`` is one VerifierPolicy (not a RoutePolicy).
    _fixed_policy: VerifierPolicy | None = field(init=False, repr=False, compare=False)
    # The discovery answer (D91), or None: off, or a RoutePolicy the Gate cannot enumerate.
    _discovery_answer: HttpResponse | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The scheme and authority come from this trusted configuration, never from the
        # request (RFC 9110 §7.1; SPEC.md: the verifier reconstructs the target URI). Parsed
        # once: a public URL with a path or query is refused, not cut short.
        object.__setattr__(self, "origin", parse_origin(self.public_url))
        # D61: read once, at construction; a corrupt or unwritable file raises WatermarkError.
        object.__setattr__(self, "watermark", None if self.state_dir is None else (
            RestartWatermark.open(self.state_dir, str(self.origin))
        ))
        fixed = self.policy if isinstance(self.policy, VerifierPolicy) else None
        object.__setattr__(self, "_fixed_policy", fixed)
        # ERC-8128 §7: "An HTTPS origin MAY publish a discovery document for this profile at
        # `/.well-known/erc8128`"; one policy object under `default` without `methods` ("omission
        # applies the policy to every method").
        object.__setattr__(self, "_discovery_answer", None if fixed is None or not self.discovery
                           else discovery_response(discovery_document(
                               policy=fixed, routes=[ProtectedRoute("default", None, fixed)],
                               name=f"ERC-8128 verifier for {self.origin}",
                               invalidation_endpoint=None)))
        self._check_replay_durability()

    def _check_replay_durability(self) -> None:
        """SPEC.md D74: one warning line for a Redis store that may forget, or a refusal."""
        if self.require_durable_replay_state:
            require_durable(replay_durability(self.nonces),
                            how_to_allow="Gate(require_durable_replay_state=False) allows it")
        elif isinstance(self.nonces, RedisReplayStore):
            durability = replay_durability(self.nonces)
            if not durability.durable:
                _log.warning(
                    "erc8128 Gate: warning: %s (run Redis with appendonly yes; "
                    "Gate(require_durable_replay_state=True) refuses to start instead)",
                    durability.warning(),
                )

    def discovery_answer(self, method: str, path: str) -> HttpResponse | None:
        """The ERC-8128 §7 discovery document for ``GET /.well-known/erc8128`` (D91), else None
        (the request goes on to :meth:`route_policy`)."""
        if path == WELL_KNOWN_PATH and method == "GET":
            return self._discovery_answer
        return None

    def route_policy(self, method: str, path: str) -> VerifierPolicy | None:
        """The policy that applies to ``method`` ``path``, or None if the route is public."""
        if self._fixed_policy is not None:
            return self._fixed_policy
        route = self.policy
        assert not isinstance(route, VerifierPolicy)  # else _fixed_policy is set
        return route(method, path)

    def check(
        self,
        method: str,
        target: str,
        header_lines: Sequence[tuple[str, str]],
        body: bytes,
        policy: VerifierPolicy,
    ) -> Verified | HttpResponse:
        """Verify one received request; the Verified result or the §6 refusal to send.

        ``header_lines`` are the (name, value) pairs the server parsed, in the order it kept.
        """
        try:
            request = request_from_parsed(
                method, target, header_lines, body,
                scheme=self.origin.scheme, authority=self.origin.authority,
            )
        except Erc8128Error as error:
            return self._unreadable(error, policy)
        return self.verify(request, policy)

    def check_columns(
        self,
        method: str,
        target: str,
        names: Sequence[str],
        values: Sequence[str],
        body: bytes,
        *,
        policy: VerifierPolicy,
    ) -> Verified | HttpResponse:
        """:meth:`check` for field lines read out as two columns (``names[i]: values[i]``), as
        the middleware reads them from the ASGI scope or the WSGI environ."""
        try:
            request = request_from_field_columns(
                method, target, names, values, body,
                scheme=self.origin.scheme, authority=self.origin.authority,
            )
        except Erc8128Error as error:
            return self._unreadable(error, policy)
        return self.verify(request, policy)

    @staticmethod
    def _unreadable(error: Erc8128Error, policy: VerifierPolicy) -> HttpResponse:
        # A request whose signature inputs cannot even be rebuilt: ERC-8128 §6
        # `signature_input_invalid` ("members cannot correlate").
        failure = VerificationError(
            "signature_input_invalid", error.message,
            detail=f"the request cannot be read ({error.reason})",
        )
        response = failure_response(failure, policy=policy)
        _log.info("refused a request that cannot be read (%s): %d %s", error.reason,
                  response.status, failure.reason)
        return response

    def verify(self, request: Request, policy: VerifierPolicy) -> Verified | HttpResponse:
        """Verify ``request`` at the clock's time under ``policy``; the Verified result (the
        restart watermark durable before it is returned) or the §6 refusal to send."""
        watermark = self.watermark
        try:
            verified = verify_request(
                request,
                now=int(self.clock()),
                nonces=self.nonces,
                policy=policy,
                accounts=self.accounts,
                invalidation=self.invalidation,
                restart_floor=None if watermark is None else watermark.floor,
                key_cache=self.key_cache,
            )
        except VerificationError as error:
            response = failure_response(error, policy=policy, request=request)
            # What erc8128 serve's access log says of a refusal, for the app's own log: the
            # method, the target (checked visible ASCII when the request was read), the status
            # and the reason code; never a received field value (D62).
            _log.info("refused %s %s: %d %s", request.method, request.target_uri,
                      response.status, error.reason)
            if _log.isEnabledFor(logging.DEBUG):
                # Opt-in, for a developer: the request as the verifier read it, one Python
                # bytes literal (every control octet escaped), which erc8128 inspect reads.
                octets = ("\r\n".join(head_lines(request)) + "\r\n\r\n").encode("latin-1")
                _log.debug("%s%r", GATE_DEBUG_MARK, octets + (request.body or b""))
            return response
        if watermark is not None:
            try:
                watermark.admit(verified.created)  # D61: durable before the app runs
            except WatermarkError as error:
                _log.warning("refused %s %s: 503 %s (%s)", request.method, request.target_uri,
                             error.reason, error.message)
                return problem_response(
                    503, error.reason, "the restart watermark could not be written; retry later",
                    headers=(("Retry-After", "1"),),
                )
        return verified

    def too_large(self) -> HttpResponse:
        """413 for content over ``max_body_bytes``, refused before it is read or verified."""
        return problem_response(
            413, "content_too_large", f"expected content of at most {self.max_body_bytes} bytes"
        )
