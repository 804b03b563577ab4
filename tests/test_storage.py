import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from visitor.storage import (AtomicStorage, Backups, DataFileError, DataLock, LockedError, SchemaTooNewError,
                             atomic_write, read_tables)
from tinydb import TinyDB


def test_round_trip_is_stamped_and_private(tmp_path):
    path = tmp_path / "f.json"
    db = TinyDB(path, storage=AtomicStorage)
    db.table("t").insert({"a": "ünï ✓"})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["_meta"]["1"]["schema"] == 1
    assert TinyDB(path, storage=AtomicStorage).table("t").all() == [{"a": "ünï ✓"}]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"), (b'{"t": {"1": {"a": 1}', "not valid JSON"), (b"not json", "not valid JSON"),
    (b"[1, 2]", "not a reg44 data file"), (b'{"t": [1, 2]}', "not a set of records"),
    (b'{"t": {"1": {}}, "_meta": {"1": {"schema": 99}}}', "newer reg44"),
])
def test_broken_files_raise_and_are_left_untouched(tmp_path, content, reason):
    path = tmp_path / "f.json"
    path.write_bytes(content)
    db = TinyDB(path, storage=AtomicStorage)
    with pytest.raises(DataFileError, match=reason) as info:
        db.table("t").insert({"b": 2})
    assert str(path) in str(info.value)
    assert path.read_bytes() == content


def test_newer_schema_is_its_own_error(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"_meta": {"1": {"schema": 7}}}')
    with pytest.raises(SchemaTooNewError):
        read_tables(path)


def test_version_zero_file_is_migrated(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"t": {"1": {"a": 1}}}')
    db = TinyDB(path, storage=AtomicStorage)
    assert db.table("t").all() == [{"a": 1}]
    db.table("t").insert({"a": 2})
    assert json.loads(path.read_text())["_meta"]["1"]["schema"] == 1


def test_backups_roll_and_restore(tmp_path):
    path = tmp_path / "f.json"
    backups = Backups(tmp_path, tmp_path / "backups", keep=3, interval=0)
    db = TinyDB(path, storage=AtomicStorage, backups=backups)
    for n in range(6):
        db.table("t").insert({"n": n})
    assert len(backups.list(path)) == 3
    path.write_text("garbage")
    used = backups.restore(path)
    assert used == backups.list(path)[0]
    assert len(TinyDB(path, storage=AtomicStorage).table("t").all()) == 5
    assert any(p.name.startswith("f.json.broken-") for p in tmp_path.iterdir())


def test_lock_excludes_second_writer_and_is_not_stale(tmp_path):
    first = DataLock(tmp_path)
    first.acquire()
    second = DataLock(tmp_path)
    with pytest.raises(LockedError, match=str(os.getpid())):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    # a holder that dies without releasing does not lock the visitor out
    code = textwrap.dedent(f"""
        import os, time
        from visitor.storage import DataLock
        DataLock({str(tmp_path)!r}).acquire()
        print("held", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(LockedError):
        DataLock(tmp_path).acquire()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lock = DataLock(tmp_path)
    lock.acquire()
    lock.release()


def test_crash_mid_save_leaves_previous_state(tmp_path):
    """Kill a writer that is part-way through writing its temp file: the old state survives."""
    path = tmp_path / "f.json"
    atomic_write(path, json.dumps({"t": {"1": {"v": "old"}}}).encode())
    code = textwrap.dedent(f"""
        import os, sys
        from visitor import storage
        real_write = os.write
        def slow_write(fd, data):
            n = real_write(fd, bytes(data[:10]))
            print("partial", flush=True)
            sys.stdin.readline()
            return n
        storage.os.write = slow_write
        storage.atomic_write(__import__("pathlib").Path({str(path)!r}), b'{{"t": {{"1": {{"v": "new"}}}}}}' + b" " * 100)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "partial"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert read_tables(path)["t"]["1"]["v"] == "old"
