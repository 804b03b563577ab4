"""``integrity.VisitRules`` accepts what is already in stored form through quick tests, and goes through the
checks one by one only when one of those fails (for the stored form or the message). These tests hold the
quick tests to the one-by-one checks: for a visit broken in each way a check exists for, both routes must
refuse it with the same message, or store the same record; and each quick test, on its own, never accepts a
value the check it stands for would change or refuse."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visitor import checklist as checklists
from visitor import integrity, model
from visitor.integrity import ERASED, SHORT, VisitRules
from visitor.model import MAX_TEXT, ValidationError


def _bundle_visit() -> tuple[dict, set[str]]:
    """A finalised visit as the benchmark writes it (every part filled), and its home's children."""
    from visitor.bench.dataset import bundle as make_bundle

    entry = make_bundle(1, 2, seed=7)["homes"][0]
    visit = next(v for v in entry["visits"] if v["recommendations"])
    return visit, {c["id"] for c in entry["children"]}


VISIT, CHILDREN = _bundle_visit()
CHILD = min(CHILDREN)
RULES = VisitRules(checklists.load_shipped(VISIT["checklist_id"]))


def _item(kind: str, per_child: bool = False) -> str:
    return next(i.id for i in RULES.checklist.items if i.kind == kind and i.per_child == per_child)


def _set(*path, value):
    """A mutation putting ``value`` at ``path`` inside the visit."""
    def mutate(visit):
        node = visit
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def _add(part, value):
    return lambda visit: visit[part].append(value)


COUNT, PERCENT, NUMBER = _item("count"), _item("percent"), _item("number")
YESNO, CHOICE, TEXT = _item("yesno"), _item("choice"), _item("text")
CHILD_CHOICE, CHILD_TEXT = _item("choice", True), _item("text", True)
RECORD = min(VISIT["records"])

# Each way a stored visit can be wrong (or right but not in stored form) that VisitRules or Visit.validate
# looks for; the quick route must end exactly where the one-by-one route does.
MUTATIONS = {
    "as written": lambda visit: None,
    "too many flagged": _set("flagged", value=["x"] * (integrity.LIMITS["flagged"] + 1)),
    "too many people": _set("people", value=[{"role": "care staff"}] * (integrity.LIMITS["people"] + 1)),
    "too many notes": _set("notes", value={f"n{i}": "" for i in range(integrity.LIMITS["notes"] + 1)}),
    "unknown item": _set("answers", "no_such_item", value="yes"),
    "per-child item as visit item": _set("answers", CHILD_CHOICE, value="spoke with me"),
    "choice not an option": _set("answers", CHOICE, value="splendid"),
    "choice not text": _set("answers", CHOICE, value=1),
    "yes/no in capitals": _set("answers", YESNO, value=" Yes "),
    "yes/no as a list": _set("answers", YESNO, value=["yes"]),
    "count below zero": _set("answers", COUNT, value=-5),
    "count too large": _set("answers", COUNT, value=10**12),
    "count true": _set("answers", COUNT, value=True),
    "count as a float": _set("answers", COUNT, value=2.0),
    "count as text": _set("answers", COUNT, value="3"),
    "count NaN": _set("answers", COUNT, value=math.nan),
    "count huge float": _set("answers", COUNT, value=1e308),
    "percent over 100": _set("answers", PERCENT, value=101),
    "percent at 100": _set("answers", PERCENT, value=100),
    "number as a decimal": _set("answers", NUMBER, value=2.345),
    "number below its minimum": _set("answers", NUMBER, value=-1),
    "number None": _set("answers", NUMBER, value=None),
    "text with NUL": _set("answers", TEXT, value="a\x00b"),
    "text too long": _set("answers", TEXT, value="x" * (MAX_TEXT + 1)),
    "text a number": _set("answers", TEXT, value=5),
    "child not at the home": _set("child_answers", "c-elsewhere", value={}),
    "child answers a list": _set("child_answers", CHILD, value=["yes"]),
    "child choice not an option": _set("child_answers", CHILD, CHILD_CHOICE, value="telepathy"),
    "child unknown item": _set("child_answers", CHILD, "no_such_item", value="yes"),
    "child visit-level item": _set("child_answers", CHILD, COUNT, value=1),
    "child answer erased": _set("child_answers", CHILD, CHILD_CHOICE, value=ERASED),
    "child text with NUL": _set("child_answers", CHILD, CHILD_TEXT, value="a\x00b"),
    "flagged not text": _set("flagged", value=[3]),
    "flagged too long": _set("flagged", value=["x" * (SHORT + 1)]),
    "kept text not text": _set("invalid", COUNT, value=["x"]),
    "kept text too long": _set("invalid", COUNT, value="x" * (MAX_TEXT + 1)),
    "note key too long": _set("notes", "k" * (SHORT + 1), value="text"),
    "note with NUL": _set("notes", TEXT, value="a\x00b"),
    "note None": _set("notes", TEXT, value=None),
    "note a number": _set("notes", TEXT, value=7),
    "visitor nested": _set("visitor", "name", value=["x"]),
    "visitor name too long": _set("visitor", "name", value="x" * (SHORT + 1)),
    "visitor with NUL": _set("visitor", "name", value="a\x00b"),
    "conflict huge number": _set("conflict", "declaration", value=10**10),
    "conflict a float": _set("conflict", "declaration", value=1.5),
    "conflict small number": _set("conflict", "declaration", value=12),
    "earlier not an object": _set("earlier", "r0", value="met"),
    "earlier nested": _set("earlier", "r0", value={"rating": "met", "notes": {"a": 1}}),
    "opinion nested": _set("opinions", "safeguarded", "reasons", value=[1]),
    "record status unknown": _set("records", RECORD, "status", value="lost"),
    "record status empty": _set("records", RECORD, "status", value=""),
    "record status zero": _set("records", RECORD, "status", value=0),
    "record status false": _set("records", RECORD, "status", value=False),
    "record status true": _set("records", RECORD, "status", value=True),
    "record status a list": _set("records", RECORD, "status", value=["examined"]),
    "record not an object": _set("records", RECORD, value="examined"),
    "record too wide": _set("records", RECORD, value={f"f{i}": "" for i in range(51)}),
    "record notes with NUL": _set("records", RECORD, "notes", value="a\x00b"),
    "record notes too long": _set("records", RECORD, "notes", value="x" * (MAX_TEXT + 1)),
    "person nested": _add("people", {"role": "care staff", "notes": {"x": 1}}),
    "person no role": _add("people", {"notes": "x"}),
    "recommendation nested": _set("recommendations", 0, "timescale", value=["soon"]),
    "recommendation text blank": _set("recommendations", 0, "text", value="  "),
    "correction not an object": _add("corrections", "oops"),
    "correction nested": _add("corrections", {"field": "x", "was": [1]}),
    "response a float": _set("responses", "r0", value={"response": "accepted", "score": 0.5}),
    "signature too long": _set("finalised_by", value={"name": "x" * (SHORT + 1)}),
    "shared too deep": _set("shared", value={"a": {"b": {"c": {"d": 1}}}}),
    "shared shallow": _set("shared", value={"with": ["manager"], "on": "2020-01-01"}),
    "sent to no one": _add("distribution", {"recipient": "", "audience": "ofsted", "sent_on": "2030-01-01"}),
    "sent to an unknown audience": _add("distribution", {"recipient": "Ofsted", "audience": "press",
                                                         "sent_on": "2030-01-01"}),
    "sent in good order": _add("distribution", {"recipient": "Ofsted", "audience": "ofsted", "sent_on": "2030-01-01"}),
    "addendum in good order": _add("addenda", {"date": "2030-01-01", "reason": "R", "text": "T",
                                               "affects": ["ofsted"]}),
    "sent before the visit": _add("distribution", {"recipient": "Ofsted", "audience": "ofsted",
                                                   "sent_on": "2000-01-01"}),
    "addendum before the visit": _add("addenda", {"date": "2000-01-01", "reason": "R", "text": "T"}),
    "addendum affects a number": _add("addenda", {"date": "2030-01-01", "reason": "R", "text": "T",
                                                  "affects": [5]}),
    "answers a list": _set("answers", value=[]),
    "people an object": _set("people", value={}),
}


def _outcome(raw: dict) -> tuple[str, object]:
    try:
        return "stored", RULES.check(raw, CHILDREN)
    except ValidationError as exc:
        return "refused", str(exc)


def _one_by_one(monkeypatch) -> None:
    """Make every quick test say no, so every visit goes through the checks one by one."""
    for module, name in ((integrity, "_as_stored"), (integrity, "_all_flat"), (integrity, "texts_within"),
                         (integrity, "_is_plain"), (model, "texts_within")):
        monkeypatch.setattr(module, name, lambda *args, **options: False)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_quick_route_ends_where_the_checks_one_by_one_do(monkeypatch, name):
    raw = copy.deepcopy(VISIT)
    MUTATIONS[name](raw)
    quick_raw, slow_raw = copy.deepcopy(raw), copy.deepcopy(raw)
    quick = _outcome(quick_raw)
    with monkeypatch.context() as patched:
        _one_by_one(patched)
        slow = _outcome(slow_raw)
    assert quick == slow
    assert quick_raw == slow_raw  # (NUL dropped in place from the same parts, and nothing else changed)


# The mutations a visit survives, and the stored form of the value each one put in (None: as it was put).
SURVIVED = {"as written": None, "yes/no in capitals": ("answers", YESNO, "yes"),
            "count as a float": ("answers", COUNT, 2), "count as text": ("answers", COUNT, 3),
            "number as a decimal": ("answers", NUMBER, 2.35), "percent at 100": ("answers", PERCENT, 100), "text with NUL": ("answers", TEXT, "ab"),
            "note with NUL": ("notes", TEXT, "ab"), "note None": ("notes", TEXT, ""),
            "visitor with NUL": ("visitor", "name", "ab"), "record notes with NUL": None,
            "conflict small number": ("conflict", "declaration", 12), "record status empty": None,
            "record status zero": None, "record status false": None, "shared shallow": None,
            "child answer erased": None, "child text with NUL": None, "sent in good order": None,
            "addendum in good order": None}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_kind_of_breakage_is_refused_and_each_stored_form_kept(name):
    """The corpus means something: each broken visit is refused; the others are stored, in stored form."""
    raw = copy.deepcopy(VISIT)
    MUTATIONS[name](raw)
    kind, result = _outcome(raw)
    if name not in SURVIVED:
        assert kind == "refused", name
        return
    assert kind == "stored", (name, result)
    if SURVIVED[name]:
        part, key, value = SURVIVED[name]
        assert result[part][key] == value and type(result[part][key]) is type(value)
    if name == "as written":
        assert result["answers"] == VISIT["answers"] and result["child_answers"] == VISIT["child_answers"]
        assert result["answers"] is not raw["answers"]  # a visit's answers are the record's own, as before


VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                   st.text(max_size=8), st.sampled_from(["yes", "no", "not known", "good", "poor", " Yes", ERASED,
                                                         "a\x00b", "x" * (MAX_TEXT + 1)]),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(item=st.sampled_from(RULES.checklist.items), value=VALUES)
def test_an_answer_passes_quickly_only_when_validate_answer_keeps_it_as_it_is(item, value):
    accepted = RULES.child_accepts if item.per_child else RULES.visit_accepts
    if integrity._as_stored(accepted, {item.id: value}):
        kept = item.validate_answer(value)
        assert kept == value and type(kept) is type(value)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 * 10**9, max_value=2 * 10**9),
                    st.floats(), st.text(max_size=6), st.sampled_from(["a\x00", "x" * 41]))
FLAT = st.dictionaries(st.text(max_size=3), st.one_of(SCALARS, st.lists(SCALARS, max_size=2),
                                                      st.dictionaries(st.text(max_size=2), SCALARS, max_size=2)),
                       max_size=4)


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.one_of(FLAT, SCALARS, st.lists(SCALARS, max_size=2)), max_size=4))
def test_flat_parts_pass_quickly_only_when_flat_accepts_them_unchanged(parts):
    if integrity._all_flat(parts, 40):
        before = copy.deepcopy(parts)
        for part in parts:
            integrity._flat(part, "part", 40)
        assert parts == before


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.text(max_size=5), st.sampled_from(["x" * 41, "a\x00"]), st.integers(),
                                 st.none(), st.booleans()), max_size=4))
def test_texts_pass_quickly_only_when_each_is_text_within_the_limit(values):
    assert model.texts_within(values, 40) == all(type(v) is str and len(v) <= 40 for v in values)
    assert model.texts_within(values, 40, nul=False) == all(type(v) is str and len(v) <= 40 and "\x00" not in v
                                                            for v in values)
