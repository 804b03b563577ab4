"""One decision of answered / missing / concern: the walkthrough's progress and concerns panel, the
finalise check, the dashboard summary, the home's visit list and the report agree on every demo visit."""

from __future__ import annotations

import io

import docx

from visitor import completeness, workflow
from visitor.report.audience import Audience
from visitor.report.build import build
from visitor.report.export import report_data
from visitor.tui.app import Reg44App
from visitor.tui.screens.visit import VisitScreen


def _report_concerns(store, visit) -> int:
    """Bullets under the report's "Concerns at this visit" heading (the provider's copy: every child)."""
    data = report_data(store, visit)
    document = docx.Document(io.BytesIO(build(data, Audience("provider", children=data.children))))
    count, inside = 0, False
    for para in document.paragraphs:
        if para.style.name.startswith("Heading"):
            inside = para.text == "Concerns at this visit"
        elif inside and para.style.name == "List Bullet":
            count += 1
    return count


def _all_visits(store):
    for home in store.homes():
        draft = store.draft(home.id)
        yield home, store.visits(home.id) + ([draft] if draft else [])


def test_progress_and_finalise_check_agree_on_every_demo_visit(demo_store):
    for home, visits in _all_visits(demo_store):
        children = demo_store.children(home.id)
        for visit in visits:
            as_draft = {**visit, "status": "draft"}
            earlier = [v for v in demo_store.visits(home.id) if v["date"] < visit["date"]]
            checklist = demo_store.checklist_for(visit)
            progress = completeness.progress(as_draft, checklist, children, earlier)
            unanswered = sum(total - done for done, total in progress.values())
            gaps = completeness.gaps(as_draft, checklist, children, earlier)
            concerns = completeness.concerns(as_draft, checklist)
            no_note = sum(1 for c in concerns if not c["note"].strip())
            invalid = len(visit.get("invalid", {}))
            assert len(gaps) == unanswered + invalid + no_note, (visit["id"], [g.message for g in gaps])
            if visit["status"] == "final":
                assert gaps == [], (visit["id"], [g.message for g in gaps])
            assert gaps == workflow.gaps_for(demo_store, as_draft)


def test_concern_counts_agree_across_dashboard_visit_list_report_and_walkthrough(demo_store):
    expected: dict[str, int] = {}
    for home, visits in _all_visits(demo_store):
        for visit in visits:
            expected[visit["id"]] = len(completeness.concerns(visit, demo_store.checklist_for(visit)))
            if visit["status"] == "final":
                assert _report_concerns(demo_store, visit) == expected[visit["id"]], visit["id"]
        finals = demo_store.visits(home.id)
        if finals:
            assert workflow.summarise(demo_store, home.id)["concerns"] == expected[finals[-1]["id"]]
    assert any(n > 0 for n in expected.values())
    withheld = [v for _, vs in _all_visits(demo_store) for v in vs
                if any(r.get("status") == "not made available" for r in v.get("records", {}).values())]
    assert withheld, "the demo has a visit whose records were not made available: it must count everywhere"
    demo_store.close()

    import asyncio

    async def screens():
        app = Reg44App(demo_store.root)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for row, (home_id, _) in enumerate(app.screen.query_one("#homes").rows):
                dashboard = app.screen
                shown = dashboard.query_one("#homes").rows[row][1]
                latest = [k for k in expected if k.startswith(home_id + "@")]
                finals = sorted(k for k in latest if app.store.visit(k)["status"] == "final")
                if finals:
                    assert str(shown["concerns"]) == str(expected[finals[-1]]), (home_id, shown)
                dashboard.query_one("#homes").move_cursor(row)
                await pilot.press("enter", "2")
                await pilot.pause()
                table = app.screen.query_one("#visits-table")
                for key in table.rows:
                    status = str(table.get_cell(key, table.ordered_columns[1].key))
                    if status == "final":
                        cell = table.get_cell(key, table.ordered_columns[4].key)
                        assert str(cell) == str(expected[key.value]), (key.value, cell)
                await pilot.press("escape")
                await pilot.pause()
            draft = next(k for k in expected if app.store.visit(k)["status"] == "draft")
            app.push_screen(VisitScreen(app.store.visit(draft)))
            await pilot.pause(0.5)
            title = str(app.screen.query_one("#concerns-title").render())
            assert title.startswith(f"Concerns {expected[draft]} "), title

    asyncio.run(screens())


def test_a_visit_started_on_the_old_checklist_version_still_reads_and_renders(store):
    """Version 2 added follow-up questions; a visit begun on version 1 keeps asking what version 1 asked."""
    import copy

    from helpers import add_child, add_home, complete
    from visitor import checklist as checklists

    current = checklists.load_shipped()
    old = copy.deepcopy(current.raw)
    old["version"] = 1
    added = {"prone_holds", "return_interviews_offered", "not_alone_next_time"}
    for section in old["sections"]:
        section["items"] = [i for i in section["items"] if i["id"] not in added]
        for item in section["items"]:
            item.pop("when", None)
    store.snapshot_checklist(checklists.parse(old, "closed-culture v1"))
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = store.start_visit("test-home", "2026-01-10")
    visit["checklist_version"] = 1
    store.save_draft(visit)
    draft = store.draft("test-home")
    assert store.checklist_for(draft).version == 1
    asked = {g.field for g in workflow.gaps_for(store, draft)}
    assert "a:prn_justified" in asked and "a:prone_holds" not in asked, "version 1 asks without conditions"
    final = workflow.finalise(store, complete(store, draft))
    assert final["checklist_version"] == 1
    data = report_data(store, final)
    document = docx.Document(io.BytesIO(build(data, Audience("provider", children=data.children))))
    assert any("PRN" in cell.text for table in document.tables for row in table.rows for cell in row.cells)


def test_a_child_not_seen_is_a_concern_that_needs_its_reason(store):
    from helpers import add_child, add_home, complete, monthly

    add_home(store)
    child = add_child(store, "test-home", "QR")
    visit = complete(store, store.start_visit("test-home", monthly(1)[0]))
    checklist = store.checklist_for(visit)
    children = store.children("test-home")
    assert not completeness.gaps(visit, checklist, children, [])
    visit["child_answers"][child.id]["seen"] = "no"
    [concern] = [c for c in completeness.concerns(visit, checklist) if c["key"] == f"seen:{child.id}"]
    assert concern["message"] == "Child not seen"
    assert any(g.field == f"n:seen:{child.id}" for g in completeness.gaps(visit, checklist, children, [])), \
        "finalising needs the reason the child was not seen"
    visit["notes"][f"seen:{child.id}"] = "In hospital for a planned operation; I will visit on her return."
    assert not completeness.gaps(visit, checklist, children, [])


def test_the_demos_quiet_homes_raise_no_checklist_concern(demo_store):
    """The demo's two homes where all is well answer every question as such a home would: no visit of theirs
    reports a concern (they once read 'Prone or floor holds used' every month, from answering every yes/no
    'yes'), while the drifting home's do."""
    for home in ("beech-view", "willow-lodge"):
        for visit in demo_store.visits(home):
            found = demo_store.checklist_for(visit).concerns(visit)
            assert found == [], (visit["id"], [c["message"] for c in found])
    last = demo_store.visits("oak-house")[-1]
    assert demo_store.checklist_for(last).concerns(last)
