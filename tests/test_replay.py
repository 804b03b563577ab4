"""The replay's shortcuts change no result: work shared across visits, tails skipped by a bound, pooled peers.

The reference for the shared work is the engine run afresh on each prefix of a home's history (a new
context that has never seen a later visit); for the pooled peers it is the plain loop over every peer.
"""

import math
import random
from bisect import bisect_right
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visitor import scenarios, trends
from visitor.analysis import history, stats
from visitor.analysis.references import PeerHome, PeerPool, References, build, peer_home
from visitor.checklist import load_shipped

CL = load_shipped()


def _thresholds(rng: random.Random) -> trends.Thresholds:
    """Loose and strict settings, so that the rules fire often and the skipped tails are exercised."""
    return trends.Thresholds(reference_alpha=rng.choice([0.003, 0.05, 0.3]), combined_alpha=rng.choice([0.003, 0.2]),
                             test_visits=rng.choice([1, 3, 4]), baseline_min_history=rng.choice([1, 3]),
                             cusum_alpha=rng.choice([0.003, 0.1]))


@pytest.mark.parametrize("seed", [5, 19])
def test_every_visit_replayed_gives_what_a_fresh_engine_gives_on_the_history_to_that_visit(seed):
    rng = random.Random(seed)
    homes = scenarios.generate(seed, 1)
    peers = [peer_home([(v["date"], 4.0, {"restraints": rng.randint(0, 6)}) for v in h.visits]) for h in homes[:4]]
    for home in rng.sample(homes, 3):
        t = _thresholds(rng)
        shown = home.visits[:30]

        whole = trends.analyse(home.id, shown, home.children, CL, t,
                               references=build(home.setting_type, {}, list(peers), t.peer_min_homes))
        for i in range(len(shown)):
            fresh = trends.analyse(home.id, shown[: i + 1], home.children, CL, t,
                                   references=build(home.setting_type, {}, list(peers), t.peer_min_homes))
            replayed = history.flags_at(whole.context, i, whole.sections)
            assert [f.to_dict() for f in replayed] == [f.to_dict() for f in fresh.flags], (home.id, i)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 60), st.floats(0.01, 40), st.sampled_from([1e-6, 1e-4, 0.003, 0.05, 0.5, 0.99]))
def test_a_poisson_tail_is_skipped_only_when_it_is_not_below_alpha(k, expected, alpha):
    if stats.poisson_mid_p_not_below(k, expected, alpha):
        assert stats.poisson_mid_p(k, expected) >= alpha


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 80), st.integers(0, 80), st.floats(0.001, 0.999),
       st.sampled_from([1e-6, 1e-4, 0.003, 0.05, 0.5]))
def test_a_binomial_tail_is_skipped_only_when_it_is_not_below_alpha(k, extra, share, alpha):
    if stats.binomial_mid_p_not_below(k, k + extra, share, alpha):
        assert stats.binomial_mid_p(k, k + extra, share) >= alpha


def _by_loop(peers: list[PeerHome], measure: str, on: str, min_homes: int):
    """The pooled rate as first written: every peer's own window, one by one."""
    if len(peers) < min_homes:
        return None
    start = (date.fromisoformat(on) - timedelta(days=365)).isoformat()
    events = exposure = 0.0
    homes = 0
    for peer in peers:
        if measure not in peer.counts:
            continue
        lo, hi = bisect_right(peer.dates, start), bisect_right(peer.dates, on)
        if hi <= lo:
            continue
        e = peer.exposure[hi - 1] - (peer.exposure[lo - 1] if lo else 0.0)
        if e <= 0:
            continue
        c = peer.counts[measure]
        events += c[hi - 1] - (c[lo - 1] if lo else 0.0)
        exposure += e
        homes += 1
    if homes < min_homes or exposure <= 0:
        return None
    return events / exposure, homes


def _random_peer(rng: random.Random) -> PeerHome:
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(400))
    points = []
    for _ in range(rng.randint(1, 14)):
        day += timedelta(days=rng.choice([0, 20, 30, 31, 90, 400]))
        exposure = rng.choice([0.0, 1.5, 4.0, 5.2])
        counts = {m: rng.randint(0, 4) for m in rng.sample(["restraints", "missing_episodes", "self_harm"], 2)}
        points.append((day.isoformat(), exposure, counts))
    return peer_home(points)


def _same(a, b):
    if a is None or b is None:
        return a is b
    return a[1] == b[1] and math.isclose(a[0], b[0], rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_pooled_peers_equal_the_loop_over_every_peer_and_follow_changes(seed):
    rng = random.Random(seed)
    peers = {f"h{n}": _random_peer(rng) for n in range(rng.randint(2, 9))}
    pool = PeerPool()
    for _round in range(3):
        pool.sync(dict(peers))
        for own in [None, *peers]:
            others = [p for key, p in peers.items() if key != own]
            refs = References(min_homes=rng.choice([0, 1, 3]), pool=pool, exclude=own)
            for _ in range(25):
                on = (date(2023, 1, 1) + timedelta(days=rng.randrange(1900))).isoformat()
                measure = rng.choice(["restraints", "missing_episodes", "self_harm"])
                assert _same(refs.peers(measure, on), _by_loop(others, measure, on, refs.min_homes)), (own, on)
        changed = rng.choice(list(peers))
        peers[changed] = _random_peer(rng)  # a refreshed home: its row replaced
        peers.pop(rng.choice(list(peers)))  # a home of another type now, or erased
        peers[f"new{_round}"] = _random_peer(rng)


def test_a_peer_out_of_date_order_is_pooled_by_the_loop():
    ordered = [peer_home([("2025-01-10", 5.0, {"restraints": 2}), ("2025-02-10", 5.0, {"restraints": 1})])
               for _ in range(3)]
    odd = PeerHome(["2025-02-10", "2025-01-10"], [5.0, 10.0], {"restraints": [4.0, 4.0]})
    refs = References(local=[*ordered, odd], min_homes=3)
    assert _same(refs.peers("restraints", "2025-03-01"), _by_loop([*ordered, odd], "restraints", "2025-03-01", 3))
