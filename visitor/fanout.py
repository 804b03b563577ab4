"""Read-only work on many homes spread over the machine's cores, in forked worker processes.

Replaying a home's flags visit by visit is pure computation on that home's files, and a load or an
agency's back-fill replays hundreds of homes: one core would do them one after another while the
others idle. Workers are forked, so they start with the parent's open store and its transaction
(the homes loaded so far, the pooled peers) without pickling any of it; they only read, and hand
each home's result back to the parent, which alone writes. Results arrive in the order asked, so
what is stored does not depend on how many workers there were (``tests/test_fanout.py``).

Forking is used only where it is safe and worth it: on a platform that forks, from a process with no
other threads (the app's threads would not survive a fork), for at least ``MIN_HOMES`` homes.
``REG44_WORKERS`` sets the number of workers (1: none).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

MIN_HOMES = 8  # below this a fork costs more than it saves
MAX_WORKERS = 8
T = TypeVar("T")

_JOB: tuple[Callable[[Any, str], Any], Any] | None = None  # set before the fork; the workers inherit it


def workers() -> int:
    """How many worker processes a fan-out may use here (1: do the work in this process)."""
    asked = os.environ.get("REG44_WORKERS", "").strip()
    if asked.isdigit() and int(asked) >= 1:
        return min(int(asked), MAX_WORKERS)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def each(job: Callable[[Any, str], T], context: Any, home_ids: Iterable[str]) -> Iterator[tuple[str, T]]:
    """``(home_id, job(context, home_id))`` for every home, in order; forked workers where they help.

    ``job`` must only read: whatever it changes in a worker is lost with the worker."""
    global _JOB
    ids = list(home_ids)
    count = workers()
    if count < 2 or len(ids) < MIN_HOMES or threading.active_count() > 1 or \
            "fork" not in multiprocessing.get_all_start_methods():
        for home_id in ids:
            yield home_id, job(context, home_id)
        return
    _JOB = (job, context)
    try:
        with multiprocessing.get_context("fork").Pool(min(count, len(ids))) as pool:
            yield from zip(ids, pool.imap(_run, ids, chunksize=1))
    finally:
        _JOB = None


def _run(home_id: str) -> Any:
    assert _JOB is not None, "set before the workers were forked"
    job, context = _JOB
    return job(context, home_id)
