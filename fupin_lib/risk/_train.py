"""Training with a time-based split, and evaluation of a saved model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from .._errors import FupinError, ParameterError
from .._paths import CLEAN_DIR, MODEL_DIR
from ._card import write_model_cards
from ._dataset import build_dataset, data_hash
from ._estimator import RiskModel
from ._evaluate import EvaluationReport, evaluate
from ._features import FEATURE_COLUMNS
from ._persist import load_model, save_model
from ._settings import LabelDefinition, load_risk_settings

__all__ = ["train_model", "evaluate_model", "TrainingResult", "split_by_year"]

logger = logging.getLogger(__name__)

EVALUATION_DIR = "evaluation"


@dataclasses.dataclass
class TrainingResult:
    """Result of `train_model`: the fitted models, the metadata saved with
    them, the evaluation on the test year and the model folder."""

    model: RiskModel
    logistic: RiskModel
    metadata: dict
    report: EvaluationReport
    out: Path


def split_by_year(dataset: pd.DataFrame, *, test_year: int | None = None) -> dict:
    """Split rows by year t into training, calibration and test rows.

    The test rows are those of `test_year` (default: the latest year t).
    Training uses the earlier years, preferring rows whose year t-1 exists
    (so that the change features are filled). With two or more such years,
    the latest of them calibrates the probabilities; with one, a quarter of
    its villages is held out for calibration.

    Returns
    -------
    dict
        ``train``, ``calibration`` (DataFrame or None), ``test``,
        ``train_years``, ``calibration_description``, ``test_year``.

    Raises
    ------
    ParameterError
        If `test_year` has no rows.
    FupinError
        If no year before the test year is available for training.
    """
    years = sorted(int(y) for y in dataset["year"].unique())
    test_year = int(test_year) if test_year is not None else years[-1]
    if test_year not in years:
        raise ParameterError(
            f"测试年份 {test_year} 没有可用数据（可用的特征年份：{years}；每个年份还需要下一年的数据作标签）。")
    earlier = dataset[dataset["year"] < test_year]
    if earlier.empty:
        raise FupinError(
            f"测试年份 {test_year} 之前没有可用于训练的年份。训练至少需要连续三个年度的数据"
            "（一年训练、一年测试，再加一年作为测试年的结果）。")
    with_history = earlier[earlier["has_history"]]
    pool = with_history if not with_history.empty else earlier
    pool_years = sorted(int(y) for y in pool["year"].unique())
    if len(pool_years) >= 2:
        calibration_year = pool_years[-1]
        return {
            "train": pool[pool["year"] < calibration_year], "calibration": pool[pool["year"] == calibration_year],
            "train_years": pool_years[:-1], "calibration_description": f"{calibration_year} 年",
            "test": dataset[dataset["year"] == test_year], "test_year": test_year,
        }
    return {
        "train": pool, "calibration": None, "train_years": pool_years,
        "calibration_description": f"{pool_years[0]} 年中按村留出 25% 的户",
        "test": dataset[dataset["year"] == test_year], "test_year": test_year,
    }


def train_model(
    data_root=CLEAN_DIR, *, out=MODEL_DIR, label: LabelDefinition | None = None,
    test_year: int | None = None, counties=None, random_state: int = 0, defaults=None,
) -> TrainingResult:
    """Train the risk model on a clean-data root and save it with its
    metadata, model cards and evaluation report.

    Parameters
    ----------
    data_root : path-like, default="data/clean"
    out : path-like, default="models/risk"
        Model folder: ``model.skops``, ``metadata.json``,
        ``model_card.zh.md``, ``model_card.en.md`` and ``evaluation/``.
    label : {"below_line", "monitored", "either"}, optional
        Default: ``risk.label`` of ``parameters/defaults.yaml``.
    test_year : int, optional
        Year t of the test rows (default: the latest year with a next year).
    counties : iterable of str, optional
    random_state : int, default=0

    Returns
    -------
    TrainingResult
    """
    settings = load_risk_settings(defaults)
    label = label or settings.label
    out = Path(out)
    dataset = build_dataset(data_root, counties=counties, label=label, defaults=defaults)
    split = split_by_year(dataset, test_year=test_year)
    train, calibration = split["train"], split["calibration"]
    logger.info("training on %s rows of %s, testing on %s", len(train), split["train_years"], split["test_year"])

    fit_kwargs = {}
    if calibration is not None:
        fit_kwargs = {"X_calibration": calibration[FEATURE_COLUMNS],
                      "y_calibration": calibration["label"].to_numpy(dtype=int)}
    else:
        fit_kwargs = {"groups": train["village_code"].fillna("").to_numpy()}
    models = {
        kind: RiskModel(kind=kind, random_state=random_state).fit(
            train[FEATURE_COLUMNS], train["label"].to_numpy(dtype=int), **fit_kwargs)
        for kind in ("hgb", "logistic")
    }
    model = models["hgb"]
    report = evaluate(model, split["test"], out=out / EVALUATION_DIR, logistic=models["logistic"],
                      random_state=random_state)

    pairs = dataset[["county_code", "year"]].drop_duplicates()
    metadata = {
        "label": label,
        "train_years": split["train_years"],
        "calibration": split["calibration_description"],
        "calibration_method": model.calibration_method_,
        "test_year": split["test_year"],
        "counties": sorted(dataset["county_code"].dropna().unique().tolist()),
        "n_train": int(len(train)) - (0 if calibration is not None else model.n_calibration_),
        "n_calibration": int(model.n_calibration_),
        "data_hash": data_hash(data_root, pairs),
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "random_state": random_state,
        "bands": settings.bands.model_dump(),
        "metrics": {k: v for k, v in report.metrics.items() if not k.startswith("logistic_")},
    }
    save_model(model, out, metadata=metadata)
    write_model_cards(out, metadata=metadata, report=report)
    return TrainingResult(model=model, logistic=models["logistic"], metadata=metadata, report=report, out=out)


def evaluate_model(model_dir=MODEL_DIR, data_root=CLEAN_DIR, *, out, year: int | None = None,
                   counties=None, defaults=None) -> EvaluationReport:
    """Evaluate a saved model on the rows of `year` (default: the latest year
    t whose next year is present) and write the report into `out`.

    The label definition is the one the model was trained with.
    """
    model = load_model(model_dir)
    label = model.metadata_.get("label", "either")
    dataset = build_dataset(data_root, counties=counties, label=label, defaults=defaults)
    years = sorted(int(y) for y in dataset["year"].unique())
    year = int(year) if year is not None else years[-1]
    rows = dataset[dataset["year"] == year]
    if rows.empty:
        raise ParameterError(f"评估年份 {year} 没有可用数据（可用的特征年份：{years}）。")
    return evaluate(model, rows, out=out)
