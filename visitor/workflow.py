"""The steps that span store and trends: finalising, flags, summaries, addenda, distribution, deadlines.

Kept apart from ``store`` so that persistence never reaches downstream into the trends engine. The
trends and completeness modules are imported where used: the dashboard needs neither at start-up.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from visitor.model import Child, Home, ValidationError, clean_text, open_recommendations, parse_date
from visitor.store import Store

AUDIENCES = ("provider", "ofsted", "placing-authority", "registered-manager", "responsible-individual",
             "local-authority")


class Incomplete(ValidationError):
    def __init__(self, found: list):
        self.gaps = found
        super().__init__(f"The visit cannot be finalised yet: {len(found)} thing(s) missing, "
                         f"first: {found[0].message}.")


def thresholds(store: Store):
    from visitor import trends

    return trends.Thresholds.from_settings(store.settings().get("thresholds"))


def gaps_for(store: Store, visit: dict) -> list:
    from visitor import completeness

    earlier = [v for v in store.visits(visit["home_id"]) if v["date"] < visit["date"]]
    return completeness.gaps(visit, store.checklist_for(visit), store.children(visit["home_id"]), earlier)


def finalise(store: Store, visit: dict) -> dict:
    """Refuse an incomplete visit; otherwise make it final (read-only) and refresh the home's patterns."""
    found = gaps_for(store, visit)
    if found:
        raise Incomplete(found)
    final = store.store_final(visit)
    refresh_home(store, visit["home_id"])
    return final


def analyse_home(store: Store, home_id: str, *, draft: dict | None = None, months: int | None = None,
                 upto: str | None = None):
    from visitor import trends

    visits = list(store.visits(home_id))
    if upto:
        visits = [v for v in visits if v["date"] <= upto]
    if draft:
        visits = [v for v in visits if v["date"] < draft["date"]] + [draft]
    checklist = store.checklist_for(visits[-1]) if visits else None
    if checklist is None:
        from visitor.checklist import load_shipped

        checklist = load_shipped()
    return trends.analyse(home_id, visits, store.children(home_id), checklist, thresholds(store), months)


def refresh_home(store: Store, home_id: str) -> dict:
    """Recompute the patterns as at the latest visit, keep the flags they raise, and refresh the summary."""
    from visitor import trends

    visits = store.visits(home_id)
    stored = store.flags(home_id)
    if visits:
        analysis = analyse_home(store, home_id, upto=visits[-1]["date"])
        stored = trends.merge_flags(stored, analysis.flags, visits[-1])
        store.save_flags(home_id, stored)
    summary = summarise(store, home_id, stored)
    store.save_summary(home_id, summary)
    return summary


def summarise(store: Store, home_id: str, stored_flags: list[dict] | None = None) -> dict:
    from visitor import trends

    visits = store.visits(home_id)
    stored_flags = store.flags(home_id) if stored_flags is None else stored_flags
    latest = visits[-1] if visits else None
    summary = {
        "last_visit": latest["date"] if latest else "",
        "last_visit_id": latest["id"] if latest else "",
        "visits": len(visits),
        "open_recommendations": len(open_recommendations(visits)),
        "open_flags": len(trends.open_flags(stored_flags)),
        "concerns": 0,
        "report_sent": True,
    }
    if latest:
        summary["concerns"] = len(store.checklist_for(latest).concerns(latest))
        summary["report_sent"] = bool(latest.get("distribution"))
    return summary


def summaries(store: Store) -> dict[str, dict]:
    """The dashboard's figures for every home; computed once per change and cached in the index."""
    cached = store.summaries()
    result = {}
    for home in store.homes():
        result[home.id] = cached.get(home.id) or summarise(store, home.id)
    return result


def resolve_flag(store: Store, home_id: str, key: str, reason: str) -> dict:
    reason = clean_text(reason, "reason", required=True, limit=2000).strip()
    stored = store.flags(home_id)
    for record in stored:
        if record["key"] == key and not record.get("resolved"):
            visits = store.visits(home_id)
            record["resolved"] = {"on": date.today().isoformat(), "reason": reason,
                                  "as_of": visits[-1]["date"] if visits else ""}
            store.save_flags(home_id, stored)
            store.save_summary(home_id, summarise(store, home_id, stored))
            return record
    raise ValidationError(f"There is no open pattern {key!r} for this home.")


def add_addendum(store: Store, visit_id: str, reason: str, text: str) -> dict:
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("A draft can still be edited directly; addenda are for final visits.")
    entry = {"date": date.today().isoformat(),
             "reason": clean_text(reason, "reason for the amendment", required=True, limit=2000),
             "text": clean_text(text, "amendment", required=True)}
    visit["addenda"].append(entry)
    store.update_final(visit, "an addendum")
    return entry


def record_distribution(store: Store, visit_id: str, recipient: str, audience: str,
                        sent_on: str | None = None) -> dict:
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("Only a final visit's report can be sent.")
    if audience not in AUDIENCES:
        raise ValidationError(f"The audience must be one of: {', '.join(AUDIENCES)}.")
    day = parse_date(sent_on, "date sent") if sent_on else date.today()
    if day > date.today():
        raise ValidationError("The date sent cannot be in the future.")
    if day < parse_date(visit["date"]):
        raise ValidationError("A report cannot be sent before the visit took place.")
    entry = {"recipient": clean_text(recipient, "recipient", required=True, limit=300).strip(),
             "audience": audience, "sent_on": day.isoformat(), "logged": datetime.now().isoformat(timespec="seconds")}
    visit["distribution"].append(entry)
    store.update_final(visit, "the distribution log")
    store.save_summary(visit["home_id"], summarise(store, visit["home_id"]))
    return entry


def recipients(home: Home, children: list[Child], day: str) -> list[tuple[str, str]]:
    """Who must receive a copy (reg 44(7)): (recipient, audience), placing authorities once each."""
    found = [("Ofsted (HMCI)", "ofsted"),
             (f"Registered provider: {home.provider or 'not recorded'}", "provider"),
             (f"Registered manager: {home.registered_manager or 'not recorded'}", "registered-manager"),
             (f"Responsible individual: {home.responsible_individual or 'not recorded'}", "responsible-individual")]
    for authority in placing_authorities(children, day):
        found.append((authority, "placing-authority"))
    if home.local_authority_wants_copy and home.la_area:
        found.append((f"{home.la_area} (local authority, on request)", "local-authority"))
    return found


def placing_authorities(children: list[Child], day: str) -> list[str]:
    return sorted({c.placing_authority for c in children if c.resident_on(day)})


# -- deadlines --------------------------------------------------------------------------------------
def report_due(visit_date: str, rule: str = "end-of-month") -> date:
    """The report deadline: end of the visit's month by default, or ``days:N`` after the visit."""
    day = parse_date(visit_date)
    if rule == "end-of-month":
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    if rule.startswith("days:") and rule[5:].isdigit():
        from datetime import timedelta

        return day + timedelta(days=int(rule[5:]))
    raise ValidationError(f"Unknown report deadline rule {rule!r}: use 'end-of-month' or 'days:N'.")


def report_state(visit: dict, rule: str, today: date | None = None) -> str:
    """'sent', 'due <date>' or 'OVERDUE <date>' for a final visit's report."""
    if visit.get("distribution"):
        return "sent"
    due = report_due(visit["date"], rule)
    today = today or date.today()
    return f"{'OVERDUE' if today > due else 'due'} {due.isoformat()}"


def report_label(visit_date: str, rule: str, today: date | None = None) -> str:
    """A short marker for an unsent report: 'due 31 Oct' or 'OVERDUE'."""
    due = report_due(visit_date, rule)
    return "OVERDUE" if (today or date.today()) > due else f"due {due.day} {due:%b}"


def visit_due(last_visit: str, today: date | None = None) -> str:
    """'done' if visited this calendar month; 'overdue' if a whole month was missed; else 'due'."""
    today = today or date.today()
    if not last_visit:
        return "overdue"
    last = parse_date(last_visit)
    if (last.year, last.month) == (today.year, today.month):
        return "done"
    previous = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return "due" if (last.year, last.month) == previous else "overdue"
