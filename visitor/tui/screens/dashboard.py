"""The homes dashboard: every home, whether this month's visit is done, and what is still open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from visitor.tui.widgets.footer import KeyFooter
from visitor import workflow
from visitor.model import ValidationError
from visitor.storage import DataFileError

COLUMNS = ("Home", "Last visit", "Month", "Draft", "Recs", "Conc.", "Pat.", "Report")


class DashboardScreen(Screen):
    CSS_PATH = "dashboard.tcss"
    help_title = "Homes dashboard"
    BINDINGS = [
        Binding("enter", "open_home", "Open", id="dashboard.open", tooltip="Open the selected home"),
        Binding("v", "visit", "Visit", id="dashboard.visit", tooltip="Start or resume this month's visit"),
        Binding("t", "trends", "Trends", id="dashboard.trends", tooltip="Trends and patterns for the home"),
        Binding("a", "add_home", "Add home", id="dashboard.add", tooltip="Add a home"),
        Binding("r", "reload", "Reload", id="dashboard.reload", show=False, tooltip="Read the data again"),
        Binding("R", "restore", "Restore backup", id="dashboard.restore", show=False,
                tooltip="Restore broken data files from their newest good backup"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner", classes="banner hidden", markup=False)
        table = DataTable(id="homes", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="legend", classes="muted")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        app = self.app
        table = self.query_one("#homes", DataTable)
        banner = self.query_one("#banner", Static)
        current = table.cursor_row
        table.clear()
        try:
            homes = app.store.homes()
            summaries = workflow.summaries(app.store)
            rule = app.store.settings()["report_deadline"]
            broken = app.store.broken_files()
        except (DataFileError, ValidationError, ValueError) as exc:
            banner.update(f"{exc}  Press R to restore the newest good backup.")
            banner.remove_class("hidden")
            return
        if broken:
            banner.update(f"{len(broken)} data file(s) cannot be read, e.g. {broken[0]}  Press R to restore.")
            banner.remove_class("hidden")
        else:
            banner.add_class("hidden")
        for home in homes:
            s = summaries[home.id]
            due = workflow.visit_due(s["last_visit"], app.today)
            report = "—"
            if s["last_visit"]:
                report = "sent" if s["report_sent"] else workflow.report_label(s["last_visit"], rule, app.today)
            table.add_row(home.name[:18], s["last_visit"] or "never", due.upper() if due == "overdue" else due,
                          "yes" if app.store.has_draft(home.id) else "", str(s["open_recommendations"]),
                          str(s["concerns"]), str(s["open_flags"]), report, key=home.id)
        if homes:
            table.move_cursor(row=min(max(current, 0), len(homes) - 1))
        self.query_one("#legend", Static).update(
            f"{len(homes)} home(s) · F1 lists every key" if homes else "No homes yet: press a to add one.")

    def selected(self) -> str | None:
        table = self.query_one("#homes", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_home()

    def action_open_home(self) -> None:
        from visitor.tui.screens.home import HomeScreen

        if home_id := self.selected():
            self.app.push_screen(HomeScreen(home_id))

    def action_visit(self) -> None:
        from visitor.tui.screens.visit import open_visit

        if home_id := self.selected():
            open_visit(self.app, home_id)

    def action_trends(self) -> None:
        from visitor.tui.screens.trends import TrendsScreen

        if home_id := self.selected():
            self.app.push_screen(TrendsScreen(home_id))

    def action_add_home(self) -> None:
        from visitor.tui.screens.forms import home_form

        if self.app.readonly:
            self.notify("Read-only: another copy of reg44 is writing.", severity="warning")
            return
        self.app.push_screen(home_form(self.app.store), lambda home: home and self.reload())

    def action_reload(self) -> None:
        self.reload()

    def action_restore(self) -> None:
        restored = []
        for problem in self.app.store.broken_files():
            try:
                used = self.app.store.restore(problem.path)
                restored.append(f"{problem.path.name} from {used.name}")
            except Exception as exc:  # noqa: BLE001 - shown to the visitor
                self.notify(str(exc), severity="error", timeout=15)
        if restored:
            self.notify("Restored " + "; ".join(restored), timeout=10)
        self.reload()
