"""The command palette: offers the actions of the screen it was opened over, by name.

While the palette is open ``app.screen`` is the palette itself, so the screen comes from the Provider
(``self.screen``: the screen the palette was called from). Its own keys, the app's, and any extra
commands the screen offers (``palette_commands``, e.g. the dashboard's "Open home: …") are listed.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

Command = tuple[str, str, Callable]
UNLISTED = ("command_palette",)  # the palette itself


def screen_bindings(screen) -> list[tuple[DOMNode, str, Binding]]:
    """The described keys of ``screen`` and of the app that may run now: (namespace, key, binding).

    Taken from the namespaces directly rather than ``active_bindings``, which drops every letter key
    while a text field has focus (the field would take the letter, the palette would not)."""
    app = screen.app
    found: list[tuple[DOMNode, str, Binding]] = []
    seen: set[tuple[int, str]] = set()
    for node in (screen, app):
        for key, bindings in node._bindings.key_to_bindings.items():
            for binding in bindings:
                # Textual's own generic keys (Focus Next, Copy selected text…) carry no id; reg44's all do
                if not binding.description or binding.id is None or binding.action in UNLISTED:
                    continue
                if (id(node), binding.action) in seen or app._check_action_state(binding.action, node) is not True:
                    continue
                seen.add((id(node), binding.action))
                found.append((node, key, binding))
    return found


class Reg44Commands(Provider):
    def _commands(self) -> list[Command]:
        screen = self.screen
        found: list[Command] = []
        for node, key, binding in screen_bindings(screen):
            shown_key = self.app.get_key_display(binding)
            help_text = f"{binding.tooltip or binding.description} (key: {shown_key})"
            found.append((binding.description, help_text, partial(node.run_action, binding.action)))
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            found.extend(extra())
        found.append(("Push to the agency hub", "Send finalised visits and records to the hub (reg44 hub push)",
                      self.app.action_hub_push))
        return found

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
