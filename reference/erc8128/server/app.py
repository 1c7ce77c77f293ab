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
member. The early-invalidation route (ERC-8128 §5.2) writes the shared early-invalidation state
(memory, SQLite or Redis: see :mod:`erc8128.state.invalidation_stores`).

State lives in SQLite (standard library): in memory unless a path is given. Each state change
and its audit entry are written in ONE transaction, so the database is never half-written. The
clock (``now``) and the randomness (``randbytes``) are parameters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.errors import Erc8128Error, InvalidationStateUnavailable, VerificationError
from erc8128.http.bounded_json import JsonTooDeep, check_depth
from erc8128.http.message import Request, ascii_lower, path
from erc8128.http.message import query as query_of
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.challenge import (
    HttpResponse,
    failure_response,
    problem_response,
)
from erc8128.protocol.discovery import (
    WELL_KNOWN_PATH,
    ProtectedRoute,
    discovery_document,
    discovery_response,
)
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import Verified, verify_request
from erc8128.server.database import AppDatabase, AppStoreUnavailable
from erc8128.server.pages import Pages
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.invalidation_stores import InvalidationStore
from erc8128.state.nonces.base import ReplayStore

__all__ = [
    "AGENT_STATUSES",
    "INVALIDATE_PATH",
    "ROUTES",
    "App",
    "AppError",
    "Handled",
    "Route",
    "json_response",
]

INVALIDATE_PATH: Final = "/api/signatures/invalidate"
AGENT_STATUSES: Final = ("pending", "approved", "denied", "revoked")
MAX_NAME_CHARS: Final = 100
MAX_INVITE_USES: Final = 1_000_000
MAX_INVITE_SECONDS: Final = 30 * 24 * 3600
# Decision D35: the project audit log holds verified requests only; a page has at most
# MAX_AUDIT_ENTRIES entries, a project keeps its latest AUDIT_RETAINED entries (older ones are
# pruned every AUDIT_PRUNE_EVERY inserts, so at most AUDIT_RETAINED + AUDIT_PRUNE_EVERY are kept);
# refusals before verification go to a server-level ring of MAX_REFUSALS records.
MAX_AUDIT_ENTRIES: Final = 1000
AUDIT_RETAINED: Final = 10_000
AUDIT_PRUNE_EVERY: Final = 256
MAX_REFUSALS: Final = 1000
# Decision D34: the candidate failures that cost the verifier a public-key recovery (SPEC.md
# §4.17 Universal Account verification, §4.18 nonce consumption), plus the Principal policy
# (whose place in the order may move after recovery); only these are charged to the client's
# failed-verification budget. Earlier failures (parse, limits, keyid, time, coverage) are cheap.
CHARGED_REASONS: Final = frozenset({"bad_signature", "nonce_reused", "principal_not_allowed"})
# Decision D36: expired per-signature denials are deleted at most this often (seconds), when the
# invalidation endpoint writes a new one.
EVICT_EVERY_SEC: Final = 60
# Decision D36: projects per owner; a page of the public list.
MAX_PROJECTS_PER_OWNER: Final = 100
MAX_PROJECTS_PAGE: Final = 1000
DEFAULT_PROJECTS_PAGE: Final = 100
# Decision D37: a JSON integer literal longer than this is refused before int() sees it
# (CPython refuses int() of more than 4,300 digits with ValueError, which json.loads lets out).
MAX_JSON_INTEGER_CHARS: Final = 20
# ERC-8128 §7: "Numeric values MUST be JSON integers in the interoperable range"
MAX_JSON_INTEGER: Final = 9007199254740991

_PROJECT_ID: Final = re.compile(r"p_[0-9a-f]{16}")
_INVITE_CODE: Final = re.compile(r"[A-Za-z0-9_-]{22}")
_ADDRESS: Final = re.compile(r"0x[0-9a-f]{40}")
_FINGERPRINT: Final = re.compile(r"0x[0-9a-f]{64}")

Auth = Literal["public", "signed", "whoami", "owner", "agent", "invalidate"]


class AppError(Erc8128Error):
    """An application-level refusal with its HTTP status (400, 404, 409, 410, 415...)."""

    status: int

    def __init__(self, reason: str, message: str, *, status: int) -> None:
        super().__init__(reason, message)
        self.status = status


@dataclass(frozen=True)
class Route:
    """One API route: method, path pattern (``{name}`` segments), who may call it."""

    method: str
    pattern: str
    auth: Auth
    name: str

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.pattern.split("/"))

    @property
    def discovery_key(self) -> str:
        """The ERC-8128 §7 route key: the pattern, or its static prefix + ``/*``."""
        if "{" not in self.pattern:
            return self.pattern
        return self.pattern[: self.pattern.index("{")] + "*"


# The HTTP API (docs/API.md). Order matters only for the discovery document's arrays.
ROUTES: Final[tuple[Route, ...]] = (
    Route("GET", WELL_KNOWN_PATH, "public", "discovery"),
    Route("GET", "/api/whoami", "whoami", "whoami"),
    Route("GET", "/api/projects", "public", "list_projects"),
    Route("POST", "/api/projects", "signed", "create_project"),
    Route("POST", "/api/projects/{project_id}/request-access", "signed", "request_access"),
    Route("POST", "/api/projects/{project_id}/invites", "owner", "create_invite"),
    Route("POST", "/api/invites/{code}/redeem", "signed", "redeem_invite"),
    Route("GET", "/api/projects/{project_id}/agents", "owner", "list_agents"),
    Route("POST", "/api/projects/{project_id}/agents/{address}/approve", "owner", "approve"),
    Route("POST", "/api/projects/{project_id}/agents/{address}/deny", "owner", "deny"),
    Route("POST", "/api/projects/{project_id}/agents/{address}/revoke", "owner", "revoke"),
    Route("GET", "/api/projects/{project_id}/audit", "owner", "audit"),
    Route("GET", "/api/projects/{project_id}/echo", "agent", "echo"),
    Route("POST", "/api/projects/{project_id}/echo", "agent", "echo"),
    Route("POST", INVALIDATE_PATH, "invalidate", "invalidate"),
)

_PLACEHOLDER_SYNTAX: Final[dict[str, re.Pattern[str]]] = {
    "project_id": _PROJECT_ID,
    "code": _INVITE_CODE,
    "address": _ADDRESS,
}


@dataclass(frozen=True)
class Handled:
    """The answer to one request and what the access log should say about it."""

    response: HttpResponse
    reason: str | None = None  # the stable code of a refusal
    agent: str | None = None  # the verified signer address, when one verified
    # Failed verifications this answer charges to the client's budget (decision D34): the number
    # of candidates that failed with a CHARGED_REASONS code, or 1 for an unknown invite code
    # (guessing is throttled too).
    cost: int = 0


@dataclass(frozen=True)
class Refusal:
    """One request refused before any signature verified (the server-level record, D35)."""

    time: int
    project_id: str | None
    method: str
    path: str
    status: int
    reason: str


def json_response(status: int, document: object, *, headers: tuple[tuple[str, str], ...] = ()
                  ) -> HttpResponse:
    """A JSON answer (``application/json``, UTF-8)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(
        status=status,
        headers=(*headers, ("Content-Type", "application/json"), ("Cache-Control", "no-store")),
        body=body,
    )


def _refusal(error: AppError) -> HttpResponse:
    return problem_response(error.status, error.reason, error.message)


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL,
    auto_approve INTEGER NOT NULL, public INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    project_id TEXT NOT NULL REFERENCES projects(id), address TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, address));
CREATE TABLE IF NOT EXISTS invites (
    code TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
    uses_left INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, time INTEGER NOT NULL,
    agent TEXT, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,
    outcome TEXT NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS audit_by_project ON audit(project_id, id);
"""


def _outcome(status: int) -> str:
    """The audit outcome of an answer after verification: accepted (2xx), forbidden (403) or
    rejected (other application errors). A signature-layer failure is not audited (D35)."""
    if status < 300:
        return "accepted"
    if status == 403:
        return "forbidden"
    return "rejected"


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
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.policy = policy
        self.nonces = nonces
        self.invalidation: InvalidationStore = invalidation if invalidation is not None else (
            MemoryInvalidationState()
        )
        self.accounts: AccountState = accounts if accounts is not None else NoCodeAccountState()
        # Agents call again and again: a repeat signer is checked against its cached public key
        # (SPEC.md D53; it never changes a verdict).
        self.key_cache = SignerKeyCache()
        self.name = name
        self._randbytes = randbytes
        self._database = AppDatabase(
            db_path, schema=[statement for statement in _SCHEMA.split(";") if statement.strip()]
        )
        self._transaction = self._database.transaction
        self._query = self._database.query
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self._evicted_at: int | None = None  # when expired denials were last deleted
        self._refusals_lock = threading.Lock()
        self._policies = self._route_policies()
        self.pages = Pages(policy=policy)  # the inspector and console pages (issue 13)
        self._discovery = discovery_response(
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
        self._database.close()

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

    def _agent_policy(self, project_id: str) -> VerifierPolicy:
        def principal_allowed(account: Account) -> bool:
            return self._agent_status(project_id, account.address) == "approved"

        # Decision D29: asked after the signature verified, so a forged signature gets
        # bad_signature whoever it names (no membership oracle); still before the nonce.
        return replace(
            self._policies["agent"], principal_allowed=principal_allowed, principal_private=True
        )

    # ---- database helpers -----------------------------------------------------------------
    def _project(self, project_id: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT id, name, owner, auto_approve, public FROM projects WHERE id = ?", (project_id,)
        )
        if not rows:
            return None
        project_id, name, owner, auto_approve, public = rows[0]
        return {
            "id": project_id,
            "name": name,
            "owner": owner,
            "auto_approve": bool(auto_approve),
            "public": bool(public),
        }

    def _agent_status(self, project_id: str, address: str) -> str | None:
        rows = self._query(
            "SELECT status FROM agents WHERE project_id = ? AND address = ?", (project_id, address)
        )
        return str(rows[0][0]) if rows else None

    @staticmethod
    def _agent(cursor: sqlite3.Cursor, project_id: str, address: str) -> dict[str, Any] | None:
        row = cursor.execute(
            "SELECT address, name, status, created_at FROM agents "
            "WHERE project_id = ? AND address = ?",
            (project_id, address),
        ).fetchone()
        if row is None:
            return None
        return {"address": row[0], "name": row[1], "status": row[2], "created_at": row[3]}

    @staticmethod
    def _audit(cursor: sqlite3.Cursor, project_id: str, request: Request, *, now: int,
               agent: str | None, status: int, reason: str | None = None) -> None:
        """One audit entry: when, which verified agent, what, result (decision D35: only
        requests whose signature verified are written here)."""
        cursor.execute(
            "INSERT INTO audit (project_id, time, agent, method, path, status, outcome, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, now, agent, request.method, path(request.target_uri), status,
             _outcome(status), reason),
        )
        entry_id = cursor.lastrowid
        if entry_id is not None and entry_id % AUDIT_PRUNE_EVERY == 0:
            # Retention (D35): keep the project's latest AUDIT_RETAINED entries.
            cursor.execute(
                "DELETE FROM audit WHERE project_id = ? AND id <= (SELECT id FROM audit "
                "WHERE project_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (project_id, project_id, AUDIT_RETAINED),
            )

    def _audit_alone(self, project_id: str, request: Request, handled: Handled, *, now: int
                     ) -> Handled:
        with self._transaction() as cursor:
            self._audit(cursor, project_id, request, now=now, agent=handled.agent,
                        status=handled.response.status, reason=handled.reason)
        return handled

    def _log(self, cursor: sqlite3.Cursor, call: _Call, status: int) -> None:
        """Audit a successful call (its project, verified agent, method and path)."""
        assert call.project is not None  # only project routes are audited
        self._audit(cursor, call.project["id"], call.request, now=call.now, agent=call.agent,
                    status=status)

    # ---- dispatch ---------------------------------------------------------------------------
    def handle(self, request: Request, *, now: int, client: str = "-") -> Handled:
        """Answer one request received at time ``now`` (Unix seconds) from ``client``."""
        page = self.pages.handle(request, now=now, client=client)
        if page is not None:
            return Handled(page)
        try:
            return self._route(request, now)
        except AppStoreUnavailable as error:
            # D37: a busy or full app database is a temporary condition: 503 + Retry-After.
            response = problem_response(503, error.reason, error.message,
                                        headers=(("Retry-After", "1"),))
            return Handled(response, error.reason)

    def _route(self, request: Request, now: int) -> Handled:
        request_path = path(request.target_uri)
        segments = tuple(request_path.split("/"))
        allowed: list[str] = []
        for route in ROUTES:
            bound = _match(route.segments, segments)
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
        return Handled(problem_response(404, "not_found", "no such route"), "not_found")

    def _dispatch(self, route: Route, bound: dict[str, str], request: Request, now: int
                  ) -> Handled:
        if route.name == "discovery":
            return Handled(self._discovery)
        if route.name == "list_projects":
            try:
                return Handled(self._list_projects(request))
            except AppError as error:
                return Handled(_refusal(error), error.reason)
        project_id = bound.get("project_id")
        if "code" in bound:
            project_id = self._invite_project(bound["code"])
            if project_id is None:
                # Invite codes are 128 random bits; guessing is throttled anyway (D34: each
                # unknown code costs the address one failed verification).
                refused = Handled(problem_response(404, "invite_not_found", "no such invite"),
                                  "invite_not_found", cost=1)
                return self._record_refusal(None, request, refused, now=now)
        project: dict[str, Any] | None = None
        if project_id is not None:
            project = self._project(project_id)
            if project is None:
                return Handled(problem_response(404, "project_not_found", "no such project"),
                               "project_not_found")
        policy = (
            self._agent_policy(project_id)
            if route.auth == "agent" and project_id is not None
            else self._policies[route.auth]
        )
        if route.auth not in ("whoami", "invalidate"):
            # D37: every other signed route writes to the app database; if it is locked now,
            # answer 503 before verification consumes the nonce.
            self._database.check_writable()
        try:
            verified = verify_request(
                request,
                now=now,
                nonces=self.nonces,
                policy=policy,
                accounts=self.accounts,
                invalidation=self.invalidation,
                key_cache=self.key_cache,
            )
        except VerificationError as error:
            refused = Handled(
                failure_response(error, policy=policy, request=request), error.reason,
                cost=sum(failure.reason in CHARGED_REASONS
                         for failure in error.candidate_failures or (error,)),
            )
            # D35: an unverified request never writes to a project's audit log.
            return self._record_refusal(project_id, request, refused, now=now)
        call = _Call(request=request, now=now, verified=verified, project=project, bound=bound)
        try:
            return self._authorised(route, call)
        except AppError as error:
            handled = Handled(_refusal(error), error.reason, call.agent)
            if project_id is not None:
                return self._audit_alone(project_id, request, handled, now=now)
            return handled

    # ---- routes after verification -----------------------------------------------------------
    def _authorised(self, route: Route, call: _Call) -> Handled:
        if route.auth == "owner" and call.owned_project["owner"] != call.agent:
            # ERC-8128 §6: "HTTP 403 is reserved for application authorization denied after a
            # Request Signature has verified."
            raise AppError("forbidden", "only the project owner may do this", status=403)
        handlers: dict[str, Callable[[_Call], Handled]] = {
            "whoami": self._whoami,
            "create_project": self._create_project,
            "invalidate": self._invalidate,
            "request_access": self._request_access,
            "create_invite": self._create_invite,
            "redeem_invite": self._redeem_invite,
            "list_agents": self._list_agents,
            "approve": self._approve,
            "deny": self._deny,
            "revoke": self._revoke,
            "audit": self._list_audit,
            "echo": self._echo,
        }
        return handlers[route.name](call)

    def _whoami(self, call: _Call) -> Handled:
        verified = call.verified
        document = {
            "address": verified.address,
            "chain_id": verified.chain_id,
            "keyid": verified.keyid,
            "label": verified.label,
            "profile": verified.profile,
            "binding": "request-bound" if verified.request_bound else "class-bound",
            "replay": "replayable" if verified.replayable else "non-replayable",
            "covered": [_unquoted(c) for c in verified.covered_components],
        }
        return Handled(json_response(200, document), agent=call.agent)

    def _list_projects(self, request: Request) -> HttpResponse:
        """A page of public projects in creation order (D36): ``?after=<project id>`` continues
        after that project, ``limit`` is 1..MAX_PROJECTS_PAGE (DEFAULT_PROJECTS_PAGE)."""
        parameters = _query_parameters(request, ("after", "limit"))
        limit = _query_integer(parameters, "limit", 1, MAX_PROJECTS_PAGE, DEFAULT_PROJECTS_PAGE)
        after = parameters.get("after")
        cursor_key: tuple[int, str] = (-1, "")
        if after is not None:
            if _PROJECT_ID.fullmatch(after) is None:
                raise AppError("invalid_query", "expected 'after' as a project id", status=400)
            found = self._query("SELECT created_at, id FROM projects WHERE id = ?", (after,))
            if not found:
                raise AppError("invalid_query", "expected 'after' to name a project", status=400)
            cursor_key = (int(found[0][0]), str(found[0][1]))
        rows = self._query(
            "SELECT id, name, owner, auto_approve FROM projects WHERE public = 1 "
            "AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?",
            (*cursor_key, limit + 1),
        )
        projects = [
            {"id": r[0], "name": r[1], "owner": r[2], "auto_approve": bool(r[3])}
            for r in rows[:limit]
        ]
        next_after = projects[-1]["id"] if len(rows) > limit else None
        return json_response(200, {"projects": projects, "next_after": next_after})

    def _create_project(self, call: _Call) -> Handled:
        body = _json_object(call.request)
        name = _name(body)
        auto_approve = _boolean(body, "auto_approve", default=False)
        public = _boolean(body, "public", default=True)
        project_id = "p_" + self._randbytes(8).hex()
        with self._transaction() as cursor:
            (owned,) = cursor.execute(
                "SELECT COUNT(*) FROM projects WHERE owner = ?", (call.agent,)
            ).fetchone()
            if owned >= MAX_PROJECTS_PER_OWNER:
                # D36: a per-owner quota bounds what one key can make the server store.
                raise AppError("project_quota_exceeded",
                               f"expected at most {MAX_PROJECTS_PER_OWNER} projects per owner",
                               status=403)
            cursor.execute(
                "INSERT INTO projects (id, name, owner, auto_approve, public, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (project_id, name, call.agent, int(auto_approve), int(public), call.now),
            )
            self._audit(cursor, project_id, call.request, now=call.now, agent=call.agent,
                        status=201)
        document = {"id": project_id, "name": name, "owner": call.agent,
                    "auto_approve": auto_approve, "public": public}
        return Handled(json_response(201, document), agent=call.agent)

    def _request_access(self, call: _Call) -> Handled:
        project = call.owned_project
        body = _json_object(call.request)
        name = _name(body)
        status = "approved" if project["auto_approve"] else "pending"
        code = 201 if project["auto_approve"] else 202
        with self._transaction() as cursor:
            if self._agent(cursor, project["id"], call.agent) is not None:
                raise AppError("agent_exists", "this address already asked for access", status=409)
            cursor.execute(
                "INSERT INTO agents (project_id, address, name, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (project["id"], call.agent, name, status, call.now, call.now),
            )
            record = self._agent(cursor, project["id"], call.agent)
            self._log(cursor, call, code)
        return Handled(json_response(code, {"agent": record}), agent=call.agent)

    def _create_invite(self, call: _Call) -> Handled:
        project = call.owned_project
        body = _json_object(call.request)
        uses = _integer(body, "uses", 1, MAX_INVITE_USES)
        expires_in = _integer(body, "expires_in", 1, MAX_INVITE_SECONDS)
        code = base64.urlsafe_b64encode(self._randbytes(16)).decode("ascii").rstrip("=")
        expires_at = call.now + expires_in
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT INTO invites (code, project_id, uses_left, expires_at, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (code, project["id"], uses, expires_at, call.now),
            )
            self._log(cursor, call, 201)
        document = {"code": code, "uses": uses, "expires_at": expires_at}
        return Handled(json_response(201, document), agent=call.agent)

    def _invite_project(self, code: str) -> str | None:
        rows = self._query("SELECT project_id FROM invites WHERE code = ?", (code,))
        return str(rows[0][0]) if rows else None

    def _redeem_invite(self, call: _Call) -> Handled:
        project = call.owned_project
        code = call.bound["code"]
        body = _json_object(call.request)
        name = _name(body)
        with self._transaction() as cursor:
            row = cursor.execute(
                "SELECT uses_left, expires_at FROM invites WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                raise AppError("invite_not_found", "no such invite", status=404)
            uses_left, expires_at = row
            if call.now >= expires_at:
                raise AppError("invite_expired", f"the invite expired at {expires_at}", status=410)
            if uses_left <= 0:
                raise AppError("invite_used_up", "the invite has no uses left", status=410)
            existing = self._agent(cursor, project["id"], call.agent)
            if existing is not None and existing["status"] == "approved":
                raise AppError("agent_exists", "this address is already approved", status=409)
            if existing is not None and existing["status"] in ("denied", "revoked"):
                raise AppError("forbidden", f"the owner {existing['status']} this address",
                               status=403)
            cursor.execute("UPDATE invites SET uses_left = uses_left - 1 WHERE code = ?", (code,))
            if existing is None:
                cursor.execute(
                    "INSERT INTO agents (project_id, address, name, status, created_at, "
                    "updated_at) VALUES (?, ?, ?, 'approved', ?, ?)",
                    (project["id"], call.agent, name, call.now, call.now),
                )
            else:
                cursor.execute(
                    "UPDATE agents SET status = 'approved', updated_at = ? "
                    "WHERE project_id = ? AND address = ?",
                    (call.now, project["id"], call.agent),
                )
            record = self._agent(cursor, project["id"], call.agent)
            self._log(cursor, call, 201)
        document = {"project_id": project["id"], "agent": record}
        return Handled(json_response(201, document), agent=call.agent)

    def _list_agents(self, call: _Call) -> Handled:
        with self._transaction() as cursor:
            rows = cursor.execute(
                "SELECT address, name, status, created_at FROM agents WHERE project_id = ? "
                "ORDER BY created_at, address",
                (call.owned_project["id"],),
            ).fetchall()
            self._log(cursor, call, 200)
        agents = [
            {"address": r[0], "name": r[1], "status": r[2], "created_at": r[3]} for r in rows
        ]
        return Handled(json_response(200, {"agents": agents}), agent=call.agent)

    def _approve(self, call: _Call) -> Handled:
        return self._set_status(call, "approved")

    def _deny(self, call: _Call) -> Handled:
        return self._set_status(call, "denied")

    def _revoke(self, call: _Call) -> Handled:
        return self._set_status(call, "revoked")

    def _set_status(self, call: _Call, status: str) -> Handled:
        project_id = call.owned_project["id"]
        address = call.bound["address"]
        with self._transaction() as cursor:
            if self._agent(cursor, project_id, address) is None:
                raise AppError("agent_not_found", "no such agent in this project", status=404)
            cursor.execute(
                "UPDATE agents SET status = ?, updated_at = ? WHERE project_id = ? AND address = ?",
                (status, call.now, project_id, address),
            )
            record = self._agent(cursor, project_id, address)
            self._log(cursor, call, 200)
        return Handled(json_response(200, {"agent": record}), agent=call.agent)

    def _list_audit(self, call: _Call) -> Handled:
        """A page of the project's audit log, oldest first (D35): the latest ``limit`` entries
        (1..MAX_AUDIT_ENTRIES, default MAX_AUDIT_ENTRIES) whose id is below ``before``; the
        answer's ``next_before`` fetches the page before it (null: none left)."""
        parameters = _query_parameters(call.request, ("before", "limit"))
        limit = _query_integer(parameters, "limit", 1, MAX_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES)
        before = _query_integer(parameters, "before", 1, MAX_JSON_INTEGER, MAX_JSON_INTEGER)
        with self._transaction() as cursor:
            self._log(cursor, call, 200)
            rows = cursor.execute(
                "SELECT id, time, agent, method, path, status, outcome, reason FROM audit "
                "WHERE project_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (call.owned_project["id"], before, limit + 1),
            ).fetchall()
        page = rows[:limit]
        entries = [
            {"id": r[0], "time": r[1], "agent": r[2], "method": r[3], "path": r[4],
             "status": r[5], "outcome": r[6], "reason": r[7]}
            for r in reversed(page)
        ]
        next_before = page[-1][0] if len(rows) > limit else None
        document = {"entries": entries, "next_before": next_before}
        return Handled(json_response(200, document), agent=call.agent)

    def _echo(self, call: _Call) -> Handled:
        document = {
            "agent": call.agent,
            "project_id": call.owned_project["id"],
            "method": call.request.method,
            "path": path(call.request.target_uri),
            "body_sha256": hashlib.sha256(call.request.body or b"").hexdigest(),
        }
        with self._transaction() as cursor:
            self._log(cursor, call, 200)
        return Handled(json_response(200, document), agent=call.agent)

    def _invalidate(self, call: _Call) -> Handled:
        body = _json_object(call.request)
        if "not_before" not in body and "fingerprint" not in body:
            raise AppError("invalid_field", "expected 'not_before' and/or 'fingerprint'",
                           status=400)
        signer_id = call.verified.account.signer_id
        fingerprint = body.get("fingerprint")
        if "fingerprint" in body and (
            not isinstance(fingerprint, str) or _FINGERPRINT.fullmatch(fingerprint) is None
        ):
            raise AppError("invalid_field", "expected 'fingerprint' as 0x + 64 lowercase hex",
                           status=400)
        not_before = (
            _integer(body, "not_before", 0, MAX_JSON_INTEGER) if "not_before" in body else None
        )
        invalidated: list[str] = []
        try:
            if not_before is not None:
                # ERC-8128 §5.2: "per-`keyid` not-before timestamps"; never lowered.
                self.invalidation.set_not_before(signer_id, not_before)
            if isinstance(fingerprint, str):
                self._evict_expired_denials(call.now)
                # A Replayable signature verifies at most until created + max validity + skew,
                # and created is at most now + skew: deny it until then (ERC-8128 §5.2
                # "per-signature invalidation (e.g., fingerprinting of the signature or
                # signature base)").
                skew = self.policy.skew_sec
                self.invalidation.invalidate(
                    fingerprint,
                    call.now + skew + self.policy.max_validity_sec + skew,
                    signer_id=signer_id,
                )
                invalidated.append(fingerprint)
            document = {"not_before": self.invalidation.not_before(signer_id),
                        "invalidated": invalidated}
        except InvalidationStateUnavailable as error:
            # The shared state (SQLite, Redis) is down: the signer must not believe it worked.
            raise AppError("invalidation_state_unavailable", error.message, status=503) from None
        return Handled(json_response(200, document), agent=call.agent)


    def _evict_expired_denials(self, now: int) -> None:
        """D36: a denial outlives the signature it denies by nothing (``until`` is when that
        signature could last verify), so expired ones are deleted, at most every
        EVICT_EVERY_SEC, by the endpoint that adds them: the state stays bounded by the rate of
        verified invalidation requests times their lifetime. Every store in
        erc8128.state.invalidation_stores has ``evict_expired``; another may lack it."""
        evict = getattr(self.invalidation, "evict_expired", None)
        if not callable(evict):
            return
        if self._evicted_at is not None and now - self._evicted_at < EVICT_EVERY_SEC:
            return
        self._evicted_at = now
        evict(now)


@dataclass(frozen=True)
class _Call:
    """A request whose signature verified, with what its route bound."""

    request: Request
    now: int
    verified: Verified
    project: dict[str, Any] | None
    bound: dict[str, str]

    @property
    def agent(self) -> str:
        """The verified signer address (lowercase)."""
        return self.verified.address

    @property
    def owned_project(self) -> dict[str, Any]:
        """The route's project (every route that calls this names one)."""
        assert self.project is not None  # internal invariant of the route table
        return self.project


def _unquoted(identifier: str) -> str:
    """A serialised component identifier as policy writes it: ``"@path"`` becomes ``@path``;
    one with parameters (``"x-dict";key="a"``) keeps its form (ERC-8128 §7 "serialized without
    signature-base outer quotes")."""
    if identifier.startswith('"') and identifier.endswith('"') and identifier.count('"') == 2:
        return identifier[1:-1]
    return identifier


def _match(pattern: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    """Bind ``{name}`` segments of a route pattern; the path is compared exactly as received."""
    if len(pattern) != len(segments):
        return None
    bound: dict[str, str] = {}
    for expected, received in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            name = expected[1:-1]
            if _PLACEHOLDER_SYNTAX[name].fullmatch(received) is None:
                return None
            bound[name] = received
        elif expected != received:
            return None
    return bound


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise AppError("invalid_json", f"duplicate member {key!r}", status=400)
        document[key] = value
    return document


def _reject_constant(name: str) -> object:
    raise AppError("invalid_json", f"expected finite numbers, got {name}", status=400)


def _bounded_int(literal: str) -> int:
    # D37: the length is checked before conversion (int() of a 5,000-digit literal raises
    # ValueError, and a long one costs quadratic time below that limit).
    if len(literal) > MAX_JSON_INTEGER_CHARS:
        raise AppError("invalid_json",
                       f"expected integers of at most {MAX_JSON_INTEGER_CHARS} characters, got "
                       f"{len(literal)}", status=400)
    return int(literal)


def _query_parameters(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's ``name=value`` pairs: only ``allowed`` names, each at most once, values
    taken as received (no percent-decoding: every value accepted here is plain ASCII)."""
    text = query_of(request.target_uri)
    parameters: dict[str, str] = {}
    if not text:
        return parameters
    for pair in text.split("&"):
        name, separator, value = pair.partition("=")
        if not separator or name not in allowed:
            raise AppError("invalid_query", f"expected only {', '.join(allowed)} parameters",
                           status=400)
        if name in parameters:
            raise AppError("invalid_query", f"expected {name!r} at most once", status=400)
        parameters[name] = value
    return parameters


def _query_integer(parameters: dict[str, str], name: str, low: int, high: int, default: int
                   ) -> int:
    value = parameters.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 16:
        raise AppError("invalid_query", f"expected {name!r} as 1 to 16 ASCII digits", status=400)
    number = int(value)
    if not low <= number <= high:
        raise AppError("invalid_query", f"expected {name!r} in {low}..{high}, got {number}",
                       status=400)
    return number


def _json_object(request: Request) -> dict[str, Any]:
    """The request content as a JSON object (RFC 8259), or AppError 400/415."""
    content_types = request.field_lines("content-type")
    media_type = ascii_lower(content_types[0].split(";")[0].strip()) if content_types else ""
    if len(content_types) != 1 or media_type != "application/json":
        raise AppError("unsupported_media_type", "expected Content-Type: application/json",
                       status=415)
    try:
        text = (request.body or b"").decode("utf-8")
        check_depth(text)  # a deep document must not reach json.loads' recursion
        document = json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant,
            parse_int=_bounded_int,
        )
    except UnicodeDecodeError:
        raise AppError("invalid_json", "expected UTF-8 JSON content", status=400) from None
    except (json.JSONDecodeError, JsonTooDeep, RecursionError) as error:
        raise AppError("invalid_json", f"expected JSON: {type(error).__name__}",
                       status=400) from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise AppError("invalid_json", f"expected a JSON object, got {kind}", status=400)
    return document


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str):
        raise AppError("invalid_field", "expected 'name' as a string", status=400)
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise AppError("invalid_field", f"expected 1..{MAX_NAME_CHARS} characters in 'name'",
                       status=400)
    if not name.isprintable():
        raise AppError("invalid_field", "expected printable characters in 'name'", status=400)
    return name


def _boolean(body: dict[str, Any], key: str, *, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise AppError("invalid_field", f"expected {key!r} as true or false", status=400)
    return value


def _integer(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if type(value) is not int:  # excludes booleans and floats
        raise AppError("invalid_field", f"expected {key!r} as an integer", status=400)
    if not low <= value <= high:
        raise AppError("invalid_field", f"expected {key!r} in {low}..{high}, got {value}",
                       status=400)
    return value
