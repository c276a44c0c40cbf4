"""Training and evaluation rows from a clean-data root: the features of year
t, the label of year t+1, and the rules-only baseline of year t."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import FupinError
from .._paths import clean_dir
from ._features import _is_monitored, _line_per_household, _per_capita_income, build_features
from ._settings import LabelDefinition

__all__ = ["build_dataset", "make_labels", "baseline_scores", "data_hash", "feature_years"]

logger = logging.getLogger(__name__)

_TABLES = ("households", "members")


def make_labels(
    households: pd.DataFrame, next_households: pd.DataFrame, *, year: int,
    definition: LabelDefinition = "either", defaults=None,
) -> np.ndarray:
    """Return the label of each household of year t from the table of t+1.

    Parameters
    ----------
    households : DataFrame
        Households of year t (only ``household_no`` is read).
    next_households : DataFrame
        Canonical households of year t+1.
    year : int
        Year t+1, the year of `next_households`.
    definition : {"below_line", "monitored", "either"}, default="either"
        - ``"below_line"``: per-capita net income below the monitoring line.
        - ``"monitored"``: identified as a monitoring object and not
          eliminated.
        - ``"either"``: one or the other.

    Returns
    -------
    ndarray of float
        1.0 or 0.0; NaN for households absent in t+1 (or with no income
        recorded under ``"below_line"``).
    """
    ratio = _divide_safe(_per_capita_income(next_households),
                         _line_per_household(next_households, year, defaults))
    below = np.where(np.isnan(ratio), np.nan, (ratio < 1.0).astype("float64"))
    monitored = _is_monitored(next_households).astype("float64")
    label = {"below_line": below, "monitored": monitored,
             "either": np.where(monitored == 1.0, 1.0, below)}[definition]
    by_household = pd.Series(label, index=next_households["household_no"].astype("string").to_numpy())
    by_household = by_household[~by_household.index.duplicated()]
    return by_household.reindex(households["household_no"].astype("string").to_numpy()).to_numpy(dtype="float64")


def _divide_safe(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(a, dtype="float64") / np.asarray(b, dtype="float64")


def baseline_scores(flags: pd.DataFrame, *, random_state: int = 0) -> pd.DataFrame:
    """Turn the rules-only monitoring flags into a ranking score.

    The baseline ranks flagged households first, then by the number of
    criteria met (below line, income drop, high expense, 三保障 gap, sudden
    event); ties are ordered at random with a fixed seed. Its probability is
    the flag itself (1 or 0), as a rules-only screen decides.

    Returns
    -------
    DataFrame
        ``household_no``, ``baseline_flagged``, ``baseline_score``.
    """
    criteria = ["below_line", "income_drop", "high_expense", "basic_needs_gap", "sudden_event"]
    flagged = flags["flagged"].astype("boolean").fillna(False).to_numpy(dtype="float64")
    n_criteria = sum(flags[c].astype("boolean").fillna(False).to_numpy(dtype="float64") for c in criteria)
    jitter = np.random.default_rng(random_state).random(len(flags)) * 0.5
    return pd.DataFrame({
        "household_no": flags["household_no"].astype("string").to_numpy(dtype=object),
        "baseline_flagged": flagged,
        "baseline_score": 10.0 * flagged + n_criteria + jitter,
    })


def feature_years(data_root, *, counties=None) -> pd.DataFrame:
    """List the (county, year t) pairs whose year t+1 is also present, with
    whether year t-1 is present too (``has_history``)."""
    from ..io import available_partitions

    partitions = available_partitions(data_root)
    if counties:
        partitions = partitions[partitions["county_code"].isin([str(c) for c in counties])]
    present = set(zip(partitions["county_code"].astype(str), partitions["year"].astype(int)))
    rows = [
        {"county_code": county, "year": year, "has_history": (county, year - 1) in present}
        for county, year in sorted(present) if (county, year + 1) in present
    ]
    return pd.DataFrame(rows, columns=["county_code", "year", "has_history"])


def build_dataset(
    data_root, *, years=None, counties=None, label: LabelDefinition = "either",
    with_baseline: bool = True, defaults=None,
) -> pd.DataFrame:
    """Build one row per household and year t: features of t, label of t+1
    and the rules-only baseline of t.

    Parameters
    ----------
    data_root : path-like
        Clean-data root (``data/clean``).
    years : iterable of int, optional
        Years t to include; by default every year whose t+1 is present.
    counties : iterable of str, optional
        County codes; by default all.
    label : {"below_line", "monitored", "either"}, default="either"
    with_baseline : bool, default=True
        Add ``baseline_flagged`` and ``baseline_score`` from
        `fupin_lib.checks.monitoring_flags`.

    Returns
    -------
    DataFrame
        `OUTPUT_COLUMNS` of the features plus ``has_history``,
        ``village_code``, ``label`` and the baseline columns. Households absent in t+1 are dropped (logged).

    Raises
    ------
    FupinError
        If no county has two consecutive years.
    """
    from ..io import read_table

    pairs = feature_years(data_root, counties=counties)
    if years is not None:
        pairs = pairs[pairs["year"].isin([int(y) for y in years])]
    if pairs.empty:
        raise FupinError(
            f"{data_root} 中没有连续两年的数据（需要第 t 年的特征和第 t+1 年的结果）。"
            "请先用 fupin import 导入至少两个年度的数据。")
    parts = []
    for county, year, has_history in pairs.itertuples(index=False):
        tables = {t: read_table(data_root, county, year, t) for t in _TABLES}
        previous = {t: read_table(data_root, county, year - 1, t) for t in _TABLES} if has_history else {}
        next_households = read_table(data_root, county, year + 1, "households")
        part = build_features(
            tables["households"], tables["members"], previous.get("households"), previous.get("members"),
            year=year, defaults=defaults)
        part["has_history"] = has_history
        # Village of each household, to hold out whole villages for calibration.
        part["village_code"] = tables["households"]["village_code"].astype("string").to_numpy(dtype=object)
        part["label"] = make_labels(tables["households"], next_households, year=year + 1,
                                    definition=label, defaults=defaults)
        if with_baseline:
            part = _add_baseline(part, tables, previous.get("households"), year)
        parts.append(part)
    dataset = pd.concat(parts, ignore_index=True)
    absent = dataset["label"].isna()
    if absent.any():
        logger.info("%s households have no record in the following year and get no label", absent.sum())
    return dataset.loc[~absent].reset_index(drop=True)


def _add_baseline(part, tables, previous_households, year) -> pd.DataFrame:
    from ..checks import monitoring_flags

    flags = monitoring_flags(tables["households"], tables["members"], year=year,
                             previous_households=previous_households)
    scores = baseline_scores(flags, random_state=year)
    scores = scores.drop_duplicates("household_no").set_index("household_no")
    aligned = scores.reindex(part["household_no"].to_numpy())
    part["baseline_flagged"] = aligned["baseline_flagged"].fillna(0.0).to_numpy()
    part["baseline_score"] = aligned["baseline_score"].fillna(0.0).to_numpy()
    return part


def data_hash(data_root, pairs: pd.DataFrame) -> str:
    """Return a SHA-256 over the household and member files of years t-1, t
    and t+1 of each (county, year) pair: the data a model was trained on."""
    digest = hashlib.sha256()
    files = set()
    for county, year in zip(pairs["county_code"], pairs["year"]):
        for offset in (-1, 0, 1):
            for table in _TABLES:
                files.add(clean_dir(data_root, county, int(year) + offset) / f"{table}.parquet")
    for path in sorted(files):
        if Path(path).exists():
            digest.update(str(Path(path).relative_to(data_root)).encode())
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()
