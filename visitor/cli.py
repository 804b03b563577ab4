"""The ``reg44`` command: sub-commands over the domain layer; with none, it opens the app."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from visitor import __version__
from visitor.locations import data_dir

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reg44", description="Regulation 44 independent visitor's app.")
    parser.add_argument("--data", metavar="DIR", help="data folder (default: $REG44_DATA or the user data folder)")
    parser.add_argument("--version", action="version", version=f"reg44 {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_text: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, **kw)

    p = cmd("homes", "list the homes")
    p.add_argument("--json", action="store_true")

    home = cmd("home", "add or show a home").add_subparsers(dest="action", required=True, metavar="ACTION")
    p = home.add_parser("add", help="add a home")
    p.add_argument("--name", required=True)
    p.add_argument("--id", help="short id (default: from the name)")
    p.add_argument("--urn", default="", help="Ofsted URN, e.g. SC123456")
    p.add_argument("--provider", default="")
    p.add_argument("--manager", default="", help="registered manager (by role or name)")
    p.add_argument("--ri", default="", help="responsible individual")
    p.add_argument("--la", default="", help="local authority area where the home is")
    p.add_argument("--places", default="0", help="registered places")
    p.add_argument("--type", default="children's home", help="type of setting")
    p.add_argument("--registered-on", default="", help="date of registration, YYYY-MM-DD")
    p.add_argument("--la-copy", action="store_true", help="the local authority has asked for copies")
    p = home.add_parser("show", help="show a home")
    p.add_argument("home")
    p.add_argument("--json", action="store_true")

    child = cmd("child", "add a child, or record a leaving date").add_subparsers(dest="action", required=True,
                                                                                  metavar="ACTION")
    p = child.add_parser("add", help="add a child by initials or code")
    p.add_argument("home")
    p.add_argument("--code", required=True, help="initials or code, never a name")
    p.add_argument("--authority", required=True, help="placing authority")
    p.add_argument("--communication", default="verbal", help="verbal, limited verbal or non-verbal")
    p.add_argument("--advocate", default="none", help="none, instructed or non-instructed")
    p.add_argument("--miles", default=None, help="approximate distance from the family home")
    p.add_argument("--admitted", required=True, help="admission date, YYYY-MM-DD")
    p = child.add_parser("leave", help="record a leaving date")
    p.add_argument("home")
    p.add_argument("child", help="the child's id (see `reg44 children HOME --json`)")
    p.add_argument("--date", required=True)
    p = cmd("children", "list a home's children")
    p.add_argument("home")
    p.add_argument("--json", action="store_true")

    p = cmd("visits", "list a home's visits with status and report deadline")
    p.add_argument("home")
    p.add_argument("--json", action="store_true")
    p = cmd("start", "start a draft visit")
    p.add_argument("home")
    p.add_argument("--date", default=None, help="visit date (default today)")
    p.add_argument("--announced", action="store_true")
    p = cmd("gaps", "list what a draft still needs before it can be finalised")
    p.add_argument("visit")
    p = cmd("finalise", "finalise a complete draft visit")
    p.add_argument("visit")
    p = cmd("addendum", "add an amendment to a final visit")
    p.add_argument("visit")
    p.add_argument("--reason", required=True)
    p.add_argument("--text", required=True)

    p = cmd("profile", "show or set the visitor's profile")
    for name in ("name", "organisation", "contact", "independence"):
        p.add_argument(f"--{name}", default=None)
    p.add_argument("--json", action="store_true")

    p = cmd("check", "validate the data files and checklists")
    p = cmd("demo", "fill the data folder with fictional demo data")
    p.add_argument("--force", action="store_true", help="add the demo homes even if other data exists")
    p = cmd("dump", "write a JSON bundle of all data")
    p.add_argument("file", nargs="?", default="-", help="output file (default: standard output)")
    p = cmd("load", "merge a JSON bundle into the data folder")
    p.add_argument("file")
    p = cmd("restore", "restore broken data files from their newest good backup")
    p.add_argument("file", nargs="?", help="one file (default: every broken file)")

    p = cmd("trends", "measures and patterns of concern across visits")
    p.add_argument("home")
    p.add_argument("--months", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--compare", nargs=2, metavar=("VISIT_A", "VISIT_B"))
    p = cmd("resolve", "mark a pattern of concern resolved")
    p.add_argument("home")
    p.add_argument("key")
    p.add_argument("--reason", required=True)

    p = cmd("export", "write the Word report(s) of a final visit")
    p.add_argument("visit")
    p.add_argument("--audience", required=True, choices=["provider", "ofsted", "placing-authority", "all"])
    p.add_argument("--authority", help="with --audience placing-authority")
    p.add_argument("--out", help="folder (default: exports/)")
    p = cmd("sent", "record that a report was sent")
    p.add_argument("visit")
    p.add_argument("--to", required=True, help="recipient")
    p.add_argument("--audience", required=True)
    p.add_argument("--on", default=None, help="date sent (default today)")

    p = cmd("erase-child", "remove a child's identifiers from every visit, keeping the counts")
    p.add_argument("home")
    p.add_argument("child")
    p.add_argument("--reason", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from visitor.tui.app import run

        return run(data_dir(args.data))
    from visitor.checklist import ChecklistError
    from visitor.model import ValidationError
    from visitor.storage import DataFileError, LockedError, ReadOnlyError
    from visitor.store import NotFound, Store

    store = Store(data_dir(args.data))
    try:
        return COMMANDS[args.command](store, args)
    except (ValidationError, DataFileError, LockedError, ReadOnlyError, NotFound, ChecklistError, ValueError) as exc:
        print(f"reg44: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"reg44: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        return EXIT_ERROR
    finally:
        store.close()


def _emit(rows: list[dict], as_json: bool, columns: list[tuple[str, str]]) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        print("(none)")
        return
    widths = [max(len(title), *(len(str(r.get(key, ""))) for r in rows)) for key, title in columns]
    print("  ".join(title.ljust(w) for (_, title), w in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(row.get(key, "")).ljust(w) for (key, _), w in zip(columns, widths)))


def cmd_homes(store, args) -> int:
    from visitor import workflow

    summaries = workflow.summaries(store)
    rows = []
    for home in store.homes():
        s = summaries[home.id]
        rows.append({**home.to_dict(), "last_visit": s["last_visit"], "this_month": workflow.visit_due(s["last_visit"]),
                     "open_recommendations": s["open_recommendations"], "open_patterns": s["open_flags"],
                     "draft": store.has_draft(home.id)})
    _emit(rows, args.json, [("id", "ID"), ("name", "Home"), ("urn", "URN"), ("last_visit", "Last visit"),
                            ("this_month", "This month"), ("open_recommendations", "Open recs"),
                            ("open_patterns", "Patterns")])
    return EXIT_OK


def cmd_home(store, args) -> int:
    from visitor.model import Home, slugify

    if args.action == "show":
        home = store.home(args.home)
        if args.json:
            print(json.dumps(home.to_dict(), ensure_ascii=False, indent=1))
        else:
            for key, value in home.to_dict().items():
                print(f"{key:24} {value}")
        return EXIT_OK
    home = Home(id=args.id or slugify(args.name), name=args.name, urn=args.urn, provider=args.provider,
                registered_manager=args.manager, responsible_individual=args.ri, la_area=args.la,
                places=args.places, setting_type=args.type, registered_on=args.registered_on,
                local_authority_wants_copy=args.la_copy)
    store.add_home(home)
    print(f"Added {home.name} (id {home.id}).")
    return EXIT_OK


def cmd_child(store, args) -> int:
    from visitor.model import Child

    if args.action == "leave":
        child = store.child(args.home, args.child)
        child.left = args.date
        store.update_child(child)
        print(f"Recorded that {child.code} left on {child.left}.")
        return EXIT_OK
    child = Child(id="", home_id=args.home, code=args.code, placing_authority=args.authority,
                  communication=args.communication, advocate=args.advocate, distance_miles=args.miles,
                  admitted=args.admitted)
    store.add_child(args.home, child)
    print(f"Added child {child.code} (id {child.id}).")
    return EXIT_OK


def cmd_children(store, args) -> int:
    store.home(args.home)
    rows = [c.to_dict() for c in store.children(args.home)]
    _emit(rows, args.json, [("id", "ID"), ("code", "Code"), ("placing_authority", "Placing authority"),
                            ("communication", "Communication"), ("advocate", "Advocate"), ("admitted", "Admitted"),
                            ("left", "Left")])
    return EXIT_OK


def cmd_visits(store, args) -> int:
    from visitor import workflow

    store.home(args.home)
    rule = store.settings()["report_deadline"]
    rows = []
    for visit in store.visits(args.home):
        rows.append({"id": visit["id"], "date": visit["date"], "status": visit["status"],
                     "announced": visit["announced"], "report": workflow.report_state(visit, rule),
                     "days_since_visit": (date.today() - date.fromisoformat(visit["date"])).days,
                     "sent_to": [d["recipient"] for d in visit.get("distribution", [])]})
    draft = store.draft(args.home)
    if draft:
        rows.append({"id": draft["id"], "date": draft["date"], "status": "draft", "announced": draft["announced"],
                     "report": "not finalised", "days_since_visit": (date.today() - date.fromisoformat(draft["date"])).days,
                     "sent_to": []})
    _emit(rows, args.json, [("id", "ID"), ("date", "Date"), ("status", "Status"), ("report", "Report"),
                            ("days_since_visit", "Days since")])
    return EXIT_OK


def cmd_start(store, args) -> int:
    visit = store.start_visit(args.home, args.date or date.today().isoformat(), announced=args.announced)
    print(f"Started draft visit {visit['id']}.")
    return EXIT_OK


def cmd_gaps(store, args) -> int:
    from visitor import workflow

    visit = store.visit(args.visit)
    found = workflow.gaps_for(store, visit) if visit["status"] == "draft" else []
    for gap in found:
        print(f"[{gap.section}] {gap.message}")
    print(f"{len(found)} thing(s) missing." if found else "Nothing missing.")
    return EXIT_PROBLEM if found else EXIT_OK


def cmd_finalise(store, args) -> int:
    from visitor import workflow

    visit = store.visit(args.visit)
    try:
        workflow.finalise(store, visit)
    except workflow.Incomplete as exc:
        for gap in exc.gaps:
            print(f"[{gap.section}] {gap.message}", file=sys.stderr)
        print(f"reg44: {len(exc.gaps)} thing(s) missing; the visit is still a draft.", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"Finalised {visit['id']}.")
    return EXIT_OK


def cmd_addendum(store, args) -> int:
    from visitor import workflow

    workflow.add_addendum(store, args.visit, args.reason, args.text)
    print("Addendum recorded.")
    return EXIT_OK


def cmd_profile(store, args) -> int:
    fields = {k: getattr(args, k) for k in ("name", "organisation", "contact", "independence")}
    profile = store.set_profile(**fields) if any(v is not None for v in fields.values()) else store.profile()
    if args.json:
        print(json.dumps(profile, ensure_ascii=False, indent=1))
    else:
        for key, value in profile.items():
            print(f"{key:14} {value}")
    return EXIT_OK


def cmd_check(store, args) -> int:
    from visitor.check import check_all

    problems, counted = check_all(store)
    for problem in problems:
        print(f"problem: {problem}")
    print(f"Checked {counted['checklists']} checklist(s), {counted['homes']} home(s), {counted['visits']} visit(s): "
          + ("all is well." if not problems else f"{len(problems)} problem(s)."))
    return EXIT_PROBLEM if problems else EXIT_OK


def cmd_demo(store, args) -> int:
    from visitor import demo

    made = demo.build(store, force=args.force)
    print(f"Demo data written to {store.root}: {made['homes']} homes, {made['visits']} visits, "
          f"{made['drafts']} draft (all fictional).")
    return EXIT_OK


def cmd_dump(store, args) -> int:
    from visitor import bundle

    if args.file == "-":
        print(json.dumps(bundle.dump(store), ensure_ascii=False, indent=1))
    else:
        path = bundle.write(store, Path(args.file))
        print(f"Wrote {path}.")
    return EXIT_OK


def cmd_load(store, args) -> int:
    from visitor import bundle

    added = bundle.load(store, bundle.read(Path(args.file)))
    print("Loaded: " + ", ".join(f"{n} {k}" for k, n in added.items()) + ".")
    return EXIT_OK


def cmd_restore(store, args) -> int:
    targets = [Path(args.file)] if args.file else [p.path for p in store.broken_files()]
    if not targets:
        print("Every data file reads correctly; nothing to restore.")
        return EXIT_OK
    for path in targets:
        used = store.restore(path)
        print(f"Restored {path} from {used.name} (the broken file was kept beside it).")
    return EXIT_OK


def cmd_trends(store, args) -> int:
    from visitor import trends, workflow

    store.home(args.home)
    analysis = workflow.analyse_home(store, args.home, months=args.months)
    stored = store.flags(args.home)
    if args.compare:
        rows = analysis.compare(*args.compare)
        _emit(rows, args.json, [("label", "Measure"), ("a", args.compare[0]), ("b", args.compare[1]),
                                ("change", "Change")])
        return EXIT_OK
    names = {c.id: c.code for c in store.children(args.home)}

    def name(child_id: str) -> str:
        return names.get(child_id, "a child")

    if args.json:
        data = trends.to_json(analysis, stored)
        for flag in data["patterns"] + data["flags"]:
            flag["evidence"] = trends.render(flag["evidence"], name)
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{'Measure':24} {'Trend':14} {'Prev':>6} {'Now':>6}  Dir  Baseline")
    for series in analysis.series.values():
        prev = series.previous.value if series.previous else None
        now = series.latest.value if series.latest else None
        base = series.baseline(analysis.thresholds)
        print(f"{series.measure.label[:24]:24} {series.sparkline()[-14:]:14} {trends._num(prev):>6} "
              f"{trends._num(now):>6}   {series.direction()}   {trends._num(base)}")
    open_ = trends.open_flags(stored)
    print(f"\nPatterns of concern ({len(open_)} open):")
    for flag in open_:
        print(f"- [{flag['key']}] {flag['title']}: {trends.render(flag['evidence'], name)}")
    return EXIT_OK


def cmd_resolve(store, args) -> int:
    from visitor import workflow

    workflow.resolve_flag(store, args.home, args.key, args.reason)
    print(f"Marked {args.key} resolved.")
    return EXIT_OK


def cmd_export(store, args) -> int:
    from visitor.locations import exports_dir
    from visitor.report import export

    paths = export.export_visit(store, args.visit, args.audience, authority=args.authority,
                                out_dir=exports_dir(args.out))
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_sent(store, args) -> int:
    from visitor import workflow

    workflow.record_distribution(store, args.visit, args.to, args.audience, args.on)
    print(f"Recorded: sent to {args.to}.")
    return EXIT_OK


def cmd_erase_child(store, args) -> int:
    record = store.erase_child(args.home, args.child, args.reason)
    print(f"Erased the child's identifiers from {record['visits']} visit(s); the counts are kept.")
    return EXIT_OK


COMMANDS = {
    "homes": cmd_homes, "home": cmd_home, "child": cmd_child, "children": cmd_children, "visits": cmd_visits,
    "start": cmd_start, "gaps": cmd_gaps, "finalise": cmd_finalise, "addendum": cmd_addendum,
    "profile": cmd_profile, "check": cmd_check, "demo": cmd_demo, "dump": cmd_dump, "load": cmd_load,
    "restore": cmd_restore, "trends": cmd_trends, "resolve": cmd_resolve, "export": cmd_export, "sent": cmd_sent,
    "erase-child": cmd_erase_child,
}
