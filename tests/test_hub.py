"""The agency hub against a real PostgreSQL: two visitors' data folders and a manager, one throwaway
database and its own roles per test. Skipped, with the reason, where no server is reachable."""

from __future__ import annotations

import json
import os
import zlib
from datetime import date
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import add_child, add_home, complete, monthly
from hub_server import Hub, server_problem

from visitor import workflow
from visitor.hub.config import HubError, conninfo, hub_target
from visitor.store import Store

PROBLEM = server_problem()
# CI sets REG44_REQUIRE_PG where a server runs, so that a broken server fails the suite instead of skipping.
needs_server = pytest.mark.skipif(PROBLEM is not None and not os.environ.get("REG44_REQUIRE_PG"),
                                  reason=f"hub tests need PostgreSQL: {PROBLEM}")


@pytest.fixture
def hub():
    made = Hub()
    yield made
    made.drop()


@pytest.fixture
def folders(tmp_path):
    opened: list[Store] = []

    def open_folder(name: str) -> Store:
        store = Store(tmp_path / name)
        opened.append(store)
        return store

    yield open_folder
    for store in opened:
        store.close()


def build_home(store: Store, home_id: str, *, provider: str = "Fictional Care Ltd", visits: int = 3,
               setting_type: str = "children's home", **answers) -> None:
    add_home(store, home_id, home_id.replace("-", " ").title(), provider=provider, setting_type=setting_type,
             urn=f"SC{zlib.crc32(home_id.encode()) % 900000 + 100000}")
    add_child(store, home_id, "AB", "Northshire Council")
    add_child(store, home_id, "CD", "Eastborough Council")
    for day in monthly(visits):
        visit = store.start_visit(home_id, day)
        workflow.finalise(store, complete(store, visit, **answers))


def push(store, hub, who):
    from visitor.hub.push import push as do_push

    return do_push(store, hub.target(who))


def pull(store, hub, who, **kw):
    from visitor.hub.pull import pull as do_pull

    return do_pull(store, hub.target(who), **kw)


# -- configuration (no server needed) -------------------------------------------------------------------
def test_a_password_in_the_hub_address_is_refused(monkeypatch):
    pytest.importorskip("psycopg")
    with pytest.raises(HubError, match="pgpass"):
        conninfo("postgresql://ann:secret@localhost/agency")
    assert conninfo("agency") == "service=agency"
    monkeypatch.delenv("REG44_HUB", raising=False)
    with pytest.raises(HubError, match="No hub is configured"):
        hub_target({})
    monkeypatch.setenv("REG44_HUB", "postgresql://ann@db.example/agency")
    assert hub_target({"hub": "ignored"}) == "postgresql://ann@db.example/agency"


def test_hub_commands_without_a_hub_say_so_in_one_line(data_dir):
    result = run_cli("hub", "push", data=data_dir, env={"REG44_HUB": ""})
    assert result.returncode == 2
    assert "No hub is configured" in result.stderr and "Traceback" not in result.stderr
    status = run_cli("hub", "status", data=data_dir)
    assert status.returncode == 0 and "Not synced" in status.stdout


def test_without_the_driver_the_hub_commands_say_what_to_install(data_dir):
    import subprocess
    import sys

    code = ("import sys; sys.modules['psycopg'] = None\nfrom visitor.cli import main\n"
            f"sys.exit(main(['--data', {str(data_dir)!r}, 'hub', '--hub', 'postgresql://x@localhost/y', 'push']))")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pip install 'reg44[hub]'" in result.stderr


# -- the real server ------------------------------------------------------------------------------------
@needs_server
def test_init_is_versioned_and_can_run_again(hub, data_dir):
    result = run_cli("hub", "--hub", hub.target("postgres"), "init", "--roles", hub.prefix, data=data_dir)
    assert result.returncode == 0, result.stderr
    assert "already up to date" in result.stdout
    versions = [r[0] for r in hub.sql("SELECT version FROM reg44.schema_migrations ORDER BY 1")]
    assert versions == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


@needs_server
def test_push_is_one_idempotent_transaction_and_never_sends_drafts(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house")
    build_home(ann, "elm-house")
    build_home(bob, "ash-house")
    ann.start_visit("oak-house", date.today().isoformat())  # a draft: stays on the laptop

    first = push(ann, hub, "ann")
    assert first.sent["homes"] == 2 and first.sent["visits"] == 6 and not first.conflicts
    push(bob, hub, "bob")
    assert hub.sql("SELECT count(*) FROM reg44.visits")[0][0] == 9
    assert hub.sql("SELECT count(*) FROM reg44.visits WHERE data->>'status' <> 'final'")[0][0] == 0
    stamps = hub.sql("SELECT id, hash, updated_at FROM reg44.visits ORDER BY id")

    again = push(ann, hub, "ann")
    assert again.sent == {} and again.unchanged > 0
    assert hub.sql("SELECT id, hash, updated_at FROM reg44.visits ORDER BY id") == stamps
    assert hub.sql("SELECT count(*) FROM reg44.pushes")[0][0] == 2

    # A re-push reads only changed homes; a visit the hub lost (say, restored from an older backup) is
    # still noticed and sent again from a home whose file has not changed.
    lost = ann.visits("elm-house")[0]["id"]
    hub.sql("DELETE FROM reg44.visits WHERE id = %s", (lost,))
    assert push(ann, hub, "ann").sent == {"visits": 1}
    assert hub.sql("SELECT count(*) FROM reg44.visits WHERE id = %s", (lost,)) == [(1,)]
    assert hub.sql("SELECT visitor::text FROM reg44.assignments WHERE home_id = 'oak-house'") == [(hub.roles["ann"],)]

    # The manager sees every home; each visitor only their own.
    from visitor.hub import views

    with hub.connect("boss") as conn:
        assert {r["id"] for r in views.homes(conn)} == {"oak-house", "elm-house", "ash-house"}
    with hub.connect("bob") as conn:
        rows = views.homes(conn)
    assert [r["id"] for r in rows] == ["ash-house"]
    assert rows[0]["visitors"] == hub.roles["bob"] and rows[0]["report"].endswith("sent")


@needs_server
def test_manager_pull_and_cover_visitor_handover(hub, folders):
    ann, bob, boss = folders("ann"), folders("bob"), folders("boss")
    build_home(ann, "oak-house", visits=4)
    push(ann, hub, "ann")
    assert pull(boss, hub, "boss").received["visits"] == 4

    result = run_cli("hub", "--hub", hub.target("boss"), "assign", "oak-house", hub.roles["bob"], "--replace",
                     data=boss.root)
    assert result.returncode == 0, result.stderr
    received = pull(bob, hub, "bob")
    assert (received.received["homes"], received.received["children"], received.received["visits"]) == (1, 2, 4)
    assert [v["id"] for v in bob.visits("oak-house")] == [v["id"] for v in ann.visits("oak-house")]
    assert bob.children("oak-house") == ann.children("oak-house")
    assert workflow.summaries(bob)["oak-house"]["visits"] == 4

    # The cover visitor carries on; the first visitor's push now skips the home it no longer has.
    last = bob.visits("oak-house")[-1]["id"]
    workflow.add_addendum(bob, last, "Correction", "The fire drill was on the Tuesday.")
    assert push(bob, hub, "bob").sent == {"visits": 1}
    assert push(ann, hub, "ann").skipped_homes == ["oak-house"]
    addenda = hub.sql("SELECT data->'addenda' FROM reg44.visits WHERE id = %s", (last,))[0][0]
    assert addenda[0]["text"] == "The fire drill was on the Tuesday."


@needs_server
def test_a_record_changed_on_two_laptops_is_a_conflict_with_both_versions(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house")
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    visit_id = ann.visits("oak-house")[-1]["id"]
    workflow.add_addendum(ann, visit_id, "Typo", "Ann's correction.")
    workflow.add_addendum(bob, visit_id, "Typo", "Bob's correction.")

    assert push(ann, hub, "ann").sent == {"visits": 1}
    stale = push(bob, hub, "bob")
    assert [c["key"] for c in stale.conflicts] == [f"visits/{visit_id}"]
    conflict = stale.conflicts[0]
    assert conflict["local"]["addenda"][0]["text"] == "Bob's correction."
    assert conflict["hub"]["addenda"][0]["text"] == "Ann's correction."
    assert conflict["hub_changed_by"] == hub.roles["ann"]
    # Nothing was overwritten on either side, and the pull does not overwrite the laptop either.
    assert hub.sql("SELECT data->'addenda'->0->>'text' FROM reg44.visits WHERE id = %s", (visit_id,)) == \
        [("Ann's correction.",)]
    assert [c["key"] for c in pull(bob, hub, "bob").conflicts] == [f"visits/{visit_id}"]
    assert bob.visit(visit_id)["addenda"][0]["text"] == "Bob's correction."
    bob.close()
    cli = run_cli("hub", "--hub", hub.target("bob"), "push", data=bob.root)
    assert cli.returncode == 1 and f"CONFLICT visits/{visit_id}" in cli.stdout
    shown = json.loads(run_cli("hub", "--hub", hub.target("bob"), "push", "--json", data=bob.root).stdout)
    assert shown["conflicts"][0]["hub"]["addenda"][0]["text"] == "Ann's correction."
    assert shown["conflicts"][0]["local"]["addenda"][0]["text"] == "Bob's correction."
    status = json.loads(run_cli("hub", "status", "--json", data=bob.root).stdout)
    assert [c["key"] for c in status["conflicts"]] == [f"visits/{visit_id}"]
    assert "correction" not in (bob.root / ".hub" / "sync.json").read_text()  # no copy of either version kept

    # Bob chooses the hub's version: the next pull brings it and the conflict is gone.
    resolved = run_cli("hub", "resolve", f"visits/{visit_id}", "--keep", "hub", data=bob.root)
    assert resolved.returncode == 0, resolved.stderr
    bob = Store(bob.root)
    after = pull(bob, hub, "bob")
    assert not after.conflicts and after.received == {"visits": 1}
    assert [a["text"] for a in bob.visit(visit_id)["addenda"]] == ["Ann's correction."]
    assert push(bob, hub, "bob").sent == {}
    bob.close()


@needs_server
def test_an_erasure_reaches_the_hub_and_every_laptop(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house")
    child = next(c for c in ann.children("oak-house") if c.code == "AB")
    visit = ann.visits("oak-house")[-1]
    assert child.id in visit["child_answers"]
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    assert bob.child("oak-house", child.id).code == "AB"

    ann.erase_child("oak-house", child.id, "Request from the child's social worker")
    assert push(ann, hub, "ann").erased == 1
    assert hub.sql("SELECT code, erased FROM reg44.children WHERE id = %s", (child.id,)) == [("[erased]", True)]
    for (data,) in hub.sql("SELECT data FROM reg44.visits WHERE home_id = 'oak-house'"):
        assert data["child_answers"][child.id]["views"] == "[erased]"

    received = pull(bob, hub, "bob")
    assert received.erased == 1 and not received.conflicts
    assert bob.child("oak-house", child.id).code == "[erased]"
    assert all(v["child_answers"][child.id]["views"] == "[erased]" for v in bob.visits("oak-house"))
    assert [e["child_id"] for e in bob.erasures("oak-house")] == [child.id]
    assert push(bob, hub, "bob").sent == {}


@needs_server
def test_row_level_security_denies_another_visitors_homes_in_raw_sql(hub, folders):
    import psycopg

    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=2)
    build_home(bob, "ash-house", visits=2)
    push(ann, hub, "ann")
    push(bob, hub, "bob")
    with hub.connect("bob") as conn:
        for table in ("homes", "children", "visits", "flags", "erasures", "assignments"):
            column = "id" if table == "homes" else "home_id"
            seen = {r[0] for r in conn.execute(f"SELECT {column} FROM reg44.{table}")}
            assert "oak-house" not in seen, table
        assert conn.execute("SELECT count(*) FROM reg44.home_status WHERE id = 'oak-house'").fetchone()[0] == 0
        assert conn.execute("UPDATE reg44.visits SET data = '{}' WHERE home_id = 'oak-house'").rowcount == 0
        assert conn.execute("UPDATE reg44.homes SET name = 'Mine' WHERE id = 'oak-house'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO reg44.children (home_id, id, code, admitted, data, hash) "
                         "VALUES ('oak-house', 'x1', 'ZZ', '2020-01-01', '{}', 'h')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', current_user)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM reg44.visits WHERE home_id = 'ash-house'")
    assert hub.sql("SELECT name FROM reg44.homes WHERE id = 'oak-house'") == [("Oak House",)]
    assert hub.sql("SELECT count(*) FROM reg44.visits WHERE home_id = 'oak-house' AND data = '{}'")[0][0] == 0
    # Nor can a visitor put another's name on an erasure or a push (nor another day).
    child = bob.children("ash-house")[0].id
    with hub.connect("bob") as conn:
        conn.execute("INSERT INTO reg44.erasures (home_id, child_id, data, erased_by, erased_at) "
                     "VALUES ('ash-house', %s, '{}', %s, '2001-01-01')", (child, hub.roles["ann"]))
        conn.execute("INSERT INTO reg44.pushes (visitor, at, counts) VALUES (current_user, '2001-01-01', '{}')")
    assert hub.sql("SELECT erased_by::text, erased_at > now() - interval '1 hour' FROM reg44.erasures") == \
        [(hub.roles["bob"], True)]
    assert hub.sql("SELECT bool_and(at > now() - interval '1 hour') FROM reg44.pushes") == [(True,)]


@needs_server
def test_peer_rates_are_pooled_in_sql_and_written_to_settings(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=3, restraints=2)
    build_home(bob, "elm-house", visits=3, restraints=4)
    build_home(bob, "ash-house", visits=3, restraints=6)
    build_home(bob, "yew-house", visits=3, restraints=8)
    build_home(bob, "fir-house", visits=3, setting_type="short breaks", restraints=9)
    push(ann, hub, "ann")
    push(bob, hub, "bob")

    pull(ann, hub, "ann")
    rates = Store(ann.root, readonly=True).settings()["peer_rates"]
    # Two children, visits 30 days apart: 2, 4, 6 and 8 restraints are 1, 2, 3 and 4 per child per 30 days.
    assert rates["children's home"]["homes"] == 4
    assert rates["children's home"]["rates"]["restraints"] == pytest.approx(2.5)
    assert rates["children's home"]["rates"]["complaints_children"] == 0
    assert "short breaks" not in rates  # one home alone is never shown as a peer reference...
    assert pull(ann, hub, "ann", min_peer_homes=1).peer_setting_types == 1  # ...and a visitor cannot ask
    with hub.connect("ann") as conn:
        assert conn.execute("SELECT count(*) FROM reg44.peer_rates(1) WHERE setting_type = 'short breaks'"
                            ).fetchone()[0] == 0
    boss = folders("boss")
    assert pull(boss, hub, "boss", min_peer_homes=1).peer_setting_types == 2  # a manager may
    assert boss.settings()["peer_rates"]["short breaks"]["rates"]["restraints"] == pytest.approx(4.5)
    peers = run_cli("hub", "--hub", hub.target("ann"), "peers", "--json", data=ann.root)
    rows = {(r["setting_type"], r["measure"]): r for r in json.loads(peers.stdout)}
    assert rows[("children's home", "restraints")]["rate"] == pytest.approx(2.5)
    # Bob, with three of the four homes, would learn Ann's from the mean: he is shown none.
    assert pull(bob, hub, "bob").peer_setting_types == 0


@needs_server
def test_provider_view_flags_a_theme_open_at_several_homes(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", provider="Evergreen Care")
    build_home(bob, "ash-house", provider="evergreen care")
    build_home(bob, "elm-house", provider="Other Homes Ltd")
    flag = {"key": "rising_restraints", "rule": "rising", "title": "Restraint rising", "evidence": "3 visits",
            "severity": "high", "visits": [], "metric": "restraints", "children": [], "active": True,
            "resolved": None}
    for store, home in ((ann, "oak-house"), (bob, "ash-house"), (bob, "elm-house")):
        store.save_flags(home, [{**flag, "raised_on": store.visits(home)[-1]["date"]}])
    ann.save_flags("oak-house", ann.flags("oak-house") + [{**flag, "key": "staffing", "rule": "staffing",
                                                             "raised_on": "2020-01-01"}])
    push(ann, hub, "ann")
    push(bob, hub, "bob")

    result = run_cli("hub", "--hub", hub.target("boss"), "provider", "Evergreen Care", "--json", data=bob.root)
    found = json.loads(result.stdout)
    assert [h["id"] for h in found["homes"]] == ["ash-house", "oak-house"]
    assert found["shared_themes"] == [{"theme": "rising", "homes": 2, "home_ids": ["ash-house", "oak-house"]}]
    text = run_cli("hub", "--hub", hub.target("boss"), "provider", "Evergreen Care", data=bob.root).stdout
    assert "SHARED THEME rising: open at 2 homes at once" in text and "staffing" in text
    # A visitor sees only their own homes of the provider, so no theme is "shared" for them.
    mine = json.loads(run_cli("hub", "--hub", hub.target("bob"), "provider", "Evergreen Care", "--json",
                              data=bob.root).stdout)
    assert [h["id"] for h in mine["homes"]] == ["ash-house"] and mine["shared_themes"] == []


@needs_server
def test_a_push_killed_mid_way_leaves_the_hub_unchanged_and_the_next_completes(hub, folders, monkeypatch):
    import psycopg

    from visitor.hub import push as push_module

    ann = folders("ann")
    build_home(ann, "oak-house")
    build_home(ann, "elm-house")
    real_write = push_module._apply_stage
    role = hub.roles["ann"]

    def write_then_lose_connection(conn, kind, records, hub_hashes):
        real_write(conn, kind, records, hub_hashes)
        if kind == "children":  # homes and children are written: drop the backend before the visits
            hub.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))

    monkeypatch.setattr(push_module, "_apply_stage", write_then_lose_connection)
    with pytest.raises(psycopg.OperationalError):
        push(ann, hub, "ann")
    for table in ("homes", "children", "visits", "flags", "pushes"):
        assert hub.sql(f"SELECT count(*) FROM reg44.{table}")[0][0] == 0, table
    assert not (ann.root / ".hub").exists()

    monkeypatch.setattr(push_module, "_apply_stage", real_write)
    done = push(ann, hub, "ann")
    assert done.sent["homes"] == 2 and done.sent["visits"] == 6
    assert hub.sql("SELECT count(*) FROM reg44.visits")[0][0] == 6


def test_hub_code_never_imports_textual_and_the_cli_parser_not_even_psycopg():
    import subprocess
    import sys

    pytest.importorskip("psycopg")
    names = [p.stem for p in (Path(__file__).parent.parent / "visitor" / "hub").glob("*.py")]
    code = ("import sys\nimport visitor.cli\nvisitor.cli.build_parser()\n"
            "print('psycopg' in sys.modules)\n" + "".join(f"import visitor.hub.{n}\n" for n in names)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["False", "[]"]


@needs_server
def test_keeping_the_laptops_version_of_a_conflict_sends_it_at_the_next_push(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    for store, manager in ((ann, "Ms Ash"), (bob, "Mr Birch")):
        home = store.home("oak-house")
        home.registered_manager = manager
        store.update_home(home)
    push(ann, hub, "ann")
    assert [c["key"] for c in push(bob, hub, "bob").conflicts] == ["homes/oak-house"]
    wrong = run_cli("hub", "resolve", "homes/elm-house", "--keep", "local", data=bob.root)
    assert wrong.returncode == 2 and "no conflict" in wrong.stderr
    assert run_cli("hub", "resolve", "homes/oak-house", "--keep", "local", data=bob.root).returncode == 0
    assert push(bob, hub, "bob").sent == {"homes": 1}
    assert hub.sql("SELECT data->>'registered_manager' FROM reg44.homes") == [("Mr Birch",)]
    assert pull(ann, hub, "ann").received == {"homes": 1}
    assert ann.home("oak-house").registered_manager == "Mr Birch"


@needs_server
def test_hub_homes_lists_visitor_month_report_sent_and_open_themes(hub, folders):
    ann = folders("ann")
    build_home(ann, "oak-house")
    home, latest = ann.home("oak-house"), ann.visits("oak-house")[-1]
    due = workflow.recipients(home, ann.children("oak-house"), latest["date"])
    workflow.record_distribution(ann, latest["id"], "Ofsted (HMCI)", "ofsted")
    authority = next(name for name, audience in due if audience == "placing-authority")
    workflow.record_distribution(ann, latest["id"], authority, "placing-authority")
    workflow.record_distribution(ann, latest["id"], "Someone else", "placing-authority")  # not a due recipient
    ann.save_flags("oak-house", [{"key": "staffing", "rule": "staffing", "title": "Staffing", "evidence": "",
                                  "raised_on": latest["date"], "resolved": None},
                                 {"key": "old", "rule": "rising", "title": "Old", "evidence": "",
                                  "raised_on": "2020-01-01", "resolved": {"on": "2020-02-01", "reason": "ok"}}])
    push(ann, hub, "ann")
    ann.close()
    result = run_cli("hub", "--hub", hub.target("boss"), "homes", "--json", data=ann.root)
    [row] = json.loads(result.stdout)
    assert row["visitors"] == hub.roles["ann"] and row["last_visit"] == latest["date"]
    assert row["this_month"] == workflow.visit_due(latest["date"])
    assert row["report"] == f"2/{len(due)} sent"
    assert row["open_themes"] == ["staffing"]
    text = run_cli("hub", "--hub", hub.target("boss"), "homes", data=ann.root).stdout
    assert "Oak House" in text and f"2/{len(due)} sent" in text


@needs_server
def test_a_pulled_record_this_folder_refuses_is_named_and_the_rest_still_arrives(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    build_home(ann, "elm-house", visits=1)
    push(ann, hub, "ann")
    for home in ("oak-house", "elm-house"):
        hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES (%s, %s)", (home, hub.roles["bob"]))
    add_home(bob, "my-oak", "Oak House")  # bob already has a different home of that name
    bob.close()
    result = run_cli("hub", "--hub", hub.target("bob"), "pull", data=bob.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Not applied: home oak-house:" in result.stdout and "already exists" in result.stdout
    after = Store(bob.root, readonly=True)
    assert {h.id for h in after.homes()} == {"my-oak", "elm-house"}
    assert len(after.visits("elm-house")) == 1 and after.visits("my-oak") == []


@needs_server
def test_a_malformed_record_on_the_hub_never_reaches_the_data_folder(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=2)
    push(ann, hub, "ann")
    first, second = [v["id"] for v in ann.visits("oak-house")]
    hub.sql("UPDATE reg44.visits SET data = jsonb_set(data, '{notes}', '[1, 2]') WHERE id = %s", (first,))
    hub.sql("UPDATE reg44.visits SET data = jsonb_set(data, '{status}', '\"draft\"') WHERE id = %s", (second,))
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    result = pull(bob, hub, "bob")
    assert [p.split(":")[0] for p in result.problems] == [f"visit {first}", f"visit {second}"]
    assert bob.visits("oak-house") == [] and len(bob.children("oak-house")) == 2
    assert Store(bob.root, readonly=True).broken_files() == []


@needs_server
def test_pull_lands_whole_or_not_at_all(hub, folders, monkeypatch):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=2)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))

    def disk_full(settings):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bob, "save_settings", disk_full)  # the last write of a pull: homes, visits came before
    with pytest.raises(OSError):
        pull(bob, hub, "bob")
    fresh = Store(bob.root, readonly=True)
    assert fresh.homes() == [] and not (bob.root / ".hub").exists()
    monkeypatch.undo()
    assert pull(bob, hub, "bob").received["visits"] == 2
    assert len(Store(bob.root, readonly=True).visits("oak-house")) == 2


@needs_server
def test_a_visitor_cannot_work_out_another_visitors_home_from_peer_rates(hub, folders):
    # Bob knows his own homes' figures: were the pooled mean taken over his two homes and Ann's one, he
    # would have Ann's home's rate exactly (3 × mean − his own). Homes are his to create, so two made-up
    # homes would do the same. At least three homes he cannot see must stand behind any rate he is shown.
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=3, setting_type="short breaks", restraints=9)
    build_home(bob, "ash-house", visits=3, setting_type="short breaks", restraints=2)
    build_home(bob, "elm-house", visits=3, setting_type="short breaks", restraints=4)
    push(ann, hub, "ann")
    push(bob, hub, "bob")
    with hub.connect("bob") as conn:
        assert conn.execute("SELECT count(*) FROM reg44.peer_rates(3) WHERE setting_type = 'short breaks'"
                            ).fetchone()[0] == 0
    pull(bob, hub, "bob")
    assert "short breaks" not in Store(bob.root, readonly=True).settings()["peer_rates"]
    # Ann sees only one home that is not hers: nothing either. The manager sees every home's figures.
    with hub.connect("ann") as conn:
        assert conn.execute("SELECT count(*) FROM reg44.peer_rates(3)").fetchone()[0] == 0
    with hub.connect("boss") as conn:
        rows = conn.execute("SELECT homes, rate FROM reg44.peer_rates(3) WHERE setting_type = 'short breaks' "
                            "AND measure = 'restraints'").fetchall()
    assert rows == [(3, pytest.approx(2.5))]
    # With three homes of others behind it, Bob is shown the pooled rate of all (his own included).
    build_home(ann, "fir-house", visits=3, setting_type="short breaks", restraints=9)
    build_home(ann, "yew-house", visits=3, setting_type="short breaks", restraints=9)
    push(ann, hub, "ann")
    with hub.connect("bob") as conn:
        rows = conn.execute("SELECT homes, rate FROM reg44.peer_rates(3) WHERE setting_type = 'short breaks' "
                            "AND measure = 'restraints'").fetchall()
    assert rows == [(5, pytest.approx((4.5 * 3 + 1 + 2) / 5))]


@needs_server
def test_a_laptop_with_an_older_reg44_never_strips_what_a_newer_one_put_on_the_hub(hub, folders):
    from visitor.hub.records import digest

    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    # A newer reg44 on another laptop pushed the home and a child with fields this one does not know.
    for table, key, field in (("homes", "id = 'oak-house'", "region"), ("children", "code = 'AB'", "pronouns")):
        [(data,)] = hub.sql(f"SELECT data FROM reg44.{table} WHERE {key}")
        data[field] = "kept"
        hub.sql(f"UPDATE reg44.{table} SET data = %s, hash = %s WHERE {key}", (json.dumps(data), digest(data)))

    assert pull(bob, hub, "bob").received == {"homes": 1, "children": 2, "visits": 1}
    assert push(bob, hub, "bob").sent == {}  # bob changed nothing: nothing of the hub's is overwritten
    assert hub.sql("SELECT data->>'region' FROM reg44.homes") == [("kept",)]
    assert hub.sql("SELECT data->>'pronouns' FROM reg44.children WHERE code = 'AB'") == [("kept",)]
    again = pull(bob, hub, "bob")
    assert again.received == {} and not again.conflicts

    # Bob changes the home: his change goes to the hub, and the field he does not know stays.
    home = bob.home("oak-house")
    home.registered_manager = "Mr Birch"
    bob.update_home(home)
    assert push(bob, hub, "bob").sent == {"homes": 1}
    assert hub.sql("SELECT data->>'region', data->>'registered_manager' FROM reg44.homes") == [("kept", "Mr Birch")]
    assert push(bob, hub, "bob").sent == {}
    assert pull(bob, hub, "bob").received == {} and bob.home("oak-house").registered_manager == "Mr Birch"


@needs_server
def test_who_must_receive_a_report_follows_a_correction_to_a_child_on_the_hub(hub, folders):
    # recipients_due is worked out on the laptop from the home's children; correcting a child's placing
    # authority after the visit changes who must receive its report, and the agency's view must follow.
    ann = folders("ann")
    build_home(ann, "oak-house", visits=1)
    [visit] = ann.visits("oak-house")
    workflow.record_distribution(ann, visit["id"], "Northshire Council", "placing-authority")
    push(ann, hub, "ann")
    with hub.connect("boss") as conn:
        from visitor.hub import views

        before = views.homes(conn)[0]["report"]
    child = next(c for c in ann.children("oak-house") if c.code == "CD")
    child.placing_authority = "Northshire Council"  # it was entered wrongly as Eastborough
    ann.update_child(child)
    due = [list(pair) for pair in workflow.recipients(ann.home("oak-house"), ann.children("oak-house"),
                                                      visit["date"])]
    assert push(ann, hub, "ann").sent == {"children": 1}
    assert hub.sql("SELECT recipients_due FROM reg44.visits") == [(due,)]
    with hub.connect("boss") as conn:
        after = views.homes(conn)[0]["report"]
    assert before != after and after == f"1/{len(due)} sent"
    assert push(ann, hub, "ann").sent == {}


@needs_server
def test_one_visitors_malformed_rows_never_stop_anyone_elses_pull(hub, folders):
    # Rows a visitor may write to their own home through raw SQL (or a broken laptop may push): each is
    # named and left out of the manager's pull; the rest arrives, and an erasure is applied all the same.
    ann, boss = folders("ann"), folders("boss")
    build_home(ann, "oak-house", visits=2)
    build_home(ann, "elm-house", visits=1)
    push(ann, hub, "ann")
    pull(boss, hub, "boss")
    first = ann.visits("oak-house")[0]["id"]
    child = next(c for c in ann.children("elm-house") if c.code == "AB")
    with hub.connect("ann") as conn:
        conn.execute("INSERT INTO reg44.checklists VALUES ('closed-culture', 99, '{}')")
        conn.execute("UPDATE reg44.visits SET checklist_version = 99, hash = 'x', "
                     "data = jsonb_set(data, '{checklist_version}', '99') WHERE id = %s", (first,))
        conn.execute("INSERT INTO reg44.flags (home_id, key, raised_on, data, hash) VALUES "
                     "('oak-house', 'a', '2020-01-01', '{}', 'h1'), ('oak-house', 'b', '2020-01-01', '[]', 'h2')")
        conn.execute("INSERT INTO reg44.erasures (home_id, child_id, data) VALUES ('elm-house', %s, %s)",
                     (child.id, json.dumps({"reason": 5})))
    build_home(ann, "ash-house", visits=1)
    push(ann, hub, "ann")
    boss.close()
    result = run_cli("hub", "--hub", hub.target("boss"), "pull", "--json", data=boss.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert [p.split(":")[0] for p in problems] == ["checklist closed-culture v99", f"visit {first}",
                                                   "flag of oak-house", "flag of oak-house"], problems
    after = Store(boss.root, readonly=True)
    assert len(after.visits("ash-house")) == 1 and len(after.children("ash-house")) == 2
    assert after.child("elm-house", child.id).code == "[erased]"
    assert after.visits("oak-house")[0]["checklist_version"] != 99


@needs_server
def test_keeping_the_hubs_version_of_a_visit_made_on_both_laptops_replaces_this_ones(hub, folders):
    # Ann and her cover visitor Bob each visited on the same day, offline: the same visit id with
    # different answers. Bob keeps Ann's; his pull must then carry it out, not refuse it for ever.
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    today = date.today().isoformat()
    for store, restraints in ((ann, 1), (bob, 5)):
        workflow.finalise(store, complete(store, store.start_visit("oak-house", today), restraints=restraints))
    assert push(ann, hub, "ann").sent["visits"] == 1
    key = f"visits/oak-house@{today}"
    assert [c["key"] for c in push(bob, hub, "bob").conflicts] == [key]
    bob.close()
    assert run_cli("hub", "resolve", key, "--keep", "hub", data=bob.root).returncode == 0
    bob = Store(bob.root)
    after = pull(bob, hub, "bob")
    assert after.problems == [] and after.conflicts == [] and after.received["visits"] == 1
    assert bob.visit(f"oak-house@{today}")["answers"]["restraints"] == 1
    assert push(bob, hub, "bob").conflicts == []
    assert hub.sql("SELECT data->'answers'->>'restraints' FROM reg44.visits WHERE date = %s", (today,)) == [("1",)]
    # A final visit changed on the hub without this laptop's choice is still refused.
    hub.sql("UPDATE reg44.visits SET data = jsonb_set(data, '{answers,restraints}', '7'), hash = 'x' "
            "WHERE date = %s", (today,))
    assert "read-only" in pull(bob, hub, "bob").problems[0]
    bob.close()


@needs_server
def test_a_checklist_version_planted_on_the_hub_never_stands_for_the_real_one(hub, folders):
    # Checklists are shared by every home: a visitor could put their own text under the next version's
    # key before anyone pushed it, and every visit using that version would be read against it (labels,
    # which counts are rates) on the hub and on every laptop that pulls it.
    from visitor import checklist as checklists

    ann, boss = folders("ann"), folders("boss")
    build_home(ann, "oak-house", visits=1)
    real = checklists.load_shipped()
    planted = json.loads(json.dumps(real.raw))
    planted["sections"][0]["items"][0]["label"] = "Planted"
    with hub.connect("bob") as conn:
        conn.execute("INSERT INTO reg44.checklists (id, version, raw) VALUES (%s, %s, %s)",
                     (real.id, real.version, json.dumps(planted)))
    with pytest.raises(HubError, match=f"{real.id} version {real.version}"):
        push(ann, hub, "ann")
    assert hub.sql("SELECT count(*) FROM reg44.visits") == [(0,)]

    # Once the hub holds the real one, a copy changed there later is not taken by a laptop either.
    hub.sql("UPDATE reg44.checklists SET raw = %s", (json.dumps(real.raw),))
    push(ann, hub, "ann")
    hub.sql("UPDATE reg44.checklists SET raw = %s", (json.dumps(planted),))
    result = pull(boss, hub, "boss")
    assert [p.split(":")[0] for p in result.problems] == [f"checklist {real.id} v{real.version}"]
    assert len(boss.visits("oak-house")) == 1
    assert boss.checklist_for(boss.visits("oak-house")[0]).raw == real.raw


@needs_server
def test_hub_homes_counts_a_copy_sent_before_an_addendum_as_due_again_like_the_laptop(hub, folders):
    from visitor import distribution
    from visitor.hub import views

    ann = folders("ann")
    build_home(ann, "oak-house", visits=1)
    [visit] = ann.visits("oak-house")
    needed = distribution.required(ann.home("oak-house"), ann.children("oak-house"), visit["date"])
    for recipient in needed:
        workflow.record_distribution(ann, visit["id"], recipient["recipient"], recipient["audience"])

    def hub_report() -> str:
        push(ann, hub, "ann")
        with hub.connect("boss") as conn:
            return views.homes(conn)[0]["report"]

    def laptop_report() -> str:
        return distribution.status(ann.visit(visit["id"]), needed).fraction + " sent"

    assert hub_report() == laptop_report() == f"{len(needed)}/{len(needed)} sent"
    workflow.add_addendum(ann, visit["id"], "Correction", "The drill was on Tuesday.", affects=["ofsted"])
    assert hub_report() == laptop_report() == f"{len(needed) - 1}/{len(needed)} sent"
    workflow.add_addendum(ann, visit["id"], "Correction", "And the date of the review.")  # every copy
    assert hub_report() == laptop_report() == f"0/{len(needed)} sent"
    workflow.record_distribution(ann, visit["id"], "Ofsted (HMCI)", "ofsted")
    assert hub_report() == laptop_report() == f"1/{len(needed)} sent"
    # One visitor's visit whose lists are not lists (raw SQL) never stops the agency's view.
    with hub.connect("ann") as conn:
        conn.execute("UPDATE reg44.visits SET recipients_due = '{}', "
                     "data = data || '{\"distribution\": {}, \"addenda\": \"x\"}'")
    with hub.connect("boss") as conn:
        assert views.homes(conn)[0]["report"] == "0/0 sent"


@needs_server
def test_a_visitors_negative_counts_never_give_laptops_peer_rates_the_app_refuses(hub, folders):
    # A count below zero (raw SQL on one's own visits) made the pooled rate negative; every laptop that
    # pulled it wrote settings that the app then refused, so no visit could be finalised there.
    ann, bob, boss = folders("ann"), folders("bob"), folders("boss")
    build_home(ann, "oak-house", visits=3, restraints=2)
    build_home(bob, "ash-house", visits=3, restraints=2)
    push(ann, hub, "ann")
    push(bob, hub, "bob")
    with hub.connect("bob") as conn:
        conn.execute("UPDATE reg44.visits SET data = jsonb_set(data, '{answers,restraints}', '-1000')")
    result = pull(boss, hub, "boss", min_peer_homes=1)
    assert result.problems == []
    workflow.check_settings(boss)
    rates = boss.settings()["peer_rates"]["children's home"]
    assert rates["homes"] == 2 and rates["rates"]["restraints"] == pytest.approx(1.0)  # Ann's home alone


@needs_server
def test_a_visitor_cannot_pass_as_a_manager_by_planting_functions_where_the_schema_is_writable(hub, folders):
    # PostgreSQL 14 and older (and databases upgraded from them) let everyone create objects in the
    # public schema. A visitor who put public first on their search_path and planted a pg_has_role of
    # their own was a manager to reg44.is_manager(), and saw every home and child of the agency.
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    build_home(bob, "ash-house", visits=1)
    push(ann, hub, "ann")
    push(bob, hub, "bob")
    hub.sql("GRANT CREATE ON SCHEMA public TO PUBLIC")
    with hub.connect("bob") as conn:
        conn.execute("CREATE FUNCTION public.pg_has_role(name, name, text) RETURNS boolean "
                     "LANGUAGE sql AS 'SELECT true'")
        conn.execute("CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql "
                     "AS $$SELECT '2001-01-01'::timestamptz$$")
        conn.execute("SET search_path = public, pg_catalog")
        assert conn.execute("SELECT reg44.is_manager()").fetchone() == (False,)
        assert [r[0] for r in conn.execute("SELECT id FROM reg44.homes")] == ["ash-house"]
        assert {r[0] for r in conn.execute("SELECT home_id FROM reg44.children")} == {"ash-house"}
        conn.execute("UPDATE reg44.homes SET name = 'Ash House' WHERE id = 'ash-house'")
    assert hub.sql("SELECT updated_at > now() - interval '1 hour' FROM reg44.homes WHERE id = 'ash-house'") == \
        [(True,)]


@needs_server
def test_a_hub_change_this_laptop_refuses_waits_for_the_next_pull_not_a_false_conflict(hub, folders):
    # Bob's laptop refuses the hub's new version of a visit (here malformed; a laptop whose clock runs
    # behind refuses another's record dated "in the future" the same way). Bob changed nothing: his
    # push must not call it a conflict, only say the hub has something newer.
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    hub.sql("UPDATE reg44.visits SET data = jsonb_set(data, '{notes}', '[1, 2]'), hash = 'newer'")
    assert len(pull(bob, hub, "bob").problems) == 1
    again = push(bob, hub, "bob")
    assert again.conflicts == [] and again.behind == 1 and again.sent == {}
    assert len(pull(bob, hub, "bob").problems) == 1


@needs_server
def test_an_erasure_made_after_the_home_was_handed_over_still_reaches_the_hub_and_its_new_visitor(hub, folders):
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=2)
    push(ann, hub, "ann")
    hub.sql("UPDATE reg44.assignments SET visitor = %s", (hub.roles["bob"],))  # handed over to Bob
    pull(bob, hub, "bob")
    child = next(c for c in ann.children("oak-house") if c.code == "AB")
    ann.erase_child("oak-house", child.id, "The child asked for their details to be erased")

    done = push(ann, hub, "ann")
    assert done.skipped_homes == ["oak-house"] and done.erased == 1
    assert hub.sql("SELECT code, erased FROM reg44.children WHERE id = %s", (child.id,)) == [("[erased]", True)]
    assert hub.sql("SELECT child_id, erased_by::text FROM reg44.erasures") == [(child.id, hub.roles["ann"])]
    assert push(ann, hub, "ann").erased == 0  # sent once

    assert pull(bob, hub, "bob").erased == 1
    assert bob.child("oak-house", child.id).code == "[erased]"
    push(bob, hub, "bob")
    for (data,) in hub.sql("SELECT data FROM reg44.visits"):
        assert data["child_answers"][child.id]["views"] == "[erased]"

    # The function is no way to erase children of homes one never had: it takes only an erased record.
    import psycopg

    other = next(c for c in bob.children("oak-house") if c.code == "CD")
    with hub.connect("ann") as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("SELECT reg44.erase_handed_over('oak-house', %s, '{}', %s, 'h')",
                     (other.id, json.dumps(other.to_dict())))
    assert hub.sql("SELECT code FROM reg44.children WHERE id = %s", (other.id,)) == [("CD",)]


@needs_server
def test_two_laptops_visiting_the_same_home_offline_conflict_only_where_a_visitor_decided_differently(hub, folders):
    # Flags are worked out from the visits on each laptop: Ann's and Bob's offline visits each rewrote the
    # home's flags, and Bob was asked to settle conflicts in flags nobody had touched. Only a resolution
    # (the visitor's own word on a flag) can conflict; otherwise the first pushed version stands.
    from datetime import timedelta

    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=0)
    start = date.today() - timedelta(days=200)
    days = [(start + timedelta(days=30 * i)).isoformat() for i in range(6)]
    for i, day in enumerate(days[:4]):
        workflow.finalise(ann, complete(ann, ann.start_visit("oak-house", day), restraints=2 * i, missing_episodes=i))
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    assert ann.flags("oak-house")  # the history raised some
    workflow.finalise(ann, complete(ann, ann.start_visit("oak-house", days[4]), restraints=10, missing_episodes=5))
    workflow.finalise(bob, complete(bob, bob.start_visit("oak-house", days[5]), restraints=0))
    push(ann, hub, "ann")
    pushed = push(bob, hub, "bob")
    assert pushed.conflicts == [] and pushed.sent["visits"] == 1
    pulled = pull(bob, hub, "bob")
    assert pulled.conflicts == [] and pulled.received["visits"] == 1
    assert push(bob, hub, "bob").sent == {}
    assert [v["date"] for v in bob.visits("oak-house")] == days[:6]
    hub_flags = {(r[0], r[1]): r[2] for r in hub.sql("SELECT key, raised_on, data FROM reg44.flags")}
    assert {(f["key"], f["raised_on"]): f for f in bob.flags("oak-house")} == hub_flags

    # Two different resolutions of one flag are a conflict, left for the visitor to settle.
    pull(ann, hub, "ann")
    key = bob.flags("oak-house")[0]["key"]
    workflow.resolve_flag(ann, "oak-house", key, "Discussed with the manager.")
    workflow.resolve_flag(bob, "oak-house", key, "Training booked.")
    push(ann, hub, "ann")
    assert [c["kind"] for c in push(bob, hub, "bob").conflicts] == ["flags"]


@needs_server
def test_the_same_hub_reached_by_another_address_keeps_what_the_laptop_and_hub_agreed(hub, folders):
    # The administrator moves the hub behind a new name, or the visitor writes the address another way:
    # it is the same hub, so what was agreed stands and a change made here is simply pushed.
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    ann = folders("ann")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    visit_id = ann.visits("oak-house")[0]["id"]
    workflow.add_addendum(ann, visit_id, "Typo", "The drill was on Tuesday.")
    from visitor.hub.push import push as do_push

    other = make_conninfo(**{**conninfo_to_dict(hub.target("ann")), "application_name": "laptop"})
    assert other != hub.target("ann")
    done = do_push(ann, other)
    assert done.conflicts == [] and done.sent == {"visits": 1}

    # A different hub at the old address (the database made afresh) starts from nothing agreed.
    hub.sql("UPDATE reg44.agency SET hub_id = gen_random_uuid()")
    hub.sql("UPDATE reg44.visits SET data = data || '{\"addenda\": []}', hash = 'other'")
    again = do_push(ann, other)
    assert [c["key"] for c in again.conflicts] == [f"visits/{visit_id}"]


@needs_server
def test_a_manager_assigns_a_home_the_hub_has_though_their_own_folder_does_not(hub, folders, tmp_path):
    # `hub assign HOME` names a home on the hub: the manager (or the administrator, on the server) need
    # not hold it in a data folder. The home was looked up in the local folder and refused.
    ann = folders("ann")
    build_home(ann, "oak-house", visits=1)
    push(ann, hub, "ann")
    result = run_cli("hub", "--hub", hub.target("boss"), "assign", "oak-house", hub.roles["bob"],
                     data=tmp_path / "boss")
    assert result.returncode == 0, result.stderr
    assert hub.sql("SELECT visitor::text FROM reg44.assignments ORDER BY 1") == [(hub.roles["ann"],),
                                                                                 (hub.roles["bob"],)]
    missing = run_cli("hub", "--hub", hub.target("boss"), "assign", "no-such-home", hub.roles["bob"],
                      data=tmp_path / "boss")
    assert missing.returncode == 2 and "The hub has no home 'no-such-home'" in missing.stderr


@needs_server
def test_a_flag_dropped_on_one_laptop_is_dropped_on_the_hub_and_the_others_not_brought_back(hub, folders):
    # The trends engine drops a flag that should never have been raised (a provider's response entered
    # late); the hub kept it and every pull brought it back, to this laptop and to the others.
    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    day = ann.visits("oak-house")[0]["date"]
    flags = [{"key": key, "rule": key, "title": key, "evidence": "", "raised_on": day, "resolved": None}
             for key in ("consideration:late", "staffing")]
    ann.save_flags("oak-house", flags)
    push(ann, hub, "ann")
    hub.sql("INSERT INTO reg44.assignments (home_id, visitor) VALUES ('oak-house', %s)", (hub.roles["bob"],))
    pull(bob, hub, "bob")
    assert len(bob.flags("oak-house")) == 2

    ann.save_flags("oak-house", flags[1:])
    push(ann, hub, "ann")
    assert hub.sql("SELECT key FROM reg44.flags") == [("staffing",)]
    pull(ann, hub, "ann")
    assert [f["key"] for f in ann.flags("oak-house")] == ["staffing"]
    assert pull(bob, hub, "bob").conflicts == []
    assert [f["key"] for f in bob.flags("oak-house")] == ["staffing"]
    assert push(bob, hub, "bob").sent == {} and hub.sql("SELECT count(*) FROM reg44.flags") == [(1,)]
    # A resolved flag - a visitor's decision - is never dropped by a sync (a folder restored from an
    # older snapshot lacks it): the hub keeps it and the pull brings it back.
    workflow.resolve_flag(ann, "oak-house", "staffing", "Two new staff in post.")
    push(ann, hub, "ann")
    ann.save_flags("oak-house", [])
    assert push(ann, hub, "ann").dropped == 0
    pull(ann, hub, "ann")
    assert [f["resolved"]["reason"] for f in ann.flags("oak-house")] == ["Two new staff in post."]


@needs_server
def test_a_home_another_laptop_pushes_first_during_this_push_is_named_and_nothing_half_done(hub, folders,
                                                                                            monkeypatch):
    from visitor.hub import push as push_module

    ann, bob = folders("ann"), folders("bob")
    build_home(ann, "oak-house", visits=1)
    build_home(ann, "elm-house", visits=1)
    build_home(bob, "elm-house", visits=1)  # Bob's own Elm House (the same id), pushed while Ann's push runs
    from visitor import checklist as checklists

    used = checklists.load_shipped()  # on the hub already: Bob's push must not wait for Ann's to end
    hub.sql("INSERT INTO reg44.checklists (id, version, raw) VALUES (%s, %s, %s)",
            (used.id, used.version, json.dumps(used.raw)))
    real = push_module._apply_stage

    def bob_pushes_first(conn, kind, records, hub_hashes):
        if kind == "homes" and conn.info.user == hub.roles["ann"]:
            push(bob, hub, "bob")
        real(conn, kind, records, hub_hashes)

    monkeypatch.setattr(push_module, "_apply_stage", bob_pushes_first)
    with pytest.raises(HubError, match="elm-house .*push again"):
        push(ann, hub, "ann")
    monkeypatch.undo()
    assert hub.sql("SELECT id FROM reg44.homes") == [("elm-house",)]
    done = push(ann, hub, "ann")
    assert done.skipped_homes == ["elm-house"] and done.sent["homes"] == 1
