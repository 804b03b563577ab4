"""The benchmark's fictional data set: N homes × M monthly visits with full answers and realistic notes.

One generator feeds both shapes the benchmark needs: a data folder built through the store (the
20-home run) and a JSON bundle (the scale run, whose first measurement is ``reg44 load`` of it).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from visitor import checklist as checklists
from visitor import workflow
from visitor.model import RECORD_TYPES, Child, Home, Visit
from visitor.store import Store

NOTE = ("Spoke with the shift leader about the evening routine; records matched what staff described and the "
        "child's plan. The manager agreed to review the handover notes and report back by the next visit. ")
AUTHORITIES = ["Northshire County Council", "Eastborough Council", "Westford City Council", "Southvale Council"]


def homes(count: int, visits: int, seed: int = 44):
    """Yield (home, children, visit dicts) for each fictional home, the same for the same arguments."""
    rng = random.Random(seed)
    checklist = checklists.load_shipped()
    end = date.today() - timedelta(days=1)
    for h in range(count):
        home = Home(f"home-{h:03d}", f"Bench Home {h:03d}", f"SC{900100 + h}", "Fictional Care Ltd", "Manager",
                    "RI", "Benchshire", 6, "children's home", "2010-01-01")
        children = [Child(f"c{h:03d}x{c}", home.id, f"K{c}{h}", AUTHORITIES[c % 4],
                          rng.choice(["verbal", "non-verbal"]), rng.choice(["instructed", "non-instructed"]),
                          rng.randint(5, 150), "2009-06-01")
                    for c in range(rng.randint(4, 6))]
        made = [_visit(home.id, end - timedelta(days=30 * (visits - 1 - i)), checklist, children, rng, i)
                for i in range(visits)]
        yield home, children, made


def build(root: Path, count: int, visits: int, seed: int = 44) -> Store:
    """A data folder made through the store, with each home's patterns and summary refreshed."""
    store = Store(root)
    store.snapshot_checklist(checklists.load_shipped())
    made_homes = []
    for home, children, made in homes(count, visits, seed):
        store.add_home(home)
        for child in children:
            store.add_child(home.id, child)
        store.import_visits(home.id, made)
        made_homes.append(home.id)
    workflow.refresh_homes(store, made_homes)  # as a load does: once every home is in
    return store


def bundle(count: int, visits: int, seed: int = 44) -> dict:
    """The same data set as a reg44 bundle (see ``visitor.bundle``), for ``reg44 load``."""
    from visitor import bundle as bundles

    entries = [{"home": home.to_dict(), "children": [c.to_dict() for c in children], "visits": made,
                "draft": None, "flags": []}
               for home, children, made in homes(count, visits, seed)]
    return {"format": bundles.FORMAT, "version": bundles.VERSION, "created": "2026-01-01T00:00:00",
            "app": "reg44 bench", "checklists": [checklists.load_shipped().raw], "homes": entries}


def _visit(home_id: str, day: date, checklist, children, rng: random.Random, index: int) -> dict:
    answers: dict[str, str | int] = {}
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
                  opinions={"safeguarded": {"answer": "yes", "reasons": NOTE},
                            "wellbeing": {"answer": "yes", "reasons": NOTE}},
                  recommendations=recs, conflict={"declaration": "None.", "discovered_after": "",
                                                  "reason_not_declared": ""})
    return visit.to_dict()
