"""Crash-safe single files: strict reads, atomic writes, schema versions, the writer lock.

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves a broken file, and it
returns an empty database for a file it cannot parse (the next write would wipe the data). Here every
write serialises first, writes a temporary file beside the target, fsyncs it, ``os.replace``s it and
fsyncs the folder: after a crash the file holds either the old or the new state. A file that does not
parse, is a link or a folder, or is nested beyond reason raises ``DataFileError`` naming the path and is
never written over. Links are never followed (``O_NOFOLLOW``): a planted symlink cannot redirect a write.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import weakref
from pathlib import Path
from typing import Callable, TextIO

from visitor.storage import codec

SCHEMA_VERSION = 1
META_TABLE = "_meta"
MAX_DEPTH = 48  # deeper than any record reg44 writes; deeper input is refused before anything recurses on it
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class DataFileError(Exception):
    """A data file cannot be used. The message names the file and what to do; the file is untouched."""

    def __init__(self, path: Path, reason: str, hint: str | None = None):
        self.path = Path(path)
        self.reason = reason
        hint = hint if hint is not None else (
            "The file has been left exactly as it is; `reg44 restore` puts back the newest good backup.")
        self.hint = hint
        super().__init__(f"{self.path}: {reason}. {hint}".strip())

    def __reduce__(self):  # pickled as made (a forked reader hands it back: ``fanout.ahead``)
        return self.__class__, (self.path, self.reason, self.hint)


class SchemaTooNewError(DataFileError):
    """Written by a newer reg44: reading it could lose fields, writing it would; restoring over it too."""

    def __init__(self, path: Path, reason: str):
        super().__init__(path, reason, "Open it with that newer reg44; nothing was changed.")

    def __reduce__(self):
        return self.__class__, (self.path, self.reason)


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
        if isinstance(doc, dict) and isinstance(doc.get("schema"), int) and not isinstance(doc["schema"], bool):
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


def refuse_special(path: Path) -> None:
    """A data path that is a link or a folder is refused: reg44 never writes through or over either."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise DataFileError(path, "it is a symbolic link, which reg44 never follows in its data folder",
                            "Replace it with the real file; nothing was changed.")
    if not stat.S_ISREG(mode):
        raise DataFileError(path, "it is a folder or a special file, not a data file",
                            "Move it away; nothing was changed.")


def write_new(path: Path, data: bytes, sync: bool = True) -> None:
    """Create ``path`` (which must not exist, nor be a link) owner-only with ``data``, fsynced unless the
    caller syncs it later (``fsync_file``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make a file written earlier without ``sync`` durable."""
    fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name[:80]}.{os.getpid()}.{secrets.token_hex(3)}.tmp")


_TEMP = re.compile(r"^\.(.+)\.(\d+)\.[0-9a-f]{6}\.tmp$")  # temp_name's pattern: the name, the writer's pid


def sweep_temp_files(folder: Path, name: str | None = None) -> int:
    """Remove the temp files a writer killed mid-write left in ``folder`` (outside the data folder: reports,
    bundles); ``name``: only those of that file. A file whose writing process still runs is left alone."""
    removed = 0
    for path in Path(folder).glob(".*.tmp"):
        found = _TEMP.match(path.name)
        if not found or (name is not None and found.group(1) != name[:80]) or _alive(int(found.group(2))):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (PermissionError: another user's process)
        return True
    return True


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any instant leaves the old or the new content."""
    atomic_stream(Path(path), lambda tmp: write_new(tmp, data))


def atomic_text(path: Path, fill: Callable[[TextIO], object]) -> None:
    """``atomic_write`` for content too large to hold in memory: ``fill`` streams text into the temp file."""

    def write(tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
        with open(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())

    atomic_stream(Path(path), write)


def atomic_stream(path: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` create a temp file beside ``path`` (fsynced), rename it over ``path``, fsync the folder.

    A failure at any point removes the temp file and leaves ``path`` as it was.
    """
    refuse_special(path)
    tmp = temp_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def read_file(path: Path) -> bytes | None:
    """The bytes of a regular file, None if absent; links, folders and unreadable files raise."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_special(path)
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise DataFileError(path, "permission to read the file was denied") from None
        raise DataFileError(path, f"the file cannot be read ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            refuse_special(path)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise DataFileError(path, f"the file cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """True when lists/objects nest deeper than ``limit`` (checked without recursion, containers only)."""
    return codec.too_deep(value, limit)


def parse_json(raw: bytes, path: Path) -> object:
    if not raw or raw.isspace():  # (strip() would copy a whole home file to find out)
        raise DataFileError(path, "the file is empty")
    try:
        return codec.loads(raw, MAX_DEPTH)
    except (RecursionError, codec.TooDeep):
        raise DataFileError(path, "the file is nested too deeply to be a reg44 file") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"the file is not valid JSON ({str(exc)[:120]})") from None


def parse_tables(raw: bytes, path: Path) -> dict:
    """Parse a TinyDB file strictly: empty, truncated or wrongly shaped files raise, never read as empty."""
    data = parse_json(raw, path)
    if not isinstance(data, dict):
        raise DataFileError(path, "the file is JSON but not a reg44 data file (expected an object of tables)")
    for name, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(doc, dict) for doc in table.values()):
            raise DataFileError(path, f"the table {name!r} is not a set of records")
    return migrate(data, path)


def read_tables(path: Path) -> dict | None:
    raw = read_file(Path(path))
    return None if raw is None else parse_tables(raw, Path(path))


def dump_tables(data: dict) -> bytes:
    data[META_TABLE] = {"1": {"schema": SCHEMA_VERSION}}
    return codec.dumps(data)


# -- the writer lock --------------------------------------------------------------------------------
class DataLock:
    """One writer per data folder. An OS file lock, so a crashed copy never leaves a stale lock behind."""

    NAME = "reg44.lock"  # every data folder written to has one: how a data folder is known from outside

    def __init__(self, root: Path):
        self.path = Path(root) / self.NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        refuse_special(self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                refuse_special(self.path)
            raise
        try:
            _lock_fd(fd)
        except OSError:
            try:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise LockedError(
                f"Another copy of reg44 (process {holder[:20]}) is using the data in {self.path.parent}. "
                "Close it first; this copy can only read."
            ) from None
        self._fd = fd
        _HELD.add(self)
        try:  # who holds it, for the message another copy shows; the lock itself is the flock
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:  # e.g. a full disk: the lock is held all the same, and never leaked
            pass

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        _HELD.discard(self)

    def _drop_in_child(self) -> None:
        """In a forked child: close this process's copy of the lock's descriptor, without unlocking (the
        lock belongs to the open file, which the parent still has). A child that outlived a parent killed
        mid-load kept the folder locked until it ended; and a child never writes."""
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None


_HELD: weakref.WeakSet[DataLock] = weakref.WeakSet()  # locks held by this process


def _drop_locks_in_child() -> None:
    for lock in list(_HELD):
        lock._drop_in_child()
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_locks_in_child)


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
