"""The sample's panel dynamics are learnable: a model that sees trends finds
clearly more of next year's cases than the rules-only baseline.

Runs the simulation in memory (no files) on 6,000 households.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from fupin_lib.sample._generate import simulate


def _features(previous, current, following, members_previous, members_current, year):
    """Household features of `current` (with trends from `previous`) and the
    label from `following`: below the line or newly monitored."""
    features = pd.DataFrame(index=current.index)
    features["per_capita"] = current["net_income_per_capita"]
    features["per_capita_change"] = current["net_income_per_capita"] - previous["net_income_per_capita"]
    features["below"] = current["_below"].astype(int)
    features["monitored"] = ((current["monitoring_category"] != "") & (current["risk_eliminated"] == "否")).astype(int)
    features["expense_share"] = current["compliant_expense"] / np.maximum(current["net_income"], 1)
    features["size"] = current["household_size"]
    members = members_current
    features["laborers"] = members.groupby("_hh")["_laborer"].sum()
    oldest = members[members["_laborer"]].groupby("_hh")["_age"].max()
    features["oldest_laborer"] = oldest.reindex(current.index).fillna(0)
    features["serious"] = members["health"].str.contains("大病").groupby(members["_hh"]).sum()
    features["chronic"] = members["health"].str.contains("慢性").groupby(members["_hh"]).sum()
    months = (members["work_months"] + members["public_job_months"]).groupby(members["_hh"]).sum()
    months_before = (members_previous["work_months"] + members_previous["public_job_months"]).groupby(
        members_previous["_hh"]).sum()
    features["months"] = months
    features["months_change"] = months - months_before
    features["casual"] = (members["employment_channel"] == "灵活就业").groupby(members["_hh"]).sum()
    features["transfer_change"] = current["transfer_income"] - previous["transfer_income"]
    features["elderly_only"] = (members["_age"] >= 60).groupby(members["_hh"]).all().astype(int)
    newly_monitored = following["identified_ym"].str[:4] == str(year + 1)
    label = (following["_below"] | newly_monitored).astype(int)
    return features, label


def _recall_at(score, label, share=0.1):
    top = np.argsort(-np.asarray(score), kind="stable")[: int(len(label) * share)]
    return label.to_numpy()[top].sum() / label.sum()


@pytest.fixture(scope="module")
def panel():
    return simulate(households=6_000, seed=11)


def test_next_year_case_rate_moderate(panel):
    for year, households, _ in panel.frames[1:]:
        below = households["_below"].mean()
        assert 0.03 <= below <= 0.10, (year, below)


def test_trend_model_beats_rule_baseline(panel):
    households = {year: frame.set_index("_hh") for year, frame, _ in panel.frames}
    members = {year: frame for year, _, frame in panel.frames}
    train_x, train_y = _features(households[2017], households[2018], households[2019],
                                 members[2017], members[2018], 2018)
    test_x, test_y = _features(households[2018], households[2019], households[2020],
                               members[2018], members[2019], 2019)
    assert 0.03 <= test_y.mean() <= 0.12

    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=0)
    model.fit(train_x, train_y)
    model_score = model.predict_proba(test_x)[:, 1]
    # The rules: currently below the line, monitored, a high expense, low income.
    rule_score = (3 * test_x["below"] + 2 * test_x["monitored"] + (test_x["expense_share"] > 0.5)
                  - test_x["per_capita"] / 1e6)

    model_recall = _recall_at(model_score, test_y)
    rule_recall = _recall_at(rule_score, test_y)
    assert model_recall >= rule_recall + 0.08, (model_recall, rule_recall)
    assert roc_auc_score(test_y, model_score) > roc_auc_score(test_y, rule_score)
