"""A Footer that recomposes only when the keys it shows change.

Textual's Footer rebuilds all its keys on every focus change; in a long form that made each tab cost
~0.3 s of CPU. Moving between two fields with the same keys now costs nothing.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _shown: tuple = ()

    def __init__(self, *args, **kw) -> None:
        # The palette (ctrl+p) is listed on the help screen; at 80 columns its footer slot hid Help and Quit.
        kw.setdefault("show_command_palette", False)
        super().__init__(*args, **kw)

    def _signature(self, screen: Screen) -> tuple:
        return tuple((key, b.description, enabled) for key, (_, b, enabled, _) in screen.active_bindings.items()
                     if b.show)

    def bindings_changed(self, screen: Screen) -> None:
        signature = self._signature(screen)
        if signature == self._shown and self._bindings_ready:
            return
        self._shown = signature
        super().bindings_changed(screen)
