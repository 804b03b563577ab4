"""The real app driven through App.run_test() and its Pilot, against real data folders."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from helpers import add_child, add_home, assert_in_view, focus_on, screen_lines, type_quickly
from visitor.storage import DataLock
from visitor.store import Store
from visitor.tui.app import Reg44App
from visitor.tui.screens.dashboard import DashboardScreen
from visitor.tui.screens.export import ExportScreen
from visitor.tui.screens.forms import ConfirmScreen
from visitor.tui.screens.visit import VisitScreen
from visitor.tui.widgets.fields import ChoiceField, NotesField, NumberField, YesNoField

SIZE = (80, 24)
YES_IS_CONCERN = {"locked_doors", "restrictions", "staff_routines"}


@pytest.fixture
def one_home(data_dir):
    store = Store(data_dir)
    add_home(store)
    add_child(store, "test-home", "AB", communication="non-verbal", advocate="non-instructed")
    store.set_profile(name="Test Visitor", independence="I have no connection with the provider.")
    store.close()
    return data_dir


def saved_draft(data_dir, home="test-home"):
    return Store(data_dir, readonly=True).draft(home)


async def wait_saved(pilot, screen):
    await pilot.pause()
    assert screen.saver.flush(10)
    await pilot.pause()


async def begin_visit(pilot) -> VisitScreen:
    """From the dashboard: start a visit to the selected home, accepting today's date."""
    await pilot.press("v", "ctrl+s")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, VisitScreen)
    return screen


async def answer_focused(pilot, app, handled: set) -> None:
    widget = app.focused
    key = getattr(widget, "field_key", None)
    if key is None or key in handled:
        return
    handled.add(key)
    if isinstance(widget, YesNoField):
        item = key.split(":")[-1]
        await pilot.press("n" if item in YES_IS_CONCERN else "y")
    elif isinstance(widget, NumberField):
        await pilot.press("0")
    elif isinstance(widget, ChoiceField):
        await pilot.press("1")
    elif isinstance(widget, NotesField) and (key.startswith("o:") or key.startswith("c:")):
        await pilot.press(*"Seen and heard.")
    await pilot.pause()


def shown_fields(screen) -> set[str]:
    """Keys of the fields on screen now (a follow-up question is hidden until its condition holds)."""
    return {k for k, w in screen.fields.items() if w.display and all(a.display for a in w.ancestors)}


async def fill_section(pilot, app, screen, limit: int = 200) -> None:
    """Tab through the section answering every field (records examined are optional: skipped)."""
    handled: set = {k for k in screen.fields if k.startswith("rec:")}
    for _ in range(limit):
        await answer_focused(pilot, app, handled)
        if shown_fields(screen) <= handled:
            return
        await pilot.press("tab")
        await pilot.pause()
    raise AssertionError(f"not every field was reached in {screen.section}: {shown_fields(screen) - handled}")


async def test_whole_visit_from_dashboard_to_final_with_keys_only(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VisitScreen)
        for section_id, _ in screen.sections:
            if section_id == "finalise":
                break
            assert screen.section == section_id
            if section_id == "people":
                await focus_on(pilot, screen.query_one("#add-person"))
                await pilot.press("enter")
                await pilot.pause()
            await fill_section(pilot, app, screen)
            await pilot.press("ctrl+n")
            await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert screen.section == "finalise"
        assert screen._gaps == [], [g.message for g in screen._gaps]
        assert app.focused is screen.query_one("#finalise"), "with nothing missing, F5 lands on Finalise"
        await pilot.press("tab")  # destructive actions are kept off the path: no Discard next to Finalise
        assert "discard" not in (app.focused.id or "") and not screen.query("#discard"), app.focused
        assert "ctrl+d" in str(screen.query_one("#discard-note").render()), "discarding is by its own key"
        await focus_on(pilot, screen.query_one("#finalise"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "finalising asks first"
        await pilot.press("n")
        await pilot.pause()
        assert screen.visit["status"] == "draft" and app.screen is screen
        await pilot.press("enter", "y")
        await pilot.pause()
        assert screen.visit["status"] == "final"
        await pilot.press("escape")
        await pilot.pause()
    store = Store(one_home, readonly=True)
    [final] = store.visits("test-home")
    assert final["status"] == "final" and final["answers"]["locked_doors"] == "no"
    assert final["people"][0]["role"] == "registered manager"
    assert final["opinions"]["safeguarded"] == {"answer": "yes", "reasons": "Seen and heard."}
    assert store.draft("test-home") is None


async def test_autosave_after_each_change_and_validation_message(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await begin_visit(pilot)
        await pilot.press("ctrl+n", "ctrl+n")  # restraint section
        await pilot.pause()
        assert screen.section == "restraint"
        field = screen.fields["a:restraints"]
        await focus_on(pilot, field)
        await pilot.pause()
        for typed in ("1", "12"):
            await pilot.press(typed[-1])
            await wait_saved(pilot, screen)
            assert saved_draft(one_home)["answers"]["restraints"] == int(typed)
        await pilot.press("x")
        await wait_saved(pilot, screen)
        box = screen.boxes["a:restraints"]
        error = box.query_one(".error")
        assert "whole number" in str(error.render()) and not error.has_class("hidden")
        draft = saved_draft(one_home)
        assert draft["invalid"]["a:restraints"] == "12x", "what was typed is kept"
        assert "restraints" not in draft["answers"]
        await pilot.press("backspace")
        await wait_saved(pilot, screen)
        assert error.has_class("hidden")
        assert saved_draft(one_home)["answers"]["restraints"] == 12
        # Typed (or pasted) faster than changes are handled: only the newest text is applied and saved, so the
        # save of what is on screen is not held back behind one save per key.
        note = screen.fields["n:restraints"]
        await focus_on(pilot, note)
        submitted = []
        submit = screen.saver.submit
        screen.saver.submit = lambda doc: (submitted.append(1), submit(doc))
        typed = "held in the hall " * 12
        await type_quickly(pilot, *[" " if ch == " " else ch for ch in typed])
        await wait_saved(pilot, screen)
        assert saved_draft(one_home)["notes"]["restraints"] == typed, "every key typed is saved"
        assert len(submitted) < len(typed) / 2, f"{len(submitted)} saves for {len(typed)} keys"


def test_killed_mid_visit_resumes_at_same_section_and_field(one_home):
    script = textwrap.dedent(f"""
        import asyncio, os, signal
        from pathlib import Path
        from visitor.tui.app import Reg44App

        async def main():
            app = Reg44App(Path({str(one_home)!r}))
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("v", "ctrl+s")
                await pilot.pause()
                await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
                await pilot.pause()
                screen = app.screen
                field = screen.fields["a:prn_behaviour"]
                while app.focused is not field:  # focus lands on a later turn of the event loop
                    field.focus()
                    await pilot.pause()
                await pilot.press("4", "2")
                await pilot.pause(0.5)
                os.kill(os.getpid(), signal.SIGKILL)
        asyncio.run(main())
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]

    async def resume():
        app = Reg44App(one_home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("v")
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, VisitScreen)
            assert screen.section == "medication"
            assert app.focused.field_key == "a:prn_behaviour"
            assert app.focused.value == "42"

    import asyncio
    asyncio.run(resume())


async def test_finalise_refuses_incomplete_visit_and_jumps_to_gap(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await begin_visit(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert screen.query_one("#finalise").disabled
        first = screen._gaps[0]
        await focus_on(pilot, screen.query_one("#gaps"))
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert screen.section == first.section
        assert app.focused.field_key == first.field
    assert Store(one_home, readonly=True).visits("test-home") == []


async def test_concern_key_marks_item_with_note(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await begin_visit(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("2", "enter")
        await pilot.pause(0.2)
        assert screen.section == "staffing"
        await focus_on(pilot, screen.fields["a:vacancies"])
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press(*"Three posts empty", "ctrl+s")
        await wait_saved(pilot, screen)
        draft = saved_draft(one_home)
        assert "vacancies" in draft["flagged"] and draft["notes"]["vacancies"] == "Three posts empty"
        assert any("Vacancies" in str(o.prompt) for o in screen.query_one("#concerns").options)


async def test_help_screen_lists_keys(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+c")  # the reflex to quit says which key quits, as text, not markup
        await pilot.pause(0.1)
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Press ^q to quit" in shown and "[b]" not in shown, shown
        await pilot.press("f1")
        await pilot.pause()
        text = " ".join(str(w.render()) for w in app.screen.query("#help-body Static"))
        assert "Add home" in text and "Trends" in text and "y / n / k" in text
        await pilot.press("escape")
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        text = " ".join(str(w.render()) for w in app.screen.query("#help-body Static"))
        assert "Next" in text and "Concern" in text and "Finalise" in text


async def test_help_wraps_a_long_description_under_the_description_not_the_keys(demo_store):
    """F1 on a home at 80×24: "p  Provider — Factual corrections and the provider's responses…" is too long for
    one line; its second line starts under the description, not under the key column (where it read as a key)."""
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press("f1")
        await pilot.pause(0.3)
        body = app.screen.query_one("#help-body")
        inside = body.content_region
        lines = [line[inside.x:inside.right] for line in screen_lines(app)[inside.y:inside.bottom]]
        start = next(n for n, line in enumerate(lines) if "Provider" in line)
        key_column = lines[start].index("Provider")
        assert lines[start].strip().startswith("p ")
        assert "responses" not in lines[start], "the description is long enough to wrap at 80×24"
        follow = lines[start + 1]
        assert follow[:key_column].strip() == "" and follow[key_column:].strip(), lines[start:start + 2]

async def test_second_copy_is_read_only(one_home):
    holder = DataLock(one_home)
    holder.acquire()
    try:
        app = Reg44App(one_home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.readonly and app.sub_title == "READ-ONLY"
            await pilot.press("v")
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
    finally:
        holder.release()
    assert Store(one_home, readonly=True).draft("test-home") is None


async def test_broken_file_shown_and_restored_from_app(one_home):
    store = Store(one_home)
    add_child(store, "test-home", "CD")  # first rewrite takes a backup
    store.close()
    path = one_home / "homes" / "test-home.json"
    path.write_text("{ broken")
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#banner")
        assert not banner.has_class("hidden") and str(path) in str(banner.render())
        assert path.read_text() == "{ broken"
        await pilot.press("R")
        await pilot.pause()
        assert banner.has_class("hidden")
    assert len(Store(one_home, readonly=True).children("test-home")) == 1


async def test_failed_save_is_reported_and_retried(one_home, monkeypatch):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await begin_visit(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        real = app.store.save_draft

        def disk_full(visit):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(app.store, "save_draft", disk_full)
        screen.saver._save = disk_full
        await focus_on(pilot, screen.fields["a:restraints"])
        await pilot.press("5")
        await pilot.pause()
        screen.saver.flush(5)
        await pilot.pause()
        assert "NOT SAVED" in str(screen.query_one("#save-state").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen, "does not leave while unsaved"
        screen.saver._save = real
        await pilot.press("ctrl+s")
        await wait_saved(pilot, screen)
        assert "saved" in str(screen.query_one("#save-state").render())
    assert saved_draft(one_home)["answers"]["restraints"] == 5


async def test_trends_screen_and_resolve(demo_store):
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#homes")
        table.move_cursor(row=1)
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        before = len(screen.flags)
        assert before > 5
        await pilot.press("2")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"Discussed with LADO", "ctrl+s")
        await pilot.pause()
        assert len(screen.flags) == before - 1
        await pilot.press("3")
        await pilot.pause()
        assert screen.query_one("#compare-table").row_count > 10


async def palette(pilot, query: str) -> list[str]:
    """Open the command palette over the current screen, type ``query``: the commands it offers."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    for _ in range(50):
        await pilot.pause(0.05)
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)
        commands = palette.query_one(CommandList)
        found = [str(commands.get_option_at_index(n).prompt) for n in range(commands.option_count)]
        if found and not any("No matches" in text for text in found):
            return found
    return found


async def test_export_screen_writes_reports(demo_store, tmp_path):
    """Opened through the command palette, which offers the actions of the screen it opened over."""
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any(text.startswith("Visit") for text in await palette(pilot, "Visit"))
        await pilot.press("escape")
        assert any("Oak House" in text for text in await palette(pilot, "oak"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.home_id == "oak-house"
        await pilot.press("2")
        await pilot.pause()
        table = app.screen.query_one("#visits-table")
        table.move_cursor(row=0)
        assert any("Export" in text for text in await palette(pilot, "export"))
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#folder").value = str(tmp_path / "out")
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Written" in str(app.screen.query_one("#result").render())
    assert len(list((tmp_path / "out").glob("*.docx"))) >= 3




async def test_the_palette_opens_on_this_screens_own_commands(demo_store):
    """ctrl+p with nothing typed lists what can be done here (a home's Visit, Trends, Add child…), not Textual's
    generic commands first; and it offers no Screenshot, which wrote a picture of the screen (children's codes
    included) to the Downloads folder, readable by others, outside the data folder."""
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the dashboard's first home
        await pilot.pause(0.3)
        offered = [text.split("\n")[0] for text in await palette(pilot, "")]
        assert offered[:3] == ["Back", "Visit", "Trends"], offered
        assert not any(text in ("Screenshot", "Maximize", "Keys", "Focus Next", "Copy selected text")
                       for text in offered), offered
        assert "Quit" in offered and "Help" in offered
        await pilot.press("escape")
        assert not any(text.startswith("Screenshot") for text in await palette(pilot, "screensh"))


async def test_export_says_how_many_reports_it_wrote_and_shows_them_at_80x24(demo_store, tmp_path):
    """Every copy of Beech View's last visit (provider, Ofsted, three placing authorities) at 80×24: the visitor sees
    how many were written, where, and each file's name, without scrolling (the full paths wrapped and the last two
    were below the screen, with nothing saying there were more)."""
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        visit = app.store.visits("beech-view")[-1]
        app.push_screen(ExportScreen(visit["id"]))
        await pilot.pause(0.3)
        out = tmp_path / "out"
        app.screen.query_one("#folder").value = str(out)
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        written = sorted(p.name for p in out.glob("*.docx"))
        assert len(written) == 5
        shown = "\n".join(screen_lines(app))
        assert f"Written {len(written)} reports to" in shown
        for name in written:
            assert name in shown, f"{name} not on screen"


def test_domain_never_imports_textual():
    from conftest import ROOT

    modules = [p.stem for p in (ROOT / "visitor").glob("*.py") if p.stem not in ("__main__", "bench")]
    modules += ["report." + p.stem for p in (ROOT / "visitor" / "report").glob("*.py")]
    code = "import sys\n" + "".join(f"import visitor.{m}\n" for m in modules) + \
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_start_up_to_the_dashboard_imports_no_trends_engine_and_no_word_writer(demo_store):
    """The dashboard reads stored summaries: the engine (``visitor.analysis``, ``visitor.trends``) and
    python-docx cost start-up time and are loaded only when trends or a report are asked for. (A helper the
    dashboard borrowed from ``analysis.themes`` once pulled the whole engine into every start.)"""
    root = demo_store.root
    demo_store.close()
    code = ("import asyncio, sys\nfrom pathlib import Path\nfrom visitor.tui.app import Reg44App\n"
            f"app = Reg44App(Path({str(root)!r}))\n"
            "async def main():\n"
            "    async with app.run_test(size=(80, 24)) as pilot:\n"
            "        await pilot.pause()\n"
            "        assert app.screen.query_one('#homes').row_count == 3\n"
            "asyncio.run(main())\n"
            "print(sorted(m for m in sys.modules if m.startswith(('visitor.analysis', 'visitor.trends', 'docx'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]", out


async def test_hostile_input_in_forms_gets_messages_and_keeps_typing(one_home):
    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        await pilot.press(*"Ash עברית")
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab")
        await pilot.press(*"-3")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form, "the form stays open"
        assert "less than 0" in str(form.query_one("#form-error").render())
        assert_in_view(form.query_one(".dialog"), "cannot be less than 0 (got -3).")
        assert app.focused is form.query_one("#f-places"), "the field at fault has the cursor"
        assert form.query_one("#f-name").value == "Ash עברית", "nothing typed is lost"
        form.query_one("#f-places").value = "3"
        form.query_one("#f-urn").value = "SC100001"
        form.query_one("#f-registered_on").value = "2015-01-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        screen = await begin_visit(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        for raw, message in (("-1", "less than 0"), ("1e99", "whole number"), ("abc", "whole number"),
                             ("99999999", "more than")):
            field = screen.fields["a:restraints"]
            field.value = ""
            await focus_on(pilot, field)
            await pilot.press(*raw)
            await pilot.pause()
            assert message in str(screen.boxes["a:restraints"].query_one(".error").render()), raw
        await wait_saved(pilot, screen)
    assert saved_draft(one_home, "ash")["invalid"]["a:restraints"] == "99999999"
    assert [h.name for h in Store(one_home, readonly=True).homes()] == ["Ash עברית", "Test House"]


@pytest.mark.parametrize("opens", ["add home", "add child"])
async def test_keys_typed_quickly_across_a_tab_stay_in_the_field_they_were_typed_in(one_home, opens):
    """A terminal queues keys typed quickly; before the Tab was handled at the app, the keys after it went
    into the field it was leaving ("Ab12x9" in the name, nothing in the URN)."""
    from textual.widgets import Input

    app = Reg44App(one_home)
    async with app.run_test(size=SIZE) as pilot:
        if opens == "add child":
            await pilot.press("enter")
            await pilot.pause()
        await pilot.press("a" if opens == "add home" else "c")
        await pilot.pause()
        inputs = list(app.screen.query(Input))
        await focus_on(pilot, inputs[0])
        await type_quickly(pilot, "A", "b", "1", "tab", "2", "x", "shift+tab", "9")
        await pilot.pause()
        assert [i.value for i in inputs[:2]] == ["Ab19", "2x"]


async def test_a_form_shows_each_fields_label_with_it_at_80x24(demo_store):
    """The child form is taller than 80×24. It opened scrolled to centre its first box: the title and the label
    "Initials or code (never a name)" were above the view, leaving an unlabelled box. Each field, focused, is
    shown with its label; the first with the form's title."""
    from textual.widgets import Label

    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press("c")
        await pilot.pause(0.5)
        form = app.screen
        dialog = form.query_one(".dialog")
        assert dialog.max_scroll_y > 0, "the form is taller than the screen"

        def visible(widget) -> bool:
            view = dialog.scrollable_content_region
            return view.y <= widget.region.y and widget.region.bottom <= view.bottom and widget.region.height > 0

        assert visible(form.query_one(".dialog-title")), "the form's title is in view"
        labels = list(form.query(Label))
        for n, label in enumerate(labels):
            field = label.parent.children[label.parent.children.index(label) + 1]
            if n:
                await pilot.press("tab")
            for _ in range(20):
                await pilot.pause(0.05)
                if app.focused is field and visible(label) and visible(field):
                    break
            assert app.focused is field and visible(label) and visible(field), str(label.render())


async def test_the_childrens_table_headers_are_whole_words_at_80x24(demo_store):
    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause(0.3)
        header = next(line for line in screen_lines(app) if line.lstrip().startswith("Code"))
        assert "Placing author " not in header + " ", header
        assert "Authority" in header or "Placing authority" in header, header


async def test_export_and_provider_screens_are_titled_by_home_and_date(demo_store):
    """Their header said 'beech-view@2026-10-12' (an internal id) or only 'Regulation 44 visits'."""
    from visitor.tui.screens.provider import ProviderScreen

    demo_store.close()
    app = Reg44App(demo_store.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        visit = app.store.visits("beech-view")[-1]
        for screen in (ExportScreen(visit["id"]), ProviderScreen(visit["id"])):
            app.push_screen(screen)
            await pilot.pause(0.3)
            header = screen_lines(app)[0]
            assert "Beech View" in header and visit["date"] in header and "@" not in header, header
            app.pop_screen()
            await pilot.pause()
