"""Saving and loading the risk model: skops round trip, library version and
feature mismatches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fupin_lib import FupinError, SchemaMismatchError
from fupin_lib.risk import FEATURE_COLUMNS, RiskModel, build_features, load_model, make_labels, save_model
from fupin_lib.risk._persist import METADATA_FILE, MODEL_FILE
from test_risk_features import synthetic_panel


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small model saved to a folder, with the rows it was tested on."""
    panel = synthetic_panel(600, seed=11)
    train = build_features(*panel[2018], *panel[2017], year=2018)
    test = build_features(*panel[2019], *panel[2018], year=2019)
    y = make_labels(panel[2018][0], panel[2019][0], year=2019).astype(int)
    with threadpool_limits(limits=1, user_api="openmp"):
        model = RiskModel(random_state=0).fit(train[FEATURE_COLUMNS], y)
    folder = tmp_path_factory.mktemp("model")
    save_model(model, folder, metadata={"label": "either", "train_years": [2018]})
    return folder, model, test[FEATURE_COLUMNS]


def _edit_metadata(folder, tmp_path, edit):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / MODEL_FILE).write_bytes((folder / MODEL_FILE).read_bytes())
    metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    edit(metadata)
    (copy / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    return copy


def test_save_model_writes_skops_and_metadata(saved):
    folder, model, _ = saved
    metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    assert (folder / MODEL_FILE).exists()
    assert not list(folder.glob("*.pkl"))
    assert metadata["features"] == FEATURE_COLUMNS
    assert metadata["format"] == "skops"
    assert {"scikit-learn", "skops", "numpy", "pandas", "python"} <= set(metadata["libraries"])
    assert metadata["train_years"] == [2018]


def test_load_model_round_trip_same_probabilities(saved):
    folder, model, X = saved
    loaded = load_model(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.metadata_["label"] == "either"


def test_load_model_other_sklearn_version_fails(saved, tmp_path):
    folder, _, _ = saved
    copy = _edit_metadata(folder, tmp_path, lambda m: m["libraries"].update({"scikit-learn": "0.24.2"}))
    with pytest.raises(SchemaMismatchError, match=r"scikit-learn：训练时 0\.24\.2，当前 \d"):
        load_model(copy)


def test_load_model_other_features_fails(saved, tmp_path):
    folder, _, _ = saved

    def edit(metadata):
        metadata["features"] = [c for c in metadata["features"] if c != "n_students"] + ["old_feature"]

    copy = _edit_metadata(folder, tmp_path, edit)
    with pytest.raises(SchemaMismatchError) as error:
        load_model(copy)
    assert "模型中没有 ['n_students']" in str(error.value)
    assert "当前已不再生成 ['old_feature']" in str(error.value)


def test_load_model_missing_folder_says_what_to_do(tmp_path):
    with pytest.raises(FupinError, match="fupin model train"):
        load_model(tmp_path / "nothing")
