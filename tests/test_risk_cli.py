"""``fupin model train``, ``fupin model evaluate``, ``fupin score`` and the
training notebook, end to end on the small imported sample. The sample is
tiny, so these tests check the mechanics, not the model's performance."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from fupin_lib.cli import main
from fupin_lib.risk import SCORE_COLUMNS

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "train_risk_model.ipynb"


def run_fupin(*args) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    assert exit_.value.code == 0


@pytest.fixture(scope="module")
def trained(clean_root, tmp_path_factory):
    """A model trained with ``fupin model train`` on the imported sample."""
    model_dir = tmp_path_factory.mktemp("risk_model")
    with threadpool_limits(limits=1, user_api="openmp"):
        run_fupin("model", "train", "--data", clean_root, "--out", model_dir)
    return model_dir


def test_model_train_writes_model_cards_and_report(trained):
    metadata = json.loads((trained / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["test_year"] == 2019
    assert metadata["train_years"] == [2018]
    assert (trained / "model.skops").exists()
    card_zh = (trained / "model_card.zh.md").read_text(encoding="utf-8")
    card_en = (trained / "model_card.en.md").read_text(encoding="utf-8")
    assert "**不能**单独决定" in card_zh
    assert "must **never** decide alone" in card_en
    assert (trained / "evaluation" / "report.md").exists()


def test_model_evaluate_writes_metrics(trained, clean_root, tmp_path):
    out = tmp_path / "report"
    with threadpool_limits(limits=1, user_api="openmp"):
        run_fupin("model", "evaluate", "--model", trained, "--data", clean_root, "--out", out)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in ("roc_auc", "average_precision", "brier", "recall_at_10pct", "baseline_recall_at_10pct"):
        assert key in metrics
    assert 0.0 <= metrics["brier"] <= 1.0
    assert metrics["year"] == [2019]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "仅规则基线" in report
    assert "按户主性别" in report
    assert (out / "reliability.png").stat().st_size > 1000
    subgroups = pd.read_csv(out / "subgroups.csv")
    assert set(subgroups["grouping"]) == {"县区", "户主性别", "户主民族", "有无残疾成员"}


def test_score_writes_scores_of_one_county(trained, clean_root, tmp_path):
    out = tmp_path / "scores"
    with threadpool_limits(limits=1, user_api="openmp"):
        run_fupin("score", "--model", trained, "--data", clean_root, "--county", "441224",
                  "--year", 2020, "--out", out)
    scores = pd.read_parquet(out / "scores.parquet")
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["county_code"]) == {"441224"}
    assert set(scores["year"]) == {2020}
    assert scores["household_no"].is_unique
    assert sorted(scores["rank"]) == list(range(1, len(scores) + 1))
    assert scores["probability"].between(0, 1).all()
    assert set(scores["risk_band"]) <= {"高", "中", "低"}
    top = scores.sort_values("rank").iloc[0]
    assert top["reasons"] != ""
    assert top["reasons"].count("；") <= 2


def test_score_unknown_county_fails_in_chinese(trained, clean_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["score", "--model", str(trained), "--data", str(clean_root), "--county", "999999",
              "--year", "2020", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert "没有县区 999999 2020 年的数据" in capsys.readouterr().err


@pytest.mark.slow
def test_train_notebook_runs_with_papermill(clean_root, tmp_path, monkeypatch):
    import papermill

    # The kernel inherits one OpenMP thread, for the reason given in test_risk_model.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")

    output = tmp_path / "train_risk_model.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
        parameters={"data_dir": str(clean_root), "model_dir": str(tmp_path / "model"),
                    "report_dir": str(tmp_path / "report")},
    )
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))
    assert "baseline_recall_at_10pct" in metrics
    assert (tmp_path / "model" / "model_card.zh.md").exists()
    executed = output.read_text(encoding="utf-8")
    assert "image/png" in executed
