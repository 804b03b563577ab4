"""Backups through the real command: kept by age, listed, every file kind restorable, no window without a
file, and never an older copy over a newer reg44's file."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest
from conftest import run_cli
from crash_templates import HOME, build_small
from faults import inject, reopen_and_judge

from visitor.storage.snapshots import Snapshots
from visitor.store import Store

from visitor.checklist import load_shipped as _shipped

# the checklist version a new visit snapshots into the data folder
CHECKLIST_FILE = f"checklists/closed-culture.v{_shipped().version}.json"

KINDS = ["index.json", f"homes/{HOME}.json", f"drafts/{HOME}.json", "settings.json",
         CHECKLIST_FILE]


@pytest.fixture
def folder(data_dir):
    build_small(data_dir)
    store = Store(data_dir)
    store.set_profile(name="Visitor V")
    store.close()
    Snapshots(data_dir).take()
    return data_dir


def test_five_commands_in_a_row_keep_older_backups_and_list_them(data_dir):
    build_small(data_dir)
    snaps = Snapshots(data_dir)
    shutil.rmtree(data_dir / "backups")
    now = datetime.now(timezone.utc)
    older = {snaps.take(now - timedelta(days=3)).name, snaps.take(now - timedelta(hours=2)).name}
    for n in range(5):
        r = run_cli("child", "add", HOME, "--code", f"Q{n}", "--authority", "X Council", "--admitted", "2020-01-01",
                    data=data_dir)
        assert r.returncode == 0, r.stderr
    listed = run_cli("restore", "--list", data=data_dir)
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.split()[0].endswith("Z")]
    assert older <= set(names), listed.stdout
    assert len(names) == 3, "one new snapshot for a burst of commands, none rotated out"
    assert names == sorted(names, reverse=True), "newest first"


@pytest.mark.parametrize("rel", KINDS)
def test_every_kind_of_data_file_is_restored_by_the_command(folder, rel):
    path = folder.joinpath(*rel.split("/"))
    good = Snapshots(folder).good_copy(rel)[1]
    assert path.read_bytes() == good
    path.write_bytes(b'{"broken": ')
    r = run_cli("check", data=folder)
    assert r.returncode != 0 and rel.split("/")[-1] in r.stdout
    r = run_cli("restore", data=folder)
    assert r.returncode == 0 and "Restored" in r.stdout, r.stderr
    assert path.read_bytes() == good
    assert [p for p in (folder / "aside").rglob(path.name) if p.read_bytes() == b'{"broken": '], "kept aside"
    assert run_cli("check", data=folder).returncode == 0


def test_restore_never_leaves_a_window_without_the_file(folder, tmp_path):
    for rel in KINDS:
        folder.joinpath(*rel.split("/")).write_bytes(b"")
    images = tmp_path / "images"
    store = Store(folder)
    with inject(mode="image", root=folder, images=images) as proxy:
        store.restore_files([p.path for p in store.broken_files()])
    store.close()
    assert proxy.count > 5
    for at in range(1, proxy.count + 1):
        image = images / str(at)
        missing = [rel for rel in KINDS if not image.joinpath(*rel.split("/")).is_file()]
        assert not missing, f"at boundary {at} of the restore, {missing} did not exist"
        reopen_and_judge(image)  # and a death there repairs to a folder that reads
    assert Store(folder).broken_files() == []


def test_a_newer_schema_file_is_never_restored_over(folder):
    path = folder / "homes" / f"{HOME}.json"
    newer = b'{"_meta": {"1": {"schema": 99}}, "children": {}}'
    path.write_bytes(newer)
    for args in (("restore", str(path)), ("restore", "--snapshot", Snapshots(folder).list()[-1].name), ("restore",)):
        r = run_cli(*args, data=folder)
        assert r.returncode == 2 and "newer reg44" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert path.read_bytes() == newer
