"""The command line as a person types it: homes by name or prefix, clear choices, and never a traceback.

The bad-input matrix is generated from the argparse parser itself, so a sub-command added later is run
against bad ids and bad data without anyone remembering to list it here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys

import pytest

from conftest import run_cli
from visitor import cli

BAD_VALUES = ("nowhere", "../../etc/passwd", "oak-house@1999-99-99", "x" * 300, "\x1b[31mred", "10**100")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every runnable sub-command path with its parser, e.g. ('child', 'leave')."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for name, sub in subs[0].choices.items():
        yield from _commands(sub, prefix + (name,))


def _argv(path: tuple[str, ...], parser: argparse.ArgumentParser, bad: str, tmp_path) -> list[str]:
    """The sub-command with every positional and required option given the bad value."""
    argv = list(path)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.dest in ("help",):
            continue
        value = bad
        if action.dest in ("file",):
            value = str(tmp_path / "missing" / "bundle.json")
        if action.choices:
            value = list(action.choices)[0] if action.dest != "audience" else "placing-authority"
        if not action.option_strings:
            argv += [value] * (action.nargs if isinstance(action.nargs, int) else 1) if action.nargs != "?" else [value]
        elif action.required:
            argv += [action.option_strings[-1], value]
    return argv


# Commands that add data run last, so a home they create never turns a later bad id into a good one.
CREATORS = {("home", "add"), ("demo",), ("profile",)}
COMMANDS = sorted(_commands(cli.build_parser()), key=lambda c: (c[0] in CREATORS, c[0]))


def test_the_matrix_covers_every_sub_command():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"trends", "discard", "child leave", "export", "erase-child", "home show"} <= names
    assert {p[0] for p, _ in COMMANDS} == set(cli.COMMANDS), "every sub-command, nested ones by each action"


def _broken(folder) -> None:
    """Break the data in the ways a hostile tester did: unreadable, wrong-shaped and empty files."""
    (folder / "homes" / "oak-house.json").write_text("{ broken")
    drafts = folder / "drafts"
    drafts.mkdir(exist_ok=True)
    (drafts / "willow-lodge.json").write_text("[]")
    (folder / "homes" / "beech-view.json").write_text(json.dumps({"_default": {"1": {"id": 5, "visits": "x"}}}))


@pytest.mark.parametrize("state", ["empty", "demo", "broken"])
def test_every_sub_command_refuses_bad_ids_and_bad_data_in_one_line(state, demo_template, tmp_path, capsys,
                                                                    monkeypatch):
    data = tmp_path / "data"
    if state != "empty":
        shutil.copytree(demo_template, data)
    if state == "broken":
        _broken(data)
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))
    failures = []
    for path, parser in COMMANDS:
        for bad in BAD_VALUES:
            argv = ["--data", str(data)] + _argv(path, parser, bad, tmp_path)
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse refusing a value: its own one-line usage error
                code = exc.code
            except BaseException as exc:  # noqa: BLE001 - the point of the test
                failures.append(f"{' '.join(path)} {bad[:20]!r}: {type(exc).__name__}: {exc}")
                continue
            out = capsys.readouterr()
            if "Traceback" in out.err or "Traceback" in out.out:
                failures.append(f"{' '.join(path)} {bad[:20]!r}: traceback")
            takes_value = any(not a.option_strings or a.required for a in parser._actions
                              if not isinstance(a, argparse._HelpAction))
            if takes_value and path[0] not in ("profile", "home") and code == 0:
                failures.append(f"{' '.join(path)} {bad[:20]!r}: accepted (exit 0)")
            if code != 0 and out.err.strip() and len(out.err.strip().splitlines()[-1]) == 0:
                failures.append(f"{' '.join(path)}: empty message")
    assert not failures, "\n".join(failures)


def test_home_by_name_prefix_and_ambiguity(demo_store):
    demo_store.close()
    data = demo_store.root
    r = run_cli("trends", "Oak House", data=data)
    assert r.returncode == 0, r.stderr
    assert run_cli("visits", "willow", data=data).returncode == 0
    assert json.loads(run_cli("children", "OAK", "--json", data=data).stdout)[0]["home_id"] == "oak-house"
    r = run_cli("home", "add", "--name", "Oakley Court", "--urn", "SC100001", "--places", "3", "--registered-on", "2015-01-01", data=data)
    assert r.returncode == 0, r.stderr
    r = run_cli("visits", "oak", data=data)
    assert r.returncode == 2 and "oak-house (Oak House)" in r.stderr and "oakley-court (Oakley Court)" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_authority_by_prefix_and_choices_named(demo_store, tmp_path):
    demo_store.close()
    data = demo_store.root
    visit = json.loads(run_cli("visits", "oak", "--json", data=data).stdout)[-1]["id"]
    r = run_cli("export", visit, "--audience", "placing-authority", data=data)
    assert r.returncode == 2 and "Northshire County Council" in r.stderr and "None" not in r.stderr
    r = run_cli("export", visit, "--audience", "placing-authority", "--authority", "northshire",
                "--out", str(tmp_path / "out"), data=data)
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1


def test_trends_bad_months_and_compare_are_one_line(demo_store):
    demo_store.close()
    for args in (["--months", "10**100"], ["--months", "0"], ["--compare", "a", "b"]):
        r = run_cli("trends", "oak", *args, data=demo_store.root)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.strip().splitlines()[-1].startswith(("reg44", "usage")), r.stderr


def test_discard_a_draft_from_the_command_line(demo_store):
    demo_store.close()
    data = demo_store.root
    draft = [v for v in json.loads(run_cli("visits", "willow", "--json", data=data).stdout) if v["status"] == "draft"]
    r = run_cli("discard", draft[0]["id"], data=data, input_text="")
    assert r.returncode == 2 and "--yes" in r.stderr
    r = run_cli("discard", draft[0]["id"], "--yes", data=data)
    assert r.returncode == 0, r.stderr
    assert all(v["status"] != "draft" for v in json.loads(run_cli("visits", "willow", "--json", data=data).stdout))
    final = json.loads(run_cli("visits", "willow", "--json", data=data).stdout)[-1]["id"]
    r = run_cli("discard", final, "--yes", data=data)
    assert r.returncode == 2 and "final" in r.stderr
    assert run_cli("start", "willow", "--date", draft[0]["date"], data=data).returncode == 0


@pytest.mark.parametrize("command", ["homes", "dump"])
def test_output_into_a_closed_pipe_ends_quietly(demo_store, command):
    demo_store.close()
    # `sleep` lets head exit first, so the write surely meets a closed pipe.
    cmd = (f"{{ sleep 0.3; {sys.executable} -m visitor --data {demo_store.root} {command}; }} | head -c 1 >/dev/null")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.stderr == "" and r.returncode == 0, r.stderr
