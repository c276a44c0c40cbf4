"""Model cards, one file per language, written with every training."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._evaluate import EvaluationReport

__all__ = ["write_model_cards", "CARD_FILES"]

CARD_FILES = {"zh": "model_card.zh.md", "en": "model_card.en.md"}

_LABELS_ZH = {
    "below_line": "下一年人均纯收入低于监测线",
    "monitored": "下一年被识别为监测对象（且风险未消除）",
    "either": "下一年人均纯收入低于监测线，或被识别为监测对象（且风险未消除）",
}
_LABELS_EN = {
    "below_line": "per-capita net income below the monitoring line in the next year",
    "monitored": "identified as a monitoring object (risk not eliminated) in the next year",
    "either": ("per-capita net income below the monitoring line, or identified as a monitoring "
               "object (risk not eliminated), in the next year"),
}


_GROUPS_EN = {
    "县区": "county", "户主性别": "sex of head", "户主民族": "ethnicity of head",
    "有无残疾成员": "disabled member", "男": "male", "女": "female", "汉族": "Han",
    "少数民族": "ethnic minority", "有残疾成员": "with a disabled member",
    "无残疾成员": "without a disabled member", "（缺失）": "missing",
}


def _en(value) -> str:
    return _GROUPS_EN.get(str(value), str(value))


def _fmt(value, percent=False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def _metric_rows(m: dict, names: dict) -> list[str]:
    rows = []
    for key, (label, percent) in names.items():
        rows.append(f"| {label} | {_fmt(m.get(key), percent)} | {_fmt(m.get('baseline_' + key), percent)} |")
    return rows


def write_model_cards(out, *, metadata: dict, report: EvaluationReport) -> dict[str, Path]:
    """Write the Chinese and the English model card into `out`.

    Returns
    -------
    dict
        ``{"zh": path, "en": path}``.
    """
    out = Path(out)
    paths = {language: out / name for language, name in CARD_FILES.items()}
    paths["zh"].write_text(_card_zh(metadata, report), encoding="utf-8")
    paths["en"].write_text(_card_en(metadata, report), encoding="utf-8")
    return paths


def _card_zh(meta: dict, report: EvaluationReport) -> str:
    m = report.metrics
    names = {"roc_auc": ("ROC-AUC", False), "average_precision": ("平均精确率", False),
             "brier": ("Brier 分数", False), "recall_at_10pct": ("前 10% 召回率", True),
             "precision_at_10pct": ("前 10% 精确率", True)}
    lines = [
        "# 模型卡：返贫风险模型", "",
        "## 用途", "",
        "为乡镇和村的帮扶干部排定入户走访的先后顺序：风险高的户先走访、先核实。"
        "模型**不能**单独决定是否纳入监测、是否享受政策或是否消除风险；"
        "这些决定必须经过入户核实、民主评议、公示和县级审定。", "",
        "## 数据", "",
        f"- 训练年份（特征）：{meta['train_years']}；校准：{meta['calibration']}；测试年份（特征）：{meta['test_year']}",
        f"- 县区：{', '.join(meta['counties'])}",
        f"- 训练 {meta['n_train']} 户，校准 {meta['n_calibration']} 户，测试 {m['n_households']} 户",
        f"- 数据指纹（SHA-256）：`{meta['data_hash']}`",
        f"- 训练时间：{meta['trained_at']}", "",
        "## 标签", "",
        f"第 t 年的特征预测：{_LABELS_ZH[meta['label']]}。下一年没有记录的户不参与训练和评估。", "",
        "## 模型", "",
        f"直方图梯度提升（HistGradientBoostingClassifier），在留出数据上用 {meta['calibration_method']} 方法校准概率；"
        "不做类别加权，以免扭曲概率。每户的前三个风险因素由同时训练的逻辑回归模型的特征贡献给出。", "",
        "## 测试年份指标", "",
        "| 指标 | 模型 | 仅规则基线 |", "|---|---|---|",
        *_metric_rows(m, names),
        f"| 期望校准误差（10 个等频分箱） | {_fmt(m['ece'])} | — |", "",
        "## 分组结果", "",
        *[f"- {s}" for s in report.gaps_zh], "",
        "## 局限", "",
        "- 模型从历史数据学习，历史上漏报或错报的户会让模型学到同样的偏差。",
        "- 收入为登记数据，未经核实的收入会影响排序。",
        "- 户数少的县区或分组，指标波动大。",
        "- 出现训练时未见过的县区或取值时按缺失处理，并给出警告；应使用新数据重新训练。",
        "- 风险因素说明来自逻辑回归的近似，不是对梯度提升模型的精确分解。",
        "",
    ]
    return "\n".join(lines)


def _card_en(meta: dict, report: EvaluationReport) -> str:
    m = report.metrics
    names = {"roc_auc": ("ROC-AUC", False), "average_precision": ("Average precision", False),
             "brier": ("Brier score", False), "recall_at_10pct": ("Recall in top 10 %", True),
             "precision_at_10pct": ("Precision in top 10 %", True)}
    lines = [
        "# Model card: risk of return to poverty", "",
        "## Intended use", "",
        "Ordering household visits for township and village cadres: the households with the "
        "highest risk are visited and verified first. The model must **never** decide alone "
        "whether a household is monitored, receives a policy or has its risk eliminated; those "
        "decisions go through the home visit, village deliberation, public notice and county "
        "approval.", "",
        "## Data", "",
        f"- Training years (features): {meta['train_years']}; calibration: {meta['calibration']}; "
        f"test year (features): {meta['test_year']}",
        f"- Counties: {', '.join(meta['counties'])}",
        f"- {meta['n_train']} training, {meta['n_calibration']} calibration and "
        f"{m['n_households']} test households",
        f"- Data fingerprint (SHA-256): `{meta['data_hash']}`",
        f"- Trained at: {meta['trained_at']}", "",
        "## Label", "",
        f"Features of year t predict: {_LABELS_EN[meta['label']]}. Households without a record "
        "in the next year are left out of training and evaluation.", "",
        "## Model", "",
        "HistGradientBoostingClassifier, probabilities calibrated on held-out rows with the "
        f"{meta['calibration_method']} method, no class weighting (it would distort the "
        "probabilities). The top three factors of each household come from the per-feature "
        "contributions of a logistic regression trained alongside.", "",
        "## Metrics on the test year", "",
        "| Metric | Model | Rules-only baseline |", "|---|---|---|",
        *_metric_rows(m, names),
        f"| Expected calibration error (10 equal-frequency bins) | {_fmt(m['ece'])} | — |", "",
        "## Subgroups", "",
        "See `evaluation/subgroups.csv`: recall in the top 10 % (selected over all households) "
        "and calibration by county, sex of the head, ethnic minority and households with a "
        "disabled member.", "",
        "| Grouping | Group | Households | Recall in top 10 % | Mean probability | Observed rate |",
        "|---|---|---|---|---|---|",
        *[f"| {_en(r.grouping)} | {_en(r.group)} | {int(r.n)} | {_fmt(r.recall_at_10pct, True)} | "
          f"{_fmt(r.mean_probability, True)} | {_fmt(r.positive_rate, True)} |"
          for r in report.subgroups.itertuples(index=False)], "",
        "## Limits", "",
        "- The model learns from past records: households missed or misreported in the past "
        "teach it the same bias.",
        "- Incomes are as registered; unverified incomes affect the ranking.",
        "- Metrics of small counties or groups vary widely.",
        "- Counties or values unseen in training are treated as missing, with a warning; retrain "
        "on newer data.",
        "- The factors come from a logistic approximation, not an exact decomposition of the "
        "boosting model.",
        "",
    ]
    return "\n".join(lines)
