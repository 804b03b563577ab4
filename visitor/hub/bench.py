"""Benchmark of the hub at agency size: ``python -m visitor.hub.bench`` (not part of the unit tests).

Builds (or reuses, with ``--data``) a fictional data folder of 200 homes × 120 monthly visits, creates a
throwaway database and roles on the server (``--server``, default the postgres role on localhost), and
measures against the targets of docs/HUB.md:

1. first push of everything, as a visitor through row-level security (< 60 s);
2. a re-push that changes nothing (< 5 s);
3. ``hub homes`` as the agency manager: the query's median over 20 runs (< 200 ms);

then prints the query plan of ``hub homes``, drops the database and roles, and exits 1 if a target is
missed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"push_s": 60.0, "repush_s": 5.0, "homes_ms": 200.0}
HOMES_QUERY = ("SELECT id, name, provider, setting_type, visitors, last_visit_id, last_visit::text, this_month, "
               "recipients, sent, open_themes FROM reg44.home_status ORDER BY lower(name)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m visitor.hub.bench")
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--visits", type=int, default=120)
    parser.add_argument("--data", type=Path, help="an existing data folder to push (default: build one)")
    parser.add_argument("--server", default="postgresql://postgres@localhost/postgres")
    args = parser.parse_args(argv)

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from visitor.hub import schema, views
    from visitor.hub.push import push
    from visitor.store import Store

    data = args.data
    if data is None:
        from visitor import bench

        data = Path(tempfile.mkdtemp(prefix="reg44-hub-bench-")) / "data"
        started = time.perf_counter()
        bench.build(data, args.homes, args.visits).close()
        print(f"built {args.homes} homes × {args.visits} visits in {time.perf_counter() - started:.0f} s")
    prefix = f"r44bench_{secrets.token_hex(3)}"
    admin = psycopg.connect(args.server, autocommit=True)
    admin.execute(f'CREATE DATABASE "{prefix}"')
    base = {k: str(v) for k, v in conninfo_to_dict(args.server).items() if k not in ("dbname", "user") and v}

    def target(user: str) -> str:
        return make_conninfo(**base, dbname=prefix, user=user)

    figures: dict[str, float] = {}
    try:
        admin_user = str(conninfo_to_dict(args.server).get("user") or "postgres")
        with psycopg.connect(target(admin_user), autocommit=True) as conn:
            schema.init(conn, prefix)
            schema.add_member(conn, f"{prefix}_visitor1")
            schema.add_member(conn, f"{prefix}_boss", manager=True)
        store = Store(data, readonly=True)
        started = time.perf_counter()
        first = push(store, target(f"{prefix}_visitor1"))
        figures["push_s"] = time.perf_counter() - started
        started = time.perf_counter()
        again = push(store, target(f"{prefix}_visitor1"))
        figures["repush_s"] = time.perf_counter() - started
        assert not again.sent, again.sent
        with psycopg.connect(target(f"{prefix}_boss"), autocommit=True) as conn:
            conn.execute("ANALYZE")  # as an agency's autovacuum would have done by now
            rows = views.homes(conn)
            times = []
            for _ in range(20):
                started = time.perf_counter()
                conn.execute(HOMES_QUERY).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            figures["homes_ms"] = statistics.median(times)
            plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + HOMES_QUERY)]
        counts = {"homes": len(rows), **first.sent}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{prefix}" WITH (FORCE)')
        for role in ("visitor1", "boss", "manager", "visitor"):
            admin.execute(f'DROP ROLE IF EXISTS "{prefix}_{role}"')
        admin.close()

    print("\n".join(plan))
    print()
    print(f"{'measure':<28}{'figure':>10}{'target':>10}")
    missed = []
    for key, label in (("push_s", "first push (s)"), ("repush_s", "re-push, no change (s)"),
                       ("homes_ms", "hub homes query (ms)")):
        ok = figures[key] < TARGETS[key]
        missed += [] if ok else [key]
        print(f"{label:<28}{figures[key]:>10.2f}{'< ' + format(TARGETS[key], 'g'):>10} {'ok' if ok else 'MISSED'}")
    print(json.dumps({"figures": {k: round(v, 3) for k, v in figures.items()}, "counts": counts}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
