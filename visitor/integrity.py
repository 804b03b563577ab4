"""Full validation of one stored visit: every part's shape and size, every answer against its checklist.

``Visit.validate`` checks what a visitor types into a draft; a visit that arrives whole (from a bundle) or is
re-read by ``reg44 check`` must also prove that each answer names an item of *its* checklist version and
passes that item's rules (no ``1e308``, ``NaN``, ``-5`` or lists where a count belongs), that per-child
answers name children of the home, and that no part is of the wrong kind or absurd size — values like
these were accepted once and then broke ``export``, ``trends`` and ``visits``.
"""

from __future__ import annotations

from visitor.checklist import YESNO
from visitor.model import (
    MAX_TEXT,
    RECORD_STATUSES,
    ValidationError,
    Visit,
    choice,
    clean_text,
    parse_date,
)
from visitor.workflow import AUDIENCES

# Sizes far beyond any real visit, small enough that nothing downstream chokes on them.
LIMITS = {"corrections": 500, "responses": 2000, "people": 200, "recommendations": 200, "addenda": 500, "distribution": 500, "flagged": 2000,
          "notes": 5000, "answers": 2000, "child_answers": 1000, "records": 100, "earlier": 2000,
          "visitor": 20, "opinions": 10, "conflict": 10, "invalid": 5000}
SHORT = 2000  # a name, a role, a rating, a recipient
ERASED = "[erased]"


class VisitRules:
    """The rules of one checklist version, with its items indexed once (not searched per answer)."""

    def __init__(self, checklist):
        self.checklist = checklist
        self.visit_items = {i.id: (i, _fast_check(i)) for i in checklist.items if not i.per_child}
        self.child_items = {i.id: (i, _fast_check(i)) for i in checklist.items if i.per_child}

    def check(self, raw: object, child_ids: set[str] | None = None) -> dict:
        """The visit as it is to be stored (answers in their stored form), or ``ValidationError``.

        ``child_ids``: the children of the home; per-child answers must name one of them (None: not checked).
        No deep copy is made: the returned dict shares the nested parts of ``raw``.
        """
        visit = Visit.from_dict(raw)
        record = dict(vars(visit))  # every field of the dataclass
        for name, limit in LIMITS.items():
            if name in record and len(record[name]) > limit:
                raise ValidationError(f"'{name}' has {len(record[name]):,} entries; at most {limit:,} are allowed")
        record["answers"] = self._answers(self.visit_items, record["answers"])
        record["child_answers"] = self._child_answers(record["child_answers"], child_ids)
        for key in record["flagged"]:
            _text(key, "a flagged item", SHORT)
        for key, text in record["invalid"].items():
            _text(text, "kept text", MAX_TEXT)
        keys = [*record["notes"], *record["answers"]]
        if not (set(map(type, keys)) <= {str} and max(map(len, keys), default=0) <= SHORT):  # in C: 60 keys a visit
            for key in keys:
                _text(key, "item id", SHORT)
        _flat(record["visitor"], "visitor", SHORT)
        _flat(record["conflict"], "conflict of interest", MAX_TEXT)
        # Visit.validate has checked the ratings, opinions, roles and recommendations' text; here their shape
        for name in ("earlier", "opinions"):
            for entry in record[name].values():
                _flat(entry, name, MAX_TEXT)
        for entry in record["records"].values():
            _flat(entry, "records", MAX_TEXT)
            if entry.get("status"):
                choice(entry["status"], RECORD_STATUSES, "status of a record examined")
        for person in record["people"]:
            _flat(person, "person spoken to", MAX_TEXT)
        for rec in record["recommendations"]:
            _flat(rec, "recommendation", MAX_TEXT)
        for entry in record.get("corrections", []):
            _flat(entry, "correction", MAX_TEXT)
        for entry in record.get("responses", {}).values():
            _flat(entry, "provider's response", MAX_TEXT)
        _flat(record.get("finalised_by", {}), "signature", SHORT)
        _plain(record.get("shared", {}), "record of sharing the draft", 3)
        day = parse_date(record["date"])
        for entry in record["distribution"]:
            _flat(entry, "distribution entry", SHORT)
            clean_text(entry.get("recipient"), "recipient", required=True, limit=SHORT)
            choice(entry.get("audience"), AUDIENCES, "audience of a report sent")
            if parse_date(entry.get("sent_on"), "date a report was sent") < day:
                raise ValidationError("a report cannot have been sent before the visit took place")
        for entry in record["addenda"]:
            if not isinstance(entry, dict):
                raise ValidationError(f"each addendum must be an object (got {type(entry).__name__})")
            affects = entry.get("affects", [])
            if not isinstance(affects, list) or len(affects) > 50 or not all(isinstance(k, str) and len(k) <= SHORT
                                                                             for k in affects):
                raise ValidationError("an addendum's 'affects' must be a short list of recipient keys")
            _flat(entry, "addendum", MAX_TEXT, lists=("affects",))
            clean_text(entry.get("text"), "amendment", required=True)
            if parse_date(entry.get("date"), "date of an addendum") < day:
                raise ValidationError("an addendum cannot be dated before the visit")
        return record

    def _answers(self, items: dict, answers: dict) -> dict:
        checked = {}
        for item_id, value in answers.items():
            found = items.get(item_id)
            if found is None:
                raise ValidationError(f"answers an item {str(item_id)[:60]!r} that its checklist "
                                      f"({self.checklist.id} version {self.checklist.version}) does not have")
            item, accepts = found
            checked[item_id] = value if accepts(value) else item.validate_answer(value)
        return checked

    def _child_answers(self, part: dict, child_ids: set[str] | None) -> dict:
        checked = {}
        for child_id, answers in part.items():
            if child_ids is not None and child_id not in child_ids:
                raise ValidationError(f"has answers for a child {str(child_id)[:60]!r} who is not at the home")
            if not isinstance(answers, dict):
                raise ValidationError("each child's answers must be an object")
            if ERASED not in answers.values():
                checked[child_id] = self._answers(self.child_items, answers)
                continue
            checked[child_id] = self._answers(self.child_items, {k: v for k, v in answers.items() if v != ERASED})
            checked[child_id].update({k: v for k, v in answers.items() if v == ERASED})
        return checked


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text (got {type(value).__name__}).")
    if len(value) > limit:
        raise ValidationError(f"The {what} is too long ({len(value):,} characters; at most {limit:,}).")
    return value


def _flat(part: object, what: str, limit: int, lists: tuple[str, ...] = ()) -> None:
    """An object whose values are text, true/false, whole numbers or empty — nothing nested, nothing huge."""
    if not isinstance(part, dict):
        raise ValidationError(f"each {what} must be an object (got {type(part).__name__})")
    if len(part) > 50:
        raise ValidationError(f"a {what} has {len(part):,} fields; at most 50 are allowed")
    for key, value in part.items():
        if key in lists:
            continue  # checked by the caller
        kind = type(value)
        if kind is str:
            if len(value) > limit:
                raise ValidationError(f"the {what}'s {str(key)[:40]!r} is too long ({len(value):,} characters; "
                                      f"at most {limit:,})")
            if "\x00" in value:  # as everywhere else text is entered (``clean_text``): NUL is dropped
                part[key] = value.replace("\x00", "")
        elif not (value is None or kind is bool or (kind is int and -10**9 < value < 10**9)):
            raise ValidationError(f"the {what}'s {str(key)[:40]!r} must be text, true/false or a small whole "
                                  f"number (got {kind.__name__})")


def _plain(value: object, what: str, depth: int) -> None:
    """Lists and objects at most ``depth`` deep and 500 wide, of text, true/false, small numbers or empty."""
    if isinstance(value, (dict, list)):
        if depth <= 0 or len(value) > 500:
            raise ValidationError(f"the {what} is nested too deeply or too large")
        for child in (value.values() if isinstance(value, dict) else value):
            _plain(child, what, depth - 1)
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValidationError(f"the {what} holds text that is too long")
    elif not (value is None or isinstance(value, bool) or (isinstance(value, int) and -10**9 < value < 10**9)):
        raise ValidationError(f"the {what} holds a value that is not text, true/false or a small whole number")


def _fast_check(item):
    """A quick test that ``item.validate_answer(value)`` would return ``value`` unchanged (the common case);
    values it does not accept go through ``validate_answer`` itself, for the stored form or the message."""
    kind = item.kind
    if kind in ("yesno", "choice"):
        allowed = frozenset(YESNO if kind == "yesno" else item.options)
        return lambda value: type(value) is str and value in allowed
    if kind in ("count", "number", "percent"):
        low = 0 if kind != "number" else item.minimum
        high = int(item.maximum) if kind == "count" else (100 if kind == "percent" else item.maximum)
        return lambda value: type(value) is int and low <= value <= high
    return lambda value: type(value) is str and len(value) <= MAX_TEXT and "\x00" not in value
