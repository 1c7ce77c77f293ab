"""Projects: the public list (no signature), creation, and an agent's access request."""

from erc8128.http.message import Request
from erc8128.protocol.challenge import HttpResponse
from erc8128.server.calls import AppError, Call, Handled, json_response, refusal_response
from erc8128.server.context import AppContext
from erc8128.server.inputs import (
    PROJECT_ID,
    boolean,
    json_object,
    name,
    query_integer,
    query_parameters,
)
from erc8128.server.limits import (
    DEFAULT_PROJECTS_PAGE,
    MAX_PROJECTS_PAGE,
    MAX_PROJECTS_PER_OWNER,
)


def list_projects(app: AppContext, request: Request) -> Handled:
    """The public project list; a malformed query is refused with 400 (no signature needed)."""
    try:
        return Handled(_projects_page(app, request))
    except AppError as error:
        return Handled(refusal_response(error), error.reason)


def _projects_page(app: AppContext, request: Request) -> HttpResponse:
    """A page of public projects in creation order (D36): ``?after=<project id>`` continues
    after that project, ``limit`` is 1..MAX_PROJECTS_PAGE (DEFAULT_PROJECTS_PAGE)."""
    parameters = query_parameters(request, ("after", "limit"))
    limit = query_integer(parameters, "limit", 1, MAX_PROJECTS_PAGE, DEFAULT_PROJECTS_PAGE)
    after = parameters.get("after")
    cursor_key: tuple[int, str] = (-1, "")
    if after is not None:
        if PROJECT_ID.fullmatch(after) is None:
            raise AppError("invalid_query", "expected 'after' as a project id", status=400)
        found = app.storage.query("SELECT created_at, id FROM projects WHERE id = ?", (after,))
        if not found:
            raise AppError("invalid_query", "expected 'after' to name a project", status=400)
        cursor_key = (int(found[0][0]), str(found[0][1]))
    rows = app.storage.query(
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


def create_project(app: AppContext, call: Call) -> Handled:
    body = json_object(call.request)
    project_name = name(body)
    auto_approve = boolean(body, "auto_approve", default=False)
    public = boolean(body, "public", default=True)
    project_id = "p_" + app.randbytes(8).hex()
    with app.storage.transaction() as cursor:
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
            (project_id, project_name, call.agent, int(auto_approve), int(public), call.now),
        )
        app.storage.audit(cursor, project_id, call.request, now=call.now, agent=call.agent,
                          status=201)
    document = {"id": project_id, "name": project_name, "owner": call.agent,
                "auto_approve": auto_approve, "public": public}
    return Handled(json_response(201, document), agent=call.agent)


def request_access(app: AppContext, call: Call) -> Handled:
    project = call.owned_project
    body = json_object(call.request)
    agent_name = name(body)
    status = "approved" if project["auto_approve"] else "pending"
    code = 201 if project["auto_approve"] else 202
    with app.storage.transaction() as cursor:
        if app.storage.agent(cursor, project["id"], call.agent) is not None:
            raise AppError("agent_exists", "this address already asked for access", status=409)
        cursor.execute(
            "INSERT INTO agents (project_id, address, name, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (project["id"], call.agent, agent_name, status, call.now, call.now),
        )
        record = app.storage.agent(cursor, project["id"], call.agent)
        app.storage.log(cursor, call, code)
    return Handled(json_response(code, {"agent": record}), agent=call.agent)
