"""Ranking and calibration metrics of risk scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

__all__ = [
    "expected_calibration_error",
    "reliability_table",
    "top_k_mask",
    "recall_at_top",
    "precision_at_top",
    "score_metrics",
    "TOP_K_PERCENTS",
    "ECE_TARGET",
]

TOP_K_PERCENTS = (5, 10, 20)
# Calibration target of the held-out year, checked by bench/bench_risk.py.
ECE_TARGET = 0.02


def _quantile_bins(y_prob: np.ndarray, n_bins: int) -> np.ndarray:
    """Assign each row to one of `n_bins` equal-frequency bins by rank, so that
    ties at a single probability value still split evenly."""
    order = np.argsort(y_prob, kind="stable")
    bins = np.empty(len(y_prob), dtype=int)
    bins[order] = np.arange(len(y_prob)) * n_bins // max(len(y_prob), 1)
    return bins


def reliability_table(y_true, y_prob, *, n_bins: int = 10) -> pd.DataFrame:
    """Compare mean predicted probability and observed rate in equal-frequency
    bins.

    Returns
    -------
    DataFrame
        Columns ``bin``, ``n``, ``mean_predicted``, ``observed_rate``.
    """
    y_true = np.asarray(y_true, dtype="float64")
    y_prob = np.asarray(y_prob, dtype="float64")
    bins = _quantile_bins(y_prob, n_bins)
    table = pd.DataFrame({"bin": bins, "y": y_true, "p": y_prob}).groupby("bin").agg(
        n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
    return table.reset_index()


def expected_calibration_error(y_true, y_prob, *, n_bins: int = 10) -> float:
    """Compute the expected calibration error over equal-frequency bins.

    ECE is the row-weighted mean of ``|observed rate - mean probability|``
    over `n_bins` bins of equal size, ordered by probability.

    Parameters
    ----------
    y_true : array-like of 0 and 1
    y_prob : array-like of float
        Predicted probability of the positive class.
    n_bins : int, default=10

    Returns
    -------
    float

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0], n_bins=2)
    0.0
    """
    table = reliability_table(y_true, y_prob, n_bins=n_bins)
    gaps = (table["observed_rate"] - table["mean_predicted"]).abs()
    return float((gaps * table["n"]).sum() / table["n"].sum())


def top_k_mask(y_score, percent: float) -> np.ndarray:
    """Mark the top `percent` % of rows by score (ties broken by row order,
    at least one row)."""
    y_score = np.asarray(y_score, dtype="float64")
    k = max(1, int(round(len(y_score) * percent / 100.0)))
    order = np.argsort(-y_score, kind="stable")
    mask = np.zeros(len(y_score), dtype=bool)
    mask[order[:k]] = True
    return mask


def recall_at_top(y_true, y_score, percent: float) -> float:
    """Share of the positives found among the top `percent` % of scores."""
    y_true = np.asarray(y_true).astype(bool)
    if not y_true.any():
        return float("nan")
    return float((y_true & top_k_mask(y_score, percent)).sum() / y_true.sum())


def precision_at_top(y_true, y_score, percent: float) -> float:
    """Share of positives among the top `percent` % of scores."""
    mask = top_k_mask(y_score, percent)
    return float(np.asarray(y_true).astype(bool)[mask].mean())


def score_metrics(y_true, y_prob, *, prefix: str = "", probabilities: bool = True) -> dict[str, float]:
    """Return ROC-AUC, average precision, Brier score, ECE and recall and
    precision at the top 5, 10 and 20 % of one score.

    Keys carry `prefix` (e.g. ``"baseline_"``). AUC is NaN when `y_true` has a
    single class. With ``probabilities=False`` the score is a ranking only and
    Brier and ECE are NaN.
    """
    y_true = np.asarray(y_true).astype(int)
    y_prob = np.asarray(y_prob, dtype="float64")
    two_classes = len(np.unique(y_true)) == 2
    metrics = {
        "roc_auc": float(roc_auc_score(y_true, y_prob)) if two_classes else float("nan"),
        "average_precision": float(average_precision_score(y_true, y_prob)) if two_classes else float("nan"),
        "brier": float(brier_score_loss(y_true, y_prob, labels=[0, 1])) if probabilities else float("nan"),
        "ece": expected_calibration_error(y_true, y_prob) if probabilities else float("nan"),
    }
    for percent in TOP_K_PERCENTS:
        metrics[f"recall_at_{percent}pct"] = recall_at_top(y_true, y_prob, percent)
        metrics[f"precision_at_{percent}pct"] = precision_at_top(y_true, y_prob, percent)
    return {f"{prefix}{key}": value for key, value in metrics.items()}
