"""Risk of return to poverty: household features, a calibrated classifier,
evaluation against the rules-only baseline, Chinese explanations, model card
and persistence."""

from ._dataset import baseline_scores, build_dataset, make_labels
from ._estimator import RiskModel, UnknownCategoryWarning
from ._evaluate import EvaluationReport, evaluate
from ._explain import permutation_importance_table, top_reasons
from ._features import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    FEATURE_LABELS_ZH,
    ID_COLUMNS,
    NUMERIC_FEATURES,
    OUTPUT_COLUMNS,
    build_features,
)
from ._metrics import ECE_TARGET, expected_calibration_error, reliability_table, score_metrics
from ._persist import load_model, save_model
from ._score import RISK_BANDS, SCORE_COLUMNS, score_data_root, score_households
from ._settings import RiskSettings, load_risk_settings
from ._train import TrainingResult, evaluate_model, split_by_year, train_model

__all__ = [
    "build_features",
    "ID_COLUMNS",
    "FEATURE_COLUMNS",
    "OUTPUT_COLUMNS",
    "CATEGORICAL_FEATURES",
    "NUMERIC_FEATURES",
    "FEATURE_LABELS_ZH",
    "build_dataset",
    "make_labels",
    "baseline_scores",
    "RiskModel",
    "UnknownCategoryWarning",
    "expected_calibration_error",
    "reliability_table",
    "score_metrics",
    "ECE_TARGET",
    "evaluate",
    "EvaluationReport",
    "top_reasons",
    "permutation_importance_table",
    "save_model",
    "load_model",
    "score_households",
    "score_data_root",
    "SCORE_COLUMNS",
    "RISK_BANDS",
    "train_model",
    "evaluate_model",
    "split_by_year",
    "TrainingResult",
    "RiskSettings",
    "load_risk_settings",
]
