import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visitor import bundle, cli, workflow
from visitor.bundle import BundleError
from visitor.store import Store


def test_round_trip_into_empty_folder_and_idempotent(demo_store, tmp_path):
    data = bundle.dump(demo_store)
    target = Store(tmp_path / "other")
    added = bundle.load(target, json.loads(json.dumps(data)))
    assert added["homes"] == 3 and added["visits"] == 39 and added["drafts"] == 1
    again = bundle.load(target, json.loads(json.dumps(data)))
    assert again == {"homes": 0, "children": 0, "visits": 0, "drafts": 0, "flags": 0, "erasures": 0}
    for home in demo_store.homes():
        assert target.visits(home.id) == demo_store.visits(home.id)
        assert [c.to_dict() for c in target.children(home.id)] == [c.to_dict() for c in demo_store.children(home.id)]
        assert len(target.flags(home.id)) == len(demo_store.flags(home.id))
    assert target.draft("willow-lodge") == demo_store.draft("willow-lodge")


def _mutate(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path, value, message", [
    (("format",), "zip", "not a reg44 bundle"),
    (("version",), 9, "not supported"),
    (("homes",), {"a": 1}, "'homes' must be a list"),
    (("homes", 0, "home", "places"), "many", "homes[0]: The number of registered places must be a whole number"),
    (("homes", 0, "children", 0, "code"), "Alexander Bartholomew Smith", "children[0]"),
    (("homes", 0, "visits", 0, "date"), "2099-01-01", "future"),
    (("homes", 0, "visits", 0, "answers"), ["../../etc/passwd"], "answers must be a mapping"),
    (("homes", 1, "home", "id"), "../../etc", "lower-case letters"),
    (("homes", 1, "flags", 0, "key"), 5, "flags[0]"),
])
def test_bad_bundle_refused_whole(demo_store, tmp_path, path, value, message):
    data = _mutate(json.loads(json.dumps(bundle.dump(demo_store))), path, value)
    target = Store(tmp_path / "other")
    with pytest.raises(BundleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        bundle.load(target, data)
    assert target.homes() == []
    assert not (tmp_path / "other" / "homes").exists()


def test_huge_arrays_refused():
    with pytest.raises(BundleError, match="at most"):
        bundle.validate({"format": "reg44-bundle", "version": 1, "checklists": [], "homes": [{}] * 3000})


def test_schema_file_documents_the_format():
    from conftest import ROOT

    schema = json.loads((ROOT / "docs" / "bundle.schema.json").read_text())
    assert schema["properties"]["format"]["const"] == bundle.FORMAT
    assert set(schema["required"]) >= {"format", "version", "homes", "checklists"}


# -- all-or-nothing load against the model and the folder's data ------------------------------------------

def folder_state(root: Path) -> dict:
    """Every file below the data folder with a hash of its bytes (backups and the writer's lock excluded).

    The journal's folder may be left empty by a refused commit; anything inside it counts.
    """
    state = {}
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d != "backups"]
        for name in files:
            if rel == Path(".") and name == "reg44.lock":
                continue
            state[(rel / name).as_posix()] = hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()
    return state


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys, root: Path, *argv) -> str:
    before = folder_state(root)
    code, out, err = _cli(capsys, "--data", str(root), *argv)
    assert code != 0, (argv, out, err)
    assert "Traceback" not in err and err.startswith("reg44: ") and len(err.strip().splitlines()) == 1, err
    assert folder_state(root) == before, argv
    return err


def _write(tmp_path: Path, data: dict, name: str = "b.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


@pytest.fixture
def bundle_data(demo_store):
    return json.loads(json.dumps(bundle.dump(demo_store)))


def _visit0(data):
    return data["homes"][0]["visits"][0]


ANSWER_ITEM = "restraints"  # a count in the shipped checklist


@pytest.mark.parametrize("value", [1e308, 10**100, float("nan"), float("inf"), -5, [1], {"a": 1}, True, "many"])
def test_answers_outside_their_item_rules_are_refused(bundle_data, tmp_path, capsys, value):
    _visit0(bundle_data)["answers"][ANSWER_ITEM] = value
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle_data))  # NaN/Infinity as Python's json writes them
    err = _refused(capsys, tmp_path / "empty", "load", str(path))
    assert "homes[0]: visits[0]" in err


@pytest.mark.parametrize("mutate, message", [
    (lambda d: _visit0(d)["answers"].update(no_such_item="yes"), "does not have"),
    (lambda d: _visit0(d)["child_answers"].update(ghost={"seen": "yes"}), "not at the home"),
    (lambda d: _visit0(d).update(addenda=["text"]), "addendum must be an object"),
    (lambda d: _visit0(d).update(distribution=["Ofsted"]), "distribution entry must be an object"),
    (lambda d: _visit0(d).update(people=["manager"]), "person spoken to must be a mapping"),
    (lambda d: _visit0(d).update(recommendations=["do better"]), "recommendation must be a mapping"),
    (lambda d: _visit0(d).update(earlier={"r1": "met"}), "must be a mapping"),
    (lambda d: _visit0(d).update(records={"rota": {"notes": {"deep": [1]}}}), "must be text"),
    (lambda d: _visit0(d).update(people=[{"role": "care staff"}] * 201), "at most 200"),
    (lambda d: _visit0(d)["notes"].update(x="n" * 200_001), "too long"),
    (lambda d: _visit0(d).update(distribution=[{"recipient": "Ofsted", "audience": "ofsted", "sent_on": "1999-01-01"}]),
     "before the visit"),
    (lambda d: d["homes"][0]["home"].update(registered_on=_visit0(d)["date"][:4] + "-12-31"), "before the home's registration"),
    (lambda d: _visit0(d).update(checklist_version=99), "neither the bundle nor this data folder holds"),
    (lambda d: _visit0(d).update(checklist_id="no-such-list"), "neither the bundle nor this data folder holds"),
    (lambda d: d["homes"][1]["home"].update(name=d["homes"][0]["home"]["name"].upper()), "already used by the home"),
    (lambda d: d["homes"][0]["children"].append({**d["homes"][0]["children"][0], "id": "other-id"}), "already used by a child"),
    (lambda d: d["homes"][0]["home"].update(name="Oak\nHouse"), "control characters"),
    (lambda d: d["homes"][0]["children"][0].update(placing_authority="Kent\x1b[2J"), "control characters"),
    (lambda d: d["homes"][0]["erasures"].append({"child_id": d["homes"][0]["children"][0]["id"], "on": "x"}), "recorded as erased"),
])
def test_bad_part_refuses_the_whole_bundle_and_changes_nothing(bundle_data, tmp_path, capsys, mutate, message):
    mutate(bundle_data)
    path = _write(tmp_path, bundle_data)
    for target in (tmp_path / "empty", tmp_path / "partial"):
        if target.name == "partial":  # a folder holding other data: it too stays exactly as it was
            assert _cli(capsys, "--data", str(target), "home", "add", "--name", "Elsewhere", "--urn", "SC100001", "--places", "3", "--registered-on", "2015-01-01")[0] == 0
        err = _refused(capsys, target, "load", str(path))
        if message:
            assert message in err, err
    assert Store(tmp_path / "empty").homes() == []


def test_erasure_claimed_by_bundle_but_child_still_held_here_is_refused(demo_store, tmp_path, capsys):
    data = json.loads(json.dumps(bundle.dump(demo_store)))
    child = data["homes"][0]["children"][0]
    child["erased"] = "2025-01-01"  # erased on the laptop that wrote the bundle, not yet here
    data["homes"][0]["erasures"].append({"child_id": child["id"], "on": "2025-01-01T10:00:00", "reason": "Asked",
                                         "visits": 3, "copies": 0})
    demo_store.close()
    err = _refused(capsys, demo_store.root, "load", str(_write(tmp_path, data)))
    assert "erase-child" in err


def test_clash_with_existing_data_refuses_everything(demo_store, tmp_path, capsys):
    data = json.loads(json.dumps(bundle.dump(demo_store)))
    data["homes"][0]["home"]["id"] = "a-new-id"  # the same name as oak-house under another id
    for part in ("children", "visits"):
        for row in data["homes"][0][part]:
            row["home_id"] = "a-new-id"
    for visit in data["homes"][0]["visits"]:
        visit["id"] = "a-new-id@" + visit["date"]
    data["homes"][0]["draft"] = None
    demo_store.close()
    err = _refused(capsys, demo_store.root, "load", str(_write(tmp_path, data)))
    assert "already used by the home" in err
    data["homes"][0]["home"]["name"] = "A New Name"
    held = Store(demo_store.root, readonly=True)
    resident = next(c for c in held.children(data["homes"][1]["home"]["id"]) if not c.left)
    data["homes"][1]["children"].append({**resident.to_dict(), "id": "newcomer"})
    err = _refused(capsys, demo_store.root, "load", str(_write(tmp_path, data)))
    assert "homes[1]: children" in err and "already used by a child" in err


@pytest.mark.parametrize("checklist_id", ["../../outside/pwned", "/tmp/abs", "a\x00b", "nl\nid", "x" * 300, ".hidden",
                                          "..", "a/b"])
def test_unsafe_checklist_ids_never_leave_the_folder(bundle_data, tmp_path, capsys, checklist_id):
    raw = json.loads(json.dumps(bundle_data["checklists"][0]))
    raw["id"] = checklist_id
    bundle_data["checklists"].append(raw)
    _visit0(bundle_data)["checklist_id"] = checklist_id
    root = tmp_path / "deep" / "data"
    path = _write(tmp_path, bundle_data)
    outside_before = sorted(p for p in tmp_path.rglob("*"))
    err = _refused(capsys, root, "load", str(path))
    assert "checklist id" in err
    created = {p for p in tmp_path.rglob("*") if p not in outside_before}
    assert all(p.is_relative_to(root) or root.is_relative_to(p) for p in created), created  # the folder and its parents
    assert not list(tmp_path.rglob("*pwned*")) and not Path("/tmp/abs.v1.json").exists()


def test_a_bad_home_late_in_a_streamed_file_undoes_the_earlier_ones(demo_store, tmp_path, capsys):
    data = json.loads(json.dumps(bundle.dump(demo_store)))
    data["homes"][2]["visits"][-1]["answers"][ANSWER_ITEM] = -5
    path = _write(tmp_path, data)
    err = _refused(capsys, tmp_path / "empty", "load", str(path))
    assert err.startswith("reg44: homes[2]")
    whole = tmp_path / "whole.json"
    demo_store.close()
    assert _cli(capsys, "--data", str(demo_store.root), "dump", str(whole))[0] == 0
    text = whole.read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) - 2000])  # truncated inside the last home
    err = _refused(capsys, tmp_path / "empty", "load", str(tmp_path / "cut.json"))
    assert "not valid JSON" in err
    assert not (tmp_path / "empty" / "homes").exists() or not any((tmp_path / "empty" / "homes").iterdir())


def test_dump_streams_atomically_loads_back_and_carries_erasures(demo_store, tmp_path, capsys):
    child = demo_store.children("oak-house")[0]
    demo_store.erase_child("oak-house", child.id, "Asked under data protection law")
    demo_store.close()
    root = demo_store.root
    out = tmp_path / "b.json"
    code, stdout, err = _cli(capsys, "--data", str(root), "dump", str(out))
    assert code == 0 and not err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left beside it
    data = json.loads(out.read_text())
    assert data["version"] == bundle.VERSION == 2
    assert data["homes"][[h["home"]["id"] for h in data["homes"]].index("oak-house")]["erasures"][0]["child_id"] == child.id
    code, stdout, err = _cli(capsys, "--data", str(tmp_path / "copy"), "load", str(out))
    assert code == 0, err
    copy = Store(tmp_path / "copy", readonly=True)
    original = Store(root, readonly=True)
    assert copy.erasures("oak-house") == original.erasures("oak-house")
    for home in original.homes():
        assert copy.visits(home.id) == original.visits(home.id)
        assert copy.flags(home.id) == original.flags(home.id)
        assert copy.summaries()[home.id] == {**workflow.summarise(original, home.id), "home_id": home.id}
        assert copy.children(home.id) == original.children(home.id)
    assert copy.draft("willow-lodge") == original.draft("willow-lodge")
    code, stdout, err = _cli(capsys, "--data", str(root), "dump", "-")
    assert code == 0 and json.loads(stdout)["homes"] == data["homes"]
    assert _cli(capsys, "--data", str(tmp_path / "copy"), "check")[0] == 0


def test_dump_into_a_folder_is_refused_in_one_line(demo_store, tmp_path, capsys):
    demo_store.close()
    target = tmp_path / "out"
    target.mkdir()
    code, out, err = _cli(capsys, "--data", str(demo_store.root), "dump", str(target))
    assert code == 2 and "is a folder" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(target.iterdir()) == []
    code, _, err = _cli(capsys, "--data", str(demo_store.root), "dump", str(tmp_path / "missing" / "b.json"))
    assert code == 2 and "does not exist" in err


def test_version_1_bundles_still_load(bundle_data, tmp_path):
    bundle_data["version"] = 1
    for entry in bundle_data["homes"]:
        entry.pop("erasures")
    added = bundle.load(Store(tmp_path / "v1"), bundle_data)
    assert added["homes"] == 3 and added["erasures"] == 0


def test_erased_child_stays_erased_when_an_older_bundle_is_loaded(demo_store, tmp_path):
    older = json.loads(json.dumps(bundle.dump(demo_store)))
    child = demo_store.children("oak-house")[0]
    demo_store.erase_child("oak-house", child.id, "Asked")
    entry = older["homes"][[h["home"]["id"] for h in older["homes"]].index("oak-house")]
    entry["visits"] = [v for v in entry["visits"] if v["child_answers"].get(child.id)]
    newest = entry["visits"][-1]
    demo_store.close()
    store = Store(demo_store.root)
    with store.transaction():  # the visit is gone here (e.g. never synced): the old bundle brings it back
        tables = store._edit(store.home_path("oak-house"))
        tables["visits"] = {k: v for k, v in tables["visits"].items() if v["id"] != newest["id"]}
    bundle.load(store, older)
    back = store.visit(newest["id"])
    assert back["child_answers"][child.id].get("views") in (None, "[erased]")
    assert child.code not in json.dumps(back)


def test_large_bundle_streams_with_flat_memory(tmp_path):
    """A bundle is read home by home: a 12-home file loads through buffers far smaller than the file."""
    from visitor.bench.dataset import bundle as make_bundle

    path = _write(tmp_path, make_bundle(12, 6, seed=3))
    bundle._Stream.CHUNK = 4096  # force many refills and cut values across buffer ends
    try:
        added = bundle.load_file(Store(tmp_path / "d"), path)
    finally:
        bundle._Stream.CHUNK = 1 << 22
    assert added["homes"] == 12 and added["visits"] == 72
    assert bundle.read(path)["homes"] == json.loads(path.read_text())["homes"]


def test_check_validates_answers_and_repair_recomputes_summaries(demo_store, tmp_path, capsys):
    root = demo_store.root
    with demo_store.transaction():
        tables = demo_store._edit(demo_store.home_path("oak-house"))
        first = next(iter(tables["visits"].values()))
        first["answers"][ANSWER_ITEM] = 10**100
        demo_store.save_summary("beech-view", {**demo_store.summaries()["beech-view"], "visits": 999})
    demo_store.close()
    code, out, err = _cli(capsys, "--data", str(root), "check")
    assert code == 1
    assert f"visit {first['id']}" in out and "cannot be more than" in out
    assert "home beech-view: the dashboard summary is out of date (visits)" in out
    code, out, _ = _cli(capsys, "--data", str(root), "check", "--repair")
    assert "had changed" in out and "beech-view" not in out
    assert Store(root, readonly=True).summaries()["beech-view"]["visits"] == len(Store(root, readonly=True).visits("beech-view"))


def test_any_text_the_folder_holds_round_trips_through_dump(demo_store, tmp_path, capsys):
    odd = "lone \ud800 surrogate, RTL \u202e, zero\u200bwidth, 🧒🏽, \x1b[2J, " + "x" * 100_000
    with demo_store.transaction():
        tables = demo_store._edit(demo_store.home_path("oak-house"))
        visit = next(iter(tables["visits"].values()))
        visit["notes"]["odd"] = odd
    demo_store.close()
    out = tmp_path / "b.json"
    assert _cli(capsys, "--data", str(demo_store.root), "dump", str(out))[0] == 0
    out.read_bytes().decode("ascii")  # escaped: valid anywhere
    assert _cli(capsys, "--data", str(tmp_path / "copy"), "load", str(out))[0] == 0
    assert Store(tmp_path / "copy", readonly=True).visit(visit["id"])["notes"]["odd"] == odd


json_values = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
                           max_leaves=60)


@settings(max_examples=200, deadline=None)
@given(value=json_values, limit=st.integers(min_value=1, max_value=6))
def test_too_deep_matches_its_definition(value, limit):
    """The storage's level-by-level walk agrees with the plain recursive definition of depth."""
    from visitor.storage.files import too_deep

    def depth(node) -> int:  # how many lists/objects nest: the top one is level 1, a scalar is level 0
        if not isinstance(node, (dict, list)):
            return 0
        children = list(node.values()) if isinstance(node, dict) else node
        return 1 + max((depth(c) for c in children), default=0)

    assert too_deep(value, limit) == (depth(value) > limit)
