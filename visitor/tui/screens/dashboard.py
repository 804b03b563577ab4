"""The homes dashboard: every home, whether this month's visit is done, and what is still open."""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from rich.text import Text

from visitor.tui.widgets.key_line import KeyLine
from visitor.tui.widgets.homes_table import Column, HomesTable
from visitor import workflow
from visitor.model import ValidationError
from visitor.storage import DataFileError

COLUMNS = (
    Column("name", "Home", 16, grow=True),
    Column("last_visit", "Last visit", 10),
    Column("month", "Month", 7),
    Column("draft", "Draft", 6),
    Column("recs", "Recs", 4),
    Column("concerns", "Conc.", 5),
    Column("themes", "Themes", 13),
    Column("report", "Report", 10),
)
THEMES_WIDTH = next(c.width for c in COLUMNS if c.key == "themes")


def themes_cell(themes: list[dict], width: int = THEMES_WIDTH) -> str:
    """The open themes, most severe first, as many as fit: 'restraint ▲ voice ▲ +3' (▲ = high severity)."""
    return workflow.themes_line(themes, width)


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

    def __init__(self) -> None:
        super().__init__()
        self.suspects: set[str] = set()  # homes whose files failed to read when opened

    def compose(self) -> ComposeResult:
        # A one-line title instead of Header: the dashboard is the start-up screen, and every widget
        # there costs start-up time (see visitor/bench).
        yield Static("reg44 · Regulation 44 visits · homes", id="title-bar")
        yield Static("", id="banner", classes="banner hidden", markup=False)
        yield HomesTable(COLUMNS, id="homes")
        yield Static("", id="legend", classes="muted")
        yield KeyLine()

    def on_mount(self) -> None:
        self.watch(self.query_one("#homes", HomesTable), "cursor_row", self._show_missing, init=False)

    def on_screen_resume(self) -> None:
        """Shown first, or back from another screen: read the data (once; a mount is followed by a resume)."""
        self.reload()

    def show_broken(self, problem: Exception) -> None:
        """Name the unreadable file and offer the backup; remembered so that quitting says so too."""
        self.app.broken_data = problem
        banner = self.query_one("#banner", Static)
        path = getattr(problem, "path", None)
        restorable = path is None or not path.is_dir()  # a folder where a file belongs is the visitor's to move
        banner.update(f"{problem}  Press R to restore the newest good backup." if restorable else str(problem))
        banner.remove_class("hidden")

    def reload(self) -> None:
        app = self.app
        table = self.query_one("#homes", HomesTable)
        problems: list[DataFileError] = []
        try:
            rule = app.store.settings()["report_deadline"]
        except DataFileError as exc:  # the homes can still be listed, with the default deadline
            rule = "end-of-month"
            problems.append(exc)
        try:
            homes = app.store.homes()
            problems += app.store.quick_check()
        except (DataFileError, ValidationError, ValueError) as exc:
            self.show_broken(exc)
            return
        try:
            summaries = workflow.summaries(app.store)
        except DataFileError as exc:  # a home's file is broken: the cached figures, and that home named
            problems.append(exc)
            summaries = app.store.summaries()
        self._drafted = app.store.draft_names()
        rows = [(home.id, self._row(home, summaries.get(home.id), rule, problems)) for home in homes]
        for home_id in sorted(self.suspects):  # found broken when opened; still broken?
            if (problem := self._unreadable(home_id)) is None:
                self.suspects.discard(home_id)
            elif all(p.path != problem.path for p in problems):
                problems.append(problem)
        if problems:
            first = problems[0]
            self.show_broken(first if len(problems) == 1 else DataFileError(
                first.path, f"{first.reason} (and {len(problems) - 1} more file(s) cannot be read)"))
        else:
            app.broken_data = None
            self.query_one("#banner", Static).add_class("hidden")
        table.set_rows(rows)
        from visitor.hub.state import describe as hub_state

        self._hub = hub_state(app.store.root)
        self._summaries = summaries
        self._homes = {home.id: home.name for home in homes}
        self._show_missing()

    def _show_missing(self, *_: object) -> None:
        """The legend: the selected home's report copies still to be sent, else the count and the hub state."""
        homes = getattr(self, "_homes", {})
        legend = f"{len(homes)} home(s) · F1 lists every key" if homes else "No homes yet: press a to add one."
        hub = getattr(self, "_hub", "")
        legend = f"{legend} · {hub}" if hub else legend
        home_id = self.selected()
        summary = getattr(self, "_summaries", {}).get(home_id, {}) if home_id else {}
        if summary.get("missing") and not summary.get("sent", "0/").startswith("0/"):
            legend = f"{homes[home_id]}: {summary['sent']} sent; still to send to {', '.join(summary['missing'])}"
        self.query_one("#legend", Static).update(Text(legend))

    def _row(self, home, summary: dict | None, rule: str, problems: list) -> dict[str, str]:
        """One home's cells by column key. A file that cannot be read shows in its cell and joins ``problems``."""
        app = self.app

        def note(exc: DataFileError) -> None:
            if all(problem.path != exc.path for problem in problems):
                problems.append(exc)
        if summary is None:  # not cached in the index yet: computed from the home's file
            try:
                summary = workflow.summarise(app.store, home.id)
            except DataFileError as exc:
                note(exc)
                return {"name": home.name, "last_visit": "unreadable", "draft": "?", "report": "press R"}
        due = workflow.visit_due(summary["last_visit"], app.today)
        report = "—"
        if summary["last_visit"]:
            report = "sent" if summary["report_sent"] else workflow.report_label(summary["last_visit"], rule, app.today,
                                                                                      summary.get("sent", ""))
        try:  # 'shared' once the draft went to the provider for factual accuracy
            drafted = f"{home.id}.json" in getattr(self, "_drafted", ()) and app.store.has_draft(home.id)
            draft = ("shared" if summary.get("state") == "shared" else "yes") if drafted else ""
        except DataFileError as exc:
            draft = "BROKEN"
            note(exc)
        return {"name": home.name, "last_visit": summary["last_visit"] or "never",
                "month": due.upper() if due == "overdue" else due, "draft": draft,
                "recs": str(summary["open_recommendations"]), "concerns": str(summary["concerns"]),
                "themes": themes_cell(summary.get("themes", [])), "report": report}

    def readable(self, home_id: str) -> bool:
        """Read the home's files before opening anything on them; a broken one is named, not a crash.

        The store caches what it parsed, so the screen that opens next reads nothing twice.
        """
        problem = self._unreadable(home_id)
        if problem is None:
            return True
        self.suspects.add(home_id)
        self.show_broken(problem)
        self.notify(str(problem), title="A data file cannot be read", severity="error", timeout=15)
        return False

    def _unreadable(self, home_id: str) -> DataFileError | None:
        store = self.app.store
        try:
            store.children(home_id)
            store.visits(home_id)
            store.flags(home_id)
            store.draft(home_id)
        except DataFileError as exc:
            return exc
        return None

    def selected(self) -> str | None:
        return self.query_one("#homes", HomesTable).selected_key

    def palette_commands(self) -> list[tuple[str, str, object]]:
        """One palette command per home, so a home is opened by typing part of its name."""
        table = self.query_one("#homes", HomesTable)
        return [(f"Open home: {values.get('name', key)}", "Show its children, visits and recommendations",
                 partial(self._open_row, row)) for row, (key, values) in enumerate(table.rows)]

    def _open_row(self, row: int) -> None:
        self.query_one("#homes", HomesTable).move_cursor(row)
        self.action_open_home()

    def on_homes_table_selected(self, event: HomesTable.Selected) -> None:
        event.stop()
        self.action_open_home()

    def action_open_home(self) -> None:
        from visitor.tui.screens.home import HomeScreen

        if (home_id := self.selected()) and self.readable(home_id):
            self.app.push_screen(HomeScreen(home_id))

    def action_visit(self) -> None:
        from visitor.tui.screens.visit import open_visit

        if (home_id := self.selected()) and self.readable(home_id):
            open_visit(self.app, home_id)

    def action_trends(self) -> None:
        from visitor.tui.screens.trends import TrendsScreen

        if (home_id := self.selected()) and self.readable(home_id):
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
