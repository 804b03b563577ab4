"""The start-up screen: read once, draw only what is on screen, use the room a wide terminal gives."""

from __future__ import annotations

from helpers import add_home
from rich.cells import cell_len

from visitor.store import Store
from visitor.tui.app import Reg44App
from visitor.tui.screens.dashboard import DashboardScreen
from visitor.tui.widgets.homes_table import Column, HomesTable


def _homes(data_dir, count: int):
    store = Store(data_dir)
    for n in range(count):
        add_home(store, f"home-{n:02d}", f"Home {n:02d}", urn=f"SC{100000 + n}")
    store.close()
    return data_dir


def _screen_lines(table: HomesTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_dashboard_reads_the_data_once_at_start_up(data_dir, monkeypatch):
    _homes(data_dir, 2)
    calls = []
    real = DashboardScreen.reload
    monkeypatch.setattr(DashboardScreen, "reload", lambda self: (calls.append(1), real(self)))
    app = Reg44App(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#homes").row_count == 2
        assert len(calls) == 1
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert len(calls) == 2, "read again on coming back (a home may have changed)"


async def test_table_draws_only_the_visible_rows_and_keeps_the_cursor_in_view(data_dir, monkeypatch):
    _homes(data_dir, 1)
    app = Reg44App(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#homes", HomesTable)
        table.set_rows([(f"k{n}", {"name": f"Row {n}", "recs": str(n)}) for n in range(5000)])
        await pilot.pause()
        drawn = []
        real_line = HomesTable._line
        monkeypatch.setattr(HomesTable, "_line", lambda self, values, widths: (drawn.append(values[0]),
                                                                               real_line(self, values, widths))[1])
        table.refresh()
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_key == "k4999"
        lines = _screen_lines(table)
        assert lines[0].lstrip().startswith("Home"), "the header stays on top"
        assert any(line.lstrip().startswith("Row 4999 ") for line in lines)
        assert len(drawn) < 4 * table.size.height, f"drew {len(drawn)} lines for {table.size.height} on screen"
        await pilot.press("home", "pagedown", "down")
        await pilot.pause()
        assert table.selected_key == f"k{table.size.height - 2 + 1}"
        assert any(line.lstrip().startswith(f"Row {table.size.height - 1} ") for line in _screen_lines(table))


async def test_columns_are_data_and_growing_ones_take_the_room_of_a_wide_terminal(data_dir):
    _homes(data_dir, 1)
    app = Reg44App(data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#homes", HomesTable)
        home_width = table.widths(table.scrollable_content_region.width)[0]
        assert home_width > table.columns[0].width
        long_name = "A home whose name is much longer than nineteen letters"
        table.columns = (*table.columns, Column("themes", "Themes", 8, grow=True))
        table.set_rows([("x", {"name": long_name, "themes": "staffing, 歌 wide"})])
        await pilot.pause()
        header, row = _screen_lines(table)[:2]
        assert "Themes" in header
        assert long_name[:30] in row and "staffing" in row
        assert cell_len(row) == cell_len(header), "a wide character takes two cells, and the line stays aligned"


async def test_names_with_control_characters_or_markup_stay_on_one_line(data_dir):
    _homes(data_dir, 1)
    app = Reg44App(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#homes", HomesTable)
        table.set_rows([("x", {"name": "Kent [/] \x1b[31mred\nsecond"}), ("y", {"name": "Next"})])
        await pilot.pause()
        lines = _screen_lines(table)
        assert lines[1].lstrip().startswith("Kent [/] ?[31m"), "shown as text, the escape made harmless"
        assert lines[2].lstrip().startswith("Next")


def test_themes_cell_names_the_most_severe_theme_whenever_it_fits():
    from visitor.tui.screens.dashboard import THEMES_WIDTH, themes_cell

    def theme(short, severity="high"):
        return {"short": short, "severity": severity}

    many = [theme("restraint")] + [theme("voice")] * 7
    assert themes_cell(many) == "restraint ▲+7" and len(themes_cell(many)) <= THEMES_WIDTH
    assert themes_cell([theme("voice"), theme("meds", "medium"), theme("staffing")]) == "voice ▲ +2"
    assert themes_cell([theme("voice"), theme("meds", "medium")]) == "voice ▲ meds"
    assert themes_cell([theme("notices")] * 3) == "notices ▲ +2"
    assert themes_cell([]) == ""
    for n in range(1, 10):
        assert len(themes_cell([theme("recommendations")] * n)) <= THEMES_WIDTH
