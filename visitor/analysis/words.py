"""How numbers, dates and children are written in evidence (shared by the rules and the screens)."""

from __future__ import annotations

from functools import lru_cache

from visitor.model import Child, parse_date


def num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def count(value: float, noun: str) -> str:
    return f"{num(value)} {noun}{'' if value == 1 else 's'}"


@lru_cache(maxsize=4096)
def day(iso: str) -> str:
    """'3 Mar 2025' (cached: a replay writes the same few hundred dates thousands of times)."""
    d = parse_date(iso)
    return f"{d.day} {d:%b %Y}"


def child(c: Child) -> str:
    """A child in stored evidence: a token rendered later for each reader (see ``trends.render``)."""
    return f"{{child:{c.id}}}"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
