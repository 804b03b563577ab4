"""``reg44 check``: read every checklist and data file once and validate every record in it fully.

Each home's file is parsed once (the store keeps only a few parsed files, so memory stays flat at any
number of homes): its homes and children through the model, every visit and draft through
``integrity.VisitRules`` against the checklist version it used, and its dashboard summary against one
recomputed from the visits. Files not reached through a home (settings, checklists, stray files) are
read by ``Store.broken_files``.
"""

from __future__ import annotations

from visitor import checklist as checklists
from visitor import trends, workflow
from visitor.analysis import references
from visitor.integrity import VisitRules
from visitor.model import Child, Home, ValidationError, parse_date
from visitor.storage import DataFileError
from visitor.store import Store, no_code_clash


# Summary figures that only a change to the home's files alters (the report-cycle state and re-check dates are
# brought up to date by the dashboard as days pass, so they are not compared).
STABLE_FIGURES = ("last_visit", "last_visit_id", "visits", "open_recommendations", "open_flags", "concerns")


def check_all(store: Store) -> tuple[list[str], dict]:
    problems: list[str] = []
    counted = {"checklists": 0, "homes": 0, "visits": 0}
    for path in checklists.shipped_files():
        try:
            checklists.load_file(path)
            counted["checklists"] += 1
        except checklists.ChecklistError as exc:
            problems.append(str(exc))
    read: set = set()
    try:
        homes = store.homes()
        read.add(store.index_path)
        summaries = store.summaries()
    except DataFileError as exc:
        homes, summaries = [], {}
        problems.append(str(exc))
        read.add(store.index_path)
    rules: dict[tuple, VisitRules] = {}
    for home in homes:
        counted["homes"] += 1
        read.update((store.home_path(home.id), store.draft_path(home.id)))
        try:
            problems += _check_home(store, home, rules, summaries.get(home.id), counted)
        except DataFileError as exc:
            problems.append(str(exc))
    problems += [str(exc) for exc in store.broken_files(skip=read)]
    try:
        settings = store.settings()
        trends.Thresholds.from_settings(settings.get("thresholds"))
        references.validate_rates(settings.get("reference_rates"))
        references.validate_peer_rates(settings.get("peer_rates"))
        workflow.report_due("2000-01-01", settings.get("report_deadline", "end-of-month"))
    except DataFileError:
        pass  # already named by broken_files
    except ValueError as exc:
        problems.append(f"settings: {exc}")
    return problems, counted


def _check_home(store: Store, home: Home, rules: dict, stored_summary: dict | None, counted: dict) -> list[str]:
    problems = _check(f"home {home.id}", lambda: Home(**home.to_dict()).validate())
    children = store.children(home.id)
    for n, child in enumerate(children):
        problems += _check(f"child {child.id} of {home.id}", lambda c=child: Child(**c.to_dict()).validate())
        problems += _check(f"child {child.id} of {home.id}", lambda c=child, n=n: no_code_clash(c, children[:n]))
    child_ids = {c.id for c in children}
    draft = store.draft(home.id)
    for visit, kept_as in [(v, "final") for v in store.visits(home.id)] + ([(draft, "draft")] if draft else []):
        counted["visits"] += 1
        try:  # (as ``_check`` does, without making its label and closure for each of a home's many visits)
            _check_visit(store, home, visit, rules, child_ids)
            if visit.get("status") != kept_as:  # a final visit edited to "draft" would be counted as signed
                raise ValidationError(f"is kept with the {kept_as} visits but its status is {visit.get('status')!r}")
        except (ValidationError, checklists.ChecklistError) as exc:
            problems.append(f"visit {visit.get('id')}: {exc}")
    if stored_summary is not None and not problems:
        fresh = workflow.summarise(store, home.id)
        stale = sorted(k for k in STABLE_FIGURES if k in stored_summary and stored_summary[k] != fresh.get(k))
        if stale:
            problems.append(f"home {home.id}: the dashboard summary is out of date ({', '.join(stale)}); "
                            "`reg44 check --repair` recomputes it")
    return problems


def _check_visit(store: Store, home: Home, visit: dict, rules: dict, child_ids: set[str]) -> None:
    key = (visit["checklist_id"], visit["checklist_version"])
    if key not in rules:
        rules[key] = VisitRules(store.checklist_for(visit))
    rules[key].check(visit, child_ids)
    if home.registered_on and parse_date(visit["date"]) < parse_date(home.registered_on):
        raise ValidationError(f"is dated {visit['date']}, before the home's registration on {home.registered_on}")


def _check(where: str, action) -> list[str]:
    try:
        action()
    except (ValidationError, checklists.ChecklistError) as exc:
        return [f"{where}: {exc}"]
    return []
