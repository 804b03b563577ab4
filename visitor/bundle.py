"""The versioned JSON bundle: a whole data folder's homes, children, visits and patterns in one file.

For backups and for moving work between laptops. ``load`` validates the entire bundle before it
touches anything, names what is wrong, and is idempotent: loading the same bundle twice adds nothing.
The format is described in ``docs/bundle.schema.json``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from visitor import __version__, workflow
from visitor import checklist as checklists
from visitor.model import Child, Home, ValidationError, Visit
from visitor.store import Store

FORMAT = "reg44-bundle"
VERSION = 1
MAX_BYTES = 512 * 1024 * 1024
LIMITS = {"homes": 2000, "children": 1000, "visits": 5000, "flags": 20000, "checklists": 200}


class BundleError(ValidationError):
    """The bundle is refused as a whole; nothing was changed."""


def dump(store: Store) -> dict:
    homes = []
    used: dict[tuple[str, int], dict] = {}
    for home in store.homes():
        visits = [dict(v) for v in store.visits(home.id)]
        draft = store.draft(home.id)
        for v in visits + ([draft] if draft else []):
            key = (v["checklist_id"], v["checklist_version"])
            if key not in used:
                used[key] = store.checklist_for(v).raw
        homes.append({"home": home.to_dict(), "children": [c.to_dict() for c in store.children(home.id)],
                      "visits": visits, "draft": draft, "flags": store.flags(home.id)})
    return {"format": FORMAT, "version": VERSION, "created": datetime.now().isoformat(timespec="seconds"),
            "app": f"reg44 {__version__}", "checklists": list(used.values()), "homes": homes}


def write(store: Store, path: Path) -> Path:
    from visitor.storage import atomic_write

    atomic_write(Path(path), json.dumps(dump(store), ensure_ascii=False, indent=1).encode("utf-8"))
    return Path(path)


def read(path: Path) -> dict:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read ({exc.strerror}).") from None
    if size > MAX_BYTES:
        raise BundleError(f"{path}: the bundle is {size:,} bytes, larger than the {MAX_BYTES:,} allowed.")
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: not valid JSON ({exc}).") from None


def validate(data: object) -> list[dict]:
    """Check every part of a bundle; return the parsed homes or raise ``BundleError`` naming the fault."""
    if not isinstance(data, dict):
        raise BundleError("The bundle must be a JSON object.")
    if data.get("format") != FORMAT:
        raise BundleError(f"This is not a reg44 bundle (format is {data.get('format')!r}, expected {FORMAT!r}).")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION or data["version"] < 1:
        raise BundleError(f"Bundle version {data.get('version')!r} is not supported (this reg44 reads {VERSION}).")
    for key in ("homes", "checklists"):
        if not isinstance(data.get(key), list):
            raise BundleError(f"'{key}' must be a list.")
        if len(data[key]) > LIMITS[key]:
            raise BundleError(f"'{key}' has {len(data[key]):,} entries; at most {LIMITS[key]:,} are allowed.")
    for index, raw in enumerate(data["checklists"]):
        try:
            checklists.parse(raw, f"bundle checklist {index + 1}")
        except checklists.ChecklistError as exc:
            raise BundleError(str(exc)) from None
    parsed = []
    seen_homes: set[str] = set()
    for index, entry in enumerate(data["homes"]):
        where = f"homes[{index}]"
        try:
            parsed.append(_validate_home(entry, where, seen_homes))
        except ValidationError as exc:
            raise BundleError(f"{where}: {exc}") from None
    return parsed


def _validate_home(entry: object, where: str, seen_homes: set[str]) -> dict:
    if not isinstance(entry, dict):
        raise ValidationError("must be an object")
    home = Home.from_dict(entry.get("home"))
    if home.id in seen_homes:
        raise ValidationError(f"the home {home.id!r} appears twice")
    seen_homes.add(home.id)
    for key in ("children", "visits", "flags"):
        value = entry.get(key, [])
        if not isinstance(value, list):
            raise ValidationError(f"'{key}' must be a list")
        if len(value) > LIMITS[key]:
            raise ValidationError(f"'{key}' has {len(value):,} entries; at most {LIMITS[key]:,} are allowed")
    children = []
    for n, raw in enumerate(entry.get("children", [])):
        child = _at(f"children[{n}]", Child.from_dict, raw)
        if child.home_id != home.id:
            raise ValidationError(f"children[{n}] belongs to {child.home_id!r}, not {home.id!r}")
        children.append(child)
    if len({c.id for c in children}) != len(children):
        raise ValidationError("two children share an id")
    visits = []
    for n, raw in enumerate(entry.get("visits", [])):
        visit = _at(f"visits[{n}]", Visit.from_dict, raw)
        if visit.home_id != home.id or visit.status != "final":
            raise ValidationError(f"visits[{n}] must be a final visit of {home.id!r}")
        visits.append(visit.to_dict())
    if len({v["date"] for v in visits}) != len(visits):
        raise ValidationError("two visits share a date")
    draft = entry.get("draft")
    if draft is not None:
        draft = _at("draft", Visit.from_dict, draft).to_dict()
        if draft["home_id"] != home.id or draft["status"] != "draft":
            raise ValidationError(f"the draft must be a draft visit of {home.id!r}")
    for n, flag in enumerate(entry.get("flags", [])):
        if not isinstance(flag, dict) or not all(isinstance(flag.get(k), str) for k in ("key", "title", "evidence", "raised_on")):
            raise ValidationError(f"flags[{n}] needs text fields key, title, evidence and raised_on")
    return {"home": home, "children": children, "visits": visits, "draft": draft, "flags": entry.get("flags", [])}


def _at(where: str, parse, raw):
    try:
        return parse(raw)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None


def load(store: Store, data: object) -> dict:
    """Merge a validated bundle into the store. Existing records win; returns what was added."""
    parsed = validate(data)
    for raw in data["checklists"]:
        store.snapshot_checklist(checklists.parse(raw, "bundle"))
    added = {"homes": 0, "children": 0, "visits": 0, "drafts": 0, "flags": 0}
    for entry in parsed:
        home = entry["home"]
        if home.id not in {h.id for h in store.homes()}:
            store.add_home(home)
            added["homes"] += 1
        known_children = {c.id for c in store.children(home.id)}
        for child in entry["children"]:
            if child.id not in known_children:
                store.add_child(home.id, child)
                added["children"] += 1
        known_visits = {v["id"] for v in store.visits(home.id)}
        new_visits = [v for v in entry["visits"] if v["id"] not in known_visits]
        store.import_visits(home.id, new_visits)
        added["visits"] += len(new_visits)
        draft = entry["draft"]
        if draft and not store.has_draft(home.id) and draft["id"] not in known_visits | {v["id"] for v in new_visits}:
            store.save_draft(draft)
            added["drafts"] += 1
        stored = store.flags(home.id)
        known_flags = {(f["key"], f["raised_on"]) for f in stored}
        extra = [f for f in entry["flags"] if (f["key"], f["raised_on"]) not in known_flags]
        if extra:
            store.save_flags(home.id, stored + extra)
            added["flags"] += len(extra)
        if new_visits or extra:
            workflow.refresh_home(store, home.id)
    return added
