from datetime import date, timedelta

import pytest

from visitor.model import Child, Home, ValidationError, Visit, check_visit_date, open_recommendations, parse_date


def test_home_validation_messages():
    with pytest.raises(ValidationError, match="name is required"):
        Home("x", "  ").validate()
    with pytest.raises(ValidationError, match="SC123456"):
        Home("x", "X", urn="not a urn").validate()
    with pytest.raises(ValidationError, match="less than 0"):
        Home("x", "X", places=-1).validate()
    with pytest.raises(ValidationError, match="whole number"):
        Home("x", "X", places="lots").validate()
    with pytest.raises(ValidationError, match="future"):
        Home("x", "X", registered_on=(date.today() + timedelta(days=3)).isoformat()).validate()
    assert Home("x", "X", places="4").validate().places == 4


def test_child_is_pseudonymous():
    ok = Child("c1", "h", "AB", "Council", admitted="2020-01-01").validate()
    assert ok.code == "AB"
    with pytest.raises(ValidationError, match="never a full name"):
        Child("c1", "h", "Alexander Bartholomew", "Council", admitted="2020-01-01").validate()
    with pytest.raises(ValidationError, match="before the admission"):
        Child("c1", "h", "AB", "Council", admitted="2020-01-01", left="2019-01-01").validate()
    with pytest.raises(ValidationError, match="less than 0"):
        Child("c1", "h", "AB", "Council", admitted="2020-01-01", distance_miles=-5).validate()
    with pytest.raises(ValidationError, match="advocacy must be one of"):
        Child("c1", "h", "AB", "Council", admitted="2020-01-01", advocate="maybe").validate()


def test_child_resident_on():
    c = Child("c1", "h", "AB", "C", admitted="2020-01-10", left="2020-03-01").validate()
    assert not c.resident_on("2020-01-09")
    assert c.resident_on("2020-02-01")
    assert c.resident_on("2020-03-01")
    assert not c.resident_on("2020-03-02")


def test_visit_date_rules():
    home = Home("h", "Home", registered_on="2020-01-01").validate()
    with pytest.raises(ValidationError, match="future"):
        check_visit_date(home, date.today() + timedelta(days=1), set())
    with pytest.raises(ValidationError, match="registered on 2020-01-01"):
        check_visit_date(home, date(2019, 12, 31), set())
    with pytest.raises(ValidationError, match="one visit a day"):
        check_visit_date(home, date(2021, 5, 5), {"2021-05-05"})
    check_visit_date(home, date(2021, 5, 6), {"2021-05-05"})
    with pytest.raises(ValidationError, match="visit on 2021-05-05, after 2021-05-01.*--backfill"):
        check_visit_date(home, date(2021, 5, 1), {"2021-04-01", "2021-05-05"})
    check_visit_date(home, date(2021, 5, 1), {"2021-04-01", "2021-05-05"}, backfill=True)


def test_a_date_that_does_not_exist_is_named_as_such():
    with pytest.raises(ValidationError, match="'2026-02-30' does not exist: check the day and the month"):
        parse_date("2026-02-30", "visit date")
    with pytest.raises(ValidationError, match="written as YYYY-MM-DD"):
        parse_date("30/02/2026", "visit date")


def test_a_home_entered_by_the_visitor_has_its_urn_places_and_registration():
    full = dict(urn="SC123456", places=4, registered_on="2015-01-01")
    assert Home("x", "X", **full).check_registration().places == 4
    for missing, message in (("urn", "Ofsted URN"), ("places", "how many places"), ("registered_on", "registered")):
        with pytest.raises(ValidationError, match=message):
            Home("x", "X", **{**full, missing: "" if missing != "places" else 0}).check_registration()
    assert Home("x", "X").validate().urn == "", "homes already stored without them still open"


def test_visit_round_trip_and_bad_shapes():
    v = Visit(Visit.make_id("h", "2021-01-01"), "h", "2021-01-01").validate()
    assert Visit.from_dict(v.to_dict()) == v
    with pytest.raises(ValidationError, match="answers must be a mapping"):
        Visit.from_dict({**v.to_dict(), "answers": []})
    with pytest.raises(ValidationError, match="does not match"):
        Visit.from_dict({**v.to_dict(), "id": "h@2020-01-01"})
    with pytest.raises(ValidationError, match="JSON object"):
        Visit.from_dict("nope")
    with pytest.raises(ValidationError, match="missing home_id, date"):
        Visit.from_dict({"id": v.id})


def test_a_record_with_fields_this_version_does_not_know_is_read_without_them():
    v = Visit(Visit.make_id("h", "2021-01-01"), "h", "2021-01-01", notes={"a": "b"}).validate()
    assert Visit.from_dict({**v.to_dict(), "added_later": {"x": 1}}) == v
    assert Child.from_dict({"id": "c1", "home_id": "h", "code": "AB", "placing_authority": "Council",
                            "admitted": "2020-01-01", "added_later": 1}).code == "AB"


def test_open_recommendations_follow_ratings():
    visits = [
        {"id": "h@1", "date": "2021-01-01", "recommendations": [{"id": "r1", "text": "A"}, {"id": "r2", "text": "B"}]},
        {"id": "h@2", "date": "2021-02-01", "earlier": {"r1": {"rating": "met"}, "r2": {"rating": "not met"}},
         "recommendations": []},
    ]
    still = open_recommendations(visits)
    assert [r["id"] for r in still] == ["r2"]
    assert still[0]["progress"]["rating"] == "not met"
