"""The shape every record must have when it is read back, so wrong data is a message, not a traceback.

A file can parse as JSON and still hold a visit whose ``answers`` is a list or a home whose ``places`` is
text; code downstream would then fail with ``TypeError`` far from the cause. Every file is checked here
as it is read (cheaply: types and required fields, once per change of the file); ``reg44 check`` runs the
model's full validation on top.
"""

from __future__ import annotations

from pathlib import Path

from visitor.model import (
    Child,
    EarlyDate,
    Home,
    ValidationError,
    deadline_days,
    finite_number,
)
from visitor.storage.files import DataFileError

VISIT_MAPPINGS = ("visitor", "answers", "notes", "invalid", "child_answers", "records", "earlier", "opinions",
                  "conflict", "cursor", "shared", "responses", "finalised_by")
VISIT_LISTS = ("flagged", "people", "recommendations", "distribution", "addenda", "corrections")
VISIT_TEXT = ("id", "home_id", "date", "status", "checklist_id")
# The parts of a final visit that may still change: everything else is the visitor's record as finalised.
# (The provider's responses to recommendations arrive after the report is signed.)
APPENDABLE = ("addenda", "distribution", "responses")
# Tables each kind of file may hold; anything else is kept untouched (a newer minor version may add some).
TABLES = {"index": ("homes", "summaries"), "home": ("children", "visits", "flags", "erasures"),
          "draft": ("draft",), "peers": ("peers",), "outline": ("children", "heads", "flags", "latest")}


def visit_problem(row: object) -> str | None:
    """Why ``row`` cannot be a visit record, or None."""
    if not isinstance(row, dict):
        return "is not an object"
    for key in VISIT_TEXT:
        if not isinstance(row.get(key), str):
            return f"has no text {key!r}"
    if not isinstance(row.get("checklist_version"), int) or isinstance(row.get("checklist_version"), bool):
        return "has no whole-number 'checklist_version'"
    for key in VISIT_MAPPINGS:
        if key in row and not isinstance(row[key], dict):
            return f"has {key!r} that is not a mapping"
    for key in VISIT_LISTS:
        if key in row and not isinstance(row[key], list):
            return f"has {key!r} that is not a list"
    # (plain loops: a generator per part cost more than the tests, read once per visit of every file)
    for key in ("recommendations", "people", "distribution", "addenda", "corrections"):
        for item in row.get(key, ()):
            if not isinstance(item, dict):
                return f"has an entry of {key!r} that is not an object"
    for answers in row.get("child_answers", {}).values():
        if not isinstance(answers, dict):
            return "has per-child answers that are not mappings"
    for note in row.get("notes", {}).values():
        if not isinstance(note, str):
            return "has a note that is not text"
    return None


def _check_model(row: dict, cls) -> str | None:
    names = cls.__dataclass_fields__
    try:
        cls(**{k: v for k, v in row.items() if k in names}).validate()
    except EarlyDate:
        return None  # stored before dates were held to 1900 on: read, and named by `reg44 check`
    except (ValidationError, TypeError) as exc:
        return str(exc)
    return None


def _check_flag(row: dict) -> str | None:
    if not isinstance(row.get("key"), str) or not isinstance(row.get("raised_on"), str):
        return "needs text 'key' and 'raised_on'"
    if row.get("resolved") not in (None, "") and not isinstance(row["resolved"], dict):
        return "has 'resolved' that is not an object"
    return None


def _check_row(table: str, row: dict) -> str | None:
    if table == "homes":
        return _check_model(row, Home)
    if table == "children":
        return _check_model(row, Child)
    if table in ("visits", "draft", "latest"):
        return visit_problem(row)
    if table == "flags":
        return _check_flag(row)
    if table == "heads":
        return _check_head(row)
    if table == "summaries":
        return None if isinstance(row.get("home_id"), str) else "has no text 'home_id'"
    if table == "peers":
        return _check_peer(row)
    return None


def _check_head(row: dict) -> str | None:
    """The part of a visit an outline keeps (``storage.outline.HEAD_FIELDS``)."""
    if not isinstance(row.get("id"), str) or not isinstance(row.get("date"), str):
        return "needs text 'id' and 'date'"
    recommendations = row.get("recommendations", [])
    if not isinstance(recommendations, list) or not all(isinstance(r, dict) for r in recommendations):
        return "has 'recommendations' that are not a list of objects"
    if not isinstance(row.get("responses", {}), dict) or not isinstance(row.get("earlier", {}), dict):
        return "has 'responses' or 'earlier' that is not a mapping"
    return None


_NUMBER = {int, float}  # types exactly: not bool, nor a subclass


def _check_peer(row: dict) -> str | None:
    """A home's event totals for pooling (derived data: rebuilt from the home file when refreshed)."""
    if not isinstance(row.get("home_id"), str) or not isinstance(row.get("setting_type"), str):
        return "needs text 'home_id' and 'setting_type'"
    dates, exposure, counts = row.get("dates"), row.get("exposure"), row.get("counts")
    if not isinstance(dates, list) or not isinstance(exposure, list) or not isinstance(counts, dict):
        return "needs lists 'dates' and 'exposure' and a mapping 'counts'"
    numbers = [exposure, *counts.values()]
    if not all(type(v) is list and len(v) == len(dates) and set(map(type, v)) <= _NUMBER for v in numbers):
        return "has totals that are not lists of numbers, one per visit"
    return None


def validate_file(kind: str, tables: dict, path: Path) -> None:
    """Raise ``DataFileError`` naming the first record of the wrong shape."""
    for table in TABLES.get(kind, ()):
        for doc_id, row in tables.get(table, {}).items():
            problem = _check_row(table, row)
            if problem:
                raise DataFileError(path, f"record {doc_id} of {table!r} is not valid ({problem[:160]})")


def settings_problem(settings: object) -> str | None:
    """Why a settings object cannot be used, or None; keys reg44 does not know are kept as they are."""
    if not isinstance(settings, dict):
        return "the file is not a JSON object"
    profile = settings.get("profile", {})
    if not isinstance(profile, dict) or not all(isinstance(v, str) for v in profile.values()):
        return "'profile' must map field names to text"
    rule = settings.get("report_deadline", "end-of-month")
    try:
        deadline_days(rule)
    except ValidationError:
        return f"'report_deadline' must be 'end-of-month' or 'days:N' with N from 0 to 366 (got {str(rule)[:40]!r})"
    for key in ("protective_marking", "theme"):
        if key in settings and not isinstance(settings[key], str):
            return f"{key!r} must be text"
    thresholds = settings.get("thresholds", {})
    if not isinstance(thresholds, dict):
        return "'thresholds' must map names to numbers"
    for name, value in thresholds.items():
        if not finite_number(value) or value < 0:
            return f"the threshold {str(name)[:40]!r} must be a number of 0 or more"
    return None
