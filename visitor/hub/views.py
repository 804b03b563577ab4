"""The agency's read-only views, computed in SQL: every home's state, peer rates, one provider's homes.

Each runs with the caller's own rights, so row-level security decides what a visitor sees; a manager
sees every home.
"""

from __future__ import annotations

from psycopg.rows import dict_row


def homes(conn) -> list[dict]:
    """Every visible home: visitors, latest visit, this month's visit, report 'n/m sent', open themes."""
    rows = conn.cursor(row_factory=dict_row).execute(
        "SELECT id, name, provider, setting_type, visitors, last_visit_id, last_visit::text, this_month, "
        "recipients, sent, open_themes FROM reg44.home_status ORDER BY lower(name)").fetchall()
    for row in rows:
        row["last_visit"] = row["last_visit"] or ""
        row["report"] = f"{row['sent']}/{row['recipients']} sent" if row["last_visit_id"] else ""
    return rows


def peers(conn, min_homes: int = 3) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute(
        "SELECT setting_type, measure, homes, round(rate::numeric, 4)::float8 AS rate "
        "FROM reg44.peer_rates(%s)", (min_homes,)).fetchall()


def provider(conn, name: str) -> dict:
    """One provider's homes side by side, and the open themes that several of its homes show at once."""
    cur = conn.cursor(row_factory=dict_row)
    found = cur.execute(
        "SELECT id, name, visitors, last_visit::text, this_month, recipients, sent, open_themes "
        "FROM reg44.home_status WHERE lower(provider) = lower(%s) ORDER BY lower(name)", (name.strip(),)).fetchall()
    for row in found:
        row["last_visit"] = row["last_visit"] or ""
        row["report"] = f"{row['sent']}/{row['recipients']} sent" if row["last_visit"] else ""
    shared = cur.execute(
        "SELECT theme, homes, home_ids FROM reg44.provider_themes "
        "WHERE provider_key = lower(%s) AND homes >= 2 ORDER BY homes DESC, theme", (name.strip(),)).fetchall()
    return {"provider": name.strip(), "homes": found, "shared_themes": shared}
