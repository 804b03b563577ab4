"""Every pattern rule on deterministic synthetic series: fires when it should, quiet when it should not."""

from datetime import date, timedelta

import pytest

from visitor import checklist as checklists
from visitor import trends, workflow
from visitor.model import Child
from visitor.trends import Thresholds, analyse, merge_flags

CL = checklists.load_shipped()


def kids(n: int, **kw) -> list[Child]:
    base = dict(communication="verbal", advocate="instructed", admitted="2019-01-01")
    base.update(kw)
    return [Child(f"c{i}", "h", f"K{i}", "Council", **base).validate() for i in range(n)]


def visits(series: dict[str, list], start=date(2021, 1, 10), gap=30, children=None, **extra) -> list[dict]:
    n = max(len(v) for v in series.values())
    out = []
    for i in range(n):
        day = (start + timedelta(days=gap * i)).isoformat()
        answers = {k: v[i] for k, v in series.items() if i < len(v) and v[i] is not None}
        seen = {c.id: {"seen": "yes", "seen_alone": "yes"} for c in (children or [])}
        out.append({"id": f"h@{day}", "date": day, "answers": answers, "child_answers": seen, **extra})
    return out


def keys(v, children=None, t=None):
    return {f.key for f in analyse("h", v, children if children is not None else kids(3), CL, t).flags}


def test_first_visit_has_no_trend_flags_and_no_crash():
    a = analyse("h", visits({"restraints": [5]}, children=kids(3)), kids(3), CL)
    assert a.series["restraints"].change() is None
    assert a.series["restraints"].latest.per_30_days is None
    assert not {k for k in (f.key for f in a.flags) if k.startswith(("rising", "baseline"))}


def test_empty_history():
    a = analyse("h", [], kids(2), CL)
    assert a.flags == [] and a.latest is None


def test_rising_fires_on_three_successive_rises():
    c = kids(3)
    assert "rising:restraints" in keys(visits({"restraints": [1, 3, 6]}, children=c), c)
    assert "rising:restraints" not in keys(visits({"restraints": [1, 3, 3]}, children=c), c)
    assert "rising:restraints" not in keys(visits({"restraints": [6, 3, 1]}, children=c), c)
    assert "rising:restraints" not in keys(visits({"restraints": [0, 1, 2]}, children=c), c), "too small a rise"


def test_rising_is_normalised_for_occupancy():
    c = [Child(f"c{i}", "h", f"K{i}", "C", admitted=adm).validate()
         for i, adm in enumerate(["2019-01-01"] * 3 + ["2021-02-01"] * 3 + ["2021-03-01"] * 4)]
    v = visits({"restraints": [3, 6, 10]}, children=c)
    for visit in v:
        visit["child_answers"] = {x.id: {"seen_alone": "yes"} for x in c}
    a = analyse("h", v, c, CL)
    assert a.residents == [3, 6, 10]
    assert "rising:restraints" not in {f.key for f in a.flags}, "the same rate per child is not a rise"


def test_gap_of_several_months_normalises_per_30_days():
    c = kids(2)
    v = visits({"restraints": [2, 4]}, children=c)
    v[1]["date"] = "2021-05-10"
    v[1]["id"] = "h@2021-05-10"
    a = analyse("h", v, c, CL)
    point = a.series["restraints"].latest
    assert a.days[1] == 120
    assert point.per_30_days == 1.0 and point.per_child == 2.0


def test_baseline_rule():
    c = kids(3)
    assert "baseline:restraints" in keys(visits({"restraints": [2, 1, 2, 2, 1, 2, 9]}, children=c), c)
    assert "baseline:restraints" not in keys(visits({"restraints": [2, 1, 2, 2, 1, 2, 3]}, children=c), c)
    assert "baseline:restraints" not in keys(visits({"restraints": [2, 9]}, children=c), c), "needs history"
    t = Thresholds(baseline_factor=5)
    assert "baseline:restraints" not in keys(visits({"restraints": [2, 1, 2, 2, 1, 2, 9]}, children=c), c, t)


@pytest.mark.parametrize("metric", ["whistleblowing", "allegations_against_staff", "complaints_self_investigated"])
def test_any_event_rules(metric):
    c = kids(2)
    assert f"any:{metric}" in keys(visits({metric: [0, 1]}, children=c), c)
    assert f"any:{metric}" not in keys(visits({metric: [1, 0]}, children=c), c)


def test_children_not_seen_alone_rules():
    c = kids(3)
    v = visits({"restraints": [0, 0, 0]}, children=c)
    assert "not_seen_alone" not in keys(v, c)
    v[2]["child_answers"]["c1"]["seen_alone"] = "no"
    found = keys(v, c)
    assert "not_seen_alone" in found and "child_not_seen_alone:c1" not in found
    v[1]["child_answers"]["c1"]["seen_alone"] = "no"
    a = analyse("h", v, c, CL)
    flag = next(f for f in a.flags if f.key == "child_not_seen_alone:c1")
    assert "{child:c1}" in flag.evidence and "2 successive visits" in flag.evidence
    assert trends.render(flag.evidence, lambda cid: "K1") .startswith("K1 was not seen alone")


def test_non_verbal_without_advocate():
    c = kids(1, communication="non-verbal", advocate="none") + kids(1, communication="non-verbal")
    c[1].id = "other"
    assert "no_advocate:c0" in keys(visits({"restraints": [0]}, children=c), c)
    assert "no_advocate:other" not in keys(visits({"restraints": [0]}, children=c), c)


def test_staffing_rules():
    c = kids(2)
    found = keys(visits({"agency_share": [10, 45], "shifts_below_planned": [0, 6], "registered_manager": ["yes", "no"]},
                        children=c), c)
    assert {"agency_share", "understaffed", "no_registered_manager"} <= found
    quiet = keys(visits({"agency_share": [10, 20], "shifts_below_planned": [0, 2], "registered_manager": ["yes", "yes"]},
                        children=c), c)
    assert not {"agency_share", "understaffed", "no_registered_manager"} & quiet
    assert "agency_share" not in keys(visits({"agency_share": [10, 45]}, children=c), c,
                                      Thresholds(agency_share_percent=50))


def test_recommendation_not_met_across_visits():
    c = kids(1)
    v = visits({"restraints": [0, 0, 0]}, children=c)
    v[0]["recommendations"] = [{"id": "r1", "text": "Fix the rota"}]
    v[1]["earlier"] = {"r1": {"rating": "not met"}}
    assert "rec_unmet:r1" not in keys(v[:2], c)
    v[2]["earlier"] = {"r1": {"rating": "not met"}}
    assert "rec_unmet:r1" in keys(v, c)
    v[2]["earlier"] = {"r1": {"rating": "met"}}
    assert "rec_unmet:r1" not in keys(v, c)


def test_records_not_available():
    c = kids(1)
    v = visits({"restraints": [0]}, children=c, records={"restraint": {"status": "not made available"}})
    assert "records_not_available" in keys(v, c)
    v[0]["records"] = {"restraint": {"status": "examined"}}
    assert "records_not_available" not in keys(v, c)


def test_records_that_do_not_add_up():
    c = kids(2)
    found = keys(visits({"restraint_injuries": [2], "reg40_notifications": [0], "hospital_attendances": [3],
                         "incidents_recorded": [1], "parent_concerns_not_logged": [1]}, children=c), c)
    assert {"injury_no_notification", "hospital_no_incident", "concerns_not_logged"} <= found
    quiet = keys(visits({"restraint_injuries": [2], "reg40_notifications": [2], "hospital_attendances": [1],
                         "incidents_recorded": [4], "parent_concerns_not_logged": [0]}, children=c), c)
    assert not {"injury_no_notification", "hospital_no_incident", "concerns_not_logged"} & quiet


def test_silent_complaints_while_restraint_rises():
    c = kids(2)
    zero = [0, 0, 0, 0]
    assert "silent_complaints" in keys(visits({"restraints": [1, 2, 2, 5], "complaints_children": zero,
                                               "complaints_parents": zero, "complaints_authorities": zero}, children=c), c)
    assert "silent_complaints" not in keys(visits({"restraints": [1, 2, 2, 5], "complaints_children": [0, 1, 0, 0]},
                                                  children=c), c)
    assert "silent_complaints" not in keys(visits({"restraints": [3, 2, 2, 1]}, children=c), c)


def test_flags_persist_until_resolved_and_re_raise_on_new_evidence():
    c = kids(2)
    v = visits({"whistleblowing": [1, 0, 0, 1]}, children=c)
    stored = []
    for i in range(len(v)):
        stored = merge_flags(stored, analyse("h", v[: i + 1], c, CL).flags, v[i])
    wb = [f for f in stored if f["key"] == "any:whistleblowing"]
    assert len(wb) == 1 and wb[0]["raised_on"] == v[0]["date"] and wb[0]["last_seen"] == v[3]["date"]
    stored = merge_flags([], analyse("h", v[:1], c, CL).flags, v[0])
    stored = merge_flags(stored, analyse("h", v[:2], c, CL).flags, v[1])
    assert stored[0]["active"] is False and not stored[0]["resolved"], "stays visible after it stops firing"
    stored[0]["resolved"] = {"on": "2021-02-15", "reason": "Investigated by LADO", "as_of": v[1]["date"]}
    stored = merge_flags(stored, analyse("h", v[:3], c, CL).flags, v[2])
    assert len(trends.open_flags(stored)) == 0
    stored = merge_flags(stored, analyse("h", v, c, CL).flags, v[3])
    assert [f["raised_on"] for f in trends.open_flags(stored)] == [v[3]["date"]]


def test_compare_two_visits():
    c = kids(2)
    a = analyse("h", visits({"restraints": [1, 4, 2]}, children=c), c, CL)
    row = next(r for r in a.compare(a.visits[0]["id"], a.visits[2]["id"]) if r["measure"] == "restraints")
    assert row == {"measure": "restraints", "label": "Restraints", "a": 1, "b": 2, "change": 1}
    assert a.series["restraints"].direction() == "↓"
    assert a.series["restraints"].sparkline() == "▁█▃"


def test_thresholds_from_settings_validate():
    assert Thresholds.from_settings({"agency_share_percent": 40}).agency_share_percent == 40
    with pytest.raises(ValueError, match="Unknown threshold"):
        Thresholds.from_settings({"nonsense": 1})
    with pytest.raises(ValueError, match="non-negative"):
        Thresholds.from_settings({"rising_visits": -1})


def test_demo_drifting_home_flagged_and_healthy_homes_quiet(demo_store):
    oak = {f["key"] for f in trends.open_flags(demo_store.flags("oak-house"))}
    for expected in ("rising:restraints", "rising:prn_behaviour", "agency_share", "any:whistleblowing",
                     "not_seen_alone", "no_registered_manager", "records_not_available", "silent_complaints",
                     "injury_no_notification"):
        assert any(k.startswith(expected) for k in oak), expected
    assert any(k.startswith("rec_unmet:") for k in oak)
    for home in ("willow-lodge", "beech-view"):
        assert len(trends.open_flags(demo_store.flags(home))) <= 2, home


def test_trends_json_is_stable(demo_store):
    a = workflow.analyse_home(demo_store, "oak-house", months=6)
    data = trends.to_json(a, demo_store.flags("oak-house"))
    assert data["format"] == "reg44-trends" and data["version"] == 1
    assert len(data["visits"]) <= 6
    m = next(m for m in data["measures"] if m["id"] == "restraints")
    assert set(m) == {"id", "label", "kind", "normalised", "values", "latest", "previous", "change", "direction",
                      "baseline"}
    assert set(m["values"][0]) == {"visit", "value", "per_child", "per_30_days"}
