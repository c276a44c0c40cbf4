"""Scoring households with a trained model: probability, rank, risk band,
suggested monitoring category and the top three factors in Chinese."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from ._estimator import RiskModel, UnknownCategoryWarning
from ._explain import top_reasons
from ._features import build_features
from ._settings import RiskBands, load_risk_settings

__all__ = ["score_households", "score_data_root", "SCORE_COLUMNS", "RISK_BANDS"]

logger = logging.getLogger(__name__)

SCORE_COLUMNS = ["household_no", "year", "county_code", "probability", "rank", "risk_band",
                 "suggested_category", "reasons"]
RISK_BANDS = ("高", "中", "低")
# Rows scored at a time, which bounds the memory of the prepared matrix and
# the contributions (75 float32 columns: 60 MB per 200,000 rows).
_CHUNK_ROWS = 200_000


def _bands(probability: np.ndarray, bands: RiskBands) -> pd.Categorical:
    codes = np.where(probability >= bands.high, 0, np.where(probability >= bands.medium, 1, 2))
    return pd.Categorical.from_codes(codes, categories=list(RISK_BANDS), ordered=True)


def _suggested_category(households, members, previous_households, year, at_risk: np.ndarray) -> pd.Series:
    """Suggest a monitoring category for the households in band 高 or 中.

    The monitoring criteria (`fupin_lib.checks.monitoring_flags`) give the
    category where they flag the household. Where they do not, the category
    for households at risk applies: 脱贫不稳定户 for exited households,
    边缘易致贫户 for the others. Households in band 低 get NA; the criteria
    run on the at-risk rows only, which keeps scoring a city fast.
    """
    from ..checks import monitoring_flags

    category = pd.Series(pd.NA, index=range(len(households)), dtype="string")
    rows = np.flatnonzero(at_risk)
    if len(rows) == 0:
        return category
    subset = households.iloc[rows].reset_index(drop=True)
    flags = monitoring_flags(subset, members, year=year, previous_households=previous_households)
    flagged = flags["suggested_category"].astype("string")
    household_type = subset["household_type"].astype("string")
    exit_status = subset["exit_status"].astype("string").fillna("")
    exited = ((household_type == "脱贫户").fillna(False) | exit_status.str.startswith("已脱贫")
              | (exit_status == "返贫")).to_numpy(dtype=bool)
    fallback = np.where(exited, "脱贫不稳定户", "边缘易致贫户")
    category.iloc[rows] = flagged.fillna(pd.Series(fallback, dtype="string")).to_numpy()
    return category


def score_households(
    model: RiskModel, households: pd.DataFrame, members: pd.DataFrame,
    previous_households: pd.DataFrame | None = None, previous_members: pd.DataFrame | None = None,
    *, year: int, defaults=None,
) -> pd.DataFrame:
    """Score every household of one year.

    Parameters
    ----------
    model : RiskModel
        A fitted model, usually from `load_model`.
    households, members : DataFrame
        Canonical tables of `year`.
    previous_households, previous_members : DataFrame, optional
        Canonical tables of ``year - 1`` (changes and village context).
    year : int
    defaults : optional
        Parameter defaults (monitoring line and ``risk.bands``).

    Returns
    -------
    DataFrame
        One row per household in input order, columns `SCORE_COLUMNS`:
        ``probability`` (calibrated), ``rank`` (1 = highest risk among the
        households scored together), ``risk_band`` (高, 中, 低 by the
        thresholds of ``risk.bands``), ``suggested_category`` (for bands 高
        and 中, NA for 低) and
        ``reasons`` (top three factors, joined by "；").

    Notes
    -----
    One million households with their members took 23 s of CPU time and
    4.6 GB (bench/bench_risk.py; 30 s wall on 2 cores at a load of 3.7,
    47-55 s at a load of 5-6), against a target of 30 s and 6 GB.
    """
    bands = load_risk_settings(defaults).bands
    features = build_features(households, members, previous_households, previous_members,
                              year=year, defaults=defaults)
    X = features[list(model.feature_names_in_)]
    probabilities, reasons = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownCategoryWarning)
        for start in range(0, len(X), _CHUNK_ROWS):
            chunk = slice(start, start + _CHUNK_ROWS)
            probability, contributions = model.predict_proba_and_contributions(X.iloc[chunk])
            probabilities.append(probability[:, 1])
            reasons.append(top_reasons(features.iloc[chunk], contributions))
    # One warning with the counts of the whole call, not one per chunk;
    # other warnings pass through.
    for caught_warning in caught:
        if not issubclass(caught_warning.category, UnknownCategoryWarning):
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    if any(issubclass(w.category, UnknownCategoryWarning) for w in caught):
        model.report_unknown_categories(X)
    probability = np.concatenate(probabilities) if probabilities else np.zeros(0)
    reasons = pd.concat(reasons, ignore_index=True) if reasons else pd.Series([], dtype=object)

    risk_band = _bands(probability, bands)
    at_risk = np.asarray(risk_band.codes) <= 1
    scores = pd.DataFrame({
        "household_no": features["household_no"],
        "year": np.full(len(features), int(year), dtype="int64"),
        "county_code": features["county_code"],
        "probability": probability,
        "rank": pd.Series(-probability).rank(method="first").astype("int64").to_numpy(),
        "risk_band": risk_band,
        "suggested_category": _suggested_category(households, members, previous_households, year, at_risk),
        "reasons": reasons.to_numpy(dtype=object),
    })
    logger.info("scored %s households of %s", len(scores), year)
    return scores[SCORE_COLUMNS]


def score_data_root(model_dir, data_root, *, year: int, county: str | None = None, out) -> tuple:
    """Score the households of `year` of every county (or one) in a clean-data
    root and write ``out/scores.parquet``.

    Returns
    -------
    (Path, DataFrame)
        The file written and the scores.

    Raises
    ------
    FupinError
        If no county has data for `year`.
    """
    from pathlib import Path

    from .._errors import FupinError
    from ..io import available_partitions, read_table
    from ._persist import load_model

    model = load_model(model_dir)
    partitions = available_partitions(data_root)
    present = set(zip(partitions["county_code"].astype(str), partitions["year"].astype(int)))
    counties = sorted({c for c, y in present if y == int(year)})
    if county is not None:
        counties = [c for c in counties if c == str(county)]
    if not counties:
        where = f"县区 {county} " if county else ""
        raise FupinError(f"{data_root} 中没有{where}{year} 年的数据。请检查 --data、--county 和 --year。")

    parts = []
    for code in counties:
        tables = [read_table(data_root, code, y, t) for y in (year, year - 1) for t in ("households", "members")]
        if (code, int(year) - 1) not in present:
            logger.warning("county %s has no data for %s: change features are missing", code, int(year) - 1)
            tables[2] = tables[3] = None
        parts.append(score_households(model, *tables, year=year))
    scores = pd.concat(parts, ignore_index=True)
    # Rank over all households scored together, as documented.
    scores["rank"] = scores["probability"].rank(method="first", ascending=False).astype("int64")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "scores.parquet"
    scores.to_parquet(path, index=False)
    return path, scores
