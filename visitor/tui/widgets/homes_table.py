"""The dashboard's table of homes: a single light widget rather than a DataTable.

It is the first thing drawn at start-up, and a DataTable cost ~120 ms to draw twenty rows; this
renders one block of text with the cursor row highlighted. up/down/home/end move, enter opens.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class HomesTable(Widget, can_focus=True):
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="homes.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="homes.down"),
        Binding("home", "move(-100000)", "First", show=False, id="homes.first"),
        Binding("end", "move(100000)", "Last", show=False, id="homes.last"),
        Binding("enter", "select", "Open", id="homes.open", tooltip="Open the selected home"),
    ]
    DEFAULT_CSS = "HomesTable { height: auto; }"
    cursor_row: reactive[int] = reactive(0)

    class Selected(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, columns: tuple[str, ...], widths: tuple[int, ...], **kw) -> None:
        super().__init__(**kw)
        self.columns = columns
        self.widths = widths
        self.rows: list[tuple[str, tuple[str, ...]]] = []

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def selected_key(self) -> str | None:
        return self.rows[self.cursor_row][0] if self.rows else None

    def set_rows(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        self.rows = rows
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self.refresh(layout=True)

    def move_cursor(self, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self.rows) - 1))

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)
        self.scroll_visible_row()

    def scroll_visible_row(self) -> None:
        if self.parent is not None and hasattr(self.parent, "scroll_to_region"):
            from textual.geometry import Region

            self.parent.scroll_to_region(Region(0, self.cursor_row, 1, 2), animate=False)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self.rows[self.cursor_row][0]))

    def _line(self, values: tuple[str, ...]) -> str:
        return " ".join(str(v)[:w].ljust(w) for v, w in zip(values, self.widths))

    def render(self) -> Text:
        text = Text(self._line(self.columns) + "\n", style="bold")
        for index, (_, values) in enumerate(self.rows):
            style = "reverse" if index == self.cursor_row and self.has_focus else (
                "underline" if index == self.cursor_row else "")
            text.append(self._line(values), style=style)
            if index < len(self.rows) - 1:
                text.append("\n")
        return text

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.rows) + 1

    def watch_cursor_row(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
