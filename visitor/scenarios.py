"""A seeded, labelled set of fictional homes for evaluating the trends engine (``python -m visitor.evaluate``).

Each home is fine, or concerning in one of four ways: rates high from its first visit, a slow rise, a
step change or a single spike. Homes hold 3 to 40 children, occupancy changes as children leave and
arrive, and some visits come 2–3 months apart. Counts are Poisson draws: a healthy home runs at 0.3 to
1.1 times the reference rates; in a concerning home the closed-culture measures (restraint, injuries,
PRN, allegations, whistleblowing, LADO, Reg 40, A&E, complaints from parents and authorities) run at a
multiple of its own healthy level (high from the start: 3–6 times the reference rate), while missing
and police stay as they were. Events come from the children while they are resident: a visit's mean is
the rate times its child-months (``series.child_months``), so a child who left mid-period contributed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from visitor.analysis.references import default_rates
from visitor.analysis.series import child_months
from visitor.model import Child

KINDS = ("healthy", "high_start", "slow_rise", "step", "spike")
CLOSED_CULTURE = ("restraints", "restraint_injuries", "prn_behaviour", "allegations_against_staff", "whistleblowing",
                  "lado_referrals", "reg40_notifications", "hospital_attendances", "complaints_parents",
                  "complaints_authorities")
OTHER_RATES = {"mar_gaps": 0.3, "medication_errors": 0.05, "sanctions": 0.1, "incidents_recorded": 1.2}
SIZES = (3, 4, 5, 6, 8, 10, 12, 20, 40)
SETTINGS = ("children's home", "children's home", "children's home (disabled children)", "short breaks")
VISITS = 18


@dataclass
class ScenarioHome:
    id: str
    kind: str
    onset: int | None  # index of the first concerning visit; None for a healthy home
    setting_type: str
    visits: list[dict]
    children: list[Child]
    # The generator's own Poisson means per visit, for the evaluation's ceiling (never shown to the engine):
    # of the closed-culture measures summed, as drawn and as a healthy home (or one at the reference) would be.
    expected: list[float] = field(default_factory=list)
    expected_if_healthy: list[float] = field(default_factory=list)

    @property
    def years(self) -> float:
        first, last = date.fromisoformat(self.visits[0]["date"]), date.fromisoformat(self.visits[-1]["date"])
        return max((last - first).days + 30, 30) / 365


def poisson(rng: random.Random, mu: float) -> int:
    if mu <= 0:
        return 0
    if mu > 30:
        return max(0, round(rng.gauss(mu, math.sqrt(mu))))
    limit, k, p = math.exp(-mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(seed: int, per_kind: int = 12, sizes: tuple[int, ...] = SIZES) -> list[ScenarioHome]:
    """``per_kind`` homes of each kind (healthy homes twice as many), reproducible from ``seed``; ``sizes``
    are the numbers of places drawn from (small homes are where the counts are hardest to read)."""
    homes = []
    for kind in KINDS:
        for n in range(per_kind * (2 if kind == "healthy" else 1)):
            homes.append(_home(random.Random(f"{seed}:{kind}:{n}"), f"{kind}-{n}", kind, sizes))
    return homes


def _home(rng: random.Random, home_id: str, kind: str, sizes: tuple[int, ...] = SIZES) -> ScenarioHome:
    setting = rng.choice(SETTINGS)
    size = rng.choice(sizes)
    start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 60))
    days, day = [], start
    for _ in range(VISITS):
        days.append(day)
        day += timedelta(days=rng.choice((60, 90)) if rng.random() < 0.1 else rng.randint(27, 35))
    children = _children(rng, home_id, size, days)
    culture = rng.uniform(0.4, 1.0)
    rates = {m: r * min(1.1, culture * rng.uniform(0.7, 1.3)) for m, r in default_rates(setting).items()}
    rates.update({m: r * rng.uniform(0.5, 1.1) for m, r in OTHER_RATES.items()})
    onset, factors = _profile(rng, kind)
    if kind == "high_start":  # high against the reference, whatever this home's own level would have been
        reference = default_rates(setting)
        factors = [factors[0]] * VISITS
        rates.update({m: reference[m] for m in CLOSED_CULTURE if m in reference})
    visits, previous = [], None
    expected: list[float] = []
    if_healthy: list[float] = []
    for i, when in enumerate(days):
        exposure = child_months(children, when.isoformat(), previous.isoformat() if previous else None)
        answers = {}
        for measure, rate in rates.items():
            factor = factors[i] if measure in CLOSED_CULTURE else 1.0
            answers[measure] = poisson(rng, rate * factor * exposure)  # from the children there, while there
        answers["complaints_self_investigated"] = 0
        expected.append(sum(rates[m] * factors[i] * exposure for m in CLOSED_CULTURE if m in rates))
        if_healthy.append(sum(rates[m] * exposure for m in CLOSED_CULTURE if m in rates))
        visit_id = f"{home_id}@{when.isoformat()}"
        visits.append({"id": visit_id, "home_id": home_id, "date": when.isoformat(), "status": "final",
                       "answers": answers,
                       "child_answers": {c.id: {"seen": "yes", "seen_alone": "yes"} for c in children
                                         if c.resident_on(when.isoformat())}})
        previous = when
    return ScenarioHome(home_id, kind, onset, setting, visits, children, expected, if_healthy)


def _profile(rng: random.Random, kind: str) -> tuple[int | None, list[float]]:
    """The onset visit and the multiple of the healthy rate at each visit."""
    if kind == "healthy":
        return None, [1.0] * VISITS
    if kind == "high_start":
        level = rng.uniform(3, 6)
        return 0, [level] * VISITS
    if kind == "step":
        onset, level = rng.randint(6, 12), rng.uniform(3, 5)
        return onset, [1.0 if i < onset else level for i in range(VISITS)]
    if kind == "slow_rise":
        onset, slope = rng.randint(4, 10), rng.uniform(0.5, 1.0)
        return onset, [1.0 if i < onset else min(1 + slope * (i - onset + 1), 6) for i in range(VISITS)]
    onset, level = rng.randint(6, 14), rng.uniform(6, 10)
    return onset, [level if i == onset else 1.0 for i in range(VISITS)]


def _children(rng: random.Random, home_id: str, size: int, days: list[date]) -> list[Child]:
    """``size`` places; some children leave mid-way and some places are filled again later."""
    children = []
    for n in range(size):
        admitted = (days[0] - timedelta(days=rng.randint(30, 700))).isoformat()
        left = ""
        if rng.random() < 0.3:
            leave = rng.randrange(2, VISITS - 2)
            left = (days[leave] - timedelta(days=3)).isoformat()
            if rng.random() < 0.6:
                back = min(leave + rng.randint(1, 3), VISITS - 1)
                children.append(Child(f"{home_id}-r{n}", home_id, f"R{n}", "Council",
                                      admitted=(days[back] - timedelta(days=5)).isoformat()))
        children.append(Child(f"{home_id}-c{n}", home_id, f"C{n}", "Council", admitted=admitted, left=left))
    return children
