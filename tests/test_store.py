import json
import os

import pytest

from helpers import add_child, add_home, complete, monthly
from visitor import workflow
from visitor.model import ValidationError
from visitor.storage import DataFileError, LockedError
from visitor.store import Store


def test_homes_children_round_trip_on_disk(store, data_dir):
    add_home(store)
    child = add_child(store, "test-home", "AB")
    again = Store(data_dir, readonly=True)
    assert again.home("test-home").name == "Test House"
    assert again.children("test-home")[0].code == "AB"
    assert again.child("test-home", child.id).placing_authority == "Testshire Council"
    with pytest.raises(ValidationError, match="already lives"):
        add_child(store, "test-home", "ab")
    with pytest.raises(ValidationError, match="already exists"):
        add_home(store, name="Other")


def test_data_folder_and_files_are_owner_only(store, data_dir):
    add_home(store)
    store.start_visit("test-home", monthly(1)[0])
    assert os.stat(data_dir).st_mode & 0o777 == 0o700
    for path in data_dir.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert os.stat(path).st_mode & 0o777 == expected, path


def test_draft_save_touches_only_the_draft_file(store, data_dir):
    add_home(store)
    day = monthly(1)[0]
    visit = store.start_visit("test-home", day)
    home_file = store.home_path("test-home")
    before = home_file.stat().st_mtime_ns if home_file.exists() else None
    visit["answers"]["restraints"] = 3
    store.save_draft(visit)
    assert (home_file.stat().st_mtime_ns if home_file.exists() else None) == before
    assert Store(data_dir, readonly=True).draft("test-home")["answers"]["restraints"] == 3


def test_one_draft_per_home_and_one_visit_per_day(store):
    add_home(store)
    days = monthly(2)
    visit = store.start_visit("test-home", days[0])
    with pytest.raises(ValidationError, match="already has a draft"):
        store.start_visit("test-home", days[1])
    workflow.finalise(store, complete(store, visit))
    with pytest.raises(ValidationError, match="one visit a day"):
        store.start_visit("test-home", days[0])


def test_final_visit_is_read_only_except_addenda(store):
    add_home(store)
    visit = store.start_visit("test-home", monthly(1)[0])
    final = workflow.finalise(store, complete(store, visit))
    with pytest.raises(ValidationError, match="Only a draft"):
        store.save_draft(final)
    tampered = store.visit(final["id"])
    tampered["answers"]["restraints"] = 99
    with pytest.raises(ValidationError, match="read-only"):
        store.update_final(tampered, "an edit")
    workflow.add_addendum(store, final["id"], "Typo", "Restraints were 2, not 0.")
    assert store.visit(final["id"])["addenda"][0]["reason"] == "Typo"


def test_second_writer_is_refused(store, data_dir):
    add_home(store)
    other = Store(data_dir)
    with pytest.raises(LockedError, match="Another copy of reg44"):
        add_home(other, "second", "Second")
    assert Store(data_dir, readonly=True).homes()[0].id == "test-home"


def test_corrupt_home_file_is_reported_and_untouched(store):
    add_home(store)
    add_child(store, "test-home", "AB")
    path = store.home_path("test-home")
    path.write_text('{"children": ')
    with pytest.raises(DataFileError, match="not valid JSON") as info:
        add_child(store, "test-home", "CD")
    assert str(path) in str(info.value)
    assert path.read_text() == '{"children": '
    assert [e.path for e in store.broken_files()] == [path]


def test_checklist_version_kept_with_visit(store, data_dir):
    add_home(store)
    visit = store.start_visit("test-home", monthly(1)[0])
    snapshot = data_dir / "checklists" / f"{visit['checklist_id']}.v{visit['checklist_version']}.json"
    assert snapshot.exists()
    raw = json.loads(snapshot.read_text())
    raw["sections"][0]["title"] = "Renamed in an old version"
    snapshot.write_text(json.dumps(raw))
    assert store.checklist_for(visit).sections[0].title == "Renamed in an old version"


def test_erase_child_keeps_counts(store):
    add_home(store)
    child = add_child(store, "test-home", "AB")
    visit = store.start_visit("test-home", monthly(1)[0])
    complete(store, visit)
    visit["child_answers"][child.id]["views"] = "AB said they miss their sister."
    visit["notes"][f"seen_alone:{child.id}"] = "AB note"
    visit["notes"]["outside_scrutiny"] = "The social worker for AB visited; ABC is not a code."
    workflow.finalise(store, visit)
    record = store.erase_child("test-home", child.id, "Request from the placing authority")
    assert record["visits"] == 1
    stored = store.visits("test-home")[0]
    assert stored["child_answers"][child.id]["seen_alone"] == "yes"
    assert "sister" not in json.dumps(stored)
    assert stored["notes"]["outside_scrutiny"] == "The social worker for [erased] visited; ABC is not a code."
    assert store.child("test-home", child.id).code == "[erased]"
    assert store.erasures("test-home")[0]["reason"] == "Request from the placing authority"


def test_two_erased_children_may_share_the_erased_code(store):
    add_home(store)
    for code in ("AB", "CD"):
        child = add_child(store, "test-home", code)
        store.erase_child("test-home", child.id, "Placing authority request")
    from visitor.model import Child

    again = Child("c-copy", "test-home", "[erased]", "Testshire Council", admitted="2016-01-01", erased="2024-01-01")
    store.add_child("test-home", again)  # a pull or load bringing a third erased child is not a clash
    assert sum(1 for c in store.children("test-home") if c.erased) == 3


def test_summary_rows_change_without_touching_what_was_read_before(store, data_dir):
    """The index is copied shallowly per operation: an aborted change must not leak into cached rows."""
    add_home(store)
    add_home(store, "second", "Second House")
    store.save_summary("test-home", {"visits": 1})
    before = store.summaries()
    try:
        with store.transaction():
            store.save_summary("test-home", {"visits": 2})
            store.save_summary("second", {"visits": 7})
            assert store.summaries()["test-home"]["visits"] == 2
            raise RuntimeError("abandon")
    except RuntimeError:
        pass
    assert before["test-home"]["visits"] == 1 and store.summaries()["test-home"]["visits"] == 1
    assert "second" not in store.summaries()
    with store.transaction():
        store.save_summary("second", {"visits": 7})
        store.update_home(store.home("second"))  # a TinyDB edit of the same file after a row swap
    assert Store(data_dir, readonly=True).summaries()["second"]["visits"] == 7


def _summaries_without_outlines(root) -> dict:
    """Every home's summary worked out from the home files alone (the outlines moved away meanwhile)."""
    aside = root.parent / "outlines-aside"
    os.rename(root / "outlines", aside)
    try:
        store = Store(root, readonly=True)
        return {h.id: workflow.summarise(store, h.id) for h in store.homes()}
    finally:
        os.rename(aside, root / "outlines")


def test_each_home_file_is_committed_with_an_outline_that_gives_the_same_summary(demo_store):
    from visitor.storage import outline

    root = demo_store.root
    fresh = Store(root, readonly=True)
    for home in fresh.homes():
        home_bytes = (root / "homes" / f"{home.id}.json").read_bytes()
        path = root / "outlines" / f"{home.id}.json"
        tables = outline.matching(path.read_bytes(), home_bytes, path)
        assert tables is not None, f"{home.id}: the outline names its home file's content"
        assert len(path.read_bytes()) * 3 < len(home_bytes), "an outline is a small part of its home file"
    by_outline = {h.id: workflow.summarise(fresh, h.id) for h in fresh.homes()}
    assert by_outline == _summaries_without_outlines(root)
    assert any(s["open_recommendations"] and s["visits"] > 1 for s in by_outline.values())


def test_an_outline_whose_home_file_changed_is_not_used_and_repair_rebuilds_it(demo_store, capsys):
    from visitor import cli

    root = demo_store.root
    home = next(h for h in demo_store.homes() if len(demo_store.visits(h.id)) > 2)
    demo_store.close()
    path = root / "homes" / f"{home.id}.json"
    tables = json.loads(path.read_bytes())  # an older reg44, or a hand edit: the newest visit removed
    newest = max(tables["visits"], key=lambda k: tables["visits"][k]["date"])
    dropped = tables["visits"].pop(newest)
    path.write_text(json.dumps(tables))
    summary = workflow.summarise(Store(root, readonly=True), home.id)
    assert summary["last_visit"] < dropped["date"] and summary == _summaries_without_outlines(root)[home.id]
    stale = (root / "outlines" / f"{home.id}.json").read_bytes()
    assert cli.main(["--data", str(root), "check", "--repair"]) == 0
    assert (root / "outlines" / f"{home.id}.json").read_bytes() != stale, "the repair rebuilt the outline"
    (root / "outlines" / f"{home.id}.json").unlink()  # a folder from before outlines: the next writer adds it
    writer = Store(root)
    workflow.check_considered(writer, home.id)
    writer.close()
    assert (root / "outlines" / f"{home.id}.json").exists()
    capsys.readouterr()
