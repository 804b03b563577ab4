"""Messages that cross widget boundaries in the app."""

from __future__ import annotations

from textual.message import Message


class FieldChanged(Message):
    """A form field's value changed; ``key`` addresses it (see ``visitor.editing``)."""

    def __init__(self, key: str, value: object, field: object = None) -> None:
        self.key = key
        self.value = value
        self.field = field  # the widget that changed, when it is a text box (see VisitScreen._superseded)
        super().__init__()


class SaveState(Message):
    """The autosaver finished a save (``error`` is None) or failed."""

    def __init__(self, error: str | None) -> None:
        self.error = error
        super().__init__()
