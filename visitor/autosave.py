"""Save a draft on every change without stalling typing: a writer thread that always saves the newest state.

Each change hands a snapshot to the thread; if several arrive while a save is running, only the newest
is written next (each write is atomic, so any one of them is a complete state). A failed save is kept
and reported; the next change or an explicit ``retry`` saves it again, so nothing typed is dropped.
"""

from __future__ import annotations

import json
import threading
from typing import Callable


class Autosaver:
    def __init__(self, save: Callable[[dict], None], on_error: Callable[[Exception], None] | None = None,
                 on_saved: Callable[[], None] | None = None):
        self._save = save
        self._on_error = on_error
        self._on_saved = on_saved
        self._cond = threading.Condition()
        self._pending: dict | None = None
        self._failed: dict | None = None
        self._busy = False
        self._closed = False
        self.error: Exception | None = None
        self.saves = 0
        self._thread = threading.Thread(target=self._run, name="reg44-autosave", daemon=True)
        self._thread.start()

    def submit(self, doc: dict) -> None:
        snapshot = json.loads(json.dumps(doc))
        with self._cond:
            self._pending = snapshot
            self._failed = None
            self._cond.notify_all()

    def retry(self) -> None:
        with self._cond:
            if self._failed is not None and self._pending is None:
                self._pending, self._failed = self._failed, None
                self._cond.notify_all()

    @property
    def unsaved(self) -> bool:
        with self._cond:
            return self._pending is not None or self._busy or self._failed is not None

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the newest state is on disk (True) or a save failed (False)."""
        with self._cond:
            self._cond.wait_for(lambda: (self._pending is None and not self._busy) or self._closed, timeout)
            return self._pending is None and not self._busy and self._failed is None

    def close(self, timeout: float = 10.0) -> bool:
        ok = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
        return ok

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                doc = self._pending
                if doc is None:  # woken with nothing pending: only close() does that
                    return
                self._pending, self._busy = None, True
            try:
                self._save(doc)
            except Exception as exc:  # reported to the visitor; the state is kept for a retry
                with self._cond:
                    self.error = exc
                    if self._pending is None:
                        self._failed = doc
                    self._busy = False
                    self._cond.notify_all()
                if self._on_error:
                    self._on_error(exc)
                continue
            with self._cond:
                self.error = None
                self.saves += 1
                self._busy = False
                self._cond.notify_all()
            if self._on_saved:
                self._on_saved()
