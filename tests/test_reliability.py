"""Tests that attack the app: crashes mid-save, broken files, failed saves, hostile input, privacy."""

from __future__ import annotations

import os
import random
import select
import signal
import time

import pytest

from conftest import run_cli
from helpers import add_child, add_home, monthly
from visitor import bundle, editing
from visitor.autosave import Autosaver
from visitor.checklist import load_shipped
from visitor.storage import DataLock
from visitor.store import Store


def _writer(data_dir, ack_fd):
    """Child process: save answers as fast as possible, acknowledging each completed save."""
    store = Store(data_dir)
    draft = store.draft("test-home")
    n = draft["answers"].get("restraints", 0)
    while True:
        n += 1
        draft["answers"]["restraints"] = n
        draft["notes"]["restraints"] = "x" * (n % 500)
        store.save_draft(draft)
        os.write(ack_fd, f"d{n}\n".encode())
        if n % 25 == 0:
            add_child(store, "test-home", f"C{n}")
            os.write(ack_fd, f"cC{n}\n".encode())


def test_crash_storm_loses_no_acknowledged_save(store, data_dir):
    add_home(store)
    store.start_visit("test-home", monthly(1)[0])
    store.close()
    rng = random.Random(44)
    kills = 0
    last_acked = 0
    acked_children: set[str] = set()
    while kills < 100:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child is killed, never returns
            os.close(read_fd)
            try:
                _writer(data_dir, write_fd)
            finally:
                os._exit(1)
        os.close(write_fd)
        deadline = time.monotonic() + rng.uniform(0.005, 0.08)
        received = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
            if ready:
                received += os.read(read_fd, 65536)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        while chunk := os.read(read_fd, 65536):
            received += chunk
        os.close(read_fd)
        kills += 1
        tokens = received.decode().split()
        acks = [int(x[1:]) for x in tokens if x.startswith("d")]
        acked_children |= {x[1:] for x in tokens if x.startswith("c")}
        if acks:
            last_acked = max(last_acked, acks[-1])
        check = Store(data_dir, readonly=True)
        draft = check.draft("test-home")
        assert draft is not None, f"draft lost after kill {kills}"
        saved = draft["answers"].get("restraints", 0)  # killed before its first save: nothing was acknowledged
        assert saved >= last_acked, f"acknowledged save {last_acked} lost after kill {kills}"
        assert acked_children <= {c.code for c in check.children("test-home")}
        assert check.broken_files() == []
    assert last_acked > 0, "the writer made progress between kills"
    survivor = Store(data_dir)
    survivor.acquire()
    assert not list(data_dir.rglob(".*.tmp")), "temp files of killed writers are swept"
    survivor.close()


def test_second_cli_copy_gets_clear_message_and_changes_nothing(demo_store):
    demo_store.close()
    before = {p: p.read_bytes() for p in demo_store.root.rglob("*.json")}
    holder = DataLock(demo_store.root)
    holder.acquire()
    try:
        r = run_cli("home", "add", "--name", "Intruder", "--urn", "SC100001", "--places", "3", "--registered-on",
                    "2015-01-01", data=demo_store.root)
        assert r.returncode == 2 and "Another copy of reg44" in r.stderr
        r = run_cli("homes", data=demo_store.root)
        assert r.returncode == 0 and "Oak House" in r.stdout, "reading still works"
    finally:
        holder.release()
    assert {p: p.read_bytes() for p in demo_store.root.rglob("*.json")} == before


BROKEN = {
    "empty": b"",
    "truncated": None,
    "not JSON": b"\x00\x01 binary garbage",
    "wrong shape": b'{"visits": ["a", "b"]}',
    "newer schema": b'{"_meta": {"1": {"schema": 999}}, "visits": {}}',
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_clear_message_untouched_and_restorable(demo_store, kind):
    demo_store.close()
    root = demo_store.root
    run_cli("child", "add", "oak-house", "--code", "NW", "--authority", "X Council", "--admitted", "2020-01-01",
            data=root)  # this write takes a backup of the good file first
    path = root / "homes" / "oak-house.json"
    good_children = len(Store(root, readonly=True).children("oak-house"))
    content = BROKEN[kind] if BROKEN[kind] is not None else path.read_bytes()[:200]
    path.write_bytes(content)
    r = run_cli("visits", "oak-house", data=root)
    assert r.returncode == 2 and str(path) in r.stderr and "Traceback" not in r.stderr
    r = run_cli("child", "add", "oak-house", "--code", "QQ", "--authority", "X", "--admitted", "2020-01-01", data=root)
    assert r.returncode == 2
    assert path.read_bytes() == content, "a broken file is never overwritten"
    r = run_cli("restore", data=root)
    if kind == "newer schema":  # not broken: an older backup would lose what the newer reg44 wrote
        assert r.returncode == 2 and "newer reg44" in r.stderr and path.read_bytes() == content
        return
    assert r.returncode == 0 and "Restored" in r.stdout
    assert len(Store(root, readonly=True).children("oak-house")) == good_children - 1
    assert [p for p in (root / "aside").rglob(path.name)], "the broken file is kept aside"


def test_disk_full_save_fails_cleanly_and_retry_saves(store, data_dir, monkeypatch):
    add_home(store)
    visit = store.start_visit("test-home", monthly(1)[0])
    visit["answers"]["restraints"] = 1
    store.save_draft(visit)
    from visitor.storage import files as storage

    real_write = os.write

    def full(fd, data):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(storage.os, "write", full)
    errors = []
    saver = Autosaver(store.save_draft, on_error=errors.append)
    visit["answers"]["restraints"] = 2
    saver.submit(visit)
    assert saver.flush(5) is False and errors and errors[0].errno == 28
    assert Store(data_dir, readonly=True).draft("test-home")["answers"]["restraints"] == 1, "old state intact"
    assert not list(data_dir.rglob(".*.tmp"))
    monkeypatch.setattr(storage.os, "write", real_write)
    saver.retry()
    assert saver.flush(5) is True
    saver.close()
    assert Store(data_dir, readonly=True).draft("test-home")["answers"]["restraints"] == 2


def test_permission_denied_is_reported(store, data_dir, monkeypatch):
    add_home(store)
    visit = store.start_visit("test-home", monthly(1)[0])
    from visitor.storage import files as storage

    def denied(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))
    monkeypatch.setattr(storage.os, "replace", denied)
    visit["answers"]["restraints"] = 3
    with pytest.raises(PermissionError):
        store.save_draft(visit)
    monkeypatch.undo()
    store.save_draft(visit)
    assert Store(data_dir, readonly=True).draft("test-home")["answers"]["restraints"] == 3


HOSTILE_TEXT = ["\x00\x01\x02\x1b[31mred\x1b[0m", "x" * 100_000, "🧒🏽👩‍👩‍👧", "مرحبا עברית", "zero\u200b\u200d\ufeffwidth",
                "../../etc/passwd", "'; DROP TABLE homes; --", "\ud800 lone surrogate"]
HOSTILE_NUMBERS = ["-1", "1e99", "99999999999", "abc", "", " ", "3.5", "NaN", "inf", "0x10", "½"]


def test_hostile_values_through_the_domain(store):
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = store.start_visit("test-home", monthly(1)[0])
    checklist = load_shipped()
    for raw in HOSTILE_NUMBERS:
        error = editing.apply(visit, checklist, "a:restraints", raw)
        if raw.strip() in ("",):
            assert error is None and "restraints" not in visit["answers"]
        else:
            assert error, raw
            assert visit["invalid"]["a:restraints"] == raw
    for raw in HOSTILE_TEXT:
        assert editing.apply(visit, checklist, "n:restraints", raw) is None
        store.save_draft(visit)
        assert store.draft("test-home")["notes"]["restraints"] == raw.replace("\x00", "")
    assert editing.apply(visit, checklist, "a:nonexistent", "1") == "The checklist has no item 'nonexistent'."
    assert editing.apply(visit, checklist, "zz:1", "1").startswith("Unknown field")
    assert editing.apply(visit, checklist, "r:5:text", "x").startswith("There is no recommendation")


def test_hostile_values_through_the_cli_change_nothing(demo_store):
    demo_store.close()
    root = demo_store.root
    before = {p: p.read_bytes() for p in root.rglob("*.json") if "backups" not in p.parts}
    cases = [
        ("home", "add", "--name", "\x01\x1b[2J", "--places", "2"),
        ("home", "add", "--name", "Oak House"),
        ("home", "add", "--name", "Big", "--places", "1e99"),
        ("home", "add", "--name", "Neg", "--places", "-4"),
        ("home", "add", "--name", "Future", "--registered-on", "2999-01-01"),
        ("child", "add", "oak-house", "--code", "Alexander Bartholomew Smith", "--authority", "X", "--admitted", "2020-01-01"),
        ("child", "add", "oak-house", "--code", "AB", "--authority", "X", "--admitted", "2020-01-01"),
        ("child", "add", "oak-house", "--code", "ZZ", "--authority", "X", "--admitted", "not a date"),
        ("child", "add", "oak-house", "--code", "ZZ", "--authority", "X", "--admitted", "2020-01-01", "--miles", "-3"),
        ("start", "oak-house", "--date", "2999-01-01"),
        ("start", "oak-house", "--date", "2001-01-01"),
        ("start", "oak-house", "--date", Store(root, readonly=True).visits("oak-house")[-1]["date"]),
        ("start", "willow-lodge"),
        ("finalise", "willow-lodge@" + Store(root, readonly=True).draft("willow-lodge")["date"]),
        ("export", "../../etc@2020-01-01", "--audience", "ofsted"),
        ("sent", Store(root, readonly=True).visits("oak-house")[-1]["id"], "--to", "X", "--audience", "nobody"),
    ]
    for args in cases:
        r = run_cli(*args, data=root)
        assert r.returncode in (1, 2), (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip(), args
    after = {p: p.read_bytes() for p in root.rglob("*.json") if "backups" not in p.parts}
    assert after == before


def test_hostile_bundle_refused(tmp_path):
    target = Store(tmp_path / "t")
    bad = [
        [],
        {"format": "reg44-bundle", "version": 1, "checklists": [], "homes": [{"home": {"id": "x", "name": "X"},
                                                                             "visits": [{"id": 1}] * 10}]},
        {"format": "reg44-bundle", "version": 1, "checklists": [{"id": "c"}], "homes": []},
        {"format": "reg44-bundle", "version": 1, "checklists": [], "homes": [{"home": {"id": "x", "name": "X",
                                                                                       "places": "../.."}}]},
        {"format": "reg44-bundle", "version": 1, "checklists": [], "homes": [{"home": {"id": "x", "name": "X"},
                                                                             "children": [{"id": "../a", "home_id": "x",
                                                                                           "code": "AB", "placing_authority": "P",
                                                                                           "admitted": "2020-01-01"}]}]},
    ]
    for data in bad:
        with pytest.raises(bundle.BundleError):
            bundle.load(target, data)
    assert target.homes() == []


def test_erase_child_via_cli_keeps_counts_and_records_it(demo_store):
    demo_store.close()
    root = demo_store.root
    store = Store(root, readonly=True)
    child = store.children("oak-house")[0]
    seen_before = [v["child_answers"].get(child.id, {}).get("seen_alone") for v in store.visits("oak-house")]
    r = run_cli("erase-child", "oak-house", child.id, "--reason", "Request under data protection law", data=root)
    assert r.returncode == 0, r.stderr
    store = Store(root, readonly=True)
    text = (root / "homes" / "oak-house.json").read_text()
    assert f'"code":"{child.code}"' not in text
    assert [v["child_answers"].get(child.id, {}).get("seen_alone") for v in store.visits("oak-house")] == seen_before
    assert all(v["child_answers"].get(child.id, {}).get("views") in (None, "[erased]") for v in store.visits("oak-house"))
    assert store.erasures("oak-house")[0]["reason"] == "Request under data protection law"


def test_everything_written_is_owner_only_and_nothing_logged(demo_store, tmp_path):
    demo_store.close()
    root = demo_store.root
    run_cli("child", "add", "oak-house", "--code", "PQ", "--authority", "X", "--admitted", "2020-01-01", data=root)
    visit = Store(root, readonly=True).visits("oak-house")[-1]
    out = tmp_path / "reports"
    assert run_cli("export", visit["id"], "--audience", "all", "--out", str(out), data=root).returncode == 0
    for base in (root, out):
        for path in [base, *base.rglob("*")]:
            mode = path.stat().st_mode & 0o777
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert not [p for p in root.rglob("*") if p.suffix in (".log", ".txt")]
    assert (root / "backups").is_dir() and any((root / "backups").iterdir())
