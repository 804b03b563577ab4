"""What a visit asks, what is answered, what is missing and what is a concern — decided in one place.

The walkthrough's section progress, the finalise check (app and ``reg44 gaps``), the concerns panel, the
dashboard summary, the home's visit list and the report all read these functions, so they cannot
disagree: a question counted in a section's progress is exactly one the finalise check asks for, and a
concern counted on the dashboard is exactly one listed in the walkthrough and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from visitor.checklist import Checklist
from visitor.model import Child, open_recommendations

OPINIONS = (("safeguarded", "are children effectively safeguarded?"),
            ("wellbeing", "does the home's conduct promote children's well-being?"))


@dataclass(frozen=True)
class Gap:
    section: str  # a checklist section id, or people / earlier / opinion
    field: str  # the item id or form field to focus
    message: str


@dataclass(frozen=True)
class Requirement:
    """One thing the visit must answer before it is finalised; ``answered`` says whether it has."""

    section: str
    field: str
    answered: bool
    message: str  # what the finalise check says while it is missing


def requirements(visit: dict, checklist: Checklist, children: list[Child],
                 earlier_visits: list[dict]) -> list[Requirement]:
    """Every required answer, in walkthrough order. Notes (``text``) items are optional, and an item
    hidden by its ``when`` condition is not required (an answer it already has is kept, not counted)."""
    found: list[Requirement] = []
    answers = visit.get("answers", {})
    resident = [c for c in children if c.resident_on(visit["date"])]
    for section in checklist.sections:
        for child in resident:
            child_answers = visit.get("child_answers", {}).get(child.id, {})
            for item in section.child_items:
                if item.kind == "text" or not checklist.applies(item, visit, child.id):
                    continue
                message = (f"Child {child.code} is not accounted for (seen or not)" if item.id == "seen"
                           else f"{child.code}: not answered: {item.question}")
                found.append(Requirement(section.id, f"c:{child.id}:{item.id}",
                                         child_answers.get(item.id) not in (None, ""), message))
        for item in section.visit_items:
            if item.kind == "text" or not checklist.applies(item, visit):
                continue
            found.append(Requirement(section.id, f"a:{item.id}", answers.get(item.id) not in (None, ""),
                                     f"Not answered: {item.question}"))
    found.append(Requirement("people", "people", bool(visit.get("people")), "No one recorded as spoken to"))
    for rec in open_recommendations(earlier_visits):
        found.append(Requirement("earlier", f"e:{rec['id']}:rating",
                                 bool(visit.get("earlier", {}).get(rec["id"], {}).get("rating")),
                                 f"Earlier recommendation not rated: {rec['text'][:60]}"))
    for n, rec in enumerate(visit.get("recommendations", [])):
        found.append(Requirement("opinion", f"r:{n}:text", bool(str(rec.get("text", "")).strip()),
                                 f"Recommendation {n + 1} has no text: write it or remove it"))
    for key, label in OPINIONS:
        opinion = visit.get("opinions", {}).get(key, {})
        found.append(Requirement("opinion", f"o:{key}:answer", bool(opinion.get("answer")),
                                 f"No opinion given on “{label}”"))
        found.append(Requirement("opinion", f"o:{key}:reasons", bool(str(opinion.get("reasons", "")).strip()),
                                 f"The opinion on “{label}” has no reasons"))
    found.append(Requirement("opinion", "x:declaration",
                             bool(str(visit.get("conflict", {}).get("declaration", "")).strip()),
                             "No conflict-of-interest declaration"))
    return found


def concerns(visit: dict, checklist: Checklist) -> list[dict]:
    """Every concern at a visit: those the checklist's rules raise, those marked by hand, and each kind of
    record the home did not make available. Each has key, item, section, message, note, child_id and
    ``field`` (the form field that holds its note)."""
    found = []
    for concern in checklist.concerns(visit):
        field = f"n:{concern['key']}"
        found.append({**concern, "field": field})
    for key, record in visit.get("records", {}).items():
        if record.get("status") == "not made available":
            found.append({"key": f"rec:{key}", "item": f"rec:{key}", "section": "people",
                          "message": f"Records not made available: {key}", "note": record.get("notes", ""),
                          "child_id": None, "manual": False, "field": f"rec:{key}:notes"})
    return found


def gaps(visit: dict, checklist: Checklist, children: list[Child], earlier_visits: list[dict]) -> list[Gap]:
    """What stops the visit being finalised: unanswered requirements, invalid text, concerns without a note."""
    invalid = visit.get("invalid", {})
    found = [Gap(r.section, r.field, r.message) for r in requirements(visit, checklist, children, earlier_visits)
             if not r.answered and r.field not in invalid]
    for key, raw in invalid.items():
        found.append(Gap(section_of(key, checklist), key, f"“{str(raw)[:40]}” is not a valid answer: correct it"))
    for concern in concerns(visit, checklist):
        if not str(concern["note"]).strip():
            found.append(Gap(concern["section"], concern["field"], f"Concern without a note: {concern['message']}"))
    return found


def progress(visit: dict, checklist: Checklist, children: list[Child],
             earlier_visits: list[dict]) -> dict[str, tuple[int, int]]:
    """(answered, required) per section, counted from the same requirements the finalise check uses."""
    counts: dict[str, tuple[int, int]] = {}
    for r in requirements(visit, checklist, children, earlier_visits):
        done, total = counts.get(r.section, (0, 0))
        counts[r.section] = (done + (r.answered and r.field not in visit.get("invalid", {})), total + 1)
    return counts


def section_of(key: str, checklist: Checklist) -> str:
    """The walkthrough section that holds the field ``key``."""
    kind, _, rest = key.partition(":")
    if kind in ("a", "n", "c"):
        item_id = rest.split(":")[-1] if kind == "c" else rest.split(":")[0]
        try:
            return checklist.item(item_id).section
        except KeyError:
            return checklist.sections[0].id
    return {"o": "opinion", "x": "opinion", "r": "opinion", "e": "earlier", "p": "people", "rec": "people"}.get(kind, "opinion")
