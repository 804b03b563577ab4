"""The reg44 Textual app: opens the data folder, takes the writer lock, shows the dashboard."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from visitor.storage import DataFileError, LockedError
from visitor.store import Store


def _commands():
    """The palette provider, imported when the palette first opens (textual.command costs ~50 ms)."""
    from visitor.tui.commands import Reg44Commands

    return Reg44Commands


class Reg44App(App):
    CSS_PATH = "app.tcss"
    TITLE = "reg44"
    SUB_TITLE = "Regulation 44 visits"
    COMMANDS = App.COMMANDS | {_commands}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="List every key on this screen"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.theme", show=False, tooltip="Switch between light and dark"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Quit (drafts are already saved)", priority=True),
    ]

    def __init__(self, data_dir: Path | None = None, *, today: date | None = None) -> None:
        from visitor.locations import data_dir as default_data_dir

        self._started = time.perf_counter()
        super().__init__()
        self.store = Store(data_dir or default_data_dir())
        self.today = today or date.today()
        self.readonly = False

    def on_mount(self) -> None:
        from visitor.tui.screens.dashboard import DashboardScreen

        try:
            self.store.acquire()
        except LockedError as exc:
            self.readonly = True
            self.store.readonly = True
            self.sub_title = "READ-ONLY"
            self.notify(str(exc), title="Read-only", severity="warning", timeout=15)
        try:
            theme = self.store.settings().get("theme")
            if theme in self.available_themes:
                self.theme = theme
        except DataFileError as exc:
            self.notify(str(exc), severity="error", timeout=15)
        self.push_screen(DashboardScreen())
        self.log.info(f"reg44 ready in {time.perf_counter() - self._started:.3f}s")

    def writable(self) -> bool:
        """True if this copy may write; otherwise tells the visitor why not."""
        if self.readonly:
            self.notify("Read-only: another copy of reg44 is writing.", severity="warning")
        return not self.readonly

    def action_help(self) -> None:
        from visitor.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
        if not self.readonly:
            try:
                settings = self.store.settings()
                settings["theme"] = self.theme
                self.store.save_settings(settings)
            except Exception as exc:  # noqa: BLE001 - a theme preference is not worth an error dialog
                self.log.warning(f"theme not saved: {exc}")

    def on_unmount(self) -> None:
        self.store.close()


def run(data_dir: Path) -> int:
    Reg44App(data_dir).run()
    return 0
