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

A home whose work fails in a worker is worked again here, so the error raised is the very one a single
process raises (an exception does not always survive the trip between processes: a ``DataFileError``
does not, and the pool then waited for ever). A worker that dies (killed, out of memory) fails the
fan-out instead of leaving it waiting for that worker's answer. Workers ignore Ctrl+C: this process
stops them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

MIN_HOMES = 8  # below this a fork costs more than it saves
MAX_WORKERS = 8
T = TypeVar("T")

_JOB: tuple[Callable[[Any, str], Any], Any] | None = None  # set before the fork; the workers inherit it


class WorkerLost(ChildProcessError):
    """A worker process ended before answering (killed, out of memory); nothing it did is used."""


def workers() -> int:
    """How many worker processes a fan-out may use here (1: do the work in this process)."""
    asked = os.environ.get("REG44_WORKERS", "").strip()
    if asked.isdecimal() and int(asked) >= 1:  # (isdigit() is true of "²", which int() refuses)
        return min(int(asked), MAX_WORKERS)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _may_fork() -> bool:
    import multiprocessing  # here, not at the top: the app imports this module and never forks

    return workers() >= 2 and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def ahead(items: Iterator[T]) -> Iterator[T]:
    """The items of ``items``, each produced in a forked process while this one handles the one before.

    For a pipeline whose first stage need not wait for the second: a load parses and checks a bundle's
    next home while this process writes the last. ``items`` runs in the child from the state it was in at
    the fork (an open file it reads goes on from where it was; this process must not read it any more).
    One item waits in the pipe at most. What ``items`` raises is raised here, where its item would have come.
    """
    if not _may_fork():
        yield from items
        return
    try:
        first = next(items)  # none left: no reader (nor a child that held a copy of the lock for a moment)
    except StopIteration:
        return
    yield first
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(items, send, os.getpid()), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                raise WorkerLost("the process reading ahead ended unexpectedly (was it killed?); nothing was changed") \
                    from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _watch_parent(parent: int) -> None:
    """In a forked process: end as soon as the process that forked it has ended (killed mid-load), rather
    than wait for work that will never come (a pool's worker would wait for ever)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        os._exit(1)
    threading.Thread(target=watch, name="reg44-parent-watch", daemon=True).start()


def _produce(items: Iterator[Any], send: Any, parent: int) -> None:
    _watch_parent(parent)
    try:
        for item in items:
            send.send(("item", item))
        send.send(("end", None))
    except BaseException as exc:  # noqa: BLE001 - raised in the parent instead, as it was (or as near as pickling allows)
        try:
            import pickle

            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - any failure to make the trip: sent as its type and message
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        send.send(("error", exc))


def each(job: Callable[[Any, str], T], context: Any, home_ids: Iterable[str]) -> Iterator[tuple[str, T]]:
    """``(home_id, job(context, home_id))`` for every home, in order; forked workers where they help.

    ``job`` must only read: whatever it changes in a worker is lost with the worker."""
    global _JOB
    ids = list(home_ids)
    count = workers()
    if len(ids) < MIN_HOMES or not _may_fork():
        for home_id in ids:
            yield home_id, job(context, home_id)
        return
    _JOB = (job, context)
    try:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(min(count, len(ids)), _start_worker, (os.getpid(),)) as pool:
            forked = multiprocessing.active_children()  # the pool's workers: none of them ends before the pool
            answers = pool.imap(_run, ids, chunksize=1)
            for home_id in ids:
                done, result = _next(answers, forked)
                yield home_id, result if done else job(context, home_id)  # its error, raised here
    finally:
        _JOB = None


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole process group: the parent stops us
    _watch_parent(parent)


def _next(answers: Iterator[tuple[bool, Any]], forked: list) -> tuple[bool, Any]:
    """The next answer, waited for only while every worker is still running."""
    import multiprocessing

    while True:
        try:
            return answers.next(timeout=0.25)  # type: ignore[attr-defined]
        except multiprocessing.TimeoutError:
            if any(worker.exitcode is not None for worker in forked):
                raise WorkerLost("a worker process ended unexpectedly (was it killed?); nothing was changed") \
                    from None


def _run(home_id: str) -> tuple[bool, Any]:
    """(True, the job's result), or (False, None) when it failed: the parent then works that home itself."""
    assert _JOB is not None, "set before the workers were forked"
    job, context = _JOB
    try:
        return True, job(context, home_id)
    except Exception:  # noqa: BLE001 - whatever it was, the parent raises it again itself
        return False, None
