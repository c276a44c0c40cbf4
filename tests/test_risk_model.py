"""Risk estimator contract, calibration check, explanations, time-based
split and absence of leakage across years."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from fupin_lib import FupinError, SchemaMismatchError
from fupin_lib.risk import (
    ECE_TARGET,
    FEATURE_COLUMNS,
    RiskModel,
    UnknownCategoryWarning,
    build_dataset,
    build_features,
    expected_calibration_error,
    make_labels,
    score_metrics,
    split_by_year,
    top_reasons,
)
from test_risk_features import synthetic_panel, two_households, write_clean_root  # noqa: F401


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """Run gradient boosting on one OpenMP thread: on a machine shared with
    other jobs, OpenMP threads that wait for each other make a fit of a few
    thousand rows take tens of seconds."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def panel_features():
    """Features and labels of a synthetic panel: 2018 to train, 2019 to test."""
    panel = synthetic_panel(1500, seed=3)
    train = build_features(*panel[2018], *panel[2017], year=2018)
    test = build_features(*panel[2019], *panel[2018], year=2019)
    y_train = make_labels(panel[2018][0], panel[2019][0], year=2019).astype(int)
    y_test = make_labels(panel[2019][0], panel[2020][0], year=2020).astype(int)
    return train, y_train, test, y_test


@pytest.fixture(scope="module")
def fitted(panel_features):
    train, y_train, _, _ = panel_features
    with threadpool_limits(limits=1, user_api="openmp"):
        return RiskModel(random_state=0).fit(train[FEATURE_COLUMNS], y_train)


# --- estimator contract -----------------------------------------------------


def test_risk_model_init_is_keyword_only_and_stores():
    with pytest.raises(TypeError):
        RiskModel("hgb")
    model = RiskModel(kind="logistic", C=2.0, random_state=3)
    assert model.get_params()["C"] == 2.0
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(model, "estimator_")


def test_risk_model_rejects_invalid_kind(panel_features):
    train, y_train, _, _ = panel_features
    with pytest.raises(ValueError, match="kind"):
        RiskModel(kind="forest").fit(train[FEATURE_COLUMNS], y_train)


@pytest.mark.parametrize("kind", ["hgb", "logistic"])
def test_risk_model_fit_returns_self_with_learned_attributes(panel_features, kind):
    train, y_train, test, y_test = panel_features
    model = RiskModel(kind=kind, random_state=0)
    assert model.fit(train[FEATURE_COLUMNS], y_train) is model
    assert list(model.feature_names_in_) == FEATURE_COLUMNS
    assert model.n_features_in_ == len(FEATURE_COLUMNS)
    assert model.calibration_method_ == "sigmoid"  # fewer than 1,000 calibration rows
    probability = model.predict_proba(test[FEATURE_COLUMNS])
    assert probability.shape == (len(test), 2)
    assert np.allclose(probability.sum(axis=1), 1.0)
    assert set(np.unique(model.predict(test[FEATURE_COLUMNS]))) <= {0, 1}


def test_risk_model_same_seed_same_probabilities(panel_features, fitted):
    train, y_train, test, _ = panel_features
    again = RiskModel(random_state=0).fit(train[FEATURE_COLUMNS], y_train)
    np.testing.assert_allclose(again.predict_proba(test[FEATURE_COLUMNS]),
                               fitted.predict_proba(test[FEATURE_COLUMNS]))


def test_risk_model_column_mismatch_shows_diff(fitted, panel_features):
    _, _, test, _ = panel_features
    X = test[FEATURE_COLUMNS].drop(columns=["n_students"]).assign(extra_column=1.0)
    with pytest.raises(SchemaMismatchError) as error:
        fitted.predict_proba(X)
    message = str(error.value)
    assert "缺少 ['n_students']" in message
    assert "多出 ['extra_column']" in message
    assert "-n_students" in message


def test_risk_model_reordered_columns_accepted(fitted, panel_features):
    _, _, test, _ = panel_features
    X = test[FEATURE_COLUMNS]
    np.testing.assert_allclose(fitted.predict_proba(X[X.columns[::-1]]), fitted.predict_proba(X))


def test_risk_model_unknown_categories_counted(fitted, panel_features):
    _, _, test, _ = panel_features
    X = test[FEATURE_COLUMNS].copy()
    X.loc[X.index[:7], "county_code"] = "999999"
    with pytest.warns(UnknownCategoryWarning, match=re.escape("county_code：7 户（如 '999999'）")):
        fitted.predict_proba(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fitted.report_unknown_categories(test[FEATURE_COLUMNS]) == {}


def test_risk_model_single_class_rejected(panel_features):
    train, y_train, _, _ = panel_features
    with pytest.raises(FupinError, match="只有一类标签"):
        RiskModel().fit(train[FEATURE_COLUMNS], np.zeros(len(train), dtype=int))


def test_risk_model_beats_chance_on_synthetic_panel(fitted, panel_features):
    _, _, test, y_test = panel_features
    metrics = score_metrics(y_test, fitted.predict_proba(test[FEATURE_COLUMNS])[:, 1])
    assert metrics["roc_auc"] > 0.8


# --- calibration ----------------------------------------------------------------


def test_expected_calibration_error_hand_computed():
    # two bins: {0.1, 0.1} with 0 positives, {0.7, 0.9} with 2 positives
    ece = expected_calibration_error([0, 0, 1, 1], [0.1, 0.1, 0.7, 0.9], n_bins=2)
    assert ece == pytest.approx((2 * 0.1 + 2 * 0.2) / 4)


def test_expected_calibration_error_passes_calibrated_and_fails_miscalibrated():
    rng = np.random.default_rng(0)
    probability = rng.beta(1, 6, 200_000)
    y = rng.random(len(probability)) < probability
    assert expected_calibration_error(y, probability) < ECE_TARGET
    # A model that overstates every risk (square root) ranks households
    # exactly as well but must fail the calibration check.
    overstated = np.sqrt(probability)
    assert expected_calibration_error(y, overstated) > ECE_TARGET
    assert score_metrics(y, overstated)["roc_auc"] == pytest.approx(score_metrics(y, probability)["roc_auc"])


def test_calibrated_model_close_to_observed_rate(fitted, panel_features):
    _, _, test, y_test = panel_features
    probability = fitted.predict_proba(test[FEATURE_COLUMNS])[:, 1]
    assert abs(probability.mean() - y_test.mean()) < 0.05


# --- explanations ----------------------------------------------------------------


def test_top_reasons_orders_by_contribution(two_households):  # noqa: F811
    households, members, previous = two_households
    features = build_features(households, members, previous, None, year=2019)
    contributions = pd.DataFrame(0.0, index=features.index, columns=FEATURE_COLUMNS)
    contributions.loc[0, ["expense_to_income", "income_to_line", "n_students", "unsafe_house"]] = [0.9, 1.5, 0.1, 0.4]
    contributions.loc[1, ["income_to_line", "n_disabled"]] = [-0.3, 2.0]
    reasons = top_reasons(features, contributions)
    # 2,500 / 4,000 = 62.5 %, rounded half to even
    assert reasons[0] == "人均纯收入为监测线的 62%；家庭成员患大病，合规自付支出占纯收入 62%；住房为危房"
    # household B has no disabled member, so that factor is no reason; the
    # negative contribution is not a reason either
    assert reasons[1] == ""


def test_feature_contributions_one_column_per_feature(fitted, panel_features):
    _, _, test, _ = panel_features
    contributions = fitted.feature_contributions(test[FEATURE_COLUMNS].head(50))
    assert list(contributions.columns) == FEATURE_COLUMNS
    assert contributions.shape == (50, len(FEATURE_COLUMNS))
    assert np.isfinite(contributions.to_numpy()).all()


# --- time-based split and leakage ------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("risk_root")
    write_clean_root(synthetic_panel(300, seed=5), root)
    return root


def test_split_by_year_never_mixes_years(synthetic_root):
    dataset = build_dataset(synthetic_root, with_baseline=False)
    split = split_by_year(dataset)
    assert split["test_year"] == 2019
    assert set(split["test"]["year"]) == {2019}
    assert set(split["train"]["year"]) == {2018}  # 2017 has no previous year
    assert split["calibration"] is None


def test_features_of_year_t_never_read_next_year(synthetic_root, tmp_path):
    before = build_dataset(synthetic_root, with_baseline=False)

    # Change everything in 2019 except the key and what the label reads.
    changed = tmp_path / "changed"
    panel = synthetic_panel(300, seed=5)
    households, members = panel[2019]
    households = households.assign(household_size=9, compliant_expense=99_999.0, unsafe_house=True,
                                   wage_income=1.0, village_code="441223999999")
    members = members.assign(health="患有大病", labor_skill="丧失劳动力")
    panel[2019] = (households, members)
    write_clean_root(panel, changed)
    after = build_dataset(changed, with_baseline=False)

    columns = [c for c in before.columns if c not in ("label",)]
    for year in (2017, 2018):
        pd.testing.assert_frame_equal(before.loc[before["year"] == year, columns].reset_index(drop=True),
                                      after.loc[after["year"] == year, columns].reset_index(drop=True))
    assert not before.loc[before["year"] == 2019, columns].equals(after.loc[after["year"] == 2019, columns])


def test_feature_contributions_match_explainer(fitted, panel_features):
    _, _, test, _ = panel_features
    X = test[FEATURE_COLUMNS].head(200).copy()
    X.loc[X.index[:3], "income_change"] = np.nan
    X.loc[X.index[3:5], "county_code"] = "999999"
    fast = fitted.feature_contributions(X).to_numpy()
    exact = fitted._exact_contributions(X)
    np.testing.assert_allclose(fast, exact, atol=1e-4)


def test_score_households_columns_and_unknown_county(fitted):
    from fupin_lib.risk import SCORE_COLUMNS, score_households

    panel = synthetic_panel(80, seed=9, counties=("441223", "441299"))
    (households, members), (previous, previous_members) = panel[2019], panel[2018]
    with pytest.warns(UnknownCategoryWarning, match="county_code：") as caught:
        scores = score_households(fitted, households, members, previous, previous_members, year=2019)
    assert len([w for w in caught if issubclass(w.category, UnknownCategoryWarning)]) == 1
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["household_no"].tolist() == households["household_no"].tolist()
    assert sorted(scores["rank"]) == list(range(1, 81))
    at_risk = scores["risk_band"].isin(["高", "中"])
    assert scores.loc[at_risk, "suggested_category"].notna().all()
    assert scores.loc[~at_risk, "suggested_category"].isna().all()


def test_category_codes_equal_row_by_row_lookup():
    """`_category_codes` looks up distinct values only; the codes equal a
    lookup of every row as text, with -1 for missing and unseen values."""
    from fupin_lib.risk._estimator import _category_codes

    categories = ["441223", "441224", "一般农户"]
    for values in (pd.Series(["441224", None, "一般农户", "999", np.nan, "441224", ""], dtype=object),
                   pd.Series(["441223", pd.NA, "441224"], dtype="string"),
                   pd.Series([441224, pd.NA, 441223, 7], dtype="Int64")):
        codes, present = _category_codes(values, categories)
        expected = pd.Index(categories, dtype="string").get_indexer(values.astype("string"))
        np.testing.assert_array_equal(codes, expected)
        np.testing.assert_array_equal(present, values.notna().to_numpy())


def test_blocked_prediction_equals_one_call(fitted, panel_features, monkeypatch):
    """Predicting in small blocks gives exactly the probabilities of one call
    over all rows."""
    from fupin_lib.risk import _estimator

    _, _, test, _ = panel_features
    X = test[FEATURE_COLUMNS]
    expected = fitted.calibrated_.predict_proba(fitted._prepare(X))
    monkeypatch.setattr(_estimator, "_PREDICT_BLOCK_ROWS", 97)
    probability, contributions = fitted.predict_proba_and_contributions(X)
    np.testing.assert_array_equal(probability, expected)
    np.testing.assert_array_equal(fitted.predict_proba(X), expected)
    assert contributions.shape == (len(X), len(FEATURE_COLUMNS))
