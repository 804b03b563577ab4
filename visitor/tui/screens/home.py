"""One home: its children, its visits and its open recommendations."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from visitor.tui.widgets.key_line import KeyLine
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
        Binding("p", "provider", "Provider", id="home.provider",
                tooltip="Factual corrections and the provider's responses for the selected visit"),
        Binding("s", "summary", "Summary", id="home.summary",
                tooltip="Write the six-monthly summary of this home's reports (reg 45)"),
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
        yield KeyLine()

    def on_mount(self) -> None:
        # Long text columns get the width the terminal leaves and wrap, so nothing is cut off at 80 columns.
        spare = self.app.size.width - 4
        children = self.query_one("#children-table", DataTable)
        authority = max(14, min(30, spare - 62))
        # the column's name fits its width: "Placing authority" was cut to "Placing author" at 80 columns
        for label, width in (("Code", None), ("Placing authority" if authority >= 17 else "Authority", authority),
                             ("Communication", 14), ("Advocate", 14), ("Miles", None), ("Admitted", None),
                             ("Left", None)):
            children.add_column(label, width=width)
        self.query_one("#visits-table", DataTable).add_columns("Date", "State", "Announced", "Report", "Concerns")
        recs = self.query_one("#recs-table", DataTable)
        for label, width in (("Made", 10), ("Recommendation", max(20, spare - 52)), ("Timescale", 16),
                             ("Latest rating", 14)):
            recs.add_column(label, width=width)
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        from visitor.storage import DataFileError

        try:
            self._fill()
        except DataFileError as exc:  # broken since the dashboard read it: back there, where R restores
            self.app.pop_screen()
            dashboard = self.app.screen
            dashboard.suspects.add(self.home_id)
            dashboard.show_broken(exc)
            self.app.notify(str(exc), title="A data file cannot be read", severity="error", timeout=15)

    def _fill(self) -> None:
        store = self.app.store
        home = store.home(self.home_id)
        self.sub_title = home.name
        self.query_one("#home-title", Static).update(
            f"{home.name} · URN {home.urn or '—'} · {home.setting_type} · {home.places} places · "
            f"manager: {home.registered_manager or '—'}")
        children = self.query_one("#children-table", DataTable)
        children.clear()
        for c in store.children(self.home_id):
            children.add_row(*(Text(str(v)) for v in (c.code, c.placing_authority, c.communication, c.advocate,
                                                      "" if c.distance_miles is None else c.distance_miles,
                                                      c.admitted, c.left)), key=c.id, height=None)
        visits = self.query_one("#visits-table", DataTable)
        visits.clear()
        rule = store.settings()["report_deadline"]
        draft = store.draft(self.home_id)
        if draft:
            visits.add_row(draft["date"], workflow.cycle_state(draft).upper(), "yes" if draft["announced"] else "no",
                           "—", "", key=draft["id"])
        final = store.visits(self.home_id)
        for v in reversed(final):
            concerns = len(workflow.concerns_for(store, v))
            status = workflow.distribution_status(store, v)
            visits.add_row(v["date"], workflow.cycle_state(v, status), "yes" if v["announced"] else "no",
                           workflow.report_state(v, rule, self.app.today, status), str(concerns), key=v["id"])
        recs = self.query_one("#recs-table", DataTable)
        recs.clear()
        for r in open_recommendations(final):
            rating = r["progress"]["rating"] if r["progress"] else "not yet rated"
            recs.add_row(r["visit_date"], Text(r["text"]), Text(r.get("timescale", "")), Text(rating), key=r["id"],
                         height=None)

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
        self.app.push_screen(ExportScreen(visit_id))

    def action_provider(self) -> None:
        from visitor.tui.screens.provider import ProviderScreen

        if visit_id := self._visit_id():
            self.app.push_screen(ProviderScreen(visit_id))

    def action_summary(self) -> None:
        from visitor.locations import exports_dir
        from visitor.tui.screens.forms import FormScreen, Spec

        specs = [Spec("months", "Months to cover", "6"),
                 Spec("audience", "Copy for", "provider", ("provider", "ofsted", "placing-authority", "all")),
                 Spec("authority", "Placing authority (for a placing authority's copy)"),
                 Spec("folder", "Folder", str(exports_dir()))]

        def write(values: dict) -> list:
            from visitor.model import ValidationError, whole_number
            from visitor.report.summary import export_summary

            problems: list[str] = []
            try:
                paths = export_summary(self.app.store, self.home_id, whole_number(values["months"], "number of months"),
                                       kind=values["audience"], authority=values["authority"].strip() or None,
                                       out_dir=exports_dir(values["folder"].strip() or None), problems=problems)
            except OSError as exc:
                raise ValidationError(f"Not written: {exc.strerror or exc}") from None
            return problems + [str(p) for p in paths]

        def done(lines: list | None) -> None:
            if lines:
                self.notify("Summary written:\n" + "\n".join(lines), markup=False, timeout=12)

        self.app.push_screen(FormScreen("Six-monthly summary", specs, write), done)
