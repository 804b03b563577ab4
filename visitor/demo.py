"""A fictional demo data set: three homes, a year and more of monthly visits, one drifting into a closed culture.

Every name, code and authority here is invented. Visits are made through the real workflow (start a
draft, answer, finalise), so the demo also exercises the rules a visitor's own visits must pass.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from visitor import checklist as checklists
from visitor import workflow
from visitor.trends import is_enquiry_only
from visitor.model import RECORD_TYPES, Child, Home, ValidationError, open_recommendations
from visitor.store import Store

MONTHS = 13
PROFILE = {
    "name": "Sam Example",
    "organisation": "Example Independent Visiting Ltd (fictional)",
    "contact": "sam@example.invalid",
    "independence": "I am not employed by the provider, do not commission placements and have no financial "
                    "interest in the home. I have no connection with its staff or the children placed there.",
}
HOMES = [
    Home("oak-house", "Oak House", "SC900001", "Evergreen Care Group (fictional)", "Registered manager A",
         "Responsible individual B", "Northshire", 6, "children's home (disabled children)", "2019-04-01"),
    Home("willow-lodge", "Willow Lodge", "SC900002", "Brightpath Homes (fictional)", "Registered manager C",
         "Responsible individual D", "Eastborough", 4, "children's home", "2018-09-15"),
    Home("beech-view", "Beech View", "SC900003", "Brightpath Homes (fictional)", "Registered manager E",
         "Responsible individual D", "Westford", 5, "short breaks", "2020-01-10"),
]
AUTHORITIES = ["Northshire County Council", "Eastborough Council", "Westford City Council", "Southvale Borough Council"]
CHILDREN = {
    "oak-house": [("AB", 0, "non-verbal", "none", 140), ("CD", 1, "limited verbal", "instructed", 25),
                  ("EF", 2, "non-verbal", "non-instructed", 110), ("GH", 0, "verbal", "instructed", 12),
                  ("JK", 3, "non-verbal", "none", 180)],
    "willow-lodge": [("LM", 1, "verbal", "instructed", 8), ("NP", 1, "verbal", "none", 15),
                     ("QR", 2, "limited verbal", "instructed", 30)],
    "beech-view": [("ST", 2, "non-verbal", "non-instructed", 20), ("UV", 3, "verbal", "instructed", 5),
                   ("WX", 2, "verbal", "none", 9), ("YZ", 0, "limited verbal", "instructed", 40)],
}
ENQUIRY_ANSWER = ("Asked the manager how it was handled: it was recorded, reported to the placing authority "
                  "and followed up; I read the records.")
VIEWS = ["Said they like their room and the staff who take them swimming.",
         "Showed me their drawings; smiled when talking about home visits.",
         "Said “I want more time at the park”.",
         "Used their tablet to say they were happy today.",
         "Was calm and engaged during tea; reached for their key worker."]


class DemoExists(ValidationError):
    pass


def _visit_days(today: date) -> list[date]:
    days = []
    for back in range(MONTHS, 0, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        days.append(date(year, month + 1, 12))
    return days


def build(store: Store, *, force: bool = False, today: date | None = None) -> dict:
    """Fill ``store`` with the demo set; refuse if it already holds homes unless ``force``."""
    if {h.id for h in store.homes()} >= {h.id for h in HOMES}:
        raise DemoExists(f"The demo data is already in {store.root}; nothing was changed.")
    if store.homes():
        if not force:
            raise DemoExists(f"{store.root} already holds data: use --force to add the demo homes anyway.")
        existing = {h.id for h in store.homes()}
        if existing & {h.id for h in HOMES}:
            raise DemoExists("The demo homes are already there; nothing was changed.")
    with store.transaction():  # the demo set lands whole or not at all
        today = today or date.today()
        store.set_profile(**PROFILE)
        checklist = checklists.load_shipped()
        days = _visit_days(today)
        for home in HOMES:
            store.add_home(Home(**home.to_dict()))
            for index, (code, authority, comm, advocate, miles) in enumerate(CHILDREN[home.id]):
                admitted = date(days[0].year - (1 if index % 2 else 2), 1 + index, 3)
                store.add_child(home.id, Child(f"{home.id[:3]}-{code.lower()}", home.id, code, AUTHORITIES[authority],
                                               comm, advocate, miles, admitted.isoformat()))
            rng = random.Random(home.id)
            for step, day in enumerate(days):
                visit = store.start_visit(home.id, day.isoformat(), announced=step % 3 == 0)
                _fill(store, visit, checklist, step, rng, drifting=home.id == "oak-house")
                final = workflow.finalise(store, visit, on=min(day + timedelta(days=5), today))  # signed, then sent
                _send(store, final, day, today, last=step == len(days) - 1)
                _respond(store, final, day, today, drifting=home.id == "oak-house")
                if step < len(days) - 1:
                    _enquire(store, home.id, day)
        draft = store.start_visit("willow-lodge", today.isoformat(), announced=False)
        draft["answers"].update({"registered_manager": "yes", "shifts_planned": 62, "shifts_below_planned": 1})
        draft["cursor"] = {"section": "staffing", "field": "a:agency_share"}
        store.save_draft(draft)
    return {"homes": len(HOMES), "visits": len(HOMES) * len(days), "drafts": 1}


def _send(store: Store, final: dict, day: date, today: date, *, last: bool) -> None:
    """Every report went to all its recipients nine days after the visit — except, for the latest visit at
    Beech View, the copy for one placing authority, which the dashboard shows as late."""
    everyone = [r["key"] for r in workflow.required_recipients(store, final)]
    if last and final["home_id"] == "beech-view":
        everyone = everyone[:-1]
    workflow.record_sent(store, final["id"], everyone, min(day + timedelta(days=9), today).isoformat())


def _enquire(store: Store, home_id: str, day: date) -> None:
    """At each visit the visitor asked how each single event flagged (a police incident, a LADO referral…) was
    handled, and closed those flags; at the drifting home each had an answer too, yet the pattern remains."""
    for flag in store.flags(home_id):
        if not flag.get("resolved") and is_enquiry_only(flag):
            workflow.resolve_flag(store, home_id, flag["key"], ENQUIRY_ANSWER, on=day.isoformat())


def _respond(store: Store, final: dict, day: date, today: date, drifting: bool) -> None:
    """The provider answers each recommendation within ten days — except, at the drifting home, the one
    about restraint records, which is never answered (the flag for that shows in the demo)."""
    received = min(day + timedelta(days=10), today).isoformat()
    for number, rec in enumerate(final["recommendations"], 1):
        if drifting and "restraint" in rec["text"]:
            continue
        workflow.record_response(store, final["id"], number, "accepted", "The deputy manager will see to it.",
                                 (day + timedelta(days=28)).isoformat(), "Agreed; I will check at my next visit.",
                                 received)


def _fill(store: Store, visit: dict, checklist: checklists.Checklist, step: int, rng: random.Random,
          drifting: bool) -> None:
    p = step / (MONTHS - 1)
    small = lambda: rng.choice([0, 0, 0, 0, 1])  # noqa: E731 - a healthy home's noise
    # A home where all is well: every yes/no gets the answer that raises no concern (for most "yes"; for
    # "were prone holds used?", "are doors locked?" and their like, "no").
    answers: dict[str, str | int] = {i.id: "no" if i.raises_concern("yes") else "yes" for i in checklist.items
                                     if i.kind == "yesno" and not i.per_child}
    answers["premises"] = "good"
    for item in checklist.items:
        if item.kind == "count" and not item.per_child:
            answers[item.id] = small() if item.rate else 0
    answers.update({"shifts_planned": 62, "shifts_below_planned": rng.choice([0, 1, 2]), "vacancies": rng.choice([0, 1]),
                    "agency_share": rng.choice([5, 8, 10, 12]), "longest_restraint_minutes": rng.choice([1, 2]),
                    "education_attendance": rng.choice([88, 92, 95]), "incidents_recorded": 4,
                    "hospital_attendances": rng.choice([0, 0, 1])})
    restraints = rng.choice([0, 1, 1, 2])
    answers.update(restraints=restraints, restraint_injuries=0, reg40_notifications=rng.choice([0, 1]))
    answers["children_restrained"] = min(restraints, 2)
    notes: dict[str, str] = {"outside_scrutiny": "Social workers and an advocate visited this month."}
    children = [c for c in store.children(visit["home_id"]) if c.resident_on(visit["date"])]
    child_answers = {}
    for n, child in enumerate(children):
        alone = "yes"
        if drifting and step >= 7 and child.communication == "non-verbal":
            alone = "no"
        child_answers[child.id] = {
            "seen": "yes", "seen_alone": alone, "consent": "yes" if alone == "yes" else "not known",
            "communication": "observation of care" if child.communication == "non-verbal" else "spoke with me",
            "views": VIEWS[(n + step) % len(VIEWS)],
        }
        if alone == "no":
            notes[f"seen_alone:{child.id}"] = "Staff said the child was too unsettled to be seen without them."
    opinions = {"safeguarded": {"answer": "yes", "reasons": "Records were complete, children were relaxed with "
                                "staff and spoke freely; restraint is rare, recorded and reviewed."},
                "wellbeing": {"answer": "yes", "reasons": "Children attend school, see their families as planned "
                              "and take part in activities they chose."}}
    records = {key: {"status": "examined", "period": "since the last visit", "notes": ""} for key, _ in RECORD_TYPES[:8]}
    if drifting:
        answers.update({
            "restraints": round(1 + 14 * p ** 1.5), "prn_behaviour": round(10 * p ** 2),
            "agency_share": round(10 + 50 * p), "shifts_below_planned": round(1 + 9 * p),
            "longest_restraint_minutes": round(5 + 25 * p),
            "complaints_children": 1 if step < 4 else 0, "complaints_parents": 1 if step < 3 else 0,
            "complaints_authorities": 0, "hospital_attendances": 3 if step >= 9 else 0,
            "incidents_recorded": 4 if step < 9 else 1, "vacancies": 1 + step // 3,
        })
        answers["children_restrained"] = min(4, 1 + step // 3)
        answers["restraint_injuries"] = 0 if step < 7 else step - 5
        answers["reg40_notifications"] = 1 if step < 6 else 0
        if step >= 8:
            answers["registered_manager"] = "no"
            notes["registered_manager"] = "The registered manager left; an acting manager from another home covers."
        if step >= 9:
            answers["parent_concerns_not_logged"] = 2
            notes["parent_concerns_not_logged"] = "Two parents told me they had complained by phone about bruising."
            answers["restraint_records_complete"] = "no"
            notes["restraint_records_complete"] = "Several records omit duration and what was tried first."
        if step >= 10:
            answers["whistleblowing"] = 1
            notes["whistleblowing"] = "A night worker raised concerns about a child being kept in their room."
            answers["locked_doors"] = "yes"
            notes["locked_doors"] = "The lounge door handle has been raised out of children's reach."
        if step >= 11:
            records["restraint"] = {"status": "not made available", "period": "since the last visit",
                                    "notes": "The acting manager said the restraint log was 'with the area manager'."}
        if step >= 7:
            opinions["safeguarded"] = {"answer": "with reservations", "reasons": "Restraint and PRN use are rising "
                                       "and non-verbal children were not seen alone."}
        if step >= 10:
            opinions["safeguarded"] = {"answer": "no", "reasons": "Rising restraint with injuries not notified, a "
                                       "whistleblowing concern and records withheld."}
            opinions["wellbeing"] = {"answer": "with reservations", "reasons": "Routines now suit staffing rather "
                                     "than children's plans."}
    earlier = {}
    for rec in open_recommendations(store.visits(visit["home_id"])):
        stubborn = drifting and "restraint" in rec["text"]
        earlier[rec["id"]] = {"rating": "not met" if stubborn else "met",
                              "evidence": "Seen in the records." if not stubborn else "No change since last visit."}
    recommendations = []
    if step % 4 == 1:
        recommendations.append({"text": "Update the fire evacuation plan to include the new bedroom.",
                                "reference": "Reg 25; QS 1", "timescale": "Within 4 weeks"})
    if drifting and step == 6:
        recommendations.append({"text": "Review every restraint record with the manager and sign off within 48 hours.",
                                "reference": "Reg 35", "timescale": "By the next visit"})
    visit.update(answers=answers, notes=notes, child_answers=child_answers, opinions=opinions, records=records,
                 earlier=earlier, recommendations=recommendations,
                 people=[{"role": "registered manager", "private": False, "notes": "Discussed the month's events."},
                         {"role": "care staff", "private": True, "notes": "Two staff on shift, spoken to privately."},
                         {"role": "parent or relative", "private": True, "notes": "By phone."}],
                 conflict={"declaration": PROFILE["independence"], "discovered_after": "", "reason_not_declared": ""})
    for concern in checklists.load_shipped().concerns(visit):
        notes.setdefault(concern["key"], "Discussed with the manager at the end of the visit.")
    store.save_draft(visit)
