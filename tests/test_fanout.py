"""Work spread over forked workers gives what one process gives, in the same order, and fails loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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


def _numbers_then(error: BaseException | None, count: int = 5):
    for n in range(count):
        yield os.getpid(), n
    if error is not None:
        raise error


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def test_items_read_ahead_come_from_another_process_in_order(monkeypatch):
    monkeypatch.setenv("REG44_WORKERS", "2")
    got = list(fanout.ahead(_numbers_then(None)))
    assert [n for _, n in got] == [0, 1, 2, 3, 4]
    assert {pid for pid, _ in got} != {os.getpid()}


@pytest.mark.parametrize("error, raised, message", [
    (ValueError("bad home"), ValueError, "bad home"),
    (_Unpicklable(1, 2), RuntimeError, "_Unpicklable: 1 and 2"),
])
def test_what_the_reader_raises_is_raised_where_its_item_would_have_come(monkeypatch, error, raised, message):
    monkeypatch.setenv("REG44_WORKERS", "2")
    seen = []
    with pytest.raises(raised, match=message):
        for _, n in fanout.ahead(_numbers_then(error)):
            seen.append(n)
    assert seen == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_leaves_no_reader_behind(monkeypatch):
    import multiprocessing

    monkeypatch.setenv("REG44_WORKERS", "2")
    items = fanout.ahead(_numbers_then(None, 10_000))
    assert next(items)[1] == 0
    items.close()
    assert multiprocessing.active_children() == []


def _load(folder: Path, bundle: Path, workers: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REG44_WORKERS": workers}
    return subprocess.run([sys.executable, "-m", "visitor", "--data", str(folder), "load", str(bundle)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("spoil", ["a visit refused", "a home twice", "broken JSON"])
def test_a_bundle_refused_late_is_refused_alike_with_or_without_a_reader(tmp_path, spoil):
    """The homes after the first few are parsed and checked in a forked reader: a refusal there must read as
    it does without one, and leave the folder as it was."""
    import json

    bundle = tmp_path / "bundle.json"
    write_bundle(bundle, fanout.MIN_HOMES + 4, 3)
    data = json.loads(bundle.read_text())
    late = fanout.MIN_HOMES + 2
    if spoil == "a visit refused":
        data["homes"][late]["visits"][1]["answers"]["restraints"] = -4
    elif spoil == "a home twice":
        data["homes"][late]["home"] = data["homes"][1]["home"]
    text = json.dumps(data)
    if spoil == "broken JSON":
        cut = text.index(data["homes"][late]["home"]["id"])
        text = text[:cut] + "}{" + text[cut:]
    bundle.write_text(text)
    results = {}
    for workers in ("1", "2"):
        done = _load(tmp_path / f"data-{workers}", bundle, workers)
        assert done.returncode != 0
        assert not list((tmp_path / f"data-{workers}" / "homes").glob("*.json")), "nothing written"
        results[workers] = done.stderr.replace(str(tmp_path / f"data-{workers}"), "DATA")
    assert results["1"] == results["2"] and results["1"].strip()


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the workers end")
def test_workers_end_when_the_load_that_forked_them_is_killed(tmp_path):
    """A worker waits for its next home; with its parent killed mid-load it waited for ever."""
    import signal
    import time

    script = tmp_path / "hang.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from visitor import fanout

        def job(context, home_id):
            sys.stdout.write(f"{os.getpid()}\\n")  # one write (even unbuffered): two workers never interleave
            sys.stdout.flush()
            time.sleep(60)

        for _ in fanout.each(job, None, [f"h{n}" for n in range(10)]):
            pass
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "REG44_WORKERS": "2"})
    workers = {int(proc.stdout.readline()) for _ in range(2)}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while not all(map(_ended, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(_ended, workers))


def test_a_forked_process_never_holds_the_folder_lock(tmp_path):
    """flock belongs to the open file: a child that kept its copy kept the folder locked after the parent
    that took it had let go (or been killed)."""
    import signal

    from visitor.store import Store

    store = Store(tmp_path)
    store.save_settings({})  # a write takes the lock
    assert store.lock.held
    ready, tell = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child says it runs (fork's hooks have run), then waits to be killed
        os.write(tell, b"!")
        signal.pause()
        os._exit(0)
    try:
        assert os.read(ready, 1) == b"!"
        store.close()
        other = Store(tmp_path)
        other.save_settings({})  # refused with LockedError while the child kept the lock
        assert other.lock.held
        other.close()
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(ready)
        os.close(tell)


def _kills_itself_on_h5(context: dict, home_id: str) -> int:
    if home_id == "h5":
        os.kill(os.getpid(), 9)  # as the out-of-memory killer or a stray `kill -9` would
    return 1


class _NamedError(Exception):
    """An error whose ``__init__`` takes other arguments than its message: unpickling it fails."""

    def __init__(self, home_id: str, why: str):
        super().__init__(f"{home_id}: {why}")


def _unpicklable_error_on_h5(context: dict, home_id: str) -> int:
    if home_id == "h5":
        raise _NamedError(home_id, "its visits cannot be replayed")
    return 1


def _fan_out_in_a_child(job: str) -> subprocess.CompletedProcess:
    """Run ``fanout.each`` in its own process, so a fan-out that waits forever fails the test, not the run."""
    code = ("import sys, test_fanout\nfrom visitor import fanout\n"
            f"try:\n    list(fanout.each(test_fanout.{job}, {{}}, test_fanout.HOMES))\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    env = {**os.environ, "REG44_WORKERS": "2",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_a_worker_that_dies_fails_the_fan_out_instead_of_leaving_it_waiting():
    done = _fan_out_in_a_child("_kills_itself_on_h5")
    assert done.stdout.startswith("WorkerLost a worker process ended unexpectedly"), done.stderr


def test_an_error_that_cannot_cross_between_processes_is_raised_as_one_process_raises_it():
    done = _fan_out_in_a_child("_unpicklable_error_on_h5")
    assert done.stdout.strip() == "_NamedError h5: its visits cannot be replayed", done.stderr


@pytest.mark.parametrize("asked", ["0", "-1", "abc", "", "²", "2.5"])
def test_a_worker_count_that_is_not_a_whole_number_of_one_or_more_means_the_default(monkeypatch, asked):
    monkeypatch.delenv("REG44_WORKERS", raising=False)
    default = fanout.workers()
    monkeypatch.setenv("REG44_WORKERS", asked)
    assert fanout.workers() == default


def _dies_after_one():
    yield 1
    os.kill(os.getpid(), 9)
    yield 2


def test_a_reader_that_dies_fails_with_a_one_line_error_not_a_traceback(monkeypatch):
    monkeypatch.setenv("REG44_WORKERS", "2")
    with pytest.raises(ChildProcessError, match="ended unexpectedly"):
        list(fanout.ahead(_dies_after_one()))
