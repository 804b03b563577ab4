"""Nothing reg44 writes goes through a planted link or outside the data folder, and ids cannot smuggle paths
or control characters. Each attack is made through the real command where one exists; the planted target's
bytes (and the folder around it) are compared before and after."""

from __future__ import annotations

import json
import os

import pytest
from crash_templates import HOME, build_small

from visitor.storage import DataFileError, atomic_write, files, journal
from visitor.storage.snapshots import Snapshots
from visitor.store import Store

from visitor.checklist import load_shipped as _shipped

# the checklist version a new visit snapshots into the data folder
CHECKLIST_FILE = f"checklists/closed-culture.v{_shipped().version}.json"

ADD_CHILD = ("child", "add", HOME, "--code", "QZ", "--authority", "X Council", "--admitted", "2020-01-01")


@pytest.fixture
def folder(data_dir):
    return build_small(data_dir)


@pytest.fixture
def outside(tmp_path):
    """A file and a folder outside the data folder that an attack would like reg44 to write."""
    target = tmp_path / "outside"
    target.mkdir()
    (target / "precious.json").write_text('{"keep": "me"}')
    return target


def run_cli(*args, data):
    """The real command line, in this process (each attack is one call; a subprocess each would be slow)."""
    import contextlib
    import io
    import subprocess

    from visitor.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--data", str(data), *args])
        except SystemExit as exc:
            code = exc.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _tree(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def _clean(r):
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.mark.parametrize("rel", ["reg44.lock", "index.json", f"homes/{HOME}.json", f"drafts/{HOME}.json",
                                 "settings.json", CHECKLIST_FILE])
def test_a_data_or_lock_file_that_is_a_link_is_refused_and_its_target_untouched(folder, outside, rel):
    path = folder.joinpath(*rel.split("/"))
    path.unlink(missing_ok=True)
    path.symlink_to(outside / "precious.json")
    before = _tree(outside)
    for args in (ADD_CHILD, ("profile", "--name", "X"), ("restore",), ("erase-child", HOME, "c-two", "--reason", "R")):
        r = _clean(run_cli(*args, data=folder))
        if r.returncode == 0:  # a command that does not touch this file may succeed; it must not follow the link
            continue
        assert "symbolic link" in r.stderr or "no good backup" in r.stderr, (args, r.stderr)
        assert len(r.stderr.splitlines()) == 1
    assert _tree(outside) == before
    assert path.is_symlink()


@pytest.mark.parametrize("sub", ["backups", "aside", ".journal", "homes", "drafts", "checklists"])
def test_a_folder_of_the_data_folder_that_is_a_link_is_never_written_through(folder, outside, sub):
    target = folder / sub
    elsewhere = outside / "moved"
    if target.exists():
        target.rename(elsewhere)
    else:
        elsewhere.mkdir()
    target.symlink_to(elsewhere)
    before = _tree(outside)
    Snapshots(folder)  # the newest snapshot is two hours old: the next write takes one
    for args in (ADD_CHILD, ("restore", "--snapshot", "x"), ("erase-child", HOME, "c-one", "--reason", "R"),
                 ("start", "second-home")):
        r = _clean(run_cli(*args, data=folder))
        if r.returncode != 0:
            assert "link" in r.stderr or "There is no" in r.stderr, (args, r.stderr)
    assert _tree(outside) == before, f"something was written through {sub} -> {elsewhere}"


@pytest.mark.parametrize("sub", ["homes", "drafts", "backups"])
def test_a_folder_of_the_data_folder_that_is_a_link_is_never_read_through(folder, outside, sub):
    """A planted link would show another folder's data as this one's: reg44 refuses to open it, in one line."""
    target = folder / sub
    target.rename(outside / "moved")
    target.symlink_to(outside / "moved")
    for args in (("homes",), ("visits", HOME), ("restore", "--list"), ()):  # () opens the app
        r = _clean(run_cli(*args, data=folder))
        assert r.returncode != 0 and "symbolic link" in r.stderr and len(r.stderr.splitlines()) == 1, (args, r.stderr)


def test_a_planted_link_at_the_temp_name_is_not_followed(folder, outside, monkeypatch):
    precious = outside / "precious.json"
    planted = folder / ".planted.tmp"
    planted.symlink_to(precious)
    monkeypatch.setattr(files, "temp_name", lambda path: planted)
    with pytest.raises(FileExistsError):
        atomic_write(folder / "index.json", b"{}")
    assert precious.read_text() == '{"keep": "me"}'
    assert json.loads((folder / "index.json").read_bytes())["homes"], "the target is untouched"


def test_a_data_file_that_is_a_folder_gives_a_clear_message(folder):
    path = folder / "drafts" / f"{HOME}.json"
    path.unlink()
    path.mkdir()
    for args in (("visits", HOME), ("start", HOME), ("check",), ("restore",)):
        r = _clean(run_cli(*args, data=folder))
        assert r.returncode != 0 and "is a folder" in (r.stderr + r.stdout), (args, r.stdout, r.stderr)
    assert path.is_dir()


def test_a_journal_manifest_cannot_move_files_outside(folder, outside):
    attacks = [[["0.data", rel]] for rel in ("../outside/precious.json", str(outside / "precious.json"),
                                             "homes/../../outside/x.json", "homes/\x00x.json")]
    attacks.append([["../../outside/precious.json", "homes/stolen.json"]])  # a staged file from outside
    for n, writes in enumerate(attacks):
        staging = journal.Staging(folder)
        (staging.folder / "0.data").write_bytes(b"pwned")
        (staging.folder / "1.data").write_bytes(b'{"homes": {}}')
        (staging.folder / journal.MANIFEST).write_text(json.dumps(
            {"writes": [["1.data", "index.json"]] + writes, "deletes": [w[1] for w in writes]}))
        before = _tree(outside), (folder / "index.json").read_bytes()
        r = _clean(run_cli("child", "add", HOME, "--code", f"Q{n}", "--authority", "X", "--admitted", "2020-01-01",
                           data=folder))
        assert r.returncode == 0, r.stderr
        assert (_tree(outside), (folder / "index.json").read_bytes()) == before, f"{writes} was applied, even in part"
        assert not journal.pending(folder) and not (folder / "homes" / "stolen.json").exists()


@pytest.mark.parametrize("bad", ["../../outside/pwned", "/tmp/pwned", "a/b", "x\x00y", "nl\n", "esc\x1b[31m", "." * 3,
                                 "a" * 300])
def test_ids_from_the_command_line_never_become_paths(folder, outside, bad):
    before = _tree(folder)
    cases = [("home", "add", "--name", "Attack House", "--id", bad), ("visits", bad), ("start", bad),
             ("child", "add", bad, "--code", "QZ", "--authority", "X", "--admitted", "2020-01-01"),
             ("erase-child", HOME, bad, "--reason", "R"), ("trends", bad), ("restore", "--snapshot", bad)]
    for args in cases:
        if "\x00" in bad:  # a command line cannot carry NUL: the domain check is tested below
            break
        r = _clean(run_cli(*args, data=folder))
        one_line = r.stderr.startswith("reg44: ") and len(r.stderr.splitlines()) == 1
        assert r.returncode == 2 and one_line, (args, r.stderr)
        assert "\x1b" not in r.stderr and "\n" not in r.stderr.rstrip("\n"), "control characters are never echoed raw"
    assert _tree(folder) == before
    assert sorted(p.name for p in outside.iterdir()) == ["precious.json"]
    store = Store(folder)
    with pytest.raises(ValueError):
        store.home_path(bad)
    with pytest.raises(ValueError):
        store.checklist_path(bad, 1)


def test_a_bundle_checklist_id_never_becomes_a_path(folder, outside, tmp_path):
    data = json.loads(run_cli("dump", data=folder).stdout)
    before = _tree(folder)
    for bad in ("../../outside/pwned", str(outside / "pwned"), "nl\n", "x" * 300):
        for checklist in data["checklists"]:
            checklist["id"] = bad
        for entry in data["homes"]:
            for visit in entry["visits"] + ([entry["draft"]] if entry["draft"] else []):
                visit["checklist_id"] = bad
        bundle = tmp_path / "bundle.json"
        bundle.write_text(json.dumps(data))
        r = _clean(run_cli("load", str(bundle), data=tmp_path / "fresh"))
        assert r.returncode == 2, r.stdout
    assert sorted(p.name for p in outside.iterdir()) == ["precious.json"]
    assert not list(tmp_path.glob("**/pwned*"))
    assert _tree(folder) == before


def test_control_characters_are_refused_in_ids_and_names(folder):
    before = _tree(folder)
    for args in (("home", "add", "--name", "Tab\tHouse"), ("home", "add", "--name", "Bell\x07House"),
                 ("home", "add", "--name", "Ok House", "--id", "ok\x7f"),
                 ("child", "add", HOME, "--code", "A\x1bB", "--authority", "X", "--admitted", "2020-01-01"),
                 ("child", "add", HOME, "--code", "QZ", "--authority", "X\x1b[2J Council", "--admitted", "2020-01-01")):
        r = _clean(run_cli(*args, data=folder))
        assert r.returncode == 2, (args, r.stdout)
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert _tree(folder) == before


def test_unreadable_link_errors_name_the_file(folder, outside):
    (folder / "index.json").unlink()
    (folder / "index.json").symlink_to(outside / "precious.json")
    with pytest.raises(DataFileError, match="symbolic link") as info:
        Store(folder, readonly=True).homes()
    assert str(folder / "index.json") in str(info.value)
    assert os.readlink(folder / "index.json") == str(outside / "precious.json")


def test_restore_never_reads_a_backup_through_a_link(folder, outside):
    (outside / "index.json").write_bytes(b'{"homes": {}, "summaries": {}}')
    planted = folder / "backups" / "29990101T000000000000Z"  # the newest by name and date
    planted.mkdir()
    (planted / "index.json").symlink_to(outside / "index.json")
    (planted / "MANIFEST").write_text(json.dumps({"files": ["index.json"]}))
    (folder / "index.json").write_bytes(b"")
    r = _clean(run_cli("restore", data=folder))
    assert r.returncode == 0, r.stderr
    assert planted.name not in r.stdout
    assert sorted(h.id for h in Store(folder, readonly=True).homes()) == ["second-home", HOME]


ADD_HOME = ("home", "add", "--name", "Nested House", "--urn", "SC100001", "--places", "3",
            "--registered-on", "2015-01-01")


@pytest.mark.parametrize("sub", [".journal", "homes", "backups", "homes/deeper", "checklists"])
def test_a_data_folder_is_never_made_inside_another(folder, sub):
    """Before: `--data DATA/.journal home add …` made a second data folder in the first one's journal, and the
    next start of DATA swept its index away unseen; one in DATA/homes sat among DATA's home files."""
    before = _tree(folder)
    r = _clean(run_cli(*ADD_HOME, data=folder / sub))
    assert r.returncode == 2 and r.stderr.startswith("reg44: ") and len(r.stderr.splitlines()) == 1, r.stderr
    assert str(folder) in r.stderr
    assert _tree(folder) == before


def test_a_data_folder_never_holds_another_in_its_own_folders(folder, tmp_path):
    """The other way round: a folder whose homes/ is already a reg44 data folder is not opened as one."""
    outer = tmp_path / "outer"
    build_small(outer / "homes")
    before = _tree(outer)
    r = _clean(run_cli(*ADD_HOME, data=outer))
    assert r.returncode == 2 and r.stderr.startswith("reg44: ") and len(r.stderr.splitlines()) == 1, r.stderr
    assert _tree(outer) == before


@pytest.mark.parametrize("option", ["--data", "--out"])
def test_an_empty_folder_name_is_refused_not_taken_as_the_default(folder, tmp_path, monkeypatch, option):
    """Before: `reg44 --data "$DIR" …` with DIR unset opened the default data folder (`$REG44_DATA` or the
    user's own), and `--out ""` wrote the reports to the default exports folder."""
    monkeypatch.chdir(tmp_path)
    default = tmp_path / "default"
    monkeypatch.setenv("REG44_DATA", str(default))
    monkeypatch.setenv("REG44_EXPORTS", str(default))
    for empty in ("", " "):
        args = ("--data", empty, "homes") if option == "--data" else \
            ("--data", str(folder), "summary", HOME, "--out", empty)
        import contextlib
        import io

        from visitor.cli import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exc:
            main(list(args))
        assert exc.value.code == 2 and "empty" in err.getvalue().splitlines()[-1], err.getvalue()
    assert not default.exists() and not (tmp_path / "exports").exists()


@pytest.mark.parametrize("where", ["a-file", "nested"])
def test_the_app_refuses_a_folder_it_cannot_use_in_one_line(folder, tmp_path, capsys, where):
    """`reg44 --data X` with no command opens the app: a file, or a folder inside another data folder, was a
    traceback there (the sub-commands already said it in one line)."""
    from visitor.cli import main

    target = tmp_path / "a-file" if where == "a-file" else folder / "homes"
    if where == "a-file":
        target.write_text("not a folder")
    before = _tree(folder)
    assert main(["--data", str(target)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("reg44: ") and len(err.splitlines()) == 1 and str(target) in err, err
    assert _tree(folder) == before


def test_a_data_folder_beside_another_folders_own_files_still_opens(folder):
    """Only another data folder's own folders are refused: DATA/demo (say, `reg44 --data demo` run in a data
    folder) shares nothing with DATA and keeps opening."""
    r = _clean(run_cli(*ADD_HOME, data=folder / "demo"))
    assert r.returncode == 0, r.stderr
