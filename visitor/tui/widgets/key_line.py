"""The start-up screen's key hints as one line of text, instead of Textual's Footer.

The Footer builds a widget per key (each with its own styles) and cost ~40 ms of CPU to draw the
dashboard, a third of what the app spent above a bare Textual app at start-up. This draws the same
hints — the screen's shown bindings (and, if asked, the palette key on the right) — as one ``Text``; clicking a key
presses it, as in the Footer. Screens with changing keys keep ``KeyFooter``.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget


class KeyLine(Widget):
    COMPONENT_CLASSES = {"key-line--key", "key-line--description"}
    DEFAULT_CSS = """
    KeyLine {
        dock: bottom; height: 1; color: $footer-foreground; background: $footer-background;
        .key-line--key { color: $footer-key-foreground; text-style: bold; }
        .key-line--description { color: $footer-description-foreground; }
    }
    """

    def __init__(self, *, show_command_palette: bool = False, **kw) -> None:
        # As KeyFooter: the palette (ctrl+p) is listed on the help screen; at 80 columns it hid Help and Quit.
        super().__init__(**kw)
        self.show_command_palette = show_command_palette
        self._spans: list[tuple[int, int, str, bool]] = []  # start, end, key, enabled
        self._shown: tuple = ()  # the hints last drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_updated)

    def _bindings_updated(self, _screen) -> None:
        """Bindings are announced again on every focus change; redraw only when what is shown changes. (A
        redraw here made every Tab in a long form repaint all the screen between the field and this line.)"""
        shown = tuple((key, binding.description, enabled) for key, binding, enabled in self._hints())
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def _hints(self) -> list[tuple[str, Binding, bool]]:
        shown, seen = [], set()
        for key, (_, binding, enabled, _) in self.screen.active_bindings.items():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((key, binding, enabled))
        return shown

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-line--key")
        description_style = self.get_component_rich_style("key-line--description")
        line = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for key, binding, enabled in self._hints():
            start = len(line)
            line.append(f" {self.app.get_key_display(binding)} ", key_style)
            line.append(f"{binding.description} ", description_style)
            if not enabled:
                line.stylize("dim", start)
            self._spans.append((start, len(line), key, enabled))
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = Text.assemble("▏", (f"{self.app.get_key_display(Binding(self.app.COMMAND_PALETTE_BINDING, ''))} ",
                                          key_style), ("palette ", description_style))
            gap = max(self.size.width - len(line) - palette.cell_len, 1)
            line.append(" " * gap)
            self._spans.append((len(line), len(line) + len(palette), self.app.COMMAND_PALETTE_BINDING, True))
            line.append_text(palette)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
