"""Short garbage-collector pauses while a visitor types in the walkthrough.

CPython's full collection walks every object the process holds: with a walkthrough open, ~130,000 of them
and ~60 ms, falling due every few hundred keystrokes in the middle of one. What is alive when the walkthrough
opens (the app, the store's data, the screens beneath it) is set aside for as long as it stays open
(``gc.freeze``), so a full collection while typing walks only what was made since (~20 ms). Garbage is
collected first, once, as the walkthrough opens, so none is set aside with the rest; what is set aside is
handed back when the walkthrough closes, so nothing that became garbage in the meantime is kept longer.
"""

from __future__ import annotations

import gc

_holders = 0  # walkthroughs open in this process (tests run several apps in one)


def hold() -> None:
    """Set aside every object alive now (the first holder only)."""
    global _holders
    if _holders == 0:
        gc.collect()
        gc.freeze()
    _holders += 1


def release() -> None:
    """The last holder gone: everything set aside is collected as usual again."""
    global _holders
    _holders = max(0, _holders - 1)
    if _holders == 0:
        gc.unfreeze()
