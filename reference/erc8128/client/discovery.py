"""What a server publishes without authentication: ERC-8128 §7's discovery document and the demo
server's project list."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from erc8128.client.errors import ClientError
from erc8128.client.transport import DEFAULT_TIMEOUT_SEC, fetch_public, json_object

# ERC-8128 §7: "A client MUST enforce a response limit no greater than 65,536 decoded octets,
# stop reading when the limit is crossed, and reject the document before parsing it."
MAX_DISCOVERY_BYTES: Final = 65_536


@dataclass(frozen=True)
class Discovery:
    """What a server publishes without authentication (ERC-8128 §7 and the project list)."""

    document: Mapping[str, Any]  # /.well-known/erc8128 (advisory: never verification input)
    projects: tuple[Mapping[str, Any], ...]  # /api/projects


def discover(server: str, *, timeout: float = DEFAULT_TIMEOUT_SEC) -> Discovery:
    """Read ``/.well-known/erc8128`` and ``/api/projects`` from ``server``."""
    base = server.rstrip("/")
    document = json_object(
        fetch_public(base + "/.well-known/erc8128", timeout, MAX_DISCOVERY_BYTES), "discovery"
    )
    listing = json_object(fetch_public(base + "/api/projects", timeout), "/api/projects")
    projects = listing.get("projects")
    if not isinstance(projects, list) or not all(isinstance(p, dict) for p in projects):
        raise ClientError(
            "invalid_response", f"expected a list of project objects, got {projects!r}"
        )
    return Discovery(document=document, projects=tuple(projects))
