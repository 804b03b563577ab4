"""A home file's outline: what the dashboard summary needs, kept beside the home file in ``outlines/``.

A home file holds every visit a home ever had (~1.5 MB after ten years), and parsing it is most of what a
summary costs. Its outline holds the children, the pattern flags, the newest visit whole, and of every visit
only what open recommendations and their timescales need — a few kilobytes. It is written in the same commit
as the home file and names that file's SHA-1 and size: an outline whose home file has changed in any way
(an older reg44, a restored or hand-edited file) does not match and is not used, so it can never disagree
with the visits. It is derived data: never snapshotted or restored, rebuilt whenever its home file is written
or read whole by a writer.
"""

from __future__ import annotations

import hashlib

from visitor.storage.files import DataFileError, dump_tables, parse_tables
from visitor.storage.records import validate_file

FOLDER = "outlines"
# Of each visit, what open recommendations and their timescales are worked out from.
HEAD_FIELDS = ("id", "date", "recommendations", "responses", "earlier")


def source_of(home_bytes: bytes) -> dict:
    """The identity of a home file's content, as an outline records it."""
    return {"sha1": hashlib.sha1(home_bytes).hexdigest(), "size": len(home_bytes)}


def outline_tables(home: dict) -> dict:
    """The outline of a home file's tables (rows shared with ``home``: treat as read-only)."""
    visits = home.get("visits", {})
    latest = max(visits.items(), key=lambda item: item[1]["date"], default=None)
    return {
        "children": home.get("children", {}),
        "flags": home.get("flags", {}),
        "heads": {doc_id: {k: row[k] for k in HEAD_FIELDS if k in row} for doc_id, row in visits.items()},
        "latest": {latest[0]: latest[1]} if latest else {},
    }


def outline_bytes(home: dict, home_bytes: bytes) -> bytes:
    """The outline file for a home file whose tables are ``home`` and content ``home_bytes``."""
    return dump_tables({"source": {"1": source_of(home_bytes)}, **outline_tables(home)})


def matching(raw: bytes | None, home_bytes: bytes, path) -> dict | None:
    """The outline's tables if ``raw`` is a sound outline of exactly ``home_bytes``; None otherwise."""
    if raw is None:
        return None
    try:
        tables = parse_tables(raw, path)
        validate_file("outline", tables, path)
    except DataFileError:
        return None  # derived data: a broken outline is rebuilt from the home file, never reported
    if list(tables.get("source", {}).values()) != [source_of(home_bytes)]:
        return None
    return tables
