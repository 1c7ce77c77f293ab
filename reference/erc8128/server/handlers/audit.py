"""The project audit log (decision D35): a page of it, for the owner."""

from erc8128.server.calls import Call, Handled, json_response
from erc8128.server.context import AppContext
from erc8128.server.inputs import MAX_JSON_INTEGER, query_integer, query_parameters
from erc8128.server.limits import MAX_AUDIT_ENTRIES


def list_audit(app: AppContext, call: Call) -> Handled:
    """A page of the project's audit log, oldest first (D35): the latest ``limit`` entries
    (1..MAX_AUDIT_ENTRIES, default MAX_AUDIT_ENTRIES) whose id is below ``before``; the
    answer's ``next_before`` fetches the page before it (null: none left)."""
    parameters = query_parameters(call.request, ("before", "limit"))
    limit = query_integer(parameters, "limit", 1, MAX_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES)
    before = query_integer(parameters, "before", 1, MAX_JSON_INTEGER, MAX_JSON_INTEGER)
    with app.storage.transaction() as cursor:
        app.storage.log(cursor, call, 200)
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
