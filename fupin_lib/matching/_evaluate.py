"""Offline evaluation of the ranking on held-out placements, against the
nearest-job and random baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._errors import FupinError
from ._rank import JobMatcher, kept_placements
from ._settings import FEATURES, MatchingSettings, load_matching_settings

__all__ = ["evaluate_matcher", "ndcg_at_k", "recall_at_k", "congestion"]

METHOD_NAMES = {"learned": "学习权重", "default": "默认权重", "nearest": "最近岗位", "random": "随机"}


def ndcg_at_k(ranked: list, relevant: list, k: int) -> float:
    """Mean NDCG@k with binary relevance.

    Parameters
    ----------
    ranked : list of sequences
        Per laborer, the recommended items, best first.
    relevant : list of sets
        Per laborer, the items that are relevant (kept placements).

    Examples
    --------
    >>> ndcg_at_k([[3, 1, 2]], [{1}], k=3)  # doctest: +ELLIPSIS
    0.6309...
    """
    scores = []
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for items, good in zip(ranked, relevant):
        gains = np.array([item in good for item in list(items)[:k]], dtype=float)
        dcg = float((gains * discounts[:len(gains)]).sum())
        ideal = float(discounts[:min(len(good), k)].sum())
        scores.append(dcg / ideal if ideal > 0 else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def recall_at_k(ranked: list, relevant: list, k: int) -> float:
    """Mean share of each laborer's relevant items found in the top `k`."""
    scores = [len(set(list(items)[:k]) & good) / len(good) for items, good in zip(ranked, relevant) if good]
    return float(np.mean(scores)) if scores else float("nan")


def congestion(recommendations: pd.DataFrame, top: int = 10) -> float:
    """Share of all recommendations that go to the `top` most recommended
    postings: near 1 when everybody is sent to the same few jobs."""
    if recommendations.empty:
        return float("nan")
    counts = recommendations["posting_id"].value_counts()
    return float(counts.iloc[:top].sum() / counts.sum())


def evaluate_matcher(laborers: pd.DataFrame, postings: pd.DataFrame, placements: pd.DataFrame, *,
                     test_size: float = 0.25, k: int = 10, random_state=0,
                     settings: MatchingSettings | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """Evaluate the ranking on placements of held-out laborers.

    Laborers with at least one kept placement are split at random; weights
    are learned on the placements of the others. For each held-out laborer
    the kept postings are the relevant items. Postings of the held-out
    placements count as open, since their openings were taken by them.

    Returns
    -------
    DataFrame
        One row per method (``learned``: weights learned on the training
        placements; ``default``: the settings' weights; ``nearest``: nearest
        feasible posting first; ``random``: feasible postings in random
        order) with ``ndcg@3``, ``ndcg@10``, ``recall@10``, ``congestion``
        (over the top-`k` lists of all laborers who want work),
        ``n_test`` and ``weights_source``.

    Raises
    ------
    FupinError
        If fewer than 10 laborers have a kept placement.
    """
    settings = settings or load_matching_settings()
    postings = postings.copy()
    postings["openings"] = pd.to_numeric(postings["openings"], errors="coerce").fillna(1).clip(lower=1)
    kept = placements[kept_placements(placements, settings).to_numpy()]
    people = pd.Index(kept["id_number"].astype("string").unique()).intersection(laborers["id_number"].astype("string"))
    if len(people) < 10:
        raise FupinError(f"只有 {len(people)} 名劳动力有稳定的安置记录，至少需要 10 名才能评估推荐效果。")
    rng = check_random_state(random_state)
    test_people = set(rng.choice(np.asarray(people), size=max(1, int(round(test_size * len(people)))), replace=False))
    in_test = placements["id_number"].astype("string").isin(test_people).to_numpy()

    matchers = {
        "learned": JobMatcher(weights="learn", settings=settings, random_state=random_state, n_jobs=n_jobs)
        .fit(postings, laborers, placements[~in_test]),
        "default": JobMatcher(weights="default", settings=settings, n_jobs=n_jobs).fit(postings, laborers),
        "nearest": JobMatcher(weights={"proximity": 1.0}, settings=settings, n_jobs=n_jobs).fit(postings, laborers),
        "random": JobMatcher(weights={f: 0.0 for f in FEATURES}, settings=settings, n_jobs=n_jobs).fit(postings, laborers),
    }
    # Random order among feasible postings: a random constant per posting.
    matchers["random"]._posting_bias = rng.random_sample(len(postings)).astype(np.float32)

    test_rows = np.flatnonzero(laborers["id_number"].astype("string").isin(test_people).to_numpy())
    relevant_ids: dict[str, set] = {}
    for person, posting in zip(kept["id_number"].astype(str), kept["posting_id"].astype(str)):
        relevant_ids.setdefault(person, set()).add(posting)
    rows = []
    for method, matcher in matchers.items():
        everyone = matcher.recommend(laborers, k=k, explain=False)
        ranked_by = everyone.groupby("laborer")["posting_id"].agg(lambda s: [str(v) for v in s])
        ranked = [ranked_by.get(row, []) for row in test_rows]
        relevant = [relevant_ids.get(str(laborers["id_number"].iloc[row]), set()) for row in test_rows]
        rows.append({
            "method": method,
            "ndcg@3": ndcg_at_k(ranked, relevant, 3),
            "ndcg@10": ndcg_at_k(ranked, relevant, 10),
            "recall@10": recall_at_k(ranked, relevant, 10),
            "congestion": congestion(everyone),
            "n_test": len(test_rows),
            "weights_source": matcher.weights_source_,
        })
    return pd.DataFrame(rows)
