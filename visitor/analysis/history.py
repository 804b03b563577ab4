"""A home's flags as the visitor would have seen them, visit by visit, in date order.

Stored flags are a function of the visits and of the visitor's resolutions: replaying the history
from the first visit gives the same flags whether the visits were finalised one by one, back-filled
out of order or loaded from a bundle. A resolution applies from the visit it was made at (its
``as_of``); a resolved flag is raised again only by evidence from a later visit.
"""

from __future__ import annotations

from visitor.analysis import themes
from visitor.analysis.rules import Context, Flag, evaluate


def flags_at(ctx: Context, i: int, sections: dict[str, str] | None = None) -> list[Flag]:
    """The merged flags as at visit ``i``."""
    return themes.merge(evaluate(ctx, i), sections)


def merge_flags(stored: list[dict], current: list[Flag], as_of: dict) -> list[dict]:
    """Keep every raised flag until the visitor resolves it; re-raise only on later evidence."""
    merged = [dict(f) for f in stored]
    firing = {f.key for f in current}
    for record in merged:
        if not record.get("resolved"):
            record["active"] = record["key"] in firing
    for flag in current:
        open_records = [r for r in merged if r["key"] == flag.key and not r.get("resolved")]
        if open_records:
            open_records[0].update(evidence=flag.evidence, visits=flag.visits, last_seen=as_of["date"],
                                   title=flag.title, severity=flag.severity, children=flag.children, active=True,
                                   rule=flag.rule, rules=flag.rules, theme=flag.theme, metric=flag.metric)
            continue
        dismissed = [r for r in merged if r["key"] == flag.key and r.get("resolved")
                     and r["resolved"].get("as_of", "") >= as_of["date"]]
        if dismissed:
            continue
        merged.append({**flag.to_dict(), "raised_on": as_of["date"], "raised_visit": as_of["id"],
                       "last_seen": as_of["date"], "active": True, "resolved": None})
    return merged


def open_flags(stored: list[dict]) -> list[dict]:
    return [f for f in stored if not f.get("resolved")]


def replay(ctx: Context, stored: list[dict], sections: dict[str, str] | None = None,
           upto: str | None = None) -> list[dict]:
    """Recompute the flags visit by visit from the first, applying the stored resolutions where they
    were made. Resolutions that no longer match a flag (an earlier engine's keys) are kept as they are."""
    resolutions = sorted((r for r in stored if r.get("resolved")),
                         key=lambda r: (r["resolved"].get("as_of", ""), r.get("raised_on", "")))
    used: set[int] = set()
    state = _State()
    dates = [v["date"] for v in ctx.visits]
    for i, visit in enumerate(ctx.visits):
        if upto and visit["date"] > upto:
            break
        state.merge(flags_at(ctx, i, sections), visit)
        following = dates[i + 1] if i + 1 < len(dates) else "9999-12-31"
        for n, resolution in enumerate(resolutions):
            as_of = resolution["resolved"].get("as_of", "")
            if n in used or not (as_of < following and (as_of >= visit["date"] or i == 0)):
                continue
            if state.resolve(resolution["key"], resolution["resolved"]):
                used.add(n)
    kept = [r for n, r in enumerate(resolutions) if n not in used
            and (not upto or r["resolved"].get("as_of", "") <= upto)]
    return kept + state.records


class _State:
    """The flags raised so far in a replay, changed in place visit by visit: what ``merge_flags`` does to a
    copy of its input, with each key's open record and resolved records at hand instead of searched for."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.open: dict[str, dict] = {}  # key -> its one open record (a key is raised again only once resolved)
        self.resolved: dict[str, list[dict]] = {}

    def merge(self, current: list[Flag], as_of: dict) -> None:
        firing = {f.key for f in current}
        for key, record in self.open.items():
            record["active"] = key in firing
        for flag in current:
            found = self.open.get(flag.key)
            if found is not None:
                found.update(evidence=flag.evidence, visits=flag.visits, last_seen=as_of["date"],
                             title=flag.title, severity=flag.severity, children=flag.children, active=True,
                             rule=flag.rule, rules=flag.rules, theme=flag.theme, metric=flag.metric)
                continue
            if any(r["resolved"].get("as_of", "") >= as_of["date"] for r in self.resolved.get(flag.key, ())):
                continue
            record = {**flag.to_dict(), "raised_on": as_of["date"], "raised_visit": as_of["id"],
                      "last_seen": as_of["date"], "active": True, "resolved": None}
            self.records.append(record)
            self.open[flag.key] = record

    def resolve(self, key: str, resolved: dict) -> bool:
        """Resolve the key's open record, if it has one."""
        record = self.open.pop(key, None)
        if record is None:
            return False
        record["resolved"] = dict(resolved)
        self.resolved.setdefault(key, []).append(record)
        return True
