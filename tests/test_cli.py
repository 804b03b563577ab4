import json
import re

from conftest import run_cli


def test_home_child_visits_json(data_dir):
    r = run_cli("home", "add", "--name", "Ash Court", "--urn", "SC111111", "--places", "3",
                "--registered-on", "2018-01-01", data=data_dir)
    assert r.returncode == 0, r.stderr
    homes = json.loads(run_cli("homes", "--json", data=data_dir).stdout)
    assert homes[0]["id"] == "ash-court" and homes[0]["name"] == "Ash Court"
    r = run_cli("child", "add", "ash-court", "--code", "PQ", "--authority", "Fictional Council",
                "--communication", "non-verbal", "--advocate", "non-instructed", "--miles", "120",
                "--admitted", "2019-01-01", data=data_dir)
    assert r.returncode == 0, r.stderr
    children = json.loads(run_cli("children", "ash-court", "--json", data=data_dir).stdout)
    assert children[0]["distance_miles"] == 120
    r = run_cli("start", "ash-court", "--date", "2020-02-02", data=data_dir)
    assert r.returncode == 0, r.stderr
    visits = json.loads(run_cli("visits", "ash-court", "--json", data=data_dir).stdout)
    assert visits == [{**visits[0], "id": "ash-court@2020-02-02", "status": "draft"}]
    r = run_cli("gaps", "ash-court@2020-02-02", data=data_dir)
    assert r.returncode == 1 and "No opinion given" in r.stdout


def test_bad_input_gets_clear_message(data_dir):
    r = run_cli("home", "add", "--name", "X", "--places", "-2", data=data_dir)
    assert r.returncode == 2 and "cannot be less than 0" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("visits", "nowhere", data=data_dir)
    assert r.returncode == 2 and "no home with id 'nowhere'" in r.stderr
    r = run_cli("load", "/nonexistent.json", data=data_dir)
    assert r.returncode == 2 and "cannot be read" in r.stderr


def test_data_option_env_and_profile(tmp_path):
    env_dir = tmp_path / "env-data"
    r = run_cli("profile", "--name", "Sam", "--json", env={"REG44_DATA": str(env_dir)})
    assert json.loads(r.stdout)["name"] == "Sam"
    assert (env_dir / "settings.json").exists()
    explicit = tmp_path / "explicit"
    run_cli("profile", "--name", "Alex", data=explicit, env={"REG44_DATA": str(env_dir)})
    assert json.loads((explicit / "settings.json").read_text())["profile"]["name"] == "Alex"


def test_demo_refuses_to_overwrite_and_passes_check(data_dir):
    r = run_cli("demo", data=data_dir)
    assert r.returncode == 0, r.stderr
    r = run_cli("demo", data=data_dir)
    assert r.returncode == 2 and "demo data is already in" in r.stderr
    r = run_cli("check", data=data_dir)
    assert r.returncode == 0 and "all is well" in r.stdout, r.stdout
    homes = json.loads(run_cli("homes", "--json", data=data_dir).stdout)
    assert len(homes) >= 3
    for home in homes:
        visits = json.loads(run_cli("visits", home["id"], "--json", data=data_dir).stdout)
        assert len([v for v in visits if v["status"] == "final"]) >= 12


def test_check_fails_on_broken_file_and_restore_fixes_it(data_dir):
    run_cli("demo", data=data_dir)
    # make sure a backup exists, then break the file
    run_cli("child", "add", "oak-house", "--code", "ZZ", "--authority", "X", "--admitted", "2020-01-01", data=data_dir)
    path = data_dir / "homes" / "oak-house.json"
    path.write_text("{")
    r = run_cli("check", data=data_dir)
    assert r.returncode == 1 and str(path) in r.stdout
    r = run_cli("restore", data=data_dir)
    assert r.returncode == 0, r.stderr
    assert run_cli("check", data=data_dir).returncode == 0


def test_dump_and_load_via_cli(data_dir, tmp_path):
    run_cli("demo", data=data_dir)
    out = tmp_path / "bundle.json"
    assert run_cli("dump", str(out), data=data_dir).returncode == 0
    other = tmp_path / "other"
    r = run_cli("load", str(out), data=other)
    assert r.returncode == 0 and "39 visits" in r.stdout
    r = run_cli("load", str(out), data=other)
    assert "0 visits" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "reg44-bundle", "version": 1, "checklists": [], "homes": [{"home": {"id": "X!"}}]}))
    r = run_cli("load", str(bad), data=other)
    assert r.returncode == 2 and "homes[0]" in r.stderr


def test_demo_needs_force_beside_other_data(data_dir):
    run_cli("home", "add", "--name", "My Own Home", "--urn", "SC100001", "--places", "3", "--registered-on", "2015-01-01", data=data_dir)
    r = run_cli("demo", data=data_dir)
    assert r.returncode == 2 and "already holds data" in r.stderr
    r = run_cli("demo", "--force", data=data_dir)
    assert r.returncode == 0, r.stderr
    names = [h["name"] for h in json.loads(run_cli("homes", "--json", data=data_dir).stdout)]
    assert "My Own Home" in names and "Oak House" in names


def test_homes_lists_each_homes_open_themes_most_severe_first(data_dir):
    """The dashboard's Themes column in the CLI's list: the drifting demo home names its most severe theme
    and counts the rest; a quiet home shows none. The JSON keeps the whole line."""
    run_cli("demo", data=data_dir)
    r = run_cli("homes", data=data_dir)
    header, *rows = r.stdout.splitlines()
    assert header.split()[-1] == "Themes"
    oak = next(row for row in rows if row.startswith("oak-house"))
    assert re.search(r"restraint ▲ .*\+\d+$", oak.rstrip()), oak
    assert next(row for row in rows if row.startswith("willow-lodge")).rstrip().endswith(" 0")
    listed = {h["id"]: h for h in json.loads(run_cli("homes", "--json", data=data_dir).stdout)}
    assert "themes_cell" not in listed["oak-house"]
    assert listed["oak-house"]["themes"].startswith("restraint ▲") and len(listed["oak-house"]["themes"].split(" ▲")) > 3
