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
            found.append(Gap("opinion", f"{key}-answer", f"No opinion given on “{label}”"))
        elif not opinion.get("reasons", "").strip():
            found.append(Gap("opinion", f"{key}-reasons", f"The opinion on “{label}” has no reasons"))
    if not visit.get("conflict", {}).get("declaration", "").strip():
        found.append(Gap("opinion", "conflict-declaration", "No conflict-of-interest declaration"))
    child_section = checklist.child_items[0].section if checklist.child_items else "children"
    for child in children:
        if not child.resident_on(visit["date"]):
            continue
        answers = visit.get("child_answers", {}).get(child.id, {})
        if not answers.get("seen"):
            found.append(Gap(child_section, f"child-{child.id}", f"Child {child.code} is not accounted for (seen or not)"))
        elif answers.get("seen") == "yes" and not answers.get("seen_alone"):
            found.append(Gap(child_section, f"child-{child.id}", f"Say whether {child.code} was seen alone"))
    for item_id, raw in visit.get("invalid", {}).items():
        item_key = item_id.split(":")[0]
        try:
            section = checklist.item(item_key).section
        except KeyError:
            section = "opinion"
        found.append(Gap(section, item_id, f"“{raw}” is not a valid answer: correct it"))
    for section in checklist.sections:
        for item in section.visit_items:
            if item.kind != "text" and item.id not in visit.get("answers", {}):
                found.append(Gap(section.id, item.id, f"Not answered: {item.question}"))
    for concern in checklist.concerns(visit):
        if not concern["note"].strip():
            found.append(Gap(concern["section"], concern["key"], f"Concern without a note: {concern['message']}"))
    for rec in open_recommendations(earlier_visits):
        if not visit.get("earlier", {}).get(rec["id"], {}).get("rating"):
            found.append(Gap("earlier", rec["id"], f"Earlier recommendation not rated: {rec['text'][:60]}"))
    for key, record in visit.get("records", {}).items():
        if record.get("status") == "not made available" and not record.get("notes", "").strip():
            found.append(Gap("people", f"record-{key}", f"Say what happened when the {key} records were not made available"))
    if not visit.get("people"):
        found.append(Gap("people", "people", "No one recorded as spoken to"))
    return found
