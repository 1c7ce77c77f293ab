"""The app's HTTP API (docs/API.md) as one table: each :class:`Route` names its method, path
pattern, who may call it, and its handler.

The same table is advertised by the ERC-8128 §7 discovery document (every non-public route,
under its own :class:`~erc8128.protocol.policy.VerifierPolicy`). A path is matched exactly as
received; each ``{name}`` segment must have its identifier's syntax.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from erc8128.http.message import Request
from erc8128.protocol.discovery import WELL_KNOWN_PATH
from erc8128.server.calls import Call, Handled
from erc8128.server.context import AppContext
from erc8128.server.handlers import agents, audit, invites, projects, signatures
from erc8128.server.inputs import ADDRESS, INVITE_CODE, PROJECT_ID

INVALIDATE_PATH: Final = "/api/signatures/invalidate"

Auth = Literal["public", "signed", "whoami", "owner", "agent", "invalidate"]
# A public route answers the request itself; every other route's handler runs only after the
# signature verified (and, for "owner", after the owner check).
PublicHandler = Callable[[AppContext, Request], Handled]
SignedHandler = Callable[[AppContext, Call], Handled]


@dataclass(frozen=True)
class Route:
    """One API route: method, path pattern (``{name}`` segments), who may call it, and the
    handler that answers it (a :data:`PublicHandler` when ``auth`` is ``"public"``, else a
    :data:`SignedHandler`)."""

    method: str
    pattern: str
    auth: Auth
    handler: PublicHandler | SignedHandler

    @functools.cached_property
    def segments(self) -> tuple[str, ...]:  # split once: every request compares them
        return tuple(self.pattern.split("/"))

    @property
    def discovery_key(self) -> str:
        """The ERC-8128 §7 route key: the pattern, or its static prefix + ``/*``."""
        if "{" not in self.pattern:
            return self.pattern
        return self.pattern[: self.pattern.index("{")] + "*"


def _discovery(app: AppContext, request: Request) -> Handled:
    """The ERC-8128 §7 discovery document, built once by the app."""
    return Handled(app.discovery)


# The HTTP API (docs/API.md). Order matters only for the discovery document's arrays.
# Data, not code: one row per route (rows look alike by design; deliberate for the duplicate scan).
ROUTES: Final[tuple[Route, ...]] = (
    Route("GET", WELL_KNOWN_PATH, "public", _discovery),
    Route("GET", "/api/whoami", "whoami", signatures.whoami),
    Route("GET", "/api/projects", "public", projects.list_projects),
    Route("POST", "/api/projects", "signed", projects.create_project),
    Route("POST", "/api/projects/{project_id}/request-access", "signed",
          projects.request_access),
    Route("POST", "/api/projects/{project_id}/invites", "owner", invites.create_invite),
    Route("POST", "/api/invites/{code}/redeem", "signed", invites.redeem_invite),
    Route("GET", "/api/projects/{project_id}/agents", "owner", agents.list_agents),
    Route("POST", "/api/projects/{project_id}/agents/{address}/approve", "owner",
          agents.approve),
    Route("POST", "/api/projects/{project_id}/agents/{address}/deny", "owner", agents.deny),
    Route("POST", "/api/projects/{project_id}/agents/{address}/revoke", "owner",
          agents.revoke),
    Route("GET", "/api/projects/{project_id}/audit", "owner", audit.list_audit),
    Route("GET", "/api/projects/{project_id}/echo", "agent", agents.echo),
    Route("POST", "/api/projects/{project_id}/echo", "agent", agents.echo),
    Route("POST", INVALIDATE_PATH, "invalidate", signatures.invalidate),
)

_PLACEHOLDER_SYNTAX: Final[dict[str, re.Pattern[str]]] = {
    "project_id": PROJECT_ID,
    "code": INVITE_CODE,
    "address": ADDRESS,
}
# Each placeholder's syntax as a refusal names it.
_PLACEHOLDER_SHAPE: Final[dict[str, str]] = {
    "project_id": "p_ and 16 lowercase hex digits (the id POST /api/projects answered)",
    "code": "22 characters of A-Z, a-z, 0-9, _ and - (the code an invite answered)",
    "address": "0x and 40 lowercase hex digits",
}
_MAX_SHOWN: Final = 40


def near_miss(segments: tuple[str, ...]) -> str | None:
    """For a path no route matches: what one route with the same fixed segments expected of a
    ``{name}`` segment the path gives in another syntax (``/api/projects/999/echo``), else
    None."""
    for route in ROUTES:
        _, miss = _compare(route.segments, segments)
        if miss is not None:
            name, received = miss
            shown = received if len(received) <= _MAX_SHOWN else received[:_MAX_SHOWN] + "..."
            return (f"{route.pattern} expects {{{name}}} as {_PLACEHOLDER_SHAPE[name]}, "
                    f"got {shown!r}")
    return None


def match(pattern: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    """Bind ``{name}`` segments of a route pattern; the path is compared exactly as received."""
    return _compare(pattern, segments)[0]


def _compare(pattern: tuple[str, ...], segments: tuple[str, ...]
             ) -> tuple[dict[str, str] | None, tuple[str, str] | None]:
    """The bound ``{name}`` segments when the path matches; else, when every fixed segment
    matches but a ``{name}`` segment has another syntax, the first such (name, segment)."""
    if len(pattern) != len(segments):
        return None, None
    bound: dict[str, str] = {}
    miss: tuple[str, str] | None = None
    for expected, received in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            name = expected[1:-1]
            if _PLACEHOLDER_SYNTAX[name].fullmatch(received) is None:
                miss = miss or (name, received)
            bound[name] = received
        elif expected != received:
            return None, None
    return (None, miss) if miss is not None else (bound, None)
