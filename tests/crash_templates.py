"""Small data folders to interrupt operations in, and the operations themselves, each a function of the folder.

Templates are built once; every trial copies one (a few milliseconds) so that thousands of interrupted runs
stay fast. The folders hold everything an operation can touch: finals with notes naming a child in several
spellings, a complete draft, an open pattern flag, a two-hour-old snapshot (so that the next commit takes a
fresh one first), an aside copy, and a change made after the snapshot (so that restoring it changes data).
"""

from __future__ import annotations

import copy
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from faults import repeatable_ids
from helpers import add_home, complete, monthly

from visitor import bundle, demo, workflow
from visitor.model import Child
from visitor.storage.snapshots import Snapshots
from visitor.store import Store

HOME = "test-home"
SECOND = "second-home"
ERASED_CODE = "AB"
SPELLINGS = "ab was calm; A.B. signed the form and A B's keyworker stayed; AB left early."


def child(store: Store, home_id: str, child_id: str, code: str, advocate: str = "instructed") -> Child:
    return store.add_child(home_id, Child(child_id, home_id, code, "Testshire Council", "verbal", advocate, 10,
                                          "2016-01-01"))


def build_small(root: Path) -> Path:
    """One home with two finals, a complete draft and an open flag; a second home with no visits."""
    store = Store(root)
    add_home(store)
    add_home(store, SECOND, "Second House")
    child(store, HOME, "c-one", ERASED_CODE, advocate="none")
    child(store, HOME, "c-two", "CD")
    child(store, SECOND, "c-three", "GH")
    days = monthly(3)
    for day in days[:2]:
        visit = store.start_visit(HOME, day)
        visit["child_answers"]["c-one"] = {"seen": "yes", "seen_alone": "no", "consent": "yes",
                                           "communication": "spoke with me", "views": "AB likes football."}
        visit = complete(store, visit)
        visit["notes"]["general"] = SPELLINGS
        store.save_draft(visit)
        workflow.finalise(store, visit)
    draft = complete(store, store.start_visit(HOME, days[2]))
    draft["notes"]["general"] = "ab seemed settled."
    store.save_draft(draft)
    assert workflow.gaps_for(store, draft) == [], "the template's draft is ready to finalise"
    if not [f for f in store.flags(HOME) if not f.get("resolved")]:
        raise AssertionError("the template has an open pattern flag to resolve")
    shutil.rmtree(root / "backups", ignore_errors=True)
    store.snapshots.take(datetime.now(timezone.utc) - timedelta(hours=2))
    store.restore_files([root / "homes" / f"{HOME}.json"])  # leaves an aside copy holding the child
    child(store, SECOND, "c-four", "EF")  # after the snapshot: restoring it changes something
    store.close()
    return root


def build_stale(small: Path, root: Path) -> Path:
    """The small folder whose newest snapshot is two hours old: the next commit takes a snapshot first."""
    shutil.copytree(small, root, symlinks=True)
    return root


def build_broken(small: Path, root: Path) -> Path:
    """The small folder with its index and a home file broken (restorable from the snapshot)."""
    shutil.copytree(small, root, symlinks=True)
    (root / "index.json").write_bytes(b'{"homes": {"1": ')
    (root / "homes" / f"{HOME}.json").write_bytes(b"")
    return root


def build_bundle(root: Path) -> dict:
    """A bundle of two homes unknown to the small folder: children, finals, a draft and flags."""
    store = Store(root)
    for home_id, name in (("north-lodge", "North Lodge"), ("south-lodge", "South Lodge")):
        add_home(store, home_id, name)
        child(store, home_id, f"{home_id[:5]}-1", "JK", advocate="none")
        child(store, home_id, f"{home_id[:5]}-2", "LM")
        days = monthly(3)
        for day in days[:2]:
            workflow.finalise(store, complete(store, store.start_visit(home_id, day)))
        store.save_draft(complete(store, store.start_visit(home_id, days[2])))
    data = bundle.dump(store)
    store.close()
    return data


def with_store(root: Path, action) -> None:
    """Run ``action`` as one command would: open the folder, act, close (record ids made repeatable)."""
    with repeatable_ids():
        store = Store(root)
        try:
            action(store)
        finally:
            store.close()


def _erase(store: Store) -> None:
    target = next(c for c in store.children(HOME) if c.id == "c-one")
    store.erase_child(HOME, target.id, "Request under data protection law")


def _save_draft(store: Store) -> None:
    draft = store.draft(HOME)
    draft["answers"]["restraints"] = 3
    draft["notes"]["restraints"] = "Three short holds, all recorded."
    store.save_draft(draft)


def _finalise(store: Store) -> None:
    workflow.finalise(store, store.draft(HOME))


def _resolve(store: Store) -> None:
    key = next(f["key"] for f in store.flags(HOME) if not f.get("resolved"))
    workflow.resolve_flag(store, HOME, key, "Advocate arranged.")


def _restore_snapshot(store: Store) -> None:
    store.restore_snapshot(store.snapshots.list()[-1].name)


def _restore_files(store: Store) -> None:
    store.restore_files([p.path for p in store.broken_files()])


def _demo(store: Store) -> None:
    """The real demo build, shortened to two months: the same single commit of every file, a tenth the work."""
    months, demo.MONTHS = demo.MONTHS, 2
    try:
        demo.build(store)
    finally:
        demo.MONTHS = months


def operations(bundle_data: dict) -> dict:
    """name -> (template name, action on a Store, whether backups/ and aside/ are part of the result)."""
    return {
        "save-draft": ("small", _save_draft, False),
        "save-draft-with-snapshot": ("stale", _save_draft, False),
        "start-visit": ("small", lambda s: s.start_visit(SECOND, monthly(1)[0]), False),
        "finalise": ("small", _finalise, False),
        "finalise-with-snapshot": ("stale", _finalise, False),
        "discard-draft": ("small", lambda s: s.discard_draft(HOME), False),
        "add-child": ("small", lambda s: child(s, SECOND, "c-five", "KL"), False),
        "addendum": ("small", lambda s: workflow.add_addendum(s, s.visits(HOME)[-1]["id"], "Correction",
                                                              "The fire drill was on 3 May."), False),
        "resolve-flag": ("small", _resolve, False),
        "distribution": ("small", lambda s: workflow.record_distribution(s, s.visits(HOME)[-1]["id"],
                                                                         "Ofsted (HMCI)", "ofsted"), False),
        "erase-child": ("small", _erase, True),
        "load": ("small", lambda s: bundle.load(s, copy.deepcopy(bundle_data)), False),
        "restore-files": ("broken", _restore_files, False),
        "restore-snapshot": ("small", _restore_snapshot, False),
        "demo": ("empty", _demo, False),
    }


def build_templates(base: Path) -> tuple[dict[str, Path], dict]:
    small = build_small(base / "small")
    folders = {"stale": build_stale(small, base / "stale"), "broken": build_broken(small, base / "broken"),
               "small": small, "empty": base / "empty"}
    Snapshots(small).take()  # a fresh snapshot: most operations commit without taking one (as within 10 minutes)
    return folders, build_bundle(base / "bundle-source")
