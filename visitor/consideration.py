"""Has the registered person considered each recommendation within its timescale (reg 44(5))?

A recommendation counts as considered once the provider's response is recorded, or once a later visit
rated it met or no longer relevant. One not considered when its timescale has passed raises a flag, a
plain dict ``{key, title, evidence, raised_on, ...}`` that the workflow merges beside the trend
engine's flags under keys starting ``rec_not_considered:``.

Timescales are free text; this reads the common forms ("2026-05-01", "within 28 days", "2 weeks",
"one month", "immediately", "by the next visit", "end of the month"); anything else falls back to the
``response_days`` setting (28 days unless changed), so no recommendation escapes the check.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Iterator

from visitor.model import CLOSED_RATINGS, ValidationError, parse_date

KEY_PREFIX = "rec_not_considered:"
DEFAULT_DAYS = 28
IMMEDIATE_DAYS = 7
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8,
          "twelve": 12}
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_SPAN = re.compile(r"\b(\d{1,3}|" + "|".join(_WORDS) + r")\s*(day|week|month)s?\b", re.IGNORECASE)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_timescale(timescale: str, made_on: str) -> str:
    """Refuse a timescale whose date does not exist or comes before the visit that made the recommendation
    (either would silently fall back to the default number of days)."""
    for found in _ISO.finditer(timescale or ""):
        day = parse_date(found.group(1), "timescale's date")
        if day < parse_date(made_on):
            raise ValidationError(f"The timescale's date {day.isoformat()} is before the visit ({made_on}).")
    return timescale


def response_days(settings: dict) -> int:
    """The ``response_days`` setting: days allowed when a timescale cannot be read (a positive whole
    number; anything else counts as unset)."""
    value = settings.get("response_days", DEFAULT_DAYS)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_DAYS


def due_by(timescale: str, made_on: str, default_days: int = DEFAULT_DAYS) -> date:
    """The date by which a recommendation made on ``made_on`` must have been considered."""
    made = parse_date(made_on)
    text = (timescale or "").strip().lower()
    if found := _ISO.search(text):
        try:
            return date.fromisoformat(found.group(1))
        except ValueError:
            pass
    if found := _SPAN.search(text):
        number = found.group(1).lower()
        count = int(number) if number.isdigit() else _WORDS[number]
        unit = found.group(2).lower()
        if unit == "month":
            return _add_months(made, count)
        return made + timedelta(days=count * (7 if unit == "week" else 1))
    if "immediate" in text or text in ("now", "at once", "urgent", "urgently"):
        return made + timedelta(days=IMMEDIATE_DAYS)
    if "next visit" in text:
        return _add_months(made, 1)
    if "end of" in text and "month" in text:
        return date(made.year, made.month, calendar.monthrange(made.year, made.month)[1])
    return made + timedelta(days=default_days)


def _responded_on(rec_id: str, visit: dict) -> str:
    response = visit.get("responses", {}).get(rec_id, {})
    return (response.get("received_on") or visit["date"]) if response.get("response") else ""


def considered_on(rec_id: str, visit: dict, later: list[dict]) -> str:
    """The first day the recommendation was known to be considered ("" if not yet): the response, or a
    later visit's closing rating, whichever came first."""
    closing = [other["date"] for other in later
               if other.get("earlier", {}).get(rec_id, {}).get("rating") in CLOSED_RATINGS]
    return _first(_responded_on(rec_id, visit), min(closing, default=""))


def _first(*days: str) -> str:
    """The earliest of the days given ("" when none is)."""
    return min((d for d in days if d), default="")


def considered(rec_id: str, visit: dict, later: list[dict]) -> bool:
    return bool(considered_on(rec_id, visit, later))


def _each_considered_on(final_visits: list[dict]) -> Iterator[tuple[dict, dict, str]]:
    """(visit, recommendation, ``considered_on``) for every recommendation, oldest visit first.

    The closing ratings are gathered in one pass, not searched again for each recommendation (ten years of
    monthly visits make that quadratic, and every dashboard summary asks).
    """
    ordered = sorted(final_visits, key=lambda v: v["date"])
    closing: dict[str, list[int]] = {}
    for index, visit in enumerate(ordered):
        for rec_id, progress in visit.get("earlier", {}).items():
            if progress.get("rating") in CLOSED_RATINGS:
                closing.setdefault(rec_id, []).append(index)
    for index, visit in enumerate(ordered):
        for rec in visit.get("recommendations", []):
            after = next((i for i in closing.get(rec["id"], ()) if i > index), None)
            yield visit, rec, _first(_responded_on(rec["id"], visit), ordered[after]["date"] if after is not None else "")


def settled(final_visits: list[dict]) -> dict[str, str]:
    """Flag key → the day each considered recommendation was considered."""
    return {KEY_PREFIX + rec["id"]: day for _, rec, day in _each_considered_on(final_visits) if day}


def pending(final_visits: list[dict], default_days: int = DEFAULT_DAYS,
            as_of: date | None = None) -> list[tuple[dict, dict, date]]:
    """(visit, recommendation, due date) for every recommendation not yet considered, oldest first; with
    ``as_of``, as things stood that day (made by then, and not considered by then)."""
    when = as_of.isoformat() if as_of else "9999-12-31"
    return [(visit, rec, due_by(rec.get("timescale", ""), visit["date"], default_days))
            for visit, rec, day in _each_considered_on(final_visits)
            if visit["date"] <= when and (not day or day[:10] > when)]


def flags(final_visits: list[dict], today: date, default_days: int = DEFAULT_DAYS) -> list[dict]:
    """A flag for each recommendation whose timescale had passed by ``today`` without the provider
    considering it by then. Its evidence counts the days to ``today``: a report passes the visit's date,
    so the same visit's report reads the same whenever it is exported."""
    raised = []
    for visit, rec, due in pending(final_visits, default_days, as_of=today):
        if due >= today:
            continue
        text = rec["text"] if len(rec["text"]) <= 120 else rec["text"][:119].rstrip() + "…"
        timescale = rec.get("timescale") or f"none given; {default_days} days assumed"
        late = (today - due).days
        raised.append({
            "key": KEY_PREFIX + rec["id"], "rule": "recommendations", "metric": "recommendations_not_considered",
            "title": "Recommendation not considered within its timescale",
            "evidence": f"“{text}” (made at the visit of {_day(visit['date'])}, timescale: {timescale}) was due "
                        f"to be considered by {_day(due.isoformat())}; no response from the registered person "
                        f"is recorded {late} day{'s' if late != 1 else ''} later.",
            "severity": "medium", "visits": [visit["id"]], "children": [],
            "raised_on": (due + timedelta(days=1)).isoformat(),
        })
    return raised


def next_check(final_visits: list[dict], today: date, default_days: int = DEFAULT_DAYS) -> str:
    """The first day on which a pending recommendation becomes overdue ("" if none will)."""
    upcoming = [due + timedelta(days=1) for _, _, due in pending(final_visits, default_days) if due >= today]
    return min(upcoming).isoformat() if upcoming else ""


def _day(iso: str) -> str:
    d = parse_date(iso)
    return f"{d.day} {d:%b %Y}"
