"""The pattern rules, evaluated as at any one visit of a home's history (never using later visits).

Event counts are judged by tests made for small counts (``stats``) against three references, each
named in the evidence: the reference rate (``references``), the pooled rate of peer homes, and the
home's own history from its first visit; a CUSUM catches a slow, sustained rise. The other rules
(children not seen alone, advocacy, staffing, recommendations, records that disagree) are rules of
fact. Every finding is a ``Flag``; ``themes.merge`` joins findings that state one fact.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field, fields

from visitor.analysis import stats
from visitor.analysis.references import COMBINED, References
from visitor.analysis.series import Point, Series, baseline_of, not_yet_known_alone
from visitor.analysis.words import child as _child
from visitor.analysis.words import clip, count, day, num
from visitor.model import Child, finite_number

HIGH = "high"
MEDIUM = "medium"
COMPLAINT_METRICS = ("complaints_children", "complaints_parents", "complaints_authorities")
# Single events that each warrant enquiry into how they were handled and by whom.
ENQUIRY_EVENTS = {
    "whistleblowing": "Whistleblowing concern",
    "allegations_against_staff": "Allegation against staff",
    "lado_referrals": "LADO referral",
    "police_incidents": "Police incident",
    "complaints_self_investigated": "Complaint investigated by the person complained about",
}
STATISTICAL_RULES = ("reference", "peers", "history", "cusum", "combined", "rising", "baseline")


@dataclass
class Thresholds:
    """Every number the pattern rules use, in one place (override any of them in settings.json).

    Fields ending in ``_alpha`` are false-alarm probabilities (0 < p < 1); ``int`` fields are whole
    numbers of visits, shifts or homes.
    """

    rising_visits: int = 3
    rising_min_increase: float = 3
    baseline_visits: int = 6
    baseline_min_history: int = 3
    baseline_factor: float = 2.0
    baseline_min_count: float = 3
    agency_share_percent: float = 30
    attendance_percent: float = 90
    attendance_visits: int = 3
    attendance_drop: float = 20
    understaffed_shifts: int = 4
    unmet_recommendation_visits: int = 2
    not_seen_alone_visits: int = 2
    zero_complaints_visits: int = 4
    reference_alpha: float = 0.003
    combined_alpha: float = 0.003
    high_alpha: float = 0.0001
    cusum_alpha: float = 0.003
    cusum_ratio: float = 2.0
    cusum_prior_months: float = 6
    test_visits: int = 3
    peer_min_homes: int = 3

    @classmethod
    def from_settings(cls, overrides: dict | None) -> Thresholds:
        if overrides is not None and not isinstance(overrides, dict):
            raise ValueError("thresholds must be an object, e.g. {\"agency_share_percent\": 25}.")
        values = {}
        known = {f.name: f.type for f in fields(cls)}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise ValueError(f"Unknown threshold {key!r} in settings (known: {', '.join(known)}).")
            if not finite_number(value) or value < 0:
                raise ValueError(f"The threshold {key!r} must be a non-negative number (got {value!r}).")
            if known[key] in ("int", int):
                if not float(value).is_integer():
                    raise ValueError(f"The threshold {key!r} must be a whole number (got {value!r}).")
                value = int(value)
            if key.endswith("_alpha") and not 0 < value < 1:
                raise ValueError(f"The threshold {key!r} is a false-alarm probability: above 0 and below 1 "
                                 f"(got {value!r}).")
            if key == "cusum_ratio" and value <= 1:
                raise ValueError(f"The threshold 'cusum_ratio' must be above 1 (got {value!r}).")
            values[key] = value
        return cls(**values)


@dataclass
class Flag:
    key: str
    rule: str
    title: str
    evidence: str
    severity: str
    visits: list[str]
    metric: str = ""
    children: list[str] = field(default_factory=list)
    theme: str = ""
    rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Context:
    """Everything the rules read: a home's visits in date order, their series, and its references."""

    visits: list[dict]
    children: list[Child]
    series: dict[str, Series]
    residents: list[int]
    thresholds: Thresholds
    references: References
    _cusum: dict[str, list] = field(default_factory=dict)
    _memo: dict = field(default_factory=dict)  # per-measure work shared by every visit of a replay

    def memo(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def cusum(self, key: str, counts: list, exposures: list, prior: float | None) -> list:
        if key not in self._cusum:
            t = self.thresholds
            self._cusum[key] = stats.cusum_path(counts, exposures, prior, t.cusum_prior_months, t.cusum_ratio)
        return self._cusum[key]


def evaluate(ctx: Context, i: int) -> list[Flag]:
    """Every rule's findings as at visit ``i`` (0-based, date order), before merging."""
    t = ctx.thresholds
    s = ctx.series
    latest = ctx.visits[i]
    flags: list[Flag] = []
    for series, is_event in ctx.memo("kinds", lambda: _kinds(s)):
        if is_event:
            point = series.points[i]
            if point.value and point.exposure > 0:  # no events (or no rate): nothing to test
                flags += _event_tests(ctx, series, i)
        else:
            flags += _rising(series, i, t) + _above_baseline(series, i, t)
    for key in COMBINED:
        flags += _combined(ctx, i, key)
    for metric, title in ENQUIRY_EVENTS.items():
        point = s[metric].points[i] if metric in s else None
        if point and point.value:
            flags.append(Flag(f"any:{metric}", "any", title,
                              f"{count(point.value, title if title.isupper() or title.startswith('LADO') else title[0].lower() + title[1:])} recorded at the visit of {day(point.date)}. "
                              "Any such event warrants enquiry into how it was handled and by whom.",
                              HIGH, [point.visit_id], metric))
    flags += _seen_alone(ctx, i)
    flags += _advocacy(latest, ctx.children)
    flags += _staffing(s, i, t)
    flags += _attendance(s, i, t)
    flags += _recommendations(ctx, i)
    flags += _inconsistencies(ctx, i)
    records = s["records_not_available"].points[i] if "records_not_available" in s else None
    if records and records.value:
        withheld = [k for k, r in latest.get("records", {}).items() if r.get("status") == "not made available"]
        flags.append(Flag("records_not_available", "records", "Records not made available",
                          f"{count(records.value, 'record')} not made available at the visit of "
                          f"{day(latest['date'])}: {', '.join(sorted(withheld))}.", HIGH, [latest["id"]],
                          "records_not_available"))
    return flags


def _kinds(s: dict[str, Series]) -> list[tuple[Series, bool]]:
    """The measures the rules test, in the series' order: (series, whether it counts events)."""
    found = []
    for series in s.values():
        m = series.measure
        if m.rate and m.better == "lower":
            found.append((series, True))
        elif m.better == "lower" and m.kind != "yesno" and (not m.derived or m.id == "children_not_seen_alone"):
            found.append((series, False))
    return found


# -- event counts: three references and a CUSUM ------------------------------------------------------
@dataclass
class _Events:
    """One measure's counts worked out once per context, so that testing it at each visit costs little."""

    counts: list
    exposures: list
    usable: list[int]  # visits whose count and exposure are known (no child resident: no rate)
    usable_counts: list  # their counts and exposures, in order (a window is a slice of these)
    usable_exposures: list
    position: list[int]  # each visit's place in ``usable``, or -1
    cum_c: list[float]  # running totals before each visit, for the history test
    cum_e: list[float]
    path: list  # the CUSUM statistic at each visit


def _events(ctx: Context, key: str, counts: list, exposures: list, prior: float | None) -> _Events:
    def compute() -> _Events:
        n = len(counts)
        usable = [j for j in range(n) if counts[j] is not None and exposures[j] > 0]
        position = [-1] * n
        for k, j in enumerate(usable):
            position[j] = k
        cum_c = _running([counts[j] if exposures[j] > 0 else 0 for j in range(n)])
        cum_e = _running([exposures[j] if counts[j] is not None else 0 for j in range(n)])
        path = ctx.cusum(key, [counts[j] if exposures[j] > 0 else None for j in range(n)], exposures, prior)
        return _Events(counts, exposures, usable, [counts[j] for j in usable], [exposures[j] for j in usable],
                       position, cum_c, cum_e, path)
    return ctx.memo(("events", key), compute)


def _running(values: list) -> list[float]:
    """Running totals (0 before the first visit), so a sum over earlier visits costs nothing."""
    totals, running = [0.0], 0.0
    for v in values:
        running += v or 0.0
        totals.append(running)
    return totals


def _windows(ev: _Events, i: int, most: int) -> list[tuple[list[int], float, float]]:
    """The last 1..``most`` usable visits, each window ending at visit ``i`` (none if ``i`` has no rate),
    with its events and child-months summed once for every test that reads them."""
    k = ev.position[i]
    if k < 0:
        return []
    found = []
    for start in range(k, max(k - most, -1), -1):  # sums in visit order, as a sum over the window would be
        found.append((ev.usable[start: k + 1], sum(ev.usable_counts[start: k + 1]),
                      sum(ev.usable_exposures[start: k + 1])))
    return found


def _who(ctx: Context, window: list[int]) -> str:
    low, high = min(ctx.residents[j] for j in window), max(ctx.residents[j] for j in window)
    return f"a home of {low} {'child' if low == 1 else 'children'}" if low == high else \
        f"a home of {low}–{high} children"


def _at(ctx: Context, window: list[int]) -> str:
    if len(window) == 1:
        return f"at the visit of {day(ctx.visits[window[0]]['date'])}"
    return f"at the last {len(window)} visits ({day(ctx.visits[window[0]]['date'])} to " \
           f"{day(ctx.visits[window[-1]]['date'])})"


def _best(windows: list[tuple[list[int], float, float]], rate: float, alpha: float):
    """The window with the smallest Poisson mid-p against ``rate``: (p, observed, expected, window, chance),
    ``chance`` being the exact tail P(at least observed) the evidence states, or None when no window can
    fall below ``alpha``. Windows that surely cannot are never summed (decided
    exactly, ``stats``): they cannot be the smallest when any window fires, and a p of alpha or more
    raises nothing."""
    tried = [(o, e, window) for window, o, exposure in windows
             if not stats.poisson_mid_p_not_below(o, e := rate * exposure, alpha)]
    if not tried:
        return None
    best = None
    for observed, expected, window in tried:
        p, tail = stats.poisson_tails(observed, expected)
        if best is None or p < best[0]:
            best = (p, observed, expected, window, tail)
    return best


def _severity(p: float, t: Thresholds) -> str:
    return HIGH if p < t.high_alpha else MEDIUM


def _event_tests(ctx: Context, series: Series, i: int) -> list[Flag]:
    m, t, refs = series.measure, ctx.thresholds, ctx.references
    points = series.points
    if points[i].value is None or not points[i].value or points[i].exposure <= 0:
        return []
    rate = refs.rates.get(m.id)
    ev = ctx._memo.get(("events", m.id)) or \
        _events(ctx, m.id, ctx.memo(("counts", m.id), lambda: [p.value for p in points]),
                ctx.memo(("exposures", m.id), lambda: [p.exposure for p in points]), rate)
    counts = ev.counts
    windows = _windows(ev, i, t.test_visits)
    if not windows:
        return []
    flags = []
    if rate and (best := _best(windows, rate, t.reference_alpha)) and best[0] < t.reference_alpha:
        p, o, e, w, tail = best
        flags.append(_event_flag(ctx, m, "reference", p, w,
                                 f"{m.label}: {num(o)} {_at(ctx, w)} against {e:.1f} expected at "
                                 f"{refs.source(m.id)} ({num(rate)} per child per 30 days) for "
                                 f"{_who(ctx, w)}; this would happen by chance {stats.chance(tail)}."))
    peer = refs.peers(m.id, points[i].date)
    if peer and peer[0] > 0 and (best := _best(windows, peer[0], t.reference_alpha)) \
            and best[0] < t.reference_alpha:
        p, o, e, w, tail = best
        flags.append(_event_flag(ctx, m, "peers", p, w,
                                 f"{m.label}: {num(o)} {_at(ctx, w)} against {e:.1f} expected at the pooled "
                                 f"rate of {peer[1]} other homes of this type ({peer[0]:.2f} per child per 30 "
                                 f"days); this would happen by chance {stats.chance(tail)}."))
    history = _history_test(ctx, ev, windows, t.reference_alpha)
    if history and history[0] < t.reference_alpha:
        p, o, e, w, before, tail = history
        first = day(ctx.visits[before[0]]["date"])
        flags.append(_event_flag(ctx, m, "history", p, w,
                                 f"{m.label}: {num(o)} {_at(ctx, w)} against {e:.1f} expected from this home's own "
                                 f"rate since {first} ({num(sum(counts[j] for j in before))} in {len(before)} "
                                 f"visits); this would happen by chance {stats.chance(tail)}."))
    path = ev.path
    limit = stats.cusum_limit(t.cusum_alpha)
    if path[i] is not None and path[i] >= limit:
        recent = ev.usable[: ev.position[i] + 1][-6:]
        values = " → ".join(num(None if (v := points[j].rule_value) is None else round(v, 2)) for j in recent)
        flags.append(Flag(f"cusum:{m.id}", "cusum", f"{m.label} running above this home's usual level",
                          f"{m.label} per child per 30 days at the last {len(recent)} visits: {values}"
                          f"{_cusum_words(ctx, ev, i, path[i], limit, rate)}", MEDIUM,
                          [points[j].visit_id for j in recent], m.id))
    return flags


def _cusum_words(ctx: Context, ev: _Events, i: int, score: float, limit: float, prior: float | None) -> str:
    """The CUSUM's numbers, each named for what it is: the earlier rate it measured against is a rate,
    its statistic is an evidence score beside its limit (a score is not a rate and must not read as one)."""
    base = stats.cusum_base(ev.cum_c[i], ev.cum_e[i], prior, ctx.thresholds.cusum_prior_months)
    against = f", against the rate expected from this home's earlier visits ({num(round(base, 2))} per child per " \
              f"30 days)" if base is not None else ""
    return (f"{against}; the evidence score for a sustained rise, {score:.1f}, passes its limit of {limit:.1f}, "
            f"which a home at its usual rate passes by chance {stats.chance(ctx.thresholds.cusum_alpha)} per visit.")


def _history_test(ctx: Context, ev: _Events, windows: list[tuple[list[int], float, float]], alpha: float):
    """The window against the home's own earlier visits: exact conditional (binomial) test of equal rates,
    by its mid-p: (p, observed, expected, window, earlier visits, chance), ``chance`` being the exact tail
    the evidence states. None when there is nothing to test or no window can fall below ``alpha`` (windows that
    surely cannot are skipped, as in ``_best``)."""
    t = ctx.thresholds
    usable = ev.usable
    tried = []
    for window, o, ew in windows:
        first = window[0]
        before_n = ev.position[first]  # usable visits before the window's first
        if before_n < t.baseline_min_history:
            continue
        prior = ev.cum_c[first]
        n = o + prior
        eb = ev.cum_e[first]
        if eb <= 0 or o <= n * ew / (ew + eb):
            continue  # no more than expected: nothing to test
        if not stats.binomial_mid_p_not_below(o, n, ew / (ew + eb), alpha):  # else surely no flag: skipped
            tried.append((o, n, ew, eb, prior, window, before_n))
    if not tried:
        return None
    best = None
    for o, n, ew, eb, prior, window, before_n in tried:
        p, tail = stats.binomial_tails(o, n, ew / (ew + eb))
        if best is None or p < best[0]:
            best = (p, o, prior * ew / eb, window, usable[:before_n], tail)
    return best


def _event_flag(ctx: Context, m, rule: str, p: float, window: list[int], evidence: str) -> Flag:
    titles = {"reference": "above the reference rate", "peers": "above peer homes",
              "history": "above this home's own history"}
    return Flag(f"{rule}:{m.id}", rule, f"{m.label} {titles[rule]}", evidence, _severity(p, ctx.thresholds),
                [ctx.visits[j]["id"] for j in window], m.id)


def _combined(ctx: Context, i: int, key: str) -> list[Flag]:
    """Weak signals added up: one test of the sum of a group of measures (``references.COMBINED``) — the
    review's scattered safeguarding events, or restrictive practice in all its forms. When the measures
    rise together the sum is the most powerful test of the rise; each part alone may stay below its own
    threshold."""
    t, refs, s = ctx.thresholds, ctx.references, ctx.series
    members, noun = COMBINED[key]
    parts = [m for m in members if m in s]
    if not parts:
        return []
    n = len(ctx.visits)

    def combined_counts() -> list[float | None]:
        found: list[float | None] = []
        for j in range(n):
            known = [v for m in parts if (v := s[m].points[j].value) is not None]
            found.append(sum(known) if known else None)
        return found
    counts = ctx.memo(("counts", key), combined_counts)
    exposures = ctx.memo(("exposures", key), lambda: [s[parts[0]].points[j].exposure for j in range(n)])
    rate = ctx.memo(("rate", key), lambda: sum(refs.rates.get(m, 0.0) for m in parts))
    ev = _events(ctx, key, counts, exposures, rate)
    windows = _windows(ev, i, t.test_visits)
    if not windows or not counts[i] or not rate:
        return []
    usable = ev.usable[: ev.position[i] + 1]

    def breakdown(window: list[int]) -> str:
        totals: dict[str, float] = {}
        for m in parts:
            for j in window:
                totals[members[m]] = totals.get(members[m], 0) + (s[m].points[j].value or 0)
        return ", ".join(f"{label} {num(v)}" for label, v in totals.items() if v)

    findings = []
    best = _best(windows, rate, t.combined_alpha)
    if best and best[0] < t.combined_alpha:
        p, o, e, w, tail = best
        findings.append((p, w, (f"{num(o)} {noun} {_at(ctx, w)} ({breakdown(w)}) against {e:.1f} "
                                f"expected at the reference rates for {_who(ctx, w)}; this would happen by chance "
                                f"{stats.chance(tail)}.")))
    history = _history_test(ctx, ev, windows, t.combined_alpha)
    if history and history[0] < t.combined_alpha:
        p, o, e, w, before, tail = history
        findings.append((p, w, (f"{num(o)} {noun} {_at(ctx, w)} ({breakdown(w)}) against {e:.1f} "
                                f"expected from this home's own rate since {day(ctx.visits[before[0]]['date'])}; "
                                f"this would happen by chance {stats.chance(tail)}.")))
    path = ev.path
    limit = stats.cusum_limit(t.cusum_alpha)
    if path[i] is not None and path[i] >= limit:
        recent = usable[-6:]
        findings.append((t.cusum_alpha, recent,
                         f"{noun[0].upper()}{noun[1:]} at the last visits: " +
                         ", ".join(f"{num(counts[j])} ({day(ctx.visits[j]['date'])})" for j in recent) +
                         _cusum_words(ctx, ev, i, path[i], limit, rate)))
    if not findings:
        return []
    visits = sorted({ctx.visits[j]["id"] for _, w, _ in findings for j in w})
    return [Flag(key, "combined", f"{noun[0].upper()}{noun[1:]} adding up",
                 " ".join(text for _, _, text in findings), HIGH, visits, key)]


# -- other measures: rising and above their usual level ----------------------------------------------
def _rising(series: Series, i: int, t: Thresholds) -> list[Flag]:
    run = series.points[: i + 1][-t.rising_visits:]
    if len(run) < t.rising_visits or any(p.value is None for p in run) or not run[-1].value:
        return []
    raw = [p.value for p in run if p.value is not None]  # all of them (checked above)
    if not all(b > a for a, b in zip(raw, raw[1:])) or raw[-1] - raw[0] < t.rising_min_increase:
        return []
    m = series.measure
    values = ", ".join(f"{num(p.value)} ({day(p.date)})" for p in run)
    return [Flag(f"rising:{m.id}", "rising", f"{m.label} rising",
                 f"{m.label} rose at {len(run)} successive visits: {values}.", MEDIUM,
                 [p.visit_id for p in run], m.id)]


def _above_baseline(series: Series, i: int, t: Thresholds) -> list[Flag]:
    points = series.points[: i + 1]
    point = points[-1]
    base = baseline_of(points, t)
    if point.value is None or base is None or point.value < t.baseline_min_count:
        return []
    current = point.rule_value  # the value itself: these measures are not rates
    if current is None or not (current > base * t.baseline_factor if base > 0 else current > 0):
        return []
    m = series.measure
    history = [p for p in points[:-1][-t.baseline_visits:] if p.value is not None]
    return [Flag(f"baseline:{m.id}", "baseline", f"{m.label} well above this home's usual level",
                 f"{m.label}: {num(point.value)} at the visit of {day(point.date)} against a baseline of "
                 f"{num(base)} (median of the previous {len(history)} visits).", MEDIUM,
                 [p.visit_id for p in history] + [point.visit_id], m.id)]


# -- rules of fact -----------------------------------------------------------------------------------
def _seen_alone(ctx: Context, i: int) -> list[Flag]:
    t = ctx.thresholds
    latest = ctx.visits[i]
    resident = [c for c in ctx.children if c.resident_on(latest["date"])]
    answers = latest.get("child_answers", {})
    not_alone = [c for c in resident if answers.get(c.id, {}).get("seen_alone") != "yes"
                 and not not_yet_known_alone(latest, answers.get(c.id, {}))]
    flags = []
    if not_alone:
        flags.append(Flag("not_seen_alone", "seen_alone", "Children not seen alone",
                          f"{len(not_alone)} of {len(resident)} children resident were not seen alone at the "
                          f"visit of {day(latest['date'])}: {', '.join(_child(c) for c in not_alone)}.",
                          HIGH, [latest["id"]], "children_not_seen_alone", [c.id for c in not_alone]))
    history = ctx.visits[: i + 1]
    for c in not_alone:
        run = []
        for visit in reversed(history):
            if not c.resident_on(visit["date"]) or \
                    visit.get("child_answers", {}).get(c.id, {}).get("seen_alone") == "yes":
                break
            run.append(visit)
        if len(run) >= t.not_seen_alone_visits:
            dates = ", ".join(day(v["date"]) for v in reversed(run))
            flags.append(Flag(f"child_not_seen_alone:{c.id}", "seen_alone",
                              "The same child not seen alone at successive visits",
                              f"{_child(c)} was not seen alone at {len(run)} successive visits: {dates}.",
                              HIGH, [v["id"] for v in reversed(run)], "children_not_seen_alone", [c.id]))
    return flags


def _advocacy(latest: dict, children: list[Child]) -> list[Flag]:
    return [
        Flag(f"no_advocate:{c.id}", "advocacy", "Non-verbal child with no advocate",
             f"{_child(c)} is non-verbal and has no independent advocate (instructed or non-instructed) "
             f"at the visit of {day(latest['date'])}.", HIGH, [latest["id"]], "", [c.id])
        for c in children
        if c.resident_on(latest["date"]) and c.communication == "non-verbal" and c.advocate == "none"
    ]


def _point(s: dict[str, Series], metric: str, i: int) -> Point | None:
    series = s.get(metric)
    return series.points[i] if series else None


def _staffing(s: dict[str, Series], i: int, t: Thresholds) -> list[Flag]:
    flags = []
    if (p := _point(s, "agency_share", i)) and p.value is not None and p.value > t.agency_share_percent:
        flags.append(Flag("agency_share", "staffing", "High agency and bank staffing",
                          f"{num(p.value)}% of shifts were covered by agency or bank staff at the visit of "
                          f"{day(p.date)} (threshold {num(t.agency_share_percent)}%).", MEDIUM, [p.visit_id],
                          "agency_share"))
    if (p := _point(s, "shifts_below_planned", i)) and p.value is not None and p.value > t.understaffed_shifts:
        flags.append(Flag("understaffed", "staffing", "Shifts below planned staffing",
                          f"{count(p.value, 'shift')} worked below planned staffing before the visit of "
                          f"{day(p.date)} (threshold {t.understaffed_shifts}).", MEDIUM, [p.visit_id],
                          "shifts_below_planned"))
    if (p := _point(s, "registered_manager", i)) and p.value is not None and p.value == 0:
        flags.append(Flag("no_registered_manager", "staffing", "No registered manager in post",
                          f"No registered manager was in post at the visit of {day(p.date)}.", MEDIUM,
                          [p.visit_id], "registered_manager"))
    return flags


def _attendance(s: dict[str, Series], i: int, t: Thresholds) -> list[Flag]:
    """School attendance below the line the DfE calls persistent absence (missing 10 % of sessions or more),
    kept up over several visits or reached by a sudden fall: either says the children's education is slipping."""
    series = s.get("education_attendance")
    if series is None or (p := series.points[i]).value is None or p.value >= t.attendance_percent:
        return []
    known = [(q, q.value) for q in series.points[:i + 1] if q.value is not None]
    run = known[-t.attendance_visits:]
    sustained = len(run) == t.attendance_visits and all(v < t.attendance_percent for _, v in run)
    before = known[-2] if len(known) > 1 else None
    if before is not None and before[1] - p.value >= t.attendance_drop:
        how = f"fell from {num(before[1])}% at the visit of {day(before[0].date)} to {num(p.value)}%"
    elif sustained:
        how = f"was below {num(t.attendance_percent)}% at {len(run)} successive visits, {num(p.value)}% at the latest"
    else:
        return []
    return [Flag("low_attendance", "education", "School attendance low",
                 f"School attendance {how} (the DfE counts attendance below {num(t.attendance_percent)}% as "
                 f"persistent absence; visit of {day(p.date)}).", MEDIUM, [q.visit_id for q, _ in run],
                 "education_attendance")]


@dataclass
class _Ratings:
    """Every recommendation's texts and progress ratings across the visits, gathered once per context."""

    texts: dict[str, tuple[list[int], list[str]]]  # rec id -> visits that set its text, and the texts
    rated: dict[str, tuple[list[int], list[str]]]  # rec id -> visits that rated it, and the ratings
    order: dict[str, int]  # rec id -> when it was first rated (the order its flags are listed in)


def _ratings(ctx: Context) -> _Ratings:
    def compute() -> _Ratings:
        texts: dict[str, tuple[list[int], list[str]]] = {}
        rated: dict[str, tuple[list[int], list[str]]] = {}
        for j, visit in enumerate(ctx.visits):
            for rec_id, text in {r["id"]: r["text"] for r in visit.get("recommendations", [])}.items():
                at, said = texts.setdefault(rec_id, ([], []))
                at.append(j)
                said.append(text)
            for rec_id, progress in visit.get("earlier", {}).items():
                at, said = rated.setdefault(rec_id, ([], []))
                at.append(j)
                said.append(progress.get("rating", ""))
        return _Ratings(texts, rated, {rec_id: n for n, rec_id in enumerate(rated)})
    return ctx.memo("ratings", compute)


def _recommendations(ctx: Context, i: int) -> list[Flag]:
    """Recommendations rated not met at this visit and at the visits that rated them just before."""
    t, r = ctx.thresholds, _ratings(ctx)
    flags = []
    for rec_id in sorted(ctx.visits[i].get("earlier", {}), key=r.order.__getitem__):
        at, said = r.rated[rec_id]
        last = bisect_right(at, i) - 1
        run = []
        while last >= 0 and said[last] == "not met":
            run.append(ctx.visits[at[last]])
            last -= 1
        if len(run) >= t.unmet_recommendation_visits and run:
            where, texts = r.texts.get(rec_id, ([], []))
            known = bisect_right(where, i)
            text = clip(texts[known - 1] if known else rec_id, 120)
            dates = ", ".join(day(v["date"]) for v in reversed(run))
            flags.append(Flag(f"rec_unmet:{rec_id}", "recommendations", "Recommendation not met at successive visits",
                              f"“{text}” was rated not met at {len(run)} successive visits: {dates}.", MEDIUM,
                              [v["id"] for v in reversed(run)], "recommendations_not_met"))
    return flags


def _inconsistencies(ctx: Context, i: int) -> list[Flag]:
    s = ctx.series
    latest = ctx.visits[i]

    def val(metric: str) -> float | None:
        return s[metric].points[i].value if metric in s else None

    flags = []
    when = day(latest["date"])
    injuries, notified = val("restraint_injuries"), val("reg40_notifications")
    if injuries and notified == 0:
        flags.append(Flag("injury_no_notification", "records_disagree", "Restraint injuries with no notification",
                          f"{count(injuries, 'restraint')} led to injury before the visit of {when}, "
                          "but no reg 40 notification was recorded.", HIGH, [latest["id"]], "restraint_injuries"))
    hospital, incidents = val("hospital_attendances"), val("incidents_recorded")
    if hospital and incidents is not None and hospital > incidents:
        flags.append(Flag("hospital_no_incident", "records_disagree", "Hospital attendances with no incident recorded",
                          f"{count(hospital, 'hospital or A&E attendance')} before the visit of {when}, "
                          f"but only {count(incidents, 'incident')} in the incident log.", HIGH, [latest["id"]],
                          "hospital_attendances"))
    unlogged = val("parent_concerns_not_logged")
    if unlogged:
        flags.append(Flag("concerns_not_logged", "records_disagree",
                          "Concerns heard that the complaints log does not show",
                          f"{count(unlogged, 'concern')} heard from parents or professionals at the visit of {when} "
                          f"{'is' if unlogged == 1 else 'are'} absent from the home's complaints log.", HIGH, [latest["id"]],
                          "parent_concerns_not_logged"))
    flags += _silent_complaints(ctx, i)
    return flags


def _silent_complaints(ctx: Context, i: int) -> list[Flag]:
    """No complaints for several visits while restraint rose — counting only visits that asked."""
    s, t = ctx.series, ctx.thresholds
    run = ctx.visits[: i + 1][-t.zero_complaints_visits:]
    if len(run) < t.zero_complaints_visits or "restraints" not in s:
        return []
    for visit in run:
        answers = visit.get("answers", {})
        asked = [answers[m] for m in COMPLAINT_METRICS if isinstance(answers.get(m), (int, float))]
        if not asked or any(asked):  # never asked is not silence; any complaint is not silence
            return []
    restraint = s["restraints"].points[i + 1 - len(run): i + 1]
    first, last = restraint[0], restraint[-1]
    if any(p.value is None for p in restraint) or not last.value or first.value is None or last.value <= first.value:
        return []
    if first.rule_value is not None and last.rule_value is not None and last.rule_value <= first.rule_value:
        return []
    return [Flag("silent_complaints", "records_disagree", "No complaints while restraint rises",
                 f"No complaints were recorded at {len(run)} successive visits ({day(run[0]['date'])} to "
                 f"{day(run[-1]['date'])}) while restraints went from {num(first.value)} to {num(last.value)}. "
                 "A home with no complaints is a warning sign, not reassurance.", HIGH, [v["id"] for v in run],
                 "restraints")]


def is_statistical(flag: dict | Flag) -> bool:
    """Whether a (merged) flag rests on a statistical test, rather than on single events or facts."""
    rules = flag.rules if isinstance(flag, Flag) else flag.get("rules") or [flag.get("rule", "")]
    return any(r in STATISTICAL_RULES for r in rules)


def is_enquiry_only(flag: dict | Flag) -> bool:
    rules = flag.rules if isinstance(flag, Flag) else flag.get("rules") or [flag.get("rule", "")]
    return set(rules) == {"any"}


__all__ = ["HIGH", "MEDIUM", "Context", "Flag", "Thresholds", "evaluate", "is_enquiry_only", "is_statistical"]
