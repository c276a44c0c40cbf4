"""The calibrated risk classifier.

`RiskModel` wraps a scikit-learn pipeline (histogram gradient boosting, or a
logistic regression as the baseline), calibrates its probabilities on held-out
rows, and carries a logistic model whose per-feature contributions explain
each score.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from numbers import Integral, Real
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._errors import DataQualityWarning, FupinError, SchemaMismatchError
from ._features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

__all__ = ["RiskModel", "UnknownCategoryWarning"]

logger = logging.getLogger(__name__)

# Below this many calibration rows isotonic regression overfits its steps, so
# "auto" falls back to a sigmoid.
_MIN_ROWS_ISOTONIC = 1000
# Code of a missing or unseen category in the logistic model's one-hot encoding.
_MISSING_CODE = -1.0
# Histogram gradient boosting accepts at most 255 bins per feature, one of them
# for missing values; rarer categories beyond this count are treated as unseen.
_MAX_CATEGORIES = 250
# Rows predicted at a time. Each boosting tree walks every row of a block;
# a block of 10,000 prepared rows (6 MB) stays in the CPU cache for all the
# trees, whereas 200,000 rows are read again from memory for each tree. On
# the 2-core benchmark machine, 10,000-row blocks on one OpenMP thread took
# a third of the time of 200,000-row blocks on two threads.
_PREDICT_BLOCK_ROWS = 10_000


class UnknownCategoryWarning(DataQualityWarning):
    """Values of a categorical feature at predict time were not seen in
    training; the model treats them as missing."""


class RiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated classifier of the risk of being below the monitoring line or
    monitored next year.

    Parameters
    ----------
    kind : {"hgb", "logistic"}, default="hgb"
        - ``"hgb"``: `HistGradientBoostingClassifier` with native categorical
          support (the 250 most frequent values of each categorical feature).
        - ``"logistic"``: one-hot encoding, median imputation with missing
          indicators, scaling and `LogisticRegression`.
    calibration : {"auto", "isotonic", "sigmoid"}, default="auto"
        Calibration of the probabilities on held-out rows. ``"auto"`` uses
        isotonic regression from 1,000 calibration rows on, a sigmoid below.
    calibration_fraction : float, default=0.25
        Share of the rows (or of the groups) held out for calibration when
        `fit` receives no calibration set.
    max_iter : int, default=300
        Boosting iterations of ``"hgb"`` (early stopping on 10 % of the
        training rows).
    learning_rate : float, default=0.15
        Learning rate of ``"hgb"``. Prediction time grows with the number of
        trees; on the 42,000-household sample 0.15 needs half the trees of
        0.06 for the same test recall within half a point.
    C : float, default=0.5
        Inverse regularisation strength of the logistic models.
    random_state : int, RandomState instance or None, default=None
        Seed of the calibration split and of the boosting's early stopping.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    feature_names_in_ : ndarray of str
        Columns seen in `fit`; predict raises `SchemaMismatchError` with a
        diff when they differ.
    n_features_in_ : int
    categories_ : dict of str to list of str
        Values of each categorical feature seen in `fit`.
    estimator_ : Pipeline
        The fitted base pipeline (before calibration).
    calibrated_ : CalibratedClassifierCV
        The calibrator, fitted on held-out rows over the frozen `estimator_`.
    explainer_ : Pipeline
        Logistic pipeline whose coefficients give per-feature contributions
        (the base pipeline itself when ``kind="logistic"``).
    explainer_offsets_ : ndarray
        Mean of the explainer's transformed training matrix, the reference
        of the contributions.
    contribution_intercepts_, contribution_slopes_, contribution_missing_ : ndarray
        Per feature, the explainer's term at value 0, its change per unit and
        its value when missing (categorical positions unused).
    contribution_tables_ : dict of int to ndarray
        Per categorical feature position, the term of each known value, then
        of a missing or unseen value.
    n_calibration_ : int
        Number of calibration rows.
    empty_features_ : list of str
        Numeric features without any value in training (for example the
        changes when no earlier year was available); the model ignores them.

    Notes
    -----
    No class weighting is used: weighting would distort the probabilities
    that the calibration and the risk bands rely on.
    """

    _parameter_constraints = {
        "kind": [StrOptions({"hgb", "logistic"})],
        "calibration": [StrOptions({"auto", "isotonic", "sigmoid"})],
        "calibration_fraction": [Interval(Real, 0.0, 1.0, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0.0, None, closed="neither")],
        "C": [Interval(Real, 0.0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        kind: Literal["hgb", "logistic"] = "hgb",
        calibration: Literal["auto", "isotonic", "sigmoid"] = "auto",
        calibration_fraction: float = 0.25,
        max_iter: int = 300,
        learning_rate: float = 0.15,
        C: float = 0.5,
        random_state=None,
    ):
        self.kind = kind
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.C = C
        self.random_state = random_state

    # --- fitting ----------------------------------------------------------

    def fit(self, X, y, *, groups=None, X_calibration=None, y_calibration=None):
        """Fit the pipeline, then calibrate it on held-out rows.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Features from `build_features` (any subset of its columns).
        y : array-like of shape (n_samples,)
            1 for households below the line or monitored next year, else 0.
        groups : array-like of shape (n_samples,), optional
            Groups (villages) kept together when the calibration rows are held
            out of `X`. Ignored when a calibration set is given.
        X_calibration, y_calibration : optional
            Held-out calibration rows, for example a later year.

        Returns
        -------
        self : RiskModel
        """
        self._validate_params()
        X = self._check_frame(X, fitting=True)
        y = self._check_target(y)
        if X_calibration is None:
            X, y, X_calibration, y_calibration = self._hold_out(X, y, groups)
        else:
            X_calibration = self._check_frame(X_calibration)
            y_calibration = self._check_target(y_calibration)

        self.categories_ = {
            c: sorted(X[c].dropna().astype(str).value_counts().index[:_MAX_CATEGORIES].tolist())
            for c in self._categorical}
        self.empty_features_ = [c for c in self._numeric if X[c].isna().all()]
        self.estimator_ = self._make_pipeline(self.kind).fit(self._prepare(X), y)
        self.explainer_ = (self.estimator_ if self.kind == "logistic"
                           else self._make_pipeline("logistic").fit(self._prepare(X), y))
        self.explainer_offsets_ = np.asarray(
            self.explainer_[:-1].transform(self._prepare(X)).mean(axis=0)).ravel()
        self._fit_contribution_tables()
        self._fit_calibration(X_calibration, y_calibration)
        return self

    def _hold_out(self, X, y, groups):
        random_state = check_random_state(self.random_state)
        if groups is not None:
            splitter = GroupShuffleSplit(
                n_splits=1, test_size=self.calibration_fraction, random_state=random_state)
            fit_rows, calibration_rows = next(splitter.split(X, y, groups))
        else:
            splitter = StratifiedShuffleSplit(
                n_splits=1, test_size=self.calibration_fraction, random_state=random_state)
            fit_rows, calibration_rows = next(splitter.split(X, y))
        return (X.iloc[fit_rows], y[fit_rows], X.iloc[calibration_rows], y[calibration_rows])

    def _fit_calibration(self, X_calibration, y_calibration):
        if len(np.unique(y_calibration)) < 2:
            raise FupinError(
                f"校准数据（{len(y_calibration)} 户）中只有一类标签，无法校准概率。"
                "请使用更多年份或更多县区的数据训练。")
        method = self.calibration
        if method == "auto":
            method = "isotonic" if len(y_calibration) >= _MIN_ROWS_ISOTONIC else "sigmoid"
        self.calibration_method_ = method
        self.n_calibration_ = len(y_calibration)
        # The frozen estimator is not refitted per fold, so with ensemble=False
        # the out-of-fold predictions equal its plain predictions and one
        # calibrator is fitted on all calibration rows. The number of folds
        # only has to leave both classes in every fold.
        n_folds = int(min(5, max(2, np.bincount(y_calibration).min())))
        self.calibrated_ = CalibratedClassifierCV(
            FrozenEstimator(self.estimator_), method=method, ensemble=False, cv=n_folds)
        self.calibrated_.fit(self._prepare(X_calibration), y_calibration)

    def _make_pipeline(self, kind: str) -> Pipeline:
        categorical, numeric = self._categorical, self._numeric
        if kind == "hgb":
            # `_prepare` delivers the categorical columns first, as integer codes.
            model = HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=31,
                min_samples_leaf=40, l2_regularization=1.0, early_stopping=True,
                validation_fraction=0.1, n_iter_no_change=20,
                categorical_features=[True] * len(categorical) + [False] * len(numeric),
                random_state=check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
            return Pipeline([("model", model)])
        one_hot = Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=_MISSING_CODE, keep_empty_features=True)),
            ("encode", OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False)),
        ])
        scaled = Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("scale", StandardScaler()),
        ])
        columns = ColumnTransformer(
            [("categorical", one_hot, categorical), ("numeric", scaled, numeric)],
            verbose_feature_names_out=False)
        return Pipeline([("columns", columns), ("model", LogisticRegression(C=self.C, max_iter=2000))])

    # --- prediction -------------------------------------------------------

    def predict_proba(self, X):
        """Return calibrated probabilities, shape (n_samples, 2).

        Warns with `UnknownCategoryWarning` (counts per column) when
        categorical values were not seen in training.

        Raises
        ------
        SchemaMismatchError
            If the columns of `X` differ from `feature_names_in_`.
        """
        check_is_fitted(self, "calibrated_")
        X = self._check_frame(X)
        self.report_unknown_categories(X)
        return self._calibrated_proba(self._prepare(X))

    def predict(self, X):
        """Return 1 where the calibrated probability is at least 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def report_unknown_categories(self, X) -> dict[str, int]:
        """Count the values of each categorical column unseen in training and
        warn with the counts.

        Returns
        -------
        dict of str to int
            Rows with an unseen value, per column (only columns with some).
        """
        counts, examples = {}, {}
        for column in self._categorical:
            codes, present = _category_codes(X[column], self.categories_[column])
            unknown = (codes < 0) & present
            if unknown.any():
                counts[column] = int(unknown.sum())
                examples[column] = str(X[column].iloc[int(np.argmax(unknown))])
        if counts:
            detail = "，".join(f"{column}：{n} 户（如 {examples[column]!r}）" for column, n in counts.items())
            warnings.warn(
                f"以下分类特征出现训练时未见过的取值，按缺失处理：{detail}。"
                "若为新县区或新取值，请用包含这些数据的年份重新训练模型。",
                UnknownCategoryWarning, stacklevel=3)
        return counts

    def feature_contributions(self, X) -> pd.DataFrame:
        """Return each feature's contribution to the log-odds of the
        explainer (logistic) model, relative to the training mean.

        The explainer is additive over features and each feature's term is
        affine in its value (one-hot terms for a categorical feature, and a
        fixed term when the value is missing), so the terms are read from
        tables learned in `fit` instead of transforming `X` again.

        Returns
        -------
        DataFrame of shape (n_samples, n_features), float32
        """
        check_is_fitted(self, "contribution_slopes_")
        X = self._check_frame(X)
        return self._contributions_of_prepared(self._prepare(X), X.index)

    def predict_proba_and_contributions(self, X) -> tuple[np.ndarray, pd.DataFrame]:
        """Return `predict_proba` and `feature_contributions` of `X`,
        preparing `X` once (the cost that dominates at a million rows)."""
        check_is_fitted(self, "calibrated_")
        X = self._check_frame(X)
        self.report_unknown_categories(X)
        prepared = self._prepare(X)
        return self._calibrated_proba(prepared), self._contributions_of_prepared(prepared, X.index)

    def _calibrated_proba(self, prepared: pd.DataFrame) -> np.ndarray:
        """Return the calibrated probabilities of prepared rows, predicted in
        cache-sized blocks on one OpenMP thread (same values as one call)."""
        if len(prepared) <= _PREDICT_BLOCK_ROWS:
            return self.calibrated_.predict_proba(prepared)
        with threadpool_limits(limits=1, user_api="openmp"):
            return np.concatenate([
                self.calibrated_.predict_proba(prepared.iloc[start:start + _PREDICT_BLOCK_ROWS])
                for start in range(0, len(prepared), _PREDICT_BLOCK_ROWS)])

    def _contributions_of_prepared(self, prepared: pd.DataFrame, index) -> pd.DataFrame:
        # One conversion to float32, then the columns in the order of
        # `feature_names_in_` (`_prepare` puts the categorical ones first).
        order = prepared.columns.get_indexer(list(self.feature_names_in_))
        prepared = prepared.to_numpy(dtype="float32")[:, order]
        contributions = np.empty_like(prepared)
        numeric = self._numeric_positions
        values = prepared[:, numeric]
        missing = np.isnan(values)
        # slope * value + intercept, and the missing term where NaN, in place.
        values *= self.contribution_slopes_[numeric]
        values += self.contribution_intercepts_[numeric]
        np.copyto(values, np.broadcast_to(self.contribution_missing_[numeric], values.shape), where=missing)
        contributions[:, numeric] = values
        for position, table in self.contribution_tables_.items():
            codes = prepared[:, position]
            # Code -1 (missing or unseen) is the table's last entry.
            index = np.where(np.isnan(codes), -1, codes).astype(int)
            contributions[:, position] = table[index]
        return pd.DataFrame(contributions, columns=list(self.feature_names_in_), index=index)

    def _exact_contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Compute the contributions by transforming `X` with the explainer;
        `feature_contributions` reproduces this from tables."""
        transformed = np.asarray(self.explainer_[:-1].transform(self._prepare(X)), dtype="float64")
        transformed -= self.explainer_offsets_
        transformed *= self.explainer_[-1].coef_.ravel()
        owners = self._explainer_owners()
        contributions = np.zeros((len(X), len(self.feature_names_in_)))
        for position, feature in enumerate(self.feature_names_in_):
            columns = np.flatnonzero(owners == feature)
            if len(columns):
                contributions[:, position] = transformed[:, columns].sum(axis=1)
        return contributions

    def _fit_contribution_tables(self) -> None:
        """Probe the explainer at 0, 1 and missing for every numeric feature,
        and at every known value (and missing) of each categorical one."""
        names = list(self.feature_names_in_)
        probe = pd.DataFrame({c: [np.nan] * 3 if c in self._categorical else [0.0, 1.0, np.nan]
                              for c in names})
        terms = self._exact_contributions(probe)
        self.contribution_intercepts_ = terms[0].astype("float32")
        self.contribution_slopes_ = (terms[1] - terms[0]).astype("float32")
        self.contribution_missing_ = terms[2].astype("float32")
        self.contribution_tables_ = {}
        for column in self._categorical:
            values = [*self.categories_[column], np.nan]
            probe = pd.DataFrame({c: values if c == column else [np.nan if c in self._categorical else 0.0] * len(values)
                                  for c in names})
            position = names.index(column)
            self.contribution_tables_[position] = self._exact_contributions(probe)[:, position].astype("float32")

    @property
    def _numeric_positions(self) -> np.ndarray:
        return np.array([i for i, c in enumerate(self.feature_names_in_) if c not in CATEGORICAL_FEATURES], dtype=int)

    def _explainer_owners(self) -> np.ndarray:
        """Map every transformed column of the explainer to its feature."""
        names = self.explainer_[:-1].get_feature_names_out()
        features = sorted(self.feature_names_in_, key=len, reverse=True)
        owners = []
        for name in names:
            base = name.removeprefix("missingindicator_")
            owners.append(next(f for f in features if base == f or base.startswith(f"{f}_")))
        return np.asarray(owners, dtype=object)

    # --- validation -------------------------------------------------------

    @property
    def _categorical(self) -> list[str]:
        return [c for c in self.feature_names_in_ if c in CATEGORICAL_FEATURES]

    @property
    def _numeric(self) -> list[str]:
        return [c for c in self.feature_names_in_ if c not in CATEGORICAL_FEATURES]

    def _check_frame(self, X, *, fitting: bool = False) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"RiskModel expects a pandas DataFrame of features, got {type(X).__name__}")
        if fitting:
            unknown = [c for c in X.columns if c not in CATEGORICAL_FEATURES + NUMERIC_FEATURES]
            if unknown:
                raise SchemaMismatchError(
                    f"训练数据中有特征构建器不认识的列：{unknown}。请只传入 build_features 输出的特征列。")
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = len(X.columns)
            self.classes_ = np.array([0, 1])
            return X
        expected = list(self.feature_names_in_)
        if list(X.columns) != expected:
            if set(X.columns) == set(expected):
                return X[expected]
            raise SchemaMismatchError(_columns_diff_message(expected, list(X.columns)))
        return X

    @staticmethod
    def _check_target(y) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1 or not np.isin(y, (0, 1)).all():
            raise ValueError("y must be a 1-d array of 0 and 1")
        if len(np.unique(y)) < 2:
            raise FupinError(
                f"训练数据（{len(y)} 户）中只有一类标签，无法训练风险模型。"
                "请检查标签定义（parameters/defaults.yaml 的 risk.label）或使用更多数据。")
        return y.astype(int)

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return `X` as float64 with the categorical columns first, as the
        integer code of their value in `categories_` (NaN for missing or
        unseen values), then the numeric columns.

        Coding here with pandas is much faster than an encoder inside the
        pipeline, which looks values up one by one."""
        prepared = {}
        numeric = [c for c in X.columns if c not in CATEGORICAL_FEATURES]
        block = X[numeric].to_numpy(dtype="float64", na_value=np.nan)
        for column in self._categorical + self._numeric:
            if column in CATEGORICAL_FEATURES:
                codes, _ = _category_codes(X[column], self.categories_[column])
                prepared[column] = np.where(codes < 0, np.nan, codes.astype("float64"))
            elif column in self.empty_features_:
                # Histogram binning fails on a column without any value; a
                # constant column is ignored by the model instead.
                prepared[column] = np.zeros(len(X))
            else:
                prepared[column] = block[:, numeric.index(column)]
        return pd.DataFrame(prepared, index=X.index, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _category_codes(values: pd.Series, categories: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return the position of each value (as text) in `categories`, -1 for a
    missing or unseen value, and a mask of the non-missing values.

    Looks up the few distinct values instead of every row; the result equals
    ``pd.Index(categories, dtype="string").get_indexer(values.astype("string"))``.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = pd.Index(categories, dtype="string").get_indexer(pd.Index(uniques).astype("string"))
    present = codes >= 0
    return np.where(present, np.append(lookup, -1)[codes], -1), present


def _columns_diff_message(expected: list[str], got: list[str]) -> str:
    """Return a Chinese message that lists missing and unexpected feature
    columns, with a diff of the two lists."""
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    diff = "\n".join(difflib.unified_diff(expected, got, "模型的特征列", "传入的特征列", lineterm="", n=0))
    return (
        f"特征列与模型训练时不一致：缺少 {missing or '无'}，多出 {extra or '无'}。"
        f"请用同一版本的 fupin_lib.risk.build_features 生成特征，或重新训练模型。\n{diff}"
    )
