"""The steps that span store and trends: finalising, flags, summaries, addenda, distribution, deadlines.

Kept apart from ``store`` so that persistence never reaches downstream into the trends engine. The
trends and completeness modules are imported where used: the dashboard needs neither at start-up.
"""

from __future__ import annotations

import calendar
import weakref
from dataclasses import dataclass
from datetime import date, datetime

from visitor import consideration, distribution, fanout
from visitor.model import (CORRECTION_OUTCOMES, PROVIDER_RESPONSES, Child, Home, ValidationError, choice, clean_name,
                           clean_text, deadline_days, open_recommendations, parse_date)
from visitor.store import Store

AUDIENCES = ("provider", "ofsted", "placing-authority", "registered-manager", "responsible-individual",
             "local-authority")


class Incomplete(ValidationError):
    def __init__(self, found: list):
        self.gaps = found
        super().__init__(f"The visit cannot be finalised yet: {len(found)} thing(s) missing, "
                         f"first: {found[0].message}.")


def thresholds(store: Store):
    from visitor import trends

    return trends.Thresholds.from_settings(store.settings().get("thresholds"))


def check_settings(store: Store) -> None:
    """Raise ValueError with a one-line message if the pattern settings cannot be used."""
    from visitor.analysis import references as refs

    settings = store.settings()
    thresholds(store)
    refs.validate_rates(settings.get("reference_rates"))
    refs.validate_peer_rates(settings.get("peer_rates"))


def gaps_for(store: Store, visit: dict) -> list:
    from visitor import completeness

    earlier = [v for v in store.visits(visit["home_id"]) if v["date"] < visit["date"]]
    return completeness.gaps(visit, store.checklist_for(visit), store.children(visit["home_id"]), earlier)


def concerns_for(store: Store, visit: dict) -> list[dict]:
    """Every concern at a visit (see ``completeness.concerns``): the one count every screen and report uses."""
    from visitor import completeness

    return completeness.concerns(visit, store.checklist_for(visit))


def progress_for(store: Store, visit: dict) -> dict[str, tuple[int, int]]:
    from visitor import completeness

    earlier = [v for v in store.visits(visit["home_id"]) if v["date"] < visit["date"]]
    return completeness.progress(visit, store.checklist_for(visit), store.children(visit["home_id"]), earlier)


def discard_draft(store: Store, visit_id: str) -> dict:
    """Throw away a draft visit (the visitor has confirmed); a final visit can never be discarded."""
    visit = store.visit(visit_id)
    if visit["status"] != "draft":
        raise ValidationError(f"Visit {visit_id} is final: a final visit cannot be discarded (add an addendum).")
    with store.transaction():
        store.discard_draft(visit["home_id"])
    return visit


def finalise(store: Store, visit: dict, on: date | None = None) -> dict:
    """Refuse an incomplete visit; otherwise make it final (read-only), say who signed it and when (``on``,
    default today: the report's date), refresh patterns."""
    found = gaps_for(store, visit)
    if found:
        raise Incomplete(found)
    check_settings(store)  # refuse bad thresholds or rates before anything is written
    who = visit.get("visitor") or store.profile()
    signed = {**visit, "finalised_by": {"name": who.get("name", ""), "role": "Independent person (regulation 44)",
                                        "organisation": who.get("organisation", ""),
                                        "on": (on or date.today()).isoformat()}}
    with store.transaction():  # the visit, its draft's removal, the flags and the summary commit together
        final = store.store_final(signed)
        refresh_home(store, visit["home_id"])
    return final


def references(store: Store, home_id: str, thresholds_=None):
    """Reference rates for the home's setting type, with the visitor's overrides, hub peer figures and
    the other homes of the same type in this data folder (from their stored totals: one small file).

    The local peers are pooled once per setting type and the pool is kept with the store: the next home
    refreshed (the next of a load) updates it with the rows that changed instead of pooling every home
    again, and leaves its own row out of its peers."""
    from visitor.analysis import references as refs

    home = store.home(home_id)
    settings = store.settings()
    t = thresholds_ or thresholds(store)
    local, pool = [], None
    hub = refs.validate_peer_rates(settings.get("peer_rates")).get(home.setting_type)
    if not hub:
        rows = store.peer_rows()
        members = {}
        for other in store.homes():
            if other.setting_type == home.setting_type:
                row = rows.get(other.id)
                if row is None and other.id != home_id:  # a folder from before the totals were kept
                    row = peer_row(store, other.id)
                if row is not None and row["dates"]:
                    members[other.id] = refs.PeerHome(row["dates"], row["exposure"], row["counts"])
        local = [peer for key, peer in members.items() if key != home_id]
        pool = _POOLS.setdefault(store, {}).setdefault(home.setting_type, refs.PeerPool())
        pool.sync(members)
    return refs.build(home.setting_type, settings, local, t.peer_min_homes, pool, home_id)


# Pooled peers per setting type, kept while the store is alive (rows only: never parsed home files).
_POOLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def peer_row(store: Store, home_id: str) -> dict | None:
    """One home's event counts and exposure as prefix sums per visit: what pooling it as a peer needs."""
    from visitor.analysis import references as refs
    from visitor.analysis.series import child_months

    visits = store.visits(home_id)
    if not visits:
        return None
    children = store.children(home_id)
    events = list(refs.DEFAULT_RATES["default"])  # in the table's order: the same file whatever the hash seed
    points, previous = [], None
    for visit in visits:
        answers = visit.get("answers", {})
        counts = {m: answers[m] for m in events if isinstance(answers.get(m), (int, float))
                  and not isinstance(answers.get(m), bool)}
        points.append((visit["date"], child_months(children, visit["date"], previous), counts))
        previous = visit["date"]
    peer = refs.peer_home(points)
    return {"home_id": home_id, "setting_type": store.home(home_id).setting_type, "dates": peer.dates,
            "exposure": peer.exposure, "counts": peer.counts}


def analyse_home(store: Store, home_id: str, *, draft: dict | None = None, months: int | None = None,
                 upto: str | None = None):
    """The home's measures and patterns as at its latest visit (or ``upto`` a date, or with a draft)."""
    from visitor import trends

    visits = list(store.visits(home_id))
    if upto:
        visits = [v for v in visits if v["date"] <= upto]
    if draft:
        visits = [v for v in visits if v["date"] < draft["date"]] + [draft]
    checklist = store.checklist_for(visits[-1]) if visits else None
    if checklist is None:
        from visitor.checklist import load_shipped

        checklist = load_shipped()
    t = thresholds(store)
    return trends.analyse(home_id, visits, store.children(home_id), checklist, t, months,
                          references(store, home_id, t))


def flags_as_of(store: Store, home_id: str, upto: str | None = None) -> list[dict]:
    """The flags the visitor would have seen at the visit of ``upto`` (default: now), replayed from the
    home's first visit with the visitor's resolutions applied where they were made."""
    visits = store.visits(home_id)
    if not visits:
        return [f for f in store.flags(home_id) if f.get("resolved")]
    analysis = analyse_home(store, home_id)
    return analysis.replay(store.flags(home_id), upto)


def refresh_home(store: Store, home_id: str) -> dict:
    """Recompute the flags visit by visit in date order, keep them, and refresh the summary.

    When this home's figures as a peer changed, the other homes of its setting type whose stored flags
    could rest on them are refreshed too, in the same transaction (``refresh_peers``)."""
    with store.transaction():
        summary, changed = _refresh(store, home_id)
        if changed is not None:
            refresh_peers(store, {home_id: changed}, done={home_id})
    return summary


def refresh_homes(store: Store, home_ids: list[str], pooled: list[str] | None = None,
                  rows: dict[str, dict | None] | None = None) -> None:
    """Refresh many homes at once (a load, a benchmark build): the figures as a peer of every home in
    ``pooled`` (default: ``home_ids``) are saved first, so each home is judged once against the whole
    pool rather than against the homes that happened to come before it; then the other homes that rest
    on the figures that changed. ``rows``: peer figures the caller already worked out from the visits
    as they now stand (a load does, while each home is still in memory).

    The replays, which are most of the work, run in forked workers (``fanout``); this process merges
    and writes each home's result in order, so the outcome is the same however many workers ran."""
    rows = dict(rows or {})
    with store.transaction():
        saved = store.peer_rows()
        changed = {}
        for home_id in dict.fromkeys([*(pooled or []), *home_ids]):
            row = rows[home_id] if home_id in rows else peer_row(store, home_id)
            rows[home_id] = row
            if row is not None and (day := first_change(saved.get(home_id), row)) is not None:
                store.save_peer_row(home_id, row)
                changed[home_id] = day
        for home_id, done in fanout.each(_refreshed, (store, rows), home_ids):
            if done.home_file is not None:  # staged as written, so memory stays flat however many homes
                store.stage_home_file(home_id, *done.home_file)
            if done.changed is not None and (row := rows[home_id]) is not None:  # (changed: it has a row)
                store.save_peer_row(home_id, row)
            store.save_summary(home_id, done.summary)
        refresh_peers(store, changed, done=set(home_ids))


@dataclass
class _Refreshed:
    """One home refreshed on a copy of the transaction (in a forked worker, or here): what to write."""

    summary: dict
    changed: str | None  # the first date its figures as a peer changed
    home_file: tuple[bytes, bytes] | None  # the home file and its outline (None: unchanged)


def _refreshed(job: tuple[Store, dict[str, dict | None]], home_id: str) -> _Refreshed:
    """``_refresh`` of one home, returning the bytes it would write: whatever it changes in a worker's copy
    of the transaction is lost with the worker, and the parent stages these bytes instead."""
    store, rows = job
    summary, changed = _refresh(store, home_id, rows)
    written = store.home_file(home_id)
    store.release_home_file(home_id)  # staged from these bytes next, by the parent
    return _Refreshed(summary, changed, written)


def _refresh(store: Store, home_id: str, rows: dict[str, dict | None] | None = None) -> tuple[dict, str | None]:
    """One home's flags, figures as a peer and summary: (summary, first date its figures changed).
    ``rows``: figures as a peer already worked out from the visits as they stand."""
    stored = store.flags(home_id)
    changed: str | None = None
    with store.transaction():
        if store.visits(home_id):
            stored = _consideration_merge(store, home_id, stored, flags_as_of(store, home_id))
            store.save_flags(home_id, stored)
            row = rows[home_id] if rows and home_id in rows else peer_row(store, home_id)
            if row is not None:
                changed = first_change(store.peer_rows().get(home_id), row)
                if changed is not None:
                    store.save_peer_row(home_id, row)
        summary = summarise(store, home_id, stored)
        store.save_summary(home_id, summary)
    return summary, changed


def first_change(before: dict | None, after: dict) -> str | None:
    """The earliest visit date from which a home's figures as a peer differ (None: unchanged).

    Peers are pooled over the twelve months before each visit judged, so only visits of other homes
    on or after this date can be judged differently."""
    old_dates = before["dates"] if before else []
    new_dates = after["dates"]
    for j in range(max(len(old_dates), len(new_dates))):
        if j >= len(old_dates):
            return new_dates[j]
        if j >= len(new_dates):
            return old_dates[j]
        assert before is not None  # old_dates is not empty
        same = old_dates[j] == new_dates[j] and before["exposure"][j] == after["exposure"][j] and all(
            (before["counts"].get(m) or [0.0] * (j + 1))[j] == (after["counts"].get(m) or [0.0] * (j + 1))[j]
            for m in set(before["counts"]) | set(after["counts"]))
        if not same:
            return min(old_dates[j], new_dates[j])
    return None


def refresh_peers(store: Store, changed: dict[str, str], done: set[str] | frozenset = frozenset()) -> list[str]:
    """Refresh the homes whose stored flags may rest on peers that changed: ``changed`` maps each home
    whose figures changed to the first date they differ (``first_change``); homes in ``done`` were
    refreshed against the new pool already. Returns the homes refreshed.

    A home's flags are judged against the other homes of its setting type over the twelve months before
    each of its visits, so a change dated D can alter only the flags of homes of that type (pooling the
    local homes, not hub figures) with a visit on or after D. Finalising today's visit usually touches
    none; a back-filled history or a loaded bundle touches the homes of its type visited since.
    """
    from visitor.analysis import references as refs

    if not changed:
        return []
    hub = refs.validate_peer_rates(store.settings().get("peer_rates"))
    homes = {h.id: h for h in store.homes()}
    since: dict[str, str] = {}
    for home_id, day in changed.items():
        kind = homes[home_id].setting_type
        if kind not in hub:
            since[kind] = min(day, since.get(kind, day))
    summaries = store.summaries()
    refreshed = []
    with store.transaction():
        for home in homes.values():
            since_day = since.get(home.setting_type)
            if since_day is None or home.id in done:
                continue
            last = (summaries.get(home.id) or {}).get("last_visit")
            if last is None:
                visits = store.visits(home.id)
                last = visits[-1]["date"] if visits else ""
            if last and last >= since_day:
                _refresh(store, home.id)  # its own figures are unchanged: nothing further to redo
                store.spill(home.id)
                refreshed.append(home.id)
    return refreshed


def merge_plain_flags(stored: list[dict], current: list[dict], prefix: str,
                      ended: dict[str, str] | None = None) -> list[dict]:
    """Merge flags given as plain dicts ``{key, title, evidence, raised_on, ...}`` whose keys start ``prefix``.

    A new key is added open; an open one is refreshed; one that no longer fires is closed on the day its
    condition ended (``ended``: key → date, e.g. the provider's response was received) — or dropped if
    that day came before it was raised (the response was only entered late). A key the visitor resolved
    stays resolved.
    """
    ended = ended or {}
    today = date.today().isoformat()
    firing = {f["key"]: f for f in current}
    merged = []
    for record in (dict(f) for f in stored):
        if record["key"].startswith(prefix) and not record.get("resolved"):
            if record["key"] in firing:
                record.update(firing[record["key"]], raised_on=record["raised_on"], active=True, last_seen=today)
            else:
                on = ended.get(record["key"], today)
                if on < record["raised_on"]:
                    continue
                record.update(active=False, resolved={"on": on, "as_of": on,
                                                      "reason": "No longer applies: the condition has ended."})
        merged.append(record)
    known = {r["key"] for r in merged}
    for key, flag in firing.items():
        if key not in known:
            merged.append({**flag, "raised_visit": "", "last_seen": today, "active": True, "resolved": None})
    return merged


def _consideration_merge(store: Store, home_id: str, stored: list[dict],
                         engine: list[dict] | None = None) -> list[dict]:
    """The trend engine's flags (``engine``: replayed; default: as stored) beside this module's own
    ``rec_not_considered:`` flags, merged against what was stored before (the replay keeps only its own)."""
    prefix = consideration.KEY_PREFIX
    engine = stored if engine is None else engine
    heads = store.outline(home_id).visits  # recommendations and their responses are all this needs
    mine = merge_plain_flags([f for f in stored if f["key"].startswith(prefix)],
                             consideration.flags(heads, date.today(), consideration.response_days(store.settings())),
                             prefix, consideration.settled(heads))
    return [f for f in engine if not f["key"].startswith(prefix)] + mine


def check_considered(store: Store, home_id: str) -> dict:
    """Re-check the recommendations' timescales (a date may have passed) and refresh the cached summary."""
    with store.transaction():
        return _refresh_considered(store, home_id)


def _refresh_considered(store: Store, home_id: str) -> dict:
    stored = _consideration_merge(store, home_id, store.flags(home_id))
    store.save_flags(home_id, stored)
    summary = summarise(store, home_id, stored)
    store.save_summary(home_id, summary)
    return summary


def summarise(store: Store, home_id: str, stored_flags: list[dict] | None = None) -> dict:
    """The dashboard's figures for one home, from its outline (its visits' heads and newest visit: the
    home file is not parsed unless its outline is missing or stale) and its draft."""
    from visitor import trends

    outline = store.outline(home_id)
    visits = outline.visits
    stored_flags = outline.flags if stored_flags is None else stored_flags
    latest = outline.latest
    draft = store.draft(home_id)
    summary: dict = {
        "last_visit": latest["date"] if latest else "",
        "last_visit_id": latest["id"] if latest else "",
        "visits": len(visits),
        "open_recommendations": len(open_recommendations(visits)),
        "open_flags": len(trends.open_flags(stored_flags)),
        "themes": [{"id": t["id"], "short": t["short"], "severity": t["severity"]}
                   for t in trends.themes_of(stored_flags)],
        "concerns": 0,
        "report_sent": True,
        "sent": "",
        "missing": [],
        "state": cycle_state(draft) if draft else "",
        "recheck_on": consideration.next_check(visits, date.today(), consideration.response_days(store.settings())),
    }
    if latest:
        summary["concerns"] = len(concerns_for(store, latest))
        status = distribution.status(latest, distribution.required(store.home(home_id), outline.children,
                                                                    latest["date"]))
        summary["report_sent"] = status.complete
        summary["sent"] = status.fraction
        summary["missing"] = [r["recipient"] for r in status.missing]
        if not draft:
            summary["state"] = cycle_state(latest, status)
    return summary


def recompute_summaries(store: Store) -> dict[str, int]:
    """Recompute every home's dashboard summary from its files and save those that differ, in one commit.

    The repair for a summary left stale (``reg44 check --repair``): each home file is parsed whole and its
    outline rewritten if it differs. Homes are read one at a time, so memory stays flat at any number of
    homes. Returns how many homes were read and how many summaries changed.
    """
    cached = store.summaries()
    result = {"homes": 0, "changed": 0}
    with store.transaction():
        for home in store.homes():
            store.rebuild_outline(home.id)
            fresh = summarise(store, home.id)
            result["homes"] += 1
            if cached.get(home.id) != {**fresh, "home_id": home.id}:
                store.save_summary(home.id, fresh)
                result["changed"] += 1
    return result


def themes_line(themes: list[dict], width: int | None = None) -> str:
    """A summary's open themes, most severe first, as one line: 'restraint ▲ voice ▲ staffing' (▲ marks a
    theme of high severity); within ``width``, as many as fit and a count of the rest: 'restraint ▲ voice ▲ +3'.
    Here, beside the summaries it reads, rather than in ``analysis``, which is never imported at start-up."""
    words = [t["short"] + (" ▲" if t["severity"] == "high" else "") for t in themes]
    if width is None:
        return " ".join(words)
    shown: list[str] = []
    for n, word in enumerate(words):
        rest = len(words) - n - 1
        candidate = " ".join(shown + [word] + ([f"+{rest}"] if rest else []))
        if len(candidate) > width and not shown and len(tight := f"{word}+{rest}") <= width:
            return tight  # the most severe theme is named even when its "+N" must sit close: 'restraint ▲+7'
        if len(candidate) > width:
            return " ".join(shown + [f"+{len(words) - n}"])
        shown.append(word)
    return " ".join(shown)


def summaries(store: Store) -> dict[str, dict]:
    """The dashboard's figures for every home; computed once per change and cached in the index.

    A cached summary is re-checked when a recommendation's timescale has run out since it was made.
    """
    from visitor.storage import LockedError, ReadOnlyError

    cached = store.summaries()
    today = date.today().isoformat()
    result = {}
    for home in store.homes():
        summary = cached.get(home.id)
        if summary is None or "state" not in summary or (summary.get("recheck_on") or "9999") <= today:
            try:
                summary = check_considered(store, home.id) if summary is not None else summarise(store, home.id)
            except (LockedError, ReadOnlyError):
                summary = summarise(store, home.id, _consideration_merge(store, home.id, store.outline(home.id).flags))
        result[home.id] = summary
    return result


def resolve_flag(store: Store, home_id: str, key: str, reason: str, on: str | None = None) -> dict:
    """Close an open flag with the visitor's reason, as at the home's latest visit (``on``: the day, default today)."""
    reason = clean_text(reason, "reason", required=True, limit=2000).strip()
    stored = store.flags(home_id)
    for record in stored:
        if record["key"] == key and not record.get("resolved"):
            visits = store.visits(home_id)
            record["resolved"] = {"on": on or date.today().isoformat(), "reason": reason,
                                  "as_of": visits[-1]["date"] if visits else ""}
            with store.transaction():
                store.save_flags(home_id, stored)
                store.save_summary(home_id, summarise(store, home_id, stored))
            return record
    raise ValidationError(f"There is no open pattern {key!r} for this home.")


def add_addendum(store: Store, visit_id: str, reason: str, text: str, affects: list[str] | None = None) -> dict:
    """Amend a final visit. The copies it ``affects`` (recipient keys; default every copy) become due again."""
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("A draft can still be edited directly; addenda are for final visits.")
    needed = required_recipients(store, visit)
    keys = []
    for wanted in affects or []:
        recipient = distribution.match(needed, wanted)
        if recipient is None:
            raise ValidationError(f"{wanted!r} is not one of this report's recipients: "
                                  f"{', '.join(r['key'] for r in needed)}.")
        keys.append(recipient["key"])
    entry = {"date": date.today().isoformat(),
             "reason": clean_text(reason, "reason for the amendment", required=True, limit=2000),
             "text": clean_text(text, "amendment", required=True),
             "affects": keys, "logged": _now()}
    visit["addenda"].append(entry)
    with store.transaction():
        store.update_final(visit, "an addendum")
        store.save_summary(visit["home_id"], summarise(store, visit["home_id"]))
    return entry


def _now() -> str:
    return datetime.now().isoformat(timespec="microseconds")


def required_recipients(store: Store, visit: dict) -> list[dict]:
    home = store.home(visit["home_id"])
    return distribution.required(home, store.children(home.id), visit["date"])


def distribution_status(store: Store, visit: dict) -> distribution.Status:
    return distribution.status(visit, required_recipients(store, visit))


def cycle_state(visit: dict, status: distribution.Status | None = None) -> str:
    """Where a visit's report is: draft → shared (for factual accuracy) → final → distributed."""
    if visit["status"] == "draft":
        return "shared" if visit.get("shared") else "draft"
    return "distributed" if status is not None and status.complete else "final"


def _sent_day(visit: dict, sent_on: str | None) -> date:
    day = parse_date(sent_on, "date sent") if sent_on else date.today()
    if day > date.today():
        raise ValidationError("The date sent cannot be in the future.")
    if day < parse_date(visit["date"]):
        raise ValidationError("A report cannot be sent before the visit took place.")
    return day


def record_sent(store: Store, visit_id: str, wanted: list[str], sent_on: str | None = None) -> list[dict]:
    """Record one or many required recipients as sent, in one write. ``wanted``: keys or names."""
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("Only a final visit's report can be sent.")
    if not wanted:
        raise ValidationError("Say who the report was sent to.")
    day = _sent_day(visit, sent_on)
    needed = required_recipients(store, visit)
    entries = []
    for name in wanted:
        recipient = distribution.match(needed, name)
        if recipient is None:
            raise ValidationError(f"{name!r} is not one of this report's recipients: "
                                  f"{', '.join(r['key'] for r in needed)}.")
        entries.append({"recipient": recipient["recipient"], "audience": recipient["audience"],
                        "key": recipient["key"], "sent_on": day.isoformat(), "logged": _now()})
    visit["distribution"].extend(entries)
    with store.transaction():
        store.update_final(visit, "the distribution log")
        store.save_summary(visit["home_id"], summarise(store, visit["home_id"]))
    return entries


def record_distribution(store: Store, visit_id: str, recipient: str, audience: str,
                        sent_on: str | None = None) -> dict:
    """Record one copy sent to a recipient named freely (required ones are matched to their key)."""
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("Only a final visit's report can be sent.")
    if audience not in AUDIENCES:
        raise ValidationError(f"The audience must be one of: {', '.join(AUDIENCES)}.")
    day = _sent_day(visit, sent_on)
    name = clean_name(recipient, "recipient", required=True, limit=300)  # one line: no control characters
    entry = {"recipient": name, "audience": audience, "sent_on": day.isoformat(), "logged": _now()}
    needed = required_recipients(store, visit)
    match = distribution.match(needed, name) or (
        distribution.match(needed, audience) if audience != "placing-authority" else None)
    if match is not None and match["audience"] == audience:
        entry["key"] = match["key"]
    visit["distribution"].append(entry)
    with store.transaction():
        store.update_final(visit, "the distribution log")
        store.save_summary(visit["home_id"], summarise(store, visit["home_id"]))
    return entry


def recipients(home: Home, children: list[Child], day: str) -> list[tuple[str, str]]:
    """Who must receive a copy (reg 44(7)): (recipient, audience), placing authorities once each."""
    return [(r["recipient"], r["audience"]) for r in distribution.required(home, children, day)]


def placing_authorities(children: list[Child], day: str) -> list[str]:
    return sorted({c.placing_authority for c in children if c.resident_on(day)})


# -- the factual-accuracy draft, corrections and the provider's response ------------------------------
def share_for_accuracy(store: Store, visit_id: str, out_dir, problems: list[str] | None = None) -> list:
    """Write the provider's draft copy for factual accuracy and record the day it was shared."""
    from visitor.report.export import export_draft

    visit = store.visit(visit_id)
    if visit["status"] != "draft":
        raise ValidationError("This visit is already final: a draft for factual accuracy comes before finalising.")
    found = gaps_for(store, visit)
    if found:
        raise ValidationError(f"The draft is not complete yet ({len(found)} thing(s) missing, first: "
                              f"{found[0].message}): complete it before sharing it for factual accuracy.")
    paths = export_draft(store, visit, out_dir, problems)
    today = date.today().isoformat()
    visit["shared"] = {"on": today, "with": "provider", "history": [*visit.get("shared", {}).get("history", []), today]}
    with store.transaction():
        store.save_draft(visit)
        store.save_summary(visit["home_id"], summarise(store, visit["home_id"]))
    return paths


def record_correction(store: Store, visit_id: str, disputed: str, outcome: str, reason: str,
                      change: str = "") -> dict:
    """Record a point of fact the provider disputed in the shared draft and what the visitor decided.

    The visitor edits the draft themselves if they accept it: a correction never rewrites their words.
    """
    visit = store.visit(visit_id)
    if visit["status"] != "draft":
        raise ValidationError("Corrections of fact are recorded on the draft, before finalising; "
                              "after that, add an addendum.")
    if not visit.get("shared"):
        raise ValidationError("Share the draft for factual accuracy first (reg44 export VISIT --draft).")
    outcome = choice(outcome, CORRECTION_OUTCOMES, "outcome")
    entry = {"disputed": clean_text(disputed, "point disputed", required=True, limit=5000).strip(),
             "outcome": outcome,
             "reason": clean_text(reason, "reason", required=True, limit=5000).strip(),
             "change": clean_text(change, "change made", required=outcome == "accepted", limit=5000).strip(),
             "recorded_on": date.today().isoformat()}
    visit["corrections"] = [*visit.get("corrections", []), entry]
    store.save_draft(visit)
    return entry


def record_response(store: Store, visit_id: str, number: int, response: str, action: str, by: str = "",
                    ri_comment: str = "", received_on: str = "") -> dict:
    """Record the registered manager's response to recommendation ``number`` (1-based) and the RI's comment."""
    visit = store.visit(visit_id)
    recs = visit.get("recommendations", [])
    if not isinstance(number, int) or not 1 <= number <= len(recs):
        raise ValidationError(f"This visit has {len(recs)} recommendation(s); there is no number {number}.")
    response = choice(response, PROVIDER_RESPONSES, "response")
    received = parse_date(received_on, "date received") if received_on else date.today()
    if received > date.today():
        raise ValidationError("The date the response was received cannot be in the future.")
    deadline = parse_date(by, "date the action is due by") if by else None
    if response != "not accepted" and deadline is None:
        raise ValidationError("Say by when the action will be done (--by YYYY-MM-DD).")
    entry = {"response": response,
             "action": clean_text(action, "action (or the reason, if not accepted)", required=True,
                                  limit=5000).strip(),
             "by": deadline.isoformat() if deadline else "",
             "ri_comment": clean_text(ri_comment, "responsible individual's comment", limit=5000).strip(),
             "received_on": received.isoformat(), "logged": _now()}
    visit["responses"] = {**visit.get("responses", {}), recs[number - 1]["id"]: entry}
    with store.transaction():
        if visit["status"] == "draft":
            store.save_draft(visit)
        else:
            store.update_final(visit, "the provider's response")
            _refresh_considered(store, visit["home_id"])
    return entry


# -- deadlines --------------------------------------------------------------------------------------
def report_due(visit_date: str, rule: str = "end-of-month") -> date:
    """The report deadline: end of the visit's month by default, or ``days:N`` after the visit."""
    day = parse_date(visit_date)
    days = deadline_days(rule)
    if days is None:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    from datetime import timedelta

    return day + timedelta(days=days)


def report_state(visit: dict, rule: str, today: date | None = None,
                 status: distribution.Status | None = None) -> str:
    """'sent', or 'due <date>' / 'OVERDUE <date>' with '3/7 sent' before it once some copies are recorded.

    Without ``status`` (the required recipients), any logged copy counts: pass it wherever a store is at hand.
    """
    if status is None and visit.get("distribution") or status is not None and status.complete:
        return "sent"
    due = report_due(visit["date"], rule)
    today = today or date.today()
    state = f"{'OVERDUE' if today > due else 'due'} {due.isoformat()}"
    return f"{status.fraction} sent, {state}" if status is not None and status.sent else state


def report_label(visit_date: str, rule: str, today: date | None = None, sent: str = "") -> str:
    """A short marker for an unsent report: 'due 31 Oct', 'OVERDUE', or '3/7 sent' / '3/7 LATE' (past due)."""
    due = report_due(visit_date, rule)
    late = (today or date.today()) > due
    if sent and not sent.startswith("0/"):
        return f"{sent} {'LATE' if late else 'sent'}"
    return "OVERDUE" if late else f"due {due.day} {due:%b}"


def visit_due(last_visit: str, today: date | None = None) -> str:
    """'done' if visited this calendar month; 'overdue' if a whole month was missed; else 'due'."""
    today = today or date.today()
    if not last_visit:
        return "overdue"
    last = parse_date(last_visit)
    if (last.year, last.month) == (today.year, today.month):
        return "done"
    previous = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return "due" if (last.year, last.month) == previous else "overdue"
