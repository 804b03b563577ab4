"""``reg44 hub pull``: bring the homes this visitor is assigned (with their whole history), the erasures
made on other laptops, and the agency's peer reference rates, into the data folder in ONE local commit.

A record changed only on the hub replaces the local copy; one changed only here is left for ``push``;
one changed on both sides is reported as a conflict with both versions and left as it is. An erasure
always wins: the child is erased here too, and the erased child's record is taken from the hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from visitor.hub import records as rec
from visitor.hub.config import connect, hub_target
from visitor.hub.schema import hub_id, require_schema
from visitor.hub.state import SyncState, decide, same_decision
from visitor.model import Child, Home, ValidationError
from visitor.store import Store

PEER_MIN_HOMES = 3


@dataclass
class PullResult:
    received: dict[str, int] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    erased: int = 0
    peer_setting_types: int = 0
    problems: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)  # the records written from the hub's version
    before: dict[str, tuple] = field(default_factory=dict)  # their base and held hashes before this pull

    def count(self, kind: str, n: int = 1) -> None:
        self.received[kind] = self.received.get(kind, 0) + n

    def to_dict(self) -> dict:
        return {"received": self.received, "conflicts": self.conflicts, "erasures_applied": self.erased,
                "peer_setting_types": self.peer_setting_types, "problems": self.problems}


def fetch(conn, min_peer_homes: int = PEER_MIN_HOMES) -> dict:
    """Everything this role may see, read in one consistent snapshot."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        hub: dict = {
            "homes": conn.execute("SELECT id, id, data, hash FROM reg44.homes").fetchall(),
            "children": conn.execute("SELECT home_id, id, data, hash FROM reg44.children").fetchall(),
            "visits": conn.execute("SELECT home_id, id, data, hash FROM reg44.visits ORDER BY date").fetchall(),
            "flags": conn.execute("SELECT home_id, key, data, hash FROM reg44.flags").fetchall(),
            "erasures": conn.execute("SELECT home_id, child_id, data FROM reg44.erasures").fetchall(),
            "checklists": conn.execute(
                "SELECT id, version, raw FROM reg44.checklists c WHERE EXISTS (SELECT 1 FROM reg44.visits v "
                "WHERE v.checklist_id = c.id AND v.checklist_version = c.version)").fetchall(),
            "peers": conn.execute("SELECT setting_type, measure, homes, rate FROM reg44.peer_rates(%s)",
                                  (min_peer_homes,)).fetchall(),
        }
    return hub


def peer_rates(rows: list[tuple]) -> dict:
    """The settings shape the trends engine reads: {setting type: {"homes": n, "rates": {measure: rate}}}."""
    found: dict[str, dict] = {}
    for setting_type, measure, homes, rate in rows:
        entry = found.setdefault(setting_type, {"homes": 0, "rates": {}})
        entry["homes"] = max(entry["homes"], homes)
        entry["rates"][measure] = round(rate, 4)
    return found


def pull(store: Store, target: str | None = None, *, min_peer_homes: int = PEER_MIN_HOMES) -> PullResult:
    target = target or hub_target(store.settings())
    with connect(target) as conn:
        require_schema(conn)
        hub = fetch(conn, min_peer_homes)
        identity = hub_id(conn)
    state = SyncState.load(store.root, target, identity)
    result = PullResult()
    # No backup snapshot before a commit that erases a child: it would keep what is being erased.
    local_homes = {h.id for h in store.homes()}
    erasing = any(home_id in local_homes and all(e["child_id"] != child_id for e in store.erasures(home_id))
                  for home_id, child_id, _ in hub["erasures"])
    with store.transaction(snapshot=not erasing):
        _apply(store, hub, state, result)
    _hold(store, state, result.taken)
    state.last_pull = SyncState.now()
    state.homes = {}  # the files may have changed: the next push reads every home once
    state.save()
    return result


def _hold(store: Store, state: SyncState, taken: set[str]) -> None:
    """Note each record taken from the hub that this folder holds only in part (a newer reg44 gave it
    fields this one does not keep), so that its copy here stands for the hub's version (``SyncState.held``)."""
    if not taken:
        return
    local, _ = rec.collect(store)
    for key in taken:
        if key in state.base:
            record = local[key.split("/", 1)[0]].get(key)
            state.agree(key, state.base[key], record.hash if record else None)


def _apply(store: Store, hub: dict, state: SyncState, result: PullResult) -> None:
    from visitor import workflow

    for checklist_id, version, raw in hub["checklists"]:
        _guard(result, f"checklist {checklist_id} v{version}", _take_checklist, store, raw)
    state.conflicts = {}
    touched: set[str] = set()
    local, _ = rec.collect(store)
    for home_id, _, data, hub_hash in hub["homes"]:
        record = local["homes"].get(f"homes/{home_id}")
        if _settle(state, result, f"homes/{home_id}", "homes", home_id, record, data, hub_hash):
            if not _guard(result, f"home {home_id}", _put_home, store, home_id, data, record is not None):
                _refused(state, result, f"homes/{home_id}")
                continue
            touched.add(home_id)
            result.count("homes")
    known_homes = {h.id for h in store.homes()}
    erased_on_hub = set()
    for home_id, child_id, data in hub["erasures"]:
        erased_on_hub.add(f"children/{home_id}/{child_id}")
        if home_id in known_homes and f"erasures/{home_id}/{child_id}" not in local["erasures"] \
                and any(c.id == child_id and not c.erased for c in store.children(home_id)):
            reason = data.get("reason") if isinstance(data, dict) else None
            # An erasure is a fact: a reason that is not text never stops it.
            store.erase_child(home_id, child_id, reason if isinstance(reason, str) and reason.strip()
                              else "erased on another laptop")
            result.erased += 1
            touched.add(home_id)
    if result.erased:
        local, _ = rec.collect(store)
    for home_id, child_id, data, hub_hash in hub["children"]:
        key = f"children/{home_id}/{child_id}"
        record = local["children"].get(key)
        # The hub's erased record replaces this folder's; one the hub has not erased never un-erases it.
        force = key in erased_on_hub and record is not None and record.hash != hub_hash \
            and isinstance(data, dict) and bool(data.get("erased"))
        if home_id in known_homes and (force or _settle(state, result, key, "children", home_id, record, data,
                                                        hub_hash)):
            if not _guard(result, f"child {child_id} of {home_id}", _put_child, store, home_id, data,
                          record is not None):
                _refused(state, result, key)
                continue
            state.agree(key, hub_hash)
            result.taken.add(key)
            result.count("children")
    new_visits: dict[str, list[dict]] = {}
    for home_id, visit_id, data, hub_hash in hub["visits"]:
        key = f"visits/{visit_id}"
        record = local["visits"].get(key)
        if home_id in known_homes and _settle(state, result, key, "visits", home_id, record, data, hub_hash):
            if not _guard(result, f"visit {visit_id}", _check_visit, store, data, home_id):
                _refused(state, result, key)
                continue
            if record is None:
                new_visits.setdefault(home_id, []).append(data)
            elif state.chosen.pop(key, None) == hub_hash:  # the visitor chose it: it replaces this one whole
                store.replace_final(data)
            elif not _guard(result, f"visit {visit_id}", store.update_final, data, "the hub's copy"):
                _refused(state, result, key)
                continue
            touched.add(home_id)
            result.count("visits")
    for home_id, visits in new_visits.items():
        store.import_visits(home_id, visits)
    visible = {home_id for home_id, *_ in hub["homes"]} & known_homes
    _pull_flags(store, hub["flags"], local, state, result, visible, touched)
    for home_id in sorted(touched & {h.id for h in store.homes()}):
        store.save_summary(home_id, workflow.summarise(store, home_id))
    rates = peer_rates(hub["peers"])
    settings = store.settings()
    if settings.get("peer_rates") != rates:
        settings["peer_rates"] = rates
        store.save_settings(settings)
    result.peer_setting_types = len(rates)
    result.conflicts = [state.conflicts[k] for k in sorted(state.conflicts)]


def _pull_flags(store, rows, local, state, result, visible, touched) -> None:
    """Take the hub's new and changed flags of the homes the hub shows, and drop those the hub dropped."""
    by_home: dict[str, list[tuple]] = {home_id: [] for home_id in visible}
    for home_id, _, data, hub_hash in rows:
        if home_id in by_home:
            by_home[home_id].append((data, hub_hash))
    on_hub = {rec.record_key("flags", home_id, data) for home_id, _, data, _ in rows if isinstance(data, dict)
              and isinstance(data.get("key"), str) and isinstance(data.get("raised_on"), str)}
    for home_id, hub_flags in by_home.items():
        merged = {(f["key"], f["raised_on"]): f for f in store.flags(home_id)}
        changed = False
        for flag_key, flag in list(merged.items()):
            key = rec.record_key("flags", home_id, flag)
            record = local["flags"].get(key)
            # Dropped on the hub (by another laptop), open, and unchanged here since this laptop agreed on it.
            if key not in on_hub and not flag.get("resolved") and record is not None \
                    and state.base.get(key) is not None \
                    and state.local(key, record.hash) == state.base[key]:
                del merged[flag_key]
                state.base.pop(key, None)
                state.held.pop(key, None)
                changed = True
        for data, hub_hash in hub_flags:
            if not _guard(result, f"flag of {home_id}", _check_flag, data):
                continue
            key = rec.record_key("flags", home_id, data)
            if _settle(state, result, key, "flags", home_id, local["flags"].get(key), data, hub_hash):
                merged[(data["key"], data["raised_on"])] = data
                changed = True
                result.count("flags")
        if changed:
            store.save_flags(home_id, list(merged.values()))
            touched.add(home_id)


def _settle(state, result, key, kind, home_id, record, hub_data, hub_hash) -> bool:
    """True when the hub's version should replace (or add) the local one; records agreement and conflicts."""
    local_hash = record.hash if record else None
    action = decide(state.local(key, local_hash), state.base.get(key), hub_hash)
    if action == "conflict" and kind == "flags" and same_decision(record.data, hub_data):
        action = "pull"  # worked out on both laptops, decided on neither: the first pushed stands
    if action == "same":
        state.agree(key, hub_hash, local_hash)
    elif action == "pull":
        result.before[key] = (state.base.get(key), state.held.get(key))
        state.agree(key, hub_hash)
        result.taken.add(key)
        return True
    elif action == "conflict":
        state.conflicts[key] = {"key": key, "kind": kind, "home_id": home_id, "local": record.data, "hub": hub_data,
                                "local_hash": record.hash, "hub_hash": hub_hash}
    return False


def _refused(state: SyncState, result: PullResult, key: str) -> None:
    """A hub version this folder refused: the agreement goes back to what it was, so push sees the hub as
    newer (not a conflict) and the next pull tries again."""
    result.taken.discard(key)
    base, held = result.before.pop(key, (None, None))
    if base is None:
        state.base.pop(key, None)
        state.held.pop(key, None)
    else:
        state.agree(key, base, held)


def _check_visit(store: Store, data: dict, home_id: str) -> None:
    """A pulled visit must read back as the store reads every record: a final visit of its home, whose
    checklist version this folder has (or has just taken from the hub)."""
    from visitor.checklist import ChecklistError
    from visitor.model import Visit
    from visitor.storage.records import visit_problem

    problem = visit_problem(data)
    if problem:
        raise ValidationError(f"the visit {problem}")
    visit = Visit.from_dict(json.loads(json.dumps(data)))
    if visit.home_id != home_id or visit.status != "final":
        raise ValidationError(f"only final visits of {home_id} are taken")
    try:
        store.checklist_for(data)
    except ChecklistError as exc:
        raise ValidationError(f"its checklist cannot be read ({exc})") from None


def _take_checklist(store: Store, raw: dict) -> None:
    from visitor import checklist as checklists

    try:
        checklist = checklists.parse(raw, "the hub")
        own = store.checklist_version(checklist.id, checklist.version)
    except checklists.ChecklistError as exc:
        raise ValidationError(str(exc)) from None
    if own is not None and own.raw != checklist.raw:
        raise ValidationError("the hub's copy differs from this reg44's own of that version, which is kept")
    store.snapshot_checklist(checklist)


def _check_flag(data: dict) -> None:
    if not isinstance(data, dict):
        raise ValidationError("a flag must be a JSON object")
    if not isinstance(data.get("key"), str) or not isinstance(data.get("raised_on"), str) \
            or data.get("resolved") not in (None, "") and not isinstance(data.get("resolved"), dict):
        raise ValidationError("a flag needs text 'key' and 'raised_on', and 'resolved' empty or an object")


def _put_home(store: Store, home_id: str, data: dict, exists: bool) -> None:
    home = Home.from_dict(data)
    if home.id != home_id:
        raise ValidationError(f"the hub's record of {home_id} names another home")
    if exists:
        store.update_home(home)
    else:
        store.add_home(home)


def _put_child(store: Store, home_id: str, data: dict, exists: bool) -> None:
    child = Child.from_dict(data)
    child.home_id = home_id  # the row's home, which row-level security checked, not what the JSON says
    if exists:
        store.update_child(child)
    else:
        store.add_child(home_id, child)


def _guard(result: PullResult, what: str, write, *args) -> bool:
    """Apply one record; a record this folder refuses is named and skipped, never a traceback."""
    try:
        write(*args)
    except ValidationError as exc:
        result.problems.append(f"{what}: {exc}")
        return False
    return True
