"""Invites: the owner creates one; an agent redeems it and is approved at once."""

import base64

from erc8128.server.calls import AppError, Call, Handled, json_response
from erc8128.server.context import AppContext
from erc8128.server.inputs import integer, json_object, name
from erc8128.server.limits import MAX_INVITE_SECONDS, MAX_INVITE_USES


def create_invite(app: AppContext, call: Call) -> Handled:
    project = call.owned_project
    body = json_object(call.request)
    uses = integer(body, "uses", 1, MAX_INVITE_USES)
    expires_in = integer(body, "expires_in", 1, MAX_INVITE_SECONDS)
    code = base64.urlsafe_b64encode(app.randbytes(16)).decode("ascii").rstrip("=")
    expires_at = call.now + expires_in
    with app.storage.transaction() as cursor:
        cursor.execute(
            "INSERT INTO invites (code, project_id, uses_left, expires_at, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (code, project["id"], uses, expires_at, call.now),
        )
        app.storage.log(cursor, call, 201)
    document = {"code": code, "uses": uses, "expires_at": expires_at}
    return Handled(json_response(201, document), agent=call.agent)


def redeem_invite(app: AppContext, call: Call) -> Handled:
    project = call.owned_project
    code = call.bound["code"]
    body = json_object(call.request)
    agent_name = name(body)
    with app.storage.transaction() as cursor:
        row = cursor.execute(
            "SELECT uses_left, expires_at FROM invites WHERE code = ?", (code,)
        ).fetchone()
        if row is None:
            raise AppError(
                "invite_not_found", "the invite was removed while this request was verified",
                status=404,
            )
        uses_left, expires_at = row
        if call.now >= expires_at:
            raise AppError("invite_expired", f"the invite expired at {expires_at}", status=410)
        if uses_left <= 0:
            raise AppError("invite_used_up", "the invite has no uses left", status=410)
        existing = app.storage.agent(cursor, project["id"], call.agent)
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
                (project["id"], call.agent, agent_name, call.now, call.now),
            )
        else:
            cursor.execute(
                "UPDATE agents SET status = 'approved', updated_at = ? "
                "WHERE project_id = ? AND address = ?",
                (call.now, project["id"], call.agent),
            )
        record = app.storage.agent(cursor, project["id"], call.agent)
        app.storage.log(cursor, call, 201)
    document = {"project_id": project["id"], "agent": record}
    return Handled(json_response(201, document), agent=call.agent)
