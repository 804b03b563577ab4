"""The app's small window on the hub: the dashboard shows the last push and conflicts, and the command
palette pushes without leaving the keyboard (in a worker, so a slow network never freezes it)."""

from __future__ import annotations

import json
import os

import pytest
from helpers import add_child, add_home
from hub_server import Hub, server_problem

from visitor.hub.state import FILE
from visitor.store import Store
from visitor.tui.app import Reg44App

SIZE = (80, 24)


def legend(app) -> str:
    return str(app.screen.query_one("#legend").render())


async def test_dashboard_shows_no_hub_until_one_is_used_then_the_last_push_and_conflicts(data_dir):
    store = Store(data_dir)
    add_home(store)
    store.close()
    app = Reg44App(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "hub" not in legend(app)
    (data_dir / FILE).parent.mkdir()
    (data_dir / FILE).write_text(json.dumps({"target": "x", "last_push": "2026-11-20T09:15:00", "base": {},
                                             "conflicts": {"visits/a@2026-01-01": {"key": "visits/a@2026-01-01"}}}))
    app = Reg44App(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "hub: pushed 2026-11-20 09:15 · 1 CONFLICT" in legend(app)


async def test_palette_push_without_a_hub_says_so(data_dir, monkeypatch):
    monkeypatch.delenv("REG44_HUB", raising=False)
    store = Store(data_dir)
    add_home(store)
    store.close()
    app = Reg44App(data_dir)
    messages = []
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "notify", lambda message, **kw: messages.append(message))
        await _palette_push(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert any("No hub is configured" in m for m in messages)


@pytest.mark.skipif(server_problem() is not None and not os.environ.get("REG44_REQUIRE_PG"),
                    reason=f"needs PostgreSQL: {server_problem()}")
async def test_palette_push_sends_the_folder_and_the_dashboard_says_when(data_dir, monkeypatch):
    hub = Hub()
    try:
        monkeypatch.setenv("REG44_HUB", hub.target("ann"))
        store = Store(data_dir)
        add_home(store)
        add_child(store, "test-home", "AB")
        store.close()
        app = Reg44App(data_dir)
        async with app.run_test(size=SIZE) as pilot:
            await _palette_push(pilot)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "hub: pushed " in legend(app) and "CONFLICT" not in legend(app)
        assert hub.sql("SELECT id FROM reg44.homes") == [("test-home",)]
        assert hub.sql("SELECT code FROM reg44.children") == [("AB",)]
    finally:
        hub.drop()


async def _palette_push(pilot) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"push to the agency hub")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()
