"""The visit walkthrough: sections on the left with progress and concerns, the current section's form
on the right. Every change is applied through ``visitor.editing`` and autosaved at once."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import QueryType
from textual.geometry import Region
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Header, OptionList, Static
from textual.widgets.option_list import Option

from visitor import completeness, editing, trends, workflow
from visitor.autosave import Autosaver
from visitor.checklist import Item
from visitor.model import (OPINION_ANSWERS, PEOPLE_ROLES, RATINGS, RECORD_STATUSES, RECORD_TYPES, ValidationError,
                           STANDARD_KEYS, open_recommendations)
from visitor.tui import collector
from visitor.tui.screens.forms import ConfirmScreen, InfoScreen
from visitor.tui.messages import FieldChanged, SaveState
from visitor.tui.widgets.fields import ChoiceField, FieldBox, LineField, NotesField, NumberField, YesNoField
from visitor.tui.widgets.key_line import KeyLine

SPECIAL = (("people", "People and records"), ("earlier", "Earlier recommendations"),
           ("opinion", "Opinion and recommendations"), ("finalise", "Finalise"))


def open_visit(app, home_id: str) -> None:
    """Resume the home's draft, or ask for a date and start one."""
    from visitor.tui.screens.forms import start_visit_form

    store = app.store
    draft = store.draft(home_id)
    if draft:
        app.push_screen(VisitScreen(draft))
        return
    if not app.writable():
        return
    home = store.home(home_id)
    app.push_screen(start_visit_form(store, home, app.today.isoformat()),
                    lambda visit: visit and app.push_screen(VisitScreen(visit)))


class SectionList(OptionList):
    BINDINGS = [Binding(str(n), f"jump({n})", show=False, id=f"sections.{n}") for n in range(1, 10)]

    def action_jump(self, number: int) -> None:
        self.screen.show_section_number(number)


class Form(VerticalScroll, can_focus=False):
    """The form of the current section. Not a Tab stop itself: focus moves between the fields, which scroll the
    form into view.

    A scroll repaints the whole form. Textual draws a scroll either as a scroll (everything that moved) or, when
    a layout falls in the same frame, as a layout: then it redraws only what moved since it last worked out where
    every widget is, and a widget drawing itself in between (a text box being typed into asks for its size)
    has that worked out with the scroll already in it. The scroll was then never drawn: the terminal kept the
    questions that were there before round the newly focused field. The screen's own full repaint on every
    focus change used to hide this; the walkthrough turns that off (see ``VisitScreen.focused``)."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.refresh()


class VisitScreen(Screen):
    CSS_PATH = "visit.tcss"
    # Textual repaints the whole screen whenever focus moves; the fields that gain and lose focus repaint
    # themselves (and their ancestors' focus styles), so each Tab redraws only what changed.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    help_title = "Visit walkthrough"
    BINDINGS = [
        Binding("ctrl+n", "next_section", "Next", id="visit.next", priority=True, tooltip="Next section"),
        Binding("ctrl+b", "previous_section", "Prev", id="visit.previous", priority=True, tooltip="Previous section"),
        Binding("ctrl+g", "goto", "Go to", id="visit.goto", priority=True, show=False,
                tooltip="Go to a section by number"),
        Binding("f2", "flag", "Concern", id="visit.flag", priority=True,
                tooltip="Mark the focused question as a concern, with a note"),
        Binding("f3", "concerns", "Concerns", id="visit.concerns", priority=True, show=False,
                tooltip="Go to the concerns panel"),
        Binding("f4", "sections", "Sections", id="visit.sections", priority=True, show=False,
                tooltip="Go to the section list"),
        Binding("f5", "finalise", "Finalise", id="visit.finalise", priority=True,
                tooltip="Check what is missing and finalise"),
        Binding("ctrl+s", "save", "Save now", id="visit.save", priority=True, show=False,
                tooltip="Save now (retries a failed save)"),
        Binding("ctrl+d", "discard", "Discard draft", id="visit.discard", priority=True, show=False,
                tooltip="Throw away this draft visit (asks first)"),
        Binding("escape", "leave", "Back", id="visit.back", tooltip="Back (the draft is already saved)"),
        # Tab and Shift+Tab: the app's own priority bindings (handled as they arrive), which call this
        # screen's focus_next / focus_previous.
    ]

    def __init__(self, visit: dict) -> None:
        super().__init__()
        self.visit = visit
        self.readonly = visit["status"] != "draft"
        self.fields: dict[str, Widget] = {}
        self.boxes: dict[str, FieldBox] = {}
        self.follow_ups: dict[FieldBox, tuple[Item, str | None]] = {}  # boxes shown only when they apply
        self.saver: Autosaver | None = None
        self.section = ""
        self._first: Widget | None = None  # see _first_focusable
        self._form_chain: list[Widget] | None = None  # see _form_focus_chain
        self._side_timer: Timer | None = None  # the side panel's refresh, waiting for typing to pause
        self._reveal_waiting = False  # the form was scrolled; regions are stale until the screen is redrawn

    # -- set-up -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="visit-banner", classes="banner hidden", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield SectionList(id="sections")
                yield Static("Concerns", id="concerns-title")
                yield OptionList(id="concerns")
                yield Static("", id="save-state")
            yield Form(id="form")
        yield KeyLine()

    def on_mount(self) -> None:
        collector.hold()  # no full garbage collection over the whole app while typing (see collector)
        store = self.app.store
        self.home = store.home(self.visit["home_id"])
        self.checklist = store.checklist_for(self.visit)
        self.home_children = store.children(self.home.id)
        self.earlier_visits = [v for v in store.visits(self.home.id) if v["date"] < self.visit["date"]]
        self.earlier_recs = open_recommendations(self.earlier_visits)
        self.sections = [(s.id, s.title) for s in self.checklist.sections] + list(SPECIAL)
        self.sub_title = f"{self.home.name} · {self.visit['date']} · {'FINAL' if self.readonly else 'draft'}"
        if self.readonly or self.app.readonly:
            banner = self.query_one("#visit-banner", Static)
            banner.update("This visit is final and read-only; add an addendum from Finalise." if self.readonly
                          else "Read-only: another copy of reg44 is writing, so changes cannot be saved.")
            banner.remove_class("hidden")
            self.readonly = True
        else:
            self.saver = Autosaver(self.app.store.save_draft,
                                   on_error=lambda exc: self.post_message(SaveState(str(exc))),
                                   on_saved=lambda: self.post_message(SaveState(None)))
        cursor = self.visit.get("cursor") or {}
        section = cursor.get("section") if cursor.get("section") in dict(self.sections) else self.sections[0][0]
        self.refresh_side()
        self.call_later(self.show_section, section, cursor.get("field"))

    def on_unmount(self) -> None:
        collector.release()
        if self.saver:
            self.saver.close()

    # -- sections -----------------------------------------------------------------------------------
    def show_section_number(self, number: int) -> None:
        if 1 <= number <= len(self.sections):
            self.call_later(self.show_section, self.sections[number - 1][0])
        else:
            self.notify(f"There are {len(self.sections)} sections.", severity="warning")

    async def show_section(self, section_id: str, focus_key: str | None = None) -> None:
        self.section = section_id
        form = self.query_one("#form", VerticalScroll)
        await form.remove_children()
        self.fields, self.boxes, self.follow_ups = {}, {}, {}
        self._forget_form_focus()
        widgets = self._build(section_id)
        await form.mount_all(widgets)
        self._show_follow_ups()
        form.disabled = self.readonly and section_id != "finalise"
        self._forget_form_focus()  # (a Tab while the form was being rebuilt saw it half made)
        form.scroll_home(animate=False)
        index = [s for s, _ in self.sections].index(section_id)
        self.query_one("#sections", SectionList).highlighted = index
        if not self.readonly:
            self._remember(focus_key or "")
        self.call_after_refresh(self.focus_key, focus_key)
        self.call_after_refresh(self._draw_ahead)

    def _draw_ahead(self) -> None:
        """Draw the form's fields outside the view into Textual's per-widget line cache as the section is shown,
        so the first scroll onto them composes lines already drawn instead of drawing every newly exposed box
        in the middle of a keystroke (18 ms of a ~35 ms scroll, against ~6 ms for a part of the form seen
        before). Done with the section's first picture, never later, so that no keystroke waits for it. Lines
        stay cached until their widget changes, exactly as for the part in view."""
        form = self.query_one("#form", VerticalScroll)
        if not form.is_attached or self.app.screen is not self:
            return
        placed = self._compositor.full_map  # every widget's place, on screen or not
        for widget in form.walk_children(Widget):
            where = placed.get(widget)
            if where is not None and where.region and not where.clip.contains_region(where.region):
                widget.render_lines(Region(0, 0, where.region.width, where.region.height))

    def focus_key(self, key: str | None) -> None:
        widget = self.fields.get(key) if key else None
        if widget is None and key and key.startswith("n:") and not self.readonly:
            self._note_prompt(key[2:])
            return
        if widget is None:
            widget = self._first_focusable()
        if widget is not None:
            widget.focus(scroll_visible=False)
            self.call_after_refresh(self.reveal, widget)

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        key = getattr(widget, "field_key", None)
        if key and not self.readonly:
            self._remember(key)
        if self.query_one("#form", VerticalScroll) in widget.ancestors:
            self.call_after_refresh(self.reveal, widget)

    def _first_focusable(self) -> Widget | None:
        """The form's first field a visitor can reach now (a follow-up that does not apply is hidden); kept
        until the form or a follow-up's visibility changes, as every focus asks for it."""
        if self._first is None or not self._first.is_attached:
            form = self.query_one("#form")
            self._first = next((w for w in form.query("*")
                                if w.focusable and all(a.display for a in w.ancestors_with_self)), None)
        return self._first

    def _forget_form_focus(self) -> None:
        """The form's fields, or which of them can be reached, changed: work out the Tab order again."""
        self._first = None
        self._form_chain = None

    def _form_focus_chain(self) -> list[Widget]:
        """The form's Tab stops in the order Textual gives them, kept until the form changes. Textual works the order
        of the whole screen out again on every Tab (walking and sorting every widget); within the form,
        which changes only when a section is built or a follow-up question is shown or hidden, once is enough.

        Textual sorts by where each widget was last laid out; the form stacks its boxes (and a row's buttons go
        left to right), so its order is the order of its widgets, which is known at once. A follow-up question
        shown by the key just before a Tab has not been laid out yet: sorted by place, it came first."""
        if self._form_chain is None:
            form = self.query_one("#form", VerticalScroll)
            self._form_chain = [w for w in form.walk_children(Widget)
                                if w.focusable and all(a.display for a in w.ancestors_with_self)]
        return self._form_chain

    def focus_next(self, selector: str | type[QueryType] = "*") -> Widget | None:
        """Tab: the next field of the form from the kept Tab order (``_step``)."""
        return self._step(1, selector)

    def focus_previous(self, selector: str | type[QueryType] = "*") -> Widget | None:
        """Shift+Tab: the previous field of the form from the kept Tab order (``_step``)."""
        return self._step(-1, selector)

    def _step(self, step: int, selector: str | type[QueryType]) -> Widget | None:
        """Within the form, a step along the kept Tab order; leaving the form at either end, from outside it, or
        for a filtered move, Textual's own, which also wraps round the screen."""
        focused = self.focused
        self._catch_up(focused)
        chain = self._form_focus_chain() if selector == "*" else []
        position = chain.index(focused) + step if focused in chain else -1
        if 0 <= position < len(chain) and chain[position].focusable:
            self.set_focus(chain[position])
            return self.focused
        return super().focus_next(selector) if step > 0 else super().focus_previous(selector)

    def _catch_up(self, widget: Widget | None) -> None:
        """Apply the field's change now if its message has not arrived yet. A field shows a key at once and
        posts its change, which reaches this screen a few hops later; a Tab typed right after it is handled as
        it arrives, so it would step along the form as it was before the change, passing by a follow-up
        question the answer just opened (or landing on one it closed)."""
        key = getattr(widget, "field_key", None)
        if key is None or self.readonly or not self.follow_ups or self.fields.get(key) is not widget:
            return
        value = widget.text if isinstance(widget, NotesField) else getattr(widget, "value", None)
        shown = editing.current_value(self.visit, key)
        if value is not None and str(value) != ("" if shown is None else str(shown)):
            self.on_field_changed(FieldChanged(key, value, widget))

    def scroll_to_center(self, widget: Widget, *args, **kw) -> None:
        """Textual centres a newly focused widget (animated, after our own scroll); in the form, show the
        field with its question instead (``reveal``)."""
        if self.query_one("#form", VerticalScroll) in widget.ancestors:
            self.reveal(widget)
        else:
            super().scroll_to_center(widget, *args, **kw)

    def reveal(self, widget: Widget, retries: int = 4) -> None:
        """Scroll the form so the focused field and its question are both in view: the first field of a
        section shows the section's top; otherwise its whole question box at the top of the view, or from
        the question down as far as the field."""
        form = self.query_one("#form", VerticalScroll)
        if self._reveal_waiting or not widget.is_attached or widget is not self.focused:
            return  # (waiting: the pass after the redraw looks at whatever has focus then)
        if widget is self._first_focusable():
            form.scroll_home(animate=False, immediate=True)
            return
        box = next((a for a in widget.ancestors if isinstance(a, FieldBox)), None)
        if box is None:
            form.scroll_to_widget(widget, animate=False, immediate=True)
            return
        view = form.scrollable_content_region
        top = box.region.y - view.y + form.scroll_y
        bottom = widget.region.bottom - view.y + form.scroll_y
        if top >= form.scroll_y and bottom <= form.scroll_y + view.height:
            return  # already in view: do not move the page under the visitor
        # A box that fits goes to the top of the view, so the next few Tabs land on fields already in view:
        # a scroll redraws the whole screen (~50 ms), the slowest thing a keystroke does here.
        fits = bottom - top <= view.height
        target = top if fits else bottom - view.height
        form.scroll_to(y=target, animate=False, immediate=True)
        if retries:
            # Regions are those of the last redraw while the scroll has already moved: another reveal before the
            # redraw would add the scroll twice. Look again after the redraw, a few times while it is still not in
            # view (a section just mounted may not have its final layout yet on a busy machine).
            self._reveal_waiting = True
            self.call_after_refresh(self._reveal_again, retries - 1)

    def _reveal_again(self, retries: int) -> None:
        self._reveal_waiting = False
        form = self.query_one("#form", VerticalScroll)
        if self.focused is not None and form in self.focused.ancestors:
            self.reveal(self.focused, retries)

    def _build(self, section_id: str) -> list[Widget]:
        title = dict(self.sections)[section_id]
        number = [s for s, _ in self.sections].index(section_id) + 1
        head = [Static(Text(f"{number}. {title}", style="bold"), classes="section-title")]
        if section_id == "people":
            return head + self._people()
        if section_id == "earlier":
            return head + self._earlier()
        if section_id == "opinion":
            return head + self._opinion()
        if section_id == "finalise":
            return head + self._finalise()
        section = next(s for s in self.checklist.sections if s.id == section_id)
        widgets: list[Widget] = head
        if section.guidance:
            widgets.append(Static(section.guidance, classes="muted", markup=False))
        if section.child_items:
            widgets += self._children_seen(section.child_items)
        for item in section.visit_items:
            widgets.append(self._item_box(item, f"a:{item.id}", item.question, note_key=f"n:{item.id}"))
        return widgets

    def _show_follow_ups(self) -> None:
        """Show each follow-up question only while its condition holds. A read-only visit also shows a
        hidden one that was answered before its condition stopped holding, marked as not asked."""
        for box, (item, child_id) in self.follow_ups.items():
            applies = self.checklist.applies(item, self.visit, child_id)
            key = f"c:{child_id}:{item.id}" if child_id else f"a:{item.id}"
            shown = applies or (self.readonly and editing.current_value(self.visit, key) not in (None, ""))
            if box.display != shown:
                box.display = shown
                self._forget_form_focus()

    # -- field construction -------------------------------------------------------------------------
    def _widget(self, key: str, kind: str, options=(), placeholder: str = "", label: str = "") -> Widget:
        value = editing.current_value(self.visit, key)
        if kind == "yesno":
            widget = YesNoField(key, value)
        elif kind in ("count", "number", "percent"):
            widget = NumberField(key, value, placeholder=placeholder or ("%" if kind == "percent" else "number"))
        elif kind == "choice":
            widget = ChoiceField(key, tuple(options), value, label=label)
        elif kind == "text":
            widget = NotesField(key, value)
        else:
            widget = LineField(key, value, placeholder=placeholder)
        self.fields[key] = widget
        return widget

    def _box(self, key: str, title: str, guidance: str, field: Widget, *extra: Widget, concern=False) -> FieldBox:
        error = self._error_for(key)
        box = FieldBox(title, guidance, field, *extra, error=error, classes="concern" if concern else "")
        for k in [key] + [getattr(w, "field_key", "") for w in extra]:
            if k:
                self.boxes[k] = box
        return box

    def _error_for(self, key: str) -> str:
        if key not in self.visit.get("invalid", {}):
            return ""
        probe = {**self.visit, "invalid": {}, "answers": dict(self.visit["answers"]),
                 "child_answers": {k: dict(v) for k, v in self.visit["child_answers"].items()}}
        return editing.apply(probe, self.checklist, key, self.visit["invalid"][key]) or ""

    def _item_box(self, item: Item, key: str, title: str, note_key: str | None, guidance: bool = True) -> FieldBox:
        field = self._widget(key, item.kind, item.options)
        extra = [self._widget(note_key, "line", placeholder="Note (needed if this is a concern)")] if note_key and item.kind != "text" else []
        value = editing.current_value(self.visit, key)
        flag_key = key[2:] if key.startswith("a:") else ":".join(reversed(key[2:].split(":", 1)))
        child_id = key.split(":")[1] if key.startswith("c:") else None
        applies = self.checklist.applies(item, self.visit, child_id)
        concern = applies and (item.raises_concern(value) or flag_key in self.visit.get("flagged", []))
        ref = f"  ({item.ref})" if item.ref else ""
        # Only a read-only visit shows a follow-up whose condition does not hold (when it was answered).
        aside = "" if applies or not self.readonly else "  [not asked: its condition did not hold; answer kept]"
        box = self._box(key, f"{'⚠ ' if concern else ''}{title}{ref}{aside}", item.guidance if guidance else "", field,
                        *extra, concern=concern)
        if item.when:
            self.follow_ups[box] = (item, child_id)
        return box

    def _children_seen(self, items: tuple[Item, ...]) -> list[Widget]:
        widgets: list[Widget] = []
        resident = [c for c in self.home_children if c.resident_on(self.visit["date"])]
        if not resident:
            widgets.append(Static("No children recorded as living here on this date. Add them below.", classes="muted"))
        for n, child in enumerate(resident):
            miles = f" · {child.distance_miles} miles from family" if child.distance_miles is not None else ""
            head = Text(child.code, style="bold")
            head.append(f" · {child.placing_authority} · {child.communication} · advocate: {child.advocate}{miles}")
            widgets.append(Static(head, classes="child-head"))
            for item in items:
                note = f"n:{item.id}:{child.id}" if item.id == "seen_alone" else None
                widgets.append(self._item_box(item, f"c:{child.id}:{item.id}", item.question, note, guidance=n == 0))
        widgets.append(Button("Add a newly arrived child", id="add-child"))
        return widgets

    def _people(self) -> list[Widget]:
        widgets: list[Widget] = [Static("People spoken to (by role, never by name)", classes="subhead")]
        for i, _ in enumerate(self.visit["people"]):
            widgets.append(self._box(f"p:{i}:role", f"Person {i + 1}", "", self._widget(f"p:{i}:role", "choice", PEOPLE_ROLES),
                                     self._widget(f"p:{i}:private", "choice", ("yes", "no"), label="Privately"),
                                     self._widget(f"p:{i}:notes", "line", placeholder="What they said / how (privately, by phone)")))
        widgets += [Horizontal(Button("Add a person", id="add-person"), Button("Remove the last", id="remove-person"),
                               classes="buttons"),
                    Static("Records examined", classes="subhead"),
                    Static("“Not made available” is itself a concern: say what happened.", classes="muted")]
        for key, label in RECORD_TYPES:
            status = self.visit["records"].get(key, {}).get("status")
            widgets.append(self._box(f"rec:{key}:status", f"{'⚠ ' if status == 'not made available' else ''}{label}", "",
                                     self._widget(f"rec:{key}:status", "choice", RECORD_STATUSES),
                                     self._widget(f"rec:{key}:period", "line", placeholder="Period covered"),
                                     self._widget(f"rec:{key}:notes", "line", placeholder="Notes"),
                                     concern=status == "not made available"))
        return widgets

    def _earlier(self) -> list[Widget]:
        if not self.earlier_recs:
            return [Static("No open recommendations from earlier visits.", classes="muted")]
        widgets: list[Widget] = []
        for rec in self.earlier_recs:
            last = rec["progress"]["rating"] if rec["progress"] else "not yet rated"
            widgets.append(self._box(
                f"e:{rec['id']}:rating", f"{rec['visit_date']}: {rec['text']}",
                f"{rec.get('reference', '')} · timescale: {rec.get('timescale', '')} · last rating: {last} · provider: "
                f"{(rec.get('provider_response') or {}).get('response', 'no response recorded')}",
                self._widget(f"e:{rec['id']}:rating", "choice", RATINGS),
                self._widget(f"e:{rec['id']}:evidence", "line", placeholder="Evidence for the rating")))
        return widgets

    def _opinion(self) -> list[Widget]:
        widgets: list[Widget] = []
        for key, question in (("safeguarded", "Are children effectively safeguarded?"),
                              ("wellbeing", "Does the conduct of the home promote children's well-being?")):
            widgets.append(self._box(f"o:{key}:answer", question, "Reg 44(4): a clear answer and the reasons.",
                                     self._widget(f"o:{key}:answer", "choice", OPINION_ANSWERS),
                                     self._widget(f"o:{key}:reasons", "text")))
        widgets.append(Static("Recommendations", classes="subhead"))
        for i, _ in enumerate(self.visit["recommendations"]):
            widgets.append(self._box(f"r:{i}:text", f"Recommendation {i + 1}", "", self._widget(f"r:{i}:text", "text"),
                                     self._widget(f"r:{i}:reference", "line", placeholder="Regulation or quality standard"),
                                     self._widget(f"r:{i}:timescale", "line", placeholder="Timescale: to be considered by (reg 44(5))"),
                                     self._widget(f"r:{i}:standard", "choice", STANDARD_KEYS)))
        widgets.append(Horizontal(Button("Add a recommendation", id="add-rec"), Button("Remove the last", id="remove-rec"),
                                  classes="buttons"))
        widgets.append(self._box("x:declaration", "Conflict of interest declaration",
                                 "Reg 43: your independence. If a conflict came to light after the visit, say so and why "
                                 "it was not declared before.", self._widget("x:declaration", "text"),
                                 self._widget("x:discovered_after", "line", placeholder="Conflict found after the visit (if any)"),
                                 self._widget("x:reason_not_declared", "line", placeholder="Why it was not declared before")))
        return widgets

    def _finalise(self) -> list[Widget]:
        if self.readonly and self.visit["status"] == "final":
            addenda = "\n".join(f"{a['date']} — {a['reason']}: {a['text']}" for a in self.visit.get("addenda", []))
            return [Static(f"Finalised {self.visit.get('finalised', '')}. A final visit is read-only.", classes="muted"),
                    Static(addenda or "No addenda.", markup=False),
                    Button("Add an addendum", id="addendum", disabled=self.app.readonly)]
        gaps = workflow.gaps_for(self.app.store, self.visit)
        self._gaps = gaps
        titles = dict(self.sections)
        widgets: list[Widget] = []
        if gaps:
            widgets.append(Static(f"{len(gaps)} thing(s) to complete before finalising. Press enter on one to go to it."))
            widgets.append(OptionList(*[Option(Text(f"{titles.get(g.section, g.section)}: {g.message}"), id=f"{n}")
                                        for n, g in enumerate(gaps)], id="gaps"))
        else:
            # No empty list to land on: focus goes straight to the Finalise button.
            widgets.append(Static("Nothing is missing. Finalising asks you to confirm, then makes the visit read-only."))
        widgets.append(Horizontal(Button("Finalise visit", id="finalise", variant="primary", disabled=bool(gaps)),
                                  classes="buttons"))
        # No Discard button: next to Finalise it was the next Tab stop. Discarding is its own key, and asks.
        widgets.append(Static("To throw this draft away instead: ctrl+d (asks first).", id="discard-note",
                              classes="muted"))
        return widgets

    # -- edits --------------------------------------------------------------------------------------
    def on_field_changed(self, event: FieldChanged) -> None:
        event.stop()
        if self.readonly or self._superseded(event):
            return
        error = editing.apply(self.visit, self.checklist, event.key, event.value)
        box = self.boxes.get(event.key)
        if box is not None:
            box.show_error(error)
        if self.follow_ups:
            self._show_follow_ups()
        self._submit()

    def _superseded(self, event: FieldChanged) -> bool:
        """True when the text box already holds newer text than this change: keys typed (or pasted) faster than
        changes are handled queue one change each, and only the newest needs applying and saving — the rest
        would hold the save of what is on screen back by seconds."""
        widget = event.field
        if widget is None or self.fields.get(event.key) is not widget:  # a box since replaced: keep its change
            return False
        if isinstance(widget, NotesField):
            return widget.text != event.value
        return isinstance(widget, LineField) and widget.value != event.value

    SIDE_DELAY = 0.6  # seconds without a change before the side panel is worked out again

    def _submit(self) -> None:
        """Every change is saved at once; the side panel (progress, concerns, the draft's patterns: tens of
        ms) waits until typing pauses, so it never sits between a key and its echo."""
        if self.saver:
            self._show_save_state("saving…")
            self.saver.submit(self.visit)
        if self._side_timer is not None:
            self._side_timer.reset()
        else:
            self._side_timer = self.set_timer(self.SIDE_DELAY, self._side_due)

    def _side_due(self) -> None:
        self._side_timer = None
        self.refresh_side()

    def on_save_state(self, message: SaveState) -> None:
        if message.error:
            self._show_save_state("NOT SAVED — ctrl+s retries", error=True)
            self.notify(f"Could not save: {message.error}. Your typing is kept on screen; ctrl+s retries.",
                        title="Save failed", severity="error", timeout=15)
        elif self.saver and not self.saver.unsaved:
            self._show_save_state("✓ saved")

    def _show_save_state(self, text: str, error: bool = False) -> None:
        """One line of fixed size, redrawn only when its text changes (a save follows every key)."""
        state = self.query_one("#save-state", Static)
        if str(state.content) != text:
            state.update(text, layout=False)
            state.set_class(error, "error")

    def _remember(self, key: str) -> None:
        cursor = {"section": self.section, "field": key}
        if self.visit.get("cursor") != cursor:
            self.visit["cursor"] = cursor
            if self.saver:
                self.saver.submit(self.visit)

    # -- side panel ---------------------------------------------------------------------------------
    def all_concerns(self) -> list[dict]:
        """The visit's concerns, decided by ``completeness.concerns`` like every other count of them."""
        return completeness.concerns(self.visit, self.checklist)

    def refresh_side(self) -> None:
        concerns = self.all_concerns()
        per_section: dict[str, int] = {}
        for c in concerns:
            per_section[c["section"]] = per_section.get(c["section"], 0) + 1
        progress = completeness.progress(self.visit, self.checklist, self.home_children, self.earlier_visits)
        sections = self.query_one("#sections", SectionList)
        highlighted = sections.highlighted
        sections.clear_options()
        for n, (sid, title) in enumerate(self.sections, 1):
            done, total = progress.get(sid, (0, 0))
            count = f" {done}/{total}" if total else ""
            warn = f" ⚠{per_section[sid]}" if per_section.get(sid) else ""
            sections.add_option(Option(Text(f"{n:>2} {title}{count}{warn}"), id=sid))
        if highlighted is not None:
            sections.highlighted = highlighted
        names = {c.id: c.code for c in self.home_children}
        panel = self.query_one("#concerns", OptionList)
        panel.clear_options()
        for n, c in enumerate(concerns):
            who = f" ({names.get(c['child_id'], '?')})" if c["child_id"] else ""
            mark = "⚠" if c["note"].strip() else "⚠ no note:"
            panel.add_option(Option(Text(f"{mark} {c['message']}{who}"), id=f"c{n}"))
        self._concerns = concerns
        flags = self._pattern_flags()
        by_key = {f["key"]: f for f in flags}
        self._patterns = [{**theme, "members": [by_key[k] for k in theme["flags"]]}
                          for theme in trends.themes_of(flags)]
        for n, theme in enumerate(self._patterns):
            provisional = " (provisional)" if all(f.get("provisional") for f in theme["members"]) else ""
            mark = "▲" if theme["severity"] == "high" else "◆"
            panel.add_option(Option(Text(f"{mark} {theme['label']}{provisional}"), id=f"p{n}"))
        self.query_one("#concerns-title", Static).update(
            f"Concerns {len(concerns)} · themes {len(self._patterns)}  (F3)")

    def _pattern_flags(self) -> list[dict]:
        store = self.app.store
        stored = trends.open_flags(store.flags(self.home.id))
        keys = {f["key"] for f in stored}
        if self.visit["status"] == "draft":
            try:
                live = workflow.analyse_home(store, self.home.id, draft=self.visit).flags
            except (ValidationError, ValueError, KeyError):
                live = []
            # Patterns the draft would raise are provisional until the visit is finalised.
            stored = stored + [{**f.to_dict(), "provisional": True} for f in live if f.key not in keys]
        return stored

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        list_id = event.option_list.id
        option_id = event.option.id or ""
        if list_id == "sections":
            self.call_later(self.show_section, option_id)
        elif list_id == "concerns" and option_id.startswith("c"):
            c = self._concerns[int(option_id[1:])]
            note_key = c["field"]  # where its note is written (a note box, or a record's notes)
            answer = f"c:{c['child_id']}:{c['item']}" if c["child_id"] else f"a:{c['item']}"
            target = note_key if note_key in self._keys_in(c["section"]) else answer
            self.call_later(self.show_section, c["section"], target)
        elif list_id == "concerns" and option_id.startswith("p"):
            theme = self._patterns[int(option_id[1:])]
            names = {c.id: c.code for c in self.home_children}
            evidence = "\n".join(
                f"• {'(provisional, from this draft) ' if f.get('provisional') else ''}{f['title']}: "
                + trends.render(f["evidence"], lambda cid: names.get(cid, "a child")) for f in theme["members"])
            self.app.push_screen(InfoScreen(theme["headline"], evidence))
        elif list_id == "gaps":
            gap = self._gaps[int(option_id)]
            self.call_later(self.show_section, gap.section, gap.field)

    def _keys_in(self, section_id: str) -> set[str]:
        """Field keys the form of ``section_id`` shows (cheap: built from the same rules as the form)."""
        keys = set()
        if section_id == "people":
            return {f"rec:{k}:notes" for k, _ in RECORD_TYPES}
        section = next((s for s in self.checklist.sections if s.id == section_id), None)
        if section:
            keys |= {f"n:{i.id}" for i in section.visit_items}
            keys |= {f"n:seen_alone:{c.id}" for c in self.home_children}
        return keys

    # -- buttons ------------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id
        if button == "add-child":
            from visitor.tui.screens.forms import child_form

            def added(child) -> None:
                if child:
                    self.home_children = self.app.store.children(self.home.id)
                    self.call_later(self.show_section, self.section, f"c:{child.id}:seen")
            self.app.push_screen(child_form(self.app.store, self.home.id), added)
            return
        if button == "addendum":
            self._addendum()
            return
        if button == "finalise":
            self.action_confirm_finalise()
            return
        if self.readonly:
            return
        focus = None
        if button == "add-person":
            focus = f"p:{editing.add_person(self.visit)}:role"
        elif button == "remove-person":
            editing.remove_row(self.visit, "people", len(self.visit["people"]) - 1)
        elif button == "add-rec":
            focus = f"r:{editing.add_recommendation(self.visit)}:text"
        elif button == "remove-rec":
            editing.remove_row(self.visit, "recommendations", len(self.visit["recommendations"]) - 1)
        self._submit()
        self.call_later(self.show_section, self.section, focus)

    # -- actions ------------------------------------------------------------------------------------
    def _move(self, step: int) -> None:
        ids = [s for s, _ in self.sections]
        index = ids.index(self.section) + step
        if 0 <= index < len(ids):
            self.call_later(self.show_section, ids[index])

    def action_next_section(self) -> None:
        self._move(1)

    def action_previous_section(self) -> None:
        self._move(-1)

    def action_goto(self) -> None:
        from visitor.tui.screens.forms import prompt_form

        def go(text: str | None) -> None:
            if text and text.strip().isdigit():
                self.show_section_number(int(text))
            elif text:
                self.notify("Type the section's number, e.g. 3.", severity="warning")
        listing = ", ".join(f"{n} {t}" for n, (_, t) in enumerate(self.sections, 1))
        self.app.push_screen(prompt_form("Go to section", f"Section number ({listing})"), go)

    def action_sections(self) -> None:
        self.query_one("#sections").focus()

    def action_concerns(self) -> None:
        panel = self.query_one("#concerns", OptionList)
        panel.focus()
        if panel.option_count and panel.highlighted is None:
            panel.highlighted = 0

    def action_flag(self) -> None:
        if self.readonly:
            return
        key = getattr(self.focused, "field_key", "")
        if key.startswith("a:"):
            concern_key = key[2:]
        elif key.startswith("c:"):
            child_id, _, item_id = key[2:].partition(":")
            concern_key = f"{item_id}:{child_id}"
        elif key.startswith("n:"):
            concern_key = key[2:]
        else:
            self.notify("Move to a checklist question first, then press F2.", severity="warning")
            return
        if editing.toggle_flag(self.visit, concern_key):
            self._submit()
            self._note_prompt(concern_key, refocus=key)
        else:
            self.notify("Concern mark removed.")
            self._submit()
            self.call_later(self.show_section, self.section, key)

    def _note_prompt(self, concern_key: str, refocus: str | None = None) -> None:
        from visitor.tui.screens.forms import prompt_form

        def save(text: str | None) -> None:
            if text is not None:
                editing.apply(self.visit, self.checklist, f"n:{concern_key}", text)
                self._submit()
            self.call_later(self.show_section, self.section, refocus)
        current = self.visit["notes"].get(concern_key, "")
        self.app.push_screen(prompt_form("Concern", "What you found (a concern needs a note)", current,
                                         multiline=True), save)

    def action_finalise(self) -> None:
        self.call_later(self.show_section, "finalise")

    def action_confirm_finalise(self) -> None:
        """Finalising cannot be undone (only amended by addendum), so it is confirmed first."""
        if self.readonly:
            return
        question = (f"Finalise the visit of {self.visit['date']} to {self.home.name}?\n\nIt becomes read-only: "
                    "later changes can only be added as a dated addendum.")
        self.app.push_screen(ConfirmScreen(question), lambda yes: yes and self.action_do_finalise())

    def action_discard(self) -> None:
        """Throw the draft away, after the visitor confirms (one workflow operation)."""
        if self.readonly or self.visit["status"] != "draft":
            self.notify("Only a draft can be discarded; a final visit is kept (add an addendum).", severity="warning")
            return

        def discard(yes: bool | None) -> None:
            if not yes:
                return
            if self.saver:
                self.saver.flush(5)  # nothing queued may write the draft back after it is discarded
            try:
                workflow.discard_draft(self.app.store, self.visit["id"])
            except Exception as exc:  # noqa: BLE001 - shown to the visitor; the draft stays on disk
                self.notify(f"Could not discard: {exc}", severity="error", timeout=15)
                return
            if self.saver:
                self.saver.close()
                self.saver = None
            self.notify(f"Discarded the draft visit of {self.visit['date']}.")
            self.app.pop_screen()
        self.app.push_screen(ConfirmScreen(f"Throw away the draft visit of {self.visit['date']} to {self.home.name}?"
                                           "\n\nEverything typed in it is lost."), discard)

    def action_do_finalise(self) -> None:
        if self.saver and not self.saver.flush(5):
            self.notify("The draft could not be saved, so it cannot be finalised yet. ctrl+s retries.", severity="error")
            return
        try:
            final = workflow.finalise(self.app.store, self.visit)
        except workflow.Incomplete as exc:
            self.notify(str(exc), severity="warning")
            self.call_later(self.show_section, "finalise")
            return
        except Exception as exc:  # noqa: BLE001 - shown to the visitor; the draft is untouched
            self.notify(f"Could not finalise: {exc}", severity="error", timeout=15)
            return
        if self.saver:
            self.saver.close()
            self.saver = None
        self.visit = final
        self.readonly = True
        self.sub_title = f"{self.home.name} · {self.visit['date']} · FINAL"
        self.notify("Visit finalised. Reports can now be exported (x on the home's visit list).", title="Finalised")
        banner = self.query_one("#visit-banner", Static)
        banner.update("This visit is final and read-only; add an addendum from Finalise.")
        banner.remove_class("hidden")
        self.refresh_side()
        self.call_later(self.show_section, "finalise")

    def _addendum(self) -> None:
        from visitor.tui.screens.forms import Spec, prompt_form

        def save(values: dict | None) -> None:
            if not values:
                return
            try:
                workflow.add_addendum(self.app.store, self.visit["id"], values["reason"], values["text"])
            except ValidationError as exc:
                self.notify(str(exc), severity="error")
                return
            self.visit = self.app.store.visit(self.visit["id"])
            self.call_later(self.show_section, "finalise")
        self.app.push_screen(prompt_form("Addendum", "The amendment", multiline=True,
                                         extra=[Spec("reason", "Reason for the amendment")]), save)

    def action_save(self) -> None:
        if self.saver:
            self.saver.retry()
            self.saver.submit(self.visit)

    def action_leave(self) -> None:
        if self.saver and not self.saver.flush(5):
            self.notify("Not saved yet: the last save failed. Press ctrl+s to retry; your typing is still here.",
                        severity="error", timeout=15)
            return
        self.app.pop_screen()
