import json

import pytest

from visitor import bundle
from visitor.bundle import BundleError
from visitor.store import Store


def test_round_trip_into_empty_folder_and_idempotent(demo_store, tmp_path):
    data = bundle.dump(demo_store)
    target = Store(tmp_path / "other")
    added = bundle.load(target, json.loads(json.dumps(data)))
    assert added["homes"] == 3 and added["visits"] == 39 and added["drafts"] == 1
    again = bundle.load(target, json.loads(json.dumps(data)))
    assert again == {"homes": 0, "children": 0, "visits": 0, "drafts": 0, "flags": 0}
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
