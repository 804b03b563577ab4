"""The dashboard's table of homes: a light, virtual widget rather than a DataTable.

It is the first thing drawn at start-up, and a DataTable cost ~120 ms to draw twenty rows. This one
draws only the lines on screen (a header and the visible rows), so two hundred homes cost what twenty
do. Columns are data (``Column``): a screen adds one by adding a ``Column`` and a value under its key;
columns marked ``grow`` share the room a wide terminal leaves. up/down/page/home/end move, enter opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

GAP = 1


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    grow: bool = False


class HomesTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="homes.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="homes.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="homes.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="homes.page_down"),
        Binding("home", "move(-100000)", "First", show=False, id="homes.first"),
        Binding("end", "move(100000)", "Last", show=False, id="homes.last"),
        Binding("enter", "select", "Open", id="homes.open", tooltip="Open the selected home"),
    ]
    DEFAULT_CSS = "HomesTable { height: 1fr; }"
    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, columns: tuple[Column, ...], **kw) -> None:
        super().__init__(**kw)
        self.columns = columns
        self.rows: list[tuple[str, dict[str, str]]] = []
        self._frame: tuple = (0, [], Style())

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def selected_key(self) -> str | None:
        return self.rows[self.cursor_row][0] if self.rows else None

    def set_rows(self, rows: list[tuple[str, dict[str, str]]]) -> None:
        """Replace the rows: (key, {column key: text}). Missing values show blank."""
        self.rows = rows
        self.virtual_size = Size(self._content_width(), len(rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self.refresh()

    # -- moving -------------------------------------------------------------------------------------
    def move_cursor(self, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self.rows) - 1))
        self.scroll_visible_row()

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(self.size.height - 2, 1))

    def scroll_visible_row(self) -> None:
        """Keep the cursor row below the fixed header and inside the view."""
        visible = max(self.size.height - 1, 1)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self.rows[self.cursor_row][0]))

    # -- drawing ------------------------------------------------------------------------------------
    def _content_width(self) -> int:
        return sum(c.width for c in self.columns) + GAP * (len(self.columns) - 1)

    def widths(self, room: int) -> list[int]:
        """Each column's width: its minimum, plus an even share of spare room for growing columns."""
        widths = [c.width for c in self.columns]
        growing = [i for i, c in enumerate(self.columns) if c.grow]
        spare = room - self._content_width()
        if spare > 0 and growing:
            for n, i in enumerate(growing):
                widths[i] += spare // len(growing) + (1 if n < spare % len(growing) else 0)
        return widths

    def _line(self, values: list[str], widths: list[int]) -> str:
        """One line, each value cut or padded to its column by terminal cells (wide characters count 2)."""
        return (" " * GAP).join(set_cell_size(_printable(str(v)), w) for v, w in zip(values, widths))

    def render_lines(self, crop):
        """Work out the style and column widths once per drawing, not once per line."""
        width = self.scrollable_content_region.width
        self._frame = (width, self.widths(width), self.rich_style)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, widths, base = self._frame
        if y == 0:
            text, style = self._line([c.title for c in self.columns], widths), base + Style(bold=True)
        else:
            index = round(self.scroll_offset.y) + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, base)
            _key, values = self.rows[index]
            text = self._line([values.get(c.key, "") for c in self.columns], widths)
            style = base
            if index == self.cursor_row:
                style = base + Style(reverse=True) if self.has_focus else base + Style(underline=True)
        text = set_cell_size(text, width)
        return Strip([Segment(text, style)], width)

    def watch_cursor_row(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _printable(text: str) -> str:
    """Control characters (a newline or escape in a name) would break the line: show them as '?'."""
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)
