"""The homes dashboard: every home, whether this month's visit is done, and what is still open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.containers import VerticalScroll
from textual.widgets import Static

from visitor.tui.widgets.footer import KeyFooter
from visitor.tui.widgets.homes_table import HomesTable
from visitor import workflow
from visitor.model import ValidationError
from visitor.storage import DataFileError

COLUMNS = ("Home", "Last visit", "Month", "Draft", "Recs", "Conc.", "Pat.", "Report")
WIDTHS = (19, 10, 7, 5, 4, 5, 4, 11)


class DashboardScreen(Screen):
    CSS_PATH = "dashboard.tcss"
    help_title = "Homes dashboard"
    AUTO_FOCUS = "#homes"
    BINDINGS = [
        Binding("v", "visit", "Visit", id="dashboard.visit", tooltip="Start or resume this month's visit"),
        Binding("t", "trends", "Trends", id="dashboard.trends", tooltip="Trends and patterns for the home"),
        Binding("a", "add_home", "Add home", id="dashboard.add", tooltip="Add a home"),
        Binding("r", "reload", "Reload", id="dashboard.reload", show=False, tooltip="Read the data again"),
        Binding("R", "restore", "Restore backup", id="dashboard.restore", show=False,
                tooltip="Restore broken data files from their newest good backup"),
    ]

    def compose(self) -> ComposeResult:
        # A one-line title instead of Header: the dashboard is the start-up screen, and every widget
        # there costs start-up time (see visitor/bench.py).
        yield Static("reg44 · Regulation 44 visits · homes", id="title-bar")
        yield Static("", id="banner", classes="banner hidden", markup=False)
        with VerticalScroll(id="homes-scroll"):
            yield HomesTable(COLUMNS, WIDTHS, id="homes")
        yield Static("", id="legend", classes="muted")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        app = self.app
        table = self.query_one("#homes", HomesTable)
        banner = self.query_one("#banner", Static)
        rows = []
        try:
            homes = app.store.homes()
            summaries = workflow.summaries(app.store)
            rule = app.store.settings()["report_deadline"]
            broken = app.store.quick_check()
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
            rows.append((home.id, (home.name, s["last_visit"] or "never", due.upper() if due == "overdue" else due,
                                   "yes" if app.store.has_draft(home.id) else "", str(s["open_recommendations"]),
                                   str(s["concerns"]), str(s["open_flags"]), report)))
        table.set_rows(rows)
        self.query_one("#legend", Static).update(
            f"{len(homes)} home(s) · F1 lists every key" if homes else "No homes yet: press a to add one.")

    def selected(self) -> str | None:
        return self.query_one("#homes", HomesTable).selected_key

    def on_homes_table_selected(self, event: HomesTable.Selected) -> None:
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

        if self.app.writable():
            self.app.push_screen(home_form(self.app.store), lambda home: home and self.reload())

    def action_reload(self) -> None:
        self.reload()

    def action_restore(self) -> None:
        restored = []
        problems = self.app.store.broken_files()
        if not problems:
            self.notify("Every data file reads correctly; nothing to restore.")
        for problem in problems:
            try:
                used = self.app.store.restore(problem.path)
                restored.append(f"{problem.path.name} from {used.name}")
            except Exception as exc:  # noqa: BLE001 - shown to the visitor
                self.notify(str(exc), severity="error", timeout=15)
        if restored:
            self.notify("Restored " + "; ".join(restored), timeout=10)
        self.reload()
