"""Small modal forms: a home, a child, starting a visit, a reason, a yes/no question.

One ``FormScreen`` drives them all: fields from a spec, ctrl+s (or enter on the last field) to save,
escape to cancel. A value the domain refuses is shown in a fixed line above the buttons; what was typed stays in the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from visitor.model import ADVOCACY, COMMUNICATION, SETTING_TYPES, Child, Home, ValidationError, slugify


@dataclass
class Spec:
    name: str
    label: str
    value: str = ""
    options: tuple[str, ...] = ()
    multiline: bool = False
    placeholder: str = ""


class NoteArea(TextArea):
    """A text box that, like every note box, puts the cursor after what it already holds when it gains focus:
    a concern's note opened to add to must not take the next words before its first one."""

    def _on_focus(self, event) -> None:
        super()._on_focus(event)
        self.move_cursor(self.document.end)


class FormScreen(ModalScreen):
    """Returns whatever ``build(values)`` returns, or None when cancelled."""

    CSS_PATH = "forms.tcss"
    AUTO_FOCUS = "Input, TextArea, Select"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Check and save this form", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close without saving"),
    ]

    def __init__(self, title: str, specs: list[Spec], build: Callable[[dict], object]) -> None:
        super().__init__()
        self.form_title = title
        self.specs = specs
        self.build = build

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(Text(self.form_title, style="bold"), classes="dialog-title")
            for spec in self.specs:
                yield Label(Text(spec.label))
                if spec.options:
                    value = spec.value if spec.value in spec.options else Select.NULL
                    yield Select([(o, o) for o in spec.options], value=value, id=f"f-{spec.name}", allow_blank=False
                                 if spec.value in spec.options else True)
                elif spec.multiline:
                    yield NoteArea(spec.value, id=f"f-{spec.name}", soft_wrap=True, tab_behavior="focus")
                else:
                    # never select on focus: one key typed into a filled field must not replace it
                    yield Input(spec.value, id=f"f-{spec.name}", placeholder=spec.placeholder, select_on_focus=False)
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")
            # Docked to the dialog's foot: the message never scrolls out of view (nor takes a Tab stop).
            yield Static("", id="form-error", classes="error hidden", markup=False)

    def scroll_to_center(self, widget, *args, **kw) -> None:
        """Textual centres a newly focused field the form cannot show whole (as the form opens, before its first
        layout, that is any field): the first field went to the middle of a form taller than the screen, its
        label and the form's title above the view. Show the field with its label (the first with the title),
        moving the form no more than that needs."""
        dialog = self.query_one(".dialog", VerticalScroll)
        if dialog not in widget.ancestors:
            super().scroll_to_center(widget, *args, **kw)
            return
        first = self.query_one(f"#f-{self.specs[0].name}")
        if widget is first or first in widget.ancestors:
            dialog.scroll_home(animate=False, immediate=True)
            return
        siblings = list(widget.parent.children)
        before = siblings[siblings.index(widget) - 1] if siblings.index(widget) else None
        if isinstance(before, Label):
            dialog.scroll_to_widget(before, animate=False, immediate=True)
        dialog.scroll_to_widget(widget, animate=False, immediate=True)

    def values(self) -> dict:
        found = {}
        for spec in self.specs:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Select):
                found[spec.name] = "" if widget.value is Select.NULL else widget.value
            elif isinstance(widget, TextArea):
                found[spec.name] = widget.text
            else:
                found[spec.name] = widget.value
        return found

    def action_save(self) -> None:
        try:
            result = self.build(self.values())
        except (ValidationError, ValueError) as exc:
            self.show_error(str(exc))
            return
        self.dismiss(result)

    def show_error(self, message: str) -> None:
        """The message in the fixed line above the buttons, and the field it quotes focused and scrolled
        into view (the domain names the value it refused: "(got '2026-02-30')", "(got -3)")."""
        error = self.query_one("#form-error", Static)
        error.update(message)
        error.remove_class("hidden")
        values = self.values()
        at_fault = [name for name, value in values.items()
                    if isinstance(value, str) and value.strip()
                    and (f"'{value.strip()}'" in message or f"(got {value.strip()})" in message)]
        if len(at_fault) == 1:
            field = self.query_one(f"#f-{at_fault[0]}")
            field.focus()
            self.query_one(".dialog", VerticalScroll).scroll_to_widget(field, animate=False)

    def action_cancel(self) -> None:
        """Escape closes the form; if something was typed or chosen in it, only after asking (one key must not
        throw away a concern's note written after F2)."""
        if not self.changed():
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmScreen("Close this form and lose what you typed in it?"),
                             lambda yes: yes and self.dismiss(None))

    def changed(self) -> bool:
        """True when something was typed or chosen since the form opened (not saved until ctrl+s)."""
        return self.is_mounted and self.values() != self._initial

    def on_mount(self) -> None:
        self._initial = self.values()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == f"f-{self.specs[-1].name}":
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save() if event.button.id == "save" else self.action_cancel()


def home_form(store, home: Home | None = None) -> FormScreen:
    h = home or Home("new", "")
    specs = [Spec("name", "Name of the home", h.name), Spec("urn", "Ofsted URN", h.urn, placeholder="SC123456"),
             Spec("provider", "Registered provider", h.provider),
             Spec("registered_manager", "Registered manager", h.registered_manager),
             Spec("responsible_individual", "Responsible individual", h.responsible_individual),
             Spec("la_area", "Local authority area", h.la_area), Spec("places", "Registered places", str(h.places) if home else "", placeholder="e.g. 4"),
             Spec("setting_type", "Type of setting", h.setting_type, SETTING_TYPES),
             Spec("registered_on", "Date registered (YYYY-MM-DD)", h.registered_on)]

    def build(values: dict) -> Home:
        if home:
            return store.update_home(Home(**{**home.to_dict(), **values}).check_registration())
        return store.add_home(Home(id=slugify(values["name"] or "home"), **values).check_registration())

    return FormScreen("Edit home" if home else "Add a home", specs, build)


def child_form(store, home_id: str, child: Child | None = None) -> FormScreen:
    c = child or Child("", home_id, "", "")
    specs = [Spec("code", "Initials or code (never a name)", c.code),
             Spec("placing_authority", "Placing authority", c.placing_authority),
             Spec("communication", "Communication", c.communication, COMMUNICATION),
             Spec("advocate", "Independent advocate", c.advocate, ADVOCACY),
             Spec("distance_miles", "Approx. miles from family home", "" if c.distance_miles is None else str(c.distance_miles)),
             Spec("admitted", "Admission date (YYYY-MM-DD)", c.admitted),
             Spec("left", "Leaving date (YYYY-MM-DD, if left)", c.left)]

    def build(values: dict) -> Child:
        if child:
            return store.update_child(Child(**{**child.to_dict(), **values}))
        return store.add_child(home_id, Child(id="", home_id=home_id, **values))

    return FormScreen("Edit child" if child else "Add a child", specs, build)


def start_visit_form(store, home: Home, today: str) -> FormScreen:
    specs = [Spec("date", "Date of the visit (YYYY-MM-DD)", today),
             Spec("announced", "Was the visit announced?", "unannounced", ("unannounced", "announced"))]

    def build(values: dict) -> dict:
        return store.start_visit(home.id, values["date"].strip(), announced=values["announced"] == "announced")

    return FormScreen(f"Start a visit to {home.name}", specs, build)


def prompt_form(title: str, label: str, value: str = "", *, multiline: bool = False, required: bool = True,
                extra: list[Spec] | None = None) -> FormScreen:
    specs = [Spec("text", label, value, multiline=multiline)] + (extra or [])

    def build(values: dict) -> dict | str:
        if required and not values["text"].strip():
            raise ValidationError(f"{label} is required.")
        return values if extra else values["text"]

    return FormScreen(title, specs, build)


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm.yes"),
                Binding("n,escape", "answer(False)", "No", id="confirm.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(self.question, markup=False)
            yield Static("[b]y[/b] yes    [b]n[/b] no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class InfoScreen(ModalScreen):
    """Text to read at leisure (a pattern's evidence): a dialog that scrolls and stays until escape. A toast
    holding it covered the form and any question asked meanwhile, for twenty seconds, with no key to close it."""

    CSS_PATH = "forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close", id="info.close",
                                                     tooltip="Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.info_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="info-body"):
            yield Static(Text(self.info_title, style="bold"), classes="dialog-title")
            yield Static(Text(self.text))
            yield Static("Press escape to close.", classes="muted")
