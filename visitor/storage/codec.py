"""JSON at the file boundary: orjson where it can, the standard library wherever orjson declines.

Every command that touches every home (load, check, dump) spends much of its time turning files into
dicts and back. orjson parses our home files about twice as fast as ``json`` and writes them about
fifteen times as fast, so it is worth a dependency. It is stricter than ``json`` in some ways (it refuses
lone surrogates, ``NaN`` and files in UTF-16 or UTF-32) and looser in one: an integer beyond 64 bits
comes back as a float. ``loads`` hands every such text to ``json``, so what parses, and what it parses
to, is exactly what ``json`` gives; a text neither accepts raises ``json``'s own error. On output the one
difference is that orjson writes a float ``NaN`` or infinity as ``null`` where ``json`` wrote a token no
JSON reader accepts. reg44 never makes one, and its checks refuse them in answers
(``integrity``). One read from a file or bundle written elsewhere (``NaN`` in an unknown table, say) is
written back as ``null`` the next time its file is saved; keeping it would cost a walk of every home
file on every save (+10 % on a load), for a token that is not JSON.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_BIG = 2.0**63  # orjson turns an integer at or beyond this into a float; json keeps it an integer


class TooDeep(Exception):
    """Lists and objects nest deeper than the reader allows."""


def loads(raw: bytes | str, max_depth: int | None = None) -> Any:
    """Parse JSON exactly as ``json`` would, refusing nesting deeper than ``max_depth`` (``TooDeep``).

    Raises ValueError (``json.JSONDecodeError``), UnicodeDecodeError or RecursionError as ``json`` does.
    The depth walk and the check for orjson's big-integer floats are one pass over the containers."""
    limit = max_depth if max_depth is not None else 1 << 30
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = json.loads(raw)
    else:
        deep, big = _walk(value, limit)
        if not big:
            if deep:
                raise TooDeep
            return value
        value = json.loads(raw)  # a float that may have been an integer: json reads it as written
    if _walk(value, limit)[0]:
        raise TooDeep
    return value


def too_deep(value: object, limit: int) -> bool:
    """True when lists/objects nest deeper than ``limit`` (checked without recursion, containers only)."""
    return _walk(value, limit)[0]


def _walk(value: object, limit: int) -> tuple[bool, bool]:
    """(nests deeper than ``limit``, holds a float of 2**63 or more in size), without recursion."""
    kind = type(value)
    if kind is float:
        return False, not -_BIG < value < _BIG  # type: ignore[operator]
    if kind is not dict and kind is not list:
        return False, False  # a file holding only a number or text (iterating it would walk its letters)
    big = False
    stack: list[tuple[object, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return True, big
        for child in (node.values() if type(node) is dict else node):  # type: ignore[attr-defined]
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth + 1))
            elif kind is float and not -_BIG < child < _BIG:
                big = True
    return False, big


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept as is, lone surrogates passed through)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # a lone surrogate, a big integer, a non-text key: the standard library's way
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def copy(value: Any) -> Any:
    """A deep copy of plain JSON data (dicts, lists, text, numbers), much faster than ``copy.deepcopy``."""
    try:
        return orjson.loads(orjson.dumps(value))  # what orjson writes, it reads back exactly
    except TypeError:
        return json.loads(json.dumps(value))
