"""What a home's event counts are judged against, beyond its own past: reference rates and peers.

Rates are events **per child per 30 days**. The default table (documented with its sources in
``docs/TRENDS.md``) can be overridden in ``settings.json``::

    {"reference_rates": {"default": {"restraints": 0.5}, "short breaks": {"missing_episodes": 0.02}}}

Peers are the pooled rate of other homes of the same setting type: the agency's figures pulled from the
hub (``settings["peer_rates"]``) when present, otherwise the other homes in this data folder, when at
least ``peer_min_homes`` of them have visits in the twelve months before the date asked about.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

from visitor.model import finite_number

DAYS_PER_MONTH = 30
PEER_WINDOW_DAYS = 365

# Measures judged against references (issue 12). Per child per 30 days, for a home where all is well;
# set at the high end of what is typical, so that a healthy home runs at or below them.
DEFAULT_RATES: dict[str, dict[str, float]] = {
    "default": {
        "restraints": 0.6, "restraint_injuries": 0.05, "prn_behaviour": 0.2,
        "complaints_children": 0.15, "complaints_parents": 0.1, "complaints_authorities": 0.05,
        "whistleblowing": 0.02, "allegations_against_staff": 0.05, "reg40_notifications": 0.3,
        "lado_referrals": 0.05, "police_incidents": 0.3, "missing_episodes": 0.35,
        "hospital_attendances": 0.1, "self_harm": 0.2, "seclusion": 0.02,
    },
    "children's home (disabled children)": {
        "restraints": 1.0, "prn_behaviour": 0.4, "police_incidents": 0.05, "missing_episodes": 0.03,
        "hospital_attendances": 0.15, "self_harm": 0.1, "reg40_notifications": 0.2,
    },
    "short breaks": {
        "restraints": 0.4, "police_incidents": 0.05, "missing_episodes": 0.03, "hospital_attendances": 0.05,
        "self_harm": 0.05, "reg40_notifications": 0.1,
    },
}
SOURCES: dict[str, str] = {
    "missing_episodes": "DfE, Children looked after in England (missing incidents: 76,890 in 2021-22; about half "
                        "from secure units, children's homes and hostels in the first collection, 2014-15)",
}
# The review's scattered signals: summed into one safeguarding-events measure.
SAFEGUARDING_EVENTS: dict[str, str] = {
    "whistleblowing": "whistleblowing", "allegations_against_staff": "allegations", "lado_referrals": "LADO",
    "reg40_notifications": "Reg 40", "complaints_authorities": "complaints", "complaints_parents": "complaints",
    "police_incidents": "police", "missing_episodes": "missing", "hospital_attendances": "A&E",
    "restraint_injuries": "restraint injuries",
}
# Restrictive practice in all its forms: physical restraint, the injuries it causes, medication given to
# manage behaviour (chemical restraint) and seclusion stand in for one another, so a home that moves from
# one to another, or raises each a little, is judged on them together.
RESTRICTIVE_PRACTICE: dict[str, str] = {
    "restraints": "restraints", "restraint_injuries": "injuries", "prn_behaviour": "PRN for behaviour",
    "seclusion": "seclusion",
}
# Measures summed into one signal: key -> (its members with their short labels, what the events are called).
COMBINED: dict[str, tuple[dict[str, str], str]] = {
    "safeguarding_events": (SAFEGUARDING_EVENTS, "safeguarding events"),
    "restrictive_practice": (RESTRICTIVE_PRACTICE, "restrictive-practice events"),
}


def default_rates(setting_type: str) -> dict[str, float]:
    return {**DEFAULT_RATES["default"], **DEFAULT_RATES.get(setting_type, {})}


def validate_rates(overrides: object) -> dict[str, dict[str, float]]:
    """Check ``settings["reference_rates"]``: {setting type or 'default': {measure: rate > 0}}."""
    if overrides in (None, {}):
        return {}
    if not isinstance(overrides, dict):
        raise ValueError("reference_rates must be an object of setting types, e.g. {\"default\": {\"restraints\": 0.5}}.")
    known = set(DEFAULT_RATES["default"])
    for setting, rates in overrides.items():
        if not isinstance(rates, dict):
            raise ValueError(f"reference_rates[{setting!r}] must map measures to rates per child per 30 days.")
        for measure, rate in rates.items():
            if measure not in known:
                raise ValueError(f"Unknown measure {measure!r} in reference_rates (known: {', '.join(sorted(known))}).")
            if not finite_number(rate) or rate <= 0:
                raise ValueError(f"The reference rate for {measure!r} must be a number above 0 (got {rate!r}).")
    return overrides


def validate_peer_rates(value: object) -> dict:
    """Check ``settings["peer_rates"]`` as the hub writes it: {setting type: {homes: int, rates: {...}}}."""
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        raise ValueError("peer_rates must be an object of setting types.")
    for setting, entry in value.items():
        homes = entry.get("homes") if isinstance(entry, dict) else None
        if not (isinstance(homes, int) and finite_number(homes) and homes >= 0) \
                or not isinstance(entry.get("rates"), dict):
            raise ValueError(f"peer_rates[{setting!r}] needs 'homes' (a whole number of 0 or more) and 'rates'.")
        for measure, rate in entry["rates"].items():
            if not finite_number(rate) or rate < 0:
                raise ValueError(f"peer_rates[{setting!r}] rate for {measure!r} must be a number ≥ 0.")
    return value


# (measure, day, column, value): column 0 = homes pooled, 1 = exposure, 2 = events
Step = tuple[str, str, int, float]


@dataclass
class PeerHome:
    """One other home's visits reduced to what pooling needs: dates, exposure and counts (prefix sums)."""

    dates: list[str]
    exposure: list[float]  # cumulative child-months
    counts: dict[str, list[float]]  # cumulative events per measure


class PeerPool:
    """Peer homes of one setting type pooled on one timeline per measure, so that "peers as at a date"
    costs two bisections however many homes there are, and one home can be left out (its own figures
    subtracted) when it is the home being judged.

    Each peer adds its visits' exposure and counts at their dates, and +1/-1 where its twelve-month
    windows with exposure begin and end (so the number of homes pooled is a prefix sum too). Peers are
    added, replaced and removed one by one (``sync``), so a pool kept across the homes of one load is
    updated, not rebuilt. A peer whose figures cannot be put on the timeline exactly (dates out of
    order, events at a visit with no child resident) is pooled by the plain per-home loop instead.
    Sums are taken in a different order from the per-home loop: equal up to floating-point rounding.
    """

    def __init__(self) -> None:
        self.peers: dict[object, PeerHome] = {}
        self._irregular: set[object] = set()
        self._deltas: dict[str, dict[str, list[float]]] = {}  # measure -> day -> [homes, exposure, events]
        self._timeline: dict[str, tuple[list[str], list[float], list[float], list[float]]] = {}

    def __len__(self) -> int:
        return len(self.peers)

    def sync(self, peers: dict[object, PeerHome]) -> None:
        """Make the pool hold exactly ``peers``, touching only those added, changed or gone."""
        for key in [k for k in self.peers if k not in peers]:
            self._remove(key)
        for key, peer in peers.items():
            held = self.peers.get(key)
            if held is not None and (held is peer or held == peer):
                continue
            if held is not None:
                self._remove(key)
            self._add(key, peer)

    def _add(self, key: object, peer: PeerHome) -> None:
        self.peers[key] = peer
        steps = _steps(peer)
        if steps is None:
            self._irregular.add(key)
            return
        self._apply(steps, 1)

    def _remove(self, key: object) -> None:
        peer = self.peers.pop(key)
        if key in self._irregular:
            self._irregular.discard(key)
            return
        steps = _steps(peer)
        assert steps is not None  # not irregular: it had steps when added, and peers are replaced, not edited
        self._apply(steps, -1)

    def _apply(self, steps: list[Step], sign: int) -> None:
        for measure, day, column, value in steps:
            row = self._deltas.setdefault(measure, {}).setdefault(day, [0.0, 0.0, 0.0])
            row[column] += sign * value
            self._timeline.pop(measure, None)

    def _line(self, measure: str):
        line = self._timeline.get(measure)
        if line is None:
            deltas = self._deltas.get(measure, {})
            days = sorted(deltas)
            homes, exposure, events = [0.0], [0.0], [0.0]
            for d in days:
                h, e, c = deltas[d]
                homes.append(homes[-1] + h)
                exposure.append(exposure[-1] + e)
                events.append(events[-1] + c)
            line = self._timeline[measure] = (days, homes, exposure, events)
        return line

    def pooled(self, measure: str, on: str, exclude: object = None) -> tuple[float, float, int]:
        """(events, child-months, homes) of the peers other than ``exclude`` in the year to ``on``."""
        start = _year_before(on)
        days, homes, exposure, events = self._line(measure)
        lo, hi = bisect_right(days, start), bisect_right(days, on)
        e, c, n = exposure[hi] - exposure[lo], events[hi] - events[lo], round(homes[hi])
        own = self.peers.get(exclude) if exclude is not None and exclude not in self._irregular else None
        if own is not None and (found := _window(own, measure, start, on)):
            c, e, n = c - found[0], e - found[1], n - 1
        for key in self._irregular:
            if key != exclude and (found := _window(self.peers[key], measure, start, on)):
                c, e, n = c + found[0], e + found[1], n + 1
        return c, e, n


@lru_cache(maxsize=4096)
def _year_before(on: str) -> str:
    return (date.fromisoformat(on) - timedelta(days=PEER_WINDOW_DAYS)).isoformat()


def _window(peer: PeerHome, measure: str, start: str, on: str) -> tuple[float, float] | None:
    """(events, child-months) of one peer in (start, on], or None when it has no exposure there."""
    if measure not in peer.counts:
        return None
    lo, hi = bisect_right(peer.dates, start), bisect_right(peer.dates, on)
    if hi <= lo:
        return None
    e = peer.exposure[hi - 1] - (peer.exposure[lo - 1] if lo else 0.0)
    if e <= 0:
        return None
    c = peer.counts[measure]
    return c[hi - 1] - (c[lo - 1] if lo else 0.0), e


def _steps(peer: PeerHome) -> list[Step] | None:
    """What one peer adds to the timeline of each of its measures: (measure, day, column, value);
    None when its figures would not pool exactly (then the per-home loop is used for it)."""
    dates, cum = peer.dates, peer.exposure
    n = len(dates)
    if len(cum) != n or any(len(c) != n for c in peer.counts.values()):
        return None
    try:
        days = [date.fromisoformat(d) for d in dates]
    except (TypeError, ValueError):
        return None
    if any(d.isoformat() != s for d, s in zip(days, dates)) or any(b < a for a, b in pairwise(days)):
        return None
    exposure = [cum[0]] + [b - a for a, b in pairwise(cum)]
    if any(e < 0 for e in exposure):
        return None
    counts = {m: [c[0]] + [b - a for a, b in pairwise(c)] for m, c in peer.counts.items()}
    if any(exposure[j] <= 0 and values[j] for values in counts.values() for j in range(n)):
        return None  # events where no child was resident count only in windows with exposure
    spans: list[list] = []  # the peer is pooled at D if a visit with exposure fell in the year to D
    for d, e in zip(days, exposure):
        if e <= 0:
            continue
        end = d + timedelta(days=PEER_WINDOW_DAYS)
        if spans and d <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([d, end])
    steps: list[Step] = []
    for measure, values in counts.items():
        for begin, end in spans:
            steps.append((measure, begin.isoformat(), 0, 1.0))
            steps.append((measure, end.isoformat(), 0, -1.0))
        for day_, e, c in zip(dates, exposure, values):
            if e > 0:
                steps.append((measure, day_, 1, e))
                if c:
                    steps.append((measure, day_, 2, c))
    return steps


@dataclass
class References:
    """Reference rates for one home, and its peers (hub figures or other local homes) as at any date."""

    setting_type: str = "children's home"
    rates: dict[str, float] = field(default_factory=lambda: default_rates("children's home"))
    overridden: set[str] = field(default_factory=set)
    hub: dict | None = None  # {"homes": n, "rates": {...}} for this setting type
    local: list[PeerHome] = field(default_factory=list)
    min_homes: int = 3
    pool: PeerPool | None = None  # the local peers pooled, shared across homes; else built from ``local``
    exclude: object = None  # this home's key in ``pool``: left out of its own peers
    _own_pool: tuple | None = field(default=None, repr=False)

    def source(self, measure: str) -> str:
        if measure in self.overridden:
            return "the reference rate set in settings"
        return "the reference rate"

    def peers(self, measure: str, on: str) -> tuple[float, int] | None:
        """(pooled rate per child per 30 days, number of homes) of peers as at ``on``, or None."""
        if self.hub and self.hub.get("homes", 0) >= self.min_homes and measure in self.hub.get("rates", {}):
            return float(self.hub["rates"][measure]), int(self.hub["homes"])
        pool = self._pool()
        if len(pool) - (self.exclude is not None and self.exclude in pool.peers) < self.min_homes:
            return None
        events, exposure, homes = pool.pooled(measure, on, self.exclude)
        if homes < self.min_homes or homes <= 0 or exposure <= 0:
            return None
        return events / exposure, homes

    def _pool(self) -> PeerPool:
        if self.pool is not None:
            return self.pool
        local = self.local  # replace the list (or change its length) to change the peers
        if self._own_pool is None or self._own_pool[0] is not local or self._own_pool[1] != len(local):
            pool = PeerPool()
            pool.sync(dict(enumerate(local)))
            self._own_pool = (local, len(local), pool)
        return self._own_pool[2]


def build(setting_type: str, settings: dict, local: list[PeerHome] | None = None, min_homes: int = 3,
          pool: PeerPool | None = None, exclude: object = None) -> References:
    """The references for a home of ``setting_type``, with the visitor's overrides and any hub figures."""
    overrides = validate_rates(settings.get("reference_rates"))
    rates = default_rates(setting_type)
    overridden: set[str] = set()
    for scope in ("default", setting_type):
        for measure, rate in (overrides.get(scope) or {}).items():
            rates[measure] = float(rate)
            overridden.add(measure)
    hub = validate_peer_rates(settings.get("peer_rates")).get(setting_type)
    return References(setting_type, rates, overridden, hub, local or [], min_homes, pool, exclude)


def peer_home(points: list[tuple[str, float, dict[str, float]]]) -> PeerHome:
    """Prefix sums of (date, child-months, counts) for one other home, in date order."""
    dates: list[str] = []
    exposure: list[float] = []
    counts: dict[str, list[float]] = {}
    total_e = 0.0
    totals: dict[str, float] = {}
    for day, e, values in sorted(points, key=lambda p: p[0]):
        total_e += e
        dates.append(day)
        exposure.append(total_e)
        for measure in dict.fromkeys([*totals, *values]):  # first seen first: the same order every run
            totals[measure] = totals.get(measure, 0.0) + values.get(measure, 0.0)
        for measure, total in totals.items():
            counts.setdefault(measure, [0.0] * (len(dates) - 1)).append(total)
    return PeerHome(dates, exposure, counts)


__all__ = ["COMBINED", "DEFAULT_RATES", "RESTRICTIVE_PRACTICE", "SAFEGUARDING_EVENTS", "SOURCES", "PeerHome", "PeerPool", "References", "build", "peer_home",
           "validate_peer_rates", "validate_rates"]
