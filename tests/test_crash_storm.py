"""SIGKILL storms: finalise, erase-child and load killed at random instants, the folder always before or after.

The deterministic tests (test_atomicity.py) reach every write boundary; this one kills real processes at
moments no one chose, including at once (before the first write) and after the operation has finished.
One process that has imported everything forks a child per kill, so each costs milliseconds. Set
``REG44_STORM_KILLS`` for more kills per operation (default 100).
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from crash_templates import operations, with_store
from faults import fresh_copy, reopen_and_judge

KILLS = int(os.environ.get("REG44_STORM_KILLS", "100"))


def _start(work, action) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is killed or exits; it never returns to pytest
        code = 0
        try:
            with_store(work, action)
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    return pid


def _duration(work, action) -> float:
    started = time.monotonic()
    pid = _start(work, action)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.monotonic() - started


@pytest.mark.parametrize("name", ["finalise", "erase-child", "load"])
def test_sigkill_storm_leaves_before_or_after(templates, scratch, name):
    folders, bundle_data = templates
    template_name, action, copies = operations(bundle_data)[name]
    template = folders[template_name]
    work = scratch / "w"
    before = reopen_and_judge(fresh_copy(template, work), copies=copies)
    took = min(_duration(fresh_copy(template, work), action) for _ in range(3))  # the least a busy machine allows
    after = reopen_and_judge(work, copies=copies)
    assert after[0] != before[0] and not after[1]
    rng = random.Random(f"storm-{name}")
    seen = {"before": 0, "after": 0}
    for kill in range(KILLS):
        work = fresh_copy(template, scratch / "w")
        delay = 0.0 if kill % 10 == 0 else rng.uniform(0, took)  # every tenth: before its first write
        pid = _start(work, action)
        if delay:
            time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        state, problems = reopen_and_judge(work, copies=copies)
        assert state in (before[0], after[0]), f"{name}: kill {kill} after {delay:.4f}s left neither before nor after"
        which = "before" if state == before[0] else "after"
        assert problems == (before[1] if which == "before" else after[1]), f"{name}: kill {kill}: check says {problems}"
        seen[which] += 1
    assert sum(seen.values()) == KILLS
    print(f"{name}: {seen} (operation took {took:.3f}s)")
