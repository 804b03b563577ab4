"""The report cycle in the real app: share a draft, record the provider's response, record copies sent,
write the six-monthly summary — each through its keys, against real data folders."""

from __future__ import annotations

from datetime import date, timedelta

import docx

from helpers import add_child, add_home, assert_every_key_shown, assert_in_view, complete
from visitor import workflow
from visitor.store import Store
from visitor.tui.app import Reg44App
from visitor.tui.screens.export import ExportScreen
from visitor.tui.screens.home import HomeScreen
from visitor.tui.screens.provider import ProviderScreen

SIZE = (80, 24)


def ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


async def open_home_visits(pilot, row: int = 0) -> HomeScreen:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, HomeScreen)
    screen.query_one("#visits-table").move_cursor(row=row)
    return screen


async def test_share_draft_and_record_a_response(data_dir, tmp_path):
    store = Store(data_dir)
    store.set_profile(name="Pat Visitor", organisation="Visits Ltd")
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", ago(3)))
    visit["recommendations"] = [{"id": "r1", "text": "Fix the rota.", "reference": "Reg 13", "timescale": "1 month"}]
    store.save_draft(visit)
    store.close()
    app = Reg44App(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_home_visits(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#folder").value = str(tmp_path / "out")
        await pilot.press("ctrl+f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "shared for factual accuracy on" in str(app.screen.query_one("#state").render())
        [path] = (tmp_path / "out").glob("*DRAFT for factual accuracy.docx")
        assert docx.Document(path).paragraphs[0].text.startswith("DRAFT")
        await pilot.press("escape")
        await pilot.pause()
        assert "SHARED" in str(app.screen.query_one("#visits-table").get_row_at(0))
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ProviderScreen)
        assert_every_key_shown(app)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        form.query_one("#f-disputed").text = "Two staff, not one."
        form.query_one("#f-outcome").value = "accepted"
        form.query_one("#f-reason").text = "The rota shows two."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "required" in str(form.query_one("#form-error").render()), "an accepted correction says what changed"
        assert_in_view(form.query_one(".dialog"), str(form.query_one("#form-error").render()))
        form.query_one("#f-change").text = "Paragraph on staffing corrected."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ProviderScreen)
        assert "Two staff, not one. — accepted" in str(app.screen.query_one("#corrections").render())
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        form.query_one("#f-response").value = "accepted in part"
        form.query_one("#f-action").text = "Extra night staff [bold]from May[/]"
        form.query_one("#f-by").value = "2026-02-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = str(form.query_one("#form-error").render())
        assert "'2026-02-30'" in message
        assert_in_view(form.query_one(".dialog"), message)
        assert app.focused is form.query_one("#f-by"), "the field at fault has the cursor"
        form.query_one("#f-by").value = ago(-30)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ProviderScreen)
        assert app.screen.query_one("#responses").get_row_at(0)[4] == "accepted in part"
        await pilot.press("escape", "escape")
        await pilot.pause()
        [(key, row)] = app.screen.query_one("#homes").rows
        assert row["draft"] == "shared", "the dashboard shows the draft went for factual accuracy"
    draft = Store(data_dir, readonly=True).draft("test-home")
    assert draft["corrections"][0]["change"] == "Paragraph on staffing corrected."
    assert draft["responses"]["r1"]["action"] == "Extra night staff [bold]from May[/]", "markup kept as typed"


async def test_record_every_missing_copy_and_write_the_summary(demo_store, tmp_path):
    visit = demo_store.visits("beech-view")[-1]
    sent = len(workflow.distribution_status(demo_store, visit).sent)  # the demo left one copy unsent
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dashboard = app.screen
        row = next(r for key, r in dashboard.query_one("#homes").rows if key == "beech-view")
        total = len(workflow.required_recipients(app.store, visit))
        assert 0 < sent < total and row["report"] in (f"{sent}/{total} sent", f"{sent}/{total} LATE")
        assert "still to send to" in str(dashboard.query_one("#legend").render())
        await open_home_visits(pilot)
        await pilot.press("x")
        await pilot.pause()
        export = app.screen
        export.query_one("#recipient").value = "*"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert f"{total}/{total} sent." in str(export.query_one("#sent").render())
        assert "Distributed" in str(export.query_one("#state").render())
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        form.query_one("#f-audience").value = "all"
        form.query_one("#f-folder").value = str(tmp_path / "sum")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("escape")
        await pilot.pause()
        row = next(r for key, r in app.screen.query_one("#homes").rows if key == "beech-view")
        assert row["report"] == "sent"
    written = sorted(p.name for p in (tmp_path / "sum").glob("*.docx"))
    assert len(written) >= 3 and all("Reg44 summary" in name for name in written)
