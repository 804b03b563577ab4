"""Crash-safe files under TinyDB: atomic writes, schema versions, rolling backups, a writer lock.

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves a broken file, and it
returns an empty database for a file it cannot parse (the next write would wipe the data). Here every
write serialises first, writes a temporary file beside the target, fsyncs it, ``os.replace``s it and
fsyncs the folder: after a crash the file holds either the old or the new state. A file that does not
parse raises ``DataFileError`` naming the path and is never written over.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import datetime
from pathlib import Path

from tinydb.storages import Storage

SCHEMA_VERSION = 1
META_TABLE = "_meta"


class DataFileError(Exception):
    """A data file cannot be used. The message names the file and what to do; the file is untouched."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"{self.path}: {reason}. The file has been left exactly as it is; "
            f"`reg44 restore` puts back the newest good backup."
        )


class SchemaTooNewError(DataFileError):
    """Written by a newer reg44: reading it could lose fields, writing it would."""


class LockedError(Exception):
    """Another running copy of reg44 holds the data folder."""


class ReadOnlyError(Exception):
    """This copy was opened read-only (another copy is writing)."""


# -- migrations -------------------------------------------------------------------------------------
def _migrate_0_to_1(data: dict) -> dict:
    """Version 0 files (before schema stamps) hold the same tables; stamping them is the migration."""
    return data


MIGRATIONS = {0: _migrate_0_to_1}


def migrate(data: dict, path: Path) -> dict:
    version = file_schema(data)
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            path, f"it was written by a newer reg44 (schema {version}; this one reads up to {SCHEMA_VERSION})"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


def file_schema(data: dict) -> int:
    meta = data.get(META_TABLE) or {}
    for doc in meta.values():
        if isinstance(doc, dict) and isinstance(doc.get("schema"), int):
            return doc["schema"]
    return 0


# -- low-level file operations ----------------------------------------------------------------------
def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any instant leaves the old or the new content."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def parse_tables(raw: bytes, path: Path) -> dict:
    """Parse a TinyDB file strictly: empty, truncated or wrongly shaped files raise, never read as empty."""
    if not raw.strip():
        raise DataFileError(path, "the file is empty")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"the file is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DataFileError(path, "the file is JSON but not a reg44 data file (expected an object of tables)")
    for name, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(doc, dict) for doc in table.values()):
            raise DataFileError(path, f"the table {name!r} is not a set of records")
    return migrate(data, path)


def read_tables(path: Path) -> dict | None:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except PermissionError:
        raise DataFileError(path, "permission to read the file was denied") from None
    return parse_tables(raw, Path(path))


def dump_tables(data: dict) -> bytes:
    data[META_TABLE] = {"1": {"schema": SCHEMA_VERSION}}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


# -- backups ----------------------------------------------------------------------------------------
class Backups:
    """Rolling copies of each data file, taken before it is first rewritten and then every few minutes."""

    def __init__(self, root: Path, folder: Path, keep: int = 5, interval: float = 600.0):
        self.root = root
        self.folder = folder
        self.keep = keep
        self.interval = interval
        self._last: dict[Path, float] = {}

    def _stem(self, path: Path) -> str:
        try:
            rel = path.resolve().relative_to(self.root.resolve())
        except ValueError:
            rel = Path(path.name)
        return "__".join(rel.parts)

    def before_write(self, path: Path) -> None:
        now = time.monotonic()
        last = self._last.get(path)
        if last is not None and now - last < self.interval:
            return
        self._last[path] = now
        if not path.exists():
            return
        from visitor.locations import private_dir

        private_dir(self.folder)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        atomic_write(self.folder / f"{self._stem(path)}.{stamp}.bak", path.read_bytes())
        for old in self.list(path)[self.keep :]:
            old.unlink(missing_ok=True)

    def list(self, path: Path) -> list[Path]:
        """Backups of ``path``, newest first."""
        if not self.folder.exists():
            return []
        stem = self._stem(path)
        found = [p for p in self.folder.glob(f"{stem}.*.bak") if p.name[len(stem) + 1 :].count(".") == 1]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def restore(self, path: Path) -> Path:
        """Put back the newest backup that parses; the broken file is moved aside, not deleted."""
        for candidate in self.list(path):
            try:
                parse_tables(candidate.read_bytes(), candidate)
            except DataFileError:
                continue
            if path.exists():
                stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
                aside = path.with_name(f"{path.name}.broken-{stamp}")
                os.replace(path, aside)
            atomic_write(path, candidate.read_bytes())
            return candidate
        raise DataFileError(path, "no good backup of this file was found")


# -- TinyDB storage ---------------------------------------------------------------------------------
class AtomicStorage(Storage):
    """A TinyDB storage that reads strictly and writes atomically, with backups and read-only mode."""

    def __init__(self, path: str | os.PathLike, backups: Backups | None = None, readonly: bool = False):
        self.path = Path(path)
        self.backups = backups
        self.readonly = readonly

    def read(self) -> dict | None:
        return read_tables(self.path)

    def write(self, data: dict) -> None:
        if self.readonly:
            raise ReadOnlyError(f"{self.path} is open read-only; nothing was written.")
        payload = dump_tables(data)
        if self.backups is not None:
            self.backups.before_write(self.path)
        atomic_write(self.path, payload)

    def close(self) -> None:
        pass


# -- the writer lock --------------------------------------------------------------------------------
class DataLock:
    """One writer per data folder. An OS file lock, so a crashed copy never leaves a stale lock behind."""

    def __init__(self, root: Path):
        self.path = Path(root) / "reg44.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_fd(fd)
        except OSError:
            try:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise LockedError(
                f"Another copy of reg44 (process {holder}) is using the data in {self.path.parent}. "
                "Close it first; this copy can only read."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

