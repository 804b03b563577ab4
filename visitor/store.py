"""Persistence: one small TinyDB file per job, so an autosave costs the same in year ten as in month one.

Layout of a data folder::

    settings.json          the visitor's profile and configurable rules (deadline, thresholds)
    index.json             homes and each home's dashboard summary
    homes/<home>.json      a home's children, finalised visits, pattern flags and erasure records
    drafts/<home>.json     the one draft visit of a home (the only file an autosave rewrites)
    checklists/            a snapshot of every checklist version a visit has used
    backups/               rolling copies of each file
    reg44.lock             held by the one copy allowed to write

Every file goes through ``storage.AtomicStorage``: atomic, schema-stamped, never overwritten when broken.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tinydb import Query, TinyDB
from tinydb.table import Document

from visitor.locations import private_dir
from visitor.model import Child, Home, ValidationError, Visit, check_visit_date, new_id, parse_date
from visitor.storage import (
    AtomicStorage,
    Backups,
    DataFileError,
    DataLock,
    ReadOnlyError,
    atomic_write,
    parse_tables,
)

DEFAULT_SETTINGS = {
    "profile": {"name": "", "organisation": "", "contact": "", "independence": ""},
    "report_deadline": "end-of-month",
    "protective_marking": "OFFICIAL-SENSITIVE",
    "thresholds": {},
    "theme": "textual-dark",
}


class NotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Store:
    """All reads and writes of one data folder. Writers take the folder's lock on first write."""

    def __init__(self, root: Path | str, *, readonly: bool = False):
        self.root = private_dir(Path(root))
        self.readonly = readonly
        self.backups = Backups(self.root, self.root / "backups")
        self.lock = DataLock(self.root)
        self._cache: dict[Path, tuple[tuple[int, int, int], dict]] = {}
        self._checklists: dict[tuple[str, int], object] = {}

    # -- plumbing -----------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the writer lock now (the app does this at start-up; the CLI on its first write)."""
        if self.readonly:
            raise ReadOnlyError(f"The data in {self.root} is open read-only; nothing was saved.")
        if not self.lock.held:
            self.lock.acquire()
            self._sweep_temp_files()

    def _sweep_temp_files(self) -> None:
        """Remove temp files left by a writer killed mid-save (we hold the lock: no writer is live)."""
        for folder in (self.root, self.root / "homes", self.root / "drafts", self.root / "backups"):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def close(self) -> None:
        self.lock.release()

    def _db(self, path: Path, write: bool) -> TinyDB:
        if write:
            self.acquire()
            private_dir(path.parent)
            self._cache.pop(path, None)
        return TinyDB(path, storage=AtomicStorage, backups=self.backups, readonly=not write)

    def _tables(self, path: Path) -> dict:
        """Parsed content of a data file, cached until the file changes on disk."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        try:
            raw = path.read_bytes()
        except PermissionError:
            raise DataFileError(path, "permission to read the file was denied") from None
        tables = parse_tables(raw, path)
        self._cache[path] = (key, tables)
        return tables

    def _rows(self, path: Path, table: str) -> list[dict]:
        return list(self._tables(path).get(table, {}).values())

    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    def home_path(self, home_id: str) -> Path:
        return self.root / "homes" / f"{home_id}.json"

    def draft_path(self, home_id: str) -> Path:
        return self.root / "drafts" / f"{home_id}.json"

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.json"

    def data_files(self) -> list[Path]:
        files = [self.index_path] if self.index_path.exists() else []
        for folder in ("homes", "drafts"):
            if (self.root / folder).is_dir():
                files += sorted((self.root / folder).glob("*.json"))
        return files

    # -- settings -----------------------------------------------------------------------------------
    def settings(self) -> dict:
        merged = json.loads(json.dumps(DEFAULT_SETTINGS))
        if self.settings_path.exists():
            try:
                stored = json.loads(self.settings_path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise DataFileError(self.settings_path, f"the settings are not valid JSON ({exc})") from None
            if not isinstance(stored, dict):
                raise DataFileError(self.settings_path, "the settings file is not a JSON object")
            for key, value in stored.items():
                if isinstance(merged.get(key), dict) and isinstance(value, dict):
                    merged[key].update(value)
                else:
                    merged[key] = value
        return merged

    def save_settings(self, settings: dict) -> None:
        self.acquire()
        payload = json.dumps(settings, ensure_ascii=False, indent=2).encode("utf-8")
        self.backups.before_write(self.settings_path)
        atomic_write(self.settings_path, payload)

    def profile(self) -> dict:
        return self.settings()["profile"]

    def set_profile(self, **fields: str) -> dict:
        settings = self.settings()
        for key, value in fields.items():
            if key not in DEFAULT_SETTINGS["profile"]:
                raise ValidationError(f"Unknown profile field {key!r}.")
            if value is not None:
                settings["profile"][key] = str(value).replace("\x00", "")[:2000]
        self.save_settings(settings)
        return settings["profile"]

    # -- homes --------------------------------------------------------------------------------------
    def homes(self) -> list[Home]:
        rows = self._rows(self.index_path, "homes")
        return sorted((Home(**_known(Home, r)) for r in rows), key=lambda h: h.name.lower())

    def home(self, home_id: str) -> Home:
        for home in self.homes():
            if home.id == home_id:
                return home
        raise NotFound(f"There is no home with id {home_id!r} (see `reg44 homes`).")

    def add_home(self, home: Home) -> Home:
        home.validate()
        existing = self.homes()
        if any(h.id == home.id for h in existing):
            raise ValidationError(f"A home with id {home.id!r} already exists.")
        if any(h.name.lower() == home.name.lower() for h in existing):
            raise ValidationError(f"A home called {home.name!r} already exists.")
        self._db(self.index_path, True).table("homes").insert(home.to_dict())
        return home

    def update_home(self, home: Home) -> Home:
        home.validate()
        self.home(home.id)
        self._db(self.index_path, True).table("homes").update(home.to_dict(), Query().id == home.id)
        return home

    def summaries(self) -> dict[str, dict]:
        return {r["home_id"]: r for r in self._rows(self.index_path, "summaries")}

    def save_summary(self, home_id: str, summary: dict) -> None:
        row = {**summary, "home_id": home_id}
        self._db(self.index_path, True).table("summaries").upsert(row, Query().home_id == home_id)

    # -- children -----------------------------------------------------------------------------------
    def children(self, home_id: str) -> list[Child]:
        rows = self._rows(self.home_path(home_id), "children")
        return sorted((Child(**_known(Child, r)) for r in rows), key=lambda c: (c.admitted, c.code))

    def child(self, home_id: str, child_id: str) -> Child:
        for child in self.children(home_id):
            if child.id == child_id:
                return child
        raise NotFound(f"There is no child {child_id!r} at {home_id!r}.")

    def add_child(self, home_id: str, child: Child) -> Child:
        self.home(home_id)
        child.home_id = home_id
        if not child.id:
            child.id = new_id("c")
        child.validate()
        for other in self.children(home_id):
            if other.id == child.id:
                raise ValidationError(f"A child with id {child.id!r} already exists.")
            if other.code.lower() == child.code.lower() and not other.left and not child.left:
                raise ValidationError(
                    f"A child with the code {child.code!r} already lives at this home: use a distinct code."
                )
        self._db(self.home_path(home_id), True).table("children").insert(child.to_dict())
        return child

    def update_child(self, child: Child) -> Child:
        child.validate()
        self.child(child.home_id, child.id)
        self._db(self.home_path(child.home_id), True).table("children").update(
            child.to_dict(), Query().id == child.id
        )
        return child

    # -- visits -------------------------------------------------------------------------------------
    def visits(self, home_id: str) -> list[dict]:
        """Finalised visits of a home, oldest first. Treat the dicts as read-only."""
        rows = self._rows(self.home_path(home_id), "visits")
        return sorted(rows, key=lambda v: v["date"])

    def draft(self, home_id: str) -> dict | None:
        rows = self._rows(self.draft_path(home_id), "draft")
        return json.loads(json.dumps(rows[0])) if rows else None

    def has_draft(self, home_id: str) -> bool:
        return self.draft_path(home_id).exists() and bool(self._rows(self.draft_path(home_id), "draft"))

    def visit(self, visit_id: str) -> dict:
        home_id = visit_id.split("@", 1)[0]
        draft = self.draft(home_id) if "@" in visit_id else None
        if draft and draft["id"] == visit_id:
            return draft
        for visit in self.visits(home_id) if "@" in visit_id else []:
            if visit["id"] == visit_id:
                return json.loads(json.dumps(visit))
        raise NotFound(f"There is no visit {visit_id!r} (see `reg44 visits HOME`).")

    def start_visit(self, home_id: str, day: str, *, announced: bool = False,
                    checklist_id: str = "closed-culture") -> dict:
        """Begin a draft. One draft per home: finish or discard the open one first."""
        from visitor import checklist as checklists

        home = self.home(home_id)
        current = self.draft(home_id)
        if current:
            raise ValidationError(
                f"{home.name} already has a draft visit ({current['date']}): resume it, or discard it first."
            )
        visit_day = parse_date(day, "visit date")
        check_visit_date(home, visit_day, {v["date"] for v in self.visits(home_id)})
        checklist = checklists.load_shipped(checklist_id)
        self.snapshot_checklist(checklist)
        visit = Visit(
            id=Visit.make_id(home_id, visit_day.isoformat()), home_id=home_id, date=visit_day.isoformat(),
            announced=announced, visitor=self.profile(), checklist_id=checklist.id,
            checklist_version=checklist.version, created=_now(),
        ).validate()
        visit.conflict["declaration"] = visit.visitor.get("independence", "")
        data = visit.to_dict()
        self.save_draft(data)
        return data

    def save_draft(self, visit: dict) -> None:
        """The autosave path: rewrites only the home's small draft file."""
        if visit.get("status") != "draft":
            raise ValidationError("Only a draft visit can be edited; add an addendum to a final one.")
        db = self._db(self.draft_path(visit["home_id"]), True)
        db.table("draft").upsert(Document(visit, doc_id=1))

    def discard_draft(self, home_id: str) -> None:
        self.acquire()
        path = self.draft_path(home_id)
        if path.exists():
            self.backups.before_write(path)
            path.unlink()
            self._cache.pop(path, None)

    def store_final(self, visit: dict) -> dict:
        """Move a checked draft into the home's history (see ``workflow.finalise``)."""
        visit = Visit.from_dict(visit).to_dict()
        if visit["date"] in {v["date"] for v in self.visits(visit["home_id"])}:
            raise ValidationError(f"There is already a final visit on {visit['date']}.")
        visit["status"] = "final"
        visit["finalised"] = _now()
        visit["cursor"] = {}
        self._db(self.home_path(visit["home_id"]), True).table("visits").insert(visit)
        path = self.draft_path(visit["home_id"])
        if path.exists():
            path.unlink()
            self._cache.pop(path, None)
        return visit

    def import_visits(self, home_id: str, visits: list[dict]) -> None:
        """Add many final visits in one write (bundle load, benchmark data)."""
        if visits:
            self._db(self.home_path(home_id), True).table("visits").insert_multiple(visits)

    def update_final(self, visit: dict, change: str) -> dict:
        """Change a final visit only by appending to its addenda or distribution log."""
        current = self.visit(visit["id"])
        if current["status"] != "final":
            raise ValidationError("This visit is still a draft.")
        for key, value in current.items():
            if key not in ("addenda", "distribution") and visit.get(key) != value:
                raise ValidationError(f"A final visit is read-only ({change} may not change {key!r}).")
        self._db(self.home_path(visit["home_id"]), True).table("visits").update(
            {"addenda": visit["addenda"], "distribution": visit["distribution"]}, Query().id == visit["id"]
        )
        return visit

    # -- pattern flags ------------------------------------------------------------------------------
    def flags(self, home_id: str) -> list[dict]:
        return sorted(self._rows(self.home_path(home_id), "flags"), key=lambda f: (f["raised_on"], f["key"]))

    def save_flags(self, home_id: str, flags: list[dict]) -> None:
        db = self._db(self.home_path(home_id), True)
        table = db.table("flags")
        table.truncate()
        if flags:
            table.insert_multiple(flags)

    # -- erasure ------------------------------------------------------------------------------------
    def erasures(self, home_id: str) -> list[dict]:
        return self._rows(self.home_path(home_id), "erasures")

    def erase_child(self, home_id: str, child_id: str, reason: str) -> dict:
        """Remove a child's identifiers and words from every visit, keep the counts, and record it."""
        if not reason.strip():
            raise ValidationError("Give the reason for erasing the child's details.")
        child = self.child(home_id, child_id)
        db = self._db(self.home_path(home_id), True)
        child.erased = datetime.now().date().isoformat()
        db.table("children").update({**child.to_dict(), "code": "[erased]"}, Query().id == child_id)
        touched = 0
        for doc in db.table("visits").all():
            changed = _erase_from_visit(doc, child_id, child.code)
            if changed:
                db.table("visits").update(doc, doc_ids=[doc.doc_id])
                touched += 1
        draft = self.draft(home_id)
        if draft and _erase_from_visit(draft, child_id, child.code):
            self.save_draft(draft)
            touched += 1
        record = {"child_id": child_id, "on": _now(), "reason": reason.strip()[:2000], "visits": touched}
        db.table("erasures").insert(record)
        return record

    # -- checklists ---------------------------------------------------------------------------------
    def snapshot_checklist(self, checklist) -> None:
        folder = private_dir(self.root / "checklists")
        path = folder / f"{checklist.id}.v{checklist.version}.json"
        if not path.exists():
            self.acquire()
            atomic_write(path, json.dumps(checklist.raw, ensure_ascii=False, indent=1).encode())

    def checklist_for(self, visit: dict):
        """The checklist version a visit started with, so old visits still read correctly.

        Parsed once per store: a version's snapshot is written once and never changed, and this is called
        per visit row and on the walkthrough's refresh after each edit.
        """
        key = (visit["checklist_id"], visit["checklist_version"])
        if key not in self._checklists:
            self._checklists[key] = self._load_checklist(visit)
        return self._checklists[key]

    def _load_checklist(self, visit: dict):
        from visitor import checklist as checklists  # deferred: not needed to draw the dashboard

        path = self.root / "checklists" / f"{visit['checklist_id']}.v{visit['checklist_version']}.json"
        if path.exists():
            return checklists.load_file(path)
        shipped = checklists.load_shipped(visit["checklist_id"])
        if shipped.version != visit["checklist_version"]:
            raise checklists.ChecklistError(
                f"Visit {visit['id']} used {visit['checklist_id']} version {visit['checklist_version']}, "
                f"which is not in {path.parent}."
            )
        return shipped

    # -- restore ------------------------------------------------------------------------------------
    def quick_check(self) -> list[DataFileError]:
        """Files that are plainly broken (empty, truncated, not JSON) from their first and last bytes only.

        Cheap enough for start-up; ``broken_files`` parses everything (``reg44 check``, restore).
        """
        problems = []
        for path in self.data_files():
            try:
                with open(path, "rb") as handle:
                    head = handle.read(1)
                    handle.seek(max(path.stat().st_size - 64, 0))
                    tail = handle.read().rstrip()
            except OSError as exc:
                problems.append(DataFileError(path, f"cannot be read ({exc.strerror})"))
                continue
            if head != b"{" or not tail.endswith(b"}"):
                problems.append(DataFileError(path, "the file is empty, truncated or not JSON"))
        return problems

    def broken_files(self) -> list[DataFileError]:
        problems = []
        for path in self.data_files():
            try:
                parse_tables(path.read_bytes(), path)
            except DataFileError as exc:
                problems.append(exc)
            except OSError as exc:
                problems.append(DataFileError(path, f"cannot be read ({exc.strerror})"))
        return problems

    def restore(self, path: Path) -> Path:
        self.acquire()
        used = self.backups.restore(Path(path))
        self._cache.pop(Path(path), None)
        return used


def _erase_from_visit(visit: dict, child_id: str, code: str) -> bool:
    """Blank the child's own words and notes, and their code wherever the visitor wrote it as a word."""
    import re

    changed = False
    pattern = re.compile(rf"(?<![\w]){re.escape(code)}(?![\w])") if code and code != "[erased]" else None

    def scrub(node):
        nonlocal changed
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in ("id", "home_id", "date", "checklist_id", "visit_id"):
                    node[key] = scrub(value)
        elif isinstance(node, list):
            return [scrub(v) for v in node]
        elif isinstance(node, str) and pattern is not None and node not in ("yes", "no", "not known") \
                and pattern.search(node):
            changed = True
            return pattern.sub("[erased]", node)
        return node

    scrub(visit)
    answers = visit.get("child_answers", {}).get(child_id)
    if answers:
        for key in list(answers):
            if isinstance(answers[key], str) and answers[key] not in ("yes", "no", "not known"):
                answers[key] = "[erased]"
                changed = True
    for key in list(visit.get("notes", {})):
        if key.endswith(f":{child_id}"):
            visit["notes"][key] = "[erased]"
            changed = True
    return changed


def _known(cls, row: dict) -> dict:
    names = cls.__dataclass_fields__
    return {k: v for k, v in row.items() if k in names}


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()

