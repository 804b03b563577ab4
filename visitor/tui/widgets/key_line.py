"""Every screen's key hints as plain text, instead of Textual's Footer.

The Footer builds a widget per key (each with its own styles): it cost ~40 ms of CPU to draw the
dashboard, and recomposed (~40 ms) on a Tab in the walkthrough whenever the focused field's keys changed.
This draws the same hints — the screen's shown bindings (and, if asked, the palette key) — as text,
redrawn only when they change; clicking a key presses it, as in the Footer. Where the hints do not fit
on one line (the home screen at 80 columns), they wrap onto a second one rather than being cut off.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.widget import Widget


class KeyLine(Widget):
    COMPONENT_CLASSES = {"key-line--key", "key-line--description"}
    DEFAULT_CSS = """
    KeyLine {
        dock: bottom; height: auto; color: $footer-foreground; background: $footer-background;
        .key-line--key { color: $footer-key-foreground; text-style: bold; }
        .key-line--description { color: $footer-description-foreground; }
    }
    """

    def __init__(self, *, show_command_palette: bool = False, **kw) -> None:
        # The palette (ctrl+p) is listed on the help screen; at 80 columns its slot hid Help and Quit.
        super().__init__(**kw)
        self.show_command_palette = show_command_palette
        self._spans: list[tuple[int, int, int, str, bool]] = []  # line, start, end, key, enabled
        self._shown: tuple = ()  # the hints last drawn
        self._lines = 1

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_updated)

    def _bindings_updated(self, _screen) -> None:
        """Bindings are announced again on every focus change; redraw only when what is shown changes. (A
        redraw here made every Tab in a long form repaint all the screen between the field and this line.)"""
        shown = tuple((key, binding.description, enabled) for key, binding, enabled in self._hints())
        if shown != self._shown:
            self._shown = shown
            self.refresh(layout=len(self._wrap(self.size.width)) != self._lines)

    def _hints(self) -> list[tuple[str, Binding, bool]]:
        shown, seen = [], set()
        for key, (_, binding, enabled, _) in self.screen.active_bindings.items():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((key, binding, enabled))
        return shown

    def _pieces(self) -> list[tuple[Text, str, bool]]:
        """Each hint as styled text, with the key it presses and whether it is enabled."""
        key_style = self.get_component_rich_style("key-line--key")
        description_style = self.get_component_rich_style("key-line--description")
        pieces = []
        for key, binding, enabled in self._hints():
            piece = Text.assemble((f" {self.app.get_key_display(binding)} ", key_style),
                                  (f"{binding.description} ", description_style))
            if not enabled:
                piece.stylize("dim")
            pieces.append((piece, key, enabled))
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = Binding(self.app.COMMAND_PALETTE_BINDING, "")
            pieces.append((Text.assemble("▏", (f"{self.app.get_key_display(palette)} ", key_style),
                                         ("palette ", description_style)), self.app.COMMAND_PALETTE_BINDING, True))
        return pieces

    def _wrap(self, width: int) -> list[list[tuple[Text, str, bool]]]:
        """Hints filled line by line, a hint never split; at least one line."""
        lines: list[list[tuple[Text, str, bool]]] = [[]]
        used = 0
        for piece in self._pieces():
            if lines[-1] and width and used + piece[0].cell_len > width:
                lines.append([])
                used = 0
            lines[-1].append(piece)
            used += piece[0].cell_len
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._lines = len(self._wrap(width))
        return self._lines

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for y, line in enumerate(self._wrap(self.size.width)):
            if y:
                text.append("\n")
            x = 0
            for piece, key, enabled in line:
                self._spans.append((y, x, x + piece.cell_len, key, enabled))
                text.append_text(piece)
                x += piece.cell_len
        return text

    def on_click(self, event: events.Click) -> None:
        for y, start, end, key, enabled in self._spans:
            if y == event.y and start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
