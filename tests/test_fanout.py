"""Work spread over forked workers gives what one process gives, in the same order, and fails loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from visitor import fanout
from visitor.bench.run import write_bundle

HOMES = [f"h{n}" for n in range(fanout.MIN_HOMES + 3)]


def _pid_and_square(context: dict, home_id: str) -> tuple[int, int]:
    return os.getpid(), context[home_id] ** 2


def _fails_on_h5(context: dict, home_id: str) -> int:
    if home_id == "h5":
        raise ValueError("h5 is broken")
    return 1


def test_workers_answer_in_the_order_asked_from_other_processes(monkeypatch):
    monkeypatch.setenv("REG44_WORKERS", "2")
    context = {h: n for n, h in enumerate(HOMES)}
    results = list(fanout.each(_pid_and_square, context, HOMES))
    assert [h for h, _ in results] == HOMES
    assert [square for _, (_, square) in results] == [n * n for n in range(len(HOMES))]
    assert os.getpid() not in {pid for _, (pid, _) in results}


@pytest.mark.parametrize("why", ["one worker asked", "too few homes", "another thread running"])
def test_the_work_stays_in_this_process_where_forking_does_not_help_or_is_unsafe(monkeypatch, why):
    monkeypatch.setenv("REG44_WORKERS", "1" if why == "one worker asked" else "2")
    homes = HOMES[: fanout.MIN_HOMES - 1] if why == "too few homes" else HOMES
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait) if why == "another thread running" else None
    if thread:
        thread.start()
    try:
        results = list(fanout.each(_pid_and_square, {h: 1 for h in homes}, homes))
    finally:
        stop.set()
    assert {pid for _, (pid, _) in results} == {os.getpid()}


def test_a_failing_home_fails_the_whole_fan_out(monkeypatch):
    monkeypatch.setenv("REG44_WORKERS", "2")
    with pytest.raises(ValueError, match="h5 is broken"):
        list(fanout.each(_fails_on_h5, {}, HOMES))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "reg44.lock" and ".journal" not in p.parts and "backups" not in p.parts}


def test_a_load_writes_the_same_bytes_with_one_worker_or_several(tmp_path):
    """Run as the CLI runs (its own process, its own hash seed), so the files must not depend on either."""
    bundle = tmp_path / "bundle.json"
    write_bundle(bundle, fanout.MIN_HOMES + 2, 14)
    written = {}
    for workers in ("1", "2"):
        folder = tmp_path / f"data-{workers}"
        env = {**os.environ, "REG44_WORKERS": workers, "PYTHONHASHSEED": workers}
        done = subprocess.run([sys.executable, "-m", "visitor", "--data", str(folder), "load", str(bundle)],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        written[workers] = _files(folder)
    assert written["1"].keys() == written["2"].keys()
    assert any(name.startswith("homes/") for name in written["1"])
    assert [name for name in written["1"] if written["1"][name] != written["2"][name]] == []
