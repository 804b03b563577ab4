"""Persistence: one small TinyDB file per job, so an autosave costs the same in year ten as in month one.

Layout of a data folder::

    settings.json          the visitor's profile and configurable rules (deadline, thresholds)
    index.json             homes and each home's dashboard summary
    homes/<home>.json      a home's children, finalised visits, pattern flags and erasure records
    outlines/<home>.json   what the home's summary needs, tied to its home file's content (derived data)
    drafts/<home>.json     the one draft visit of a home (the only file an autosave rewrites)
    checklists/            a snapshot of every checklist version a visit has used
    backups/               rolling copies of each file
    reg44.lock             held by the one copy allowed to write

Every file goes through ``storage.AtomicStorage``: atomic, schema-stamped, never overwritten when broken.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from tinydb import Query, TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from visitor.model import Child, Home, ValidationError, Visit, check_visit_date, new_id, parse_date
from visitor.storage import codec, journal, outline, records
from visitor.storage.files import (
    NOFOLLOW,
    DataFileError,
    DataLock,
    ReadOnlyError,
    SchemaTooNewError,
    dump_tables,
    fsync_dir,
    parse_json,
    parse_tables,
    read_file,
    refuse_special,
    atomic_write,
    write_new,
)
from visitor.storage.paths import inner_dir, inside, no_linked_folders, private_dir, readable_by_others
from visitor.storage.snapshots import Snapshots, check_file, data_files

DEFAULT_SETTINGS = {
    "profile": {"name": "", "organisation": "", "contact": "", "independence": ""},
    "report_deadline": "end-of-month",
    "protective_marking": "OFFICIAL-SENSITIVE",
    "thresholds": {},
    "theme": "textual-dark",
}
# Folders where atomic writes leave a temp file beside their target if killed (the root is swept too).
TEMP_FOLDERS = ("homes", "drafts", "checklists", ".hub", outline.FOLDER)
DATA_FOLDERS = (*TEMP_FOLDERS, journal.FOLDER, "backups", "aside")
CACHED_FILES = 8  # parsed files kept in memory: enough for a screen's work, never the whole folder
REREAD_FILES = 2  # spilled home files kept parsed inside a transaction: the one being refreshed, one peer


class NotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class HomeOutline:
    """What a home's dashboard summary is worked out from (see ``storage.outline``). Treat as read-only."""

    children: list[Child]
    flags: list[dict]
    visits: list[dict]  # oldest first, each with ``outline.HEAD_FIELDS`` only
    latest: dict | None  # the newest final visit, whole


class _Pending(Storage):
    """TinyDB storage over a transaction's in-memory tables: TinyDB edits them, the commit writes them."""

    def __init__(self, tables: dict):
        self.tables = tables

    def read(self) -> dict:
        return self.tables

    def write(self, data: dict) -> None:
        if data is not self.tables:
            self.tables.clear()
            self.tables.update(data)


class _Transaction:
    """What one operation has changed so far: parsed tables, raw files (settings, checklists), deletions."""

    def __init__(self, snapshot: bool):
        self.snapshot = snapshot
        self.tables: dict[Path, dict | None] = {}
        self.raw: dict[Path, bytes | None] = {}
        self.staging: journal.Staging | None = None
        self.spilled: set[Path] = set()
        # spilled files read again, parsed once: a load reads each home several times while refreshing it
        self.reread: OrderedDict[Path, dict] = OrderedDict()
        self.shallow: set[Path] = set()  # copied one level deep: rows are shared, so only replaced whole

    @property
    def empty(self) -> bool:
        return not (self.tables or self.raw or self.spilled)


def no_code_clash(child: Child, children: list[Child]) -> None:
    """Two children living at a home never share a code however it is spelled ("AB", "A.B.", "a b"): a report
    tells children apart, and redacts other authorities' children, by the code's letters alone."""
    from visitor.matching import code_key

    if child.left or child.erased:
        return
    for other in children:
        if other.id != child.id and not (other.left or other.erased) and code_key(other.code) == code_key(child.code):
            raise ValidationError(f"A child with the code {other.code!r} already lives at this home: use a code "
                                  f"distinct from it (not {child.code!r}).")


def _not_nested(root: Path) -> None:
    """Refuse a data folder inside one of another's own folders (homes, .journal, backups…), or holding one in
    a folder of its own: each would write where the other keeps its files (a journal sweeps what it did not
    stage; a home file could be the other's index). A folder beside another's files (DATA/demo) is fine."""
    resolved = root.expanduser().resolve()
    for parent in resolved.parents:
        if (parent / DataLock.NAME).is_file() and resolved.relative_to(parent).parts[0] in DATA_FOLDERS:
            raise ValidationError(f"{root} is inside the data folder {parent}: choose a folder outside it.")
    for folder in DATA_FOLDERS:
        if (resolved / folder / DataLock.NAME).is_file():
            raise ValidationError(f"{root} holds another data folder in {resolved / folder}: choose another folder.")


class Store:
    """All reads and writes of one data folder. Writers take the folder's lock on first write.

    Every user operation commits once: its writes join a transaction (``with store.transaction():``;
    a lone write is its own transaction) and reach the disk together through ``storage.journal`` — or
    not at all. Reads inside a transaction see its own changes.
    """

    def __init__(self, root: Path | str, *, readonly: bool = False):
        _not_nested(Path(root))
        self.root = private_dir(Path(root))
        for folder in DATA_FOLDERS:  # writes check this each time; a planted link must not redirect reads either
            no_linked_folders(self.root, self.root / folder)
        self.readonly = readonly
        self.lock = DataLock(self.root)
        self.snapshots = Snapshots(self.root)
        self.repaired: list[str] = []
        self._cache: OrderedDict[Path, tuple[tuple[int, int, int], dict]] = OrderedDict()
        self._checklists: dict[tuple[str, int], object] = {}
        self._tx: _Transaction | None = None
        self._snapshot_checked = float("-inf")
        if not readonly and journal.pending(self.root):
            try:  # an interrupted change is finished (or undone) before anything reads the folder
                self.acquire()
            except Exception:  # noqa: BLE001 - another copy holds the lock and will repair it
                pass

    @property
    def exposed(self) -> bool:
        """True when other users can read the data folder (its mode was set before reg44 made it)."""
        return readable_by_others(self.root)

    # -- plumbing -----------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the writer lock now (the app does this at start-up; the CLI on its first write)."""
        if self.readonly:
            raise ReadOnlyError(f"The data in {self.root} is open read-only; nothing was saved.")
        if not self.lock.held:
            self.lock.acquire()
            self._sweep_temp_files()
            self.repaired += journal.repair(self.root)
            self._cache.clear()

    def _sweep_temp_files(self) -> None:
        """Remove temp files left by a writer killed mid-save (we hold the lock: no writer is live).

        Only the folders where files are replaced through a temp file are looked at — never the backup
        and aside trees, which grow with every snapshot and would make each start-up walk them.
        """
        for folder in (self.root, *(self.root / name for name in TEMP_FOLDERS)):
            if folder.is_dir() and not folder.is_symlink():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def close(self) -> None:
        self.lock.release()

    @contextmanager
    def transaction(self, *, snapshot: bool = True) -> Iterator[None]:
        """Join every write inside the block into one atomic commit; an exception discards them all.

        Nested blocks join the outermost one. ``snapshot=False`` skips the backup taken before a commit
        (erasure must not leave a fresh copy of what it erases).
        """
        if self._tx is not None:
            yield
            return
        self.acquire()
        if journal.pending(self.root):  # a commit whose moves failed earlier is finished before the next
            self.repaired += journal.repair(self.root)
            self._cache.clear()
        tx = _Transaction(snapshot)
        self._tx = tx
        try:
            yield
        except BaseException:
            self._tx = None
            if tx.staging is not None:
                tx.staging.abandon()
            raise
        self._tx = None
        self._commit(tx)

    def _commit(self, tx: _Transaction) -> None:
        if tx.empty:
            return
        if tx.snapshot:
            self._snapshot_if_due()
        payloads: dict[Path, bytes | None] = dict(tx.raw)
        for path, tables in tx.tables.items():
            payloads[path] = None if tables is None else dump_tables(tables)
        payloads.update(self._outlines_of(payloads, tx))
        try:
            if tx.staging is None and len(payloads) == 1:
                ((path, data),) = payloads.items()
                if data is None:
                    no_linked_folders(self.root, path.parent)
                    refuse_special(path)
                    path.unlink(missing_ok=True)
                    fsync_dir(path.parent)
                else:
                    inner_dir(self.root, path.parent)
                    atomic_write(path, data)
            else:
                staging = tx.staging or journal.Staging(self.root)
                tx.staging = staging
                for path, data in payloads.items():
                    staging.stage(path, data)
                staging.commit()
        except BaseException:
            if tx.staging is not None:
                tx.staging.abandon()
            for path in list(payloads) + list(tx.spilled):
                self._cache.pop(path, None)
            raise
        for path in list(payloads) + list(tx.spilled):
            self._cache.pop(path, None)
        for path, tables in tx.tables.items():
            if tables is not None:
                self._remember(path, tables)

    def _outlines_of(self, payloads: dict[Path, bytes | None], tx: _Transaction) -> dict[Path, bytes | None]:
        """The outline of every home file the commit writes, to commit with it (removed with it)."""
        found: dict[Path, bytes | None] = {}
        for path, data in payloads.items():
            if path.parent != self.root / "homes" or path.suffix != ".json":
                continue
            target = self.root / outline.FOLDER / path.name
            tables = tx.tables.get(path)
            if data is not None and tables is None:  # raw bytes (a restore): good copies, but checked again
                try:
                    tables = parse_tables(data, path)
                except DataFileError:
                    data = None
            found[target] = None if data is None or tables is None else outline.outline_bytes(tables, data)
        return found

    def _snapshot_if_due(self) -> None:
        now = time.monotonic()
        if now - self._snapshot_checked < 60:
            return
        self._snapshot_checked = now
        if self.snapshots.due():
            self.snapshots.take()

    def _remember(self, path: Path, tables: dict) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        self._cache[path] = ((st.st_ino, st.st_mtime_ns, st.st_size), tables)
        self._cache.move_to_end(path)
        while len(self._cache) > CACHED_FILES:
            self._cache.popitem(last=False)

    def _tables(self, path: Path) -> dict:
        """Parsed, validated content of a data file (a transaction's own changes first), cached by stat."""
        parsed = self._parsed(path)
        if parsed is not None:
            return parsed
        raw = read_file(path)
        if raw is None:
            return {}
        tables = parse_tables(raw, path)
        records.validate_file(self._kind(path), tables, path)
        self._remember(path, tables)
        return tables

    def _parsed(self, path: Path) -> dict | None:
        """A file's tables if they are at hand without reading it (the transaction's, the cache's, none: {})."""
        tx = self._tx
        if tx is not None:
            if path in tx.tables:
                return tx.tables[path] or {}
            if path in tx.spilled and tx.staging is not None:
                return self._reread(tx, path)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return {}
        cached = self._cache.get(path)
        if cached and cached[0] == (st.st_ino, st.st_mtime_ns, st.st_size):
            self._cache.move_to_end(path)
            return cached[1]
        return None

    @staticmethod
    def _parse_staged(tx: _Transaction, path: Path) -> dict:
        assert tx.staging is not None
        return parse_tables(tx.staging.staged_bytes(path) or b"{}", path)

    @staticmethod
    def _reread(tx: _Transaction, path: Path) -> dict:
        """A spilled file's tables, parsed from its staged bytes once while it stays among the last read.

        Readers get the same tables until the file is edited again, which then takes them over as its own
        copy (as it would take over the tables it had before spilling them); ``spill`` forgets them."""
        tables = tx.reread.get(path)
        if tables is None:
            tables = tx.reread[path] = Store._parse_staged(tx, path)
            while len(tx.reread) > REREAD_FILES:
                tx.reread.popitem(last=False)
        tx.reread.move_to_end(path)
        return tables

    def _kind(self, path: Path) -> str:
        if path == self.index_path:
            return "index"
        if path == self.peers_path:
            return "peers"
        return "draft" if path.parent.name == "drafts" else "home"

    def _edit(self, path: Path) -> dict:
        """The transaction's own copy of a file's tables, made on its first write."""
        tx = self._tx
        assert tx is not None, "writes happen inside a transaction"
        if path in tx.shallow:  # TinyDB edits rows in place: rows shared with the cache must be copied now
            tx.tables[path] = codec.copy(tx.tables[path])
            tx.shallow.discard(path)
        if path not in tx.tables:
            if path in tx.spilled and tx.staging is not None:
                tables = tx.reread.pop(path, None) or self._parse_staged(tx, path)
                tx.spilled.discard(path)
            else:
                tables = codec.copy(self._tables(path))
            tx.tables[path] = tables
        current = tx.tables[path]
        if current is None:
            current = tx.tables[path] = {}
        return current

    def _put_row(self, path: Path, table: str, key: str, row: dict) -> None:
        """Insert or replace the row whose ``key`` matches, copying only the file's top two levels.

        For the index and peers files, which grow with the number of homes and change one row at a time:
        a deep copy of the whole file per operation would make each finalise cost more at 200 homes.
        """
        tx = self._tx
        assert tx is not None, "writes happen inside a transaction"
        if path not in tx.tables:
            tx.tables[path] = {name: dict(rows) for name, rows in self._tables(path).items()}
            tx.shallow.add(path)
        tables = tx.tables[path]
        if tables is None:
            tables = tx.tables[path] = {}
        rows = tables.setdefault(table, {})
        doc_id = next((i for i, r in rows.items() if r.get(key) == row[key]), None)
        if doc_id is None:
            doc_id = str(max((int(i) for i in rows if str(i).isdigit()), default=0) + 1)
        rows[doc_id] = row

    def _table(self, path: Path, name: str) -> Table:
        return TinyDB(self._edit(path), storage=_Pending).table(name)

    def _delete(self, path: Path) -> None:
        assert self._tx is not None
        self._tx.tables[path] = None
        self._tx.spilled.discard(path)
        self._tx.reread.pop(path, None)
        self._tx.shallow.discard(path)

    def _write_raw(self, path: Path, data: bytes | None) -> None:
        assert self._tx is not None
        self._tx.raw[path] = data

    def spill(self, home_id: str) -> None:
        """Inside a large transaction (a bundle load), stage a finished home file now to free its memory."""
        written = self.home_file(home_id)
        if written is not None:
            self.stage_home_file(home_id, *written)

    def home_file(self, home_id: str) -> tuple[bytes, bytes] | None:
        """The bytes of the transaction's own copy of a home file and of its outline (None: not changed)."""
        tx = self._tx
        tables = tx.tables.get(self.home_path(home_id)) if tx is not None else None
        if not tables:
            return None
        data = dump_tables(tables)
        return data, outline.outline_bytes(tables, data)

    def release_home_file(self, home_id: str) -> None:
        """Forget the transaction's copy of a home file whose bytes ``home_file`` gave: a forked worker hands
        them back to the parent to stage, and would otherwise keep every home it refreshed in memory."""
        tx = self._tx
        if tx is not None:
            path = self.home_path(home_id)
            tx.tables.pop(path, None)
            tx.shallow.discard(path)
            tx.reread.pop(path, None)

    def stage_home_file(self, home_id: str, data: bytes, outline_data: bytes) -> None:
        """Stage a home file (and its outline) as ``home_file`` gave them, here or in a forked worker that
        worked on a copy of this transaction; later reads in the transaction read them."""
        tx = self._tx
        assert tx is not None, "writes happen inside a transaction"
        path = self.home_path(home_id)
        tx.staging = tx.staging or journal.Staging(self.root)
        tx.staging.stage(path, data, sync=False)  # a load stages most homes twice: synced once, at the commit
        tx.staging.stage(self.outline_path(home_id), outline_data, sync=False)
        self.release_home_file(home_id)
        tx.spilled.add(path)

    def _rows(self, path: Path, table: str) -> list[dict]:
        return list(self._tables(path).get(table, {}).values())

    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    @property
    def peers_path(self) -> Path:
        return self.root / "peers.json"

    def home_path(self, home_id: str) -> Path:
        return inside(self.root / "homes", home_id, "home id", ".json")

    def outline_path(self, home_id: str) -> Path:
        return inside(self.root / outline.FOLDER, home_id, "home id", ".json")

    def draft_path(self, home_id: str) -> Path:
        return inside(self.root / "drafts", home_id, "home id", ".json")

    def outside(self, path: str | os.PathLike, what: str = "Reports and bundles") -> Path:
        """``path`` resolved (links followed), refused if it is the data folder or in it: reg44 writes only its own
        files there, through the journal (a report or bundle could replace a data file, be swept from
        ``.journal`` at the next start, or lie beyond erasure)."""
        resolved = Path(path).expanduser().resolve()
        if resolved.is_relative_to(self.root.resolve()):
            raise ValidationError(f"{what} are not written inside the data folder ({self.root}): "
                                  "choose a place outside it.")
        return resolved

    def export_folder(self, out_dir: str | os.PathLike) -> Path:
        """The folder reports are written to (outside the data folder), made owner-only if missing."""
        return private_dir(self.outside(out_dir, "Reports"))

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.json"

    def data_files(self) -> list[Path]:
        """Every data file of every kind (index, homes, drafts, settings, checklists)."""
        return [self.root.joinpath(*rel.split("/")) for rel in data_files(self.root)]

    # -- settings -----------------------------------------------------------------------------------
    def settings(self) -> dict:
        merged = codec.copy(DEFAULT_SETTINGS)
        stored = self._settings_file()
        for key, value in stored.items():
            if isinstance(merged.get(key), dict) and isinstance(value, dict):
                merged[key].update(value)
            else:
                merged[key] = value
        return merged

    def _settings_file(self) -> dict:
        path = self.settings_path
        if self._tx is not None and path in self._tx.raw:
            raw = self._tx.raw[path]
        else:
            raw = read_file(path)
        if raw is None:
            return {}
        stored = parse_json(raw, path)
        problem = records.settings_problem(stored)
        if problem:
            raise DataFileError(path, f"the settings are not valid ({problem})",
                                "Correct the file (see docs/TRENDS.md and the README); nothing was changed.")
        assert isinstance(stored, dict)
        return stored

    def save_settings(self, settings: dict) -> None:
        problem = records.settings_problem(settings)
        if problem:
            raise ValidationError(f"The settings are not valid ({problem}).")
        with self.transaction():
            self._write_raw(self.settings_path, json.dumps(settings, ensure_ascii=False, indent=2).encode("utf-8"))

    def profile(self) -> dict:
        return self.settings()["profile"]

    def set_profile(self, **fields: str) -> dict:
        from visitor.model import clean_name, clean_text

        settings = self.settings()
        for key, value in fields.items():
            if key not in DEFAULT_SETTINGS["profile"]:
                raise ValidationError(f"Unknown profile field {key!r}.")
            if value is not None and key in ("name", "organisation"):  # shown on one line: no control characters
                settings["profile"][key] = clean_name(value, f"profile {key}", limit=2000)
            elif value is not None:
                settings["profile"][key] = clean_text(value, f"profile {key}", limit=2000)
        self.save_settings(settings)
        return settings["profile"]

    # -- homes --------------------------------------------------------------------------------------
    def homes(self) -> list[Home]:
        rows = self._rows(self.index_path, "homes")
        return sorted((Home(**_known(Home, r)) for r in rows), key=lambda h: h.name.lower())

    def home(self, home_id: str) -> Home:
        for row in self._tables(self.index_path).get("homes", {}).values():  # one Home made, not every home's
            if row.get("id") == home_id:
                return Home(**_known(Home, row))
        raise NotFound(f"There is no home with id {_shown(home_id)} (see `reg44 homes`).")

    def add_home(self, home: Home) -> Home:
        home.validate()
        existing = self.homes()
        if any(h.id == home.id for h in existing):
            raise ValidationError(f"A home with id {home.id!r} already exists.")
        if any(h.name.lower() == home.name.lower() for h in existing):
            raise ValidationError(f"A home called {home.name!r} already exists.")
        self.home_path(home.id)  # the id must be safe as a file name before anything is written
        with self.transaction():
            self._table(self.index_path, "homes").insert(home.to_dict())
        return home

    def update_home(self, home: Home) -> Home:
        home.validate()
        self.home(home.id)
        with self.transaction():
            self._table(self.index_path, "homes").update(home.to_dict(), Query().id == home.id)
        return home

    def summaries(self) -> dict[str, dict]:
        return {r["home_id"]: r for r in self._rows(self.index_path, "summaries")}

    def save_summary(self, home_id: str, summary: dict) -> None:
        row = codec.copy({**summary, "home_id": home_id})
        with self.transaction():
            self._put_row(self.index_path, "summaries", "home_id", row)

    def peer_rows(self) -> dict[str, dict]:
        """Each home's event totals for pooling as peers, so one refresh never reads every other home."""
        return {r["home_id"]: r for r in self._rows(self.peers_path, "peers")}

    def save_peer_row(self, home_id: str, row: dict) -> None:
        with self.transaction():
            self._put_row(self.peers_path, "peers", "home_id", codec.copy({**row, "home_id": home_id}))

    def outline(self, home_id: str) -> HomeOutline:
        """What the home's summary needs, without parsing its visits when its outline matches its file.

        The home file is still read (its hash ties the outline to it) but not parsed; a missing or stale
        outline falls back to the home file itself, and a writer puts the outline right in its commit.
        """
        path = self.home_path(home_id)
        tables = self._parsed(path)
        if tables is not None:
            tables = outline.outline_tables(tables)
        else:
            raw = read_file(path) or b""
            target = self.outline_path(home_id)
            try:
                stored = read_file(target)
            except DataFileError:
                stored = None
            tables = outline.matching(stored, raw, target)
            if tables is None:
                home = self._tables(path)
                tables = outline.outline_tables(home)
                if self._tx is not None and home:
                    self._write_raw(target, outline.outline_bytes(home, raw))
        visits = sorted(tables.get("heads", {}).values(), key=lambda v: v["date"])
        return HomeOutline(
            children=sorted((Child(**_known(Child, r)) for r in tables.get("children", {}).values()),
                            key=lambda c: (c.admitted, c.code)),
            flags=sorted(tables.get("flags", {}).values(), key=lambda f: (f["raised_on"], f["key"])),
            visits=visits, latest=next(iter(tables.get("latest", {}).values()), None))

    def rebuild_outline(self, home_id: str) -> bool:
        """Write the home's outline afresh from its parsed file if it differs (``reg44 check --repair``)."""
        path, target = self.home_path(home_id), self.outline_path(home_id)
        with self.transaction():
            tx = self._tx
            assert tx is not None
            if path in tx.tables or path in tx.spilled or path in tx.raw:
                return False  # written by this commit: its outline is written with it
            raw = read_file(path)
            fresh = None if raw is None else outline.outline_bytes(self._tables(path), raw)
            try:
                stored = read_file(target)
            except DataFileError:
                stored = b""
            if stored != fresh:
                self._write_raw(target, fresh)
                return True
        return False

    # -- children -----------------------------------------------------------------------------------
    def children(self, home_id: str) -> list[Child]:
        rows = self._rows(self.home_path(home_id), "children")
        return sorted((Child(**_known(Child, r)) for r in rows), key=lambda c: (c.admitted, c.code))

    def child(self, home_id: str, child_id: str) -> Child:
        for child in self.children(home_id):
            if child.id == child_id:
                return child
        raise NotFound(f"There is no child {_shown(child_id)} at {_shown(home_id)}.")

    def add_child(self, home_id: str, child: Child) -> Child:
        self.home(home_id)
        child.home_id = home_id
        if not child.id:
            child.id = new_id("c")
        child.validate()
        children = self.children(home_id)
        if any(other.id == child.id for other in children):
            raise ValidationError(f"A child with id {child.id!r} already exists.")
        no_code_clash(child, children)
        with self.transaction():
            self._table(self.home_path(home_id), "children").insert(child.to_dict())
        return child

    def update_child(self, child: Child) -> Child:
        child.validate()
        self.child(child.home_id, child.id)
        no_code_clash(child, self.children(child.home_id))
        with self.transaction():
            self._table(self.home_path(child.home_id), "children").update(child.to_dict(), Query().id == child.id)
        return child

    # -- visits -------------------------------------------------------------------------------------
    def visits(self, home_id: str) -> list[dict]:
        """Finalised visits of a home, oldest first. Treat the dicts as read-only."""
        rows = self._rows(self.home_path(home_id), "visits")
        return sorted(rows, key=lambda v: v["date"])

    def draft(self, home_id: str) -> dict | None:
        rows = self._rows(self.draft_path(home_id), "draft")
        return codec.copy(rows[0]) if rows else None

    def draft_names(self) -> set[str]:
        """The names in the drafts folder: a home whose draft file is not there has no draft, without a
        look at its own path (the dashboard asks for every home)."""
        try:
            return set(os.listdir(self.root / "drafts"))
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def has_draft(self, home_id: str) -> bool:
        return bool(self._rows(self.draft_path(home_id), "draft"))

    def visit(self, visit_id: str) -> dict:
        home_id = visit_id.split("@", 1)[0] if isinstance(visit_id, str) else ""
        if "@" not in str(visit_id):
            raise NotFound(f"There is no visit {_shown(visit_id)} (visit ids look like home-id@YYYY-MM-DD; "
                           "see `reg44 visits HOME`).")
        draft = self.draft(home_id)
        if draft and draft["id"] == visit_id:
            return draft
        for visit in self.visits(home_id):
            if visit["id"] == visit_id:
                return codec.copy(visit)
        raise NotFound(f"There is no visit {_shown(visit_id)} (see `reg44 visits HOME`).")

    def start_visit(self, home_id: str, day: str, *, announced: bool = False,
                    checklist_id: str = "closed-culture", backfill: bool = False) -> dict:
        """Begin a draft. One draft per home: finish or discard the open one first."""
        from visitor import checklist as checklists

        home = self.home(home_id)
        current = self.draft(home_id)
        if current:
            raise ValidationError(
                f"{home.name} already has a draft visit ({current['date']}): resume it, or discard it first."
            )
        visit_day = parse_date(day, "visit date")
        check_visit_date(home, visit_day, {v["date"] for v in self.visits(home_id)}, backfill=backfill)
        checklist = checklists.load_shipped(checklist_id)
        visit = Visit(
            id=Visit.make_id(home_id, visit_day.isoformat()), home_id=home_id, date=visit_day.isoformat(),
            announced=announced, visitor=self.profile(), checklist_id=checklist.id,
            checklist_version=checklist.version, created=_now(),
        ).validate()
        visit.conflict["declaration"] = visit.visitor.get("independence", "")
        data = visit.to_dict()
        with self.transaction():
            self.snapshot_checklist(checklist)
            self.save_draft(data)
        return data

    def save_draft(self, visit: dict) -> None:
        """The autosave path: rewrites only the home's small draft file."""
        if visit.get("status") != "draft":
            raise ValidationError("Only a draft visit can be edited; add an addendum to a final one.")
        problem = records.visit_problem(visit)
        if problem:
            raise ValidationError(f"The draft cannot be saved: it {problem}.")
        with self.transaction():
            self._table(self.draft_path(visit["home_id"]), "draft").upsert(Document(visit, doc_id=1))

    def discard_draft(self, home_id: str) -> None:
        """Remove the home's draft (the newest snapshot keeps it, should the visitor change their mind)."""
        with self.transaction():
            self._delete(self.draft_path(home_id))

    def store_final(self, visit: dict) -> dict:
        """Move a checked draft into the home's history (see ``workflow.finalise``), in one commit."""
        visit = Visit.from_dict(visit).to_dict()
        if visit["date"] in {v["date"] for v in self.visits(visit["home_id"])}:
            raise ValidationError(f"There is already a final visit on {visit['date']}.")
        visit["status"] = "final"
        visit["finalised"] = visit.get("finalised") or _now()
        visit["cursor"] = {}
        with self.transaction():
            self._table(self.home_path(visit["home_id"]), "visits").insert(visit)
            self._delete(self.draft_path(visit["home_id"]))
        return visit

    def import_children(self, home_id: str, children: list[Child]) -> None:
        """Add many children checked by the caller against the home's own (bundle load), in one write."""
        for child in children:
            child.home_id = home_id
            child.validate()
        if children:
            with self.transaction():
                self._table(self.home_path(home_id), "children").insert_multiple(c.to_dict() for c in children)

    def import_visits(self, home_id: str, visits: list[dict]) -> None:
        """Add many final visits in one write (bundle load, benchmark data)."""
        if visits:
            with self.transaction():
                self._table(self.home_path(home_id), "visits").insert_multiple(visits)

    def update_final(self, visit: dict, change: str) -> dict:
        """Change a final visit only by appending to its addenda or distribution log."""
        current = self.visit(visit["id"])
        if current["status"] != "final":
            raise ValidationError("This visit is still a draft.")
        for key, value in current.items():
            if key not in records.APPENDABLE and visit.get(key) != value:
                raise ValidationError(f"A final visit is read-only ({change} may not change {key!r}).")
        changes = {key: visit[key] for key in records.APPENDABLE if key in visit}
        with self.transaction():
            self._table(self.home_path(visit["home_id"]), "visits").update(changes, Query().id == visit["id"])
        return visit

    def replace_final(self, visit: dict) -> dict:
        """Put another copy of a final visit in place of this folder's, whole: only for a visit made on two
        laptops when the visitor chose the other's (``reg44 hub resolve ... --keep hub``). The caller has
        checked the copy as every stored visit is checked."""
        current = self.visit(visit["id"])
        if current["status"] != "final" or visit.get("status") != "final":
            raise ValidationError("Only a final visit can take the place of a final visit.")
        with self.transaction():
            rows = self._edit(self.home_path(visit["home_id"])).setdefault("visits", {})
            doc_id = next(i for i, row in rows.items() if row.get("id") == visit["id"])
            rows[doc_id] = codec.copy(visit)
        return visit

    # -- pattern flags ------------------------------------------------------------------------------
    def flags(self, home_id: str) -> list[dict]:
        return sorted(self._rows(self.home_path(home_id), "flags"), key=lambda f: (f["raised_on"], f["key"]))

    def save_flags(self, home_id: str, flags: list[dict]) -> None:
        """Replace the home's flags: truncate and insert commit together, so a failure keeps the old set."""
        with self.transaction():
            table = self._table(self.home_path(home_id), "flags")
            table.truncate()
            if flags:
                table.insert_multiple(flags)

    # -- erasure ------------------------------------------------------------------------------------
    def erasures(self, home_id: str) -> list[dict]:
        return self._rows(self.home_path(home_id), "erasures")

    def import_erasures(self, home_id: str, erasures: list[dict]) -> None:
        """Keep erasure records brought by a bundle (what was erased elsewhere, and why)."""
        if erasures:
            with self.transaction():
                self._table(self.home_path(home_id), "erasures").insert_multiple(erasures)

    def erase_child(self, home_id: str, child_id: str, reason: str) -> dict:
        """Remove a child's identifiers and words everywhere the folder holds them, in one commit.

        The live home file and draft, every snapshot and every aside copy are scrubbed together (no
        snapshot is taken first: it would keep what is being erased). The counts are kept. Running it
        again is harmless: a crash leaves everything as before, so a re-run finds the child as before.
        """
        from visitor.model import clean_text

        reason = clean_text(reason, "reason for erasing the child's details", required=True, limit=2000).strip()
        child = self.child(home_id, child_id)
        code = child.code if not child.erased else ""
        scrubbed = {"visits": 0, "copies": 0}
        with self.transaction(snapshot=False):
            tables = self._edit(self.home_path(home_id))
            touched = erase_in_home_tables(tables, child_id, code)
            scrubbed["visits"] = touched
            draft = self.draft(home_id)
            if draft and erase_from_visit(draft, child_id, code):
                self._table(self.draft_path(home_id), "draft").upsert(Document(draft, doc_id=1))
                scrubbed["visits"] += 1
            for path in self._copies_of(home_id):
                raw = read_file(path)
                if raw is None:
                    continue
                try:
                    copy = parse_tables(raw, path)
                except DataFileError:
                    copy = None
                if copy is None:  # a broken copy cannot be scrubbed, so it goes
                    self._write_raw(path, None)
                    scrubbed["copies"] += 1
                    continue
                changed = erase_in_home_tables(copy, child_id, code)
                for row in copy.get("draft", {}).values():
                    changed += erase_from_visit(row, child_id, code)
                if changed:
                    self._write_raw(path, dump_tables(copy))
                    scrubbed["copies"] += 1
            record = {"child_id": child_id, "on": _now(), "reason": reason, **scrubbed}
            self._table(self.home_path(home_id), "erasures").insert(record)
        return record

    def _copies_of(self, home_id: str) -> list[Path]:
        """Every copy of the home's files kept in snapshots and aside folders."""
        found = []
        for base in (self.root / "backups", self.root / "aside"):
            if base.is_dir():
                for folder in ("homes", "drafts"):
                    found += [p for p in base.glob(f"*/{folder}/{home_id}.json") if not p.is_symlink()]
        return sorted(found)

    # -- checklists ---------------------------------------------------------------------------------
    def checklist_path(self, checklist_id: str, version: int) -> Path:
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValidationError(f"The checklist version {version!r} must be a whole number from 1.")
        return inside(self.root / "checklists", f"{checklist_id}.v{version}", "checklist id", ".json")

    def snapshot_checklist(self, checklist) -> None:
        path = self.checklist_path(checklist.id, checklist.version)
        if not path.exists():
            with self.transaction():
                self._write_raw(path, json.dumps(checklist.raw, ensure_ascii=False, indent=1).encode())

    def checklist_for(self, visit: dict):
        """The checklist version a visit started with, so old visits still read correctly.

        Parsed once per store: a version's snapshot is written once and never changed, and this is called
        per visit row and on the walkthrough's refresh after each edit.
        """
        found = self.checklist_version(visit["checklist_id"], visit["checklist_version"])
        if found is None:
            from visitor import checklist as checklists

            checklists.load_shipped(visit["checklist_id"])  # no checklist of that name at all: says so
            raise checklists.ChecklistError(
                f"Visit {visit['id']} used {visit['checklist_id']} version {visit['checklist_version']}, "
                f"which is not in {self.checklist_path(visit['checklist_id'], visit['checklist_version']).parent}."
            )
        return found

    def checklist_version(self, checklist_id: str, version: int):
        """This folder's snapshot of a checklist version (one being written in this transaction included), else
        the shipped checklist when it is that version, else None; a snapshot that cannot be read raises."""
        key = (checklist_id, version)
        if key not in self._checklists:
            found = self._load_checklist(checklist_id, version)
            if found is None:
                return None
            self._checklists[key] = found
        return self._checklists[key]

    def _load_checklist(self, checklist_id: str, version: int):
        from visitor import checklist as checklists  # deferred: not needed to draw the dashboard

        path = self.checklist_path(checklist_id, version)
        pending = self._tx.raw.get(path) if self._tx is not None else None
        if pending is not None:
            return checklists.parse(json.loads(pending), str(path))
        if path.exists():
            return checklists.load_file(path)
        if not any(shipped.stem == checklist_id for shipped in checklists.shipped_files()):
            return None
        shipped = checklists.load_shipped(checklist_id)
        return shipped if shipped.version == version else None

    # -- broken files and restore -------------------------------------------------------------------
    def quick_check(self) -> list[DataFileError]:
        """Files that are plainly broken (not a file, empty, truncated, not JSON) from their ends only.

        Cheap enough for start-up; ``broken_files`` parses everything (``reg44 check``, restore).
        """
        problems = self._not_files()
        for path in self.data_files():
            try:
                fd = os.open(path, os.O_RDONLY | NOFOLLOW)  # plain reads: a buffered file object costs more
                try:
                    head = os.read(fd, 1)
                    os.lseek(fd, max(os.fstat(fd).st_size - 64, 0), os.SEEK_SET)
                    tail = os.read(fd, 64).rstrip()
                finally:
                    os.close(fd)
            except OSError as exc:
                problems.append(DataFileError(path, f"cannot be read ({exc.strerror})"))
                continue
            if head != b"{" or not tail.endswith(b"}"):
                problems.append(DataFileError(path, "the file is empty, truncated or not JSON"))
        return problems

    def _not_files(self) -> list[DataFileError]:
        """Entries where a data file belongs that are links or folders."""
        problems = []
        for folder in (self.root, self.root / "homes", self.root / "drafts", self.root / "checklists"):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name.endswith(".json") and (entry.is_symlink() or not entry.is_file()):
                    try:
                        refuse_special(Path(entry.path))
                    except DataFileError as exc:
                        problems.append(exc)
        return problems

    def broken_files(self, skip: frozenset[Path] | set[Path] = frozenset()) -> list[DataFileError]:
        """Every data file that does not read back, of every kind, with the reason.

        ``skip``: files the caller has already read through the store (``reg44 check`` reads each once).
        """
        problems = self._not_files()
        for path in self.data_files():
            if path in skip:
                continue
            rel = path.relative_to(self.root).as_posix()
            try:
                raw = read_file(path) or b""
                if rel == "settings.json" or rel.startswith("checklists/"):
                    check_file(rel, raw, path)
                    if rel == "settings.json":
                        self._settings_file()
                else:  # parsed once (``check_file`` would parse it too): peers.json is megabytes at 200 homes
                    records.validate_file(self._kind(path), parse_tables(raw, path), path)
            except DataFileError as exc:
                problems.append(exc)
        return problems

    def restore(self, path: Path) -> Path:
        """Put back the newest good copy of one broken file; returns the snapshot folder it came from."""
        return self.restore_files([Path(path)])[Path(path)]

    def restore_files(self, paths: list[Path]) -> dict[Path, Path]:
        """Put back each file from the newest snapshot holding a good copy, all in one commit.

        The current files are first linked into ``aside/<time>/`` (never moved: there is no instant
        without a file). A file written by a newer reg44 is refused: an older backup would lose its data.
        """
        plan = {}
        for path in paths:
            path = Path(os.path.abspath(path))
            rel = self._rel(path)
            try:
                raw = read_file(path)
                if raw is not None:
                    check_file(rel, raw, path)
            except SchemaTooNewError as exc:
                raise ValidationError(f"Refusing to restore {path}: {exc.reason}; an older backup would "
                                      "lose what that version wrote.") from None
            except DataFileError:
                pass
            found = self.snapshots.good_copy(rel)
            if found is None:
                raise DataFileError(path, "no good backup of this file was found", "Nothing was changed.")
            plan[path] = found
        with self.transaction(snapshot=False):
            self._set_aside(list(plan))
            for path, (snap, raw) in plan.items():
                self._write_raw(path, raw)
        return {path: snap.folder for path, (snap, raw) in plan.items()}

    def restore_snapshot(self, name: str) -> list[str]:
        """Put the whole folder back as it was in snapshot ``name`` (current files set aside first)."""
        snap = next((s for s in self.snapshots.list() if s.name == name), None)
        if snap is None:
            raise NotFound(f"There is no backup {_shown(name)} (see `reg44 restore --list`).")
        current = self.data_files()
        for path in current:
            raw = read_file(path)
            try:
                if raw is not None:
                    check_file(self._rel(path), raw, path)
            except SchemaTooNewError as exc:
                raise ValidationError(f"Refusing to restore over {path}: {exc.reason}.") from None
            except DataFileError:
                pass
        with self.transaction(snapshot=False):
            self._set_aside(current)
            for path in current:
                if self._rel(path) not in snap.files:
                    self._write_raw(path, None)
            for rel in snap.files:
                raw = read_file(snap.path_of(rel))
                if raw is not None:
                    self._write_raw(self.root.joinpath(*rel.split("/")), raw)
        return list(snap.files)

    def _rel(self, path: Path) -> str:
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root)).as_posix()
        except ValueError:
            raise ValidationError(f"{_shown(str(path))} is not a file of the data folder {self.root}.") from None

    def _set_aside(self, paths: list[Path]) -> None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        for path in paths:
            if not path.is_file() or path.is_symlink():
                continue
            target = self.root / "aside" / stamp / self._rel(path)
            inner_dir(self.root, target.parent)
            try:
                os.link(path, target)
            except OSError:
                write_new(target, read_file(path) or b"")


def erase_in_home_tables(tables: dict, child_id: str, code: str) -> int:
    """Scrub a child from a home file's tables (children row and every visit); returns visits changed."""
    touched = 0
    for row in tables.get("children", {}).values():
        if row.get("id") == child_id:
            row["code"] = "[erased]"
            row["erased"] = row.get("erased") or datetime.now().date().isoformat()
    for row in tables.get("visits", {}).values():
        if erase_from_visit(row, child_id, code):
            touched += 1
    for row in tables.get("flags", {}).values():
        erase_from_visit(row, child_id, code)  # evidence the visitor may have resolved with a note
    return touched


_ID_FIELDS = ("id", "home_id", "date", "checklist_id", "visit_id", "child_id", "children", "key", "raised_visit")
_ID_TOKEN = re.compile(r"(\{child:[A-Za-z0-9_-]+\}|(?<![\w-])[a-z0-9]+(?:-[a-z0-9]+)+:[A-Za-z0-9_-]+)")


def erase_from_visit(visit: dict, child_id: str, code: str) -> bool:
    """Blank the child's own words and notes, and their code wherever the visitor wrote it, any spelling."""
    from visitor.matching import code_pattern

    changed = False
    pattern = code_pattern(code) if code and code != "[erased]" else None

    def scrub_text(text: str) -> str:
        # ids and {child:ID} tokens name the record, not the child's initials: leave them whole
        parts = _ID_TOKEN.split(text)
        return "".join(part if _ID_TOKEN.fullmatch(part) else pattern.sub("[erased]", part)  # type: ignore[union-attr]
                       for part in parts)

    def scrub(node):
        nonlocal changed
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in _ID_FIELDS:
                    node[key] = scrub(value)
        elif isinstance(node, list):
            return [scrub(v) for v in node]
        elif isinstance(node, str) and pattern is not None and node not in ("yes", "no", "not known", child_id):
            cleaned = scrub_text(node)
            if cleaned != node:
                changed = True
                return cleaned
        return node

    scrub(visit)
    answers = visit.get("child_answers", {}).get(child_id)
    if answers:
        for key in list(answers):
            if isinstance(answers[key], str) and answers[key] not in ("yes", "no", "not known", "[erased]"):
                answers[key] = "[erased]"
                changed = True
    for key in list(visit.get("notes", {})):
        if key.endswith(f":{child_id}") and visit["notes"][key] != "[erased]":
            visit["notes"][key] = "[erased]"
            changed = True
    return changed


def _shown(value: object) -> str:
    text = repr(value).encode("ascii", "backslashreplace").decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _known(cls, row: dict) -> dict:
    names = cls.__dataclass_fields__
    return {k: v for k, v in row.items() if k in names}


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()
