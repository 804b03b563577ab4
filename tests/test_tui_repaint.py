"""What the terminal shows is what the app means to show: every update the app writes is replayed on a
small model of a terminal, and after each keystroke the picture must equal a full redraw of the screen.
A part of the screen that moved (a scroll) but was not repainted would leave the visitor reading the
questions that were there before."""

from __future__ import annotations

from helpers import screen_lines, type_quickly
from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType
from textual._compositor import CompositorUpdate

from visitor.tui.app import Reg44App
from visitor.tui.screens.visit import VisitScreen

SIZE = (80, 24)


class Terminal:
    """Cells written by the app's updates, as a terminal would keep them."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]

    def apply(self, update: CompositorUpdate, console: Console) -> None:
        x = y = 0
        for segment in console.render(update):
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = control[1], control[2]
                continue
            if segment.text == "\n":
                continue
            for char in segment.text:
                width = cell_len(char)
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.rows[y][x] = char
                x += max(width, 1)

    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.rows)


def watch_terminal(app: Reg44App) -> Terminal:
    """Replay every update the app sends to its terminal onto a ``Terminal``."""
    terminal = Terminal(*SIZE)
    console = Console(width=SIZE[0], height=SIZE[1], legacy_windows=False, force_terminal=True)
    display = app._display

    def recording(screen, renderable):
        if isinstance(renderable, CompositorUpdate):
            terminal.apply(renderable, console)
        return display(screen, renderable)
    app._display = recording
    return terminal


def full_picture(app: Reg44App) -> str:
    return "\n".join(line.rstrip() for line in screen_lines(app))


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause(0.05)


async def start_beech_view(pilot) -> VisitScreen:
    """A new visit to Beech View (four children, none yet seen), started from the dashboard as offered."""
    table = pilot.app.screen.query_one("#homes")
    table.move_cursor(row=[k for k, _ in table.rows].index("beech-view"))
    await pilot.press("v")
    await settle(pilot)
    await pilot.press("ctrl+s")  # the start form's date and announced choice as offered
    await settle(pilot)
    assert isinstance(pilot.app.screen, VisitScreen)
    return pilot.app.screen


async def test_a_scroll_of_the_form_is_redrawn_when_a_layout_and_a_lookup_come_with_it(demo_store):
    """Seen in tmux at 80×24 (Beech View: ST seen y, Tab, not seen alone n, Tab, a note, then Tab onto "Why not
    seen alone" typing at once): the form scrolled to the new question but the terminal kept the top of the
    section round the new text box. The walkthrough's scroll came in the same frame as a layout (the text box
    being typed into) and a widget drawing itself looked up where it is, after the scroll: Textual redraws after
    a layout only what moved since that lookup, so the scroll was never drawn. Here the three come together on
    purpose, not by the machine's timing."""
    root = demo_store.root
    demo_store.close()
    app = Reg44App(root)
    async with app.run_test(size=SIZE) as pilot:
        terminal = watch_terminal(app)
        screen = await start_beech_view(pilot)
        assert terminal.text() == full_picture(app)
        form = screen.query_one("#form")
        lowest = list(screen.fields.values())[-1]
        form.scroll_to(y=4, animate=False, immediate=True)  # a scroll alone: redrawn as it should be
        await settle(pilot)
        assert terminal.text() == full_picture(app)
        form.scroll_to(y=20, animate=False, immediate=True)  # as the walkthrough brings a question into view
        lowest.refresh(repaint=False, layout=True)  # a layout in the same frame (as a text box asks when typed into)
        lowest.region  # noqa: B018 - a widget asking where it is, as one drawing itself does
        await settle(pilot)
        assert form.scroll_y == 20
        assert terminal.text() == full_picture(app), "the terminal does not show the scrolled form"


async def test_the_terminal_shows_the_form_after_a_follow_up_question_scrolls_into_view(demo_store):
    """The same walk typed through the real keys: the terminal shows every line of the form after each burst."""
    root = demo_store.root
    demo_store.close()
    app = Reg44App(root)
    async with app.run_test(size=SIZE) as pilot:
        terminal = watch_terminal(app)
        await start_beech_view(pilot)
        # Keys as a visitor types them: a Tab and the words after it arrive together.
        for keys in (["y"], ["tab"], ["n"], ["tab", *"Staff stayed in the room throughout"],
                     ["tab", *"Will ask the manager to arrange a private room next month"]):
            await type_quickly(pilot, *keys)
            await settle(pilot)
            assert terminal.text() == full_picture(app), f"stale screen after {''.join(keys)!r}"
