"""One edit to a draft visit, addressed by a field key: validate it and apply it, or keep the raw text.

The app's form widgets each carry a key such as ``a:restraints`` (an answer), ``n:restraints`` (its
note) or ``c:CHILD:seen_alone`` (a per-child answer). Every keystroke becomes ``apply(visit, key, raw)``:
a valid value is stored; an invalid one is kept in ``visit['invalid']`` with the message returned, so
nothing typed is lost and the finalise check can point at it. No Textual here: the CLI and tests use it too.
"""

from __future__ import annotations

from visitor.checklist import Checklist
from visitor.consideration import check_timescale
from visitor.model import (OPINION_ANSWERS, PEOPLE_ROLES, RATINGS, RECORD_STATUSES, ValidationError, choice,
                           clean_text, new_id, STANDARD_KEYS)

OPINION_KEYS = ("safeguarded", "wellbeing")
CONFLICT_KEYS = ("declaration", "discovered_after", "reason_not_declared")
REC_FIELDS = ("text", "reference", "timescale", "standard")
RECORD_FIELDS = ("status", "period", "notes")
PEOPLE_FIELDS = ("role", "private", "notes")


def apply(visit: dict, checklist: Checklist, key: str, raw: object) -> str | None:
    """Apply one edit. Returns None when stored as a valid value, else the message to show."""
    if visit.get("status") != "draft":
        return "This visit is final and read-only: add an addendum instead."
    try:
        _apply(visit, checklist, key, raw)
    except ValidationError as exc:
        visit.setdefault("invalid", {})[key] = raw if isinstance(raw, str) else str(raw)
        _forget(visit, key)
        return str(exc)
    visit.setdefault("invalid", {}).pop(key, None)
    return None


def _forget(visit: dict, key: str) -> None:
    """An answer replaced by invalid text no longer stands: the screen shows the text, not the old value."""
    kind, _, rest = key.partition(":")
    if kind == "a":
        visit["answers"].pop(rest, None)
    elif kind == "c":
        child_id, _, item_id = rest.partition(":")
        visit["child_answers"].get(child_id, {}).pop(item_id, None)


def _empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _apply(visit: dict, checklist: Checklist, key: str, raw: object) -> None:
    kind, _, rest = key.partition(":")
    if kind == "a":
        item = _item(checklist, rest)
        if _empty(raw):
            visit["answers"].pop(item.id, None)
        else:
            visit["answers"][item.id] = item.validate_answer(raw)
    elif kind == "n":
        visit["notes"][rest] = clean_text(raw, "note")
        if not visit["notes"][rest]:
            del visit["notes"][rest]
    elif kind == "c":
        child_id, _, item_id = rest.partition(":")
        item = _item(checklist, item_id)
        answers = visit["child_answers"].setdefault(child_id, {})
        if _empty(raw):
            answers.pop(item.id, None)
        else:
            answers[item.id] = item.validate_answer(raw)
    elif kind == "o":
        which, _, part = rest.partition(":")
        choice(which, OPINION_KEYS, "opinion")
        opinion = visit["opinions"].setdefault(which, {"answer": "", "reasons": ""})
        if part == "answer":
            opinion["answer"] = "" if _empty(raw) else choice(raw, OPINION_ANSWERS, "opinion")
        else:
            opinion["reasons"] = clean_text(raw, "reasons")
    elif kind == "x":
        visit["conflict"][choice(rest, CONFLICT_KEYS, "conflict field")] = clean_text(raw, "declaration")
    elif kind == "e":
        rec_id, _, part = rest.partition(":")
        progress = visit["earlier"].setdefault(rec_id, {"rating": "", "evidence": ""})
        if part == "rating":
            progress["rating"] = "" if _empty(raw) else choice(raw, RATINGS, "progress rating")
        else:
            progress["evidence"] = clean_text(raw, "evidence")
    elif kind == "r":
        index, _, part = rest.partition(":")
        rec = _row(visit["recommendations"], index, "recommendation")
        part = choice(part, REC_FIELDS, "recommendation field")
        if part == "standard":
            rec[part] = "" if _empty(raw) else choice(raw, STANDARD_KEYS, "quality standard")
        elif part == "timescale":
            rec[part] = check_timescale(clean_text(raw, part, limit=5000), visit["date"])
        else:
            rec[part] = clean_text(raw, part, limit=5000)
    elif kind == "p":
        index, _, part = rest.partition(":")
        person = _row(visit["people"], index, "person")
        if part == "role":
            person["role"] = choice(raw, PEOPLE_ROLES, "role")
        elif part == "private":
            if _empty(raw):
                person["private"] = None
            elif isinstance(raw, bool):
                person["private"] = raw
            else:
                person["private"] = choice(raw, ("yes", "no"), "privately") == "yes"
        else:
            person["notes"] = clean_text(raw, "notes")
    elif kind == "rec":
        record_key, _, part = rest.partition(":")
        record = visit["records"].setdefault(record_key, {"status": "", "period": "", "notes": ""})
        if part == "status":
            record["status"] = "" if _empty(raw) else choice(raw, RECORD_STATUSES, "record status")
        else:
            record[choice(part, RECORD_FIELDS, "record field")] = clean_text(raw, part)
    else:
        raise ValidationError(f"Unknown field {key!r}.")


def _item(checklist: Checklist, item_id: str):
    try:
        return checklist.item(item_id)
    except KeyError:
        raise ValidationError(f"The checklist has no item {item_id!r}.") from None


def _row(rows: list, index: str, what: str) -> dict:
    if not index.isdigit() or int(index) >= len(rows):
        raise ValidationError(f"There is no {what} number {index}.")
    return rows[int(index)]


def add_recommendation(visit: dict) -> int:
    visit["recommendations"].append({"id": new_id("r"), "text": "", "reference": "", "timescale": "", "response": "",
                                     "standard": ""})
    return len(visit["recommendations"]) - 1


def add_person(visit: dict, role: str = "care staff") -> int:
    # Whether they were seen in private is left for the visitor to say (reg 44(2): in private only with
    # their consent); a default of "yes" would put a private conversation in the report that never was.
    visit["people"].append({"role": role, "private": None, "notes": ""})
    return len(visit["people"]) - 1


def remove_row(visit: dict, list_name: str, index: int) -> None:
    rows = visit[list_name]
    if 0 <= index < len(rows):
        rows.pop(index)
        visit["invalid"] = {k: v for k, v in visit.get("invalid", {}).items()
                            if not k.startswith(("r:" if list_name == "recommendations" else "p:"))}


def toggle_flag(visit: dict, key: str) -> bool:
    """Mark (or unmark) any item as a concern by hand; returns whether it is now flagged."""
    flagged = visit.setdefault("flagged", [])
    if key in flagged:
        flagged.remove(key)
        return False
    flagged.append(key)
    return True


def current_value(visit: dict, key: str) -> object:
    """What a field shows: the raw invalid text if any, else the stored value."""
    if key in visit.get("invalid", {}):
        return visit["invalid"][key]
    kind, _, rest = key.partition(":")
    if kind == "a":
        return visit["answers"].get(rest)
    if kind == "n":
        return visit["notes"].get(rest, "")
    if kind == "c":
        child_id, _, item_id = rest.partition(":")
        return visit["child_answers"].get(child_id, {}).get(item_id)
    if kind == "o":
        which, _, part = rest.partition(":")
        return visit["opinions"].get(which, {}).get(part, "")
    if kind == "x":
        return visit["conflict"].get(rest, "")
    if kind == "e":
        rec_id, _, part = rest.partition(":")
        return visit["earlier"].get(rec_id, {}).get(part, "")
    if kind in ("r", "p"):
        index, _, part = rest.partition(":")
        rows = visit["recommendations" if kind == "r" else "people"]
        value = rows[int(index)].get(part, "") if index.isdigit() and int(index) < len(rows) else ""
        if kind == "p" and part == "private":
            # stored as true/false (or not yet said), shown and typed as yes/no
            return ("yes" if value else "no") if isinstance(value, bool) else ""
        return value
    if kind == "rec":
        record_key, _, part = rest.partition(":")
        return visit["records"].get(record_key, {}).get(part, "")
    return None
