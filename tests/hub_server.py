"""A throwaway hub for tests: its own database and its own uniquely named roles, dropped afterwards.

Roles are cluster-wide, so every run names its own (``r44_<random>_...``) and never touches another's.
The server is ``REG44_TEST_PG`` (default: the postgres role on localhost, trust auth).
"""

from __future__ import annotations

import os
import secrets

ADMIN = os.environ.get("REG44_TEST_PG", "postgresql://postgres@localhost/postgres")


def server_problem() -> str | None:
    """None if the test server is reachable, else the reason to skip."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[hub]')"
    try:
        psycopg.connect(ADMIN, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {ADMIN} ({str(exc).strip().splitlines()[0] if str(exc).strip() else exc})"
    return None


class Hub:
    """One database with the schema, the agency's group roles and login roles ann, bob (visitors) and boss."""

    def __init__(self) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        self.prefix = f"r44_{secrets.token_hex(4)}"
        self.dbname = self.prefix
        self.admin = psycopg.connect(ADMIN, autocommit=True)
        self.admin.execute(f'CREATE DATABASE "{self.dbname}"')
        self._base = {k: v for k, v in conninfo_to_dict(ADMIN).items() if k not in ("dbname", "user")}
        self._make = make_conninfo
        self.roles = {name: f"{self.prefix}_{name}" for name in ("ann", "bob", "boss")}
        from visitor.hub import schema
        from visitor.hub.config import connect

        with connect(self.target("postgres")) as conn:
            schema.init(conn, self.prefix)
            schema.add_member(conn, self.roles["ann"])
            schema.add_member(conn, self.roles["bob"])
            schema.add_member(conn, self.roles["boss"], manager=True)

    def target(self, who: str) -> str:
        """The connection string of ``who`` (ann, bob, boss, or postgres for the administrator)."""
        user = self.roles.get(who, who)
        return self._make(**self._base, dbname=self.dbname, user=user)

    def connect(self, who: str):
        import psycopg

        return psycopg.connect(self.target(who), autocommit=True)

    def sql(self, query: str, params=None) -> list[tuple]:
        """Run a query as the administrator (sees everything) and return its rows."""
        with self.connect("postgres") as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        for role in [*self.roles.values(), f"{self.prefix}_manager", f"{self.prefix}_visitor"]:
            self.admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        self.admin.close()
