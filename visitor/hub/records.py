"""The records a laptop shares with the hub, each with a stable key and a content hash.

A hash is taken of the record's canonical JSON, so "did this change?" is one string comparison on either
side. The same record read back from the hub (jsonb) hashes the same, which is what lets push and pull
tell a record changed here, there, or on both sides since they last agreed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from visitor.store import Store

SYNCED = ("homes", "children", "visits", "flags")
COLUMNS = {
    "homes": ("id", "name", "provider", "setting_type", "data", "hash"),
    "children": ("home_id", "id", "code", "admitted", "left_on", "erased", "data", "hash"),
    "visits": ("id", "home_id", "date", "checklist_id", "checklist_version", "recipients_due", "data", "hash"),
    "flags": ("home_id", "key", "raised_on", "data", "hash"),
    "erasures": ("home_id", "child_id", "data"),
}
KEYS = {"homes": ("id",), "children": ("home_id", "id"), "visits": ("id",), "flags": ("home_id", "key", "raised_on"),
        "erasures": ("home_id", "child_id")}


def canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: object) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()[:32]


@dataclass
class Record:
    """One shareable record. ``data`` is None for a record known only by its hash (its home's file has
    not changed since the last sync, so it was not read); ``load_home`` brings the data when needed."""

    kind: str
    home_id: str
    key: str
    hash: str
    data: dict | None = None
    text: str = ""
    recipients_due: list | None = None

    @classmethod
    def of(cls, kind: str, home_id: str, data: dict, recipients_due: list | None = None) -> Record:
        text = canonical(data)
        return cls(kind, home_id, record_key(kind, home_id, data),
                   hashlib.sha256(text.encode("utf-8")).hexdigest()[:32], data, text, recipients_due)

    @property
    def body(self) -> dict:
        """The record's data, which must have been read (see ``home_records``)."""
        if self.data is None:
            raise ValueError(f"{self.key} was not read from its file")
        return self.data

    def row(self) -> tuple:
        """The record as a row of the hub table (``COLUMNS[kind]``), JSON as text."""
        d, text = self.body, self.text
        if self.kind == "homes":
            return d["id"], d["name"], d.get("provider", ""), d["setting_type"], text, self.hash
        if self.kind == "children":
            return (self.home_id, d["id"], d["code"], d["admitted"], d.get("left") or None, bool(d.get("erased")),
                    text, self.hash)
        if self.kind == "visits":
            return (d["id"], self.home_id, d["date"], d["checklist_id"], d["checklist_version"],
                    json.dumps(self.recipients_due or []), text, self.hash)
        if self.kind == "flags":
            return self.home_id, d["key"], d["raised_on"], text, self.hash
        return self.home_id, d["child_id"], text


def record_key(kind: str, home_id: str, data: dict) -> str:
    if kind == "homes":
        return f"homes/{data['id']}"
    if kind == "children":
        return f"children/{home_id}/{data['id']}"
    if kind == "visits":
        return f"visits/{data['id']}"
    if kind == "flags":
        return f"flags/{home_id}/{data['key']}/{data['raised_on']}"
    return f"erasures/{home_id}/{data['child_id']}"


def empty() -> dict[str, dict[str, Record]]:
    return {kind: {} for kind in COLUMNS}


def load_home(store: Store, home) -> list[Record]:
    """Every shareable record of one home, read from its file. Drafts are never included."""
    from visitor import workflow

    children = store.children(home.id)
    records = [Record.of("homes", home.id, home.to_dict())]
    records += [Record.of("children", home.id, c.to_dict()) for c in children]
    for visit in store.visits(home.id):
        due = [list(pair) for pair in workflow.recipients(home, children, visit["date"])]
        records.append(Record.of("visits", home.id, visit, recipients_due=due))
    records += [Record.of("flags", home.id, f) for f in store.flags(home.id)]
    records += [Record.of("erasures", home.id, e) for e in store.erasures(home.id)]
    return records


def collect(store: Store, known: dict | None = None) -> tuple[dict[str, dict[str, Record]], dict]:
    """Every shareable record of the data folder by kind and key, and each home's fingerprint.

    ``known`` is the fingerprints saved at the last sync: a home whose file and home record are unchanged
    since then is not read again; its records come back by hash only (a re-push of 24,000 unchanged
    visits then costs a stat per home, not a parse and a hash per visit).
    """
    found = empty()
    prints: dict[str, dict] = {}
    for home in store.homes():
        records, prints[home.id] = home_records(store, home, (known or {}).get(home.id))
        for record in records:
            found[record.kind][record.key] = record
    return found, prints


def home_records(store: Store, home, seen: dict | None = None) -> tuple[list[Record], dict]:
    """One home's records and fingerprint; by hash only when ``seen`` (the last sync's fingerprint)
    still matches the home's file and record, else read from the file."""
    home_record = Record.of("homes", home.id, home.to_dict())
    stamp = file_stamp(store, home.id)
    if seen and stamp and seen.get("file") == stamp and seen.get("home") == home_record.hash:
        records = [home_record] + [Record(key.split("/", 1)[0], home.id, key, value)
                                   for key, value in seen["records"].items()]
    else:
        records = load_home(store, home)
    fingerprint = {"file": stamp, "home": home_record.hash,
                   "records": {r.key: r.hash for r in records if r.kind != "homes"}}
    return records, fingerprint


def file_stamp(store: Store, home_id: str) -> list[int] | None:
    try:
        st = os.stat(store.home_path(home_id))
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_mtime_ns, st.st_size]


def checklists_used(store: Store, visits: list[dict]) -> dict[tuple[str, int], dict]:
    used: dict[tuple[str, int], dict] = {}
    for visit in visits:
        key = (visit["checklist_id"], visit["checklist_version"])
        if key not in used:
            used[key] = store.checklist_for(visit).raw
    return used
