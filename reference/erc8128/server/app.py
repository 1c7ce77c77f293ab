"""The onboarding app behind the demo verifier: projects, agents, invites and an audit log.

Every signed route is verified with :func:`erc8128.protocol.verify.verify_request` under its own
:class:`~erc8128.protocol.policy.VerifierPolicy` (the table :data:`ROUTES`, advertised verbatim by
the ERC-8128 §7 discovery document). Who may do what is decided only AFTER a signature verified,
from the verified signer address: ERC-8128 §6 "HTTP 403 is reserved for application
authorization denied after a Request Signature has verified."

Registered-agent routes (``/api/projects/{id}/echo``) use the verifier's Application Principal
hook (ERC-8128 §3.2.2), so an unknown, pending, denied or revoked agent is refused with 401
``principal_not_allowed`` before any nonce is consumed; the hook is asked only once the signature
verified (``principal_private``, decision D29), so a forged signature cannot tell who is a
member. A verified signer's refusal says its status in plain words, and a known agent's
(pending, denied, revoked) is written to the project's audit log as ``refused`` (D35).
The early-invalidation route (ERC-8128 §5.2) writes the shared early-invalidation state
(memory, SQLite or Redis: see :mod:`erc8128.state.invalidation`).

State lives in SQLite (standard library): in memory unless a path is given. Each state change
and its audit entry are written in ONE transaction, so the database is never half-written. The
clock (``now``) and the randomness (``randbytes``) are parameters: one ``now`` per request,
handed on to the verifier, the replay store and the invalidation state.

This module ties the parts together; each concept has its own module:

- :mod:`erc8128.server.routes`: the one route table (each route names its handler) and matching.
- :mod:`erc8128.server.calls`: what a handler receives and returns (Call, Handled, AppError).
- :mod:`erc8128.server.inputs`: JSON content, query parameters and identifier syntax.
- :mod:`erc8128.server.limits`: the bounds on pages, quotas, records and invites (D35, D36).
- :mod:`erc8128.server.context`: what a handler may use of the app (:class:`App` provides it).
- :mod:`erc8128.server.storage`: the tables and their queries (projects, agents, invites, audit).
- :mod:`erc8128.server.handlers`: the handlers, one module per resource.
"""

import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final, cast

from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.errors import VerificationError
from erc8128.http.message import Request, path
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.challenge import failure_response, problem_response, www_authenticate
from erc8128.protocol.discovery import (
    WELL_KNOWN_PATH,
    ProtectedRoute,
    discovery_document,
    discovery_response,
)
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import verify_request
from erc8128.server.budget import charged_failures
from erc8128.server.calls import (
    AppError,
    Call,
    Handled,
    Refusal,
    refusal_response,
)
from erc8128.server.database import AppStoreUnavailable
from erc8128.server.limits import MAX_REFUSALS
from erc8128.server.pages import Pages
from erc8128.server.routes import (
    INVALIDATE_PATH,
    ROUTES,
    Auth,
    PublicHandler,
    Route,
    SignedHandler,
    match,
    near_miss,
)
from erc8128.server.storage import Storage
from erc8128.state.invalidation.base import InvalidationStore
from erc8128.state.invalidation.memory import MemoryInvalidationState
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.restart_watermark import RestartWatermark, WatermarkError

# The detail of a verified signer's principal_not_allowed, by its agent status in the project
# (issue 18: "Application Principal policy rejects the Account" told a pending agent nothing).
_PRINCIPAL_DETAILS: Final[dict[str | None, str]] = {
    "pending": "{address} asked for access to {project} and the owner has not approved it yet; "
               "call again once the owner approves it",
    "denied": "the owner of {project} denied access to {address}",
    "revoked": "the owner of {project} revoked the access of {address}",
}
_NOT_AN_AGENT: Final = ("{address} is not an agent of {project}: ask for access "
                        "(POST /api/projects/{project}/request-access) or redeem an invite")


class App:
    """The demo application: routes one verified-or-refused request at a time (thread-safe).

    ``nonces`` is the replay store shared by every route; ``invalidation`` the early
    invalidation state (ERC-8128 §5.2); ``policy`` the server-wide defaults (profiles, skew,
    max validity, served chains) from which each route's policy is derived.
    """

    def __init__(
        self,
        *,
        public_url: str,
        policy: VerifierPolicy,
        nonces: ReplayStore,
        invalidation: InvalidationStore | None = None,
        accounts: AccountState | None = None,
        db_path: str = ":memory:",
        name: str = "ERC-8128 demo server",
        randbytes: Callable[[int], bytes] = secrets.token_bytes,
        watermark: RestartWatermark | None = None,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.policy = policy
        self.nonces = nonces
        # D61: what an earlier process may have accepted (None: no restart guard).
        self.watermark = watermark
        self.restart_floor = None if watermark is None else watermark.floor
        self.invalidation: InvalidationStore = invalidation if invalidation is not None else (
            MemoryInvalidationState()
        )
        self.accounts: AccountState = accounts if accounts is not None else NoCodeAccountState()
        # Agents call again and again: a repeat signer is checked against its cached public key
        # (SPEC.md D53; it never changes a verdict).
        self.key_cache = SignerKeyCache()
        self.name = name
        self.randbytes = randbytes
        self.storage = Storage(db_path)
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self.evicted_at: int | None = None  # when expired denials were last deleted
        self._refusals_lock = threading.Lock()
        self._policies = self._route_policies()
        self.pages = Pages(policy=policy)  # the inspector and console pages (issue 13)
        self.discovery = discovery_response(
            discovery_document(
                policy=policy,
                routes=[
                    ProtectedRoute(route.discovery_key, (route.method,), self._policies[route.auth])
                    for route in ROUTES
                    if route.auth != "public"
                ],
                name=name,
                invalidation_endpoint=self.public_url + INVALIDATE_PATH,
            )
        )

    def close(self) -> None:
        self.storage.close()

    def refusals(self) -> tuple[Refusal, ...]:
        """The latest requests refused before a signature verified, oldest first (at most
        MAX_REFUSALS; the access log has every one)."""
        with self._refusals_lock:
            return tuple(self._refusals)

    def _record_refusal(self, project_id: str | None, request: Request, handled: Handled, *,
                        now: int) -> Handled:
        with self._refusals_lock:
            self._refusals.append(Refusal(now, project_id, request.method,
                                          path(request.target_uri), handled.response.status,
                                          handled.reason or "-"))
        return handled

    # ---- policies -------------------------------------------------------------------------
    def _route_policies(self) -> dict[Auth, VerifierPolicy]:
        base = self.policy
        return {
            "public": base,
            "signed": base,
            "owner": base,
            # /api/whoami reports any posture: Class-Bound and Replayable signatures are accepted
            # there (ERC-8128 §3.1.1 "A verifier MAY accept it only under explicit route
            # policy"); Replayable ones are subject to early invalidation (§5.2).
            "whoami": replace(base, class_bound=True, replay="either"),
            # Registered agents: the Principal hook is bound per request (see _agent_policy).
            "agent": base,
            # ERC-8128 §5.2: "Any client-callable request that triggers early invalidation MUST
            # be authenticated with a Request-Bound, Non-Replayable signature."
            "invalidate": replace(base, invalidation_endpoint=True),
        }

    def _agent_policy(self, project_id: str, refused: list[tuple[str, str | None]]
                      ) -> VerifierPolicy:
        """The registered-agent policy of one request; ``refused`` collects each signer the
        Principal hook turned away, with its agent status (None: not an agent here)."""
        def principal_allowed(account: Account) -> bool:
            status = self.storage.agent_status(project_id, account.address)
            if status != "approved":
                refused.append((account.address, status))
            return status == "approved"

        # Decision D29: asked after the signature verified, so a forged signature gets
        # bad_signature whoever it names (no membership oracle); still before the nonce.
        return replace(
            self._policies["agent"], principal_allowed=principal_allowed, principal_private=True
        )

    def _audit_alone(self, project_id: str, request: Request, handled: Handled, *, now: int
                     ) -> Handled:
        with self.storage.transaction() as cursor:
            self.storage.audit(cursor, project_id, request, now=now, agent=handled.agent,
                               status=handled.response.status, reason=handled.reason)
        return handled

    # ---- dispatch ---------------------------------------------------------------------------
    def handle(self, request: Request, *, now: int, client: str = "-") -> Handled:
        """Answer one request received at time ``now`` (Unix seconds) from ``client``."""
        # D34/D79: the inspector's failed recoveries are charged like the API's.
        charges: list[int] = []
        page = self.pages.handle(request, now=now, client=client, charge=charges.append)
        if page is not None:
            return Handled(page, cost=sum(charges))
        try:
            return self._route(request, now)
        except AppStoreUnavailable as error:
            # D37: a busy or full app database is a temporary condition: 503 + Retry-After.
            response = problem_response(503, error.reason, error.message,
                                        headers=(("Retry-After", "1"),))
            return Handled(response, error.reason)
        except WatermarkError as error:
            # D61: a reservation that cannot be made durable is never accepted unrecorded.
            response = problem_response(
                503, error.reason, "the restart watermark could not be written; retry later",
                headers=(("Retry-After", "1"),),
            )
            return Handled(response, error.reason)

    def _route(self, request: Request, now: int) -> Handled:
        request_path = path(request.target_uri)
        segments = tuple(request_path.split("/"))
        allowed: list[str] = []
        for route in ROUTES:
            bound = match(route.segments, segments)
            if bound is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            return self._dispatch(route, bound, request, now)
        if allowed:
            # RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a
            # 405 response containing a list of the target resource's currently supported
            # methods."
            response = problem_response(
                405, "method_not_allowed", f"expected one of {allowed}, got {request.method!r}",
                headers=(("Allow", ", ".join(allowed)),),
            )
            return Handled(response, "method_not_allowed")
        # The nearest route's expectation, else where every route is listed.
        detail = near_miss(segments) or (f"no such route (the routes: GET {WELL_KNOWN_PATH} "
                                          f"and docs/API.md)")
        return Handled(problem_response(404, "not_found", detail), "not_found")

    def _dispatch(self, route: Route, bound: dict[str, str], request: Request, now: int
                  ) -> Handled:
        if route.auth == "public":
            return cast("PublicHandler", route.handler)(self, request)
        project_id = bound.get("project_id")
        if "code" in bound:
            project_id = self.storage.invite_project(bound["code"])
            if project_id is None:
                # Invite codes are 128 random bits; guessing is throttled anyway (D34: each
                # unknown code costs the address one failed verification).
                refused = Handled(problem_response(404, "invite_not_found", "no such invite"),
                                  "invite_not_found", cost=1)
                return self._record_refusal(None, request, refused, now=now)
        project: dict[str, Any] | None = None
        if project_id is not None:
            project = self.storage.project(project_id)
            if project is None:
                return Handled(problem_response(404, "project_not_found", "no such project"),
                               "project_not_found")
        principal_refused: list[tuple[str, str | None]] = []
        policy = (
            self._agent_policy(project_id, principal_refused)
            if route.auth == "agent" and project_id is not None
            else self._policies[route.auth]
        )
        if route.auth not in ("whoami", "invalidate"):
            # D37: every other signed route writes to the app database; if it is locked now,
            # answer 503 before verification consumes the nonce.
            self.storage.database.check_writable()
        try:
            verified = verify_request(
                request,
                now=now,
                nonces=self.nonces,
                policy=policy,
                accounts=self.accounts,
                invalidation=self.invalidation,
                key_cache=self.key_cache,
                restart_floor=self.restart_floor,
            )
        except VerificationError as error:
            cost = charged_failures(error)
            if (error.reason == "principal_not_allowed" and principal_refused
                    and project_id is not None):
                return self._principal_refusal(project_id, request, principal_refused[-1],
                                               now=now, cost=cost)
            refused = Handled(
                failure_response(error, policy=policy, request=request), error.reason,
                cost=cost,
            )
            # D35: an unverified request never writes to a project's audit log.
            return self._record_refusal(project_id, request, refused, now=now)
        if self.watermark is not None:
            # D61: recorded durably before the request is answered (WatermarkError → 503).
            self.watermark.admit(verified.created)
        call = Call(request=request, now=now, verified=verified, project=project, bound=bound)
        try:
            return self._authorised(route, call)
        except AppError as error:
            handled = Handled(refusal_response(error), error.reason, call.agent)
            if project_id is not None:
                return self._audit_alone(project_id, request, handled, now=now)
            return handled

    def _principal_refusal(self, project_id: str, request: Request,
                           refused: tuple[str, str | None], *, now: int, cost: int) -> Handled:
        """A verified signer refused by the registered-agent Principal policy (ERC-8128
        §3.2.2): 401 ``principal_not_allowed`` whose detail says, in plain words, why (its own
        status in this project). The hook runs only after step 17 verified the signature
        (D29), so the detail tells the signer about itself only, and a forged signature never
        gets here. Decision D35: a known agent's refusal (pending, denied, revoked) carries that
        verified signer into the project's audit log as ``refused``; an address that is not an
        agent here is recorded only at server level, like every unverified refusal."""
        address, status = refused
        detail = _PRINCIPAL_DETAILS.get(status, _NOT_AN_AGENT).format(
            address=address, project=project_id)
        # ERC-8128 §6: "Every 401 response MUST include a challenge applicable to the target
        # resource"; the problem body carries the same stable code in `reason`.
        response = problem_response(
            401, "principal_not_allowed", detail,
            headers=(("WWW-Authenticate", www_authenticate("principal_not_allowed")),),
        )
        handled = Handled(response, "principal_not_allowed", address, cost=cost)
        self._record_refusal(project_id, request, handled, now=now)
        if status is None:
            return handled
        try:
            with self.storage.transaction() as cursor:
                self.storage.audit(cursor, project_id, request, now=now, agent=address,
                                   status=401, reason="principal_not_allowed",
                                   entry_outcome="refused")
        except AppStoreUnavailable:
            pass  # the refusal stands; the server-level record and the access log have it
        return handled

    # ---- routes after verification -----------------------------------------------------------
    def _authorised(self, route: Route, call: Call) -> Handled:
        if route.auth == "owner" and call.owned_project["owner"] != call.agent:
            # ERC-8128 §6: "HTTP 403 is reserved for application authorization denied after a
            # Request Signature has verified."
            raise AppError("forbidden", "only the project owner may do this", status=403)
        return cast("SignedHandler", route.handler)(self, call)
