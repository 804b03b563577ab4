"""Export a final visit's reports and record who they were sent to."""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select, Static

from visitor.tui.widgets.footer import KeyFooter
from visitor import workflow
from visitor.locations import exports_dir
from visitor.model import ValidationError


class ExportScreen(Screen):
    CSS_PATH = "export.tcss"
    help_title = "Export reports"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="export.back"),
        Binding("ctrl+e", "export", "Export", id="export.export", priority=True, tooltip="Write the chosen report(s)"),
        Binding("ctrl+r", "record", "Record sent", id="export.record", priority=True,
                tooltip="Record that a copy was sent"),
    ]

    def __init__(self, visit_id: str) -> None:
        super().__init__()
        self.visit_id = visit_id

    def compose(self) -> ComposeResult:
        store = self.app.store
        self.visit = store.visit(self.visit_id)
        self.home = store.home(self.visit["home_id"])
        children = store.children(self.home.id)
        authorities = workflow.placing_authorities(children, self.visit["date"])
        self.recipients = workflow.recipients(self.home, children, self.visit["date"])
        choices = [("All copies (provider, Ofsted, each placing authority)", "all"), ("Provider", "provider"),
                   ("Ofsted", "ofsted")] + [(f"Placing authority: {a}", f"pa:{a}") for a in authorities]
        rule = store.settings()["report_deadline"]
        yield Header()
        with VerticalScroll(id="export-body"):
            yield Static(f"[b]{self.home.name} — visit of {self.visit['date']}[/b]  ·  report "
                         f"{workflow.report_state(self.visit, rule, self.app.today)}")
            yield Label("Which copy")
            yield Select(choices, value="all", allow_blank=False, id="audience")
            yield Label("Folder")
            yield Input(str(exports_dir()), id="folder")
            yield Button("Export (ctrl+e)", id="export", variant="primary")
            yield Static("", id="result", markup=False)
            yield Label("Record a copy as sent")
            yield Select([(r, f"{a}|{r}") for r, a in self.recipients], id="recipient", prompt="recipient")
            yield Input(self.app.today.isoformat(), id="sent-on", placeholder="date sent YYYY-MM-DD")
            yield Button("Record sent (ctrl+r)", id="record")
            yield Static(self._sent_text(), id="sent", markup=False)
        yield KeyFooter()

    def _sent_text(self) -> str:
        sent = self.visit.get("distribution", [])
        if not sent:
            return "Not yet sent to anyone."
        return "Sent: " + "; ".join(f"{d['recipient']} on {d['sent_on']}" for d in sent)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_export() if event.button.id == "export" else self.action_record()

    def action_export(self) -> None:
        choice = self.query_one("#audience", Select).value
        kind, authority = ("placing-authority", choice[3:]) if choice.startswith("pa:") else (choice, None)
        self.query_one("#result", Static).update("Writing…")
        self._export(kind, authority, self.query_one("#folder", Input).value)

    @work(thread=True, exclusive=True)
    def _export(self, kind: str, authority: str | None, folder: str) -> None:
        from visitor.report.export import export_visit

        try:
            paths = export_visit(self.app.store, self.visit_id, kind, authority=authority, out_dir=exports_dir(folder))
            text = "Written:\n" + "\n".join(str(p) for p in paths)
        except (ValidationError, OSError, ValueError) as exc:
            text = f"Not exported: {exc}"
        self.app.call_from_thread(self.query_one("#result", Static).update, text)

    def action_record(self) -> None:
        value = self.query_one("#recipient", Select).value
        if value is Select.NULL:
            self.notify("Choose a recipient first.", severity="warning")
            return
        audience, recipient = value.split("|", 1)
        try:
            workflow.record_distribution(self.app.store, self.visit_id, recipient, audience,
                                         self.query_one("#sent-on", Input).value.strip() or date.today().isoformat())
        except (ValidationError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.visit = self.app.store.visit(self.visit_id)
        self.query_one("#sent", Static).update(self._sent_text())
        self.notify(f"Recorded: sent to {recipient}.")
