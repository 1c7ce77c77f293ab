"""Joining the demo server's projects: request access, redeem an invite, or bootstrap a fresh key
(README, "The demo server's HTTP API"). The key never leaves the process: the server learns only
the address, from the signature."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from erc8128.client.api_client import Client
from erc8128.client.discovery import discover
from erc8128.client.errors import ClientError
from erc8128.client.signer import Signer
from erc8128.client.transport import DEFAULT_TIMEOUT_SEC, json_object
from erc8128.protocol.keyid import ProfileName


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
    answer = json_object(
        client.post(f"/api/projects/{project_id}/request-access", {"name": name}),
        "request-access",
    )
    agent = _agent_of(answer, "request-access")
    return Enrollment(client, str(project_id), str(agent["status"]), agent)


def redeem_invite(client: Client, invite_code: str, name: str) -> Enrollment:
    """Redeem ``invite_code`` as ``name``: the agent is approved in the invite's project."""
    answer = json_object(
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
