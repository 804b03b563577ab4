"""``reg44 check``: read every checklist and data file and validate every record in it."""

from __future__ import annotations

from visitor import checklist as checklists
from visitor import trends, workflow
from visitor.model import Child, Home, ValidationError, Visit
from visitor.storage import DataFileError
from visitor.store import Store


def check_all(store: Store) -> tuple[list[str], dict]:
    problems: list[str] = []
    counted = {"checklists": 0, "homes": 0, "visits": 0}
    for path in checklists.shipped_files():
        try:
            checklists.load_file(path)
            counted["checklists"] += 1
        except checklists.ChecklistError as exc:
            problems.append(str(exc))
    problems += [str(exc) for exc in store.broken_files()]
    try:
        settings = store.settings()
        trends.Thresholds.from_settings(settings.get("thresholds"))
        workflow.report_due("2000-01-01", settings.get("report_deadline", "end-of-month"))
    except (DataFileError, ValueError) as exc:
        problems.append(f"settings: {exc}")
    if problems:
        return problems, counted
    for home in store.homes():
        counted["homes"] += 1
        problems += _check(f"home {home.id}", lambda: Home(**home.to_dict()).validate())
        for child in store.children(home.id):
            problems += _check(f"child {child.id} of {home.id}", lambda: Child(**child.to_dict()).validate())
        draft = store.draft(home.id)
        for visit in store.visits(home.id) + ([draft] if draft else []):
            counted["visits"] += 1
            problems += _check(f"visit {visit.get('id')}", lambda: _check_visit(store, visit))
    return problems, counted


def _check_visit(store: Store, visit: dict) -> None:
    Visit.from_dict(dict(visit))
    checklist = store.checklist_for(visit)
    for item_id, value in visit.get("answers", {}).items():
        try:
            checklist.item(item_id).validate_answer(value)
        except KeyError:
            raise ValidationError(f"answers an item {item_id!r} that its checklist does not have") from None
    for child_id, answers in visit.get("child_answers", {}).items():
        for item_id, value in answers.items():
            if value != "[erased]":
                checklist.item(item_id).validate_answer(value)


def _check(where: str, action) -> list[str]:
    try:
        action()
    except (ValidationError, checklists.ChecklistError, KeyError) as exc:
        return [f"{where}: {exc}"]
    return []
