"""Fault injection for the write path: fail or die at the Nth write boundary, then judge what is on disk.

Every call that changes the disk (creating, writing, syncing, renaming, linking or removing a file or folder)
is a *boundary*. ``inject`` replaces the ``os`` the storage layer sees with a proxy that counts those calls
and, at the Nth, raises ``OSError`` (the in-process failure: disk full, I/O error) or ends the process at
once with ``os._exit`` (a crash or SIGKILL, run in a forked child). Counting calls instead of sleeping makes
every interruption point reachable and every run repeatable.

``state`` is the canonical content of a data folder: every data file parsed and re-serialised with sorted
keys, clock readings masked (two runs of one operation differ only in when they ran).
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import visitor.store
from visitor.check import check_all
from visitor.storage import files, journal, outline, paths, snapshots
from visitor.store import Store

# Calls that change the disk. ``open`` counts only when it may create a file.
BOUNDARIES = ("write", "fsync", "replace", "rename", "unlink", "link", "mkdir", "rmdir", "ftruncate", "open")
# Every module of the write path that calls ``os`` (pathlib: ``Path.unlink`` and ``Path.mkdir``).
MODULES = (files, journal, snapshots, paths, visitor.store, pathlib)
EXIT_CODE = 77
CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


class InjectedFault(OSError):
    """The failure ``inject`` raises; anything else escaping an operation is a real error."""


class _FaultyOS:
    """``os`` with its disk-changing calls counted; the ``at``-th one fails (``raise``) or kills (``exit``)."""

    def __init__(self, real, at: int | None, mode: str, root: Path | None = None, images: Path | None = None):
        self._real = real
        self.at = at
        self.mode = mode
        self.count = 0
        self.root = root
        self.images = images

    def __getattr__(self, name):
        value = getattr(self._real, name)
        if name not in BOUNDARIES:
            return value

        def boundary(*args, **kwargs):
            if name == "open" and not (len(args) > 1 and args[1] & os.O_CREAT or kwargs.get("flags", 0) & os.O_CREAT):
                return value(*args, **kwargs)
            self.count += 1
            if self.mode == "image":  # what a death here would leave: the folder as it is before this call
                image = self.images / str(self.count)
                if self.root.exists():
                    shutil.copytree(self.root, image, symlinks=True)
                else:
                    self._real.makedirs(image)
            if self.count == self.at:
                if self.mode == "exit":
                    self._real._exit(EXIT_CODE)
                raise InjectedFault(errno.EIO, f"injected fault at boundary {self.at} ({name})")
            if name == "fsync":  # only a power cut needs the platter; a process crash does not (and it is slow)
                return None
            return value(*args, **kwargs)
        return boundary


@contextmanager
def inject(at: int | None = None, mode: str = "raise", *, root: Path | None = None, images: Path | None = None):
    """Count (``at=None``) or interrupt the storage layer's writes; yields the proxy (``.count``).

    ``mode="image"`` interrupts nothing: before each boundary it copies ``root`` to ``images/<N>``. A process
    that dies loses nothing it wrote (the kernel keeps it), so image N is exactly what a death at boundary N
    leaves behind — every death point of an operation from one run of it.
    """
    proxy = _FaultyOS(os, at, mode, root, images)
    saved = [(module, module.os) for module in MODULES]
    for module, _ in saved:
        module.os = proxy
    try:
        yield proxy
    finally:
        for module, real in saved:
            module.os = real


def state(root: Path, *, copies: bool = False) -> dict[str, object]:
    """Every data file's canonical content by relative path; ``copies`` adds backups/ and aside/."""
    found: dict[str, object] = {}
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        top = rel.split("/")[0]
        if path.is_dir() or top in (journal.FOLDER, "reg44.lock") or path.name.endswith(".tmp"):
            continue
        if top in (snapshots.FOLDER, "aside") and not copies:
            continue
        raw = path.read_bytes()
        try:
            found[rel] = _mask(json.loads(raw))
        except ValueError:
            found[rel] = raw
        if top == outline.FOLDER and isinstance(found[rel], dict):  # its home file's hash, as agreeing or not
            home = root / "homes" / path.name
            agrees = home.is_file() and list(found[rel].get("source", {}).values()) == [
                outline.source_of(home.read_bytes())]
            found[rel]["source"] = "<agrees with its home file>" if agrees else "<STALE>"
    return found


def _mask(value):
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str) and CLOCK.match(value):
        return "<clock>"
    return value


def reopen_and_judge(root: Path, *, copies: bool = False) -> tuple[dict, list[str]]:
    """Open the folder as the next run would (repairing it), then return its state and ``reg44 check``'s problems."""
    with inject():
        return _reopen_and_judge(root, copies)


def _reopen_and_judge(root: Path, copies: bool) -> tuple[dict, list[str]]:
    store = Store(root)
    try:
        store.acquire()
        assert not journal.pending(root), "repair on open leaves no change half-done"
        assert not list(root.rglob(".*.tmp")), "temp files of the interrupted writer are swept"
        problems = _checked(root, store)
    finally:
        store.close()
    return state(root, copies=copies), problems


@contextmanager
def repeatable_ids():
    """New record ids from a counter, so that two runs of one operation write the same data."""
    import visitor.editing
    import visitor.model

    counter = iter(range(10**9))

    def new_id(prefix: str = "") -> str:
        return f"{prefix}{next(counter):08x}"
    modules = (visitor.model, visitor.store, visitor.editing)
    saved = [(module, module.new_id) for module in modules]
    for module, _ in saved:
        module.new_id = new_id
    try:
        yield
    finally:
        for module, real in saved:
            module.new_id = real


def scratch_folder(fallback: Path) -> Path:
    """Where trials copy folders: in memory when the machine has it (thousands of small files), else ``fallback``."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        return Path(tempfile.mkdtemp(prefix="reg44-crash-", dir=shm))
    return fallback


_CHECKED: dict[str, list[str]] = {}


def _checked(root: Path, store: Store) -> list[str]:
    """``reg44 check``'s problems; a folder byte-for-byte like one checked before gets that answer again."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "reg44.lock":
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    key = digest.hexdigest()
    if key not in _CHECKED:
        _CHECKED[key] = [problem.replace(str(root), "<folder>") for problem in check_all(store)[0]]
    return _CHECKED[key]


def fresh_copy(template: Path, work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    if template.exists():
        shutil.copytree(template, work, symlinks=True)
    return work


def run_in_child(action, *, at: int | None = None) -> int:
    """Run ``action()`` in a forked child with the write path set to die at boundary ``at``; its exit status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns to pytest
        code = 0
        try:
            with inject(at, "exit"):
                action()
        except BaseException:  # noqa: BLE001 - the parent only needs to know it failed
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
