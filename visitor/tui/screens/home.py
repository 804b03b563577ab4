"""One home: its children, its visits and its open recommendations."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from visitor.tui.widgets.footer import KeyFooter
from visitor import workflow
from visitor.model import open_recommendations


class HomeScreen(Screen):
    CSS_PATH = "home.tcss"
    help_title = "Home"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="home.back", tooltip="Back to the dashboard"),
        Binding("v", "visit", "Visit", id="home.visit", tooltip="Start or resume this month's visit"),
        Binding("t", "trends", "Trends", id="home.trends", tooltip="Trends and patterns of concern"),
        Binding("c", "add_child", "Add child", id="home.add_child", tooltip="Add a child (initials or code)"),
        Binding("e", "edit", "Edit", id="home.edit", tooltip="Edit the selected child, or the home"),
        Binding("x", "export", "Export", id="home.export", tooltip="Reports for the selected final visit"),
        Binding("o", "open_visit", "Open visit", id="home.open_visit", tooltip="Read the selected visit"),
        Binding("1", "tab('children')", "Children", show=False, id="home.tab1"),
        Binding("2", "tab('visits')", "Visits", show=False, id="home.tab2"),
        Binding("3", "tab('recs')", "Recommendations", show=False, id="home.tab3"),
    ]

    def __init__(self, home_id: str) -> None:
        super().__init__()
        self.home_id = home_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="home-title", markup=False)
        with TabbedContent(initial="children"):
            with TabPane("1 Children", id="children"):
                yield DataTable(id="children-table", cursor_type="row")
            with TabPane("2 Visits", id="visits"):
                yield DataTable(id="visits-table", cursor_type="row")
            with TabPane("3 Open recommendations", id="recs"):
                yield DataTable(id="recs-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#children-table", DataTable).add_columns("Code", "Placing authority", "Communication",
                                                                 "Advocate", "Miles", "Admitted", "Left")
        self.query_one("#visits-table", DataTable).add_columns("Date", "Status", "Announced", "Report", "Concerns")
        self.query_one("#recs-table", DataTable).add_columns("Made", "Recommendation", "Timescale", "Latest rating")
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        store = self.app.store
        home = store.home(self.home_id)
        self.sub_title = home.name
        self.query_one("#home-title", Static).update(
            f"{home.name} · URN {home.urn or '—'} · {home.setting_type} · {home.places} places · "
            f"manager: {home.registered_manager or '—'}")
        children = self.query_one("#children-table", DataTable)
        children.clear()
        for c in store.children(self.home_id):
            children.add_row(c.code, c.placing_authority, c.communication, c.advocate,
                             "" if c.distance_miles is None else str(c.distance_miles), c.admitted, c.left, key=c.id)
        visits = self.query_one("#visits-table", DataTable)
        visits.clear()
        rule = store.settings()["report_deadline"]
        draft = store.draft(self.home_id)
        if draft:
            visits.add_row(draft["date"], "DRAFT", "yes" if draft["announced"] else "no", "—", "", key=draft["id"])
        final = store.visits(self.home_id)
        for v in reversed(final):
            concerns = len(store.checklist_for(v).concerns(v))
            visits.add_row(v["date"], "final", "yes" if v["announced"] else "no",
                           workflow.report_state(v, rule, self.app.today), str(concerns), key=v["id"])
        recs = self.query_one("#recs-table", DataTable)
        recs.clear()
        for r in open_recommendations(final):
            rating = r["progress"]["rating"] if r["progress"] else "not yet rated"
            recs.add_row(r["visit_date"], r["text"][:60], r.get("timescale", ""), rating, key=r["id"])

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(f"#{tab} DataTable").focus()

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_visit(self) -> None:
        from visitor.tui.screens.visit import open_visit

        open_visit(self.app, self.home_id)

    def action_trends(self) -> None:
        from visitor.tui.screens.trends import TrendsScreen

        self.app.push_screen(TrendsScreen(self.home_id))

    def action_add_child(self) -> None:
        from visitor.tui.screens.forms import child_form

        if self.app.writable():
            self.app.push_screen(child_form(self.app.store, self.home_id), lambda c: c and self.reload())

    def action_edit(self) -> None:
        from visitor.tui.screens.forms import child_form, home_form

        if not self.app.writable():
            return
        if self.query_one(TabbedContent).active == "children" and (child_id := self._selected("#children-table")):
            child = self.app.store.child(self.home_id, child_id)
            self.app.push_screen(child_form(self.app.store, self.home_id, child), lambda c: c and self.reload())
        else:
            home = self.app.store.home(self.home_id)
            self.app.push_screen(home_form(self.app.store, home), lambda h: h and self.reload())

    def _visit_id(self) -> str | None:
        self.query_one(TabbedContent).active = "visits"
        return self._selected("#visits-table")

    def action_open_visit(self) -> None:
        from visitor.tui.screens.visit import VisitScreen

        if visit_id := self._visit_id():
            visit = self.app.store.visit(visit_id)
            self.app.push_screen(VisitScreen(visit))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "visits-table":
            event.stop()
            self.action_open_visit()

    def action_export(self) -> None:
        from visitor.tui.screens.export import ExportScreen

        visit_id = self._visit_id()
        if not visit_id:
            return
        visit = self.app.store.visit(visit_id)
        if visit["status"] != "final":
            self.notify("Finalise the visit before exporting its reports.", severity="warning")
            return
        self.app.push_screen(ExportScreen(visit_id))
