"""Series per measure across successive visits, normalised, and the patterns of concern they show.

The Doncaster review found monthly reports that nobody joined up. This module joins them: one series
per trended measure, counts shown per child resident and per 30 days so that a fuller home or a longer
gap does not mislead, comparisons with the previous visit and the home's own baseline, and flags whose
evidence is written in plain words with the numbers and visits behind them. Rules are documented in
``docs/TRENDS.md``; every threshold lives in ``Thresholds``, overridable from settings.

Evidence text refers to a child as ``{child:ID}``; ``render`` turns that into their code, or into
"a child" for readers not entitled to know which child (see ``report.audience``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from statistics import median

from visitor.checklist import Checklist, Item
from visitor.model import Child, parse_date

SPARKS = "▁▂▃▄▅▆▇█"
COMPLAINT_METRICS = ("complaints_children", "complaints_parents", "complaints_authorities")
ANY_RULES = {
    "whistleblowing": "Whistleblowing concern",
    "allegations_against_staff": "Allegation against staff",
    "complaints_self_investigated": "Complaint investigated by the person complained about",
}
HIGH = "high"
MEDIUM = "medium"


@dataclass
class Thresholds:
    """Every number the pattern rules use, in one place (override any of them in settings.json)."""

    rising_visits: int = 3
    rising_min_increase: float = 3
    baseline_visits: int = 6
    baseline_min_history: int = 3
    baseline_factor: float = 2.0
    baseline_min_count: float = 3
    agency_share_percent: float = 30
    understaffed_shifts: int = 4
    unmet_recommendation_visits: int = 2
    not_seen_alone_visits: int = 2
    zero_complaints_visits: int = 4

    @classmethod
    def from_settings(cls, overrides: dict | None) -> "Thresholds":
        values = {}
        known = {f.name: f.type for f in fields(cls)}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise ValueError(f"Unknown threshold {key!r} in settings (known: {', '.join(known)}).")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"The threshold {key!r} must be a non-negative number (got {value!r}).")
            values[key] = value
        return cls(**values)


@dataclass
class Measure:
    id: str
    label: str
    kind: str  # count, number, percent, yesno, derived
    rate: bool = False  # a count of events: also shown per child and per 30 days
    better: str = "lower"
    derived: bool = False


DERIVED = (
    Measure("children_resident", "Children resident", "derived", better="none", derived=True),
    Measure("children_seen_alone", "Seen alone", "derived", better="higher", derived=True),
    Measure("children_not_seen_alone", "Not seen alone", "derived", derived=True),
    Measure("records_not_available", "Records withheld", "derived", derived=True),
    Measure("recommendations_not_met", "Recs not met", "derived", derived=True),
)


@dataclass
class Point:
    visit_id: str
    date: str
    value: float | None
    per_child: float | None = None
    per_30_days: float | None = None
    rule_value: float | None = None  # what the rules compare: per child per 30 days for event counts


@dataclass
class Series:
    measure: Measure
    points: list[Point]

    def values(self) -> list[float | None]:
        return [p.value for p in self.points]

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def previous(self) -> Point | None:
        return self.points[-2] if len(self.points) > 1 else None

    def baseline(self, thresholds: Thresholds) -> float | None:
        """Median of the previous visits' rule values (up to ``baseline_visits`` of them)."""
        history = [p.rule_value for p in self.points[:-1][-thresholds.baseline_visits:] if p.value is not None]
        if len(history) < thresholds.baseline_min_history:
            return None
        return median(history)

    def change(self) -> float | None:
        if not self.previous or self.latest.value is None or self.previous.value is None:
            return None
        return self.latest.value - self.previous.value

    def direction(self) -> str:
        change = self.change()
        if change is None:
            return "·"
        return "↑" if change > 0 else "↓" if change < 0 else "→"

    def sparkline(self) -> str:
        return sparkline(self.values())


@dataclass
class Flag:
    key: str
    rule: str
    title: str
    evidence: str
    severity: str
    visits: list[str]
    metric: str = ""
    children: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Analysis:
    home_id: str
    visits: list[dict]
    series: dict[str, Series]
    flags: list[Flag]
    thresholds: Thresholds
    days: list[int | None]
    residents: list[int]

    @property
    def latest(self) -> dict | None:
        return self.visits[-1] if self.visits else None

    def compare(self, visit_a: str, visit_b: str) -> list[dict]:
        """Two visits side by side: every measure's value at each and the change."""
        ids = [v["id"] for v in self.visits]
        try:
            a, b = ids.index(visit_a), ids.index(visit_b)
        except ValueError as exc:
            raise KeyError(f"Visit {exc.args[0].split()[0]} is not among this home's visits.") from None
        rows = []
        for series in self.series.values():
            va, vb = series.points[a].value, series.points[b].value
            change = None if va is None or vb is None else vb - va
            rows.append({"measure": series.measure.id, "label": series.measure.label, "a": va, "b": vb,
                         "change": change})
        return rows


# -- building the series ----------------------------------------------------------------------------
def measures_for(checklist: Checklist) -> list[Measure]:
    found = [
        Measure(i.id, i.label or i.question, i.kind, rate=i.rate and i.kind == "count", better=i.better)
        for i in checklist.metrics
    ]
    return found + list(DERIVED)


def analyse(home_id: str, visits: list[dict], children: list[Child], checklist: Checklist,
            thresholds: Thresholds | None = None, months: int | None = None) -> Analysis:
    """Every measure and pattern for a home, as at its latest visit (a draft may be passed as latest)."""
    thresholds = thresholds or Thresholds()
    visits = sorted(visits, key=lambda v: v["date"])
    all_visits = visits
    if months and visits:
        cutoff = _months_before(parse_date(visits[-1]["date"]), months)
        visits = [v for v in visits if v["date"] > cutoff.isoformat()]
    measures = measures_for(checklist)
    days: list[int | None] = []
    residents: list[int] = []
    for index, visit in enumerate(visits):
        prior = _previous_visit(all_visits, visit)
        days.append((parse_date(visit["date"]) - parse_date(prior["date"])).days if prior else None)
        residents.append(sum(1 for c in children if c.resident_on(visit["date"])))
    unmet = _unmet_counts(all_visits)
    series: dict[str, Series] = {}
    for measure in measures:
        points = []
        for visit, day_gap, resident in zip(visits, days, residents):
            value = _value(measure, visit, resident, unmet)
            point = Point(visit["id"], visit["date"], value, rule_value=value)
            if measure.rate and value is not None:
                point.per_child = round(value / resident, 2) if resident else None
                point.per_30_days = round(value * 30 / day_gap, 2) if day_gap else None
                point.rule_value = _rate(value, resident, day_gap)
            points.append(point)
        series[measure.id] = Series(measure, points)
    analysis = Analysis(home_id, visits, series, [], thresholds, days, residents)
    if visits:
        analysis.flags = _patterns(analysis, all_visits, children)
    return analysis


def _previous_visit(visits: list[dict], visit: dict) -> dict | None:
    earlier = [v for v in visits if v["date"] < visit["date"]]
    return earlier[-1] if earlier else None


def _value(measure: Measure, visit: dict, resident: int, unmet: dict[str, int]) -> float | None:
    answers = visit.get("answers", {})
    if measure.derived:
        seen_alone = sum(1 for a in visit.get("child_answers", {}).values() if a.get("seen_alone") == "yes")
        if measure.id == "children_resident":
            return resident
        if measure.id == "children_seen_alone":
            return seen_alone
        if measure.id == "children_not_seen_alone":
            return max(resident - seen_alone, 0)
        if measure.id == "records_not_available":
            return sum(1 for r in visit.get("records", {}).values() if r.get("status") == "not made available")
        if measure.id == "recommendations_not_met":
            return unmet.get(visit["id"], 0)
    value = answers.get(measure.id)
    if measure.kind == "yesno":
        return {"yes": 1, "no": 0}.get(value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _unmet_counts(visits: list[dict]) -> dict[str, int]:
    return {v["id"]: sum(1 for p in v.get("earlier", {}).values() if p.get("rating") == "not met") for v in visits}


def _rate(value: float | None, children: int, days: int | None) -> float | None:
    if value is None:
        return None
    per_child = value / children if children else value
    return per_child * 30 / days if days else per_child


# -- the rules --------------------------------------------------------------------------------------
def _patterns(analysis: Analysis, all_visits: list[dict], children: list[Child]) -> list[Flag]:
    t = analysis.thresholds
    latest = analysis.visits[-1]
    flags: list[Flag] = []
    s = analysis.series
    for series in s.values():
        m = series.measure
        if m.better != "lower" or m.kind == "yesno" or m.derived and m.id != "children_not_seen_alone":
            continue
        flags += _rising(series, t) + _above_baseline(series, t)
    for metric, title in ANY_RULES.items():
        point = s[metric].latest if metric in s else None
        if point and point.value:
            flags.append(Flag(f"any:{metric}", "any", title,
                              f"{_count(point.value, title.lower())} recorded at the visit of {_day(point.date)}. "
                              "Any such event warrants enquiry into how it was handled and by whom.",
                              HIGH, [point.visit_id], metric))
    flags += _seen_alone(analysis, all_visits, children)
    flags += _advocacy(latest, children)
    flags += _staffing(s, t)
    flags += _recommendations(all_visits, latest, t)
    flags += _inconsistencies(analysis, t)
    records = s["records_not_available"].latest
    if records and records.value:
        withheld = [k for k, r in latest.get("records", {}).items() if r.get("status") == "not made available"]
        flags.append(Flag("records_not_available", "records", "Records not made available",
                          f"{_count(records.value, 'record')} not made available at the visit of "
                          f"{_day(latest['date'])}: {', '.join(sorted(withheld))}.", HIGH, [latest["id"]],
                          "records_not_available"))
    return flags


def _rising(series: Series, t: Thresholds) -> list[Flag]:
    run = series.points[-t.rising_visits:]
    if len(run) < t.rising_visits or any(p.value is None for p in run) or not run[-1].value:
        return []
    rules = [p.rule_value for p in run]
    raw = [p.value for p in run]
    if not all(b > a for a, b in zip(rules, rules[1:])) or not all(b > a for a, b in zip(raw, raw[1:])):
        return []
    if raw[-1] - raw[0] < t.rising_min_increase:
        return []
    m = series.measure
    values = ", ".join(f"{_num(p.value)} ({_day(p.date)})" for p in run)
    extra = ""
    if m.rate:
        extra = " — per child per 30 days: " + " → ".join(_num(r) for r in rules)
    return [Flag(f"rising:{m.id}", "rising", f"{m.label} rising",
                 f"{m.label} rose at {len(run)} successive visits: {values}{extra}.", MEDIUM,
                 [p.visit_id for p in run], m.id)]


def _above_baseline(series: Series, t: Thresholds) -> list[Flag]:
    point = series.latest
    base = series.baseline(t)
    if point is None or point.value is None or base is None or point.value < t.baseline_min_count:
        return []
    current = point.rule_value
    if not (current > base * t.baseline_factor if base > 0 else current > 0):
        return []
    m = series.measure
    unit = " per child per 30 days" if m.rate else ""
    history = [p for p in series.points[:-1][-t.baseline_visits:] if p.value is not None]
    return [Flag(f"baseline:{m.id}", "baseline", f"{m.label} well above this home's usual level",
                 f"{m.label}: {_num(point.value)} at the visit of {_day(point.date)}; "
                 f"{_num(current)}{unit} against a baseline of {_num(base)}{unit} "
                 f"(median of the previous {len(history)} visits).", MEDIUM,
                 [p.visit_id for p in history] + [point.visit_id], m.id)]


def _seen_alone(analysis: Analysis, all_visits: list[dict], children: list[Child]) -> list[Flag]:
    t = analysis.thresholds
    latest = analysis.visits[-1]
    resident = [c for c in children if c.resident_on(latest["date"])]
    not_alone = [c for c in resident if latest.get("child_answers", {}).get(c.id, {}).get("seen_alone") != "yes"]
    flags = []
    if not_alone:
        flags.append(Flag("not_seen_alone", "seen_alone", "Children not seen alone",
                          f"{len(not_alone)} of {len(resident)} children resident were not seen alone at the "
                          f"visit of {_day(latest['date'])}: {', '.join(_child(c) for c in not_alone)}.",
                          HIGH, [latest["id"]], "children_not_seen_alone", [c.id for c in not_alone]))
    history = [v for v in all_visits if v["date"] <= latest["date"]]
    for child in not_alone:
        run = []
        for visit in reversed(history):
            if not child.resident_on(visit["date"]):
                break
            if visit.get("child_answers", {}).get(child.id, {}).get("seen_alone") == "yes":
                break
            run.append(visit)
        if len(run) >= t.not_seen_alone_visits:
            dates = ", ".join(_day(v["date"]) for v in reversed(run))
            flags.append(Flag(f"child_not_seen_alone:{child.id}", "seen_alone",
                              "The same child not seen alone at successive visits",
                              f"{_child(child)} was not seen alone at {len(run)} successive visits: {dates}.",
                              HIGH, [v["id"] for v in reversed(run)], "children_not_seen_alone", [child.id]))
    return flags


def _advocacy(latest: dict, children: list[Child]) -> list[Flag]:
    return [
        Flag(f"no_advocate:{c.id}", "advocacy", "Non-verbal child with no advocate",
             f"{_child(c)} is non-verbal and has no independent advocate (instructed or non-instructed) "
             f"at the visit of {_day(latest['date'])}.", HIGH, [latest["id"]], "", [c.id])
        for c in children
        if c.resident_on(latest["date"]) and c.communication == "non-verbal" and c.advocate == "none"
    ]


def _latest(s: dict[str, Series], metric: str) -> Point | None:
    """The latest point of a measure, if it has a value."""
    series = s.get(metric)
    point = series.latest if series else None
    return point if point is not None and point.value is not None else None


def _staffing(s: dict[str, Series], t: Thresholds) -> list[Flag]:
    flags = []
    if (p := _latest(s, "agency_share")) and p.value > t.agency_share_percent:
        flags.append(Flag("agency_share", "staffing", "High agency and bank staffing",
                          f"{_num(p.value)}% of shifts were covered by agency or bank staff at the visit of "
                          f"{_day(p.date)} (threshold {_num(t.agency_share_percent)}%).", MEDIUM, [p.visit_id],
                          "agency_share"))
    if (p := _latest(s, "shifts_below_planned")) and p.value > t.understaffed_shifts:
        flags.append(Flag("understaffed", "staffing", "Shifts below planned staffing",
                          f"{_count(p.value, 'shift')} worked below planned staffing before the visit of "
                          f"{_day(p.date)} (threshold {t.understaffed_shifts}).", MEDIUM, [p.visit_id],
                          "shifts_below_planned"))
    if (p := _latest(s, "registered_manager")) and p.value == 0:
        flags.append(Flag("no_registered_manager", "staffing", "No registered manager in post",
                          f"No registered manager was in post at the visit of {_day(p.date)}.", MEDIUM,
                          [p.visit_id], "registered_manager"))
    return flags


def _recommendations(all_visits: list[dict], latest: dict, t: Thresholds) -> list[Flag]:
    texts = {r["id"]: r["text"] for v in all_visits for r in v.get("recommendations", [])}
    ratings: dict[str, list[tuple[dict, str]]] = {}
    for visit in all_visits:
        if visit["date"] > latest["date"]:
            break
        for rec_id, progress in visit.get("earlier", {}).items():
            ratings.setdefault(rec_id, []).append((visit, progress.get("rating", "")))
    flags = []
    for rec_id, history in ratings.items():
        run = []
        for visit, rating in reversed(history):
            if rating != "not met":
                break
            run.append(visit)
        if len(run) >= t.unmet_recommendation_visits and run[0]["id"] == latest["id"]:
            text = _clip(texts.get(rec_id, rec_id), 120)
            dates = ", ".join(_day(v["date"]) for v in reversed(run))
            flags.append(Flag(f"rec_unmet:{rec_id}", "recommendations", "Recommendation not met at successive visits",
                              f"“{text}” was rated not met at {len(run)} successive visits: {dates}.", MEDIUM,
                              [v["id"] for v in reversed(run)], "recommendations_not_met"))
    return flags


def _inconsistencies(analysis: Analysis, t: Thresholds) -> list[Flag]:
    s = analysis.series
    latest = analysis.visits[-1]

    def val(metric: str) -> float | None:
        return s[metric].latest.value if metric in s else None

    flags = []
    day = _day(latest["date"])
    injuries, notified = val("restraint_injuries"), val("reg40_notifications")
    if injuries and notified == 0:
        flags.append(Flag("injury_no_notification", "records_disagree", "Restraint injuries with no notification",
                          f"{_count(injuries, 'restraint')} led to injury before the visit of {day}, "
                          "but no reg 40 notification was recorded.", HIGH, [latest["id"]], "restraint_injuries"))
    hospital, incidents = val("hospital_attendances"), val("incidents_recorded")
    if hospital and incidents is not None and hospital > incidents:
        flags.append(Flag("hospital_no_incident", "records_disagree", "Hospital attendances with no incident recorded",
                          f"{_count(hospital, 'hospital or A&E attendance')} before the visit of {day}, "
                          f"but only {_count(incidents, 'incident')} in the incident log.", HIGH, [latest["id"]],
                          "hospital_attendances"))
    unlogged = val("parent_concerns_not_logged")
    if unlogged:
        flags.append(Flag("concerns_not_logged", "records_disagree", "Concerns heard that the complaints log does not show",
                          f"{_count(unlogged, 'concern')} heard from parents or professionals at the visit of {day} "
                          "are absent from the home's complaints log.", HIGH, [latest["id"]],
                          "parent_concerns_not_logged"))
    run = analysis.visits[-t.zero_complaints_visits:]
    if len(run) >= t.zero_complaints_visits and "restraints" in s:
        totals = [sum(v.get("answers", {}).get(m) or 0 for m in COMPLAINT_METRICS) for v in run]
        restraint = s["restraints"].points[-len(run):]
        if not any(totals) and restraint[-1].value and all(p.value is not None for p in restraint) \
                and restraint[-1].rule_value > restraint[0].rule_value:
            flags.append(Flag("silent_complaints", "records_disagree", "No complaints while restraint rises",
                              f"No complaints were recorded at {len(run)} successive visits "
                              f"({_day(run[0]['date'])} to {day}) while restraints went from "
                              f"{_num(restraint[0].value)} to {_num(restraint[-1].value)}. A home with no "
                              "complaints is a warning sign, not reassurance.", HIGH, [v["id"] for v in run],
                              "restraints"))
    return flags


# -- flag persistence -------------------------------------------------------------------------------
def merge_flags(stored: list[dict], current: list[Flag], as_of: dict) -> list[dict]:
    """Keep every raised flag until the visitor resolves it; re-raise only on later evidence."""
    merged = [dict(f) for f in stored]
    firing = {f.key for f in current}
    for record in merged:
        if not record.get("resolved"):
            record["active"] = record["key"] in firing
    for flag in current:
        open_records = [r for r in merged if r["key"] == flag.key and not r.get("resolved")]
        if open_records:
            open_records[0].update(evidence=flag.evidence, visits=flag.visits, last_seen=as_of["date"],
                                   title=flag.title, severity=flag.severity, children=flag.children, active=True)
            continue
        dismissed = [r for r in merged if r["key"] == flag.key and r.get("resolved")
                     and r["resolved"].get("as_of", "") >= as_of["date"]]
        if dismissed:
            continue
        merged.append({**flag.to_dict(), "raised_on": as_of["date"], "raised_visit": as_of["id"],
                       "last_seen": as_of["date"], "active": True, "resolved": None})
    return merged


def open_flags(stored: list[dict]) -> list[dict]:
    return [f for f in stored if not f.get("resolved")]


# -- presentation helpers ---------------------------------------------------------------------------
_CHILD_TOKEN = re.compile(r"\{child:([A-Za-z0-9_-]+)\}")


def render(text: str, name_child) -> str:
    """Replace ``{child:ID}`` tokens using ``name_child(id) -> str``."""
    return _CHILD_TOKEN.sub(lambda m: name_child(m.group(1)), text)


def sparkline(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1
    return "".join(" " if v is None else SPARKS[int((v - low) / span * (len(SPARKS) - 1))] for v in values)


def to_json(analysis: Analysis, stored_flags: list[dict] | None = None) -> dict:
    """The stable JSON shape of ``reg44 trends --json`` (documented in docs/TRENDS.md)."""
    t = analysis.thresholds
    return {
        "format": "reg44-trends",
        "version": 1,
        "home": analysis.home_id,
        "as_of": analysis.latest["date"] if analysis.latest else None,
        "thresholds": asdict(t),
        "visits": [
            {"id": v["id"], "date": v["date"], "status": v.get("status", "final"),
             "days_since_previous": d, "children_resident": r}
            for v, d, r in zip(analysis.visits, analysis.days, analysis.residents)
        ],
        "measures": [
            {
                "id": s.measure.id, "label": s.measure.label, "kind": s.measure.kind, "normalised": s.measure.rate,
                "values": [{"visit": p.visit_id, "value": p.value, "per_child": p.per_child,
                            "per_30_days": p.per_30_days} for p in s.points],
                "latest": s.latest.value if s.latest else None,
                "previous": s.previous.value if s.previous else None,
                "change": s.change(), "direction": s.direction(), "baseline": _round(s.baseline(t)),
            }
            for s in analysis.series.values()
        ],
        "patterns": [f.to_dict() for f in analysis.flags],
        "flags": stored_flags if stored_flags is not None else [],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _count(value: float, noun: str) -> str:
    return f"{_num(value)} {noun}{'' if value == 1 else 's'}"


def _day(iso: str) -> str:
    d = parse_date(iso)
    return f"{d.day} {d:%b %Y}"


def _child(child: Child) -> str:
    return f"{{child:{child.id}}}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


__all__ = ["Analysis", "Flag", "Item", "Thresholds", "analyse", "merge_flags", "open_flags", "render", "to_json"]
