"""The walkthrough as a class of behaviour, checked on every section of the demo checklist at 80×24:
every field is seen with its question when focused, what is shown is what is saved, follow-up questions
appear only when they apply, and focus never selects (or destroys) what a note already holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rich.cells import cell_len

from helpers import add_child, add_home, focus_on, screen_lines, type_quickly
from visitor import editing
from visitor.model import PEOPLE_ROLES, RECORD_STATUSES
from visitor.store import Store
from visitor.tui.app import Reg44App
from visitor.tui.screens.forms import ConfirmScreen
from visitor.tui.screens.visit import VisitScreen
from visitor.tui.widgets.fields import ChoiceField, FieldBox, LineField, NotesField, YesNoField

SIZE = (80, 24)
# Answers that make every follow-up question apply, so that every field of every section is on screen.
TRIGGERS = {"a:restraints": "3", "a:prn_behaviour": "2", "a:missing_episodes": "1"}


@pytest.fixture
def oak_draft(demo_store):
    """A draft at Oak House (children, open recommendations) with every follow-up condition holding."""
    day = date.fromisoformat(demo_store.visits("oak-house")[-1]["date"]) + timedelta(days=1)
    checklist_visit = demo_store.start_visit("oak-house", day.isoformat())
    checklist = demo_store.checklist_for(checklist_visit)
    for key, raw in TRIGGERS.items():
        assert editing.apply(checklist_visit, checklist, key, raw) is None
    for n, child in enumerate(c for c in demo_store.children("oak-house") if c.resident_on(checklist_visit["date"])):
        editing.apply(checklist_visit, checklist, f"c:{child.id}:seen", "yes")
        editing.apply(checklist_visit, checklist, f"c:{child.id}:seen_alone", "no" if n == 0 else "yes")
    editing.add_person(checklist_visit)
    editing.add_recommendation(checklist_visit)
    demo_store.save_draft(checklist_visit)
    demo_store.close()
    return demo_store.root


async def open_oak(pilot) -> VisitScreen:
    table = pilot.app.screen.query_one("#homes")
    table.move_cursor(row=[k for k, _ in table.rows].index("oak-house"))
    return await resume(pilot)


async def resume(pilot) -> VisitScreen:
    """Press v on the dashboard's selected home and return the walkthrough it resumes."""
    await pilot.press("v")
    await pilot.pause(0.3)
    assert isinstance(pilot.app.screen, VisitScreen)
    return pilot.app.screen


def shown(widget) -> bool:
    return widget.display and all(a.display for a in widget.ancestors)


async def assert_in_view(pilot, screen: VisitScreen, widget) -> None:
    """The field and the question it answers are both inside the visible part of the form, once the scroll that
    brings them there has run (a frame or two; longer on a loaded machine, so wait up to two seconds)."""
    for _ in range(40):
        try:
            _in_view(screen, widget)
            return
        except AssertionError:
            await pilot.pause(0.05)
    _in_view(screen, widget)


def _in_view(screen: VisitScreen, widget) -> None:
    form = screen.query_one("#form")
    view = form.scrollable_content_region
    where = f"{getattr(widget, 'field_key', widget)} in {screen.section} (scroll {form.scroll_y})"
    region = widget.region
    assert region.height > 0 and view.y <= region.y and region.y < view.bottom, f"field off screen: {where}"
    box = next((a for a in widget.ancestors if isinstance(a, FieldBox)), None)
    if box is not None:
        question = box.query_one(".question").region
        assert question.height > 0 and view.y <= question.y < view.bottom, f"question off screen: {where}"


async def tab_through_section(pilot, screen: VisitScreen) -> set[str]:
    """Tab from the section's first field to its last, checking each focused field is in view."""
    seen: set[str] = set()
    focusables = [w for w in screen.query_one("#form").query("*") if w.focusable and shown(w)]
    assert pilot.app.focused is focusables[0], f"section {screen.section} opens on its first field"
    for widget in focusables:
        assert pilot.app.focused is widget, (screen.section, pilot.app.focused, widget)
        await pilot.pause()
        await assert_in_view(pilot, screen, widget)
        seen.add(getattr(widget, "field_key", widget.id or ""))
        if isinstance(widget, LineField):  # issue 13, item 8: placeholders were cut off at 80 columns
            fits = cell_len(widget.placeholder) <= widget.content_size.width
            assert fits, f"placeholder {widget.placeholder!r} wider than its box ({widget.content_size.width})"
        await pilot.press("tab")
        await pilot.pause()
    return seen


async def test_every_field_of_every_section_is_in_view_with_its_question(oak_draft):
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_oak(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("1", "enter")
        await pilot.pause(0.3)
        reached: set[str] = set()
        for section_id, _ in screen.sections:
            assert screen.section == section_id
            form = screen.query_one("#form")
            assert form.scroll_y == 0, f"{section_id} opens at its top"
            reached |= await tab_through_section(pilot, screen)
            await pilot.press("ctrl+n")
            await pilot.pause(0.2)
        follow_ups = {"a:prone_holds", "a:restraint_injuries", "a:prn_justified", "a:return_interviews_offered"}
        assert follow_ups <= reached, "follow-up questions are asked when their condition holds"


async def test_added_rows_and_jumps_from_the_finalise_list_land_in_view(oak_draft):
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_oak(pilot)
        await screen.show_section("people")
        await pilot.pause()
        # Issue 13, item 7: keys typed quickly stay with the field that had focus when each was typed.
        await focus_on(pilot, screen.fields["p:0:role"])
        await type_quickly(pilot, "3", "tab", "2", "tab", "4", "tab", "tab", "tab", "2", "tab", "5", "tab", "6")
        assert [editing.current_value(screen.visit, k) for k in
                ("p:0:role", "p:0:private", "p:0:notes", "rec:restraint:status", "rec:restraint:period",
                 "rec:restraint:notes")] == [PEOPLE_ROLES[2], "no", "4", RECORD_STATUSES[1], "5", "6"]
        for section, button, first_key in (("people", "#add-person", "p:{n}:role"),
                                           ("opinion", "#add-rec", "r:{n}:text")):
            await screen.show_section(section)
            await pilot.pause()
            for _ in range(3):
                rows = len(screen.visit["people" if section == "people" else "recommendations"])
                await focus_on(pilot, screen.query_one(button))
                await pilot.press("enter")
                await pilot.pause(0.3)
                assert getattr(app.focused, "field_key", None) == first_key.format(n=rows)
                await assert_in_view(pilot, screen, app.focused)
                await pilot.press("tab")
                await pilot.pause()
                await assert_in_view(pilot, screen, app.focused)
        await pilot.press("f5")
        await pilot.pause(0.3)
        gaps = list(screen._gaps)
        assert gaps
        jumped = set()
        for index, gap in enumerate(gaps):
            if gap.section in jumped or gap.field == "people":
                continue
            jumped.add(gap.section)
            await screen.show_section("finalise")
            await pilot.pause()
            gap_list = screen.query_one("#gaps")
            await focus_on(pilot, gap_list)
            gap_list.highlighted = index
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert screen.section == gap.section
            assert getattr(app.focused, "field_key", None) == gap.field
            await assert_in_view(pilot, screen, app.focused)
        assert len(jumped) >= 4


async def _set_every_choice_by_keys(pilot, screen: VisitScreen) -> dict[str, str]:
    """Set every choice and yes/no field of every section through its keys; returns what each shows."""
    shown_values: dict[str, str] = {}
    for section_id, _ in screen.sections[:-1]:
        await screen.show_section(section_id)
        await pilot.pause()
        for key, widget in list(screen.fields.items()):
            if not isinstance(widget, (ChoiceField, YesNoField)) or not shown(widget):
                continue
            await focus_on(pilot, widget)
            if isinstance(widget, YesNoField):
                await pilot.press("y" if key.endswith(":seen") else "n")
            else:
                await pilot.press(str(min(len(widget.options), 9)))
            await pilot.pause()
            shown_values[key] = widget.value
    return shown_values


def _displayed(screen: VisitScreen) -> dict[str, str]:
    return {k: w.value for k, w in screen.fields.items() if isinstance(w, (ChoiceField, YesNoField))}


async def test_what_is_shown_is_what_is_saved_after_reload_and_read_only(oak_draft):
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_oak(pilot)
        typed = await _set_every_choice_by_keys(pilot, screen)
        assert len(typed) > 40 and any(k.endswith(":private") for k in typed)
        assert screen.saver.flush(10)
        await pilot.press("escape")
        await pilot.pause()
        saved = Store(oak_draft, readonly=True).draft("oak-house")
        for key, value in typed.items():
            assert editing.current_value(saved, key) == value, key
        reopened = await open_oak(pilot)
        for section_id, _ in reopened.sections[:-1]:
            await reopened.show_section(section_id)
            await pilot.pause()
            for key, value in _displayed(reopened).items():
                if key in typed:
                    assert value == typed[key], f"{key}: shows {value!r}, saved {typed[key]!r}"
        await pilot.press("escape")
        await pilot.pause()
    store = Store(oak_draft)
    draft = store.draft("oak-house")
    for rec in draft["recommendations"]:
        rec["text"] = "Review the rota."
    final = store.store_final(draft)
    store.discard_draft("oak-house")
    store.close()
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(VisitScreen(final))
        await pilot.pause(0.3)
        readonly = app.screen
        assert readonly.readonly
        for section_id, _ in readonly.sections[:-1]:
            await readonly.show_section(section_id)
            await pilot.pause()
            for key, value in _displayed(readonly).items():
                if key in typed:
                    assert value == typed[key], f"read-only {key}: shows {value!r}, saved {typed[key]!r}"


async def test_focus_never_selects_a_note_and_ctrl_z_restores_it(one_home_with_notes):
    data, draft = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        resumed = app.focused
        assert isinstance(resumed, LineField) and resumed.value == "Quiet, calm house."
        assert resumed.selection.is_empty and resumed.cursor_position == len(resumed.value)
        await pilot.press("x")
        await pilot.pause()
        assert resumed.value == "Quiet, calm house.x", "the first key after resuming adds, never replaces"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert resumed.value == "Quiet, calm house."
        # Every kind of filled field, reached by tab: typing adds to it.
        for key in ("n:staff_routines", "a:vacancies", "o:safeguarded:reasons"):
            section = "opinion" if key.startswith("o:") else ("staffing" if key == "a:vacancies" else "liberty")
            await screen.show_section(section, key)
            widget = screen.fields[key]
            for _ in range(50):  # the section focuses its field after the next refresh, later on a loaded machine
                await pilot.pause()
                if app.focused is widget:
                    break
            assert app.focused is widget, key
            before = widget.text if isinstance(widget, NotesField) else widget.value
            assert before, key
            await pilot.press("7")
            await pilot.pause()
            after = widget.text if isinstance(widget, NotesField) else widget.value
            assert after == before + "7", (key, after)
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert (widget.text if isinstance(widget, NotesField) else widget.value) == before, key
        assert screen.saver.flush(10)
    saved = Store(data, readonly=True).draft("test-home")
    assert saved["notes"]["locked_doors"] == "Quiet, calm house."
    assert saved["answers"]["vacancies"] == 2


@pytest.fixture
def one_home_with_notes(data_dir):
    store = Store(data_dir)
    add_home(store)
    add_child(store, "test-home", "AB")
    draft = store.start_visit("test-home", "2026-01-10")
    checklist = store.checklist_for(draft)
    for key, raw in (("n:locked_doors", "Quiet, calm house."), ("n:staff_routines", "Bedtimes are flexible."),
                     ("a:vacancies", "2"), ("o:safeguarded:reasons", "Records are complete.")):
        assert editing.apply(draft, checklist, key, raw) is None
    draft["cursor"] = {"section": "liberty", "field": "n:locked_doors"}
    store.save_draft(draft)
    store.close()
    return data_dir, draft


async def test_follow_up_questions_appear_and_hide_with_their_condition(one_home_with_notes):
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await screen.show_section("restraint")
        await pilot.pause()
        follow = screen.fields["a:prone_holds"]
        assert not shown(follow), "not asked while no restraint is recorded"
        await focus_on(pilot, screen.fields["a:restraints"])
        await pilot.press("2")
        await pilot.pause()
        assert shown(follow)
        await focus_on(pilot, follow)
        await pilot.press("y")
        await pilot.pause(0.5)
        screen.refresh_side()
        label = str(screen.query_one("#sections").get_option("restraint").prompt)
        assert "2/8" in label, label
        await focus_on(pilot, screen.fields["a:restraints"])
        await pilot.press("backspace", "0")
        await pilot.pause(0.5)
        assert not shown(follow), "hidden again when restraints is 0"
        screen.refresh_side()
        label = str(screen.query_one("#sections").get_option("restraint").prompt)
        assert "1/1" in label, "hidden follow-ups are not counted"
        assert not any(c["item"] == "prone_holds" for c in screen.all_concerns()), "nor raise concerns"
        assert screen.saver.flush(10)
    saved = Store(data, readonly=True).draft("test-home")
    assert saved["answers"]["prone_holds"] == "yes", "an answer to a hidden follow-up is kept"
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(VisitScreen({**saved, "status": "final"}))
        await pilot.pause(0.3)
        readonly = app.screen
        await readonly.show_section("restraint")
        await pilot.pause()
        kept = readonly.fields["a:prone_holds"]
        assert shown(kept) and kept.value == "yes", "a read-only visit shows the kept answer"
        assert "not asked" in str(readonly.boxes["a:prone_holds"].query_one(".question").render())
        assert not shown(readonly.fields["a:restraint_injuries"]), "an unanswered hidden follow-up stays hidden"


async def test_discard_asks_then_removes_the_draft(one_home_with_notes):
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and Store(data, readonly=True).draft("test-home") is not None
        await pilot.press("ctrl+d", "y")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, VisitScreen)
    assert Store(data, readonly=True).draft("test-home") is None


async def test_tab_follows_textual_focus_order_as_follow_ups_appear_and_hide(one_home_with_notes):
    """Tab and shift+tab walk the form from an order kept until the form changes: every step goes where Textual's
    own order of the whole screen says (out of the form at either end too), also after a follow-up question
    appears or hides, and after a section is built again."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await screen.show_section("notifications")  # its follow-up sits between two questions always asked
        await pilot.pause()

        async def steps_match_textual(key: str, direction: int) -> None:
            chain = screen.focus_chain
            for _ in range(len(chain) + 2):  # round the whole screen, through both ends of the form
                here = app.focused
                expected = chain[(chain.index(here) + direction) % len(chain)]
                await pilot.press(key)
                await pilot.pause()
                assert app.focused is expected, (key, here, app.focused, expected)

        episodes, follow = screen.fields["a:missing_episodes"], screen.fields["a:return_interviews_offered"]
        note = screen.fields["n:missing_episodes"]  # the question's note, the Tab stop before the follow-up
        await focus_on(pilot, note)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not follow and shown(app.focused), "a follow-up that does not apply is no Tab stop"
        await focus_on(pilot, episodes)
        await pilot.press("2")
        await pilot.pause()
        await focus_on(pilot, note)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is follow, "the follow-up is the next Tab stop as soon as it applies"
        await steps_match_textual("tab", 1)
        await steps_match_textual("shift+tab", -1)
        await focus_on(pilot, episodes)
        await pilot.press("backspace", "0")
        await pilot.pause()
        await focus_on(pilot, note)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not follow and shown(app.focused), "hidden again: Tab passes it by"
        await steps_match_textual("tab", 1)
        await screen.show_section("notifications")  # the same section built again: new widgets, same keys
        await pilot.pause()
        await focus_on(pilot, screen.fields["a:missing_episodes"])
        await steps_match_textual("shift+tab", -1)


async def test_a_text_box_looks_the_same_as_after_a_full_restyle_when_focus_moves(one_home_with_notes):
    """A text box gaining or losing focus re-applies only its own rules (not its cursor, selection, placeholder
    and suggestion styles): what it then looks like is exactly what Textual's full restyle gives."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        field = screen.fields["n:locked_doors"]
        components = sorted(field._get_component_classes())
        assert components, "the text box has component styles to compare"

        def look() -> tuple:
            return (field.rich_style, field.styles.background, field.styles.border,
                    [field.get_component_rich_style(c, partial=True) for c in components])

        looks = {}
        for focused in (True, False, True):
            if focused:
                await focus_on(pilot, field)
            else:
                await pilot.press("tab")
                await pilot.pause()
            assert field.has_focus is focused
            seen = look()
            app.stylesheet.update_nodes([field])  # Textual's own restyle, component styles included
            assert look() == seen, f"focused={focused}"
            looks[focused] = seen
        assert looks[True][:2] != looks[False][:2], "focus shows on the box"


async def test_fields_below_the_view_are_drawn_ahead_and_scroll_into_view_as_drawn_fresh(oak_draft):
    """As a section is shown, the form's fields below the view are drawn into Textual's line cache; scrolled
    into view they show exactly what drawing them afresh shows."""
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_oak(pilot)
        await screen.show_section("people")
        await pilot.pause()
        form = screen.query_one("#form")
        view = form.scrollable_content_region
        below = [w for w in screen.fields.values() if w.region.y >= view.bottom or not w.region]
        assert below, "the section is longer than the view"
        assert all(w._styles_cache._cache for w in below), "drawn before they are seen"
        await focus_on(pilot, list(screen.fields.values())[-1])
        await assert_in_view(pilot, screen, list(screen.fields.values())[-1])
        await pilot.pause()
        drawn_ahead = [list(strip) for strip in screen._compositor.render_strips()]
        for widget in form.walk_children():
            widget._styles_cache.clear()
        assert [list(strip) for strip in screen._compositor.render_strips()] == drawn_ahead


async def test_objects_are_set_aside_from_full_collections_only_while_a_walkthrough_is_open(one_home_with_notes):
    """Opening the walkthrough sets the live objects aside from full garbage collections (short pauses while
    typing); leaving it hands them back, so nothing that became garbage meanwhile stays."""
    import gc

    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() == 0
        screen = await resume(pilot)
        assert gc.get_freeze_count() > 0, "set aside while the walkthrough is open"
        assert screen.saver.flush(10)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, VisitScreen)
        assert gc.get_freeze_count() == 0, "handed back when it closes"


async def test_a_tab_typed_right_after_an_answer_goes_to_the_follow_up_it_opens(one_home_with_notes):
    """Typed quickly, as a visitor who knows the form does: ``y`` then Tab on "Seen during the visit?" lands on
    "Seen alone?", which that answer opened, and ``2`` then Tab on restraints on the restraint follow-up's question.
    Tab used to arrive before the answer's change had been applied, so it passed the new question by and went on to
    the next child (or the next question), where the visitor's next keys then answered the wrong question."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await screen.show_section("children")
        await pilot.pause()
        child = next(iter(screen.fields)).split(":")[1]
        await focus_on(pilot, screen.fields[f"c:{child}:seen"])
        await type_quickly(pilot, "y", "tab", "n")
        await pilot.pause(0.3)
        assert app.focused is screen.fields[f"c:{child}:seen_alone"], getattr(app.focused, "field_key", app.focused)
        assert app.focused.value == "no", "the key after the Tab answers the question it landed on"
        await screen.show_section("restraint")
        await pilot.pause()
        await focus_on(pilot, screen.fields["a:restraints"])
        await type_quickly(pilot, "2", "tab")
        await pilot.pause(0.3)
        assert app.focused is screen.fields["n:restraints"]  # the question's own note first
        await type_quickly(pilot, "tab")
        await pilot.pause(0.3)
        assert app.focused is screen.fields["a:prone_holds"], getattr(app.focused, "field_key", app.focused)
        assert screen.saver.flush(10)
    saved = Store(data, readonly=True).draft("test-home")
    assert saved["child_answers"][child] == {"seen": "yes", "seen_alone": "no"}
    assert saved["answers"]["restraints"] == 2


async def test_the_concern_prompt_adds_to_a_note_after_what_it_holds(one_home_with_notes):
    """F2 on a question whose note is already written opens the note to add to: what is typed goes after the note,
    as in every other note box, never before its first word."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        assert app.focused is screen.fields["n:locked_doors"]
        await pilot.press("f2")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, VisitScreen)
        await type_quickly(pilot, *" Doors open.")
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen is screen
        assert screen.saver.flush(10)
    saved = Store(data, readonly=True).draft("test-home")
    assert saved["notes"]["locked_doors"] == "Quiet, calm house. Doors open."
    assert "locked_doors" in saved["flagged"]


async def test_go_to_section_lists_every_section_at_80x24(one_home_with_notes):
    """ctrl+g asks for a section's number and lists them: at 80×24 the list wraps inside the dialog, so the last
    section's number is as readable as the first (it was cut off after the second)."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause(0.3)
        inside = app.screen.query_one(".dialog").content_region
        text = " ".join(" ".join(line[inside.x:inside.right] for line in screen_lines(app)[inside.y:inside.bottom]).split())
        for n, (_, title) in enumerate(screen.sections, 1):
            assert f"{n} {title}" in text, f"section {n} ({title}) not readable"


async def test_a_themes_evidence_is_read_in_a_dialog_that_stays_until_escape(oak_draft):
    """Enter on a theme in the concerns panel (F3) shows its evidence in full at 80×24, in a dialog closed by
    escape. It was a toast over the form for twenty seconds, with no key to close it, covering even the
    question 'Finalise the visit…?' asked meanwhile."""
    app = Reg44App(oak_draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_oak(pilot)
        assert screen._patterns, "Oak House's demo draft has a theme"
        await pilot.press("f3")
        await pilot.pause()
        panel = screen.query_one("#concerns")
        panel.highlighted = next(n for n in range(panel.option_count) if panel.get_option_at_index(n).id == "p0")
        await pilot.press("enter")
        await pilot.pause(0.3)
        dialog = app.screen
        assert dialog is not screen and not app._notifications, "a dialog, not a toast"
        theme = screen._patterns[0]
        body = dialog.query_one("#info-body")
        inside = body.content_region
        shown = " ".join(" ".join(line[inside.x:inside.right] for line in screen_lines(app)[inside.y:inside.bottom]).split())
        assert theme["headline"] in shown
        for member in theme["members"]:
            assert member["title"] in shown or body.max_scroll_y > 0, "the evidence is on screen, or scrolls"
        await pilot.pause(1)
        assert app.screen is dialog, "it stays while it is read"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.focused is panel


async def test_the_section_list_takes_the_room_it_needs_before_the_concerns_panel(one_home_with_notes):
    """The section list and the concerns panel shared the side half and half: at 120×40 the list scrolled (9 of 12
    sections) above a concerns panel mostly empty; at 80×24 it showed three. Now it is as tall as its sections, up
    to most of the side, and the concerns panel has the rest."""
    data, _ = one_home_with_notes
    for size, least in (((120, 40), 12), (SIZE, 5)):
        app = Reg44App(data)
        async with app.run_test(size=size) as pilot:
            screen = await resume(pilot)
            sections, concerns = screen.query_one("#sections"), screen.query_one("#concerns")
            await pilot.pause()
            inside = sections.content_region
            lines = [line[inside.x:inside.right] for line in screen_lines(app)[inside.y:inside.bottom]]
            shown_sections = {int(line[:2]) for line in lines if line[:2].strip().isdigit()}
            assert len(shown_sections) >= least, (size, shown_sections)
            assert concerns.region.height >= 6, (size, concerns.region.height)


async def test_escape_in_a_form_with_typing_in_it_asks_before_throwing_it_away(one_home_with_notes):
    """Escape closes a form; when something was typed in it (a concern's note, after F2), one key must not lose it:
    it asks first, and n goes back to the form with the typing intact. A form left as it was closes at once."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        screen = await resume(pilot)
        await pilot.press("f2")
        await pilot.pause(0.3)
        form = app.screen
        await type_quickly(pilot, *" Doors open at night.")
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen), "asks before discarding what was typed"
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.screen is form and form.values()["text"] == "Quiet, calm house. Doors open at night."
        await pilot.press("escape")
        await pilot.pause(0.3)
        await pilot.press("y")
        await pilot.pause(0.3)
        assert app.screen is screen, "y discards"
        await pilot.press("ctrl+g")
        await pilot.pause(0.3)
        assert app.screen is not screen
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert app.screen is screen, "nothing typed: escape closes at once"
        assert screen.saver.flush(10)
    assert Store(data, readonly=True).draft("test-home")["notes"]["locked_doors"] == "Quiet, calm house."


async def test_ctrl_q_with_typing_in_an_open_form_asks_first(one_home_with_notes):
    """ctrl+q quits at once (drafts are saved as typed), except with a form open holding typing that is saved only
    by ctrl+s (a concern's note after F2): then it asks, and n goes back to the form, typing intact."""
    data, _ = one_home_with_notes
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await pilot.press("f2")
        await pilot.pause(0.3)
        form = app.screen
        await type_quickly(pilot, *" Doors open at night.")
        await pilot.press("ctrl+q")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.screen is form and form.values()["text"].endswith("Doors open at night.")
        await pilot.press("ctrl+q", "y")
        await pilot.pause(0.3)
        assert not app.is_running
    app = Reg44App(data)
    async with app.run_test(size=SIZE) as pilot:
        await resume(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause(0.3)
        assert not app.is_running, "nothing unsaved: quits at once"
