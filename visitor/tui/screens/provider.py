"""The provider's side of a visit: factual corrections to the shared draft, and responses to recommendations.

The visitor enters what the provider sent: for a shared draft, each point of fact disputed and whether it
was accepted (the visitor edits the draft themselves; nothing here rewrites their words); for each
recommendation, the registered manager's response, the action and date, and the responsible
individual's comment. Each save is one workflow operation.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from visitor import workflow
from visitor.model import CORRECTION_OUTCOMES, PROVIDER_RESPONSES, standard_of
from visitor.tui.widgets.key_line import KeyLine


COLUMNS = ("#", "Recommendation", "Standard", "Timescale", "Response", "By")
WRAPPED = 8  # at 80 columns Standard, Timescale and Response wrap at this width ("accepted / in part")
NARROWED = {"Standard", "Timescale", "Response"}  # "#" and the date "By" keep their width
MIN_TEXT = 20  # the recommendation's column is never narrower than this
CELL_PADDING = 2  # a DataTable cell's padding, one each side
BODY_EDGES = 4  # the body's padding and the table's vertical scrollbar


def column_widths(room: int, titles: tuple[str, ...], rows: list[list[str]]) -> list[int]:
    """Widths that fit ``room``: each short column its natural width, or ``WRAPPED`` if that is too wide;
    the recommendation (the second column) takes what is left."""
    natural = {title: max(cell_len(cell) for cell in [title, *(row[n] for row in rows)])
               for n, title in enumerate(titles)}
    text_title = titles[1]
    others = {title: width for title, width in natural.items() if title != text_title}
    if sum(others.values()) + MIN_TEXT + CELL_PADDING * len(titles) > room:
        others = {title: min(width, max(WRAPPED, cell_len(title))) if title in NARROWED else width
                  for title, width in others.items()}
    left = room - sum(others.values()) - CELL_PADDING * len(titles)
    widths = {**others, text_title: max(MIN_TEXT, min(left, natural[text_title]))}
    return [widths[title] for title in titles]


class ProviderScreen(Screen):
    help_title = "Provider's check and response"
    DEFAULT_CSS = "#provider-body { padding: 0 1; } #provider-body Label { margin-top: 1; }"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="provider.back"),
        Binding("r", "respond", "Response", id="provider.respond",
                tooltip="Record the provider's response to the selected recommendation"),
        Binding("c", "correct", "Correction", id="provider.correct",
                tooltip="Record a point of fact the provider disputed in the shared draft"),
    ]

    def __init__(self, visit_id: str) -> None:
        super().__init__()
        self.visit_id = visit_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="provider-body"):
            yield Static("", id="provider-title", markup=False)
            yield Label("Recommendations and the provider's responses (r)")
            yield DataTable(id="responses", cursor_type="row")
            yield Label("Factual accuracy (c)")
            yield Static("", id="corrections", markup=False)
        yield KeyLine()

    def on_mount(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        if getattr(self, "_table_width", None) not in (None, self.size.width):
            self.reload()

    def reload(self) -> None:
        self.visit = self.app.store.visit(self.visit_id)
        self.sub_title = f"{self.app.store.home(self.visit['home_id']).name} · {self.visit['date']} · provider"
        shared = (self.visit.get("shared") or {}).get("on")
        self.query_one("#provider-title", Static).update(
            f"Visit of {self.visit['date']} · {self.visit['status']}"
            + (f" · draft shared for factual accuracy on {shared}" if shared else ""))
        table = self.query_one("#responses", DataTable)
        table.clear(columns=True)
        responses = self.visit.get("responses", {})
        rows = []
        for n, rec in enumerate(self.visit.get("recommendations", []), 1):
            answer = responses.get(rec["id"], {})
            rows.append([str(n), rec["text"], standard_of(rec) or "—", rec.get("timescale", ""),
                         answer.get("response", "none yet"), answer.get("by", "")])
        self._table_width = self.size.width
        widths = column_widths(self.size.width - BODY_EDGES, COLUMNS, rows)
        for title, width in zip(COLUMNS, widths):
            table.add_column(title, width=width)
        for n, text, standard, timescale, response, by in rows:  # cells wrap: the whole recommendation is read
            table.add_row(n, Text(text), standard, Text(timescale), response, by, key=n, height=None)
        corrections = self.visit.get("corrections", [])
        if corrections:
            text = "\n".join(f"{i}. {c['disputed']} — {c['outcome']}: {c['reason']}"
                             + (f" (changed: {c['change']})" if c.get("change") else "")
                             for i, c in enumerate(corrections, 1))
        elif self.visit["status"] == "draft":
            text = ("No corrections recorded. Share the draft first (export screen, ctrl+f)." if not shared
                    else "No corrections recorded yet.")
        else:
            text = "No corrections were recorded before the visit was finalised."
        self.query_one("#corrections", Static).update(text)

    def action_respond(self) -> None:
        from visitor.tui.screens.forms import FormScreen, Spec

        table = self.query_one("#responses", DataTable)
        if not table.row_count or not self.app.writable():
            if not table.row_count:
                self.notify("This visit made no recommendations.", severity="warning")
            return
        number = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        rec = self.visit["recommendations"][number - 1]
        current = self.visit.get("responses", {}).get(rec["id"], {})
        specs = [Spec("response", "Registered manager's response", current.get("response", ""), PROVIDER_RESPONSES),
                 Spec("action", "Action to be taken (or why it is not accepted)", current.get("action", ""),
                      multiline=True),
                 Spec("by", "By when (YYYY-MM-DD)", current.get("by", "")),
                 Spec("ri_comment", "Responsible individual's comment", current.get("ri_comment", ""), multiline=True),
                 Spec("received_on", "Date the response was received (YYYY-MM-DD)",
                      current.get("received_on", self.app.today.isoformat()))]

        def save(values: dict) -> dict:
            return workflow.record_response(self.app.store, self.visit_id, number, values["response"],
                                            values["action"], values["by"].strip(), values["ri_comment"],
                                            values["received_on"].strip())

        self.app.push_screen(FormScreen(f"Response to recommendation {number}", specs, save),
                             lambda saved: saved and self.reload())

    def action_correct(self) -> None:
        from visitor.tui.screens.forms import FormScreen, Spec

        if self.visit["status"] != "draft":
            self.notify("Corrections of fact are recorded on the draft, before finalising; after that, add an "
                        "addendum.", severity="warning")
            return
        if not self.app.writable():
            return
        specs = [Spec("disputed", "What the provider said was wrong", multiline=True),
                 Spec("outcome", "Your decision", "", CORRECTION_OUTCOMES),
                 Spec("reason", "Why", multiline=True),
                 Spec("change", "What you changed in the draft (edit it yourself)", multiline=True)]

        def save(values: dict) -> dict:
            return workflow.record_correction(self.app.store, self.visit_id, values["disputed"], values["outcome"],
                                              values["reason"], values["change"])

        self.app.push_screen(FormScreen("A point of fact disputed", specs, save), lambda saved: saved and self.reload())
