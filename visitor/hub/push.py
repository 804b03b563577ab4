"""``reg44 hub push``: send this laptop's shareable records to the hub in ONE transaction.

Only what changed is sent, so a second push with nothing new changes nothing. A record changed on the
hub since this laptop last agreed with it is not overwritten: it is either left for ``pull`` (changed
only there) or reported as a conflict with both versions (changed on both sides). A dropped connection
rolls the whole push back; the sync state is written only after the hub has committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from visitor.hub import records as rec
from visitor.hub.config import HubError, connect, hub_target
from visitor.hub.schema import hub_id, require_schema
from visitor.hub.state import SyncState, decide, same_decision
from visitor.store import Store


@dataclass
class PushResult:
    sent: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    behind: int = 0
    conflicts: list[dict] = field(default_factory=list)
    skipped_homes: list[str] = field(default_factory=list)
    erased: int = 0
    dropped: int = 0

    def to_dict(self) -> dict:
        return {"sent": self.sent, "unchanged": self.unchanged, "newer_on_hub": self.behind,
                "conflicts": self.conflicts, "skipped_homes": self.skipped_homes, "erasures_applied": self.erased,
                "flags_dropped": self.dropped}


def push(store: Store, target: str | None = None) -> PushResult:
    target = target or hub_target(store.settings())
    result = PushResult()
    with connect(target) as conn:
        require_schema(conn)
        state = SyncState.load(store.root, target, hub_id(conn))
        with conn.transaction():
            prints = _push_in_transaction(conn, store, state, result)
    state.last_push = SyncState.now()
    state.homes = prints
    state.save()
    return result


def _push_in_transaction(conn, store: Store, state: SyncState, result: PushResult) -> dict:
    """Decide record by record and send what changed; returns each home's fingerprint for next time.

    Visits, the bulk, stream into the staging table while the next home is still being read, so the
    laptop's reading and the server's parsing overlap.
    """
    homes = store.homes()
    hidden = {r[0] for r in conn.execute("SELECT reg44.hidden_homes(%s)", (sorted(h.id for h in homes),))}
    result.skipped_homes = sorted(hidden)
    result.erased += _erase_handed_over(conn, store, result.skipped_homes)
    homes = [h for h in homes if h.id not in hidden]
    mine = [h.id for h in homes]
    conn.execute("SET LOCAL default_toast_compression = 'lz4'")  # the staging tables: fast to fill
    # Lock this laptop's homes so that two pushes of the same homes run one after the other.
    conn.execute("SELECT id FROM reg44.homes WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (mine,))
    hub = _hub_hashes(conn, mine)
    state.conflicts = {}
    changes: dict[str, list[rec.Record]] = {kind: [] for kind in rec.COLUMNS}
    children: dict[str, rec.Record] = {}
    clashes: list[rec.Record] = []
    checklists: dict[tuple[str, int], dict] = {}
    prints: dict[str, dict] = {}
    fuller = _hub_data(conn, mine, state.held)  # the hub's versions this folder holds only in part
    carried: dict[str, str] = {}
    recipients: dict[str, str] = {}  # visit id: who must receive its report, as worked out here now
    local_flags: set[str] = set()
    _stage(conn, "visits")
    with conn.cursor().copy(_copy_sql("visits")) as copy:
        for home in homes:
            records, prints[home.id] = rec.home_records(store, home, state.homes.get(home.id))
            if any(r.data is None and _action(r, state, hub) in ("push", "conflict") for r in records):
                records, prints[home.id] = rec.home_records(store, home)  # needed after all: read it
            for record in records:
                if record.kind == "children":
                    children[record.key] = record
                elif record.kind == "flags":
                    local_flags.add(record.key)
                action = _action(record, state, hub)
                if action == "push" and record.key in fuller:
                    local_hash, record = record.hash, _carry_over(record, fuller[record.key])
                    carried[record.key] = local_hash
                if action == "same":
                    agreed = state.local(record.key, record.hash)
                    assert agreed is not None  # a record's own hash, or the base a held copy stands for
                    state.agree(record.key, agreed, record.hash)
                    result.unchanged += 1
                    if record.kind == "visits" and record.recipients_due is not None:
                        recipients[record.body["id"]] = json.dumps(record.recipients_due)
                elif action == "pull":
                    result.behind += 1
                elif action == "conflict":
                    clashes.append(record)
                elif record.kind == "visits":
                    visit = record.body
                    checklists.setdefault((visit["checklist_id"], visit["checklist_version"]),
                                          store.checklist_for(visit).raw)
                    copy.write_row(record.row())
                    record.data, record.text = None, ""  # sent: no need to hold 24,000 visits in memory
                    changes["visits"].append(record)
                else:
                    changes[record.kind].append(record)
    result.dropped = _drop_flags(conn, mine, hub["flags"], local_flags, state)
    for record in clashes:
        clash = _conflict(conn, record.kind, record)
        if record.kind == "flags" and same_decision(record.body, clash["hub"]):
            result.behind += 1  # worked out on both laptops, decided on neither: the hub's is taken at pull
            continue
        state.conflicts[record.key] = clash
    result.erased += _apply_new_erasures(conn, changes["erasures"], children, hub)
    _send_checklists(conn, checklists)
    for kind in ("homes", "children", "visits", "flags", "erasures"):
        if kind != "visits":
            _stage(conn, kind)
            with conn.cursor().copy(_copy_sql(kind)) as copy:
                for record in changes[kind]:
                    copy.write_row(record.row())
        _apply_stage(conn, kind, changes[kind], hub[kind])
        for record in changes[kind]:
            if kind != "erasures":
                state.agree(record.key, record.hash, carried.get(record.key))
        if changes[kind]:
            result.sent[kind] = len(changes[kind])
    _refresh_recipients(conn, recipients)
    result.conflicts = [state.conflicts[k] for k in sorted(state.conflicts)]
    if result.sent or result.conflicts or result.dropped:  # a push that changes nothing leaves no trace
        conn.execute("INSERT INTO reg44.pushes (counts) VALUES (%s)",
                     (json.dumps({**result.sent, "conflicts": len(result.conflicts)}),))
    return prints


def _action(record: rec.Record, state: SyncState, hub: dict) -> str:
    if record.kind == "erasures":  # a fact: sent once, never in conflict
        return "same" if record.key in hub["erasures"] else "push"
    return decide(state.local(record.key, record.hash), state.base.get(record.key),
                  hub[record.kind].get(record.key))


def _drop_flags(conn, home_ids: list[str], hub_flags: dict[str, str], local: set[str], state: SyncState) -> int:
    """Delete from the hub the flags this laptop dropped (the trends engine drops an open one that should
    never have been raised): gone here, and on the hub as last agreed. One the hub changed since stays
    (pull brings it back), and so does a resolved one: a visitor's decision is never dropped by a sync."""
    gone = [key for key, hub_hash in hub_flags.items() if key not in local and state.base.get(key) == hub_hash]
    if not gone:
        return 0
    key_sql = HUB_KEYS["flags"][0]
    deleted = [row[0] for row in conn.execute(
        f"DELETE FROM reg44.flags WHERE home_id = ANY(%s) AND {key_sql} = ANY(%s) AND NOT resolved "
        f"RETURNING {key_sql}", (home_ids, gone))]
    for key in deleted:
        state.base.pop(key, None)
        state.held.pop(key, None)
    return len(deleted)


def _carry_over(record: rec.Record, fuller: dict) -> rec.Record:
    """The record as changed here, with the fields of the hub's version this reg44 does not keep."""
    body = record.body
    merged = {**{k: v for k, v in fuller.items() if k not in body}, **body}
    return rec.Record.of(record.kind, record.home_id, merged, record.recipients_due)


HUB_KEYS = {
    "homes": ("'homes/' || id", "id"),
    "children": ("'children/' || home_id || '/' || id", "home_id"),
    "visits": ("'visits/' || id", "home_id"),
    "flags": ("'flags/' || home_id || '/' || key || '/' || raised_on", "home_id"),
    "erasures": ("'erasures/' || home_id || '/' || child_id", "home_id"),
}


def _hub_hashes(conn, home_ids: list[str]) -> dict[str, dict[str, str]]:
    """The hub's hash of every record of these homes, keyed like the local records."""
    found: dict[str, dict[str, str]] = {}
    for kind, (key, home) in HUB_KEYS.items():
        hash_ = "''" if kind == "erasures" else "hash"
        found[kind] = dict(conn.execute(f"SELECT {key}, {hash_} FROM reg44.{kind} WHERE {home} = ANY(%s)",
                                        (home_ids,)).fetchall())
    return found


def _hub_data(conn, home_ids: list[str], keys: dict[str, str]) -> dict[str, dict]:
    """The hub's data of the given records of these homes, by key."""
    found: dict[str, dict] = {}
    for kind in {key.split("/", 1)[0] for key in keys} & set(rec.SYNCED):
        key, home = HUB_KEYS[kind]
        found.update(conn.execute(f"SELECT {key}, data FROM reg44.{kind} WHERE {home} = ANY(%s) AND {key} = ANY(%s)",
                                  (home_ids, list(keys))).fetchall())
    return found


def _conflict(conn, kind: str, record: rec.Record) -> dict:
    where = " AND ".join(f"{k} = %s" for k in rec.KEYS[kind])
    values = [record.home_id if k == "home_id" else record.body[k] for k in rec.KEYS[kind]]
    row = conn.execute(f"SELECT data, hash, updated_by::text, updated_at::text FROM reg44.{kind} WHERE {where}",
                       values).fetchone()
    return {"key": record.key, "kind": kind, "home_id": record.home_id, "local": record.data,
            "hub": row[0] if row else None, "local_hash": record.hash, "hub_hash": row[1] if row else "",
            "hub_changed_by": row[2] if row else "", "hub_changed_at": row[3] if row else ""}


def _apply_new_erasures(conn, erasures: list[rec.Record], children: dict[str, rec.Record], hub: dict) -> int:
    """Erase, on the hub, each child this laptop erased and the hub has not: the child's row and the
    child's words in every visit and flag of the home the hub holds (also those this laptop never had)."""
    from visitor.store import erase_from_visit

    count = 0
    for erasure in erasures:
        child_id = erasure.body["child_id"]
        row = conn.execute("SELECT code FROM reg44.children WHERE home_id = %s AND id = %s",
                           (erasure.home_id, child_id)).fetchone()
        child = children.get(f"children/{erasure.home_id}/{child_id}")
        if row is None or child is None:
            continue
        cols = rec.COLUMNS["children"]
        conn.execute(f"UPDATE reg44.children SET ({', '.join(cols[2:])}) = ({', '.join(['%s'] * (len(cols) - 2))}) "
                     "WHERE home_id = %s AND id = %s", (*child.row()[2:], erasure.home_id, child_id))
        hub["children"][child.key] = child.hash
        for table, keys in (("visits", ("id",)), ("flags", ("key", "raised_on"))):
            where = " AND ".join(f"{k} = %s" for k in keys)
            rows = conn.execute(f"SELECT data, {', '.join(keys)} FROM reg44.{table} WHERE home_id = %s",
                                (erasure.home_id,)).fetchall()
            for data, *key_values in rows:
                if erase_from_visit(data, child_id, row[0]):
                    conn.execute(f"UPDATE reg44.{table} SET data = %s, hash = %s WHERE home_id = %s AND {where}",
                                 (json.dumps(data, ensure_ascii=False), rec.digest(data), erasure.home_id,
                                  *key_values))
        count += 1
    return count


def _refresh_recipients(conn, recipients: dict[str, str]) -> None:
    """Put right who must receive each unchanged visit's report, read from a changed home.

    It is worked out from the home and its children, not kept in the visit, so correcting a child's
    placing authority (or the home's manager) after the visit changes it without changing the visit."""
    if recipients:
        conn.execute("UPDATE reg44.visits v SET recipients_due = r.due::jsonb "
                     "FROM unnest(%s::text[], %s::text[]) AS r (id, due) "
                     "WHERE v.id = r.id AND v.recipients_due IS DISTINCT FROM r.due::jsonb",
                     (list(recipients), list(recipients.values())))


def _erase_handed_over(conn, store: Store, home_ids: list[str]) -> int:
    """Send the erasures made here in homes now another visitor's (their rows are hidden from this role):
    erasure always wins (``reg44.erase_handed_over`` records it and erases the child's row)."""
    count = 0
    for home_id in home_ids:
        erasures = store.erasures(home_id)
        children = {c.id: c for c in store.children(home_id)} if erasures else {}
        for erasure in erasures:
            child = children.get(str(erasure.get("child_id")))
            if child is None or not child.erased:
                continue
            erased = rec.Record.of("children", home_id, child.to_dict())
            if conn.execute("SELECT reg44.erase_handed_over(%s, %s, %s, %s, %s)",
                            (home_id, child.id, json.dumps(erasure, ensure_ascii=False), erased.text,
                             erased.hash)).fetchone()[0]:
                count += 1
    return count


def _send_checklists(conn, used: dict[tuple[str, int], dict]) -> None:
    """Send the checklist versions the visits use; a version the hub holds with other content (planted,
    or another reg44's) refuses the push, so no visit is ever read against a checklist it did not use."""
    if not used:
        return
    conn.cursor().executemany(
        "INSERT INTO reg44.checklists (id, version, raw) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        [(cid, version, json.dumps(raw, ensure_ascii=False)) for (cid, version), raw in used.items()])
    held = conn.execute("SELECT c.id, c.version, c.raw FROM reg44.checklists c "
                        "JOIN unnest(%s::text[], %s::int[]) AS u (id, version) USING (id, version)",
                        ([cid for cid, _ in used], [version for _, version in used])).fetchall()
    for cid, version, raw in held:
        if raw != json.loads(json.dumps(used[(cid, version)])):
            raise HubError(f"The hub holds the checklist {cid} version {version} with other content than this "
                           "laptop's: nothing was pushed. Ask the hub's administrator to check reg44.checklists.")


def _stage(conn, kind: str) -> None:
    """An empty temporary table shaped like the hub's: COPY cannot write through row-level security."""
    cols = ", ".join(rec.COLUMNS[kind])
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage_{kind} AS SELECT {cols} FROM reg44.{kind} WITH NO DATA")
    conn.execute(f"TRUNCATE stage_{kind}")


def _copy_sql(kind: str) -> str:
    return f"COPY stage_{kind} ({', '.join(rec.COLUMNS[kind])}) FROM STDIN"


def _apply_stage(conn, kind: str, records: list[rec.Record], hub_hashes: dict[str, str]) -> None:
    """Insert the new records and update the changed ones from the staging table (policies apply)."""
    if not records:
        return
    cols = rec.COLUMNS[kind]
    keys = rec.KEYS[kind]
    col_list = ", ".join(cols)
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    new = sum(1 for r in records if r.key not in hub_hashes)
    if new < len(records):
        settable = [c for c in cols if c not in keys]
        updated = conn.execute(
            f"UPDATE reg44.{kind} t SET ({', '.join(settable)}) = ({', '.join('s.' + c for c in settable)}) "
            f"FROM stage_{kind} s WHERE {match}").rowcount
        if updated != len(records) - new:
            raise HubError(f"The hub refused some {kind} (expected to update {len(records) - new}, "
                           f"updated {updated}); nothing was pushed.")
    if new and kind == "homes":
        import psycopg

        try:
            with conn.transaction():  # a savepoint: the transaction can still name the homes
                conn.execute(f"INSERT INTO reg44.homes ({col_list}) SELECT {col_list} FROM stage_homes s "
                             f"WHERE NOT EXISTS (SELECT 1 FROM reg44.homes t WHERE {match})")
        except psycopg.errors.UniqueViolation:
            # A home another laptop pushed first while this push ran (hidden_homes did not know it yet).
            ids = sorted(r.home_id for r in records if r.key not in hub_hashes)
            taken = [row[0] for row in conn.execute("SELECT reg44.hidden_homes(%s)", (ids,))] or ids
            raise HubError(f"{', '.join(taken)} reached the hub from another laptop while this push ran; nothing "
                           "was pushed: push again.") from None
    elif new:
        conn.execute(f"INSERT INTO reg44.{kind} ({col_list}) SELECT {col_list} FROM stage_{kind} s "
                     f"WHERE NOT EXISTS (SELECT 1 FROM reg44.{kind} t WHERE {match})")
