"""Capacity-aware allocation of laborers to postings, tier by tier, and
training suggestions for the laborers left without a posting."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .._errors import DataQualityWarning
from ._blocks import INFEASIBLE
from ._rank import JobMatcher

__all__ = ["allocate", "assign_with_capacity", "suggest_trainings"]

logger = logging.getLogger(__name__)

# Edges of the slot-expanded graph above which the exact assignment would
# need too much memory; the greedy assignment is used instead.
_MAX_EDGES = 20_000_000


def assign_with_capacity(laborers: np.ndarray, postings: np.ndarray, fit: np.ndarray,
                         capacity: np.ndarray) -> np.ndarray:
    """Choose edges that maximise the total fit, each laborer at most once and
    each posting at most `capacity` times.

    Each posting is expanded into as many slots as it can take, every laborer
    gets a private "no posting" column of fit 0, and the full matching of
    minimum cost (2 - fit) is found with
    `scipy.sparse.csgraph.min_weight_full_bipartite_matching`.

    Parameters
    ----------
    laborers, postings : ndarray of int
        The two ends of each candidate edge.
    fit : ndarray of float
        Fit of each edge, in (0, 1].
    capacity : ndarray of int
        Openings of each posting, indexed by posting number.

    Returns
    -------
    ndarray of bool
        Whether each edge is chosen.
    """
    chosen = np.zeros(len(laborers), dtype=bool)
    if not len(laborers):
        return chosen
    row_ids, rows = np.unique(laborers, return_inverse=True)
    post_ids, cols = np.unique(postings, return_inverse=True)
    degree = np.bincount(cols, minlength=len(post_ids))
    slots = np.minimum(np.asarray(capacity)[post_ids], degree).astype(np.int64)
    n_edges = int(slots[cols].sum())
    if n_edges > _MAX_EDGES:
        warnings.warn(f"候选岗位过多（{n_edges} 条边），改用贪心分配，结果可能不是总匹配度最高。",
                      DataQualityWarning, stacklevel=2)
        return _assign_greedy(rows, cols, fit, slots)

    offsets = np.concatenate([[0], np.cumsum(slots)])
    # Expand edge e into one edge per slot of its posting.
    edge_of = np.repeat(np.arange(len(rows)), slots[cols])
    first = np.repeat(offsets[cols], slots[cols])
    within = np.arange(len(edge_of)) - np.repeat(np.cumsum(slots[cols]) - slots[cols], slots[cols])
    slot_columns = first + within
    n_rows, n_slots = len(row_ids), int(offsets[-1])
    dummy_columns = n_slots + np.arange(n_rows)
    matrix = csr_matrix(
        (np.concatenate([2.0 - fit[edge_of], np.full(n_rows, 2.0)]),
         (np.concatenate([rows[edge_of], np.arange(n_rows)]), np.concatenate([slot_columns, dummy_columns]))),
        shape=(n_rows, n_slots + n_rows),
    )
    _, matched = min_weight_full_bipartite_matching(matrix)
    slot_posting = np.repeat(np.arange(len(post_ids)), slots)
    taken = matched < n_slots
    picks = pd.DataFrame({"row": np.flatnonzero(taken), "col": slot_posting[matched[taken]]})
    edges = pd.DataFrame({"row": rows, "col": cols, "edge": np.arange(len(rows))})
    # Candidate edges are distinct (laborer, posting) pairs, so each pick
    # finds exactly one edge.
    chosen[picks.merge(edges, on=["row", "col"])["edge"].to_numpy()] = True
    return chosen


def _assign_greedy(rows, cols, fit, slots):
    chosen = np.zeros(len(rows), dtype=bool)
    left = slots.copy()
    done = set()
    for edge in np.argsort(-fit, kind="stable"):
        if rows[edge] in done or left[cols[edge]] <= 0:
            continue
        chosen[edge] = True
        done.add(rows[edge])
        left[cols[edge]] -= 1
    return chosen


def allocate(matcher: JobMatcher, laborers: pd.DataFrame, *, rows=None, trainings: pd.DataFrame | None = None,
             min_fit: float | None = None, candidates: int | None = None) -> pd.DataFrame:
    """Allocate laborers to postings without exceeding any posting's openings.

    The channel tiers of the settings (企业/产业基地, then 扶贫车间/以工代赈,
    then 公益性岗位) are tried in order. In each tier every laborer still
    without a posting gets up to `candidates` feasible postings of that tier
    with fit at least `min_fit`, and the assignment that maximises the total
    fit within the openings left is chosen. Laborers left over move to the
    next tier; those left after the last tier get a training suggestion.

    Parameters
    ----------
    matcher : JobMatcher
        Fitted matcher; its postings' ``openings`` are the capacities.
    laborers : DataFrame
        Laborer profiles.
    rows : array-like of int, optional
        Positions of the laborers to allocate (default: all who want work).
    trainings : DataFrame, optional
        Canonical trainings for the suggestions.
    min_fit, candidates : optional
        Default to the settings' ``allocation`` values.

    Returns
    -------
    DataFrame
        One row per allocated laborer: ``laborer``, ``id_number``,
        ``status`` (已分配 or 未分配), ``tier``, ``posting``, ``posting_id``,
        ``channel``, ``fit``, and the suggestion columns of
        `suggest_trainings` (blank for allocated laborers).
    """
    settings = matcher.settings_.allocation
    min_fit = settings.min_fit if min_fit is None else min_fit
    candidates = settings.candidates_per_laborer if candidates is None else candidates
    if rows is None:
        rows = np.flatnonzero(laborers["wants_work"].to_numpy(dtype=bool))
    rows = np.asarray(rows, dtype=np.int64)
    subset = laborers.iloc[rows].reset_index(drop=True)

    remaining = matcher.arrays_.openings.copy()
    result = pd.DataFrame({"laborer": rows, "id_number": subset["id_number"].to_numpy(),
                           "status": "未分配", "tier": pd.NA, "posting": -1, "posting_id": pd.NA,
                           "channel": pd.NA, "fit": np.nan})
    result["tier"] = result["tier"].astype("Int64")
    waiting = np.ones(len(subset), dtype=bool)
    for tier, channels in enumerate(settings.tiers, start=1):
        if not waiting.any():
            break
        edges = matcher.recommend(subset[waiting], k=candidates, channels=channels, min_fit=min_fit,
                                  explain=False, posting_mask=remaining > 0)
        if edges.empty:
            continue
        local = np.flatnonzero(waiting)[edges["laborer"].to_numpy()]
        chosen = assign_with_capacity(local, edges["posting"].to_numpy(), edges["fit"].to_numpy(), remaining)
        picked = edges[chosen]
        who = local[chosen]
        result.loc[who, "status"] = "已分配"
        result.loc[who, "tier"] = tier
        result.loc[who, "posting"] = picked["posting"].to_numpy()
        result.loc[who, "posting_id"] = picked["posting_id"].to_numpy()
        result.loc[who, "channel"] = matcher.arrays_.channel[picked["posting"].to_numpy()]
        result.loc[who, "fit"] = picked["fit"].to_numpy()
        np.subtract.at(remaining, picked["posting"].to_numpy(), 1)
        waiting[who] = False
        logger.info("Tier %s (%s): %s laborers allocated", tier, "/".join(channels), len(who))

    suggestions = suggest_trainings(matcher, subset, np.flatnonzero(waiting), trainings, min_fit=min_fit)
    result = result.join(suggestions.set_index("laborer"), how="left")
    result["offers_opened"] = result["offers_opened"].fillna(0).astype(np.int64)
    result["laborer"] = rows
    return result


def suggest_trainings(matcher: JobMatcher, laborers: pd.DataFrame, rows, trainings: pd.DataFrame | None,
                      *, min_fit: float) -> pd.DataFrame:
    """Suggest, for each laborer in `rows`, the training that would open the
    most offers: feasible postings whose fit would reach `min_fit` if the
    laborer had the training's skill.

    With the training, the laborer's skill similarity to a posting becomes
    the larger of the current one and the training's similarity to it. Only
    trainings of the laborer's county (or without a county) are considered,
    and a training's ``capacity`` is respected, laborers with the largest
    gain first.

    Returns
    -------
    DataFrame
        Columns ``laborer`` (position in `laborers`), ``training_id``,
        ``training_name`` and ``offers_opened`` (0 and blank when no training
        opens an offer).
    """
    rows = np.asarray(rows, dtype=np.int64)
    empty = pd.DataFrame({"laborer": rows, "training_id": pd.Series(pd.NA, index=range(len(rows)), dtype="string"),
                          "training_name": pd.Series(pd.NA, index=range(len(rows)), dtype="string"),
                          "offers_opened": np.zeros(len(rows), dtype=np.int64)})
    if trainings is None or trainings.empty or not len(rows) or matcher.weights_["skill"] <= 0:
        return empty

    gains = _offer_gains(matcher, laborers.iloc[rows].reset_index(drop=True), trainings, min_fit)
    capacity = pd.to_numeric(trainings["capacity"], errors="coerce").fillna(np.iinfo(np.int32).max).to_numpy()
    chosen = np.full(len(rows), -1)
    for person in np.argsort(-gains.max(axis=1), kind="stable"):
        for training in np.argsort(-gains[person], kind="stable"):
            if gains[person, training] <= 0:
                break
            if capacity[training] > 0:
                chosen[person] = training
                capacity[training] -= 1
                break
    has = chosen >= 0
    empty.loc[has, "training_id"] = trainings["training_id"].astype("string").to_numpy()[chosen[has]]
    names = trainings.get("name", trainings["training_id"]).astype("string").fillna(trainings["training_id"])
    empty.loc[has, "training_name"] = names.to_numpy()[chosen[has]]
    empty.loc[has, "offers_opened"] = gains[np.flatnonzero(has), chosen[has]]
    return empty


def _offer_gains(matcher: JobMatcher, subset: pd.DataFrame, trainings: pd.DataFrame, min_fit: float) -> np.ndarray:
    """Offers opened per (laborer, training)."""
    text = (trainings.get("skill", pd.Series("", index=trainings.index)).astype("string").fillna("") + " "
            + trainings.get("name", pd.Series("", index=trainings.index)).astype("string").fillna(""))
    ids, matrix = matcher.encoder_.encode(text)
    postings = matcher.arrays_
    # Similarity of each training to each posting's skill text.
    training_similarity = (matrix[ids] @ postings.skill_matrix.T).toarray()[:, postings.skill_ids].astype(np.float32)
    arrays = matcher._laborer_arrays(subset)
    training_county = trainings.get("county_code", pd.Series(pd.NA, index=trainings.index)).astype("string")
    laborer_county = subset["county_code"].astype("string").to_numpy()

    threshold = np.float32(np.log(min_fit / (1 - min_fit)))
    weight = np.float32(matcher.weights_["skill"])
    gains = np.zeros((len(subset), len(trainings)), dtype=np.int64)
    scorer = matcher._scorer(arrays, postings.openings > 0)
    for group in scorer.groups():
        for part in scorer.chunks(group):
            rows = group.rows[part]
            score = scorer.score(group, part)
            current = scorer.similarity("skill", rows, group.columns)
            below = (score > INFEASIBLE) & (score < threshold)
            for t in range(len(trainings)):
                lift = weight * np.maximum(training_similarity[t, group.columns][None, :] - current, 0)
                opened = (below & (score + lift >= threshold)).sum(axis=1)
                reachable = pd.isna(training_county.iloc[t]) | (laborer_county[rows] == training_county.iloc[t])
                gains[rows, t] = np.where(reachable, opened, 0)
    return gains
