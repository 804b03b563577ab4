"""``reg44 hub ...``: the hub's sub-commands. Building the parser imports nothing heavy; psycopg is
imported only when a hub command runs."""

from __future__ import annotations

import json

EXIT_OK, EXIT_PROBLEM = 0, 1


def add_parser(sub) -> None:
    hub = sub.add_parser("hub", help="the agency hub (PostgreSQL): push, pull and agency views",
                         description="The optional agency hub. Configure it with REG44_HUB or the settings "
                                     "key 'hub' (a postgresql:// address or a libpq service name).")
    hub.add_argument("--hub", metavar="TARGET", help="hub address or service name for this command")
    act = hub.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = act.add_parser("init", help="create or upgrade the hub schema and the agency's roles (administrator)")
    p.add_argument("--roles", default="reg44", help="prefix of the two group roles (default: reg44)")
    p = act.add_parser("add-visitor", help="create a visitor's login role (administrator)")
    p.add_argument("role")
    p.add_argument("--manager", action="store_true", help="an agency manager, who sees every home")
    p = act.add_parser("assign", help="assign a home to a visitor, e.g. a cover visitor (manager)")
    p.add_argument("home")
    p.add_argument("role")
    p.add_argument("--replace", action="store_true", help="the new visitor replaces the home's others")
    for name, text in (("push", "send finalised visits and records to the hub"),
                       ("pull", "bring assigned homes, erasures and peer rates from the hub"),
                       ("status", "last push and pull, and which records are in conflict"),
                       ("homes", "every home the hub shows you"), ("peers", "peer reference rates by setting type")):
        p = act.add_parser(name, help=text)
        p.add_argument("--json", action="store_true")
        if name in ("pull", "peers"):
            p.add_argument("--min-homes", type=int, default=3, help="leave out setting types with fewer homes")
    p = act.add_parser("resolve", help="settle a conflict: keep this laptop's version or the hub's")
    p.add_argument("key", help="the record, as `hub status` names it")
    p.add_argument("--keep", required=True, choices=["local", "hub"])
    p = act.add_parser("provider", help="one provider's homes side by side, with themes they share")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")


def run(store, args) -> int:
    from visitor.hub.config import HubError

    try:
        return _run(store, args)
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "psycopg":
            raise
        raise HubError("The hub needs the PostgreSQL driver: pip install 'reg44[hub]'.") from None


def _run(store, args) -> int:
    from visitor.hub.config import HubError, conninfo, hub_target

    if args.action == "status":
        return _status(store, args)
    if args.action == "resolve":
        return _resolve(store, args)
    import psycopg

    target = conninfo(args.hub) if args.hub else hub_target(store.settings())
    try:
        return ACTIONS[args.action](store, args, target)
    except psycopg.OperationalError as exc:
        raise HubError(f"The connection to the hub was lost; nothing was changed there ({_line(exc)}).") from None
    except psycopg.Error as exc:
        raise HubError(f"The hub refused: {_line(exc)}") from None


def _line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _admin(target: str):
    from visitor.hub.config import connect

    return connect(target)


def _init(store, args, target) -> int:
    from visitor.hub import schema

    with _admin(target) as conn:
        done = schema.init(conn, args.roles)
    print(f"Hub schema at version {done['version']}"
          + (f" (applied {', '.join(done['applied'])})" if done["applied"] else " (already up to date)")
          + f"; roles {done['manager_role']} and {done['visitor_role']}.")
    return EXIT_OK


def _add_visitor(store, args, target) -> int:
    from visitor.hub import schema

    with _admin(target) as conn:
        group = schema.add_member(conn, args.role, manager=args.manager)
    print(f"Role {args.role} is in {group}. Set its password with \\password in psql and keep it in ~/.pgpass.")
    return EXIT_OK


def _assign(store, args, target) -> int:
    from visitor.hub import schema

    with _admin(target) as conn:
        visitors = schema.assign(conn, args.home, args.role, replace=args.replace)
    print(f"{args.home} is now visited by {', '.join(visitors)}.")
    return EXIT_OK


def _push(store, args, target) -> int:
    from visitor.hub.push import push

    result = push(store, target)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        sent = ", ".join(f"{n} {kind}" for kind, n in result.sent.items()) or "nothing new"
        print(f"Pushed {sent}; {result.unchanged} record(s) unchanged.")
        if result.dropped:
            print(f"Dropped {result.dropped} flag(s) on the hub that were dropped here.")
        if result.behind:
            print(f"{result.behind} record(s) are newer on the hub: run `reg44 hub pull`.")
        for home in result.skipped_homes:
            print(f"Skipped {home}: the hub assigns it to another visitor.")
        _print_conflicts(result.conflicts)
    return EXIT_PROBLEM if result.conflicts else EXIT_OK


def _pull(store, args, target) -> int:
    from visitor.hub.pull import pull

    result = pull(store, target, min_peer_homes=args.min_homes)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        got = ", ".join(f"{n} {kind}" for kind, n in result.received.items()) or "nothing new"
        print(f"Pulled {got}; {result.erased} erasure(s) applied; peer rates for "
              f"{result.peer_setting_types} setting type(s).")
        for problem in result.problems:
            print(f"Not applied: {problem}")
        _print_conflicts(result.conflicts)
    return EXIT_PROBLEM if result.conflicts or result.problems else EXIT_OK


def _print_conflicts(conflicts: list[dict]) -> None:
    for c in conflicts:
        by = f" by {c['hub_changed_by']}" if c.get("hub_changed_by") else ""
        print(f"CONFLICT {c['key']}: changed here and on the hub{by}; nothing was overwritten "
              "(both versions: `--json`).")


def _status(store, args) -> int:
    from visitor.hub.state import SyncState

    state = SyncState.load(store.root)
    data = {"hub": state.target, "last_push": state.last_push, "last_pull": state.last_pull,
            "records_in_step": len(state.base), "conflicts": list(state.conflicts.values())}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not state.target:
        print("Not synced with a hub yet.")
        return EXIT_OK
    print(f"Last push {state.last_push or 'never'}; last pull {state.last_pull or 'never'}; "
          f"{len(state.conflicts)} conflict(s).")
    for c in state.conflicts.values():
        print(f"CONFLICT {c['key']}")
    return EXIT_PROBLEM if state.conflicts else EXIT_OK


def _resolve(store, args) -> int:
    from visitor.hub.state import SyncState

    state = SyncState.load(store.root)
    state.resolve(args.key, args.keep)
    state.save()
    step = "push" if args.keep == "local" else "pull"
    print(f"{args.key}: the {'laptop' if args.keep == 'local' else 'hub'}'s version will be kept; "
          f"run `reg44 hub {step}` to carry it out.")
    return EXIT_OK


def _emit(rows: list[dict], as_json: bool, columns: list[tuple[str, str]]) -> None:
    from visitor.cli import _emit as emit

    emit(rows, as_json, columns)


def _homes(store, args, target) -> int:
    from visitor.hub import views
    from visitor.hub.config import connect

    with connect(target) as conn:
        rows = views.homes(conn)
    for row in rows:
        row["themes"] = ", ".join(row["open_themes"])
    _emit(rows, args.json, [("id", "ID"), ("name", "Home"), ("visitors", "Visitor"), ("last_visit", "Last visit"),
                            ("this_month", "This month"), ("report", "Report"), ("themes", "Open themes")])
    return EXIT_OK


def _peers(store, args, target) -> int:
    from visitor.hub import views
    from visitor.hub.config import connect

    with connect(target) as conn:
        rows = views.peers(conn, args.min_homes)
    _emit(rows, args.json, [("setting_type", "Setting type"), ("measure", "Measure"), ("homes", "Homes"),
                            ("rate", "Per child per 30 days")])
    return EXIT_OK


def _provider(store, args, target) -> int:
    from visitor.hub import views
    from visitor.hub.config import connect

    with connect(target) as conn:
        found = views.provider(conn, args.name)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    if not found["homes"]:
        print(f"No home of provider {found['provider']!r} is visible to you.")
        return EXIT_OK
    for row in found["homes"]:
        row["themes"] = ", ".join(row["open_themes"])
    _emit(found["homes"], False, [("id", "ID"), ("name", "Home"), ("visitors", "Visitor"),
                                  ("last_visit", "Last visit"), ("report", "Report"), ("themes", "Open themes")])
    for shared in found["shared_themes"]:
        print(f"SHARED THEME {shared['theme']}: open at {shared['homes']} homes at once "
              f"({', '.join(shared['home_ids'])}).")
    return EXIT_OK


ACTIONS = {"init": _init, "add-visitor": _add_visitor, "assign": _assign, "push": _push, "pull": _pull,
           "homes": _homes, "peers": _peers, "provider": _provider}
