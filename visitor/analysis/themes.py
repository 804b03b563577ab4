"""Flags merged when they state one fact, and grouped into a few themes with a severity and a headline.

A measure tested against several references and rising is one flag carrying all its evidence; children
not seen alone at this visit, per child across visits and above the home's usual level are one flag
listing the children. Themes are what the dashboard, the walkthrough, the trends screen, the JSON and
the Word reports show, most severe first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from visitor.analysis.rules import HIGH, Flag, is_statistical
from visitor.analysis.words import clip

# (id, label, short name for the dashboard), in the order shown when severities tie.
THEMES = (
    ("voice", "Children's voice and being seen", "voice"),
    ("restraint", "Restraint and restrictive practice", "restraint"),
    ("medication", "Medication", "meds"),
    ("staffing", "Staffing and leadership", "staffing"),
    ("complaints", "Complaints, whistleblowing and allegations", "complaints"),
    ("notifications", "Notifications and outside agencies", "notices"),
    ("records", "Records and openness", "records"),
    ("education", "Education", "school"),
    ("recommendations", "Recommendations", "recs"),
)
LABELS = {t[0]: t[1] for t in THEMES}
SHORT = {t[0]: t[2] for t in THEMES}
ORDER = {t[0]: n for n, t in enumerate(THEMES)}
BY_METRIC = {
    "voice": ("children_not_seen_alone", "children_seen_alone"),
    "restraint": ("restrictive_practice", "restraints", "restraint_injuries", "children_restrained", "longest_restraint_minutes", "seclusion",
                  "sanctions"),
    "medication": ("mar_gaps", "medication_errors", "prn_behaviour"),
    "staffing": ("agency_share", "shifts_below_planned", "vacancies", "registered_manager"),
    "complaints": ("complaints_children", "complaints_parents", "complaints_authorities", "complaints_self_investigated",
                   "whistleblowing", "allegations_against_staff", "parent_concerns_not_logged"),
    "notifications": ("reg40_notifications", "lado_referrals", "police_incidents", "missing_episodes",
                      "hospital_attendances", "incidents_recorded", "self_harm", "safeguarding_events"),
    "records": ("records_not_available",),
    "education": ("education_attendance",),
    "recommendations": ("recommendations_not_met",),
}
THEME_OF_METRIC = {metric: theme for theme, metrics in BY_METRIC.items() for metric in metrics}
THEME_OF_KEY = {"no_advocate": "voice", "silent_complaints": "records", "injury_no_notification": "notifications",
                "hospital_no_incident": "records", "concerns_not_logged": "complaints", "rec_unmet": "recommendations"}
SECTION_THEMES = {"children": "voice", "staffing": "staffing", "restraint": "restraint", "liberty": "restraint",
                  "medication": "medication", "complaints": "complaints", "notifications": "notifications"}
# Rules whose findings about one measure are one fact, in the order their evidence is told.
MERGED_RULES = ("combined", "reference", "peers", "history", "cusum", "any", "staffing", "education", "seen_alone",
                "rising", "baseline")
RULE_ORDER = {rule: n for n, rule in enumerate(MERGED_RULES)}
PHRASES = {"reference": "above the reference rate", "peers": "above peer homes", "history": "above its own history",
           "cusum": "a sustained rise", "rising": "rising", "baseline": "well above its usual level"}


def theme_for(flag: dict | Flag, sections: dict[str, str] | None = None) -> str:
    """The theme of a flag: stored with it; else from its key, its measure or the measure's section."""
    get: Callable[..., Any] = flag.get if isinstance(flag, dict) else lambda k, d=None: getattr(flag, k, d)
    if get("theme"):
        return get("theme")
    prefix = get("key", "").split(":")[0]
    if prefix in THEME_OF_KEY:
        return THEME_OF_KEY[prefix]
    metric = get("metric", "") or ""
    if metric in THEME_OF_METRIC:
        return THEME_OF_METRIC[metric]
    return SECTION_THEMES.get((sections or {}).get(metric, ""), "records")


def merge(findings: list[Flag], sections: dict[str, str] | None = None) -> list[Flag]:
    """One flag per fact: findings about the same measure from the rules in ``MERGED_RULES`` are joined.
    Run at every visit of a replay: a finding alone in its group (most are) skips the joining."""
    groups: dict[str, list[Flag]] = {}
    for finding in findings:
        key = finding.metric if finding.metric and finding.rule in RULE_ORDER else finding.key
        if key == "children_not_seen_alone":
            key = "not_seen_alone"
        elif finding.rule == "advocacy":
            key = "no_advocate"
        group = groups.get(key)
        if group is None:
            groups[key] = [finding]
        else:
            group.append(finding)
    merged = []
    for key, group in groups.items():
        alone = len(group) == 1
        if not alone:
            group.sort(key=lambda f: RULE_ORDER.get(f.rule, 99))
        first = group[0]
        rules = [first.rule] if alone else list(dict.fromkeys(f.rule for f in group))
        if alone:
            evidence, severity, visits, children = first.evidence, first.severity, first.visits, first.children
        else:
            evidence = " ".join(f.evidence for f in group)
            severity = HIGH if any(f.severity == HIGH for f in group) else first.severity
            visits = [v for f in group for v in f.visits]
            children = [c for f in group for c in f.children]
        flag = Flag(key, first.rule, _title(key, group, rules), evidence, severity, sorted(set(visits)), first.metric,
                    list(dict.fromkeys(children)), rules=rules)
        flag.theme = _theme(key, first.metric, sections.get(first.metric or "", "") if sections else "")
        merged.append(flag)
    return merged


def _title(key: str, group: list[Flag], rules: list[str]) -> str:
    """The merged flag's title: the first finding's, with the other rules' phrases, or the group's own."""
    first = group[0]
    extra = [PHRASES[r] for r in rules[1:] if r in PHRASES]
    if extra and first.rule in PHRASES:
        return f"{first.title}; also {', '.join(extra)}"
    if key == "not_seen_alone" and len(group) > 1:
        return "Children not seen alone, some at successive visits"
    if key == "no_advocate" and len(named := {c for f in group for c in f.children}) > 1:
        return f"{len(named)} non-verbal children with no advocate"
    return first.title


@lru_cache(maxsize=1024)
def _theme(key: str, metric: str, section: str) -> str:
    """``theme_for`` a merged flag (it has no theme of its own yet), from what it depends on."""
    prefix = key.split(":")[0]
    if prefix in THEME_OF_KEY:
        return THEME_OF_KEY[prefix]
    if (metric or "") in THEME_OF_METRIC:
        return THEME_OF_METRIC[metric or ""]
    return SECTION_THEMES.get(section, "records")


def group(flags: list[dict]) -> list[dict]:
    """Themes of open flags, most severe first: id, label, short, severity, headline (clipped for a screen
    line), summary (the headline's whole text after the label, for the Word report) and flags (keys)."""
    found: dict[str, list[dict]] = {}
    for flag in flags:
        found.setdefault(theme_for(flag), []).append(flag)
    themes: list[dict] = []
    for theme, members in found.items():
        members = sorted(members, key=lambda f: (f.get("severity") != HIGH, not is_statistical(f),
                                                 f.get("raised_on", ""), f["key"]))
        severity = HIGH if any(f.get("severity") == HIGH for f in members) else "medium"
        titles = [m["title"] for m in members[:2]]
        more = f" and {len(members) - 2} more" if len(members) > 2 else ""
        summary = f"{'; '.join(titles)}{more}"
        themes.append({"id": theme, "label": LABELS.get(theme, theme), "short": SHORT.get(theme, theme),
                       "severity": severity, "headline": clip(f"{LABELS.get(theme, theme)}: {summary}", 140),
                       "summary": summary, "flags": [m["key"] for m in members]})
    themes.sort(key=lambda t: (t["severity"] != HIGH, -len(t["flags"]), ORDER.get(t["id"], 99)))
    return themes
