"""Agents: the owner lists them and approves, denies or revokes one; an approved agent calls
the project's echo route (its Principal check is the verifier's, see ``App.agent_policy``)."""

import hashlib

from erc8128.http.message import path
from erc8128.server.calls import AppError, Call, Handled, json_response
from erc8128.server.context import AppContext


def list_agents(app: AppContext, call: Call) -> Handled:
    with app.storage.transaction() as cursor:
        rows = cursor.execute(
            "SELECT address, name, status, created_at FROM agents WHERE project_id = ? "
            "ORDER BY created_at, address",
            (call.owned_project["id"],),
        ).fetchall()
        app.storage.log(cursor, call, 200)
    agents = [
        {"address": r[0], "name": r[1], "status": r[2], "created_at": r[3]} for r in rows
    ]
    return Handled(json_response(200, {"agents": agents}), agent=call.agent)


def approve(app: AppContext, call: Call) -> Handled:
    return _set_status(app, call, "approved")


def deny(app: AppContext, call: Call) -> Handled:
    return _set_status(app, call, "denied")


def revoke(app: AppContext, call: Call) -> Handled:
    return _set_status(app, call, "revoked")


def _set_status(app: AppContext, call: Call, status: str) -> Handled:
    project_id = call.owned_project["id"]
    address = call.bound["address"]
    with app.storage.transaction() as cursor:
        if app.storage.agent(cursor, project_id, address) is None:
            raise AppError("agent_not_found", "no such agent in this project", status=404)
        cursor.execute(
            "UPDATE agents SET status = ?, updated_at = ? WHERE project_id = ? AND address = ?",
            (status, call.now, project_id, address),
        )
        record = app.storage.agent(cursor, project_id, address)
        app.storage.log(cursor, call, 200)
    return Handled(json_response(200, {"agent": record}), agent=call.agent)


def echo(app: AppContext, call: Call) -> Handled:
    document = {
        "agent": call.agent,
        "project_id": call.owned_project["id"],
        "method": call.request.method,
        "path": path(call.request.target_uri),
        "body_sha256": hashlib.sha256(call.request.body or b"").hexdigest(),
    }
    with app.storage.transaction() as cursor:
        app.storage.log(cursor, call, 200)
    return Handled(json_response(200, document), agent=call.agent)
