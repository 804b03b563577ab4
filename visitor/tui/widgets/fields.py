"""Keyboard widgets for each kind of answer. Each carries a ``field_key`` and posts ``FieldChanged``."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from visitor.tui.messages import FieldChanged


class KeysStayHere:
    """A key sent to this field runs this field's own bindings, even if focus has moved on since.

    Textual looks a widget's bindings up only when the key, passed from parent to parent, reaches the
    app, and then from whatever is focused *at that moment*. Keys typed quickly are all queued first,
    so a digit typed just before a Tab was applied to the next field (issue 13, item 7). Handling them
    here, where the key was sent, keeps each key with the field that had focus when it was typed.
    """

    async def _on_key(self, event) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)


class YesNoField(KeysStayHere, Static, can_focus=True):
    """Single keys: y yes, n no, k not known, delete to clear."""

    BINDINGS = [
        # Not shown in the footer: the field shows its own keys, and a footer that changes on every
        # tab costs a full recompose.
        Binding("y", "set('yes')", "Yes", show=False, id="field.yes", tooltip="Answer yes"),
        Binding("n", "set('no')", "No", show=False, id="field.no", tooltip="Answer no"),
        Binding("k", "set('not known')", "Not known", show=False, id="field.not_known", tooltip="Answer not known"),
        Binding("delete,backspace", "set('')", "Clear", show=False, id="field.clear"),
    ]
    value: reactive[str] = reactive("")

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("", **kw)
        self.field_key = field_key
        self.set_reactive(YesNoField.value, value if isinstance(value, str) else "")

    def render(self) -> Text:
        parts = []
        for key, label in (("y", "yes"), ("n", "no"), ("k", "not known")):
            mark = "●" if self.value == label else "○"
            parts.append(f"{mark} {label} ({key})")
        return Text("   ".join(parts))

    def action_set(self, value: str) -> None:
        self.value = value
        self.post_message(FieldChanged(self.field_key, value))


class LineField(KeysStayHere, Input):
    """One line of text; every keystroke is posted as it is typed.

    Focus puts the cursor at the end and never selects (Textual's default selects all, so the first key
    typed on resuming would replace a whole note); ctrl+z steps back through this field's earlier values.
    Unfocused, the box shows the start of its text rather than the end.
    """

    BINDINGS = [Binding("ctrl+z", "undo", "Undo", show=False, id="field.undo", tooltip="Undo the last change here")]
    UNDO_LIMIT = 100
    _typing = False  # set while a new value is applied, see ``_watch_value``

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("" if value is None else str(value), select_on_focus=False, **kw)
        self.field_key = field_key
        self._history: list[str] = []
        self._last = self.value
        self._restoring: str | None = None

    def _on_focus(self, event) -> None:
        super()._on_focus(event)
        self.cursor_position = len(self.value)

    def _watch_value(self, value: str) -> None:
        """Input grows its scrollable width with the text, and that asks for a layout of the whole screen
        (every field of a long section) on every key. The box itself never changes size, so the new width
        is kept without the layout."""
        self._typing = True
        try:
            super()._watch_value(value)
        finally:
            self._typing = False

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False) -> LineField:
        return super().refresh(*regions, repaint=repaint, layout=layout and not self._typing, recompose=recompose)

    def _on_blur(self, event) -> None:
        super()._on_blur(event)
        self.scroll_to(x=0, animate=False, immediate=True)

    _restyling_focus = False  # set while focus is gained or lost, see ``watch_has_focus``

    def watch_has_focus(self, has_focus: bool) -> None:
        """Gaining or losing focus changes only the box's own look (the ``:focus`` rules of Input and
        app.tcss); the cursor, selection, placeholder and suggestion styles never depend on it, so they are
        not worked out again. Each of those is a pass over the whole stylesheet: four of the five that
        Textual makes for a text box on every Tab onto it or off it (tests check the result is the same)."""
        self._restyling_focus = True
        try:
            super().watch_has_focus(has_focus)
        finally:
            self._restyling_focus = False

    def _get_component_classes(self) -> frozenset[str]:  # type: ignore[override]  # a classmethod in Textual
        return frozenset() if self._restyling_focus else super()._get_component_classes()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._restoring:
            self._restoring = None
        elif event.value != self._last:
            self._history = (self._history + [self._last])[-self.UNDO_LIMIT:]
        self._last = event.value
        self.post_message(FieldChanged(self.field_key, event.value, self))

    def action_undo(self) -> None:
        if not self._history:
            self.app.bell()
            return
        self._restoring = self._history.pop()
        self.value = self._restoring
        self.cursor_position = len(self.value)


class NumberField(LineField):
    """A number typed as text: nonsense is kept on screen with an inline message, never thrown away."""


class NotesField(KeysStayHere, TextArea):
    """Multi-line notes; tab moves on to the next field rather than typing a tab."""

    def __init__(self, field_key: str, value: object = None, **kw) -> None:
        super().__init__("" if value is None else str(value), soft_wrap=True, tab_behavior="focus", **kw)
        self.field_key = field_key

    def _on_focus(self, event) -> None:
        super()._on_focus(event)
        self.move_cursor(self.document.end)  # like a note field: focus never puts the cursor before the text

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(FieldChanged(self.field_key, self.text, self))


class ChoiceField(KeysStayHere, Widget, can_focus=True):
    """A choice by single keys: 1-9 pick an option, left/right step through them, delete clears.

    Lighter than a Select (no overlay per field) so a section with dozens of choices stays instant.
    """

    BINDINGS = [
        Binding("right,space", "step(1)", "Next option", show=False, id="choice.next"),
        Binding("left", "step(-1)", "Previous option", show=False, id="choice.previous"),
        Binding("delete,backspace", "pick(0)", "Clear", show=False, id="choice.clear"),
        *[Binding(str(n), f"pick({n})", show=False, id=f"choice.{n}") for n in range(1, 10)],
    ]
    DEFAULT_CSS = "ChoiceField { height: auto; }"
    value: reactive[str] = reactive("")  # a pick changes one mark, never the text's length: no layout

    def __init__(self, field_key: str, options: list[str] | tuple[str, ...], value: object = None, *,
                 label: str = "", **kw) -> None:
        super().__init__(**kw)
        self.field_key = field_key
        self.options = tuple(options)
        self.label = label  # shown before the options when the box's question does not say what this is
        self.set_reactive(ChoiceField.value, value if value in self.options else "")

    def render(self) -> Text:
        marks = [f"{'●' if o == self.value else '○'} {o} ({n})" for n, o in enumerate(self.options, 1)]
        return Text((f"{self.label}: " if self.label else "") + "   ".join(marks))

    def action_pick(self, number: int) -> None:
        if number <= len(self.options):
            self._set(self.options[number - 1] if number else "")

    def action_step(self, step: int) -> None:
        index = self.options.index(self.value) if self.value in self.options else -1
        self._set(self.options[(index + step) % len(self.options)])

    def _set(self, value: str) -> None:
        self.value = value
        self.post_message(FieldChanged(self.field_key, value))


class FieldBox(Vertical):
    """A question, its guidance, its widget and the inline message for a bad value.

    The message line is made the first time there is one to show: a long section has dozens of boxes,
    and every Tab walks all the widgets on the screen to find the next one.
    """

    def __init__(self, title: str, guidance: str, field: Widget, *extra: Widget, error: str = "", **kw) -> None:
        super().__init__(**kw)
        self._title, self._guidance, self._field, self._extra, self._error = title, guidance, field, extra, error

    def compose(self):
        yield Static(self._title, classes="question", markup=False)
        if self._guidance:
            yield Static(self._guidance, classes="guidance", markup=False)
        yield self._field
        if self._error:
            yield Static(self._error, classes="error", markup=False)
        yield from self._extra

    def show_error(self, message: str | None) -> None:
        """Called on every change: touches the screen (and its layout) only when the message changes."""
        message = message or ""
        if message == self._error:
            return
        self._error = message
        labels = self.query(".error")
        if labels:
            label = labels.first(Static)
            label.update(message)
            label.set_class(not message, "hidden")
        else:
            self.mount(Static(message, classes="error", markup=False), after=self._field)
