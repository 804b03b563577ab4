"""Find a home, child, visit or placing authority from what a person types on the command line.

A home may be named by its id, its name, or an unambiguous case-insensitive prefix of either, so
``reg44 trends "oak"`` works; an ambiguous prefix lists the candidates rather than guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from visitor.model import Child, Home, ValidationError
from visitor.store import NotFound, Store

T = TypeVar("T")


def _pick(text: str, candidates: list[tuple[T, tuple[str, ...]]], what: str, listing: Callable[[T], str]) -> T:
    """The one candidate whose names equal ``text`` (case-insensitive), else the one they start with."""
    wanted = text.strip().casefold()
    if not wanted:
        raise ValidationError(f"Give a {what}.")
    exact = [c for c, names in candidates if any(n.casefold() == wanted for n in names)]
    if len(exact) == 1:
        return exact[0]
    prefixed = exact or [c for c, names in candidates if any(n.casefold().startswith(wanted) for n in names)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        shown = "; ".join(listing(c) for c in prefixed[:10])
        raise ValidationError(f"{text!r} matches {len(prefixed)} {what}s: {shown}. Type more of it.")
    raise NotFound(None)


def home(store: Store, text: str) -> Home:
    """The home ``text`` names (id, name or unambiguous prefix of either)."""
    try:
        return _pick(text, [(h, (h.id, h.name)) for h in store.homes()], "home", lambda h: f"{h.id} ({h.name})")
    except NotFound:
        raise NotFound(f"There is no home with id {text!r}, nor one whose name starts so (see `reg44 homes`).") from None


def child(store: Store, home_id: str, text: str) -> Child:
    """A child of the home by id or code (case-insensitive), or an unambiguous prefix of either."""
    try:
        return _pick(text, [(c, (c.id, c.code)) for c in store.children(home_id)], "child",
                     lambda c: f"{c.id} ({c.code})")
    except NotFound:
        raise NotFound(f"There is no child {text!r} at {home_id!r} (see `reg44 children {home_id}`).") from None


def visit_id(store: Store, text: str) -> str:
    """A visit id ``HOME@DATE`` whose home part may be typed as for ``home``."""
    home_text, at, day = text.partition("@")
    if not at:
        raise NotFound(f"There is no visit {text!r}: a visit is written HOME@YYYY-MM-DD (see `reg44 visits HOME`).")
    return f"{home(store, home_text).id}@{day.strip()}"


def authority(choices: list[str], text: str | None) -> str:
    """One of ``choices`` (the placing authorities at a visit) by name or unambiguous prefix."""
    if not choices:
        raise ValidationError("No child placed by a local authority lived at the home on the visit date.")
    listed = "; ".join(choices)
    if not text or not text.strip():
        raise ValidationError(f"Say which placing authority with --authority: {listed}.")
    try:
        return _pick(text, [(a, (a,)) for a in choices], "placing authority", str)
    except NotFound:
        raise NotFound(f"No child at this visit was placed by {text!r}. The placing authorities are: {listed}.") from None
