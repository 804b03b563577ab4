"""Full validation of one stored visit: every part's shape and size, every answer against its checklist.

``Visit.validate`` checks what a visitor types into a draft; a visit that arrives whole (from a bundle) or is
re-read by ``reg44 check`` must also prove that each answer names an item of *its* checklist version and
passes that item's rules (no ``1e308``, ``NaN``, ``-5`` or lists where a count belongs), that per-child
answers name children of the home, and that no part is of the wrong kind or absurd size — values like
these were accepted once and then broke ``export``, ``trends`` and ``visits``.
"""

from __future__ import annotations

import math

from visitor.checklist import YESNO
from visitor.model import (
    MAX_TEXT,
    RECORD_STATUSES,
    ValidationError,
    Visit,
    choice,
    clean_text,
    parse_date,
    texts_within,
)
from visitor.workflow import AUDIENCES

# Sizes far beyond any real visit, small enough that nothing downstream chokes on them.
LIMITS = {"corrections": 500, "responses": 2000, "people": 200, "recommendations": 200, "addenda": 500, "distribution": 500, "flagged": 2000,
          "notes": 5000, "answers": 2000, "child_answers": 1000, "records": 100, "earlier": 2000,
          "visitor": 20, "opinions": 10, "conflict": 10, "invalid": 5000}
SHORT = 2000  # a name, a role, a rating, a recipient
ERASED = "[erased]"
_RECORD_STATUS_OR_NONE = frozenset({*RECORD_STATUSES, None, "", False})  # (0 == False: no status either)


class VisitRules:
    """The rules of one checklist version, with its items indexed once (not searched per answer)."""

    def __init__(self, checklist):
        self.checklist = checklist
        self.visit_items = {i.id: i for i in checklist.items if not i.per_child}
        self.child_items = {i.id: i for i in checklist.items if i.per_child}
        self.visit_accepts = {i.id: _accepted(i) for i in checklist.items if not i.per_child}
        self.child_accepts = {i.id: _accepted(i) for i in checklist.items if i.per_child}
        # Once an answer is known to name an item, its key needs no check of its own when every id is short text
        self.short_ids = all(type(i.id) is str and len(i.id) <= SHORT for i in checklist.items)

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
        record["answers"] = self._answers(self.visit_items, self.visit_accepts, record["answers"])
        record["child_answers"] = self._child_answers(record["child_answers"], child_ids)
        if record["flagged"] and not texts_within(record["flagged"], SHORT):
            for key in record["flagged"]:
                _text(key, "a flagged item", SHORT)
        if record["invalid"] and not texts_within(record["invalid"].values(), MAX_TEXT):
            for key, text in record["invalid"].items():
                _text(text, "kept text", MAX_TEXT)
        # every answer's key is now an item id: only the notes' keys are left to check when ids are short text
        keys = record["notes"].keys() if self.short_ids else [*record["notes"], *record["answers"]]
        if not texts_within(keys, SHORT):
            for key in keys:
                _text(key, "item id", SHORT)
        self._parts(record)
        self._sent_and_amended(record)
        return record

    def _parts(self, record: dict) -> None:
        """The shape of every part of the visit that holds flat objects (people, records examined, ...)."""
        short = [record["visitor"], record.get("finalised_by", {})]
        long = [record["conflict"], *record["earlier"].values(), *record["opinions"].values(),
                *record["records"].values(), *record["people"], *record["recommendations"],
                *record.get("corrections", []), *record.get("responses", {}).values()]
        if _all_flat(short, SHORT) and _all_flat(long, MAX_TEXT) and \
                {entry.get("status") for entry in record["records"].values()} <= _RECORD_STATUS_OR_NONE \
                and _is_plain(record.get("shared", {}), 3):
            return  # (the same checks one by one, below, for the message)
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

    def _sent_and_amended(self, record: dict) -> None:
        """Each report sent and each addendum: well formed and dated on or after the visit."""
        if not (record["distribution"] or record["addenda"]):
            return
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

    def _answers(self, items: dict, accepted: dict, answers: dict) -> dict:
        if _as_stored(accepted, answers):
            return dict(answers)
        checked = {}
        for item_id, value in answers.items():
            item = items.get(item_id)
            if item is None:
                raise ValidationError(f"answers an item {str(item_id)[:60]!r} that its checklist "
                                      f"({self.checklist.id} version {self.checklist.version}) does not have")
            checked[item_id] = value if _as_stored(accepted, {item_id: value}) else item.validate_answer(value)
        return checked

    def _child_answers(self, part: dict, child_ids: set[str] | None) -> dict:
        checked = {}
        accepted = self.child_accepts
        for child_id, answers in part.items():
            if child_ids is not None and child_id not in child_ids:
                raise ValidationError(f"has answers for a child {str(child_id)[:60]!r} who is not at the home")
            if type(answers) is dict and ERASED not in answers.values() and _as_stored(accepted, answers):
                checked[child_id] = dict(answers)  # (the common case of the lines below, without their calls)
                continue
            if not isinstance(answers, dict):
                raise ValidationError("each child's answers must be an object")
            if ERASED not in answers.values():
                checked[child_id] = self._answers(self.child_items, self.child_accepts, answers)
                continue
            checked[child_id] = self._answers(self.child_items, self.child_accepts,
                                              {k: v for k, v in answers.items() if v != ERASED})
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


def _all_flat(parts: list, limit: int) -> bool:
    """True when ``_flat`` would accept each of ``parts`` as it is (no NUL to drop): objects of at most 50
    fields, each text up to ``limit``, true/false, a small whole number or empty. One loop over all their
    values, no call per part (measured faster than passes in C over values this few); False sends the
    caller through ``_flat`` part by part, for the message."""
    for part in parts:
        if type(part) is not dict or len(part) > 50:
            return False
        for value in part.values():
            kind = type(value)
            if kind is str:
                if len(value) > limit or "\x00" in value:
                    return False
            elif not (value is None or kind is bool or (kind is int and -10**9 < value < 10**9)):
                return False
    return True


def _is_plain(value: object, depth: int) -> bool:
    """Whether ``_plain`` accepts ``value`` (nearly always an empty object: then nothing to walk)."""
    if value == {}:
        return True
    try:
        _plain(value, "", depth)
    except ValidationError:
        return False
    return True


def _accepted(item):
    """What ``item.validate_answer`` returns unchanged, compiled once per checklist version: a frozenset of
    the texts a yes/no or choice item accepts, a range of the whole numbers a count, number or percent item
    accepts, or ``str`` for free text (up to MAX_TEXT, without NUL). Anything else goes through
    ``validate_answer`` itself, for its stored form or its message."""
    kind = item.kind
    if kind in ("yesno", "choice"):
        return frozenset(YESNO if kind == "yesno" else item.options)
    if kind in ("count", "number", "percent"):
        low = 0 if kind != "number" else item.minimum
        high = int(item.maximum) if kind == "count" else (100 if kind == "percent" else item.maximum)
        if not (math.isfinite(low) and math.isfinite(high)):
            return frozenset()  # (a checklist refuses these; whole numbers then go through validate_answer)
        return range(math.ceil(low), math.floor(high) + 1)
    return str


def _as_stored(accepted: dict, answers: dict) -> bool:
    """True when every answer names an item of ``accepted`` (see ``_accepted``) and is already in the form
    ``validate_answer`` would return: one dict lookup and one type test per answer, no call."""
    try:
        for item_id, value in answers.items():
            rule = accepted[item_id]  # (a KeyError, below, for an item the checklist does not have)
            kind = type(value)
            if kind is str:
                if rule is str:
                    if len(value) > MAX_TEXT or "\x00" in value:
                        return False
                elif type(rule) is not frozenset or value not in rule:
                    return False
            elif kind is int:
                if type(rule) is not range or value not in rule:  # (a range tests an int in C, at once)
                    return False
            else:
                return False  # bools, floats, None, lists: validate_answer decides
    except KeyError:
        return False
    return True
