"""Several files changed as one: stage every new file, mark the change committed, then move them in.

One user operation (finalise, erase, load, restore…) may change several files. Each file is replaced
atomically, but a crash between two replacements would leave a half-done operation. So the new contents
are first written to a staging folder ``.journal/<id>/`` and fsynced; writing its ``COMMIT`` manifest (an
atomic rename) is the single instant at which the operation happens. Then the staged files are renamed
over their targets. ``repair`` runs before anything reads or writes after a crash: a staged change with a
manifest is finished, one without is thrown away — so the folder always holds the before or the after.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path

from visitor.storage.files import (
    atomic_write,
    fsync_dir,
    fsync_file,
    refuse_special,
    write_new,
)
from visitor.storage.paths import inner_dir, inside, no_linked_folders, relative_inside

FOLDER = ".journal"
MANIFEST = "COMMIT"


class Staging:
    """The staged half of one change: files written so far, and files to delete."""

    def __init__(self, root: Path):
        self.root = Path(root)
        base = inner_dir(self.root, self.root / FOLDER)
        self.folder = base / f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(3)}"
        os.mkdir(self.folder, 0o700)
        self.writes: dict[str, str] = {}  # target relative to root -> staged file name
        self.deletes: set[str] = set()
        self.staged = 0
        self.unsynced: set[str] = set()  # staged files written without fsync: synced once, at the commit
        self.committed = False

    def rel(self, target: Path) -> str:
        return Path(os.path.abspath(target)).relative_to(os.path.abspath(self.root)).as_posix()

    def stage(self, target: Path, payload: bytes | None, sync: bool = True) -> None:
        """Stage ``payload`` as the new content of ``target`` (None: delete it). Restaging replaces.

        ``sync=False`` for content that may well be staged again before the commit (a load's homes,
        spilled from memory, then refreshed): it is fsynced at the commit, and only if it is still staged."""
        rel = self.rel(target)
        no_linked_folders(self.root, Path(target).parent)  # refused now, before the commit point
        refuse_special(target)
        old = self.writes.pop(rel, None)
        if old:
            os.unlink(self.folder / old)
            self.unsynced.discard(old)
        self.deletes.discard(rel)
        if payload is None:
            self.deletes.add(rel)
            return
        self.staged += 1  # never reused: a count of the files staged now would repeat after a restage
        name = f"{self.staged}-{secrets.token_hex(2)}.data"
        write_new(self.folder / name, payload, sync)
        self.writes[rel] = name
        if not sync:
            self.unsynced.add(name)

    def staged_bytes(self, target: Path) -> bytes | None:
        name = self.writes.get(self.rel(target))
        return (self.folder / name).read_bytes() if name else None

    def commit(self) -> None:
        """The commit point, then the moves.

        An error before the commit point changes nothing. One after it (a move failed) must not undo the
        commit — some files may already be moved — so the moves are retried once; if they fail again the
        error is raised with the change still committed, and the next transaction or open finishes it.
        """
        for name in sorted(self.unsynced):
            fsync_file(self.folder / name)
        self.unsynced.clear()
        fsync_dir(self.folder)
        manifest = {"writes": [[name, rel] for rel, name in self.writes.items()], "deletes": sorted(self.deletes)}
        atomic_write(self.folder / MANIFEST, json.dumps(manifest).encode())
        self.committed = True
        try:
            apply(self.root, self.folder)
        except OSError:
            apply(self.root, self.folder)

    def abandon(self) -> None:
        """Throw away an uncommitted change; a committed one is kept for ``repair`` to finish."""
        if not self.committed:
            shutil.rmtree(self.folder, ignore_errors=True)


def apply(root: Path, folder: Path) -> None:
    """Finish a committed change; safe to run again after a crash part-way through."""
    manifest = json.loads((folder / MANIFEST).read_bytes())
    # Every path is checked before anything moves: a manifest naming a place outside the folder (or a staged
    # file outside its staging folder) is refused whole, never half-applied.
    writes = [(inside(folder, name, "staged file"), relative_inside(root, rel)) for name, rel in manifest["writes"]]
    deletes = [relative_inside(root, rel) for rel in manifest["deletes"]]
    touched = set()
    for staged, target in writes:
        if os.path.lexists(staged):
            inner_dir(root, target.parent)
            refuse_special(target)
            os.replace(staged, target)
            touched.add(target.parent)
    for target in deletes:
        if os.path.lexists(target):
            no_linked_folders(root, target.parent)
            refuse_special(target)
            os.unlink(target)
            touched.add(target.parent)
    for parent in touched:
        fsync_dir(parent)
    shutil.rmtree(folder, ignore_errors=True)


def repair(root: Path) -> list[str]:
    """Finish committed changes and drop uncommitted ones; returns what was done, for the log line."""
    base = Path(root) / FOLDER
    if not base.is_dir():
        return []
    done = []
    for folder in sorted(base.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            folder.unlink(missing_ok=True)
            continue
        manifest = folder / MANIFEST
        if manifest.is_file():
            try:
                apply(root, folder)
                done.append(f"completed an interrupted change ({folder.name})")
                continue
            except (ValueError, KeyError, TypeError):
                pass  # an unreadable manifest was never committed: its rename is the commit point
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"rolled back an unfinished change ({folder.name})")
    return done


def pending(root: Path) -> bool:
    base = Path(root) / FOLDER
    return base.is_dir() and any(base.iterdir())
