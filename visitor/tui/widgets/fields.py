"""Keyboard widgets for each kind of answer. Each carries a ``field_key`` and posts ``FieldChanged``."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Select, Static, TextArea

from visitor.tui.messages import FieldChanged


class YesNoField(Static, can_focus=True):
    """Single keys: y yes, n no, k not known, delete to clear."""

    BINDINGS = [
        Binding("y", "set('yes')", "Yes", id="field.yes", tooltip="Answer yes"),
        Binding("n", "set('no')", "No", id="field.no", tooltip="Answer no"),
        Binding("k", "set('not known')", "Not known", id="field.not_known", tooltip="Answer not known"),
        Binding("delete,backspace", "set('')", "Clear", show=False, id="field.clear"),
    ]
    value: reactive[str] = reactive("")

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("", **kw)
        self.field_key = field_key
        self.set_reactive(YesNoField.value, value if isinstance(value, str) else "")

    def render(self) -> str:
        parts = []
        for key, label in (("y", "yes"), ("n", "no"), ("k", "not known")):
            mark = "●" if self.value == label else "○"
            parts.append(f"{mark} {label} ({key})")
        return "   ".join(parts)

    def action_set(self, value: str) -> None:
        self.value = value
        self.post_message(FieldChanged(self.field_key, value))


class NumberField(Input):
    """A number typed as text: nonsense is kept on screen with an inline message, never thrown away."""

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("" if value is None else str(value), **kw)
        self.field_key = field_key

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FieldChanged(self.field_key, event.value))


class LineField(Input):
    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("" if value is None else str(value), **kw)
        self.field_key = field_key

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FieldChanged(self.field_key, event.value))


class NotesField(TextArea):
    """Multi-line notes; tab moves on to the next field rather than typing a tab."""

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("" if value is None else str(value), soft_wrap=True, tab_behavior="focus", **kw)
        self.field_key = field_key

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(FieldChanged(self.field_key, self.text))


class ChoiceField(Select):
    def __init__(self, field_key: str, options: list[str] | tuple[str, ...], value: object = None, **kw) -> None:
        super().__init__([(o, o) for o in options], value=value if value in options else Select.NULL,
                         prompt="choose…", **kw)
        self.field_key = field_key

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = "" if event.value is Select.NULL else event.value
        self.post_message(FieldChanged(self.field_key, value))


class FieldBox(Vertical):
    """A question, its guidance, its widget and the inline message for a bad value."""

    def __init__(self, title: str, guidance: str, field: Widget, *extra: Widget, error: str = "", **kw) -> None:
        super().__init__(**kw)
        self._title, self._guidance, self._field, self._extra, self._error = title, guidance, field, extra, error

    def compose(self):
        yield Static(self._title, classes="question", markup=False)
        if self._guidance:
            yield Static(self._guidance, classes="guidance", markup=False)
        yield self._field
        yield Static(self._error, classes="error" + ("" if self._error else " hidden"), markup=False)
        yield from self._extra

    def show_error(self, message: str | None) -> None:
        label = self.query_one(".error", Static)
        label.update(message or "")
        label.set_class(not message, "hidden")
