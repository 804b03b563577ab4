"""One series per trended measure across a home's visits, with the exposure each count covers.

Counts of events are also shown per child resident and per 30 days, and the statistics use the
exposure behind them: the days each child was resident in the period the count covers, summed, in
child-months (``child_months``), so a child who left or arrived mid-period counts for the days they
were there. A period with no child resident has no rate at all, rather than a raw count posing as
one; the first visit is taken to cover ``FIRST_VISIT_DAYS`` (checklists ask about "the last month").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from visitor.checklist import Checklist
from visitor.model import Child, parse_date

FIRST_VISIT_DAYS = 30
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass
class Measure:
    id: str
    label: str
    kind: str  # count, number, percent, yesno, derived
    rate: bool = False  # a count of events: also shown per child and per 30 days
    better: str = "lower"
    derived: bool = False
    section: str = ""


DERIVED = (
    Measure("children_resident", "Children resident", "derived", better="none", derived=True, section="children"),
    Measure("children_seen_alone", "Seen alone", "derived", better="higher", derived=True, section="children"),
    Measure("children_not_seen_alone", "Not seen alone", "derived", derived=True, section="children"),
    Measure("records_not_available", "Records withheld", "derived", derived=True, section="records"),
    Measure("recommendations_not_met", "Recs not met", "derived", derived=True, section="recommendations"),
)


@dataclass
class Point:
    visit_id: str
    date: str
    value: float | None
    per_child: float | None = None
    per_30_days: float | None = None
    rule_value: float | None = None  # what the rules compare: per child per 30 days for event counts
    exposure: float = 0.0  # child-months this visit's count covers


@dataclass
class Series:
    measure: Measure
    points: list[Point]
    shown_baseline: float | None = None  # computed on the full history, kept when --months trims points

    def values(self) -> list[float | None]:
        return [p.value for p in self.points]

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def previous(self) -> Point | None:
        return self.points[-2] if len(self.points) > 1 else None

    def baseline(self, thresholds) -> float | None:
        """Median of the previous visits' rule values (up to ``baseline_visits`` of them)."""
        if self.shown_baseline is not None:
            return self.shown_baseline
        return baseline_of(self.points, thresholds)

    def change(self) -> float | None:
        latest, previous = self.latest, self.previous
        if not previous or latest is None or latest.value is None or previous.value is None:
            return None
        return latest.value - previous.value

    def direction(self) -> str:
        change = self.change()
        if change is None:
            return "·"
        return "↑" if change > 0 else "↓" if change < 0 else "→"

    def sparkline(self) -> str:
        return sparkline(self.values())


def baseline_of(points: list[Point], thresholds) -> float | None:
    history = [p.rule_value for p in points[:-1][-thresholds.baseline_visits:]
               if p.value is not None and p.rule_value is not None]
    if not history or len(history) < thresholds.baseline_min_history:  # a minimum of 0 still needs one point
        return None
    return median(history)


def measures_for(checklist: Checklist) -> list[Measure]:
    """The checklist's metrics plus the derived ones; counts with a reference rate are events too."""
    from visitor.analysis.references import DEFAULT_RATES

    sections = {i.id: s.id for s in checklist.sections for i in s.items}
    found = [
        Measure(i.id, i.label or i.question, i.kind, rate=(i.rate or i.id in DEFAULT_RATES["default"])
                and i.kind == "count", better=i.better, section=sections.get(i.id, ""))
        for i in checklist.metrics
    ]
    return found + list(DERIVED)


def child_months(children: list[Child], visit_date: str, previous_date: str | None) -> float:
    """Child-months of exposure behind a visit's counts: each child's days resident in the period the
    counts cover (after the previous visit, up to and including this one; the first visit covers
    ``FIRST_VISIT_DAYS``), summed and divided by 30. Children resident the whole period give
    children × days ÷ 30, as before; one who left three days before the visit still counts for the
    days they were there, with the events they were part of."""
    end = parse_date(visit_date)
    start = parse_date(previous_date) if previous_date else end - timedelta(days=FIRST_VISIT_DAYS)
    days = 0
    for child in children:
        first = max(start + timedelta(days=1), parse_date(child.admitted))
        last = min(end, parse_date(child.left)) if child.left else end
        days += max(0, (last - first).days + 1)
    return days / 30


def build(visits: list[dict], children: list[Child], checklist: Checklist):
    """(days since previous visit, children resident, series by measure id) for visits in date order."""
    days: list[int | None] = []
    residents: list[int] = []
    previous = None
    for visit in visits:
        days.append((parse_date(visit["date"]) - parse_date(previous["date"])).days if previous else None)
        residents.append(sum(1 for c in children if c.resident_on(visit["date"])))
        previous = visit
    unmet = _unmet_counts(visits)
    exposures = [child_months(children, v["date"], visits[n - 1]["date"] if n else None) for n, v in enumerate(visits)]
    derived = [_derived(visit, resident, unmet) for visit, resident in zip(visits, residents)]
    series: dict[str, Series] = {}
    for measure in measures_for(checklist):
        points = []
        for visit, gap, resident, exposure, known in zip(visits, days, residents, exposures, derived):
            value = known.get(measure.id) if measure.derived else _answer(measure, visit)
            point = Point(visit["id"], visit["date"], value, rule_value=value, exposure=exposure)
            if measure.rate and value is not None:
                point.per_child = round(value / resident, 2) if resident else None
                point.per_30_days = round(value * 30 / gap, 2) if gap else None
                point.rule_value = value / point.exposure if point.exposure else None
            points.append(point)
        series[measure.id] = Series(measure, points)
    return days, residents, series


def not_yet_known_alone(visit: dict, answers: dict) -> bool:
    """True while a draft does not yet say whether the child was seen alone: not recorded as seen or not, or seen
    and not yet whether alone. Not answered yet is not "not seen alone"; a final visit has every child answered."""
    if visit.get("status") != "draft":
        return False
    return answers.get("seen_alone") not in ("yes", "no", "not known") and answers.get("seen") not in ("no", "not known")


def _derived(visit: dict, resident: int, unmet: dict[str, int]) -> dict[str, float | None]:
    """The derived measures of one visit, worked out once for all of them."""
    answers = visit.get("child_answers", {})
    seen_alone = sum(1 for a in answers.values() if a.get("seen_alone") == "yes")
    # the children whose answers say whether they were seen alone: all of them, except in a draft
    known = sum(1 for a in answers.values() if not not_yet_known_alone(visit, a)) \
        if visit.get("status") == "draft" else resident
    return {"children_resident": resident, "children_seen_alone": seen_alone,
            "children_not_seen_alone": max(known - seen_alone, 0),
            "records_not_available": sum(1 for r in visit.get("records", {}).values()
                                         if r.get("status") == "not made available"),
            "recommendations_not_met": unmet.get(visit["id"], 0)}


def _answer(measure: Measure, visit: dict) -> float | None:
    value = visit.get("answers", {}).get(measure.id)
    if measure.kind == "yesno":
        return {"yes": 1, "no": 0}.get(value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _unmet_counts(visits: list[dict]) -> dict[str, int]:
    return {v["id"]: sum(1 for p in v.get("earlier", {}).values() if p.get("rating") == "not met") for v in visits}


def sparkline(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1
    return "".join(" " if v is None else SPARKS[int((v - low) / span * (len(SPARKS) - 1))] for v in values)
