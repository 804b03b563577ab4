"""What a visit still lacks before it can be finalised, each gap pointing at the section and field."""

from __future__ import annotations

from dataclasses import dataclass

from visitor.checklist import Checklist
from visitor.model import Child, open_recommendations


@dataclass(frozen=True)
class Gap:
    section: str  # a checklist section id, or people / earlier / opinion
    field: str  # the item id or form field to focus
    message: str


def gaps(visit: dict, checklist: Checklist, children: list[Child], earlier_visits: list[dict]) -> list[Gap]:
    found: list[Gap] = []
    for key, label in (("safeguarded", "are children effectively safeguarded?"),
                       ("wellbeing", "does the home's conduct promote children's well-being?")):
        opinion = visit.get("opinions", {}).get(key, {})
        if not opinion.get("answer"):
            found.append(Gap("opinion", f"o:{key}:answer", f"No opinion given on “{label}”"))
        elif not opinion.get("reasons", "").strip():
            found.append(Gap("opinion", f"o:{key}:reasons", f"The opinion on “{label}” has no reasons"))
    if not visit.get("conflict", {}).get("declaration", "").strip():
        found.append(Gap("opinion", "x:declaration", "No conflict-of-interest declaration"))
    child_section = checklist.child_items[0].section if checklist.child_items else "children"
    for child in children:
        if not child.resident_on(visit["date"]):
            continue
        answers = visit.get("child_answers", {}).get(child.id, {})
        if not answers.get("seen"):
            found.append(Gap(child_section, f"c:{child.id}:seen", f"Child {child.code} is not accounted for (seen or not)"))
        elif answers.get("seen") == "yes" and not answers.get("seen_alone"):
            found.append(Gap(child_section, f"c:{child.id}:seen_alone", f"Say whether {child.code} was seen alone"))
    for key, raw in visit.get("invalid", {}).items():
        found.append(Gap(section_of(key, checklist), key, f"“{str(raw)[:40]}” is not a valid answer: correct it"))
    for section in checklist.sections:
        for item in section.visit_items:
            if item.kind != "text" and item.id not in visit.get("answers", {}):
                found.append(Gap(section.id, f"a:{item.id}", f"Not answered: {item.question}"))
    for concern in checklist.concerns(visit):
        if not concern["note"].strip():
            found.append(Gap(concern["section"], f"n:{concern['key']}", f"Concern without a note: {concern['message']}"))
    for rec in open_recommendations(earlier_visits):
        if not visit.get("earlier", {}).get(rec["id"], {}).get("rating"):
            found.append(Gap("earlier", f"e:{rec['id']}:rating", f"Earlier recommendation not rated: {rec['text'][:60]}"))
    for key, record in visit.get("records", {}).items():
        if record.get("status") == "not made available" and not record.get("notes", "").strip():
            found.append(Gap("people", f"rec:{key}:notes", f"Say what happened when the {key} records were not made available"))
    if not visit.get("people"):
        found.append(Gap("people", "people", "No one recorded as spoken to"))
    return found


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
