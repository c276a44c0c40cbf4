"""The block engine: scores of laborers against postings, one chunk at a
time, without ever holding the whole laborer-by-posting matrix.

Laborers are grouped by work intention and home area, because everybody in a
group has the same candidate postings (those inside the area of the
intention). Per group, the constraints that depend on the laborer only
through a few attributes become a table of (constraint class, posting), and
the text similarities a table of (distinct text pair). A chunk of the group
then costs a few gathers and about fifteen vectorised passes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._features import LaborerArrays, PostingArrays, constraint_table, distance_km, laborer_classes
from ._settings import INTENTIONS, MatchingSettings

__all__ = ["BlockScorer", "top_columns"]

_LEVEL_OF_INTENTION = ("township", "county", "province", None)

# Largest (distinct laborer texts x distinct posting texts) similarity table
# computed up front; beyond it, similarities are computed chunk by chunk.
_MAX_TEXT_TABLE = 20_000_000

# Infeasible pairs get PENALTY added to their score; any score at or below
# INFEASIBLE marks an infeasible pair. Adding a penalty is several times
# faster than a masked assignment of -inf, and two penalties stay finite.
PENALTY = np.float32(-1e37)
INFEASIBLE = np.float32(-1e36)

# Largest per-group table of (distinct text and expected wage, posting)
# scores; 64M float32 entries are 256 MB.
_MAX_GROUP_TABLE = 64_000_000


@dataclasses.dataclass
class Group:
    """Laborers sharing one candidate set, with what their chunks reuse."""

    rows: np.ndarray
    columns: np.ndarray
    penalty: np.ndarray         # (n_classes, n_columns) PENALTY where a constraint fails, else 0
    classes: np.ndarray         # class of each row
    table: np.ndarray | None    # (n_keys, n_columns) text, wage and constant terms
    keys: np.ndarray | None     # row of `table` for each laborer row
    limit: float                # distance limit of the group's intention, km
    x: np.ndarray
    y: np.ndarray
    housing_weight: np.ndarray
    constant: np.ndarray
    wage: np.ndarray
    has_wage: np.ndarray


def _combinations(skill_ids, experience_ids):
    """Factorise (skill text, experience text) pairs."""
    keys = skill_ids.astype(np.int64) * (int(experience_ids.max(initial=0)) + 1) + experience_ids
    codes, distinct = pd.factorize(keys)
    width = int(experience_ids.max(initial=0)) + 1
    return codes.astype(np.int64), distinct // width, distinct % width


class BlockScorer:
    """Score laborers against the allowed postings of a fitted matcher.

    Parameters
    ----------
    weights : dict of str to float
    settings : MatchingSettings
    laborers, postings : LaborerArrays, PostingArrays
    allowed : ndarray of bool
        Postings that may be recommended.
    chunk_size : int
        Laborer-posting pairs per chunk.
    posting_bias : ndarray of float, optional
        Constant added per posting.
    """

    def __init__(self, weights: dict, settings: MatchingSettings, laborers: LaborerArrays,
                 postings: PostingArrays, allowed: np.ndarray, chunk_size: int, posting_bias=None):
        self.weights = weights
        self.settings = settings
        self.laborers = laborers
        self.postings = postings
        self.allowed = allowed
        self.chunk_size = int(chunk_size)
        self.posting_bias = posting_bias
        self._prepare_text()

    def _prepare_text(self):
        l_text = _combinations(self.laborers.skill_ids, self.laborers.experience_ids)
        p_text = _combinations(self.postings.skill_ids, self.postings.experience_ids)
        self.laborer_text, self.laborer_skill, self.laborer_experience = l_text
        self.posting_text, self.posting_skill, self.posting_experience = p_text
        # Expected wages take few distinct values (2000, 2500, ...), so the
        # wage term can be tabulated with the text term; -1 is "unknown".
        wage = np.where(self.laborers.has_expected_wage, self.laborers.log_expected_wage, np.nan)
        codes, self.wage_values = pd.factorize(wage, use_na_sentinel=True)
        self.laborer_wage = codes.astype(np.int64)
        self.text_table = None
        if len(self.laborer_skill) * len(self.posting_skill) <= _MAX_TEXT_TABLE:
            self.text_table = self._weighted_similarity(self.laborer_skill, self.laborer_experience,
                                                        self.posting_skill, self.posting_experience)

    def _weighted_similarity(self, l_skill, l_experience, p_skill, p_experience) -> np.ndarray:
        """Weighted skill plus experience similarity between text combinations."""
        table = np.zeros((len(l_skill), len(p_skill)), dtype=np.float32)
        for name, l_ids, p_ids in (("skill", l_skill, p_skill), ("experience", l_experience, p_experience)):
            weight = self.weights[name]
            l_matrix = getattr(self.laborers, f"{name}_matrix")
            p_matrix = getattr(self.postings, f"{name}_matrix")
            if weight == 0 or l_matrix is None or p_matrix is None:
                continue
            l_distinct, l_inverse = np.unique(l_ids, return_inverse=True)
            p_distinct, p_inverse = np.unique(p_ids, return_inverse=True)
            similarity = (l_matrix[l_distinct] @ p_matrix[p_distinct].T).toarray().astype(np.float32)
            table += np.float32(weight) * similarity[l_inverse.ravel()][:, p_inverse.ravel()]
        return table

    # --- groups and chunks ---------------------------------------------------------

    def groups(self):
        """Yield the `Group` of each (intention, home area) with candidates."""
        laborers = self.laborers
        for level_index, level in enumerate(_LEVEL_OF_INTENTION):
            members = np.flatnonzero(laborers.intention == level_index)
            if not len(members):
                continue
            if level is None:
                split = {None: members}
            else:
                codes = laborers.codes[level][members]
                order = np.argsort(codes, kind="stable")
                cuts = np.flatnonzero(np.diff(codes[order])) + 1
                split = {int(codes[part[0]]): members[part] for part in np.split(order, cuts)}
            for code, rows in split.items():
                inside = self.allowed if code is None else self.allowed & (self.postings.codes[level] == code)
                columns = np.flatnonzero(inside)
                if len(columns):
                    yield self._group(rows, columns, INTENTIONS[level_index])

    def _group(self, rows, columns, intention) -> Group:
        postings = self.postings
        weights = self.weights
        classes, inverse = laborer_classes(self.laborers, rows)
        constant = (weights["intercept"] + weights["housing_far"] * postings.housing[columns]
                    + weights["public_job"] * postings.public_job[columns]).astype(np.float32)
        if self.posting_bias is not None:
            constant = constant + self.posting_bias[columns]
        wage_weight = np.float32(weights["wage"])
        group = Group(
            rows=rows, columns=columns,
            penalty=np.where(constraint_table(classes, postings, columns), np.float32(0), PENALTY),
            classes=inverse, table=None, keys=None,
            limit=float(self.settings.max_distance_km[intention] or np.inf),
            x=postings.x[columns], y=postings.y[columns],
            housing_weight=(np.float32(weights["housing_far"]) * postings.housing[columns]).astype(np.float32),
            constant=constant,
            wage=(postings.log_wage[columns] * wage_weight).astype(np.float32),
            has_wage=postings.has_wage[columns],
        )
        self._tabulate(group)
        return group

    def _tabulate(self, group: Group) -> None:
        """Precompute the text, wage and constant terms per distinct (text,
        expected wage) of the group, when that is smaller than the group."""
        if self.text_table is None:
            return
        width = len(self.wage_values) + 1
        keys, distinct = pd.factorize(self.laborer_text[group.rows] * width + self.laborer_wage[group.rows] + 1)
        if len(distinct) * len(group.columns) > _MAX_GROUP_TABLE or len(distinct) > len(group.rows) // 3:
            return
        text, wage = distinct // width, distinct % width - 1
        table = self.text_table[text][:, self.posting_text[group.columns]]
        table += group.constant[None, :]
        values = np.append(np.asarray(self.wage_values, dtype=np.float32), np.float32(0))
        log_wage = values[np.where(wage >= 0, wage, -1)]
        table += self._wage_term(group, log_wage.astype(np.float32), wage >= 0)
        group.table, group.keys = table, keys.astype(np.int64)

    def chunks(self, group: Group):
        """Yield slices of the group's rows of about `chunk_size` pairs."""
        step = max(1, self.chunk_size // len(group.columns))
        for start in range(0, len(group.rows), step):
            yield slice(start, start + step)

    # --- scoring ---------------------------------------------------------------

    def score(self, group: Group, part: slice) -> np.ndarray:
        """Scores of the rows `part` of `group` against its columns; at or
        below INFEASIBLE where a hard constraint fails."""
        laborers = self.laborers
        weights = self.weights
        rows = group.rows[part]

        if group.table is not None:
            score = group.table[group.keys[part]]
        else:
            score = self._text_scores(group, rows)
            score += group.constant[None, :]
            score += self._wage_term(group, self.laborers.log_expected_wage[rows],
                                     self.laborers.has_expected_wage[rows])
        distance = self._distances(group, rows)
        score += group.penalty[group.classes[part]]
        if np.isfinite(group.limit):
            score += (distance > group.limit) * PENALTY

        # proximity = 1 / (1 + km / scale), computed in place over `distance`.
        proximity = distance
        proximity *= np.float32(1.0 / self.settings.proximity_scale_km)
        proximity += 1
        np.reciprocal(proximity, out=proximity)
        # proximity * (w_proximity + w_caring * caring_i - w_housing * housing_j)
        # adds the proximity, caring_proximity and housing_far terms at once.
        row_weight = (weights["proximity"] + weights["caring_proximity"] * laborers.caring[rows]).astype(np.float32)
        proximity *= row_weight[:, None] - group.housing_weight[None, :]
        score += proximity
        return score

    def _text_scores(self, group: Group, rows) -> np.ndarray:
        if self.text_table is not None:
            return self.text_table[self.laborer_text[rows]][:, self.posting_text[group.columns]]
        l_text, l_inverse = np.unique(self.laborer_text[rows], return_inverse=True)
        p_text, p_inverse = np.unique(self.posting_text[group.columns], return_inverse=True)
        table = self._weighted_similarity(self.laborer_skill[l_text], self.laborer_experience[l_text],
                                          self.posting_skill[p_text], self.posting_experience[p_text])
        return table[l_inverse.ravel()][:, p_inverse.ravel()]

    def _distances(self, group: Group, rows) -> np.ndarray:
        laborers = self.laborers
        if laborers.has_xy[rows].all() and self.postings.has_xy[group.columns].all():
            distance = laborers.x[rows][:, None] - group.x[None, :]
            distance *= distance
            dy = laborers.y[rows][:, None] - group.y[None, :]
            dy *= dy
            distance += dy
            return np.sqrt(distance, out=distance)
        distance, _ = distance_km(laborers, self.postings, rows[:, None], group.columns[None, :], self.settings)
        return distance

    def _wage_term(self, group: Group, log_expected: np.ndarray, known: np.ndarray) -> np.ndarray:
        """``w_wage * clip(log(wage / expected), -1, 1)``, 0 where either
        wage is unknown; one row per expected wage given."""
        weight = np.float32(self.weights["wage"])
        wage = group.wage[None, :] - (log_expected * weight)[:, None]
        bound = abs(weight)
        np.clip(wage, -bound, bound, out=wage)
        if not known.all():
            wage[~known] = 0
        if not group.has_wage.all():
            wage[:, ~group.has_wage] = 0
        return wage

    def similarity(self, name: str, rows, columns) -> np.ndarray:
        """Unweighted cosine similarity of feature `name` ("skill" or
        "experience") between laborers `rows` and postings `columns`."""
        l_ids = getattr(self.laborers, f"{name}_ids")[rows]
        p_ids = getattr(self.postings, f"{name}_ids")[columns]
        l_matrix = getattr(self.laborers, f"{name}_matrix")
        p_matrix = getattr(self.postings, f"{name}_matrix")
        if l_matrix is None or p_matrix is None:
            return np.zeros((len(rows), len(columns)), dtype=np.float32)
        l_distinct, l_inverse = np.unique(l_ids, return_inverse=True)
        p_distinct, p_inverse = np.unique(p_ids, return_inverse=True)
        table = (l_matrix[l_distinct] @ p_matrix[p_distinct].T).toarray().astype(np.float32)
        return table[l_inverse.ravel()][:, p_inverse.ravel()]


def top_columns(score: np.ndarray, columns: np.ndarray, k: int):
    """Return the best `k` columns of each row of `score` and their scores,
    ordered by score and then by posting index. Places beyond a row's
    feasible postings are -1 / -inf.

    The k-th largest of the row's block maxima is a lower bound of its k-th
    largest score, because the k largest block maxima are k distinct
    entries. Only entries at or above that bound are sorted, which is about
    five times cheaper than a full ``argpartition`` of the row.
    """
    n, m = score.shape
    k = min(k, m)
    top_postings = np.full((n, k), -1, dtype=np.int64)
    top_scores = np.full((n, k), -np.inf, dtype=np.float32)
    block = max(1, m // max(4 * k, 64))
    if m // block < k:
        bound = np.full(n, INFEASIBLE, dtype=np.float32)
    else:
        maxima = np.maximum.reduceat(score, np.arange(0, m, block), axis=1)
        bound = -np.partition(-maxima, k - 1, axis=1)[:, k - 1]
    # Infeasible pairs are never returned.
    bound = np.maximum(bound, np.nextafter(INFEASIBLE, np.float32(0)))
    rows, places = np.nonzero(score >= bound[:, None])
    values = score[rows, places]
    order = np.lexsort((columns[places], -values, rows))
    rows, places, values = rows[order], places[order], values[order]
    starts = np.searchsorted(rows, np.arange(n))
    rank = np.arange(len(rows)) - starts[rows]
    keep = rank < k
    top_postings[rows[keep], rank[keep]] = columns[places[keep]]
    top_scores[rows[keep], rank[keep]] = values[keep]
    return top_postings, top_scores
