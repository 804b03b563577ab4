"""Benchmark: does the app stay instant with ten years of visits?

``python -m visitor.bench`` builds a fictional data set (default 20 homes × 120 monthly visits, full
answers, realistic notes, 4–6 children each) and measures each figure side by side with its floor in the
same run, so the ratios hold on a noisy machine:

1. start-up to an idle dashboard vs a minimal Textual app showing one label (ratio ≤ 1.5);
2. autosave of one answer with every visit stored vs with one visit stored (ratio ≤ 1.5, median < 20 ms);
3. one full Word report vs python-docx writing 50 paragraphs and a table (ratio ≤ 3);
4. trends for a home with 120 visits (median < 50 ms); dashboard summary of all homes (< 200 ms);
5. peak resident memory of the app on the full data set (< 200 MB).

It prints a table and one JSON line, and exits 1 if a target is missed. Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from visitor import checklist as checklists
from visitor import workflow
from visitor.model import RECORD_TYPES, Child, Home, Visit
from visitor.store import Store

NOTE = ("Spoke with the shift leader about the evening routine; records matched what staff described and the "
        "child's plan. The manager agreed to review the handover notes and report back by the next visit. ")
AUTHORITIES = ["Northshire County Council", "Eastborough Council", "Westford City Council", "Southvale Council"]


# -- the data set -----------------------------------------------------------------------------------
def build(root: Path, homes: int, visits: int, seed: int = 44) -> Store:
    rng = random.Random(seed)
    store = Store(root)
    checklist = checklists.load_shipped()
    store.snapshot_checklist(checklist)
    end = date.today() - timedelta(days=1)
    for h in range(homes):
        home = store.add_home(Home(f"home-{h:02d}", f"Bench Home {h:02d}", f"SC{900100 + h}", "Fictional Care Ltd",
                                   "Manager", "RI", "Benchshire", 6, "children's home", "2010-01-01"))
        children = []
        for c in range(rng.randint(4, 6)):
            children.append(store.add_child(home.id, Child(
                "", home.id, f"K{c}{h}", AUTHORITIES[c % 4], rng.choice(["verbal", "non-verbal"]),
                rng.choice(["instructed", "non-instructed"]), rng.randint(5, 150), "2009-06-01")))
        made = [_visit(home.id, end - timedelta(days=30 * (visits - 1 - i)), checklist, children, rng, i)
                for i in range(visits)]
        store.import_visits(home.id, made)
        workflow.refresh_home(store, home.id)
    return store


def _visit(home_id: str, day: date, checklist, children, rng: random.Random, index: int) -> dict:
    answers = {}
    for item in checklist.items:
        if item.per_child:
            continue
        if item.kind == "yesno":
            answers[item.id] = rng.choice(["yes", "yes", "yes", "no"])
        elif item.kind == "count":
            answers[item.id] = rng.choice([0, 0, 1, 2, 3])
        elif item.kind in ("number", "percent"):
            answers[item.id] = rng.randint(0, 60)
        elif item.kind == "choice":
            answers[item.id] = item.options[0]
        else:
            answers[item.id] = NOTE
    notes = {item.id: NOTE * rng.randint(1, 3) for item in rng.sample(checklist.items, 12) if not item.per_child}
    child_answers = {c.id: {"seen": "yes", "seen_alone": rng.choice(["yes", "yes", "no"]), "consent": "yes",
                            "communication": "spoke with me", "views": NOTE} for c in children}
    recs = [{"id": f"r{index}", "text": "Review the rota against planned staffing.", "reference": "Reg 31",
             "timescale": "4 weeks", "response": ""}] if index % 3 == 0 else []
    visit = Visit(Visit.make_id(home_id, day.isoformat()), home_id, day.isoformat(), announced=index % 4 == 0,
                  visitor={"name": "Bench Visitor", "organisation": "Fictional"}, checklist_id=checklist.id,
                  checklist_version=checklist.version, status="final", answers=answers, notes=notes,
                  child_answers=child_answers, records={k: {"status": "examined", "period": "month", "notes": NOTE}
                                                       for k, _ in RECORD_TYPES},
                  earlier={f"r{index - 1}": {"rating": "met", "evidence": NOTE}} if index % 3 == 1 else {},
                  people=[{"role": "registered manager", "private": False, "notes": NOTE}],
                  opinions={"safeguarded": {"answer": "yes", "reasons": NOTE}, "wellbeing": {"answer": "yes", "reasons": NOTE}},
                  recommendations=recs, conflict={"declaration": "None.", "discovered_after": "", "reason_not_declared": ""})
    return visit.to_dict()


# -- measurements -----------------------------------------------------------------------------------
def _median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


STARTUP = """
import sys, time, asyncio
start = time.perf_counter()
from pathlib import Path
kind, data = sys.argv[1], sys.argv[2]
if kind == "app":
    from visitor.tui.app import Reg44App
    app = Reg44App(Path(data))
else:
    from textual.app import App
    from textual.widgets import Label
    class Minimal(App):
        def compose(self):
            yield Label("reg44")
    app = Minimal()
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if kind == "app":
            assert app.screen.query_one("#homes").row_count > 0
        print(time.perf_counter() - start)
        import resource
        if kind == "app-memory":
            pass
asyncio.run(main())
"""

MEMORY = """
import sys, asyncio, resource
from pathlib import Path
from visitor.tui.app import Reg44App
app = Reg44App(Path(sys.argv[1]))
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape", "t")
        await pilot.pause()
        await pilot.press("escape", "v")
        await pilot.pause()
        await pilot.press("escape")
asyncio.run(main())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _subprocess_seconds(script: str, *args: str) -> float:
    env = {**os.environ, "TEXTUAL": ""}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def startup(root: Path, repeat: int) -> tuple[float, float]:
    app = statistics.median(_subprocess_seconds(STARTUP, "app", str(root)) for _ in range(repeat))
    floor = statistics.median(_subprocess_seconds(STARTUP, "minimal", str(root)) for _ in range(repeat))
    return app * 1000, floor * 1000


def autosave(root: Path, small_root: Path, home_id: str, repeat: int) -> tuple[float, float]:
    def timed(folder: Path, home: str) -> float:
        store = Store(folder)
        visit = store.draft(home) or store.start_visit(home, date.today().isoformat())
        counter = iter(range(10**6))

        def save() -> None:
            visit["answers"]["restraints"] = next(counter)
            store.save_draft(visit)
        result = _median_ms(save, repeat)
        store.discard_draft(home)
        store.close()
        return result
    return timed(root, home_id), timed(small_root, "home-00")


def export(store: Store, home_id: str, out: Path, repeat: int) -> tuple[float, float]:
    from docx import Document

    from visitor.report.export import export_visit

    visit_id = store.visits(home_id)[-1]["id"]

    def full() -> None:
        export_visit(store, visit_id, "ofsted", out_dir=out)

    def minimal() -> None:
        doc = Document()
        for n in range(50):
            doc.add_paragraph(f"Paragraph {n}: " + NOTE)
        table = doc.add_table(rows=5, cols=4)
        for row in table.rows:
            for cell in row.cells:
                cell.text = "cell"
        doc.save(out / "minimal.docx")
    full()
    minimal()
    return _median_ms(full, repeat), _median_ms(minimal, repeat)


def trends_ms(store: Store, home_id: str, repeat: int) -> tuple[float, float]:
    store.visits(home_id)  # the file is read once; the figure is the computation
    single = _median_ms(lambda: workflow.analyse_home(store, home_id), repeat)

    def dashboard() -> None:
        for home in store.homes():
            workflow.summarise(store, home.id)
    return single, _median_ms(dashboard, max(3, repeat // 4))


def memory_mb(root: Path) -> float:
    return _subprocess_seconds(MEMORY, str(root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m visitor.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=20)
    parser.add_argument("--visits", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20, help="repetitions for in-process medians")
    parser.add_argument("--startup-repeat", type=int, default=7)
    parser.add_argument("--keep", help="build the data set in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp) / "data"
        built = time.perf_counter()
        store = build(root, args.homes, args.visits)
        small = build(Path(tmp) / "small", 1, 1)
        small.close()
        built = time.perf_counter() - built
        home_id = store.homes()[0].id
        out = Path(tmp) / "out"
        out.mkdir()
        figures = {}
        figures["export_ms"], figures["export_floor_ms"] = export(store, home_id, out, max(5, args.repeat // 2))
        figures["trends_ms"], figures["dashboard_summary_ms"] = trends_ms(store, home_id, args.repeat)
        store.close()
        figures["autosave_ms"], figures["autosave_floor_ms"] = autosave(root, Path(tmp) / "small", home_id, args.repeat)
        figures["startup_ms"], figures["startup_floor_ms"] = startup(root, args.startup_repeat)
        figures["memory_mb"] = memory_mb(root)
    ratios = {
        "startup_ratio": figures["startup_ms"] / figures["startup_floor_ms"],
        "autosave_ratio": figures["autosave_ms"] / figures["autosave_floor_ms"],
        "export_ratio": figures["export_ms"] / figures["export_floor_ms"],
    }
    targets = [
        ("start-up ratio", ratios["startup_ratio"], 1.5),
        ("autosave ratio", ratios["autosave_ratio"], 1.5),
        ("autosave median ms", figures["autosave_ms"], 20),
        ("export ratio", ratios["export_ratio"], 3),
        ("trends median ms", figures["trends_ms"], 50),
        ("dashboard summary ms", figures["dashboard_summary_ms"], 200),
        ("peak memory MB", figures["memory_mb"], 200),
    ]
    print(f"data set: {args.homes} homes × {args.visits} visits (built in {built:.1f} s)")
    print(f"{'figure':24} {'value':>10} {'floor':>10} {'target':>8}  ok")
    floors = {"start-up ratio": f"{figures['startup_ms']:.0f}/{figures['startup_floor_ms']:.0f}",
              "autosave ratio": f"{figures['autosave_ms']:.1f}/{figures['autosave_floor_ms']:.1f}",
              "export ratio": f"{figures['export_ms']:.0f}/{figures['export_floor_ms']:.0f}"}
    missed = []
    for name, value, target in targets:
        ok = value <= target
        missed += [] if ok else [name]
        print(f"{name:24} {value:10.2f} {floors.get(name, ''):>10} {target:8g}  {'yes' if ok else 'NO'}")
    result = {"homes": args.homes, "visits": args.visits, **{k: round(v, 2) for k, v in figures.items()},
              **{k: round(v, 3) for k, v in ratios.items()}, "missed": missed}
    print(json.dumps(result))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
