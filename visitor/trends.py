"""Series per measure across successive visits, the patterns of concern they show, and their themes.

The Doncaster review found monthly reports that nobody joined up. This module is the public entry
point of the engine in ``visitor.analysis``: one series per trended measure, counts judged against a
reference rate, peer homes and the home's own history with tests made for small counts, weak signals
added up, flags merged when they state one fact and grouped into themes. Rules are documented in
``docs/TRENDS.md``; every threshold lives in ``Thresholds``, overridable from settings.

Evidence text refers to a child as ``{child:ID}``; ``render`` turns that into their code, or into
"a child" for readers not entitled to know which child (see ``report.audience``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from visitor.analysis import history, themes
from visitor.analysis.references import References
from visitor.analysis.rules import (
    HIGH,
    MEDIUM,
    Context,
    Flag,
    Thresholds,
    is_enquiry_only,
    is_statistical,
)
from visitor.analysis.series import (
    Measure,
    Point,
    Series,
    baseline_of,
    measures_for,
    sparkline,
)
from visitor.analysis.series import build as build_series
from visitor.analysis.words import child as _child  # noqa: F401 - kept for callers of the old helpers
from visitor.analysis.words import clip as _clip  # noqa: F401
from visitor.analysis.words import count as _count  # noqa: F401
from visitor.analysis.words import day as _day
from visitor.analysis.words import num as _num
from visitor.checklist import Checklist, Item
from visitor.model import Child, parse_date

FORMAT_VERSION = 2
merge_flags = history.merge_flags
open_flags = history.open_flags


@dataclass
class Analysis:
    home_id: str
    visits: list[dict]
    series: dict[str, Series]
    flags: list[Flag]
    thresholds: Thresholds
    days: list[int | None]
    residents: list[int]
    context: Context | None = field(default=None, repr=False)  # the full history the flags were computed on
    sections: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def latest(self) -> dict | None:
        return self.visits[-1] if self.visits else None

    @property
    def themes(self) -> list[dict]:
        """Themes of the patterns firing as at the latest visit."""
        return themes.group([f.to_dict() for f in self.flags])

    def replay(self, stored: list[dict], upto: str | None = None) -> list[dict]:
        """The stored flags recomputed visit by visit (see ``analysis.history``)."""
        if self.context is None or not self.context.visits:
            return [f for f in stored if f.get("resolved")]
        return history.replay(self.context, stored, self.sections, upto)

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


def analyse(home_id: str, visits: list[dict], children: list[Child], checklist: Checklist,
            thresholds: Thresholds | None = None, months: int | None = None,
            references: References | None = None) -> Analysis:
    """Every measure and pattern for a home, as at its latest visit (a draft may be passed as latest).

    Patterns are always computed on the whole history; ``months`` only limits the visits and values
    returned for display.
    """
    thresholds = thresholds or Thresholds()
    references = references or References()
    references.min_homes = thresholds.peer_min_homes
    visits = sorted(visits, key=lambda v: v["date"])
    days, residents, series = build_series(visits, children, checklist)
    sections = {i.id: s.id for s in checklist.sections for i in s.items}
    ctx = Context(visits, children, series, residents, thresholds, references)
    flags = history.flags_at(ctx, len(visits) - 1, sections) if visits else []
    for s in series.values():
        s.shown_baseline = baseline_of(s.points, thresholds)
    shown = 0
    if months and visits:
        cutoff = _months_before(parse_date(visits[-1]["date"]), months).isoformat()
        shown = next((n for n, v in enumerate(visits) if v["date"] > cutoff), len(visits))
    shown_series = {k: Series(s.measure, s.points[shown:], s.shown_baseline) for k, s in series.items()}
    return Analysis(home_id, visits[shown:], shown_series, flags, thresholds, days[shown:], residents[shown:],
                    ctx, sections)


# -- presentation helpers ---------------------------------------------------------------------------
_CHILD_TOKEN = re.compile(r"\{child:([A-Za-z0-9_-]+)\}")


_SENTENCE_END = re.compile(r"(?:^|[.!?])\s*$")


def children_in(text: str) -> list[str]:
    """The ids of the children a text's ``{child:ID}`` tokens name, in order."""
    return _CHILD_TOKEN.findall(text)


def render(text: str, name_child) -> str:
    """Replace ``{child:ID}`` tokens using ``name_child(id) -> str``; a name that starts a sentence starts
    with a capital ("Another child was not seen alone", not "another child was")."""
    def name(m: re.Match[str]) -> str:
        label = name_child(m.group(1))
        return label[:1].upper() + label[1:] if _SENTENCE_END.search(text, 0, m.start()) else label
    return _CHILD_TOKEN.sub(name, text)


def themes_of(stored_flags: list[dict]) -> list[dict]:
    """Themes of the open stored flags, most severe first (what the dashboard and reports show)."""
    return themes.group(open_flags(stored_flags))


def to_json(analysis: Analysis, stored_flags: list[dict] | None = None) -> dict:
    """The stable JSON shape of ``reg44 trends --json`` (documented in docs/TRENDS.md)."""
    t = analysis.thresholds
    stored = stored_flags if stored_flags is not None else []
    return {
        "format": "reg44-trends",
        "version": FORMAT_VERSION,
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
        "themes": themes_of(stored) if stored_flags is not None else analysis.themes,
        "flags": stored,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


__all__ = [
    "HIGH",
    "MEDIUM",
    "Analysis",
    "Flag",
    "Item",
    "Measure",
    "Point",
    "References",
    "Series",
    "Thresholds",
    "_day",
    "_num",
    "analyse",
    "is_enquiry_only",
    "is_statistical",
    "measures_for",
    "merge_flags",
    "open_flags",
    "render",
    "sparkline",
    "themes_of",
    "to_json",
]
