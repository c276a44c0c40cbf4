"""Ranking of postings for laborers: hard constraints, then a linear fit
score, computed block by block so that no laborer-by-posting matrix is ever
held whole."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state

from .._errors import FupinError
from ._blocks import BlockScorer, top_columns
from ._explain import explain_pairs
from ._features import (
    LaborerArrays,
    PostingArrays,
    TextEncoder,
    code_vocabularies,
    feasible_pairs,
    pair_features,
)
from ._settings import FEATURES, MatchingSettings, load_matching_settings

__all__ = ["JobMatcher", "kept_placements"]

logger = logging.getLogger(__name__)


def _checked_postings(postings: pd.DataFrame) -> pd.DataFrame:
    missing = {"posting_id", "channel"} - set(postings.columns)
    if missing:
        raise FupinError(f"岗位表缺少列：{', '.join(sorted(missing))}。请按岗位信息表的规范列导入。")
    postings = postings.reset_index(drop=True).copy()
    if "province_code" not in postings:
        postings["province_code"] = postings["county_code"].astype("string").str[:2]
    return postings


def kept_placements(placements: pd.DataFrame, settings: MatchingSettings) -> pd.Series:
    """Mark placements where the offer was taken and kept: accepted, and
    either still employed or kept for at least ``kept_min_months``."""
    accepted = placements["accepted"].astype("boolean").fillna(False)
    months = pd.to_numeric(placements["months_kept"], errors="coerce").fillna(0)
    still = placements["still_employed"].astype("boolean").fillna(False)
    return (accepted & ((months >= settings.kept_min_months) | still)).astype(bool)


class JobMatcher(BaseEstimator):
    """Rank postings for laborers by fit, within hard constraints.

    Hard constraints come first. The laborer's age must be inside the
    posting's range, the physical demand within the laborer's capacity and
    the education at least the minimum. The posting must lie inside the area
    of the work intention (乡镇内: same township, 县内: same county, 县外省内:
    same province, 省外: anywhere) and within its distance limit.
    Public-welfare posts go only to eligible laborers, and only postings with
    openings left count. Among the postings left, the fit score is
    ``intercept + sum(weight * feature)`` over the features of
    `pair_features`, and ``fit = sigmoid(score)`` is a 0–1 匹配度.

    Parameters
    ----------
    weights : "learn", "default" or dict, default="learn"
        ``"learn"`` fits a logistic regression on past placements (kept
        offers against other offers and random feasible pairs) when there
        are at least ``min_placements_to_learn`` kept placements, and uses
        the settings' weights otherwise. A dict gives the weights directly.
    settings : MatchingSettings, optional
        By default the ``matching`` section of ``parameters/defaults.yaml``.
    negatives_per_placement : int, default=4
        Random feasible (laborer, posting) pairs drawn as negatives per
        placement when learning weights.
    chunk_size : int, default=262_144
        Laborer-posting pairs scored at once; memory grows with it.
    n_jobs : int, default=1
        Threads that score blocks in parallel.
    random_state : int, RandomState or None, default=None
        Seed of the negative sampling.

    Attributes
    ----------
    weights_ : dict of str to float
        The weights in use, ``intercept`` included.
    weights_source_ : {"learned", "default", "given"}
    n_postings_ : int
    postings_ : DataFrame
        The postings, in the order that result indices refer to.
    """

    # Per-posting constant added to every score; only the random baseline of
    # the evaluation sets it.
    _posting_bias = None

    def __init__(self, *, weights: Literal["learn", "default"] | dict = "learn",
                 settings: MatchingSettings | None = None, negatives_per_placement: int = 4,
                 chunk_size: int = 262_144, n_jobs: int = 1, random_state=None):
        self.weights = weights
        self.settings = settings
        self.negatives_per_placement = negatives_per_placement
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    # --- fitting ------------------------------------------------------------

    def fit(self, postings: pd.DataFrame, laborers: pd.DataFrame | None = None,
            placements: pd.DataFrame | None = None, *,
            placement_postings: pd.DataFrame | None = None) -> "JobMatcher":
        """Index the postings and set the weights.

        Parameters
        ----------
        postings : DataFrame
            Canonical postings (`fupin_lib.schema.POSTINGS`).
        laborers : DataFrame, optional
            Laborer profiles (`build_laborer_profiles`); their texts join the
            TF-IDF vocabulary, and they are the people of `placements`.
        placements : DataFrame, optional
            Canonical placements; used to learn weights.
        placement_postings : DataFrame, optional
            The postings that `placements` refer to, when they include
            postings of past years; by default `postings`. Only the weights
            are learned from them, and only `postings` are recommended.

        Returns
        -------
        self
        """
        self._check_params()
        self.settings_ = self.settings or load_matching_settings()
        self._fit_postings(postings, laborers, placement_postings)
        self.weights_, self.weights_source_ = self._fit_weights(laborers, placements)
        logger.info("JobMatcher fitted on %s postings; weights %s (%s)",
                    self.n_postings_, self.weights_, self.weights_source_)
        return self

    def _check_params(self):
        if not (self.weights in ("learn", "default") or isinstance(self.weights, dict)):
            raise FupinError(f"weights 应为 'learn'、'default' 或权重字典，得到 {self.weights!r}。")
        if int(self.chunk_size) < 1 or int(self.n_jobs) < 1:
            raise FupinError(f"chunk_size 和 n_jobs 应为正整数，得到 {self.chunk_size!r} 和 {self.n_jobs!r}。")

    def _fit_postings(self, postings, laborers, placement_postings):
        postings = _checked_postings(postings)
        history = postings if placement_postings is None else _checked_postings(placement_postings)
        both = pd.concat([postings, history], ignore_index=True)
        texts = [both.get(c, pd.Series(dtype="string")) for c in ("title", "description", "skills_required")]
        if laborers is not None:
            texts += [laborers["skills"], laborers["past_work"]]
        self.encoder_ = TextEncoder().fit(pd.concat(texts, ignore_index=True))
        self.vocabularies_ = code_vocabularies(both)
        latitudes = pd.to_numeric(postings.get("latitude"), errors="coerce")
        if laborers is not None:
            latitudes = pd.concat([latitudes, pd.to_numeric(laborers["latitude"], errors="coerce")])
        self.reference_latitude_ = float(latitudes.mean()) if latitudes.notna().any() else 23.0
        self.arrays_ = PostingArrays.build(postings, self.encoder_, self.vocabularies_, self.reference_latitude_)
        self.postings_ = self.arrays_.frame
        self.n_postings_ = len(postings)
        self._history = self.arrays_ if placement_postings is None else PostingArrays.build(
            history, self.encoder_, self.vocabularies_, self.reference_latitude_)

    def _fit_weights(self, laborers, placements):
        defaults = dict(self.settings_.weights)
        if isinstance(self.weights, dict):
            return {**{"intercept": 0.0, **{f: 0.0 for f in FEATURES}}, **self.weights}, "given"
        if self.weights == "default" or laborers is None or placements is None or placements.empty:
            return defaults, "default"
        pairs = self.training_pairs(laborers, placements)
        if pairs is None:
            return defaults, "default"
        # Balanced classes: the random negatives outnumber the kept
        # placements, and fit = 0.5 should mean "as likely kept as not".
        model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
        model.fit(pairs[list(FEATURES)], pairs["kept"])
        learned = {"intercept": float(model.intercept_[0])}
        learned.update({f: float(c) for f, c in zip(FEATURES, model.coef_[0])})
        return learned, "learned"

    def training_pairs(self, laborers: pd.DataFrame, placements: pd.DataFrame) -> pd.DataFrame | None:
        """Build the labelled pairs that weights are learned from.

        Kept placements are positives; other offers and
        ``negatives_per_placement`` random feasible pairs per placement are
        negatives. Returns None, with a log message, when there are fewer
        than ``min_placements_to_learn`` kept placements or no negatives.
        """
        arrays = self._laborer_arrays(laborers)
        li, pj, kept = self._placement_pairs(arrays, placements)
        needed = self.settings_.min_placements_to_learn
        if kept.sum() < needed:
            logger.info("Only %s kept placements (need %s): default weights", int(kept.sum()), needed)
            return None
        rng = check_random_state(self.random_state)
        draws = max(1, self.negatives_per_placement) * len(li)
        neg_l = rng.choice(np.unique(li), size=draws)
        neg_p = rng.randint(0, len(self._history), size=draws)
        ok = feasible_pairs(arrays, self._history, neg_l, neg_p, self.settings_)
        placed = set(zip(li.tolist(), pj.tolist()))
        ok &= np.array([(a, b) not in placed for a, b in zip(neg_l.tolist(), neg_p.tolist())], dtype=bool)
        all_l = np.concatenate([li, neg_l[ok]])
        all_p = np.concatenate([pj, neg_p[ok]])
        labels = np.concatenate([kept, np.zeros(int(ok.sum()), dtype=bool)])
        if labels.all():
            return None
        pairs = pair_features(arrays, self._history, all_l, all_p, self.settings_)
        pairs["kept"] = labels
        return pairs

    def _placement_pairs(self, arrays, placements):
        row_of_person = pd.Series(np.arange(len(arrays)), index=arrays.frame["id_number"].astype("string"))
        row_of_person = row_of_person[~row_of_person.index.duplicated()]
        history = self._history.frame
        index_of_posting = pd.Series(np.arange(len(history)), index=history["posting_id"].astype("string"))
        index_of_posting = index_of_posting[~index_of_posting.index.duplicated()]
        li = placements["id_number"].astype("string").map(row_of_person)
        pj = placements["posting_id"].astype("string").map(index_of_posting)
        known = (li.notna() & pj.notna()).to_numpy()
        if (~known).any():
            logger.info("%s placements name a laborer or posting not in the data; skipped", int((~known).sum()))
        kept = kept_placements(placements, self.settings_).to_numpy()[known]
        return li[known].to_numpy(dtype=np.int64), pj[known].to_numpy(dtype=np.int64), kept

    def _laborer_arrays(self, laborers: pd.DataFrame) -> LaborerArrays:
        return LaborerArrays.build(laborers, self.encoder_, self.vocabularies_, self.reference_latitude_)

    # --- scoring --------------------------------------------------------------

    def score_pairs(self, laborers: pd.DataFrame, laborer_rows, posting_indices) -> pd.DataFrame:
        """Return features, feasibility, score and fit of arbitrary pairs
        (row positions in `laborers`, indices into `postings_`)."""
        arrays = self._laborer_arrays(laborers)
        li = np.asarray(laborer_rows, dtype=np.int64)
        pj = np.asarray(posting_indices, dtype=np.int64)
        features = pair_features(arrays, self.arrays_, li, pj, self.settings_)
        score = self.weights_["intercept"] + sum(self.weights_[f] * features[f].to_numpy() for f in FEATURES)
        features["feasible"] = feasible_pairs(arrays, self.arrays_, li, pj, self.settings_)
        features["score"] = score
        features["fit"] = 1.0 / (1.0 + np.exp(-score))
        return features

    def explain(self, laborers: pd.DataFrame, laborer_rows, posting_indices) -> np.ndarray:
        """Return the Chinese explanation of arbitrary pairs (row positions in
        `laborers`, indices into `postings_`)."""
        arrays = self._laborer_arrays(laborers)
        li = np.asarray(laborer_rows, dtype=np.int64)
        pj = np.asarray(posting_indices, dtype=np.int64)
        features = pair_features(arrays, self.arrays_, li, pj, self.settings_)
        return explain_pairs(arrays.frame, self.postings_, li, pj, features, self.settings_)

    def recommend(self, laborers: pd.DataFrame, *, k: int = 10, channels=None,
                  min_fit: float | None = None, explain: bool = True,
                  posting_mask: np.ndarray | None = None) -> pd.DataFrame:
        """Return the top `k` feasible postings of every laborer.

        Parameters
        ----------
        laborers : DataFrame
            Laborer profiles (`build_laborer_profiles`).
        k : int, default=10
        channels : sequence of str, optional
            Only postings of these channels (岗位渠道).
        min_fit : float, optional
            Drop recommendations whose fit is below this 0–1 value.
        explain : bool, default=True
            Add the Chinese ``explanation`` column (slower on large inputs).
        posting_mask : ndarray of bool, optional
            Only postings where True (same order as `postings_`).

        Returns
        -------
        DataFrame
            One row per recommendation, ordered by laborer and rank:
            ``laborer`` (row position in `laborers`), ``id_number``,
            ``rank`` (1 = best), ``posting``, ``posting_id``, ``score``,
            ``fit`` and, with `explain`, ``distance_km`` and
            ``explanation``. Laborers with no feasible posting get no row.
        """
        arrays = self._laborer_arrays(laborers)
        allowed = self.arrays_.openings > 0
        if channels is not None:
            allowed &= np.isin(self.arrays_.channel, list(channels))
        if posting_mask is not None:
            allowed &= np.asarray(posting_mask, dtype=bool)
        top_postings, top_scores = self._top_k(arrays, int(k), allowed)
        result = self._result_frame(arrays, top_postings, top_scores, min_fit)
        if explain and len(result):
            result = self._add_explanations(laborers, arrays, result)
        return result

    def _result_frame(self, arrays, top_postings, top_scores, min_fit):
        rows, ranks = np.nonzero(top_postings >= 0)
        postings = top_postings[rows, ranks]
        scores = top_scores[rows, ranks].astype(np.float64)
        fit = 1.0 / (1.0 + np.exp(-scores))
        result = pd.DataFrame({
            "laborer": rows,
            "id_number": arrays.frame["id_number"].to_numpy()[rows],
            "rank": ranks + 1,
            "posting": postings,
            "posting_id": self.postings_["posting_id"].to_numpy()[postings],
            "score": scores,
            "fit": fit,
        })
        if min_fit is not None:
            result = result[result["fit"] >= min_fit]
            result["rank"] = result.groupby("laborer").cumcount() + 1
        return result.reset_index(drop=True)

    def _add_explanations(self, laborers, arrays, result):
        li = result["laborer"].to_numpy()
        pj = result["posting"].to_numpy()
        features = pair_features(arrays, self.arrays_, li, pj, self.settings_)
        result["distance_km"] = features["distance_km"].round(1).to_numpy()
        result["explanation"] = explain_pairs(arrays.frame, self.postings_, li, pj, features, self.settings_)
        return result

    # --- the block engine -------------------------------------------------------

    def _scorer(self, arrays: LaborerArrays, allowed: np.ndarray) -> BlockScorer:
        return BlockScorer(self.weights_, self.settings_, arrays, self.arrays_, allowed,
                           self.chunk_size, posting_bias=self._posting_bias)

    def _top_k(self, arrays: LaborerArrays, k: int, allowed: np.ndarray):
        n = len(arrays)
        top_postings = np.full((n, k), -1, dtype=np.int64)
        top_scores = np.full((n, k), -np.inf, dtype=np.float32)
        scorer = self._scorer(arrays, allowed)

        def run(group, part):
            rows = group.rows[part]
            postings, scores = top_columns(scorer.score(group, part), group.columns, k)
            top_postings[rows, :postings.shape[1]] = postings
            top_scores[rows, :scores.shape[1]] = scores

        if self.n_jobs > 1:
            # One group at a time, so that only one group's tables are held.
            with ThreadPoolExecutor(max_workers=int(self.n_jobs)) as pool:
                for group in scorer.groups():
                    for future in [pool.submit(run, group, part) for part in scorer.chunks(group)]:
                        future.result()
        else:
            for group in scorer.groups():
                for part in scorer.chunks(group):
                    run(group, part)
        return top_postings, top_scores
