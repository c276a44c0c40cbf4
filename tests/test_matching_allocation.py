"""Capacity-aware allocation, tier fallback, training suggestions, learned
weights and the evaluation metrics."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from fupin_lib import FupinError
from fupin_lib.matching import (
    JobMatcher,
    MatchingSettings,
    allocate,
    assign_with_capacity,
    congestion,
    evaluate_matcher,
    ndcg_at_k,
    recall_at_k,
)
from fupin_lib.schema import PLACEMENTS, POSTINGS, TRAININGS

from test_matching import canonical, household, km_east, person, posting, profiles_of


@pytest.fixture
def settings() -> MatchingSettings:
    """The built-in matching defaults, independent of the YAML file."""
    return MatchingSettings()


def brute_force_best(laborers, postings, fit, capacity):
    """Highest total fit over every assignment of a tiny instance."""
    people = sorted(set(laborers))
    options = {p: [None] + [j for i, j in zip(laborers, postings) if i == p] for p in people}
    value = {(i, j): f for i, j, f in zip(laborers, postings, fit)}
    best = 0.0
    for choice in itertools.product(*(options[p] for p in people)):
        used = pd.Series([c for c in choice if c is not None]).value_counts()
        if all(used.get(j, 0) <= capacity[j] for j in used.index):
            best = max(best, sum(value[(p, c)] for p, c in zip(people, choice) if c is not None))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_assign_with_capacity_is_optimal(seed):
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in range(5) for j in range(3) if rng.random() < 0.7]
    laborers = np.array([i for i, _ in pairs])
    postings = np.array([j for _, j in pairs])
    fit = rng.uniform(0.3, 1.0, len(pairs))
    capacity = rng.integers(1, 3, 3)
    chosen = assign_with_capacity(laborers, postings, fit, capacity)

    assert np.bincount(laborers[chosen], minlength=5).max() <= 1
    assert (np.bincount(postings[chosen], minlength=3) <= capacity).all()
    assert fit[chosen].sum() == pytest.approx(brute_force_best(laborers, postings, fit, capacity))


def test_assign_with_capacity_prefers_total_over_greedy():
    # Greedy would give posting 0 to laborer 0 (fit 0.9) and leave laborer 1
    # with nothing; the optimum is 0 -> 1 and 1 -> 0.
    laborers = np.array([0, 0, 1])
    postings = np.array([0, 1, 0])
    fit = np.array([0.9, 0.8, 0.85])
    chosen = assign_with_capacity(laborers, postings, fit, np.array([1, 1]))
    assert chosen.tolist() == [False, True, True]


def crowd(settings, openings_best=2):
    """Five laborers who all fit the kitchen job best; it has two openings."""
    members = [person(i, f"H{i}", "1985-01-01", past_work="餐馆厨房帮工" if i < 3 else "", skills="烹饪")
               for i in range(5)]
    households = [household(f"H{i}", lon=km_east(i)) for i in range(5)]
    postings = [
        posting("kitchen", title="食堂厨房帮工", description="厨房帮工", skills_required="烹饪",
                lon=km_east(2), openings=openings_best, monthly_wage=3500.0),
        posting("factory", title="普工", lon=km_east(8), openings=10),
        posting("cleaner", channel="公益性岗位", title="保洁员", lon=km_east(1), openings=10),
    ]
    profiles = profiles_of(members, households, settings)
    matcher = JobMatcher(weights="default", settings=settings).fit(canonical(POSTINGS, postings), profiles)
    return profiles, matcher


def test_allocation_respects_openings(settings):
    profiles, matcher = crowd(settings)
    before = matcher.recommend(profiles, k=1, explain=False)
    assert set(before["posting_id"]) == {"kitchen"}  # everybody's first choice

    plan = allocate(matcher, profiles, min_fit=0.05)
    counts = plan["posting_id"].value_counts()
    assert counts["kitchen"] == 2
    assert counts["factory"] == 3
    assert (plan["status"] == "已分配").all()
    # The kitchen goes to two of the laborers with kitchen experience.
    kitchen = plan.loc[plan["posting_id"] == "kitchen", "laborer"]
    assert set(kitchen) <= {0, 1, 2}


def test_allocation_falls_back_to_public_jobs(settings):
    members = [person(1, "H1", "1980-01-01", skill="弱劳动力或半劳动力"), person(2, "H2", "1980-01-01")]
    postings = [
        posting("heavy-factory", physical_demand="重", openings=5),
        posting("workshop", channel="扶贫车间", physical_demand="中", openings=1),
        posting("cleaner", channel="公益性岗位", physical_demand="轻", openings=5),
    ]
    profiles = profiles_of(members, [household("H1"), household("H2")], settings)
    matcher = JobMatcher(weights="default", settings=settings).fit(canonical(POSTINGS, postings), profiles)
    plan = allocate(matcher, profiles, min_fit=0.01).set_index("id_number")
    weak, able = plan.loc[f"44122419{1:010d}"], plan.loc[f"44122419{2:010d}"]
    assert (able["posting_id"], able["tier"]) == ("heavy-factory", 1)
    assert (weak["posting_id"], weak["tier"], weak["channel"]) == ("cleaner", 3, "公益性岗位")


def test_allocation_suggests_training_for_unmatched(settings):
    members = [person(1, "H1", "1985-01-01", skills="", past_work="")]
    postings = [posting(f"weld{i}", title="电焊工", skills_required="电焊", openings=1) for i in range(3)]
    trainings = canonical(TRAININGS, [
        dict(year=2020, training_id="T-cook", county_code="441224", name="粤菜师傅培训", skill="烹饪", capacity=5),
        dict(year=2020, training_id="T-weld", county_code="441224", name="电焊工培训", skill="电焊", capacity=5),
        dict(year=2020, training_id="T-far", county_code="441223", name="电焊进阶", skill="电焊", capacity=5),
    ])
    profiles = profiles_of(members, [household("H1")], settings)
    matcher = JobMatcher(weights="default", settings=settings).fit(canonical(POSTINGS, postings), profiles)
    min_fit = float(matcher.score_pairs(profiles, [0], [0])["fit"].iloc[0]) + 0.05
    plan = allocate(matcher, profiles, trainings=trainings, min_fit=min_fit)
    row = plan.iloc[0]
    assert row["status"] == "未分配"
    assert row["training_id"] == "T-weld"
    assert row["offers_opened"] == 3


def test_allocation_training_capacity(settings):
    members = [person(i, f"H{i}", "1985-01-01") for i in range(3)]
    postings = [posting("weld", title="电焊工", skills_required="电焊", openings=1)]
    trainings = canonical(TRAININGS, [dict(year=2020, training_id="T1", county_code="441224", name="电焊",
                                           skill="电焊", capacity=2)])
    profiles = profiles_of(members, [household(f"H{i}") for i in range(3)], settings)
    matcher = JobMatcher(weights="default", settings=settings).fit(canonical(POSTINGS, postings), profiles)
    min_fit = float(matcher.score_pairs(profiles, [0], [0])["fit"].iloc[0]) + 0.05
    plan = allocate(matcher, profiles, trainings=trainings, min_fit=min_fit)
    assert (plan["training_id"] == "T1").sum() == 2


def placement_case(settings, n=80, seed=0):
    """Laborers with one kitchen and one factory posting each, where only the
    offers that match past work are kept."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["厨房帮工", "电子装配"], n)
    members = [person(i, f"H{i}", "1985-01-01", past_work=f"做过{kind}") for i, kind in enumerate(kinds)]
    households = [household(f"H{i}", lon=km_east(rng.uniform(0, 10))) for i in range(n)]
    postings = [posting(f"K{j}", title="厨房帮工", lon=km_east(rng.uniform(0, 10))) for j in range(10)]
    postings += [posting(f"F{j}", title="电子装配工", lon=km_east(rng.uniform(0, 10))) for j in range(10)]
    placements = []
    for i, kind in enumerate(kinds):
        good = f"K{rng.integers(10)}" if kind == "厨房帮工" else f"F{rng.integers(10)}"
        bad = f"F{rng.integers(10)}" if kind == "厨房帮工" else f"K{rng.integers(10)}"
        placements.append(dict(year=2020, household_no=f"H{i}", id_number=f"44122419{i:010d}", posting_id=good,
                               accepted=True, months_kept=8.0, still_employed=True))
        placements.append(dict(year=2020, household_no=f"H{i}", id_number=f"44122419{i:010d}", posting_id=bad,
                               accepted=bool(rng.random() < 0.5), months_kept=1.0, still_employed=False))
    profiles = profiles_of(members, households, settings)
    return profiles, canonical(POSTINGS, postings), canonical(PLACEMENTS, placements)


def test_weights_learned_from_placements(settings):
    profiles, postings, placements = placement_case(settings)
    matcher = JobMatcher(settings=settings, random_state=0).fit(postings, profiles, placements)
    assert matcher.weights_source_ == "learned"
    assert matcher.weights_["experience"] > 0


def test_weights_default_with_few_placements(settings):
    profiles, postings, placements = placement_case(settings, n=10)
    matcher = JobMatcher(settings=settings, random_state=0).fit(postings, profiles, placements)
    assert matcher.weights_source_ == "default"
    assert matcher.weights_ == settings.weights


def test_evaluation_beats_random(settings):
    profiles, postings, placements = placement_case(settings, n=120, seed=1)
    table = evaluate_matcher(profiles, postings, placements, settings=settings).set_index("method")
    assert list(table.index) == ["learned", "default", "nearest", "random"]
    assert table.loc["learned", "ndcg@10"] > table.loc["random", "ndcg@10"]
    assert table.loc["learned", "recall@10"] > table.loc["random", "recall@10"]
    assert table.loc["learned", "n_test"] == 30


def test_evaluation_needs_placements(settings):
    profiles, postings, placements = placement_case(settings, n=5)
    with pytest.raises(FupinError, match="至少需要 10 名"):
        evaluate_matcher(profiles, postings, placements, settings=settings)


def test_ranking_metrics_known_values():
    assert ndcg_at_k([["a", "b", "c"]], [{"a"}], 3) == pytest.approx(1.0)
    assert ndcg_at_k([["b", "a", "c"]], [{"a"}], 3) == pytest.approx(1 / np.log2(3))
    assert ndcg_at_k([["b", "c", "d"]], [{"a"}], 3) == 0.0
    assert recall_at_k([["a", "b"], ["c"]], [{"a", "z"}, {"c"}], 10) == pytest.approx(0.75)
    recommendations = pd.DataFrame({"posting_id": ["p1"] * 8 + ["p2", "p3"]})
    assert congestion(recommendations, top=1) == pytest.approx(0.8)
