"""The app's tables and the queries on them: projects, agents, invites and the audit log.

State lives in SQLite (standard library, :mod:`erc8128.server.database`): in memory unless a
path is given. Each state change and its audit entry are written in ONE transaction, so the
database is never half-written.
"""

import sqlite3
from typing import Any, Final

from erc8128.http.message import Request, path
from erc8128.server.calls import Call
from erc8128.server.database import AppDatabase
from erc8128.server.limits import AUDIT_PRUNE_EVERY, AUDIT_RETAINED

# Decision D35: the project audit log holds verified requests only (refusals of known agents
# by the Principal policy included, as `refused`); its retention bounds are in
# erc8128.server.limits.

SCHEMA: Final = """
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


def outcome(status: int) -> str:
    """The audit outcome of an answer after verification: accepted (2xx), forbidden (403) or
    rejected (other application errors). A signature-layer failure is not audited (D35), except
    a known agent's Principal refusal, written as ``refused`` by the app."""
    if status < 300:
        return "accepted"
    if status == 403:
        return "forbidden"
    return "rejected"


class Storage:
    """The app database at ``db_path`` (``:memory:``: private, in memory) and its queries."""

    def __init__(self, db_path: str) -> None:
        self.database = AppDatabase(
            db_path, schema=[statement for statement in SCHEMA.split(";") if statement.strip()]
        )
        self.transaction = self.database.transaction
        self.query = self.database.query

    def close(self) -> None:
        self.database.close()

    def project(self, project_id: str) -> dict[str, Any] | None:
        rows = self.query(
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

    def agent_status(self, project_id: str, address: str) -> str | None:
        rows = self.query(
            "SELECT status FROM agents WHERE project_id = ? AND address = ?", (project_id, address)
        )
        return str(rows[0][0]) if rows else None

    def invite_project(self, code: str) -> str | None:
        rows = self.query("SELECT project_id FROM invites WHERE code = ?", (code,))
        return str(rows[0][0]) if rows else None

    @staticmethod
    def agent(cursor: sqlite3.Cursor, project_id: str, address: str) -> dict[str, Any] | None:
        row = cursor.execute(
            "SELECT address, name, status, created_at FROM agents "
            "WHERE project_id = ? AND address = ?",
            (project_id, address),
        ).fetchone()
        if row is None:
            return None
        return {"address": row[0], "name": row[1], "status": row[2], "created_at": row[3]}

    @staticmethod
    def audit(cursor: sqlite3.Cursor, project_id: str, request: Request, *, now: int,
              agent: str | None, status: int, reason: str | None = None,
              entry_outcome: str | None = None) -> None:
        """One audit entry: when, which verified agent, what, result (decision D35: only
        requests whose signature verified are written here). ``entry_outcome`` overrides the
        outcome read from the status: ``refused`` for a verified agent the Principal policy
        turned away (pending, denied, revoked)."""
        cursor.execute(
            "INSERT INTO audit (project_id, time, agent, method, path, status, outcome, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, now, agent, request.method, path(request.target_uri), status,
             entry_outcome or outcome(status), reason),
        )
        entry_id = cursor.lastrowid
        if entry_id is not None and entry_id % AUDIT_PRUNE_EVERY == 0:
            # Retention (D35): keep the project's latest AUDIT_RETAINED entries.
            cursor.execute(
                "DELETE FROM audit WHERE project_id = ? AND id <= (SELECT id FROM audit "
                "WHERE project_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (project_id, project_id, AUDIT_RETAINED),
            )

    def log(self, cursor: sqlite3.Cursor, call: Call, status: int) -> None:
        """Audit a successful call (its project, verified agent, method and path)."""
        assert call.project is not None  # only project routes are audited
        self.audit(cursor, call.project["id"], call.request, now=call.now, agent=call.agent,
                   status=status)
