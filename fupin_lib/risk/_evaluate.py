"""Evaluation of a risk model on a held-out year, against the rules-only
baseline, overall and by subgroup, written as metrics.json, a Chinese
Markdown report and PNG charts."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.metrics import roc_auc_score

from ._estimator import RiskModel
from ._explain import permutation_importance_table
from ._metrics import ECE_TARGET, TOP_K_PERCENTS, reliability_table, score_metrics, top_k_mask

__all__ = ["evaluate", "EvaluationReport", "SUBGROUPS"]

logger = logging.getLogger(__name__)

# Subgroup column -> Chinese name of the grouping.
SUBGROUPS = {
    "county_code": "县区",
    "head_sex": "户主性别",
    "head_ethnicity": "户主民族",
    "disabled_member": "有无残疾成员",
}
# Groups smaller than this get a warning in the report: their rates swing.
_SMALL_GROUP = 30


@dataclasses.dataclass
class EvaluationReport:
    """Result of `evaluate`.

    Attributes
    ----------
    metrics : dict
        Overall metrics of the model (no prefix), of the logistic baseline
        (``logistic_``) and of the rules-only baseline (``baseline_``).
    subgroups : DataFrame
        One row per grouping and group with model and baseline metrics.
    gaps_zh : list of str
        The largest subgroup gaps, stated in Chinese.
    importance : DataFrame or None
        Permutation importance of the features.
    paths : dict of str to Path
        Files written.
    """

    metrics: dict
    subgroups: pd.DataFrame
    gaps_zh: list
    importance: pd.DataFrame | None
    paths: dict


def _subgroup_columns(dataset: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "county_code": dataset["county_code"].astype(object).fillna("（缺失）"),
        "head_sex": dataset["head_sex"].astype(object).fillna("（缺失）"),
        "head_ethnicity": np.where(dataset["head_ethnic_minority"] == 1, "少数民族",
                                   np.where(dataset["head_ethnic_minority"] == 0, "汉族", "（缺失）")),
        "disabled_member": np.where(dataset["n_disabled"] > 0, "有残疾成员", "无残疾成员"),
    }, index=dataset.index)


def _safe_auc(y_true, y_score) -> float:
    return float(roc_auc_score(y_true, y_score)) if len(np.unique(y_true)) == 2 else float("nan")


def _subgroup_table(y, model_score, baseline_score, groups: pd.DataFrame) -> pd.DataFrame:
    """Metrics per group with fairlearn's MetricFrame. Top-10 % selection is
    global (the households a county would visit), and recall is measured
    inside each group."""
    selected = top_k_mask(model_score, 10)
    baseline_selected = top_k_mask(baseline_score, 10) if baseline_score is not None else None
    frames = []
    for column, grouping_zh in SUBGROUPS.items():
        metrics = {
            "n": lambda t, p: len(t),
            "positive_rate": lambda t, p: float(np.mean(t)),
            "mean_probability": lambda t, p: float(np.mean(p)),
            "roc_auc": _safe_auc,
        }
        frame = MetricFrame(metrics=metrics, y_true=y, y_pred=model_score,
                            sensitive_features=groups[column]).by_group
        recall = MetricFrame(
            metrics={"recall_at_10pct": _recall_of_selected},
            y_true=y, y_pred=selected, sensitive_features=groups[column]).by_group
        frame = frame.join(recall)
        if baseline_selected is not None:
            baseline = MetricFrame(
                metrics={"baseline_recall_at_10pct": _recall_of_selected},
                y_true=y, y_pred=baseline_selected, sensitive_features=groups[column]).by_group
            frame = frame.join(baseline)
        frame = frame.reset_index().rename(columns={column: "group"})
        frame.insert(0, "grouping", grouping_zh)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _recall_of_selected(y_true, selected) -> float:
    y_true = np.asarray(y_true).astype(bool)
    return float((y_true & np.asarray(selected, dtype=bool)).sum() / y_true.sum()) if y_true.any() else float("nan")


def _gap_sentences(subgroups: pd.DataFrame) -> list[str]:
    """State, per grouping, the largest gap of recall in the top 10 % and of
    calibration, in Chinese."""
    sentences = []
    for grouping, table in subgroups.groupby("grouping", sort=False):
        table = table[table["group"] != "（缺失）"].dropna(subset=["recall_at_10pct"])
        if len(table) < 2:
            continue
        best = table.loc[table["recall_at_10pct"].idxmax()]
        worst = table.loc[table["recall_at_10pct"].idxmin()]
        gap = (best["recall_at_10pct"] - worst["recall_at_10pct"]) * 100
        sentence = (
            f"按{grouping}：前 10% 召回率最高的是 {best['group']}（{best['recall_at_10pct']:.0%}），"
            f"最低的是 {worst['group']}（{worst['recall_at_10pct']:.0%}），相差 {gap:.1f} 个百分点")
        calibration = (table["mean_probability"] - table["positive_rate"])
        worst_calibrated = table.loc[calibration.abs().idxmax()]
        sentence += (
            f"；平均预测概率与实际比例相差最大的是 {worst_calibrated['group']}"
            f"（预测 {worst_calibrated['mean_probability']:.1%}，实际 {worst_calibrated['positive_rate']:.1%}）")
        small = table.loc[table["n"] < _SMALL_GROUP, "group"].tolist()
        if small:
            sentence += f"。{'、'.join(map(str, small))} 户数少于 {_SMALL_GROUP}，比例波动大，仅供参考"
        sentences.append(sentence + "。")
    return sentences


def _plot_reliability(curves: dict[str, pd.DataFrame], path: Path) -> None:
    from matplotlib.figure import Figure

    from ..reports import use_cjk_font

    use_cjk_font()
    figure = Figure(figsize=(5.5, 5))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="完全校准")
    for name, table in curves.items():
        axes.plot(table["mean_predicted"], table["observed_rate"], marker="o", label=name)
    axes.set_xlabel("平均预测概率（10 个等频分箱）")
    axes.set_ylabel("实际返贫或纳入监测比例")
    axes.set_title("可靠性曲线（测试年度）")
    axes.legend()
    figure.savefig(path, dpi=120, bbox_inches="tight")


def _plot_top_k(metrics: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from ..reports import use_cjk_font

    use_cjk_font()
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    positions = np.arange(len(TOP_K_PERCENTS))
    series = {"风险模型": "", "逻辑回归": "logistic_", "仅规则基线": "baseline_"}
    width = 0.8 / len(series)
    for offset, (name, prefix) in enumerate(series.items()):
        values = [metrics.get(f"{prefix}recall_at_{k}pct", np.nan) for k in TOP_K_PERCENTS]
        axes.bar(positions + offset * width, values, width, label=name)
    axes.set_xticks(positions + width, [f"前 {k}%" for k in TOP_K_PERCENTS])
    axes.set_ylabel("召回率（找到的实际返贫户占比）")
    axes.set_title("按风险排序走访前 k% 户的召回率")
    axes.set_ylim(0, 1)
    axes.legend()
    figure.savefig(path, dpi=120, bbox_inches="tight")


def evaluate(
    model: RiskModel, dataset: pd.DataFrame, *, out, logistic: RiskModel | None = None,
    importance: bool = True, random_state=0,
) -> EvaluationReport:
    """Evaluate `model` on `dataset` (rows of `build_dataset` for the
    held-out year) and write the report.

    Parameters
    ----------
    model : RiskModel
    dataset : DataFrame
        Features, ``label`` and, when present, ``baseline_score`` and
        ``baseline_flagged``.
    out : path-like
        Report folder: ``metrics.json``, ``report.md``, ``subgroups.csv``,
        ``importance.csv``, ``reliability.png``, ``top_k.png``.
    logistic : RiskModel, optional
        A logistic model to report next to `model`.
    importance : bool, default=True
        Compute the permutation importance table.

    Returns
    -------
    EvaluationReport
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X = dataset[list(model.feature_names_in_)]
    y = dataset["label"].to_numpy(dtype=int)
    probability = model.predict_proba(X)[:, 1]

    metrics = {"n_households": int(len(y)), "positive_rate": float(y.mean()),
               "year": _years(dataset), **score_metrics(y, probability)}
    curves = {"风险模型": reliability_table(y, probability)}
    if logistic is not None:
        logistic_probability = logistic.predict_proba(X)[:, 1]
        metrics.update(score_metrics(y, logistic_probability, prefix="logistic_"))
        curves["逻辑回归"] = reliability_table(y, logistic_probability)
    baseline_score = None
    if "baseline_score" in dataset:
        baseline_score = dataset["baseline_score"].to_numpy(dtype="float64")
        baseline = score_metrics(y, baseline_score, prefix="baseline_", probabilities=False)
        # The baseline's probability is its flag (1 or 0), not its ranking score.
        flagged = dataset["baseline_flagged"].to_numpy(dtype="float64")
        baseline["baseline_brier"] = float(np.mean((flagged - y) ** 2))
        baseline["baseline_flagged_share"] = float(flagged.mean())
        metrics.update(baseline)
    metrics["ece_target"] = ECE_TARGET

    subgroups = _subgroup_table(y, probability, baseline_score, _subgroup_columns(dataset))
    gaps = _gap_sentences(subgroups)
    table = permutation_importance_table(model, X, y, random_state=random_state) if importance else None

    paths = {
        "metrics": out / "metrics.json", "report": out / "report.md",
        "subgroups": out / "subgroups.csv", "reliability": out / "reliability.png",
        "top_k": out / "top_k.png",
    }
    paths["metrics"].write_text(json.dumps(_finite(metrics), ensure_ascii=False, indent=2), encoding="utf-8")
    subgroups.to_csv(paths["subgroups"], index=False, encoding="utf-8-sig")
    if table is not None:
        paths["importance"] = out / "importance.csv"
        table.to_csv(paths["importance"], index=False, encoding="utf-8-sig")
    _plot_reliability(curves, paths["reliability"])
    _plot_top_k(metrics, paths["top_k"])
    report = EvaluationReport(metrics=metrics, subgroups=subgroups, gaps_zh=gaps, importance=table, paths=paths)
    paths["report"].write_text(render_report(report), encoding="utf-8")
    logger.info("evaluation report written to %s", out)
    return report


def _years(dataset: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in dataset["year"].unique())


def _finite(metrics: dict) -> dict:
    """Replace NaN by None so that metrics.json is valid JSON."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in metrics.items()}


def _pct(value) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.1%}"


def _num(value) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"


def render_report(report: EvaluationReport) -> str:
    """Render the evaluation as a Chinese Markdown report."""
    m = report.metrics
    years = "、".join(str(y) for y in m["year"])
    lines = [
        "# 返贫风险模型评估报告",
        "",
        f"测试数据：{years} 年特征预测下一年结果，共 {m['n_households']} 户，"
        f"其中下一年低于监测线或纳入监测的占 {m['positive_rate']:.1%}。",
        "",
        "## 总体指标",
        "",
        "| 指标 | 风险模型 | 逻辑回归 | 仅规则基线 |",
        "|---|---|---|---|",
        f"| ROC-AUC | {_num(m['roc_auc'])} | {_num(m.get('logistic_roc_auc'))} | {_num(m.get('baseline_roc_auc'))} |",
        f"| 平均精确率（AP） | {_num(m['average_precision'])} | {_num(m.get('logistic_average_precision'))} | {_num(m.get('baseline_average_precision'))} |",
        f"| Brier 分数（越低越好） | {_num(m['brier'])} | {_num(m.get('logistic_brier'))} | {_num(m.get('baseline_brier'))} |",
        f"| 期望校准误差 ECE（目标 < {ECE_TARGET}） | {_num(m['ece'])} | {_num(m.get('logistic_ece'))} | — |",
    ]
    for k in TOP_K_PERCENTS:
        lines.append(
            f"| 前 {k}% 召回率 | {_pct(m[f'recall_at_{k}pct'])} | {_pct(m.get(f'logistic_recall_at_{k}pct'))} "
            f"| {_pct(m.get(f'baseline_recall_at_{k}pct'))} |")
        lines.append(
            f"| 前 {k}% 精确率 | {_pct(m[f'precision_at_{k}pct'])} | {_pct(m.get(f'logistic_precision_at_{k}pct'))} "
            f"| {_pct(m.get(f'baseline_precision_at_{k}pct'))} |")
    lines += [""]
    if "baseline_recall_at_10pct" in m:
        gain = (m["recall_at_10pct"] - m["baseline_recall_at_10pct"]) * 100
        lines.append(
            f"按模型风险排序走访前 10% 的户，能找到 {_pct(m['recall_at_10pct'])} 的实际返贫或纳入监测户；"
            f"仅按监测规则排序为 {_pct(m['baseline_recall_at_10pct'])}，"
            f"{'高出' if gain >= 0 else '低了'} {abs(gain):.1f} 个百分点。"
            f"规则基线标记了 {_pct(m.get('baseline_flagged_share'))} 的户；其 Brier 分数按 0/1 判定计算。")
        lines.append("")
    lines += [
        "![可靠性曲线](reliability.png)", "", "![前 k% 召回率](top_k.png)", "",
        "## 分组结果", "",
        "前 10% 按全体户的风险排序选出，召回率在各组内计算。", "",
    ]
    lines += [f"- {sentence}" for sentence in report.gaps_zh] or ["- 分组数据不足，未计算差距。"]
    lines += ["", "| 分组 | 组别 | 户数 | 实际比例 | 平均预测概率 | AUC | 前10%召回率 | 基线前10%召回率 |",
              "|---|---|---|---|---|---|---|---|"]
    for row in report.subgroups.itertuples(index=False):
        lines.append(
            f"| {row.grouping} | {row.group} | {int(row.n)} | {_pct(row.positive_rate)} | {_pct(row.mean_probability)} "
            f"| {_num(row.roc_auc)} | {_pct(row.recall_at_10pct)} | {_pct(getattr(row, 'baseline_recall_at_10pct', None))} |")
    if report.importance is not None:
        lines += ["", "## 特征重要性（置换重要性，AP 下降值）", "", "| 特征 | 重要性 | 标准差 |", "|---|---|---|"]
        for row in report.importance.head(15).itertuples(index=False):
            lines.append(f"| {row.feature_zh} | {row.importance_mean:.4f} | {row.importance_std:.4f} |")
    lines += ["", "模型只用于确定走访的先后顺序，不能单独决定是否纳入监测或享受政策。", ""]
    return "\n".join(lines)
