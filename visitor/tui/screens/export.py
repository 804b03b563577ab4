"""Export a visit's reports, share a draft for factual accuracy, and record who each copy was sent to."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select, Static

from visitor.tui.widgets.key_line import KeyLine
from visitor import workflow
from visitor.locations import exports_dir
from visitor.model import ValidationError

EVERY_MISSING = "*"


class ExportScreen(Screen):
    CSS_PATH = "export.tcss"
    help_title = "Export reports"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="export.back"),
        Binding("ctrl+e", "export", "Export", id="export.export", priority=True, tooltip="Write the chosen report(s)"),
        Binding("ctrl+f", "export_draft", "Draft for accuracy", id="export.draft", priority=True,
                tooltip="Write the provider's draft for factual accuracy and record the day it was shared"),
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
        final = self.visit["status"] == "final"
        choices = [("All copies (provider, Ofsted, each placing authority)", "all"), ("Provider", "provider"),
                   ("Ofsted", "ofsted")] + [(Text(f"Placing authority: {a}"), f"pa:{a}") for a in authorities]
        yield Header()
        with VerticalScroll(id="export-body"):
            yield Static(Text(f"{self.home.name} — visit of {self.visit['date']}", style="bold"))
            yield Static(self._state_text(), id="state", markup=False)
            if final:
                yield Label("Which copy")
                yield Select(choices, value="all", allow_blank=False, id="audience")
            yield Label("Folder")
            yield Input(str(exports_dir()), id="folder", select_on_focus=False)
            if final:
                yield Button("Export (ctrl+e)", id="export", variant="primary")
            else:
                yield Static("A draft can be shared with the provider to check matters of fact before you finalise.",
                             classes="muted")
                yield Button("Draft for factual accuracy (ctrl+f)", id="draft", variant="primary")
            yield Static("", id="result", markup=False)
            if final:
                self.required = workflow.required_recipients(store, self.visit)
                yield Label("Record a copy as sent")
                yield Select([("Every copy not yet sent", EVERY_MISSING)]
                             + [(Text(r["recipient"]), r["key"]) for r in self.required], id="recipient",
                             prompt="recipient")
                yield Input(self.app.today.isoformat(), id="sent-on", placeholder="date sent YYYY-MM-DD",
                            select_on_focus=False)
                yield Button("Record sent (ctrl+r)", id="record")
                yield Static(self._sent_text(), id="sent", markup=False)
        yield KeyLine()

    def on_mount(self) -> None:
        self.sub_title = f"{self.home.name} · {self.visit['date']} · export"

    def _state_text(self) -> str:
        store = self.app.store
        if self.visit["status"] == "draft":
            shared = (self.visit.get("shared") or {}).get("on")
            return f"Draft · {'shared for factual accuracy on ' + shared if shared else 'not yet shared'}"
        status = workflow.distribution_status(store, self.visit)
        rule = store.settings()["report_deadline"]
        return (f"{workflow.cycle_state(self.visit, status).capitalize()} · report "
                f"{workflow.report_state(self.visit, rule, self.app.today, status)}")

    def _sent_text(self) -> str:
        status = workflow.distribution_status(self.app.store, self.visit)
        lines = [f"{status.fraction} sent."]
        lines += [f"  ✓ {r['recipient']} on {r['sent_on']}" for r in status.sent]
        lines += [f"  · {r['recipient']}: not yet sent" for r in status.missing]
        return "\n".join(lines)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"export": self.action_export, "draft": self.action_export_draft, "record": self.action_record}[
            event.button.id]()

    def action_export(self) -> None:
        if self.visit["status"] != "final":
            self.notify("Finalise the visit before exporting its reports; ctrl+f shares the draft.", severity="warning")
            return
        choice = self.query_one("#audience", Select).value
        kind, authority = ("placing-authority", choice[3:]) if choice.startswith("pa:") else (choice, None)
        self.query_one("#result", Static).update("Writing…")
        self._export(kind, authority, self.query_one("#folder", Input).value)

    def action_export_draft(self) -> None:
        if self.visit["status"] != "draft":
            self.notify("This visit is final: the draft for factual accuracy comes before finalising.",
                        severity="warning")
            return
        if not self.app.writable():
            return
        self.query_one("#result", Static).update("Writing…")
        self._export("draft", None, self.query_one("#folder", Input).value)

    @work(thread=True, exclusive=True)
    def _export(self, kind: str, authority: str | None, folder: str) -> None:
        from visitor.report.export import export_visit

        problems: list[str] = []
        try:
            if kind == "draft":
                paths = workflow.share_for_accuracy(self.app.store, self.visit_id, exports_dir(folder), problems)
            else:
                paths = export_visit(self.app.store, self.visit_id, kind, authority=authority,
                                     out_dir=exports_dir(folder), problems=problems)
            # The folder once and each file's name: full paths wrapped, and at 80x24 the last ones fell below the screen.
            folders = sorted({str(p.parent) for p in paths})
            head = f"Written {len(paths)} report{'s' if len(paths) != 1 else ''} to {', '.join(folders)}:"
            text = "\n".join(problems + [head] + [f"  {p.name}" for p in paths])
        except (ValidationError, OSError, ValueError) as exc:
            text = f"Not exported: {exc}"
        self.app.call_from_thread(self._exported, text)

    def _exported(self, text: str) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        self.call_after_refresh(self.query_one("#export-body").scroll_to_widget, result, animate=False)
        self.visit = self.app.store.visit(self.visit_id)
        self.query_one("#state", Static).update(self._state_text())

    def action_record(self) -> None:
        if self.visit["status"] != "final":
            self.notify("Only a final visit's report can be sent.", severity="warning")
            return
        value = self.query_one("#recipient", Select).value
        if value is Select.NULL:
            self.notify("Choose a recipient first.", severity="warning")
            return
        if not self.app.writable():
            return
        status = workflow.distribution_status(self.app.store, self.visit)
        keys = [r["key"] for r in status.missing] if value == EVERY_MISSING else [value]
        if not keys:
            self.notify("Every copy is already recorded as sent.")
            return
        try:
            entries = workflow.record_sent(self.app.store, self.visit_id, keys,
                                           self.query_one("#sent-on", Input).value.strip() or date.today().isoformat())
        except (ValidationError, OSError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.visit = self.app.store.visit(self.visit_id)
        self.query_one("#sent", Static).update(self._sent_text())
        self.query_one("#state", Static).update(self._state_text())
        self.notify(f"Recorded: sent to {'; '.join(e['recipient'] for e in entries)}.", markup=False)
