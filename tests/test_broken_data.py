"""Broken and hostile data files never crash the app: the file is named, R restores it, nothing is written over.

Every case is tried on the file autosave rewrites (``drafts/<home>.json``) and on the home's history
(``homes/<home>.json``): at start-up, then on opening the home, then restored with R from the dashboard.
"""

from __future__ import annotations

import pytest
from helpers import add_child, add_home

from visitor.store import Store
from visitor.tui import app as app_module
from visitor.tui.app import Reg44App
from visitor.tui.screens.dashboard import DashboardScreen
from visitor.tui.screens.home import HomeScreen

SIZE = (80, 24)
DEEP = 50_000


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


CASES = {
    "empty": lambda good: b"",
    "truncated": _truncated,
    "not-json": lambda good: b"this is not JSON at all",
    "a-list": lambda good: b"[1, 2, 3]",
    "newer-schema": lambda good: b'{"_meta": {"1": {"schema": 999}}}',
    "table-not-records": lambda good: b'{"visits": [1, 2], "draft": [1, 2], "children": "x"}',
    "deep-object": lambda good: b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep-list": lambda good: b"[" * DEEP + b"]" * DEEP,
    "wrong-records": lambda good: b'{"visits": {"1": {"id": 5}}, "draft": {"1": {"id": 5}}, "children": {"1": {}}}',
    "directory": None,
}


def params(kind: str):
    for case in CASES:
        yield pytest.param(kind, case, id=f"{kind}-{case}")


@pytest.fixture
def home_with_draft(data_dir):
    """A home with children and a draft, each file rewritten by a later run so that a backup of it exists."""
    store = Store(data_dir)
    add_home(store)
    add_child(store, "test-home", "AB")
    draft = store.start_visit("test-home", "2026-01-05")
    store.close()
    store = Store(data_dir)
    add_child(store, "test-home", "CD")
    draft["answers"]["restraints"] = 1
    store.save_draft(draft)
    store.close()
    return data_dir


def break_file(path, case: str) -> bytes | None:
    good = path.read_bytes()
    if case == "directory":
        path.unlink()
        path.mkdir()
        (path / "inside").write_text("x")
        return None
    broken = CASES[case](good)
    path.write_bytes(broken)
    return broken


def assert_untouched(path, broken: bytes | None) -> None:
    if broken is None:
        assert path.is_dir() and (path / "inside").read_text() == "x"
    else:
        assert path.read_bytes() == broken


def banner_text(app) -> str:
    banner = app.screen.query_one("#banner")
    return "" if banner.has_class("hidden") else str(banner.render())


@pytest.mark.parametrize(("kind", "case"), [*params("drafts"), *params("homes")])
async def test_broken_file_is_named_never_crashes_and_R_restores_it(home_with_draft, kind, case):
    path = home_with_draft / kind / "test-home.json"
    broken = break_file(path, case)
    app = Reg44App(home_with_draft)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one("#homes").row_count == 1, "the homes are still listed"
        if kind == "drafts":  # the dashboard reads every draft: found at start-up
            assert str(path) in banner_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen), "a broken home is not opened"
        assert str(path) in banner_text(app)
        assert app.broken_data is not None
        await pilot.press("v", "t")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen), "nor visited nor analysed"
        assert_untouched(path, broken)
        await pilot.press("R")
        await pilot.pause()
        if case in ("newer-schema", "directory"):  # refused: an older backup would lose what a newer
            assert_untouched(path, broken)            # reg44 wrote; a folder is the visitor's to move
            assert str(path) in banner_text(app)
            return
        await pilot.pause()
        assert banner_text(app) == "", "restored from the newest good backup"
        assert app.broken_data is None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    restored = Store(home_with_draft, readonly=True)
    assert len(restored.children("test-home")) >= 1
    assert restored.draft("test-home") is not None
    aside = list((home_with_draft / "aside").glob(f"*/{kind}/test-home.json"))
    assert len(aside) == 1, "the broken file is kept aside"


async def test_file_broken_while_its_home_is_open_returns_to_the_dashboard(home_with_draft):
    app = Reg44App(home_with_draft)
    path = home_with_draft / "homes" / "test-home.json"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        path.write_bytes(b"{ not json")
        home.reload()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert str(path) in banner_text(app)


def _run_headless(monkeypatch, pilot_steps):
    """``visitor.tui.app.run`` as the shell runs it, headless, with keys pressed by ``pilot_steps``."""
    real_run = Reg44App.run

    def headless(self, **kw):
        return real_run(self, headless=True, size=SIZE, auto_pilot=pilot_steps)
    monkeypatch.setattr(Reg44App, "run", headless)


def test_quitting_while_a_file_is_broken_exits_non_zero_with_its_message(home_with_draft, monkeypatch, capsys):
    path = home_with_draft / "drafts" / "test-home.json"
    path.write_bytes(b"")

    async def quit_(pilot):
        await pilot.pause()
        await pilot.press("ctrl+q")
    _run_headless(monkeypatch, quit_)
    assert app_module.run(home_with_draft) != 0
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


def test_quitting_with_good_data_exits_zero(home_with_draft, monkeypatch, capsys):
    async def quit_(pilot):
        await pilot.pause()
        await pilot.press("ctrl+q")
    _run_headless(monkeypatch, quit_)
    assert app_module.run(home_with_draft) == 0
    assert capsys.readouterr().err == ""


def test_a_data_error_where_no_screen_expects_it_ends_with_its_message_not_a_traceback(home_with_draft, monkeypatch,
                                                                                       capsys):
    from visitor.storage import DataFileError

    path = home_with_draft / "index.json"

    async def fail(pilot):
        await pilot.pause()

        def broken() -> None:
            raise DataFileError(path, "the file is not valid JSON")
        pilot.app.call_later(broken)  # the app ends itself: no further steps
    _run_headless(monkeypatch, fail)
    assert app_module.run(home_with_draft) != 0
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
