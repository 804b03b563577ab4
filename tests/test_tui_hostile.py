"""Hostile text in the app: names that look like markup are shown as typed on every screen, and hostile
strings typed into forms are refused with a message (data folder untouched) or stored as typed."""

from __future__ import annotations

import hashlib
import html
import math
import re

import pytest

from helpers import add_child, add_home, complete
from visitor import workflow
from visitor.store import Store
from visitor.tui.app import Reg44App
from visitor.tui.screens.dashboard import DashboardScreen
from visitor.tui.screens.export import ExportScreen
from visitor.tui.screens.home import HomeScreen
from visitor.tui.screens.trends import TrendsScreen
from visitor.tui.screens.visit import VisitScreen

HOME = "Kent [/] Council [b]House"
AUTHORITY = "[East] Borough [/]"
NOTE = "[red]not red[/red] and [/] and [link=x]y"


@pytest.fixture
def markup_home(data_dir):
    store = Store(data_dir)
    add_home(store, "kent", HOME, provider="[i]Care[/i] Ltd", registered_manager="[/]")
    child = add_child(store, "kent", "AB", authority=AUTHORITY)
    visit = complete(store, store.start_visit("kent", "2026-01-10"))
    visit["notes"]["locked_doors"] = NOTE
    visit["recommendations"] = [{"id": "r1", "text": NOTE, "reference": "[QS 7]", "timescale": "[/]", "response": ""}]
    visit["people"][0]["notes"] = NOTE
    store.save_draft(visit)
    workflow.finalise(store, store.draft("kent"))
    later = store.start_visit("kent", "2026-02-10")
    later["answers"]["locked_doors"] = "yes"
    later["notes"]["locked_doors"] = NOTE
    later["flagged"] = ["vacancies"]
    store.save_draft(later)
    store.close()
    return data_dir, child


async def _visible_text(pilot) -> str:
    """What the terminal shows now, as plain text (from the app's own screenshot)."""
    await pilot.pause()
    svg = pilot.app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))).replace("\xa0", " ")


async def test_markup_like_names_and_notes_shown_as_typed_on_every_screen(markup_home):
    data, _ = markup_home
    app = Reg44App(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert "Kent [/] Council [b]House" in await _visible_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "[East] Borough [/]" in await _visible_text(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "[red]not red[/red]" in await _visible_text(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("down", "x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert HOME in await _visible_text(pilot)
        app.screen.query_one("#audience").expanded = True
        await pilot.pause()
        assert "[East] Borough [/]" in await _visible_text(pilot)
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TrendsScreen)
        for tab in ("2", "3"):
            await pilot.press(tab)
            await _visible_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("o")  # the final visit, read-only
        await pilot.pause(0.3)
        assert isinstance(app.screen, VisitScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, VisitScreen)
        drawn = []
        for section_id, _ in screen.sections:
            await screen.show_section(section_id)
            drawn.append(await _visible_text(pilot))
        everything = "\n".join(drawn)
        assert "[East] Borough [/]" in everything and "[red]not red[/red]" in everything
        await pilot.press("f1")
        await _visible_text(pilot)


def _tree_hash(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "backups" not in path.parts and path.name != "reg44.lock":
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


HOSTILE = {
    "nul": "A\x00B",
    "control": "bell\x07esc\x1b[31m",
    "rtl": "\u202eevil\u202c עברית",
    "zero-width": "Oak\u200bHouse\u200d",
    "long": "x" * 100_000,
    "huge": "1" * 400,
    "negative": "-5",
    "nan": "NaN",
    "inf": "Infinity",
    "float-exp": "1e308",
    "bad-date": "2026-02-30",
    "long-name": "N" * 5000,
}


@pytest.fixture
def plain_home(data_dir):
    store = Store(data_dir)
    add_home(store)
    add_child(store, "test-home", "AB")
    store.close()
    return data_dir


@pytest.mark.parametrize("field", ["name", "places", "registered_on", "urn"])
async def test_hostile_strings_in_the_home_form_refused_cleanly_or_stored_as_typed(plain_home, field):
    app = Reg44App(plain_home)
    results = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for label, raw in HOSTILE.items():
            await pilot.press("a")
            await pilot.pause()
            form = app.screen
            values = {"name": f"Hostile {label}", "places": "2", "registered_on": "2020-01-01", "urn": "SC123456"}
            values[field] = raw
            for name, value in values.items():
                form.query_one(f"#f-{name}").value = value
            before = _tree_hash(plain_home)
            await pilot.press("ctrl+s")
            await pilot.pause()
            if app.screen is form:
                error = str(form.query_one("#form-error").render())
                assert error.strip(), f"{field}={label}: refused without a message"
                assert _tree_hash(plain_home) == before, f"{field}={label}: a refusal wrote to the data folder"
                results[label] = "refused"
                await pilot.press("escape", "y")  # the form holds typing: escape asks before throwing it away
                await pilot.pause()
            else:
                results[label] = "stored"
            assert isinstance(app.screen, DashboardScreen), f"{field}={label}: the app survives"
    store = Store(plain_home, readonly=True)
    stored = {h.name: h for h in store.homes()}
    for label, outcome in results.items():
        if outcome == "stored":
            home = stored[f"Hostile {label}"] if field != "name" else next(
                (h for h in stored.values() if h.name == HOSTILE[label].strip()), None)
            assert home is not None, f"{field}={label}: said stored, but not found as typed"
    assert "refused" in results.values()


async def test_hostile_answers_in_the_walkthrough_never_crash_and_refusals_write_nothing_valid(plain_home):
    app = Reg44App(plain_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v", "ctrl+s")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, VisitScreen)
        await screen.show_section("restraint")
        await pilot.pause()
        for label, raw in HOSTILE.items():
            for key in ("a:restraints", "a:longest_restraint_minutes", "n:restraints"):
                field = screen.fields[key]
                field.value = raw
                await pilot.pause()
                answers = screen.visit["answers"]
                item = key[2:]
                if key.startswith("a:") and item in answers:
                    value = answers[item]
                    assert isinstance(value, (int, float)) and math.isfinite(value) and value >= 0, (label, value)
                    assert value <= 1440 or item == "restraints", (label, value)
                elif key.startswith("a:"):
                    assert screen.visit["invalid"][key] == raw.replace("\x00", "") or screen.visit["invalid"][key] == raw
                    assert str(screen.boxes[key].query_one(".error").render()).strip(), (label, key)
        assert screen.saver.flush(10)
        await pilot.press("escape")
        await pilot.pause()
    draft = Store(plain_home, readonly=True).draft("test-home")
    assert draft["notes"]["restraints"] == HOSTILE["long-name"], "the last note is stored as typed"
