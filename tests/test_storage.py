"""The file layer: strict reads, atomic writes, multi-file commits with repair, snapshots, lock, path safety."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from helpers import add_child, add_home, complete, monthly
from visitor import workflow
from visitor.model import ValidationError
from visitor.storage import DataFileError, DataLock, LockedError, SchemaTooNewError, atomic_write, read_tables
from visitor.storage import journal
from visitor.storage.paths import UnsafeName, inside, private_dir, safe_name
from visitor.storage.snapshots import Snapshots, retained
from visitor.store import Store

from visitor.checklist import load_shipped as _shipped

# the checklist version a new visit snapshots into the data folder
CHECKLIST_FILE = f"checklists/closed-culture.v{_shipped().version}.json"


def test_round_trip_is_stamped_and_private(store, data_dir):
    add_home(store, name="Ünïcode ✓ House")
    data = json.loads((data_dir / "index.json").read_text(encoding="utf-8"))
    assert data["_meta"]["1"]["schema"] == 1
    assert Store(data_dir, readonly=True).homes()[0].name == "Ünïcode ✓ House"
    assert os.stat(data_dir / "index.json").st_mode & 0o777 == 0o600
    assert not list(data_dir.rglob("*.tmp")) and not journal.pending(data_dir)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"), (b'{"t": {"1": {"a": 1}', "not valid JSON"), (b"not json", "not valid JSON"),
    (b"[1, 2]", "not a reg44 data file"), (b'{"t": [1, 2]}', "not a set of records"),
    (b'{"t": {"1": {}}, "_meta": {"1": {"schema": 99}}}', "newer reg44"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"), (b'{"a": ' * 100 + b"1" + b"}" * 100, "nested too deeply"),
    (b'{"homes": {"1": {"id": "x", "name": 5}}}', "record 1 of 'homes' is not valid"),
    (b'{"homes": {"1": {"id": "../../x", "name": "X"}}}', "record 1 of 'homes' is not valid"),
])
def test_broken_index_raises_and_is_left_untouched(store, data_dir, content, reason):
    path = data_dir / "index.json"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=reason) as info:
        add_home(store)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content


@pytest.mark.parametrize("row, reason", [
    ({"home_id": 5}, "no text 'home_id'"),
    ({"answers": []}, "'answers' that is not a mapping"),
    ({"recommendations": ["text"]}, "'recommendations' that is not an object"),
    ({"child_answers": {"c1": "yes"}}, "per-child answers"),
    ({"checklist_version": "1"}, "checklist_version"),
])
def test_visit_of_the_wrong_shape_is_a_data_file_error(store, data_dir, row, reason):
    add_home(store)
    visit = store.start_visit("test-home", monthly(1)[0])
    path = data_dir / "drafts" / "test-home.json"
    data = json.loads(path.read_text())
    data["draft"]["1"].update(row)
    path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match=reason):
        Store(data_dir, readonly=True).draft("test-home")
    assert visit


def test_links_and_folders_are_refused_never_followed(store, data_dir, tmp_path):
    add_home(store)
    store.close()
    outside = tmp_path / "outside.json"
    outside.write_text("precious")
    draft = data_dir / "drafts"
    draft.mkdir(exist_ok=True)
    (draft / "test-home.json").symlink_to(outside)
    with pytest.raises(DataFileError, match="symbolic link"):
        Store(data_dir).start_visit("test-home", monthly(1)[0])
    assert outside.read_text() == "precious"
    (draft / "test-home.json").unlink()
    (draft / "test-home.json").mkdir()
    with pytest.raises(DataFileError, match="folder"):
        Store(data_dir).draft("test-home")
    assert any("folder" in str(p) for p in Store(data_dir).broken_files())


def test_symlinked_lock_is_not_followed(tmp_path):
    scratch = tmp_path / "scratch.txt"
    scratch.write_text("keep me")
    root = private_dir(tmp_path / "data")
    (root / "reg44.lock").symlink_to(scratch)
    with pytest.raises(DataFileError, match="symbolic link"):
        DataLock(root).acquire()
    assert scratch.read_text() == "keep me"


def test_newer_schema_is_its_own_error(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"_meta": {"1": {"schema": 7}}}')
    with pytest.raises(SchemaTooNewError):
        read_tables(path)


def test_version_zero_file_is_migrated(store, data_dir):
    (data_dir / "index.json").write_text('{"homes": {}}')
    add_home(store)
    assert json.loads((data_dir / "index.json").read_text())["_meta"]["1"]["schema"] == 1


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/b", "x\x00y", "nl\n", "..", ".hidden", "a" * 101, "",
                                 "ünï", "a..b", "C:\\x"])
def test_unsafe_names_are_refused(tmp_path, bad):
    with pytest.raises(UnsafeName):
        safe_name(bad)
    with pytest.raises(UnsafeName):
        inside(tmp_path, bad, suffix=".json")


def test_safe_names_stay_inside(tmp_path):
    assert inside(tmp_path, "closed-culture.v2", suffix=".json") == tmp_path / "closed-culture.v2.json"


def test_private_dir_makes_missing_parents_owner_only_and_leaves_existing_alone(tmp_path):
    old = os.umask(0)
    try:
        mine = tmp_path / "mine"
        mine.mkdir(mode=0o755)
        os.chmod(mine, 0o755)
        private_dir(mine / "a" / "b")
    finally:
        os.umask(old)
    assert os.stat(mine).st_mode & 0o777 == 0o755
    assert os.stat(mine / "a").st_mode & 0o777 == 0o700
    assert os.stat(mine / "a" / "b").st_mode & 0o777 == 0o700


def test_transaction_commits_several_files_once_or_not_at_all(store, data_dir):
    add_home(store)
    with pytest.raises(RuntimeError):
        with store.transaction():
            add_home(store, "second", "Second House")
            add_child(store, "second", "AB")
            raise RuntimeError("interrupted")
    assert [h.id for h in Store(data_dir, readonly=True).homes()] == ["test-home"]
    assert not (data_dir / "homes" / "second.json").exists()
    with store.transaction():
        add_home(store, "second", "Second House")
        add_child(store, "second", "AB")
        assert [c.code for c in store.children("second")] == ["AB"], "reads see the transaction's own writes"
    fresh = Store(data_dir, readonly=True)
    assert len(fresh.homes()) == 2 and [c.code for c in fresh.children("second")] == ["AB"]


def _stage_two(root: Path, commit: bool) -> None:
    staging = journal.Staging(root)
    staging.stage(root / "index.json", b'{"homes": {}, "_meta": {"1": {"schema": 1}}}')
    staging.stage(root / "homes" / "x.json", b'{"children": {}}')
    if commit:  # commit point reached, moves not yet made: as if killed right after the manifest's rename
        atomic_write(staging.folder / journal.MANIFEST, json.dumps({
            "writes": [[n, r] for r, n in staging.writes.items()], "deletes": []}).encode())


@pytest.mark.parametrize("committed", [True, False])
def test_repair_on_open_finishes_or_rolls_back(store, data_dir, committed):
    add_home(store)
    store.close()
    before = (data_dir / "index.json").read_bytes()
    _stage_two(data_dir, committed)
    reopened = Store(data_dir)
    assert reopened.repaired and not journal.pending(data_dir)
    if committed:
        assert reopened.homes() == [] and (data_dir / "homes" / "x.json").exists()
    else:
        assert (data_dir / "index.json").read_bytes() == before and not (data_dir / "homes" / "x.json").exists()
    reopened.close()


def test_journal_refuses_paths_outside_the_folder(store, data_dir, tmp_path):
    add_home(store)
    store.close()
    folder = journal.Staging(data_dir).folder
    (folder / "0.data").write_bytes(b"pwned")
    (folder / journal.MANIFEST).write_text(json.dumps({"writes": [["0.data", "../outside.json"]], "deletes": []}))
    with pytest.raises(ValidationError):
        journal.apply(data_dir, folder)
    assert not (tmp_path / "outside.json").exists()


def test_snapshot_is_consistent_and_restorable_whole(store, data_dir):
    add_home(store)
    add_child(store, "test-home", "AB")
    store.snapshots.take()
    add_child(store, "test-home", "CD")
    add_home(store, "later", "Later House")
    add_child(store, "later", "EF")
    snap = store.snapshots.list()[0]
    assert {"index.json", "homes/test-home.json"} <= set(snap.files)
    store.restore_snapshot(snap.name)
    fresh = Store(data_dir, readonly=True)
    assert [c.code for c in fresh.children("test-home")] == ["AB"]
    assert [h.id for h in fresh.homes()] == ["test-home"] and not (data_dir / "homes" / "later.json").exists()
    assert list((data_dir / "aside").rglob("later.json")), "what was replaced is kept aside"


def test_restore_broken_file_keeps_it_aside_and_settings_and_checklists_are_covered(store, data_dir):
    add_home(store)
    store.set_profile(name="Visitor V")
    store.start_visit("test-home", monthly(1)[0])
    store.snapshots.take()
    for rel in ("settings.json", CHECKLIST_FILE, "drafts/test-home.json"):
        (data_dir / rel).write_bytes(b"{broken")
    broken = {p.path for p in store.broken_files()}
    assert {data_dir / "settings.json", data_dir / "drafts" / "test-home.json",
            data_dir / CHECKLIST_FILE} <= broken
    store.restore_files(sorted(broken))
    assert store.broken_files() == [] and store.profile()["name"] == "Visitor V"
    assert len(list((data_dir / "aside").rglob("*.json"))) == len(broken)


def test_restore_refuses_to_replace_a_newer_schema_file(store, data_dir):
    add_home(store)
    store.snapshots.take()
    newer = b'{"_meta": {"1": {"schema": 99}}, "homes": {}}'
    (data_dir / "index.json").write_bytes(newer)
    with pytest.raises(ValidationError, match="newer reg44"):
        store.restore_files([data_dir / "index.json"])
    assert (data_dir / "index.json").read_bytes() == newer


def test_snapshots_are_kept_by_age():
    now = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)
    stamps = [now - timedelta(minutes=10 * i) for i in range(6)]  # the last hour
    stamps += [now - timedelta(days=d, hours=h) for d in range(1, 20) for h in (1, 5)]  # two a day
    keep = retained(stamps, now)
    assert all(s in keep for s in stamps[:6])
    days = [s for s in keep if timedelta(hours=1) < now - s <= timedelta(days=14)]
    assert len(days) == len({s.date() for s in days}) >= 13, "one a day for two weeks"
    assert max(stamps) in keep


def test_a_burst_of_commands_does_not_rotate_out_older_backups(store, data_dir):
    add_home(store)
    snaps = Snapshots(data_dir)
    base = datetime.now(timezone.utc) - timedelta(days=3)
    snaps.take(base)
    for n in range(8):
        add_child(store, "test-home", f"C{n}")
        snaps.take(datetime.now(timezone.utc) - timedelta(seconds=8 - n))
    assert base in {s.taken for s in snaps.list()}


def test_lock_excludes_second_writer_and_is_not_stale(tmp_path):
    first = DataLock(tmp_path)
    first.acquire()
    second = DataLock(tmp_path)
    with pytest.raises(LockedError, match=str(os.getpid())):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    code = textwrap.dedent(f"""
        from visitor.storage import DataLock
        DataLock({str(tmp_path)!r}).acquire()
        print("held", flush=True)
        import time; time.sleep(60)
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


def test_failed_finalise_leaves_draft_and_history_untouched(store, data_dir, monkeypatch):
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", monthly(1)[0]))
    store.save_draft(visit)
    before = {p: p.read_bytes() for p in data_dir.rglob("*.json") if "backups" not in p.parts}
    from visitor.storage import journal as journal_module

    def fail(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(journal_module.Staging, "commit", fail)
    with pytest.raises(OSError):
        workflow.finalise(store, visit)
    after = {p: p.read_bytes() for p in data_dir.rglob("*.json") if "backups" not in p.parts}
    assert after == before and not journal.pending(data_dir)
    assert store.has_draft("test-home") and store.visits("test-home") == []


def test_cli_warns_when_the_data_folder_is_open_to_others_and_leaves_its_mode(tmp_path):
    from conftest import run_cli

    root = tmp_path / "shared-data"
    root.mkdir()
    os.chmod(root, 0o755)
    r = run_cli("homes", data=root)
    assert r.returncode == 0 and "other users can open" in r.stderr
    assert os.stat(root).st_mode & 0o777 == 0o755, "an existing folder keeps its mode"


@pytest.mark.parametrize("bad", ["../../outside", "/etc/passwd", "a\nb"])
def test_cli_ids_never_reach_a_path(tmp_path, bad):
    from conftest import run_cli

    root = tmp_path / "data"
    for args in (["child", "add", bad, "--code", "AB", "--authority", "X", "--admitted", "2020-01-01"],
                 ["start", bad], ["erase-child", bad, "c1", "--reason", "r"]):
        r = run_cli(*args, data=root)
        assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "outside.json").exists() and not list(tmp_path.glob("*.json"))


def test_files_staged_without_fsync_are_synced_before_the_commit_point(tmp_path, monkeypatch):
    """A load stages each home without fsync (it is staged again when refreshed); the commit must still
    make every staged file durable before the manifest that makes the change happen."""
    import os as _os

    from visitor.storage import journal

    synced: list[str] = []
    real_fsync = _os.fsync

    def recording_fsync(fd):
        synced.append(_os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    staging = journal.Staging(tmp_path)
    staging.stage(tmp_path / "homes" / "a.json", b'{"a": 1}', sync=False)
    staging.stage(tmp_path / "homes" / "a.json", b'{"a": 2}', sync=False)  # restaged: the first never synced
    staging.stage(tmp_path / "homes" / "b.json", b'{"b": 1}')
    monkeypatch.setattr(_os, "fsync", recording_fsync)
    staging.commit()
    staged_a = [p for p in synced if p.endswith(".data")]
    manifest = next(n for n, p in enumerate(synced) if p.endswith(journal.MANIFEST) or ".COMMIT" in p)
    assert len(staged_a) == 1 and synced.index(staged_a[0]) < manifest
    assert (tmp_path / "homes" / "a.json").read_bytes() == b'{"a": 2}'


def test_restaging_many_files_never_reuses_a_staged_name(tmp_path, monkeypatch):
    """Names were the number of files staged plus two random bytes; after a restage the number repeats,
    so a load restaging 200 homes hit an existing name ("File exists") about one time in three."""
    from visitor.storage import journal

    monkeypatch.setattr(journal.secrets, "token_hex", lambda n: "00" * n)  # the worst luck, every time
    staging = journal.Staging(tmp_path)
    for round_ in range(3):
        for n in range(5):
            staging.stage(tmp_path / "homes" / f"h{n}.json", f'{{"r": {round_}}}'.encode(), sync=False)
    staging.commit()
    assert (tmp_path / "homes" / "h4.json").read_bytes() == b'{"r": 2}'
