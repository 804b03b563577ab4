"""The reg44 Textual app: opens the data folder, takes the writer lock, shows the dashboard."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

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
    # Only reg44's own commands, the screen's first. Textual's system commands came first and duplicated F1
    # (Keys) and ctrl+t (Theme, which also remembers the choice), and their Screenshot wrote a picture of the
    # screen, children's codes included, to the Downloads folder, readable by others, outside the data folder.
    COMMANDS: ClassVar[set] = {_commands}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="List every key on this screen"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.theme", show=False, tooltip="Switch between light and dark"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Quit (drafts are already saved)", priority=True),
        # On every screen, handled as soon as the key arrives: Textual's own Tab moves focus only once the key
        # has passed up from the focused field, and the keys typed after it went to the old field meanwhile.
        Binding("tab", "focus_next", "Next field", id="app.next_field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", id="app.previous_field", show=False, priority=True),
    ]

    def __init__(self, data_dir: Path | None = None, *, today: date | None = None) -> None:
        from visitor.locations import data_dir as default_data_dir

        self._started = time.perf_counter()
        super().__init__()
        self.store = Store(data_dir or default_data_dir())
        self.today = today or date.today()
        self.readonly = False
        self.broken_data: Exception | None = None  # a data file that cannot be read, until restored

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
            self.broken_data = exc
            self.notify(str(exc), severity="error", timeout=15)
        self.push_screen(DashboardScreen())
        self.log.info(f"reg44 ready in {time.perf_counter() - self._started:.3f}s")

    async def action_quit(self) -> None:
        """ctrl+q quits at once: every draft is already saved. A form's typing is not saved until ctrl+s (a
        concern's note after F2, a new child), so with one open and changed it asks first."""
        from visitor.tui.screens.forms import ConfirmScreen, FormScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        if any(isinstance(screen, FormScreen) and screen.changed() for screen in self.screen_stack):
            self.push_screen(ConfirmScreen("Quit and lose what you typed in the open form? (Drafts are saved.)"),
                             lambda yes: yes and self.exit())
            return
        self.exit()

    async def action_focus_next(self) -> None:
        await self._focused_keys_handled()
        self.screen.focus_next()

    async def action_focus_previous(self) -> None:
        await self._focused_keys_handled()
        self.screen.focus_previous()

    async def _focused_keys_handled(self) -> None:
        """Wait until the focused field has handled the keys already sent to it, so that a Tab typed right after
        an answer sees what that answer changed (a follow-up question it opened). Tab is handled as it arrives and
        a field's keys a moment later, in the field's own queue; the keys typed after the Tab wait here too, so
        they still reach the field the Tab lands on. Never longer than a moment: a field being removed may not
        answer."""
        import asyncio

        focused = self.focused
        if focused is None:
            return
        handled = asyncio.Event()
        if focused.call_later(handled.set):
            try:
                await asyncio.wait_for(handled.wait(), 0.5)
            except TimeoutError:
                pass

    def notify(self, message: str, *, title: str = "", markup: bool = True, **kw) -> None:
        """Every notification is plain text: they carry names, authorities and error messages that may hold
        ``[`` (``Kent [/] Council``) and must never be parsed as markup."""
        super().notify(message, title=title, markup=False, **kw)

    def action_help_quit(self) -> None:
        """ctrl+c (a reflex to quit) says how to quit. Textual's own message is markup, and every
        notification here is plain text, so it would show its ``[b]`` tags."""
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                key = self.get_key_display(active.binding)
                self.notify(f"Press {key} to quit (drafts are already saved).", title="Do you want to quit?")
                return

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

    def action_hub_push(self) -> None:
        """Push to the agency hub in a worker thread: the network must never freeze the keyboard."""
        self.notify("Pushing to the agency hub…", timeout=3)
        self.run_worker(self._push_to_hub, thread=True, exclusive=True, group="hub")

    def _push_to_hub(self) -> None:
        severity: SeverityLevel
        try:
            from visitor.hub.push import push

            result = push(self.store)
        except ImportError:
            message, severity = "The hub needs psycopg: pip install 'reg44[hub]'.", "warning"
        except Exception as exc:  # noqa: BLE001 - any failure is reported; the data folder is untouched
            message, severity = f"Push failed, nothing was lost: {exc}", "error"
        else:
            sent = sum(result.sent.values())
            message = f"Pushed {sent} record(s) to the hub." if sent else "The hub already has everything."
            severity = "information"
            if result.conflicts:
                message += f" {len(result.conflicts)} conflict(s): see `reg44 hub status`."
                severity = "warning"
        self.call_from_thread(self._pushed, message, severity)

    def _pushed(self, message: str, severity: SeverityLevel) -> None:
        self.notify(message, title="Agency hub", severity=severity, markup=False, timeout=8)
        reload = getattr(self.screen, "reload", None)
        if callable(reload):
            reload()

    def _handle_exception(self, error: Exception) -> None:
        """The last line of defence: a data file found broken where no screen expected it ends the app
        with its one-line message and a non-zero status, never a traceback."""
        if isinstance(error, DataFileError):
            self.broken_data = error
            self.exit(return_code=BROKEN_DATA)
            return
        super()._handle_exception(error)

    def on_unmount(self) -> None:
        self.store.close()


BROKEN_DATA = 2  # the CLI's exit status for an error (visitor.cli.EXIT_ERROR)


def run(data_dir: Path) -> int:
    """Run the app; the exit status is non-zero after a crash or while a data file is still broken."""
    import sys

    from visitor.model import ValidationError
    from visitor.storage import DataFileError

    try:
        app = Reg44App(data_dir)
    except (DataFileError, ValidationError, OSError) as exc:  # the folder cannot be opened (an unsafe or nested
        # name is a ValidationError): say why, in one line
        print(f"reg44: {exc}", file=sys.stderr)
        return BROKEN_DATA
    app.run()
    if app.broken_data is not None:
        print(f"reg44: {app.broken_data}", file=sys.stderr)
        return BROKEN_DATA
    return app.return_code or 0
