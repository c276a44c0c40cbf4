"""Chinese reasons for each score, and the global importance table.

The reasons come from the per-feature contributions of the logistic
explainer (`RiskModel.feature_contributions`): the three features that raise
a household's log-odds most are turned into short Chinese sentences with the
household's own values. Everything works on whole columns, never row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from ..schema import MEASURE_COLUMNS
from ._features import CATEGORICAL_FEATURES, FEATURE_LABELS_ZH

__all__ = ["top_reasons", "reason_texts", "permutation_importance_table", "N_REASONS"]

N_REASONS = 3
_SEPARATOR = "；"


def _percent(values: pd.Series) -> pd.Series:
    return (values * 100).round().astype("Int64").astype("string")


def _count(values: pd.Series) -> pd.Series:
    return values.round().astype("Int64").astype("string")


def _change(label: str):
    def text(rows: pd.DataFrame, feature: str) -> pd.Series:
        value = rows[feature]
        down = label + "较上年下降 " + _percent(-value) + "%"
        up = label + "较上年增加 " + _percent(value) + "%"
        return down.where(value < 0, up)
    return text


def _ratio(template_prefix: str, suffix: str = "%"):
    def text(rows: pd.DataFrame, feature: str) -> pd.Series:
        return template_prefix + _percent(rows[feature]) + suffix
    return text


def _people(before: str, after: str):
    def text(rows: pd.DataFrame, feature: str) -> pd.Series:
        return before + _count(rows[feature]) + after
    return text


def _fixed(sentence: str, otherwise: str | None = None):
    def text(rows: pd.DataFrame, feature: str) -> pd.Series:
        result = pd.Series(sentence, index=rows.index, dtype="string")
        if otherwise is not None:
            result = result.where(rows[feature] >= 0.5, otherwise)
        return result
    return text


def _expense(rows: pd.DataFrame, feature: str) -> pd.Series:
    # Name the illness behind the expense when the household has one.
    prefix = pd.Series("", index=rows.index, dtype="string")
    prefix = prefix.mask(rows["n_chronic"] > 0, "家庭成员患长期慢性病，")
    prefix = prefix.mask(rows["n_serious_illness"] > 0, "家庭成员患大病，")
    return prefix + "合规自付支出占纯收入 " + _percent(rows[feature]) + "%"


def _measure(zh: str):
    return _fixed(f"享受{zh}", otherwise=f"未享受{zh}")


_TEMPLATES = {
    "income_to_line": _ratio("人均纯收入为监测线的 "),
    "prev_income_to_line": _ratio("上年人均纯收入为监测线的 "),
    "income_change": _change("人均纯收入"),
    "wage_change": _change("工资性收入"),
    "business_change": _change("生产经营性收入"),
    "transfer_change": _change("转移性收入"),
    "wage_share": _ratio("工资性收入占 "),
    "business_share": _ratio("生产经营性收入占 "),
    "transfer_share": _ratio("转移性收入占 "),
    "public_job_share": _ratio("公益性岗位收入占 "),
    "dibao_share": _ratio("低保金占收入 "),
    "expense_to_income": _expense,
    "expense_to_line": _ratio("人均合规自付支出为监测线的 "),
    "medical_to_income": _ratio("医疗自付支出占纯收入 "),
    "education_to_income": _ratio("教育支出占纯收入 "),
    "expense_change": _change("合规自付支出"),
    "household_size": _people("家庭人口 ", " 人"),
    "dependency_ratio": _ratio("抚养比（老人和儿童与劳动年龄人口之比）为 "),
    "n_laborers": _people("家庭劳动力 ", " 人"),
    "n_skilled_laborers": _people("技能劳动力 ", " 人"),
    "n_ordinary_laborers": _people("普通劳动力 ", " 人"),
    "n_weak_laborers": _people("弱劳动力或半劳动力 ", " 人"),
    "laborer_share": _ratio("劳动力占家庭人口 "),
    "work_months": _people("全家全年务工 ", " 个月"),
    "work_months_per_laborer": _people("劳动力人均务工 ", " 个月"),
    "n_employed": _people("就业 ", " 人"),
    "n_out_of_county": _people("县外务工 ", " 人"),
    "n_chronic": _people("家庭成员 ", " 人患长期慢性病"),
    "n_serious_illness": _people("家庭成员 ", " 人患大病"),
    "n_disabled": _people("家庭成员 ", " 人残疾"),
    "n_severe_disabled": _people("家庭成员 ", " 人为一、二级残疾"),
    "n_students": _people("在校生 ", " 人"),
    "n_elderly": _people("65 岁及以上老人 ", " 人"),
    "n_children": _people("16 岁以下儿童 ", " 人"),
    "n_uninsured": _people("", " 人未参加基本医疗保险"),
    "head_age": _people("户主 ", " 岁"),
    "head_ethnic_minority": _fixed("户主为少数民族", otherwise="户主为汉族"),
    "unsafe_house": _fixed("住房为危房", otherwise="住房非危房"),
    "no_safe_water": _fixed("未解决安全饮用水", otherwise="已解决安全饮用水"),
    "education_gap": _fixed("义务教育无保障", otherwise="义务教育有保障"),
    "medical_gap": _fixed("基本医疗无保障", otherwise="基本医疗有保障"),
    "housing_gap": _fixed("住房安全无保障", otherwise="住房安全有保障"),
    "food_clothing_gap": _fixed("两不愁未实现", otherwise="两不愁已实现"),
    "n_measures": _people("享受帮扶措施 ", " 项"),
    "monitored": _fixed("当前为监测对象", otherwise="当前不是监测对象"),
    "prev_monitored": _fixed("上年为监测对象", otherwise="上年不是监测对象"),
    "risk_eliminated": _fixed("风险已标注消除", otherwise="风险未消除"),
    "n_risks": _people("登记致贫返贫风险 ", " 项"),
    "years_since_exit": _people("脱贫 ", " 年"),
    "sudden_hardship": _fixed("本年遭遇突发严重困难", otherwise="本年无突发严重困难"),
    "whole_household_no_labor": _fixed("整户无劳动能力", otherwise="有劳动能力成员"),
    "village_below_line_prev": _ratio("本村上年 ", "% 的户低于监测线"),
    "village_monitored_prev": _ratio("本村上年 ", "% 的户为监测对象"),
    "village_income_to_line_prev": _ratio("本村上年人均纯收入中位数为监测线的 "),
    "township_below_line_prev": _ratio("本乡镇上年 ", "% 的户低于监测线"),
    **{c.name: _measure(c.zh) for c in MEASURE_COLUMNS},
}


# Features that give a reason only when their value is above zero. For the
# counts of laborers, employed people and measures, zero is itself a reason.
_ZERO_IS_A_REASON = {"n_laborers", "n_employed", "n_measures"}
_NONZERO_ONLY = {
    name for name in _TEMPLATES
    if (name.startswith(("n_", "measure_")) and name not in _ZERO_IS_A_REASON) or name in {
        "head_ethnic_minority", "unsafe_house", "no_safe_water", "education_gap", "medical_gap",
        "housing_gap", "food_clothing_gap", "monitored", "prev_monitored", "risk_eliminated",
        "sudden_hardship", "whole_household_no_labor", "claim_to_line", "dependency_ratio",
        "expense_to_income", "expense_to_line", "medical_to_income", "education_to_income",
        "public_job_share", "dibao_share", "transfer_share"}
}


def reason_texts(features: pd.DataFrame, feature: str) -> pd.Series:
    """Return the Chinese reason of `feature` for every row of `features`.

    A missing value gives "<特征>未填报"; a categorical feature gives
    "<特征>：<值>"; numeric features without a template give their value.
    """
    label = FEATURE_LABELS_ZH.get(feature, feature)
    values = features[feature]
    missing = values.isna()
    if feature in CATEGORICAL_FEATURES:
        text = (label + "：" + values.astype("string")).astype("string")
    elif feature in _TEMPLATES:
        text = _TEMPLATES[feature](features, feature).astype("string")
    else:
        text = (label + "：" + values.round(2).astype("string")).astype("string")
    return text.mask(missing, f"{label}未填报")


def top_reasons(features: pd.DataFrame, contributions: pd.DataFrame, *, n: int = N_REASONS) -> pd.Series:
    """Return, per row, the `n` features that raise the risk most, as Chinese
    sentences joined by "；".

    Parameters
    ----------
    features : DataFrame
        Output of `build_features` for the same rows as `contributions`.
    contributions : DataFrame
        `RiskModel.feature_contributions` of those rows.
    n : int, default=3

    Returns
    -------
    Series of str
        Empty for a row where no feature raises the risk.
    """
    names = np.asarray(contributions.columns)
    values = contributions.to_numpy().copy()
    # A count or flag of zero ("0 人残疾", "住房非危房") is no reason to visit,
    # whatever its contribution.
    for position, feature in enumerate(names):
        if feature in _NONZERO_ONLY:
            values[features[feature].to_numpy(dtype="float64", na_value=np.nan) <= 0, position] = 0.0
    n = min(n, values.shape[1])
    top = np.argpartition(-values, n - 1, axis=1)[:, :n]
    # argpartition leaves the n largest unordered; order them by contribution.
    order = np.argsort(-np.take_along_axis(values, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    features = features.reset_index(drop=True)

    slots = []
    for slot in range(n):
        column = top[:, slot]
        positive = values[np.arange(len(values)), column] > 0
        text = np.full(len(features), "", dtype=object)
        for feature_position in np.unique(column[positive]):
            rows = np.flatnonzero(positive & (column == feature_position))
            text[rows] = _texts_of_rows(features, rows, names[feature_position])
        slots.append(text)

    joined = slots[0]
    for text in slots[1:]:
        more = text != ""
        joined[more] = joined[more] + _SEPARATOR + text[more]
    return pd.Series(joined, index=contributions.index, dtype=object)


def _texts_of_rows(features: pd.DataFrame, rows: np.ndarray, feature: str) -> np.ndarray:
    """Return the reason of `feature` for `rows`, formatting each distinct
    displayed value once: a million households share a few thousand values
    at the resolution of the text (whole percent, whole people)."""
    values = features[feature].to_numpy()[rows]
    if feature in CATEGORICAL_FEATURES:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return reason_texts(pd.DataFrame({feature: uniques}), feature).to_numpy(dtype=object)[codes]

    # Key: the value in hundredths, times 4, plus the illness level that the
    # expense sentence names (0 none, 1 chronic, 2 serious).
    level = np.zeros(len(rows))
    if feature == "expense_to_income":
        level = np.where(features["n_serious_illness"].to_numpy()[rows] > 0, 2,
                         np.where(features["n_chronic"].to_numpy()[rows] > 0, 1, 0))
    key = np.round(values.astype("float64") * 100) * 4 + level
    codes, uniques = pd.factorize(key, use_na_sentinel=False)
    hundredths = np.floor(uniques / 4)
    unique_level = uniques - 4 * hundredths
    frame = pd.DataFrame({feature: hundredths / 100})
    if feature == "expense_to_income":
        frame["n_chronic"] = (unique_level == 1).astype("float64")
        frame["n_serious_illness"] = (unique_level == 2).astype("float64")
    return reason_texts(frame, feature).to_numpy(dtype=object)[codes]


def permutation_importance_table(model, X: pd.DataFrame, y, *, n_repeats: int = 3,
                                 max_samples: int = 10_000, random_state=0) -> pd.DataFrame:
    """Rank features by permutation importance (drop of average precision
    when one feature is shuffled).

    Returns
    -------
    DataFrame
        ``feature``, ``feature_zh``, ``importance_mean``, ``importance_std``,
        sorted by decreasing importance.
    """
    rows = np.random.default_rng(random_state).permutation(len(X))[:max_samples]
    result = permutation_importance(
        model, X.iloc[rows], np.asarray(y)[rows], scoring="average_precision",
        n_repeats=n_repeats, random_state=random_state)
    table = pd.DataFrame({
        "feature": list(X.columns),
        "feature_zh": [FEATURE_LABELS_ZH.get(c, c) for c in X.columns],
        "importance_mean": result.importances_mean,
        "importance_std": result.importances_std,
    })
    return table.sort_values("importance_mean", ascending=False, ignore_index=True)
