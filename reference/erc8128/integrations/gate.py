"""The verifying gate in front of a web application (ERC-8128 §4 Verification, §6 Failure
Responses), shared by the WSGI and ASGI middleware.

A :class:`Gate` holds the verifier's trusted configuration (the public URL whose scheme and
authority every signature must cover, the route policy) and its state (the replay store, the
account and invalidation states). :meth:`Gate.check` turns what a server received into a
:class:`~erc8128.http.message.Request`, verifies it at the clock's time, and answers either the
:class:`~erc8128.protocol.verify.Verified` result or the ERC-8128 §6 refusal built by
:func:`erc8128.protocol.challenge.failure_response`. The clock is read here, at the edge.

Restart safety (decision D61, SPEC.md). By default a Gate keeps a restart watermark, one small
file per public URL in ``state_dir`` (``$XDG_STATE_HOME/erc8128``, else
``~/.local/state/erc8128``), and refuses after a restart every signature created at or before
what an earlier process may have accepted (with ``Retry-After``; a fresh signature passes a
second or two later). So nothing accepted before a restart is accepted after it, even with the
default in-memory replay store. Processes serving one public URL may share the directory.
``state_dir=None`` turns it off: then, with a memory replay store, a request accepted before a
restart can be accepted again after it, inside its validity window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.message import request_from_wire
from erc8128.http.origin import Origin, parse_origin
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.challenge import HttpResponse, failure_response, problem_response
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.invalidation import InvalidationState
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.restart_watermark import RestartWatermark, WatermarkError, default_state_dir

__all__ = ["DEFAULT_MAX_BODY_BYTES", "VERIFIED_KEY", "Gate", "RoutePolicy"]

# Where the middleware puts the Verified result: the WSGI environ key / the ASGI scope key.
VERIFIED_KEY: Final = "erc8128.verified"
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024

# A route policy: the policy for (method, path), or None for a route that needs no signature.
RoutePolicy = Callable[[str, str], VerifierPolicy | None]


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
    origin: Origin = field(init=False, repr=False, compare=False)  # parsed from public_url
    watermark: RestartWatermark | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The scheme and authority come from this trusted configuration, never from the
        # request (RFC 9110 §7.1; SPEC.md: the verifier reconstructs the target URI). Parsed
        # once: a public URL with a path or query is refused, not cut short.
        object.__setattr__(self, "origin", parse_origin(self.public_url))
        # D61: read once, at construction; a corrupt or unwritable file raises WatermarkError.
        object.__setattr__(self, "watermark", None if self.state_dir is None else (
            RestartWatermark.open(self.state_dir, str(self.origin))
        ))

    def route_policy(self, method: str, path: str) -> VerifierPolicy | None:
        """The policy that applies to ``method`` ``path``, or None if the route is public."""
        if isinstance(self.policy, VerifierPolicy):
            return self.policy
        return self.policy(method, path)

    def check(
        self,
        method: str,
        target: str,
        header_lines: Sequence[tuple[str, str]],
        body: bytes,
        policy: VerifierPolicy,
    ) -> Verified | HttpResponse:
        """Verify one received request; the Verified result or the §6 refusal to send."""
        try:
            request = request_from_wire(
                f"{method} {target} HTTP/1.1",
                [f"{name}: {value}" for name, value in header_lines],
                body,
                scheme=self.origin.scheme,
                authority=self.origin.authority,
            )
        except Erc8128Error as error:
            # A request whose signature inputs cannot even be rebuilt: ERC-8128 §6
            # `signature_input_invalid` ("members cannot correlate").
            failure = VerificationError(
                "signature_input_invalid", error.message,
                detail=f"the request cannot be read ({error.reason})",
            )
            return failure_response(failure, policy=policy)
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
            )
        except VerificationError as error:
            return failure_response(error, policy=policy, request=request)
        if watermark is not None:
            try:
                watermark.admit(verified.created)  # D61: durable before the app runs
            except WatermarkError as error:
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
