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
             "child_answers": {"c1": {"seen_alone": "no"}, "c2": {"seen_alone": "yes"}},
             "flagged": ["vacancies"], "notes": {"whistleblowing": "Raised by night staff."}}
    found = {c["key"]: c for c in cl.concerns(visit)}
    assert set(found) == {"whistleblowing", "premises", "seen_alone:c1", "vacancies"}
    assert found["whistleblowing"]["note"] == "Raised by night staff."
    assert found["seen_alone:c1"]["child_id"] == "c1"
    assert found["vacancies"]["manual"]
