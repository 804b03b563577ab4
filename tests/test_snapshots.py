"""Snapshots of the dashboard, the walkthrough and the help screen at 80×24 (pinned Textual 8.2.8).

The data set is the demo built for a fixed date, and the app is told the same date, so the pictures do
not change with the calendar. Refresh with ``pytest --snapshot-update`` after an intended change.
"""

from datetime import date

import pytest

from visitor import demo
from visitor.store import Store
from visitor.tui.app import Reg44App

FIXED = date(2026, 6, 15)


@pytest.fixture
def fixed_demo(data_dir):
    store = Store(data_dir)
    demo.build(store, today=FIXED)
    store.close()
    return data_dir


async def _steady(pilot):
    await pilot.pause(0.3)
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def test_dashboard(snap_compare, fixed_demo):
    assert snap_compare(Reg44App(fixed_demo, today=FIXED), terminal_size=(80, 24), run_before=_steady)


def test_walkthrough(snap_compare, fixed_demo):
    async def open_draft(pilot):
        await pilot.press("down", "down", "v")
        await _steady(pilot)

    assert snap_compare(Reg44App(fixed_demo, today=FIXED), terminal_size=(80, 24), run_before=open_draft)


def test_help_screen(snap_compare, fixed_demo):
    async def help_(pilot):
        await pilot.press("f1")
        await _steady(pilot)

    assert snap_compare(Reg44App(fixed_demo, today=FIXED), terminal_size=(80, 24), run_before=help_)
