"""Backups as consistent snapshots of the whole data folder, kept by age.

A snapshot shows every file as it was at one instant (taken under the writer lock, after any interrupted
change was repaired). It never shares storage with the live files — something that edits a live file in
place must not change its backup too — but a file unchanged since the previous snapshot is hard-linked to
that snapshot's copy, so a snapshot costs only the files that changed. A snapshot is complete only once its ``MANIFEST`` is written; a
half-taken one is ignored and swept. Snapshots are kept by age — every one from the last hour, then the
newest of each day for two weeks and of each week for three months — so a burst of commands never rotates
out last week's state.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from visitor.storage.files import DataFileError, parse_json, parse_tables, read_file, write_new
from visitor.storage.paths import inner_dir

FOLDER = "backups"
MANIFEST = "MANIFEST"
STAMP = "%Y%m%dT%H%M%S%fZ"
# Folders and files in the data folder that are not data: never snapshotted, never restored.
NOT_DATA = {FOLDER, "aside", ".journal", "reg44.lock", "outlines"}  # outlines: derived, see storage.outline


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    taken: datetime
    files: tuple[str, ...]
    stats: dict = field(default_factory=dict, compare=False)  # the live files' (inode, size, mtime) then

    @property
    def name(self) -> str:
        return self.folder.name

    def path_of(self, rel: str) -> Path:
        return self.folder.joinpath(*rel.split("/"))


def data_files(root: Path) -> list[str]:
    """Every data file below ``root`` (relative, '/'-separated): index, homes, drafts, settings, checklists…"""
    found: list[str] = []
    _walk(str(root), "", found)
    return sorted(found)


def _walk(folder: str, rel: str, found: list[str]) -> None:
    """``os.walk`` without following links, from directory entries' own types (no stat per file: start-up
    lists every home's files)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # as os.walk: a folder that cannot be listed is passed over
    for entry in entries:
        name = entry.name
        if entry.is_dir():
            if not (name.startswith(".") or (not rel and name in NOT_DATA) or entry.is_symlink()):
                _walk(entry.path, f"{rel}{name}/", found)
        elif not (name.startswith(".") or name in NOT_DATA or not name.endswith(".json")
                  or entry.is_symlink() or not entry.is_file()):
            found.append(rel + name)


def check_file(rel: str, raw: bytes, path: Path) -> None:
    """Raise ``DataFileError`` if a data file's bytes would not read back."""
    if rel == "settings.json" or rel.startswith("checklists/"):
        if not isinstance(parse_json(raw, path), dict):
            raise DataFileError(path, "the file is JSON but not a JSON object")
    else:
        parse_tables(raw, path)


class Snapshots:
    def __init__(self, root: Path, interval: float = 600.0):
        self.root = Path(root)
        self.folder = self.root / FOLDER
        self.interval = interval

    def list(self) -> list[Snapshot]:
        """Complete snapshots, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for folder in self.folder.iterdir():
            if folder.name.startswith(".") or not (folder / MANIFEST).is_file():
                continue
            try:
                taken = datetime.strptime(folder.name, STAMP).replace(tzinfo=timezone.utc)
                manifest = json.loads((folder / MANIFEST).read_bytes())
                files = tuple(manifest["files"])
                stats = {k: list(v) for k, v in manifest.get("stats", {}).items()}
            except (ValueError, KeyError, TypeError, AttributeError, OSError):
                continue
            found.append(Snapshot(folder, taken, files, stats))
        return sorted(found, key=lambda s: s.taken, reverse=True)

    def due(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(timezone.utc)
        newest = self.list()
        return not newest or (now - newest[0].taken).total_seconds() >= self.interval

    def take(self, now: datetime | None = None) -> Snapshot | None:
        """Link every data file into a new snapshot; None when there is no data yet."""
        files = data_files(self.root)
        if not files:
            return None
        now = now or datetime.now(timezone.utc)
        inner_dir(self.root, self.folder)
        name = now.strftime(STAMP)
        partial = self.folder / f".partial-{name}"
        shutil.rmtree(partial, ignore_errors=True)
        previous = self.list()[:1]
        seen = previous[0].stats if previous else {}
        stats = {}
        for rel in files:
            target = partial.joinpath(*rel.split("/"))
            inner_dir(self.root, target.parent)
            source = self.root.joinpath(*rel.split("/"))
            st = os.lstat(source)
            stats[rel] = [st.st_ino, st.st_size, st.st_mtime_ns]
            if seen.get(rel) == stats[rel]:
                try:  # unchanged since the last snapshot: share that snapshot's copy
                    os.link(previous[0].path_of(rel), target, follow_symlinks=False)
                    continue
                except OSError:
                    pass
            data = read_file(source)
            if data is not None:
                write_new(target, data)
        write_new(partial / MANIFEST, json.dumps({"files": files, "stats": stats, "taken": now.isoformat()}).encode())
        final = self.folder / name
        os.replace(partial, final)
        self.prune(now)
        return Snapshot(final, now, tuple(files))

    def prune(self, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        snapshots = self.list()
        keep = retained([s.taken for s in snapshots], now)
        for snap in snapshots:
            if snap.taken not in keep:
                shutil.rmtree(snap.folder, ignore_errors=True)
        for leftover in self.folder.glob(".partial-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def good_copy(self, rel: str) -> tuple[Snapshot, bytes] | None:
        """The newest snapshot whose copy of ``rel`` reads back, with its bytes."""
        for snap in self.list():
            if rel not in snap.files:
                continue
            path = snap.path_of(rel)
            try:
                raw = read_file(path)
                if raw is None:
                    continue
                check_file(rel, raw, path)
            except DataFileError:
                continue
            return snap, raw
        return None


def retained(stamps: list[datetime], now: datetime) -> set[datetime]:
    """Which snapshots to keep: all from the last hour; newest per day for 14 days; per week for 13 weeks."""
    keep: set[datetime] = set()
    newest_per: dict[tuple, datetime] = {}
    for taken in sorted(stamps, reverse=True):
        age = now - taken
        if age <= timedelta(hours=1):
            keep.add(taken)
            continue
        if age <= timedelta(days=14):
            bucket: tuple = ("day", taken.date())
        elif age <= timedelta(weeks=13):
            bucket = ("week", taken.isocalendar()[:2])
        else:
            continue
        if bucket not in newest_per:
            newest_per[bucket] = taken
            keep.add(taken)
    if stamps:
        keep.add(max(stamps))  # never delete the only way back
    return keep
