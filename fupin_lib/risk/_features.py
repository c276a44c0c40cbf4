"""Household features of one year for the risk model.

`build_features` is the one feature builder: training, evaluation and scoring
all call it, so the model always sees the same columns computed the same way.
Features of year t read only the tables of year t and year t-1 (for changes
and the village context), never year t+1.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..params import load_defaults, monitoring_line
from ..schema import LABORER_MAX_AGE, LABORER_MIN_AGE, MEASURE_COLUMNS, is_employed, is_laborer, is_student

__all__ = [
    "build_features",
    "ID_COLUMNS",
    "FEATURE_COLUMNS",
    "OUTPUT_COLUMNS",
    "CATEGORICAL_FEATURES",
    "NUMERIC_FEATURES",
    "FEATURE_LABELS_ZH",
]

logger = logging.getLogger(__name__)

ID_COLUMNS = ["household_no", "year", "county_code"]

# Categorical features: strings, missing as NA.
CATEGORICAL_FEATURES = [
    "county_code",
    "head_sex",
    "head_education",
    "household_type",
    "poverty_attribute",
    "exit_status",
    "main_poverty_cause",
    "monitoring_category",
]

_MEASURES = [c.name for c in MEASURE_COLUMNS]

# Numeric features: float, missing as NaN. Money is expressed relative to the
# monitoring line or to income, so that the features keep their meaning when
# the line changes from one year or province to another.
NUMERIC_FEATURES = [
    # income and its change from last year
    "income_to_line",
    "prev_income_to_line",
    "income_change",
    "wage_share",
    "business_share",
    "property_share",
    "transfer_share",
    "public_job_share",
    "dividend_share",
    "dibao_share",
    "wage_change",
    "business_change",
    "transfer_change",
    "claim_to_line",
    # household composition and work
    "household_size",
    "dependency_ratio",
    "n_laborers",
    "n_skilled_laborers",
    "n_ordinary_laborers",
    "n_weak_laborers",
    "laborer_share",
    "work_months",
    "work_months_per_laborer",
    "n_employed",
    "n_out_of_county",
    "n_chronic",
    "n_serious_illness",
    "n_disabled",
    "n_severe_disabled",
    "n_students",
    "n_elderly",
    "n_children",
    "n_uninsured",
    "head_age",
    "head_ethnic_minority",
    # rigid expenditure
    "expense_to_income",
    "expense_to_line",
    "medical_to_income",
    "education_to_income",
    "expense_change",
    # 三保障 and water (1 = not secured)
    "unsafe_house",
    "no_safe_water",
    "education_gap",
    "medical_gap",
    "housing_gap",
    "food_clothing_gap",
    # assistance received
    *_MEASURES,
    "n_measures",
    # monitoring history
    "monitored",
    "prev_monitored",
    "risk_eliminated",
    "n_risks",
    "years_since_exit",
    "sudden_hardship",
    "whole_household_no_labor",
    # township and village context of last year
    "village_below_line_prev",
    "village_monitored_prev",
    "village_income_to_line_prev",
    "township_below_line_prev",
]

FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
# county_code is both an identifier and a feature; it appears once.
OUTPUT_COLUMNS = ID_COLUMNS + [c for c in FEATURE_COLUMNS if c not in ID_COLUMNS]

FEATURE_LABELS_ZH = {
    "county_code": "所在县区",
    "head_sex": "户主性别",
    "head_education": "户主文化程度",
    "household_type": "户类型",
    "poverty_attribute": "贫困户属性",
    "exit_status": "脱贫属性",
    "main_poverty_cause": "主要致贫原因",
    "monitoring_category": "监测对象类别",
    "income_to_line": "人均纯收入与监测线之比",
    "prev_income_to_line": "上年人均纯收入与监测线之比",
    "income_change": "人均纯收入较上年变化",
    "wage_share": "工资性收入占比",
    "business_share": "生产经营性收入占比",
    "property_share": "财产性收入占比",
    "transfer_share": "转移性收入占比",
    "public_job_share": "公益性岗位收入占比",
    "dividend_share": "资产收益分红占比",
    "dibao_share": "低保金占比",
    "wage_change": "工资性收入较上年变化",
    "business_change": "生产经营性收入较上年变化",
    "transfer_change": "转移性收入较上年变化",
    "claim_to_line": "人均理赔收入与监测线之比",
    "household_size": "家庭人口数",
    "dependency_ratio": "抚养比",
    "n_laborers": "劳动力人数",
    "n_skilled_laborers": "技能劳动力人数",
    "n_ordinary_laborers": "普通劳动力人数",
    "n_weak_laborers": "弱劳动力或半劳动力人数",
    "laborer_share": "劳动力占家庭人口比",
    "work_months": "全家务工月数",
    "work_months_per_laborer": "劳动力人均务工月数",
    "n_employed": "就业人数",
    "n_out_of_county": "县外务工人数",
    "n_chronic": "长期慢性病人数",
    "n_serious_illness": "患大病人数",
    "n_disabled": "残疾人数",
    "n_severe_disabled": "一、二级残疾人数",
    "n_students": "在校生人数",
    "n_elderly": "65 岁及以上老人数",
    "n_children": "16 岁以下儿童数",
    "n_uninsured": "未参加基本医疗保险人数",
    "head_age": "户主年龄",
    "head_ethnic_minority": "户主为少数民族",
    "expense_to_income": "合规自付支出占纯收入比",
    "expense_to_line": "人均合规自付支出与监测线之比",
    "medical_to_income": "医疗自付支出占纯收入比",
    "education_to_income": "教育支出占纯收入比",
    "expense_change": "合规自付支出较上年变化",
    "unsafe_house": "危房户",
    "no_safe_water": "未解决安全饮用水",
    "education_gap": "义务教育无保障",
    "medical_gap": "基本医疗无保障",
    "housing_gap": "住房安全无保障",
    "food_clothing_gap": "两不愁未实现",
    **{c.name: f"帮扶措施：{c.zh}" for c in MEASURE_COLUMNS},
    "n_measures": "帮扶措施项数",
    "monitored": "当前为监测对象",
    "prev_monitored": "上年为监测对象",
    "risk_eliminated": "风险已消除",
    "n_risks": "登记风险项数",
    "years_since_exit": "脱贫年限",
    "sudden_hardship": "突发严重困难",
    "whole_household_no_labor": "整户无劳动能力",
    "village_below_line_prev": "本村上年低于监测线户占比",
    "village_monitored_prev": "本村上年监测对象占比",
    "village_income_to_line_prev": "本村上年人均纯收入中位数与监测线之比",
    "township_below_line_prev": "本乡镇上年低于监测线户占比",
}

# Relative changes are clipped: a household whose income went from 100 to
# 20,000 yuan is not 200 times more informative than one that doubled.
_CHANGE_CLIP = (-1.0, 5.0)
_RATIO_CLIP = (0.0, 20.0)
_MINORITY_EXCLUDED = {"汉族"}


def build_features(
    households: pd.DataFrame,
    members: pd.DataFrame,
    previous_households: pd.DataFrame | None = None,
    previous_members: pd.DataFrame | None = None,
    *,
    year: int,
    defaults=None,
) -> pd.DataFrame:
    """Build the features of each household of one year.

    Parameters
    ----------
    households, members : DataFrame
        Canonical tables (`fupin_lib.schema.HOUSEHOLDS`, `MEMBERS`) of `year`,
        one or several counties.
    previous_households, previous_members : DataFrame, optional
        The same tables of ``year - 1``. Without them the change and context
        features are NaN. `previous_members` is accepted for symmetry with the
        scoring call and is not read yet.
    year : int
        The data year of `households`.
    defaults : fupin_lib.params._load.Defaults, optional
        Parameter defaults for the monitoring line; read from
        ``parameters/defaults.yaml`` when omitted.

    Returns
    -------
    DataFrame
        One row per household, in the order of `households`, with the columns
        `OUTPUT_COLUMNS` (``ID_COLUMNS`` then the rest of ``FEATURE_COLUMNS``): categorical features as ``object``
        strings (NaN when missing), numeric features as ``float64``.

    Notes
    -----
    Members whose ``household_no`` is not in `households` are ignored (logged
    with their count). The features never read data of ``year + 1``.
    """
    year = int(year)
    households = households.reset_index(drop=True)
    line = _line_per_household(households, year, defaults)
    out = pd.DataFrame({
        "household_no": households["household_no"].astype("string").to_numpy(dtype=object),
        "year": year,
        "county_code": households["county_code"].astype("string").to_numpy(dtype=object),
    })
    for column in CATEGORICAL_FEATURES[2:]:
        out[column] = _text(households, column)

    # Last year's rows in this year's order, aligned once for all features.
    previous = _align_previous(households, previous_households)
    numeric = {}
    numeric.update(_income_features(households, previous, line, year, defaults))
    numeric.update(_member_features(households, members, year))
    numeric.update(_expense_features(households, previous, line))
    numeric.update(_basic_needs_features(households))
    numeric.update(_monitoring_features(households, previous, year))
    numeric.update(_context_features(households, previous_households, year, defaults))

    head = numeric.pop("_head")
    out["head_sex"] = head["head_sex"]
    out["head_education"] = head["head_education"]
    numeric_frame = pd.DataFrame({name: numeric[name] for name in NUMERIC_FEATURES}, dtype="float64")
    out = pd.concat([out, numeric_frame], axis=1)
    return out[OUTPUT_COLUMNS]


# --- helpers --------------------------------------------------------------


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column as float64 with NaN for missing (NaN when absent)."""
    if frame is None or column not in frame:
        return np.full(0 if frame is None else len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a boolean column as 1.0/0.0 with NaN for missing."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return frame[column].astype("boolean").astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a text column as an object array with NaN for missing or blank."""
    if column not in frame:
        return np.full(len(frame), np.nan, dtype=object)
    # Clean the few distinct values, then spread them over the rows.
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    values = pd.Series(uniques, dtype=object).astype("string").str.strip()
    values = values.mask(values == "").to_numpy(dtype=object, na_value=np.nan)
    return np.append(values, np.nan)[codes]


def _divide(numerator, denominator) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.asarray(numerator, dtype="float64") / np.asarray(denominator, dtype="float64")
    result[~np.isfinite(result)] = np.nan
    return result


def _relative_change(current, previous) -> np.ndarray:
    # The floor of 100 yuan keeps a near-zero last year from exploding.
    base = np.maximum(np.abs(previous), 100.0)
    return np.clip(_divide(current - previous, base), *_CHANGE_CLIP)


def _province_codes(households: pd.DataFrame) -> pd.Series:
    code = households.get("province_code")
    county = households["county_code"].astype("string").str[:2]
    if code is None:
        return county
    code = code.astype("string").str[:2]
    return code.where(code.notna() & (code.str.len() == 2), county)


def _line_per_household(households: pd.DataFrame, year: int, defaults) -> np.ndarray:
    """Return the monitoring line of each household's province for `year`."""
    defaults = defaults or load_defaults()
    provinces = _province_codes(households)
    lines = {p: monitoring_line(p, year, defaults=defaults) for p in provinces.dropna().unique()}
    return provinces.map(lines).astype("float64").to_numpy(na_value=np.nan)


# Columns of last year's households that the change features read.
_PREVIOUS_COLUMNS = ("net_income_per_capita", "net_income", "household_size", "wage_income",
                     "business_income", "transfer_income", "compliant_expense",
                     "monitoring_category", "risk_eliminated")


def _align_previous(households: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return `previous` rows in the order of `households` (NaN rows for
    households that were not there last year)."""
    if previous is None or len(previous) == 0:
        return None
    # Only the columns the features read: reindexing every column of a
    # million rows costs seconds.
    columns = ["household_no", *(c for c in _PREVIOUS_COLUMNS if c in previous)]
    previous = previous[columns].drop_duplicates("household_no").set_index("household_no")
    previous = previous.assign(_present=True)
    aligned = previous.reindex(households["household_no"]).reset_index()
    aligned["_present"] = aligned["_present"].fillna(False).astype(bool)
    return aligned


def _per_capita_income(frame: pd.DataFrame) -> np.ndarray:
    per_capita = _num(frame, "net_income_per_capita")
    derived = _divide(_num(frame, "net_income"), _num(frame, "household_size"))
    return np.where(np.isnan(per_capita), derived, per_capita)


def _income_features(households, previous, line, year, defaults) -> dict:
    per_capita = _per_capita_income(households)
    gross = np.nansum(
        [_num(households, c).clip(min=0) for c in
         ("wage_income", "business_income", "property_income", "transfer_income")], axis=0,
    )
    gross = np.where(gross > 0, gross, np.nan)
    features = {
        "income_to_line": np.clip(_divide(per_capita, line), -5.0, 50.0),
        "wage_share": _divide(_num(households, "wage_income"), gross),
        "business_share": _divide(_num(households, "business_income"), gross),
        "property_share": _divide(_num(households, "property_income"), gross),
        "transfer_share": _divide(_num(households, "transfer_income"), gross),
        "public_job_share": _divide(_num(households, "public_job_income"), gross),
        "dividend_share": _divide(_num(households, "dividend_income"), gross),
        "dibao_share": _divide(_num(households, "dibao_income"), gross),
        "claim_to_line": _divide(_divide(_num(households, "claim_income"), _num(households, "household_size")), line),
    }
    if previous is None:
        nan = np.full(len(households), np.nan)
        features.update(prev_income_to_line=nan, income_change=nan, wage_change=nan,
                        business_change=nan, transfer_change=nan)
        return features
    previous_line = _line_per_household(households, year - 1, defaults)
    previous_per_capita = _per_capita_income(previous)
    features["prev_income_to_line"] = np.clip(_divide(previous_per_capita, previous_line), -5.0, 50.0)
    features["income_change"] = _relative_change(per_capita, previous_per_capita)
    for name in ("wage", "business", "transfer"):
        features[f"{name}_change"] = _relative_change(
            _num(households, f"{name}_income"), _num(previous, f"{name}_income"))
    return features


def _member_features(households: pd.DataFrame, members: pd.DataFrame, year: int) -> dict:
    """Count members by kind per household, with `np.bincount` over the
    position of each member's household."""
    n = len(households)
    position = pd.Index(households["household_no"].astype("string")).get_indexer(
        members["household_no"].astype("string"))
    known = position >= 0
    if not known.all():
        logger.info("%s member rows belong to no household of %s and are ignored", (~known).sum(), year)
    members = members.loc[known].reset_index(drop=True)
    position = position[known]
    if "year" not in members or members["year"].isna().any():
        members = members.assign(year=year)

    def count(mask) -> np.ndarray:
        return np.bincount(position, weights=np.asarray(mask, dtype="float64"), minlength=n)

    birth_year = pd.to_datetime(members["birth_date"], errors="coerce").dt.year.to_numpy(dtype="float64", na_value=np.nan)
    age = year - birth_year
    health = _health_parts(members)
    skill = members["labor_skill"].astype("string")
    laborer = is_laborer(members).to_numpy(dtype=bool)
    months = pd.to_numeric(members["work_months"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    if "public_job_months" in members:
        public = pd.to_numeric(members["public_job_months"], errors="coerce").fillna(0).to_numpy(dtype="float64")
        months = np.maximum(months, public)
    work_status = members["work_status"].astype("string")
    out_of_county = work_status.isin(("县外省内务工", "省外务工")).to_numpy(dtype=bool)
    insured = (members["in_resident_medical"].astype("boolean").fillna(False)
               | members["in_employee_medical"].astype("boolean").fillna(False)).to_numpy(dtype=bool)
    grade = members["disability_grade"].astype("string").isin(("一级", "二级")).to_numpy(dtype=bool)

    n_members = count(np.ones(len(members)))
    children = count(age < LABORER_MIN_AGE)
    elderly = count(age > LABORER_MAX_AGE)
    working_age = count((age >= LABORER_MIN_AGE) & (age <= LABORER_MAX_AGE))
    n_laborers = count(laborer)
    work_months = count(np.where(laborer, months, 0.0))
    size = _num(households, "household_size")
    size = np.where(np.isnan(size) | (size <= 0), n_members, size)

    features = {
        "household_size": size,
        "dependency_ratio": np.clip(_divide(children + elderly, np.maximum(working_age, 1.0)), 0, 10),
        "n_laborers": n_laborers,
        "n_skilled_laborers": count(laborer & (skill == "技能劳动力").fillna(False).to_numpy(dtype=bool)),
        "n_ordinary_laborers": count(laborer & (skill == "普通劳动力").fillna(False).to_numpy(dtype=bool)),
        "n_weak_laborers": count(laborer & (skill == "弱劳动力或半劳动力").fillna(False).to_numpy(dtype=bool)),
        "laborer_share": _divide(n_laborers, np.maximum(n_members, 1.0)),
        "work_months": work_months,
        "work_months_per_laborer": _divide(work_months, n_laborers),
        "n_employed": count(laborer & is_employed(members).to_numpy(dtype=bool)),
        "n_out_of_county": count(out_of_county),
        "n_chronic": count(health["长期慢性病"]),
        "n_serious_illness": count(health["患有大病"]),
        "n_disabled": count(health["残疾"]),
        "n_severe_disabled": count(health["残疾"] & grade),
        "n_students": count(is_student(members).to_numpy(dtype=bool)),
        "n_elderly": elderly,
        "n_children": children,
        "n_uninsured": count(~insured),
    }
    features.update(_head_features(members, position, age, n))
    return features


def _health_parts(members: pd.DataFrame) -> dict[str, np.ndarray]:
    """Mark each health value in the comma-joined ``health`` column, working
    on the few distinct values instead of every row."""
    health = members["health"].astype("string").fillna("").astype("category")
    categories = pd.Series(health.cat.categories.astype(str))
    codes = health.cat.codes.to_numpy()
    parts = {}
    for value in ("长期慢性病", "患有大病", "残疾"):
        per_category = categories.str.contains(value, regex=False).to_numpy(dtype=bool)
        parts[value] = np.append(per_category, False)[codes]
    return parts


def _head_features(members: pd.DataFrame, position: np.ndarray, age: np.ndarray, n: int) -> dict:
    head_rows = (members["relation_to_head"].astype("string") == "户主").fillna(False).to_numpy(dtype=bool)
    head_position = position[head_rows]
    # With two heads, the first row wins; the consistency checks report it.
    first = ~pd.Series(head_position).duplicated().to_numpy()
    head_position = head_position[first]
    heads = members.loc[head_rows, [c for c in ("ethnicity", "sex", "education") if c in members]].iloc[first]

    head_age = np.full(n, np.nan)
    head_age[head_position] = age[head_rows][first]
    minority = np.full(n, np.nan)
    ethnicity = heads["ethnicity"].astype("string")
    minority[head_position] = np.where(
        ethnicity.isna(), np.nan, (~ethnicity.isin(_MINORITY_EXCLUDED)).astype("float64"))
    sex = np.full(n, np.nan, dtype=object)
    sex[head_position] = _text(heads, "sex")
    education = np.full(n, np.nan, dtype=object)
    education[head_position] = _text(heads, "education")
    return {
        "head_age": head_age,
        "head_ethnic_minority": minority,
        "_head": {"head_sex": sex, "head_education": education},
    }


def _expense_features(households, previous, line) -> dict:
    income = np.maximum(_num(households, "net_income"), 1.0)
    expense = _num(households, "compliant_expense")
    size = _num(households, "household_size")
    change = (np.full(len(households), np.nan) if previous is None
              else _relative_change(expense, _num(previous, "compliant_expense")))
    return {
        "expense_to_income": np.clip(_divide(expense, income), *_RATIO_CLIP),
        "expense_to_line": np.clip(_divide(_divide(expense, size), line), *_RATIO_CLIP),
        "medical_to_income": np.clip(_divide(_num(households, "medical_expense"), income), *_RATIO_CLIP),
        "education_to_income": np.clip(_divide(_num(households, "education_expense"), income), *_RATIO_CLIP),
        "expense_change": change,
    }


def _basic_needs_features(households) -> dict:
    features = {
        "unsafe_house": _flag(households, "unsafe_house"),
        "no_safe_water": 1.0 - _flag(households, "safe_drinking_water"),
        "education_gap": 1.0 - _flag(households, "compulsory_education_secured"),
        "medical_gap": 1.0 - _flag(households, "basic_medical_secured"),
        "housing_gap": 1.0 - _flag(households, "housing_secured"),
        "food_clothing_gap": 1.0 - _flag(households, "food_clothing_secured"),
    }
    measures = {name: _flag(households, name) for name in _MEASURES}
    features.update(measures)
    features["n_measures"] = np.nansum(list(measures.values()), axis=0)
    return features


def _is_monitored(frame: pd.DataFrame) -> np.ndarray:
    """Mark households identified as monitoring objects whose risk is not
    eliminated."""
    category = frame["monitoring_category"].astype("string").str.strip()
    identified = category.notna() & (category != "")
    eliminated = frame["risk_eliminated"].astype("boolean").fillna(False)
    return (identified & ~eliminated).fillna(False).to_numpy(dtype=bool)


def _monitoring_features(households, previous, year) -> dict:
    risks = np.zeros(len(households))
    for column in ("risk_1", "risk_2", "risk_3", "risk_4", "risk_5"):
        if column in households:
            value = households[column].astype("string").str.strip()
            risks += (value.notna() & (value != "")).fillna(False).to_numpy(dtype="float64")
    if previous is None:
        prev_monitored = np.full(len(households), np.nan)
    else:
        # Households absent last year get NaN rather than "not monitored".
        present = previous["_present"].to_numpy(dtype=bool)
        prev_monitored = np.where(present, _is_monitored(previous).astype("float64"), np.nan)
    return {
        "monitored": _is_monitored(households).astype("float64"),
        "prev_monitored": prev_monitored,
        "risk_eliminated": _flag(households, "risk_eliminated"),
        "n_risks": risks,
        "years_since_exit": np.clip(year - _num(households, "exit_year"), 0, 20),
        "sudden_hardship": _flag(households, "sudden_hardship"),
        "whole_household_no_labor": _flag(households, "whole_household_no_labor"),
    }


def _context_features(households, previous_households, year, defaults) -> dict:
    """Village and township shares of last year, matched on the village and
    township codes of this year."""
    nan = np.full(len(households), np.nan)
    if previous_households is None or len(previous_households) == 0:
        return dict(village_below_line_prev=nan, village_monitored_prev=nan,
                    village_income_to_line_prev=nan, township_below_line_prev=nan)
    previous = previous_households
    ratio = _divide(_per_capita_income(previous), _line_per_household(previous, year - 1, defaults))
    table = pd.DataFrame({
        "village": previous["village_code"].astype("string").to_numpy(dtype=object),
        "township": previous["township_code"].astype("string").to_numpy(dtype=object),
        "below": np.where(np.isnan(ratio), np.nan, (ratio < 1.0).astype("float64")),
        "monitored": _is_monitored(previous).astype("float64"),
        "ratio": ratio,
    })
    village = table.groupby("village", dropna=True).agg(
        below=("below", "mean"), monitored=("monitored", "mean"), ratio=("ratio", "median"))
    township = table.groupby("township", dropna=True)["below"].mean()
    village_now = households["village_code"].astype("string").to_numpy(dtype=object)
    township_now = households["township_code"].astype("string").to_numpy(dtype=object)
    village = village.reindex(village_now)
    return {
        "village_below_line_prev": village["below"].to_numpy(dtype="float64"),
        "village_monitored_prev": village["monitored"].to_numpy(dtype="float64"),
        "village_income_to_line_prev": village["ratio"].to_numpy(dtype="float64"),
        "township_below_line_prev": township.reindex(township_now).to_numpy(dtype="float64"),
    }
