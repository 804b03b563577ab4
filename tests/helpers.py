"""Builders for test data: fictional homes, children and complete visits."""

from __future__ import annotations

from datetime import date, timedelta

from visitor import checklist as checklists
from visitor.model import Child, Home
from visitor.store import Store


def add_home(store: Store, home_id: str = "test-home", name: str = "Test House", **kw) -> Home:
    fields = dict(urn="SC123456", provider="Fictional Care Ltd", registered_manager="Manager",
                  responsible_individual="RI", la_area="Testshire", places=4, registered_on="2015-01-01")
    fields.update(kw)
    return store.add_home(Home(home_id, name, **fields))


def add_child(store: Store, home_id: str, code: str, authority: str = "Testshire Council", **kw) -> Child:
    fields = dict(communication="verbal", advocate="instructed", distance_miles=10, admitted="2016-01-01")
    fields.update(kw)
    return store.add_child(home_id, Child("", home_id, code, authority, **fields))


def complete(store: Store, visit: dict, **answers) -> dict:
    """Fill every required part of a draft with healthy answers, then apply ``answers``."""
    checklist = checklists.load_shipped()
    filled = {i.id: "yes" for i in checklist.items if i.kind == "yesno" and not i.per_child}
    filled.update({i.id: 0 for i in checklist.items if i.kind in ("count", "number", "percent") and not i.per_child})
    filled.update({"locked_doors": "no", "restrictions": "no", "staff_routines": "no", "premises": "good",
                   "education_attendance": 95, "agency_share": 5})
    filled.update(answers)
    visit["answers"] = filled
    for child in store.children(visit["home_id"]):
        if child.resident_on(visit["date"]):
            visit["child_answers"].setdefault(child.id, {"seen": "yes", "seen_alone": "yes", "consent": "yes",
                                                         "communication": "spoke with me", "views": "Fine."})
    visit["opinions"] = {"safeguarded": {"answer": "yes", "reasons": "Records complete."},
                         "wellbeing": {"answer": "yes", "reasons": "Children thrive."}}
    visit["conflict"]["declaration"] = "No conflict of interest."
    visit["people"] = [{"role": "registered manager", "private": False, "notes": ""}]
    from visitor.model import open_recommendations

    for rec in open_recommendations([v for v in store.visits(visit["home_id"]) if v["date"] < visit["date"]]):
        visit["earlier"].setdefault(rec["id"], {"rating": "met", "evidence": "Seen."})
    for concern in checklist.concerns(visit):
        visit["notes"].setdefault(concern["key"], "Noted.")
    return visit


def monthly(n: int, end: date | None = None, gap: int = 30) -> list[str]:
    end = end or date.today() - timedelta(days=1)
    return [(end - timedelta(days=gap * (n - 1 - i))).isoformat() for i in range(n)]


async def focus_on(pilot, widget) -> None:
    """Focus ``widget`` and wait until it has focus.

    Textual focuses on a later turn of the event loop, and a section that was just shown focuses its own
    first field after the next refresh; a key pressed before then goes elsewhere on a loaded machine.
    """
    for _ in range(100):
        if pilot.app.focused is widget:
            return
        widget.focus()
        await pilot.pause()
    raise AssertionError(f"{widget!r} never took focus")


def has_word(text: str, word: str) -> bool:
    """True when ``word`` occurs in ``text`` not joined to a letter, digit or underscore on either side.

    A literal scan with the boundary checked by hand: a regex that begins with a lookbehind is tried at
    every position, seconds over a report's XML.
    """
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            return True
        start = text.find(word, start + 1)
    return False


async def type_quickly(pilot, *keys: str) -> None:
    """Send keys as a terminal does when they are typed quickly: all queued at once, with no wait for the
    app to handle one before the next arrives (``pilot.press`` waits for the app to be idle after each)."""
    from textual import events

    for key in keys:
        event = events.Key(key, "\t" if key == "tab" else key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
    await pilot.pause()
    await pilot.pause()


def assert_every_key_shown(app) -> None:
    """Every key the screen offers in its key line is on screen in full, none cut off at the edge."""
    from visitor.tui.widgets.key_line import KeyLine

    screen = app.screen
    region = screen.query_one(KeyLine).region
    assert region.height and region.bottom <= screen.size.height, f"key line off screen: {region}"
    strips = screen._compositor.render_strips()
    shown = "\n".join(strip.text for strip in strips[region.y:region.bottom])
    offered: dict[str, list] = {}
    for binding in (b for _, b, _, _ in screen.active_bindings.values() if b.show):
        offered.setdefault(binding.action, []).append(binding)
    assert offered, f"{type(screen).__name__} offers no keys"
    for bindings in offered.values():
        hints = [f" {app.get_key_display(b)} {b.description} " for b in bindings]
        assert any(hint in shown for hint in hints), f"{type(screen).__name__} at {screen.size}: {hints[0]!r} not in {shown!r}"



def assert_in_view(widget, message: str) -> None:
    """``message`` is drawn, whole, inside ``widget``'s part of the screen the visitor sees (not scrolled
    away). Only that part is read: a modal dialog lets the screen beneath show at its sides."""
    region = widget.region
    strips = widget.screen._compositor.render_strips()
    lines = [strip.crop(region.x, region.right).text.strip(" │╭╮╰╯─▌") for strip in strips[region.y:region.bottom]]
    shown = " ".join(" ".join(lines).split())
    assert " ".join(message.split()) in shown, f"{message!r} not in view at {widget.screen.size}:\n" + "\n".join(lines)


def screen_lines(app) -> list[str]:
    """The text of every line of the screen as a full redraw would draw it now (what a visitor reads). Drawn
    aside: Textual's own full redraw would also forget the parts of the screen waiting to be redrawn."""
    compositor = app.screen._compositor
    chops = compositor._render_chops(compositor.size.region, lambda y: True)
    return ["".join(strip.text for strip in chop.values() if strip is not None) for chop in chops]
