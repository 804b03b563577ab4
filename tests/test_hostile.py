"""The hostile corpus through every sub-command that takes a value, and through bundles.

Every attempt must end one of two ways: refused with a one-line message, no traceback and the data
folder byte-identical (hashed before and after, backups aside), or accepted and read back exactly as
given. Names and ids must refuse control characters. The commands run in-process through ``cli.main``
(the real argument parsing, store and error mapping) so the corpus stays fast.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bundle import folder_state

from visitor import bundle, cli
from visitor.store import Store

CONTROL = ["\x00", "a\x00b", "\x1b[2J\x1b[31mred", "two\nlines", "cr\rreturn", "tab\there", "del\x7f", "c1\x85x"]
UNICODE = ["\u202eevil\u202c", "zero\u200bwidth\u200d", "مرحبا بالعالم", "🙂" * 60, "Kent [/] Council [b]",
           "\ufeffbom", "bad\udcff"]
LONG = ["x" * 100_000, "y" * 300]
PATHS = ["../../etc/passwd", "/etc/passwd", "C:\\Windows\\x", "..", "a/b", "~root", "%s%n{0}"]
TEXTS = CONTROL + UNICODE + LONG + PATHS
NUMBERS = ["1e308", "1" + "0" * 100, "NaN", "Infinity", "-inf", "-5", "-0", "1e-400", "0x10", "3.5", "", " ", "½",
           "٣"]
DATES = ["2020-02-30", "0000-01-01", "9999-12-31", "2020-1-1", "yesterday", "2020-01-01T00:00", "", "\x00",
         "1" * 5000, "2019-06-01"]


def stored_strings(root: Path) -> set[str]:
    """Every text value and key held in the data folder's files (backups aside)."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            found.update(k for k in node if isinstance(k, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.add(node)

    for path in root.rglob("*.json"):
        if "backups" not in path.relative_to(root).parts:
            walk(json.loads(path.read_bytes()))
    return found


def attempt(capsys, root: Path, argv: list[str], expect: str | None = None) -> bool:
    """Run one command; True if it was accepted. Refusal: one line, no traceback, folder unchanged.

    ``expect``: the text that an accepted run must have stored exactly (None: not checked here).
    """
    before = folder_state(root)
    try:
        code = cli.main(["--data", str(root), *argv])  # an unexpected exception fails the test: a traceback
    except SystemExit as exc:  # argparse refusing an argument: its usage line, then one error line
        code = exc.code
        out, err = capsys.readouterr()
        assert code == 2 and err.startswith("usage: ") and "error: " in err.strip().splitlines()[-1], err[:300]
        assert folder_state(root) == before, argv[:3]
        return False
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code == 0:
        if expect is not None:
            assert expect in stored_strings(root), (argv[:3], expect[:80])
        return True
    assert err.startswith("reg44: ") and len(err.strip().splitlines()) == 1, (argv[:3], err[:300])
    assert folder_state(root) == before, argv[:3]
    return False


@pytest.fixture
def demo(demo_store):
    store = demo_store
    ids = {"visit": store.visits("oak-house")[-1]["id"], "child": store.children("oak-house")[0].id}
    store.close()
    return store.root, ids


def _has_control(text: str) -> bool:
    import unicodedata

    return any(unicodedata.category(c) == "Cc" for c in text)


REGISTERED = ["--urn=SC100001", "--places=3", "--registered-on=2015-01-01"]  # what every new home must have
NAME_FIELDS = [("home", "--name"), ("home", "--provider"), ("home", "--manager"), ("home", "--ri"), ("home", "--la"),
               ("child", "--code"), ("child", "--authority"), ("profile", "--name"), ("profile", "--organisation")]


@pytest.mark.parametrize("command, option", NAME_FIELDS)
def test_names_refuse_control_characters_and_keep_everything_else_exactly(demo, capsys, command, option):
    root, _ = demo
    for n, value in enumerate(TEXTS):
        if command == "home":
            argv = ["home", "add", f"--id=h{n}-x", f"--name=Home {n}", f"{option}={value}"] if option != "--name" \
                else ["home", "add", f"--id=h{n}-x", f"--name={value}"]
            argv += REGISTERED
        elif command == "child":
            other = "--authority=Kent" if option == "--code" else f"--code=Q{n}"
            argv = ["child", "add", "oak-house", f"{option}={value}", other, "--admitted=2020-01-01"]
        else:
            argv = ["profile", f"{option}={value}"]
        accepted = attempt(capsys, root, argv, expect=value.replace("\x00", "").strip())
        if _has_control(value.replace("\x00", "")) or "\udcff" in value:  # NUL is dropped, as in all text
            assert not accepted, (option, value)


@pytest.mark.parametrize("build", [
    lambda v, ids: ["addendum", ids["visit"], f"--reason={v}", "--text=Corrected the date."],
    lambda v, ids: ["addendum", ids["visit"], "--reason=Typo", f"--text={v}"],
    lambda v, ids: ["sent", ids["visit"], f"--to={v}", "--audience=ofsted"],
    lambda v, ids: ["profile", f"--contact={v}"],
    lambda v, ids: ["profile", f"--independence={v}"],
    lambda v, ids: ["resolve", "oak-house", v, "--reason=Checked"],
    lambda v, ids: ["erase-child", "oak-house", v, "--reason=Asked"],
    lambda v, ids: ["home", "add", "--name=Ids", f"--id={v}", *REGISTERED],
    lambda v, ids: ["home", "add", "--name=Urns", "--id=urns", f"--urn={v}", "--places=3",
                   "--registered-on=2015-01-01"],
], ids=["addendum-reason", "addendum-text", "sent-to", "contact", "independence", "resolve-key", "erase-id",
        "home-id", "urn"])
def test_free_text_and_ids_are_refused_cleanly_or_kept_exactly(demo, capsys, build):
    root, ids = demo
    for value in TEXTS:
        text = value.replace("\x00", "")
        accepted = attempt(capsys, root, build(value, ids))
        if accepted:
            held = stored_strings(root)
            assert text in held or text.strip() in held, value[:40]


@pytest.mark.parametrize("command", ["start", "visits", "children", "trends", "gaps", "finalise", "export", "show",
                                     "load", "restore"])
def test_hostile_identifiers_and_paths_are_refused_in_one_line(demo, capsys, command):
    root, _ = demo
    for value in TEXTS + ["oak-house@2020-01-01", "oak-house@../../x", "@", "nohome@2020-02-30"]:
        if value.startswith("-"):
            continue
        argv = {"show": ["home", "show", value], "export": ["export", value, "--audience=ofsted"],
                "load": ["load", value], "restore": ["restore", value]}.get(command, [command, value])
        assert not attempt(capsys, root, argv), (command, value[:40])


def test_dump_to_hostile_targets_is_refused_and_writes_nothing(demo, capsys, tmp_path):
    root, _ = demo
    before_tmp = sorted(p.name for p in tmp_path.iterdir())
    for target in [str(tmp_path), str(root), ".", str(tmp_path / "no" / "such" / "b.json"), str(tmp_path / "a\x00b")]:
        assert not attempt(capsys, root, ["dump", target]), target
    assert sorted(p.name for p in tmp_path.iterdir()) == before_tmp


def test_dump_never_writes_over_or_into_the_data_folder(demo, capsys, tmp_path):
    """Before: `reg44 dump DATA/index.json` replaced the folder's index with the bundle (every home gone
    until `reg44 restore`), and `dump DATA/homes/x.json` planted a file that `check` then called broken."""
    root, _ = demo
    (tmp_path / "link.json").symlink_to(root / "index.json")
    (tmp_path / "via").symlink_to(root)
    for target in [root / "index.json", root / "settings.json", root / "homes" / "oak-house.json",
                   root / "homes" / "x.json", root / ".journal" / "b.json", root / "b.json", tmp_path / "link.json",
                   tmp_path / "via" / "index.json"]:
        assert not attempt(capsys, root, ["dump", str(target)]), target
    assert attempt(capsys, root, ["dump", str(tmp_path / "b.json")])
    assert attempt(capsys, root, ["check"])


@pytest.mark.parametrize("field", ["places", "miles", "months"])
def test_hostile_numbers_are_refused_or_kept_as_the_same_whole_number(demo, capsys, field):
    root, _ = demo
    for n, value in enumerate(NUMBERS + ["9" * 50, "4", "200", "201"]):
        if field == "places":
            argv = ["home", "add", f"--name=Places {n}", f"--id=places-{n}", "--urn=SC100001",
                    "--registered-on=2015-01-01", f"--places={value}"]
        elif field == "miles":
            argv = ["child", "add", "oak-house", f"--code=M{n}", "--authority=Kent", "--admitted=2020-01-01",
                    f"--miles={value}"]
        else:
            argv = ["trends", "oak-house", f"--months={value}"]
        if attempt(capsys, root, argv) and field != "months":
            store = Store(root, readonly=True)
            stored = store.home(f"places-{n}").places if field == "places" else \
                next(c for c in store.children("oak-house") if c.code == f"M{n}").distance_miles
            if value == "" and field == "miles":
                assert stored is None  # an empty distance means "not recorded"
            else:
                assert isinstance(stored, int) and stored == int(value.strip()), (value, stored)


@pytest.mark.parametrize("field", ["registered-on", "admitted", "leave", "start", "sent-on"])
def test_hostile_dates_are_refused_or_kept_as_the_same_day(demo, capsys, field):
    root, ids = demo
    for n, value in enumerate(DATES):
        argv = {"registered-on": ["home", "add", f"--name=Dated {n}", f"--id=dated-{n}", "--urn=SC100001", "--places=3",
                                  f"--registered-on={value}"],
                "admitted": ["child", "add", "oak-house", f"--code=D{n}", "--authority=Kent", f"--admitted={value}"],
                "leave": ["child", "leave", "oak-house", ids["child"], f"--date={value}"],
                "start": ["start", "beech-view", f"--date={value}"],
                "sent-on": ["sent", ids["visit"], "--to=Ofsted", "--audience=ofsted", f"--on={value}"]}[field]
        if attempt(capsys, root, argv) and value.strip():
            assert date.fromisoformat(value.strip()).isoformat() in stored_strings(root)


# -- the same corpus inside bundles ------------------------------------------------------------------------
def _small_bundle() -> dict:
    from visitor.bench.dataset import bundle as make_bundle

    return make_bundle(1, 2, seed=7)


def _places(data: dict) -> dict:
    """Where a hostile text can be put in a bundle, each a setter."""
    entry = data["homes"][0]
    visit = entry["visits"][0]

    def put(node, key):
        return lambda value: node.__setitem__(key, value)

    return {
        "home name": put(entry["home"], "name"), "provider": put(entry["home"], "provider"),
        "la area": put(entry["home"], "la_area"), "child code": put(entry["children"][0], "code"),
        "authority": put(entry["children"][0], "placing_authority"), "note": put(visit["notes"], "restraints"),
        "text answer": put(visit["answers"], "restraints_notes") if "restraints_notes" in visit["answers"]
        else put(visit["notes"], "staffing"),
        "person notes": put(visit["people"][0], "notes"), "record notes": put(visit["records"]["rota"], "notes"),
        "opinion": put(visit["opinions"]["safeguarded"], "reasons"), "visitor": put(visit["visitor"], "name"),
        "conflict": put(visit["conflict"], "declaration"),
        "addendum": lambda v: visit["addenda"].append({"date": visit["date"], "reason": "R", "text": v}),
        "recommendation": lambda v: visit["recommendations"].append({"id": "rx", "text": v}),
    }


NAMES_IN_BUNDLE = {"home name", "provider", "la area", "child code", "authority"}
# free text in a bundle: one value of each hostile kind (the full corpus runs on the names)
FREE_TEXT = ["a\x00b", "\x1b[2J", "two\nlines", "\u202eevil", "zero\u200bwidth", "🙂" * 60, "bad\udcff", "x" * 100_000,
             "../../etc/passwd"]


@pytest.mark.parametrize("place", sorted(_places(_small_bundle())))
def test_hostile_text_in_a_bundle_is_refused_whole_or_kept_exactly(tmp_path, capsys, place):
    for n, value in enumerate(TEXTS if place in NAMES_IN_BUNDLE else FREE_TEXT):
        data = _small_bundle()
        _places(data)[place](value)
        path = tmp_path / f"b{n}.json"
        path.write_text(json.dumps(data))
        root = tmp_path / f"d{n}"
        text = value.replace("\x00", "")  # NUL is dropped, as in all text
        expect = text.strip() if place in NAMES_IN_BUNDLE else text
        accepted = attempt(capsys, root, ["load", str(path)], expect=expect)
        if place in NAMES_IN_BUNDLE and (_has_control(text) or "\udcff" in value):
            assert not accepted, (place, value)


@pytest.mark.parametrize("value", [1e308, -1e308, 10**100, math.nan, math.inf, -math.inf, -5, 3.5, -0.0, "3", True,
                                   None, [], {}, "\x00"])
def test_hostile_numbers_in_a_bundle(tmp_path, capsys, value):
    for place in ("answer", "places", "miles"):
        data = _small_bundle()
        entry = data["homes"][0]
        if place == "answer":
            entry["visits"][0]["answers"]["restraints"] = value
        elif place == "places":
            entry["home"]["places"] = value
        else:
            entry["children"][0]["distance_miles"] = value
        path = tmp_path / f"{place}.json"
        path.write_text(json.dumps(data))
        root = tmp_path / place
        if attempt(capsys, root, ["load", str(path)]):
            store = Store(root, readonly=True)
            held = {"answer": lambda: store.visits("home-000")[0]["answers"]["restraints"],
                    "places": lambda: store.home("home-000").places,
                    "miles": lambda: store.children("home-000")[0].distance_miles}[place]()
            assert held is None or (type(held) is int and held == (3 if value == "3" else value)), (place, value, held)
            assert value in (-0.0, "3", None) or type(value) is int and 0 <= value <= 2000, (place, value)


@pytest.mark.parametrize("mutate", [
    lambda d: d["homes"][0]["visits"][0]["records"].update(rota=json.loads("[" * 60 + "]" * 60)),
    lambda d: d["homes"][0]["visits"][0].update(flagged=["x"] * 2001),
    lambda d: d["homes"][0]["visits"][0].update(people=[{"role": "care staff"}] * 100_000),
    lambda d: d["homes"][0].update(visits=[{}] * 5001),
    lambda d: d["homes"][0].update(children=[{}] * 1001),
    lambda d: d.update(homes=[{}] * 2001),
    lambda d: d["homes"][0]["visits"][0].update(date="2020-02-30"),
    lambda d: d["homes"][0]["visits"][0].update(id="../../x@2020-01-01"),
    lambda d: d["homes"][0]["children"][0].update(id="../../x"),
    lambda d: d["homes"][0]["children"][0].update(admitted="9999-12-31"),
    lambda d: d["homes"][0]["home"].update(id="../../etc"),
    lambda d: d["homes"][0]["home"].update(registered_on="0000-01-01"),
], ids=["deep", "flagged", "people", "visits", "children", "homes", "bad-date", "visit-id", "child-id", "future",
        "home-id", "year-0"])
def test_structural_hostility_in_a_bundle_is_refused(tmp_path, capsys, mutate):
    data = _small_bundle()
    mutate(data)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    assert not attempt(capsys, tmp_path / "d", ["load", str(path)])


def test_nesting_beyond_the_parser_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "deep.json"
    text = json.dumps(_small_bundle())
    path.write_text(text.replace('"flagged": []', '"flagged": ' + "[" * 200_000 + "]" * 200_000, 1))
    assert not attempt(capsys, tmp_path / "d", ["load", str(path)])
    (tmp_path / "notjson.json").write_bytes(b"\xff\xfe{")
    assert not attempt(capsys, tmp_path / "d", ["load", str(tmp_path / "notjson.json")])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=30), note=st.text(max_size=60))
def test_any_text_in_a_bundle_is_refused_whole_or_stored_exactly(tmp_path_factory, name, note):
    data = _small_bundle()
    data["homes"][0]["home"]["name"] = name
    data["homes"][0]["visits"][0]["notes"]["restraints"] = note
    root = tmp_path_factory.mktemp("h") / "d"
    store = Store(root)
    try:
        bundle.load(store, json.loads(json.dumps(data)))
    except bundle.BundleError as exc:
        assert "\n" not in str(exc)
        assert folder_state(root) == {}
        return
    finally:
        store.close()
    held = Store(root, readonly=True)
    stored = held.home("home-000").name
    assert stored == name.replace("\x00", "").strip()  # surrounding white space (even a trailing new line) trimmed
    assert held.visits("home-000")[0]["notes"]["restraints"] == note.replace("\x00", "")
    assert not _has_control(stored)


# -- a hand-edited settings.json ----------------------------------------------------------------------------
HUGE = 10 ** 400  # a JSON integer no float can hold
SETTING_TYPE = "children's home (disabled children)"  # oak-house's, so its peer rates are the ones read
HOSTILE_SETTINGS = [
    {"report_deadline": "days:³"}, {"report_deadline": "days:٣"},
    {"thresholds": {"rising_visits": HUGE}}, {"thresholds": {"baseline_factor": HUGE}},
    *({"reference_rates": {"default": {"restraints": rate}}} for rate in (math.nan, math.inf, 1e400, HUGE)),
    *({"peer_rates": {SETTING_TYPE: {"homes": 5, "rates": {"restraints": rate}}}}
      for rate in (math.nan, math.inf, HUGE)),
    *({"peer_rates": {SETTING_TYPE: {"homes": homes, "rates": {"restraints": 1}}}} for homes in (-5, True, HUGE)),
]


@pytest.mark.parametrize("change", HOSTILE_SETTINGS, ids=lambda c: json.dumps(c)[:60])
def test_a_hand_edited_setting_that_cannot_be_used_is_named_by_check_and_refused_in_one_line(demo, capsys, change):
    """`reg44 check` names the setting (never "all is well"), and a command that uses it refuses in one
    line that says what is wrong (never "the data could not be read", nor a silently disabled rule)."""
    root, _ = demo
    path = root / "settings.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    named = {"report_deadline": "report_deadline", "thresholds": "threshold", "reference_rates": "reference",
             "peer_rates": "peer_rates"}[next(iter(change))]
    assert cli.main(["--data", str(root), "check"]) != 0
    out, err = capsys.readouterr()
    assert named in out and "all is well" not in out and "could not be read" not in out + err, out + err
    before = folder_state(root)
    for argv in (["trends", "oak-house"], ["visits", "oak-house"]):
        code = cli.main(["--data", str(root), *argv])
        out, err = capsys.readouterr()
        if code == 0:  # a measure's rate or a threshold the command does not use
            assert "report_deadline" not in change and argv[0] == "visits", (argv, change)
            continue
        assert err.startswith("reg44: ") and len(err.strip().splitlines()) == 1 and named in err, (argv, err)
    assert folder_state(root) == before


# -- a hostile checklist carried in a bundle (the same parser reads checklist TOML files) ------------------
def _item(checklist: dict, item_id: str = "restraints") -> dict:
    return next(i for s in checklist["sections"] for i in s["items"] if i["id"] == item_id)


HOSTILE_CHECKLISTS = {
    "title-number": lambda c: c.update(title=7),
    "version-huge": lambda c: c.update(version=HUGE),
    "section-title-object": lambda c: c["sections"][0].update(title={"x": 1}),
    "section-id-number": lambda c: c["sections"][0].update(id=5),
    "section-id-twice": lambda c: c["sections"][1].update(id=c["sections"][0]["id"]),
    "section-guidance-list": lambda c: c["sections"][0].update(guidance=["x"]),
    "items-text": lambda c: c["sections"][0].update(items="abc"),
    "question-object": lambda c: _item(c).update(question={"a": 1}),
    "question-escape": lambda c: _item(c).update(question="Restraints\x1b[2J\x1b[31m"),
    "label-number": lambda c: _item(c).update(label=5),
    "guidance-list": lambda c: _item(c).update(guidance=[1]),
    "ref-control": lambda c: _item(c).update(ref="Reg 20\x00\x0b"),
    "max-text": lambda c: _item(c).update(max="x"),
    "max-nan": lambda c: _item(c).update(max=math.nan),
    "min-above-max": lambda c: _item(c).update(min=10, max=1),
    "metric-text": lambda c: _item(c).update(metric="no"),
    "concern-above-text": lambda c: _item(c).update(concern={"above": "x"}),
    "concern-in-text": lambda c: _item(c, "premises").update(concern={"in": "poor"}),
    "concern-message-number": lambda c: _item(c).update(concern={"above": 0, "message": 5}),
    "options-numbers": lambda c: _item(c, "premises").update(options=[1, 2, 3]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CHECKLISTS))
def test_a_hostile_checklist_in_a_bundle_is_refused_whole_in_one_line_naming_it(tmp_path, capsys, name):
    """Before: most of these loaded, `check` said all was well, and trends, export or the summary then failed
    with "the data could not be read"; two failed the load itself with a bare Python error."""
    data = _small_bundle()
    HOSTILE_CHECKLISTS[name](data["checklists"][0])
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    root = tmp_path / "d"
    code = cli.main(["--data", str(root), "load", str(path)])
    _out, err = capsys.readouterr()
    assert code != 0 and err.startswith("reg44: checklists[0]: ") and len(err.strip().splitlines()) == 1, err[:300]
    assert folder_state(root) == {}


# -- the export folder ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("inside", [".", "homes", ".journal", "backups", "new/deep"])
def test_reports_are_never_written_inside_the_data_folder(demo, capsys, tmp_path, inside):
    """Before: `--out DATA/.journal` wrote the report where the next start swept it away unseen, and
    `--out DATA/homes` left children's reports in the data folder, beyond erasure and `restore`'s reach."""
    root, ids = demo
    (tmp_path / "via").symlink_to(root)  # the same folder, reached through a link
    for out in (root / inside, tmp_path / "via" / inside):
        for argv in (["export", ids["visit"], "--audience", "all", "--out", str(out)],
                     ["summary", "oak-house", "--out", str(out)]):
            assert not attempt(capsys, root, argv), argv
    assert not list(root.rglob("*.docx")) and not (root / "new").exists()
    assert attempt(capsys, root, ["export", ids["visit"], "--audience", "provider", "--out", str(tmp_path / "out")])
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1


def test_a_bundle_saved_with_a_byte_order_mark_loads_as_it_would_without(tmp_path, capsys):
    """Before: a bundle hand-edited in an editor that writes a UTF-8 byte order mark (Windows Notepad) was
    refused as "not valid JSON (expected '{' at character 0 of a block)"; settings.json already read one."""
    data = _small_bundle()
    path = tmp_path / "b.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, indent=1).replace("\n", "\r\n").encode("utf-8"))
    root = tmp_path / "d"
    assert attempt(capsys, root, ["load", str(path)])
    assert Store(root, readonly=True).home("home-000").name == data["homes"][0]["home"]["name"]
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + json.dumps(data).encode("utf-8"))  # one mark, not two
    assert not attempt(capsys, tmp_path / "d2", ["load", str(path)])


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-31", "1899-12-31"])
def test_a_date_in_the_first_years_is_refused_or_works_through_finalise(demo, capsys, day):
    """Before: a home registered on 0001-01-01 took a visit that day, and finalising it failed with
    "the data could not be read (OverflowError: date value out of range)"."""
    from helpers import complete

    from visitor import workflow

    root, _ = demo
    if not attempt(capsys, root, ["home", "add", "--name=Ancient", "--id=ancient", "--urn=SC100001", "--places=3",
                                  f"--registered-on={day}"]):
        return
    assert attempt(capsys, root, ["start", "ancient", f"--date={day}"])
    store = Store(root)
    try:
        workflow.finalise(store, complete(store, store.draft("ancient")))
    finally:
        store.close()
    assert attempt(capsys, root, ["trends", "ancient"])


@pytest.mark.parametrize("spelling", ["A B", "a.b.", "A-B", "A. B."])
def test_a_code_spelled_another_way_is_the_same_child_code(demo, capsys, tmp_path, spelling):
    """Before: with AB (Northshire) living at Oak House, 'A B' placed by another authority was added (only
    'ab' clashed), while redaction reads every spelling as one code: that authority's copy then kept
    "AB" in the visitor's notes as its own child's and showed it, and Northshire's copy did the same."""
    root, _ = demo
    assert not attempt(capsys, root, ["child", "add", "oak-house", f"--code={spelling}", "--authority=Kent Council",
                                      "--admitted=2024-01-01"])
    data = _small_bundle()
    children = data["homes"][0]["children"]
    children[0]["code"] = "AB"
    children.append({**children[0], "id": "twin", "code": spelling, "placing_authority": "Kent Council"})
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    assert not attempt(capsys, tmp_path / "d", ["load", str(path)])
    store = Store(root)
    try:
        other = next(c for c in store.children("oak-house") if c.code != "AB" and not c.left)
        with pytest.raises(ValueError, match="already lives"):
            store.update_child(type(other)(**{**other.to_dict(), "code": spelling}))
    finally:
        store.close()


def test_a_dump_killed_mid_write_leaves_no_copy_of_the_data_behind(demo, tmp_path):
    """Before: `kill -9` during `reg44 dump out/b.json` left `.b.json.<pid>.<hex>.tmp` (part of every home's
    records, children's codes included) in the folder for good; the next dump wrote beside it."""
    import subprocess
    import sys

    root, _ = demo
    out = tmp_path / "out"
    out.mkdir()
    writer = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead = int(writer.stdout)  # a process that has ended, as a killed dump has
    left = out / f".b.json.{dead}.a1b2c3.tmp"
    left.write_text('{"format": "reg44-bundle", "homes": [{"children": [{"code": "AB"')
    unrelated = out / f".notes.txt.{dead}.a1b2c3.tmp"  # not a bundle's: not ours to remove
    unrelated.write_text("x")
    assert cli.main(["--data", str(root), "dump", str(out / "b.json")]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["b.json", unrelated.name])


def test_check_names_two_children_living_at_a_home_under_one_code(demo, capsys):
    """A folder written before codes were compared however spelled may hold AB and 'A.B.' side by side."""
    root, _ = demo
    path = root / "homes" / "oak-house.json"
    data = json.loads(path.read_text())
    rows = [c for c in data["children"].values() if not c["left"] and c["code"] != "AB"]
    rows[0]["code"] = "A.B."
    path.write_text(json.dumps(data))
    assert cli.main(["--data", str(root), "check"]) != 0
    out = capsys.readouterr().out
    assert f"child {rows[0]['id']} of oak-house: A child with the code 'AB' already lives" in out, out


def test_a_bundle_holding_another_version_of_a_record_says_the_folder_kept_its_own(demo, capsys, tmp_path):
    """Existing records win on load. Before: an addendum, a copy sent and a leaving date made on another laptop
    came back as "Loaded: 0 homes, … 0 erasures." and nothing else, the newer versions dropped unseen."""
    import shutil

    root, ids = demo
    assert cli.main(["--data", str(root), "dump", str(tmp_path / "same.json")]) == 0
    other = tmp_path / "other"
    shutil.copytree(root, other)
    (other / "reg44.lock").unlink()
    for argv in (["addendum", ids["visit"], "--reason=Late", "--text=The rota arrived."],
                 ["child", "leave", "oak-house", ids["child"], "--date=2026-01-05"]):
        assert cli.main(["--data", str(other), *argv]) == 0
    assert cli.main(["--data", str(other), "dump", str(tmp_path / "newer.json")]) == 0
    capsys.readouterr()
    before = folder_state(root)
    assert cli.main(["--data", str(root), "load", str(tmp_path / "same.json")]) == 0
    assert "Kept" not in capsys.readouterr().out, "an unchanged record is not reported"
    assert cli.main(["--data", str(root), "load", str(tmp_path / "newer.json")]) == 0
    out = capsys.readouterr().out
    assert "Kept this folder's own version of 2 record(s)" in out, out
    assert f"child {ids['child']} of oak-house" in out and f"visit {ids['visit']}" in out
    assert folder_state(root) == before


def test_a_date_before_1900_already_stored_still_reads_and_check_names_it(demo, capsys):
    """A typo such as 0224 for 2024, stored before dates were held to 1900 on, must not lock the home."""
    root, ids = demo
    path = root / "homes" / "oak-house.json"
    data = json.loads(path.read_text())
    row = next(c for c in data["children"].values() if c["id"] == ids["child"])
    row["admitted"] = "0224-03-01"
    path.write_text(json.dumps(data))
    assert attempt(capsys, root, ["visits", "oak-house"])
    assert attempt(capsys, root, ["export", ids["visit"], "--audience", "provider", "--out", str(root.parent / "o")])
    assert cli.main(["--data", str(root), "check"]) != 0
    assert f"child {ids['child']} of oak-house: The admission date 0224-03-01 is before 1900" in capsys.readouterr().out


def test_a_checklist_question_or_guidance_may_run_over_lines_as_toml_allows(tmp_path):
    """The stricter checklist parser must not refuse a provider's own checklist written with TOML multi-line
    strings (or the folder's snapshot of it): prose may hold new lines and tabs, never escapes."""
    from visitor import checklist as checklists

    path = tmp_path / "mine.toml"
    path.write_text('id = "mine"\nversion = 1\ntitle = "Mine"\n[[sections]]\nid = "s"\ntitle = "S"\n'
                    'guidance = """First line.\n\tSecond line."""\n[[sections.items]]\nid = "q"\nkind = "yesno"\n'
                    'question = """Is the house\nwarm?"""\nguidance = "a\\tb"\n'
                    'concern = { equals = "no", message = """Cold\nhouse""" }\n')
    checklist = checklists.load_file(path)
    assert checklist.item("q").question == "Is the house\nwarm?"
    path.write_text(path.read_text().replace("warm?", "warm?\\u001b[2J"))  # a TOML escape: the file itself is clean
    with pytest.raises(checklists.ChecklistError, match="control characters"):
        checklists.load_file(path)


def test_check_names_a_final_visit_whose_status_was_edited_to_draft(demo, capsys):
    """A visit kept with a home's final visits is signed; a hand edit of its status to 'draft' passed check."""
    root, ids = demo
    path = root / "homes" / "oak-house.json"
    data = json.loads(path.read_text())
    row = next(v for v in data["visits"].values() if v["id"] == ids["visit"])
    row["status"] = "draft"
    path.write_text(json.dumps(data))
    assert cli.main(["--data", str(root), "check"]) != 0
    assert f"visit {ids['visit']}: is kept with the final visits but its status is 'draft'" in capsys.readouterr().out
