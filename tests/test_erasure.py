"""erase-child reaches every copy the folder holds, in every spelling, once, and says what it did.

Interrupting it at every write boundary (and SIGKILL storms) is in test_atomicity.py and test_crash_storm.py:
there the snapshots and aside copies are part of the state that must be exactly before or after.
"""

from __future__ import annotations

import json
import shutil

from conftest import run_cli
from crash_templates import ERASED_CODE, HOME, build_small

from visitor.storage.snapshots import Snapshots
from visitor.store import Store

# How the template's notes and views name the child "AB" (its id is c-one, which says nothing of the code).
NAMING = ["ab was calm", "A.B. signed", "A B's keyworker", "AB left early", "AB likes football", "ab seemed settled",
          f'"code":"{ERASED_CODE}"']
KEPT = ["was calm", "signed the form", "keyworker stayed", "left early", "seemed settled"]


def _every_file(root):
    return {p: p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()}


def _naming(root) -> dict:
    found = {}
    for path, text in _every_file(root).items():
        hits = [phrase for phrase in NAMING if phrase in text.replace(": ", ":")]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def _folder(data_dir):
    build_small(data_dir)
    assert set(_naming(data_dir)) >= {"homes/test-home.json", "drafts/test-home.json"}
    tops = {k.split("/")[0] for k in _naming(data_dir)}
    assert {"backups", "aside"} <= tops, "the template has copies holding the child"
    return data_dir


def test_erasure_reaches_live_files_snapshots_aside_and_every_spelling(data_dir):
    root = _folder(data_dir)
    snapshots_before = {s.name for s in Snapshots(root).list()}
    r = run_cli("erase-child", HOME, "c-one", "--reason", "Request under data protection law", data=root)
    assert r.returncode == 0, r.stderr
    assert _naming(root) == {}, "no file anywhere in the folder still names the child"
    text = "\n".join(_every_file(root).values())
    assert all(word in text for word in KEPT), "the rest of what the visitor wrote is kept"
    assert '"code":"CD"' in text.replace(": ", ":"), "other children are untouched"
    store = Store(root, readonly=True)
    assert {s.name for s in store.snapshots.list()} == snapshots_before, "erasure takes no backup of its own"
    record = store.erasures(HOME)[-1]
    assert record["child_id"] == "c-one" and record["reason"] == "Request under data protection law"
    assert record["visits"] == 3 and record["copies"] >= 2, record  # two finals and the draft; snapshot + aside
    assert [c.code for c in store.children(HOME) if c.id == "c-one"] == ["[erased]"]
    assert all(v["child_answers"]["c-one"]["seen_alone"] == "no" for v in store.visits(HOME)), "counts are kept"


def test_erasure_is_idempotent_and_no_later_backup_brings_the_child_back(data_dir):
    root = _folder(data_dir)
    assert run_cli("erase-child", HOME, "c-one", "--reason", "Request", data=root).returncode == 0
    first = {p: t for p, t in _every_file(root).items() if p.name != "reg44.lock"}
    r = run_cli("erase-child", HOME, "c-one", "--reason", "Asked again", data=root)
    assert r.returncode == 0, r.stderr
    store = Store(root, readonly=True)
    assert [(e["visits"], e["copies"]) for e in store.erasures(HOME)][-1] == (0, 0), "nothing was left to erase"
    second = {p: t for p, t in _every_file(root).items() if p.name != "reg44.lock"}
    changed = {str(p.relative_to(root)) for p in set(first) | set(second) if first.get(p) != second.get(p)}
    assert changed == {f"homes/{HOME}.json", f"outlines/{HOME}.json"}, "a second run only adds its record"
    # The next ordinary command takes a fresh snapshot (the newest is hours old): it must hold no trace either.
    assert run_cli("profile", "--name", "Visitor V", data=root).returncode == 0
    assert len(Snapshots(root).list()) == 2
    assert _naming(root) == {}


def test_a_copy_that_cannot_be_scrubbed_is_removed(data_dir):
    root = _folder(data_dir)
    snap = Snapshots(root).list()[-1]
    copy = snap.path_of(f"homes/{HOME}.json")
    truncated = copy.read_bytes()[:-40]
    copy.unlink()  # the copy may be a hard link shared with another snapshot
    copy.write_bytes(truncated)
    r = run_cli("erase-child", HOME, "c-one", "--reason", "Request", data=root)
    assert r.returncode == 0, r.stderr
    assert not copy.exists() and _naming(root) == {}


def test_erasure_does_not_follow_a_planted_link_among_the_copies(data_dir, tmp_path):
    root = _folder(data_dir)
    outside = tmp_path / "outside.json"
    shutil.copy(root / "homes" / f"{HOME}.json", outside)
    precious = outside.read_bytes()
    planted = root / "backups" / "20200101T000000000000Z" / "homes" / f"{HOME}.json"
    planted.parent.mkdir(parents=True)
    planted.symlink_to(outside)
    (planted.parent.parent / "MANIFEST").write_text(json.dumps({"files": [f"homes/{HOME}.json"]}))
    r = run_cli("erase-child", HOME, "c-one", "--reason", "Request", data=root)
    assert r.returncode == 0, r.stderr
    assert outside.read_bytes() == precious, "a link is never written through"


def test_erasure_keeps_record_ids_and_child_tokens_whole(store):
    """A child id that contains the code (the demo's "oak-ab") must not be rewritten inside flag keys."""
    from helpers import add_home
    from visitor.model import Child

    add_home(store)
    child = store.add_child("test-home", Child("tes-ab", "test-home", "AB", "Testshire Council",
                                               admitted="2016-01-01"))
    store.save_flags("test-home", [{"key": "no_advocate:tes-ab", "title": "No advocate", "raised_on": "2024-01-01",
                                    "evidence": "{child:tes-ab} has no advocate; AB said so", "children": ["tes-ab"]}])
    store.erase_child("test-home", child.id, "Request")
    flag = store.flags("test-home")[0]
    assert flag["key"] == "no_advocate:tes-ab" and flag["children"] == ["tes-ab"]
    assert flag["evidence"] == "{child:tes-ab} has no advocate; [erased] said so"
