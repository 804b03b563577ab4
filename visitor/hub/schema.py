"""Versioned migrations of the hub schema, and the agency's roles and grants.

Each ``migrations/NNNN_name.sql`` file runs once, in order, in its own transaction, recorded in
``reg44.schema_migrations``; ``hub init`` can be run again safely and applies only what is new.
The two group roles (managers, visitors) are cluster-wide, so their names are chosen at init and kept
in ``reg44.agency``; the policies read them from there.
"""

from __future__ import annotations

import re
from importlib import resources

from psycopg import sql

from visitor.hub.config import HubError

ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
VISITOR_TABLES = {
    "homes": "SELECT, INSERT, UPDATE", "children": "SELECT, INSERT, UPDATE", "visits": "SELECT, INSERT, UPDATE",
    "flags": "SELECT, INSERT, UPDATE, DELETE", "erasures": "SELECT, INSERT", "checklists": "SELECT, INSERT",
    "assignments": "SELECT", "agency": "SELECT", "pushes": "SELECT, INSERT", "schema_migrations": "SELECT",
}
MANAGER_EXTRA = {"assignments": "INSERT, UPDATE, DELETE", "homes": "DELETE"}


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order."""
    found = []
    for entry in resources.files("visitor.hub").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn) -> list[str]:
    """Apply the migrations not yet applied; return their names."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(4444)")
        conn.execute("CREATE SCHEMA IF NOT EXISTS reg44")
        conn.execute("CREATE TABLE IF NOT EXISTS reg44.schema_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
    applied = []
    for version, name, text in migrations():
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(4444)")
            done = conn.execute("SELECT 1 FROM reg44.schema_migrations WHERE version = %s", (version,)).fetchone()
            if done:
                continue
            conn.execute(text)
            conn.execute("INSERT INTO reg44.schema_migrations (version, name) VALUES (%s, %s)", (version, name))
            applied.append(f"{version:04d}_{name}")
    return applied


def schema_version(conn) -> int:
    row = conn.execute("SELECT to_regclass('reg44.schema_migrations') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM reg44.schema_migrations").fetchone()[0]


def require_schema(conn) -> None:
    latest = migrations()[-1][0]
    current = schema_version(conn)
    if current < latest:
        raise HubError(f"The hub's schema is at version {current}, this reg44 needs {latest}: "
                       "ask the hub's administrator to run `reg44 hub init`.")


def hub_id(conn) -> str:
    """The hub's own identity (reg44.agency.hub_id), or "" before ``hub init``."""
    row = conn.execute("SELECT hub_id::text FROM reg44.agency").fetchone()
    return row[0] if row else ""


def check_role_name(name: str) -> str:
    if not ROLE_RE.match(name or ""):
        raise HubError(f"The role name {name!r} must be lower-case letters, digits and underscores.")
    return name


def init(conn, prefix: str = "reg44") -> dict:
    """Migrate, create the agency's two group roles if missing, record them and grant their rights."""
    check_role_name(prefix)
    applied = migrate(conn)
    with conn.transaction():
        row = conn.execute("SELECT manager_role, visitor_role FROM reg44.agency").fetchone()
        manager, visitor = row if row else (f"{prefix}_manager", f"{prefix}_visitor")
        for role in (manager, visitor):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        conn.execute("INSERT INTO reg44.agency (manager_role, visitor_role) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (manager, visitor))
        grant_all(conn, manager, visitor)
    return {"applied": applied, "manager_role": manager, "visitor_role": visitor, "version": schema_version(conn)}


def grant_all(conn, manager: str, visitor: str) -> None:
    """(Re)grant both group roles their rights; run at every init so later migrations' tables are covered."""
    dbname = conn.info.dbname
    for role in (manager, visitor):
        ident = sql.Identifier(role)
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(dbname), ident))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA reg44 TO {}").format(ident))
        for table, rights in VISITOR_TABLES.items():
            conn.execute(sql.SQL("GRANT " + rights + " ON reg44.{} TO {}").format(sql.Identifier(table), ident))
        conn.execute(sql.SQL("GRANT SELECT ON reg44.home_status, reg44.provider_themes TO {}").format(ident))
        conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE reg44.pushes_id_seq TO {}").format(ident))
    for table, rights in MANAGER_EXTRA.items():
        conn.execute(sql.SQL("GRANT " + rights + " ON reg44.{} TO {}").format(sql.Identifier(table),
                                                                             sql.Identifier(manager)))


def agency_roles(conn) -> tuple[str, str]:
    row = conn.execute("SELECT manager_role, visitor_role FROM reg44.agency").fetchone()
    if not row:
        raise HubError("The hub has not been set up: run `reg44 hub init` first.")
    return row


def add_member(conn, role: str, *, manager: bool = False) -> str:
    """Create a visitor's (or manager's) login role if missing and put it in the agency's group.

    No password is set here: the administrator sets one with ``\\password`` (kept by the visitor in
    ~/.pgpass) or uses certificate or peer authentication.
    """
    check_role_name(role)
    with conn.transaction():
        manager_role, visitor_role = agency_roles(conn)
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        group = manager_role if manager else visitor_role
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))
    return group


def assign(conn, home_id: str, role: str, *, replace: bool = False) -> list[str]:
    """Assign a home to a visitor (a cover visitor keeps the usual one unless ``replace``)."""
    with conn.transaction():
        if not conn.execute("SELECT 1 FROM reg44.homes WHERE id = %s", (home_id,)).fetchone():
            raise HubError(f"The hub has no home {home_id!r} (it appears once a visitor pushes it).")
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            raise HubError(f"There is no role {role!r}: add it with `reg44 hub add-visitor {role}`.")
        if replace:
            conn.execute("DELETE FROM reg44.assignments WHERE home_id = %s AND visitor <> %s", (home_id, role))
        conn.execute("INSERT INTO reg44.assignments (home_id, visitor) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (home_id, role))
        rows = conn.execute("SELECT visitor::text FROM reg44.assignments WHERE home_id = %s ORDER BY 1",
                            (home_id,)).fetchall()
    return [r[0] for r in rows]
