"""The command palette: offers only the actions that make sense on the current screen."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class Reg44Commands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        screen = self.app.screen
        found = []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.description and active.enabled and binding.action not in ("command_palette",):
                found.append((binding.description, binding.tooltip or f"Key: {key}", partial(self._run, active)))
        found.append(("Push to the agency hub", "Send finalised visits and records to the hub (reg44 hub push)",
                      self.app.action_hub_push))
        return found

    async def _run(self, active) -> None:
        await active.node.run_action(active.binding.action)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
