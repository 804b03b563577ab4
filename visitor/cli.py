"""The ``reg44`` command: sub-commands over the domain layer; with none, it opens the app."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from visitor import __version__
from visitor.locations import data_dir

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR = 0, 1, 2


def _months(text: str) -> int:
    """``--months``: a whole number of months a person could mean (``10**100`` is refused here)."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 1200:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of months from 1 to 1200")
    return int(text)


def _folder(text: str) -> str:
    """``--data`` / ``--out``: an empty name (``--data "$DIR"`` with DIR unset) is refused, never read as the default."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the folder name is empty (leave the option out for the default folder)")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reg44", description="Regulation 44 independent visitor's app.")
    parser.add_argument("--data", metavar="DIR", type=_folder, help="data folder (default: $REG44_DATA or the user data folder)")
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
    p.add_argument("--backfill", action="store_true", help="enter a visit dated before one already recorded")
    p = cmd("gaps", "list what a draft still needs before it can be finalised")
    p.add_argument("visit")
    p = cmd("finalise", "finalise a complete draft visit")
    p.add_argument("visit")
    p = cmd("discard", "throw away a draft visit (a final visit is never discarded)")
    p.add_argument("visit")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p = cmd("addendum", "add an amendment to a final visit (the copies it affects become due again)")
    p.add_argument("visit")
    p.add_argument("--reason", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--affects", action="append", metavar="RECIPIENT",
                   help="a recipient whose copy it changes (repeat; default: every copy)")
    p = cmd("correct", "record a point of fact the provider disputed in the shared draft")
    p.add_argument("visit")
    p.add_argument("--disputed", required=True, help="what the provider said was wrong")
    p.add_argument("--outcome", required=True, choices=["accepted", "not accepted"])
    p.add_argument("--reason", required=True, help="why you accepted it or not")
    p.add_argument("--change", default="", help="what you changed in the draft (when accepted)")
    p = cmd("respond", "record the provider's response to a recommendation")
    p.add_argument("visit")
    p.add_argument("--rec", required=True, type=int, metavar="N", help="recommendation number (1, 2, ...)")
    p.add_argument("--response", required=True, choices=["accepted", "accepted in part", "not accepted"])
    p.add_argument("--action", required=True, help="the action the manager will take (or why not accepted)")
    p.add_argument("--by", default="", help="date the action will be done, YYYY-MM-DD")
    p.add_argument("--ri", default="", help="the responsible individual's comment")
    p.add_argument("--received", default="", help="date the response was received (default today)")

    p = cmd("profile", "show or set the visitor's profile")
    for name in ("name", "organisation", "contact", "independence"):
        p.add_argument(f"--{name}", default=None)
    p.add_argument("--json", action="store_true")

    p = cmd("check", "validate the data files and checklists")
    p.add_argument("--repair", action="store_true",
                   help="then recompute every home's dashboard summary from its visits and flags")
    p = cmd("demo", "fill the data folder with fictional demo data")
    p.add_argument("--force", action="store_true", help="add the demo homes even if other data exists")
    p = cmd("dump", "write a JSON bundle of all data")
    p.add_argument("file", nargs="?", default="-", help="output file (default: standard output)")
    p = cmd("load", "merge a JSON bundle into the data folder")
    p.add_argument("file")
    p = cmd("restore", "restore broken data files from their newest good backup, or the whole folder from one backup")
    p.add_argument("file", nargs="?", help="one file (default: every broken file)")
    p.add_argument("--list", action="store_true", help="list the backups, newest first")
    p.add_argument("--snapshot", metavar="NAME", help="put the whole data folder back as it was in backup NAME")

    p = cmd("trends", "measures and patterns of concern across visits")
    p.add_argument("home")
    p.add_argument("--months", type=_months, default=None, help="show only the last N months, 1-1200 (patterns use all)")
    p.add_argument("--as-of", dest="as_of", default=None, metavar="DATE",
                   help="what the visitor would have seen at the visit of DATE (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--compare", nargs=2, metavar=("VISIT_A", "VISIT_B"))
    p = cmd("resolve", "mark a pattern of concern resolved")
    p.add_argument("home")
    p.add_argument("key")
    p.add_argument("--reason", required=True)

    p = cmd("export", "write the Word report(s) of a final visit, or the draft for factual accuracy")
    p.add_argument("visit")
    p.add_argument("--audience", choices=["provider", "ofsted", "placing-authority", "all"])
    p.add_argument("--authority", help="with --audience placing-authority")
    p.add_argument("--draft", action="store_true",
                   help="the provider's copy of the draft, for factual accuracy (records the date shared)")
    p.add_argument("--out", type=_folder, help="folder (default: exports/)")
    p = cmd("sent", "record that a report was sent to one or more recipients")
    p.add_argument("visit")
    p.add_argument("--to", action="append", default=[], metavar="RECIPIENT",
                   help="a recipient: ofsted, provider, registered-manager, responsible-individual, "
                        "local-authority or a placing authority's name (repeat for several)")
    p.add_argument("--all", action="store_true", help="every recipient not yet recorded")
    p.add_argument("--audience", help="with one --to naming someone outside the required list")
    p.add_argument("--on", default=None, help="date sent (default today)")
    p = cmd("summary", "write the six-monthly summary of a home's reports (for the reg 45 review)")
    p.add_argument("home")
    p.add_argument("--months", type=int, default=6)
    p.add_argument("--audience", default="provider", choices=["provider", "ofsted", "placing-authority", "all"])
    p.add_argument("--authority", help="with --audience placing-authority")
    p.add_argument("--out", type=_folder, help="folder (default: exports/)")

    p = cmd("erase-child", "remove a child's identifiers from every visit, keeping the counts")
    p.add_argument("home")
    p.add_argument("child")
    p.add_argument("--reason", required=True)

    from visitor.hub.cli import add_parser as add_hub_parser

    add_hub_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command. Every failure is one line on stderr and a non-zero exit, never a traceback."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        from visitor.tui.app import run

        return run(data_dir(args.data))
    for stream in (sys.stdout, sys.stderr):  # stored text with a broken character prints escaped, never crashes
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code = _run(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:
        # `reg44 homes | head`: the reader has all it wants; end quietly (and stop Python's own
        # complaint when it flushes stdout at exit).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("reg44: interrupted.", file=sys.stderr)
        return 130


def _run(args) -> int:
    from visitor.checklist import ChecklistError
    from visitor.model import ValidationError
    from visitor.storage import DataFileError, LockedError, ReadOnlyError
    from visitor.store import NotFound, Store

    store = None
    try:
        store = Store(data_dir(args.data))
        if store.exposed:
            print(f"reg44: warning: other users can open {store.root}, which holds children's data; "
                  f"`chmod 700 {store.root}` makes it yours alone.", file=sys.stderr)
        _resolve_names(store, args)
        return COMMANDS[args.command](store, args)
    except (ValidationError, DataFileError, LockedError, ReadOnlyError, NotFound, ChecklistError, ValueError) as exc:
        print(f"reg44: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"reg44: {_one_line(exc.strerror or exc)}{where}", file=sys.stderr)
        return EXIT_ERROR
    except (KeyError, TypeError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        # Data of the wrong shape that a reader did not catch: say so, never a traceback.
        print(f"reg44: the data could not be read ({type(exc).__name__}: {_one_line(exc)}); "
              "run `reg44 check` to find the file.", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if store is not None:
            store.close()


def _one_line(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:497] + "…"


def _resolve_names(store, args) -> None:
    """Let a person type a home by name or prefix, a child by code, a visit as HOME@DATE with either."""
    from visitor import lookup

    if args.command == "home" and args.action == "add" or args.command == "hub":
        return  # a new home's id; or a home on the agency hub, which this folder need not hold
    if getattr(args, "home", None) is not None:
        args.home = lookup.home(store, args.home).id
        if getattr(args, "child", None) is not None and args.command in ("child", "erase-child"):
            args.child = lookup.child(store, args.home, args.child).id
    if getattr(args, "visit", None) is not None:
        args.visit = lookup.visit_id(store, args.visit)


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


HOMES_THEMES_WIDTH = 24  # the dashboard's "+N" line, a little wider: the table has fewer columns


def cmd_homes(store, args) -> int:
    from visitor import workflow

    summaries = workflow.summaries(store)
    rows = []
    for home in store.homes():
        s = summaries[home.id]
        rows.append({**home.to_dict(), "last_visit": s["last_visit"], "this_month": workflow.visit_due(s["last_visit"]),
                     "open_recommendations": s["open_recommendations"], "open_patterns": s["open_flags"],
                     "themes": workflow.themes_line(s.get("themes", [])),
                     "draft": store.has_draft(home.id)})
        if not args.json:  # the table's cell: as many themes as fit, as on the dashboard
            rows[-1]["themes_cell"] = workflow.themes_line(s.get("themes", []), HOMES_THEMES_WIDTH)
    _emit(rows, args.json, [("id", "ID"), ("name", "Home"), ("urn", "URN"), ("last_visit", "Last visit"),
                            ("this_month", "This month"), ("open_recommendations", "Open recs"),
                            ("open_patterns", "Patterns"), ("themes_cell", "Themes")])
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
    store.add_home(home.check_registration())
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
        status = workflow.distribution_status(store, visit)
        rows.append({"id": visit["id"], "date": visit["date"], "status": visit["status"],
                     "state": workflow.cycle_state(visit, status),
                     "announced": visit["announced"], "report": workflow.report_state(visit, rule, status=status),
                     "days_since_visit": (date.today() - date.fromisoformat(visit["date"])).days,
                     "sent_to": [d["recipient"] for d in visit.get("distribution", [])],
                     "distribution": {"required": [r["recipient"] for r in status.required],
                                      "sent": [r["recipient"] for r in status.sent],
                                      "missing": [r["recipient"] for r in status.missing]},
                     "finalised_by": visit.get("finalised_by") or {},
                     "shared_for_accuracy": (visit.get("shared") or {}).get("on", "")})
    draft = store.draft(args.home)
    if draft:
        rows.append({"id": draft["id"], "date": draft["date"], "status": "draft", "state": workflow.cycle_state(draft),
                     "announced": draft["announced"], "report": "not finalised",
                     "days_since_visit": (date.today() - date.fromisoformat(draft["date"])).days,
                     "sent_to": [], "distribution": {"required": [], "sent": [], "missing": []},
                     "finalised_by": {}, "shared_for_accuracy": (draft.get("shared") or {}).get("on", "")})
    _emit(rows, args.json, [("id", "ID"), ("date", "Date"), ("state", "State"), ("report", "Report"),
                            ("days_since_visit", "Days since")])
    return EXIT_OK


def cmd_start(store, args) -> int:
    visit = store.start_visit(args.home, args.date or date.today().isoformat(), announced=args.announced,
                              backfill=args.backfill)
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


def cmd_discard(store, args) -> int:
    from visitor import workflow

    visit = store.visit(args.visit)
    if visit["status"] != "draft":
        print(f"reg44: {args.visit} is final: a final visit cannot be discarded (add an addendum).", file=sys.stderr)
        return EXIT_ERROR
    if not args.yes:
        if not sys.stdin.isatty():
            print("reg44: discarding throws the draft away; add --yes to confirm.", file=sys.stderr)
            return EXIT_ERROR
        answer = input(f"Throw away the draft visit {args.visit} and everything typed in it? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept the draft.")
            return EXIT_PROBLEM
    workflow.discard_draft(store, args.visit)
    print(f"Discarded the draft visit {args.visit}.")
    return EXIT_OK


def cmd_addendum(store, args) -> int:
    from visitor import workflow

    entry = workflow.add_addendum(store, args.visit, args.reason, args.text, args.affects)
    print("Addendum recorded; " + (f"{len(entry['affects'])} cop{'y is' if len(entry['affects']) == 1 else 'ies are'}"
                                   if entry["affects"] else "every copy is") + " due to be sent again.")
    return EXIT_OK


def cmd_correct(store, args) -> int:
    from visitor import workflow

    entry = workflow.record_correction(store, args.visit, args.disputed, args.outcome, args.reason, args.change)
    print(f"Recorded a factual correction ({entry['outcome']}). Edit the draft yourself for any change you accepted.")
    return EXIT_OK


def cmd_respond(store, args) -> int:
    from visitor import workflow

    entry = workflow.record_response(store, args.visit, args.rec, args.response, args.action, args.by, args.ri,
                                     args.received)
    print(f"Recorded the provider's response to recommendation {args.rec}: {entry['response']}.")
    return EXIT_OK


def cmd_summary(store, args) -> int:
    from visitor.locations import exports_dir
    from visitor.report import summary

    problems: list[str] = []
    paths = summary.export_summary(store, args.home, args.months, kind=args.audience, authority=args.authority,
                                   out_dir=exports_dir(args.out), problems=problems)
    for problem in problems:
        print(f"reg44: {problem}", file=sys.stderr)
    for path in paths:
        print(path)
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

    if args.repair:
        from visitor import workflow

        repaired = workflow.recompute_summaries(store)
        print(f"Recomputed the dashboard summaries of {repaired['homes']} home(s); {repaired['changed']} had changed.")
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
        bundle.write_stdout(store)
    else:
        path = bundle.write(store, Path(args.file))
        print(f"Wrote {path}.")
    return EXIT_OK


def cmd_load(store, args) -> int:
    from visitor import bundle

    kept: list[str] = []
    added = bundle.load_file(store, Path(args.file), kept)
    print("Loaded: " + ", ".join(f"{n} {k}" for k, n in added.items()) + ".")
    if kept:  # existing records win: say which the bundle held otherwise, so nothing is dropped unseen
        shown = "; ".join(kept[:5]) + (f"; and {len(kept) - 5} more" if len(kept) > 5 else "")
        print(f"Kept this folder's own version of {len(kept)} record(s) the bundle holds differently "
              f"(a bundle never overwrites): {shown}.")
    return EXIT_OK


def cmd_restore(store, args) -> int:
    if args.list:
        snaps = store.snapshots.list()
        for snap in snaps:
            print(f"{snap.name}  {snap.taken.astimezone():%Y-%m-%d %H:%M:%S}  {len(snap.files)} file(s)")
        print(f"{len(snaps)} backup(s) in {store.snapshots.folder}." if snaps else "There are no backups yet.")
        return EXIT_OK
    if args.snapshot:
        files = store.restore_snapshot(args.snapshot)
        print(f"Put back {len(files)} file(s) as they were in {args.snapshot}; the files they replaced are in "
              f"{store.root / 'aside'}.")
        return EXIT_OK
    targets = [Path(args.file)] if args.file else [p.path for p in store.broken_files()]
    if not targets:
        print("Every data file reads correctly; nothing to restore.")
        return EXIT_OK
    for path, used in store.restore_files(targets).items():
        print(f"Restored {path} from backup {used.name} (the broken file was kept in {store.root / 'aside'}).")
    return EXIT_OK


def cmd_trends(store, args) -> int:
    from visitor import trends, workflow
    from visitor.model import ValidationError, parse_date

    store.home(args.home)
    if args.months is not None and args.months < 1:
        raise ValidationError("--months must be a whole number of months, 1 or more.")
    upto = parse_date(args.as_of, "--as-of date").isoformat() if args.as_of else None
    analysis = workflow.analyse_home(store, args.home, months=args.months, upto=upto)
    if upto and not analysis.visits:
        raise ValidationError(f"{args.home} had no visit on or before {upto}.")
    stored = workflow.flags_as_of(store, args.home, upto) if upto else store.flags(args.home)
    if args.compare:
        from visitor import lookup

        known = {v["id"] for v in analysis.visits}
        args.compare = [lookup.visit_id(store, v) if "@" in v else f"{args.home}@{v}" for v in args.compare]
        unknown = [v for v in args.compare if v not in known]
        if unknown:
            raise ValidationError(f"No final visit {unknown[0]!r} to compare (give HOME@YYYY-MM-DD or a date; "
                                  f"see `reg44 visits {args.home}`).")
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
    if upto:
        print(f"As at the visit of {analysis.latest['date']}:")
    print(f"{'Measure':24} {'Trend':14} {'Prev':>6} {'Now':>6}  Dir  Baseline")
    for series in analysis.series.values():
        prev = series.previous.value if series.previous else None
        now = series.latest.value if series.latest else None
        base = series.baseline(analysis.thresholds)
        print(f"{series.measure.label[:24]:24} {series.sparkline()[-14:]:14} {trends._num(prev):>6} "
              f"{trends._num(now):>6}   {series.direction()}   {trends._num(base)}")
    open_ = {f["key"]: f for f in trends.open_flags(stored)}
    themes = trends.themes_of(stored)
    if not open_:
        print("\nNo open patterns of concern.")
    else:
        print(f"\nPatterns of concern ({len(open_)} open, in {len(themes)} theme{'s' if len(themes) != 1 else ''}):")
    for theme in themes:
        print(f"{'▲' if theme['severity'] == 'high' else '•'} {theme['headline']}")
        for key in theme["flags"]:
            flag = open_[key]
            print(f"  - [{flag['key']}] {flag['title']}: {trends.render(flag['evidence'], name)}")
    return EXIT_OK


def cmd_resolve(store, args) -> int:
    from visitor import workflow

    workflow.resolve_flag(store, args.home, args.key, args.reason)
    print(f"Marked {args.key} resolved.")
    return EXIT_OK


def cmd_export(store, args) -> int:
    from visitor.locations import exports_dir
    from visitor.report import export

    from visitor import workflow

    problems: list[str] = []
    if args.draft:
        if args.audience not in (None, "provider"):
            print("reg44: the draft for factual accuracy is the provider's copy; leave out --audience.", file=sys.stderr)
            return EXIT_ERROR
        paths = workflow.share_for_accuracy(store, args.visit, exports_dir(args.out), problems)
    elif args.audience is None:
        print("reg44: say which copy with --audience (or --draft for the draft for factual accuracy).",
              file=sys.stderr)
        return EXIT_ERROR
    else:
        authority = args.authority
        if args.audience == "placing-authority":
            from visitor import lookup

            visit = store.visit(args.visit)
            choices = workflow.placing_authorities(store.children(visit["home_id"]), visit["date"])
            authority = lookup.authority(choices, args.authority)
        paths = export.export_visit(store, args.visit, args.audience, authority=authority,
                                    out_dir=exports_dir(args.out), problems=problems)
    for problem in problems:
        print(f"reg44: {problem}", file=sys.stderr)
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_sent(store, args) -> int:
    from visitor import workflow

    if args.audience:
        if len(args.to) != 1 or args.all:
            print("reg44: --audience goes with exactly one --to.", file=sys.stderr)
            return EXIT_ERROR
        workflow.record_distribution(store, args.visit, args.to[0], args.audience, args.on)
        names = args.to
    else:
        wanted = list(args.to)
        if args.all:
            visit = store.visit(args.visit)
            wanted += [r["key"] for r in workflow.distribution_status(store, visit).missing]
        names = [e["recipient"] for e in workflow.record_sent(store, args.visit, wanted, args.on)]
    status = workflow.distribution_status(store, store.visit(args.visit))
    print(f"Recorded: sent to {'; '.join(names)}. {status.fraction} sent"
          + (f"; still to send to {', '.join(r['recipient'] for r in status.missing)}." if status.missing else "."))
    return EXIT_OK


def cmd_erase_child(store, args) -> int:
    record = store.erase_child(args.home, args.child, args.reason)
    print(f"Erased the child's identifiers from {record['visits']} visit(s); the counts are kept.")
    return EXIT_OK


def cmd_hub(store, args) -> int:
    from visitor.hub.cli import run

    return run(store, args)


COMMANDS = {
    "homes": cmd_homes, "home": cmd_home, "child": cmd_child, "children": cmd_children, "visits": cmd_visits,
    "start": cmd_start, "gaps": cmd_gaps, "finalise": cmd_finalise, "discard": cmd_discard, "addendum": cmd_addendum,
    "profile": cmd_profile, "check": cmd_check, "demo": cmd_demo, "dump": cmd_dump, "load": cmd_load,
    "restore": cmd_restore, "trends": cmd_trends, "resolve": cmd_resolve, "export": cmd_export, "sent": cmd_sent,
    "erase-child": cmd_erase_child, "hub": cmd_hub, "correct": cmd_correct, "respond": cmd_respond,
    "summary": cmd_summary,
}
