"""Every key that works on the screen beneath, generated from its bindings, plus the form keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

FIELD_KEYS = [
    ("y / n / k", "on a yes/no question: yes, no, not known"),
    ("delete", "on a yes/no question: clear the answer"),
    ("1-9, ← →", "on a choice: pick option N, or step through the options"),
    ("enter", "press a button; choose in a list"),
    ("ctrl+p", "command palette: every action by name"),
]


class HelpScreen(ModalScreen):
    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, beneath: Screen) -> None:
        super().__init__()
        rows = []
        seen = set()
        # reg44's own keys (they carry ids) first, then the generic keys of Textual's widgets
        ordered = sorted(beneath.active_bindings.items(), key=lambda kv: kv[1].binding.id is None)
        for key, active in ordered:
            b = active.binding
            if b.description and (b.description, key) not in seen:
                seen.add((b.description, key))
                rows.append((key_label(key), b.description, b.tooltip))
        self.rows = rows
        self.title_text = getattr(beneath, "help_title", beneath.__class__.__name__.replace("Screen", ""))

    def compose(self) -> ComposeResult:
        # One row per key: the key in its own column, the description beside it, wrapping under itself (a long
        # description's second line under the key column read as another key).
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Static(Text(f"Keys — {self.title_text}", style="bold"), classes="dialog-title")
            for key, description, tooltip in self.rows:
                yield self._row(key, description + (f" — {tooltip}" if tooltip else ""))
            yield Static(Text("In forms", style="bold"), classes="help-heading")
            for key, text in FIELD_KEYS:
                yield self._row(key, text)
            yield Static("Press escape to close.", classes="help-heading")

    @staticmethod
    def _row(key: str, text: str) -> Horizontal:
        return Horizontal(Static(Text(key, style="bold"), classes="help-key"),
                          Static(Text(text), classes="help-text"), classes="help-row")


def key_label(key: str) -> str:
    return {"question_mark": "?", "escape": "esc", "pagedown": "pgdn", "pageup": "pgup"}.get(key, key)
