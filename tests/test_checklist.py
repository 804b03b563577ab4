import pytest

from visitor import checklist as checklists
from visitor.checklist import ChecklistError
from visitor.model import ValidationError


def test_shipped_checklist_covers_the_domain():
    cl = checklists.load_shipped()
    ids = {i.id for i in cl.items}
    for needed in ("seen_alone", "agency_share", "restraints", "prn_behaviour", "complaints_parents",
                   "whistleblowing", "reg40_notifications", "lado_referrals", "missing_episodes",
                   "hospital_attendances", "sanctions", "locked_doors", "premises", "family_contact",
                   "education_attendance", "registered_manager", "non_instructed_advocacy"):
        assert needed in ids
    kinds = {i.kind for i in cl.items}
    assert kinds == set(checklists.KINDS)
    assert any(i.per_child for i in cl.items)
    assert cl.version >= 1


def _write(tmp_path, body: str):
    path = tmp_path / "bad.toml"
    path.write_text('id = "t"\nversion = 1\ntitle = "T"\n' + body)
    return path


@pytest.mark.parametrize("body, message", [
    ("", "at least one"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n', "has no items"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "colour"\nquestion = "Q"\n',
     "item 'a': 'kind' must be one of"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "count"\n', "item 'a': 'question' is missing"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "count"\nquestion = "Q"\n'
     '[[sections.items]]\nid = "a"\nkind = "count"\nquestion = "Q"\n', "item 'a': the id is used twice"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "choice"\nquestion = "Q"\noptions = ["x"]\n',
     "at least two"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "yesno"\nquestion = "Q"\nconcern = { equals = "maybe" }\n',
     "yes/no concern rule"),
    ('[[sections]]\nid = "s"\ntitle = "S"\n[[sections.items]]\nid = "a"\nkind = "text"\nquestion = "Q"\nmetric = true\n',
     "only yes/no and numeric"),
    ('[[sections]\n', "not valid TOML"),
])
def test_invalid_checklists_name_file_and_item(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(ChecklistError) as info:
        checklists.load_file(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_answers_validate_per_kind():
    cl = checklists.load_shipped()
    assert cl.item("seen_alone").validate_answer("N") == "no"
    assert cl.item("restraints").validate_answer(" 12 ") == 12
    assert cl.item("agency_share").validate_answer("35%") == 35
    for item, bad, message in [("restraints", "-3", "less than 0"), ("restraints", "lots", "whole number"),
                               ("agency_share", "140", "more than 100"), ("premises", "fine", "one of"),
                               ("seen_alone", "perhaps", "one of"), ("longest_restraint_minutes", "nan", "number")]:
        with pytest.raises(ValidationError, match=message):
            cl.item(item).validate_answer(bad)


def test_concern_rules_and_manual_flags():
    cl = checklists.load_shipped()
    visit = {"answers": {"whistleblowing": 2, "locked_doors": "no", "premises": "poor"},
             "child_answers": {"c1": {"seen": "yes", "seen_alone": "no"}, "c2": {"seen": "yes", "seen_alone": "yes"}},
             "flagged": ["vacancies"], "notes": {"whistleblowing": "Raised by night staff."}}
    found = {c["key"]: c for c in cl.concerns(visit)}
    assert set(found) == {"whistleblowing", "premises", "seen_alone:c1", "vacancies"}
    assert found["whistleblowing"]["note"] == "Raised by night staff."
    assert found["seen_alone:c1"]["child_id"] == "c1"
    assert found["vacancies"]["manual"]


FOLLOW = '[[sections]]\nid = "s"\ntitle = "S"\n' \
    '[[sections.items]]\nid = "n"\nkind = "count"\nquestion = "How many?"\n' \
    '[[sections.items]]\nid = "yn"\nkind = "yesno"\nquestion = "Any?"\n'


@pytest.mark.parametrize("item, message", [
    ('when = { item = "ghost", above = 0 }', "unknown item 'ghost'"),
    ('when = { item = "n", equals = "no" }', "must use 'above' or 'below'"),
    ('when = { item = "yn", above = 1 }', "must use its answers"),
    ('when = { item = "yn", equals = "maybe" }', "must use its answers"),
    ('when = { item = "n" }', "exactly one of"),
    ('when = { item = "n", above = 0, below = 3 }', "exactly one of"),
    ('when = { item = "n", above = 0, colour = 1 }', "unknown keys: colour"),
    ('when = "n > 0"', "must name an 'item'"),
])
def test_follow_up_conditions_are_validated(tmp_path, item, message):
    body = FOLLOW + f'[[sections.items]]\nid = "f"\nkind = "yesno"\nquestion = "Follow-up?"\n{item}\n'
    with pytest.raises(ChecklistError, match=message):
        checklists.load_file(_write(tmp_path, body))


def test_follow_up_cycles_are_refused(tmp_path):
    body = '[[sections]]\nid = "s"\ntitle = "S"\n' \
        '[[sections.items]]\nid = "a"\nkind = "yesno"\nquestion = "A?"\nwhen = { item = "b", equals = "yes" }\n' \
        '[[sections.items]]\nid = "b"\nkind = "yesno"\nquestion = "B?"\nwhen = { item = "a", equals = "yes" }\n'
    with pytest.raises(ChecklistError, match="cycle: a → b → a"):
        checklists.load_file(_write(tmp_path, body))


def test_follow_up_applies_only_while_its_whole_chain_holds():
    cl = checklists.load_shipped()
    visit = {"answers": {"restraints": 0}, "child_answers": {"c1": {"seen": "yes", "seen_alone": "no"},
                                                              "c2": {"seen": "no", "seen_alone": "no"}}}
    assert not cl.applies(cl.item("prone_holds"), visit)
    visit["answers"]["restraints"] = 2
    assert cl.applies(cl.item("prone_holds"), visit)
    why = cl.item("not_alone_next_time")
    assert cl.applies(why, visit, "c1")
    assert not cl.applies(why, visit, "c2"), "seen_alone does not apply to a child not seen, so neither does this"
    visit["answers"]["prone_holds"] = "yes"
    assert any(c["item"] == "prone_holds" for c in cl.concerns(visit))
    visit["answers"]["restraints"] = 0
    assert not any(c["item"] == "prone_holds" for c in cl.concerns(visit)), "a hidden item raises no concern"
    assert not any(c["key"] == "seen_alone:c2" for c in cl.concerns(visit))


def test_shipped_checklist_cites_private_interviews_as_44_2_a():
    cl = checklists.load_shipped()
    assert cl.version >= 2
    for item_id in ("seen_alone", "consent"):
        assert "44(2)(a)" in cl.item(item_id).ref
    assert not any("44(3)" in i.ref for i in cl.items), "44(3) is about unannounced visits"


def test_reg44_check_names_a_bad_condition(tmp_path, monkeypatch, store):
    from visitor import check

    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "mine.toml").write_text('id = "mine"\nversion = 1\ntitle = "T"\n' + FOLLOW +
                                      '[[sections.items]]\nid = "f"\nkind = "yesno"\nquestion = "F?"\n'
                                      'when = { item = "nope", above = 0 }\n')
    monkeypatch.setattr(checklists, "shipped_folder", lambda: folder)
    problems, _ = check.check_all(store)
    assert any("mine.toml" in p and "unknown item 'nope'" in p for p in problems), problems
