"""Checks on households and villages: monitoring logic, risks against
measures, completeness and area codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import LABOR_CAPABLE_SKILLS, LABORER_MAX_AGE, LABORER_MIN_AGE
from ._context import flag
from ._registry import register

__all__: list[str] = []

_RISKS = tuple(f"households.risk_{i}" for i in range(1, 6))
_POST_SECURED = ("post_housing_secured", "post_medical_secured", "post_education_secured",
                 "post_safe_drinking_water")


def _monitored(ctx) -> np.ndarray:
    return flag(ctx.household_text("monitoring_category") != "")


def _eliminated(ctx) -> np.ndarray:
    return ctx.household_is_true("risk_eliminated")


def _month_index(values: pd.Series) -> np.ndarray:
    """Convert ``YYYYMM`` text to a month count (year * 12 + month), NaN when
    the text is not of that form."""
    text = values.str.strip()
    valid = text.str.fullmatch(r"\d{4}(0[1-9]|1[0-2])")
    number = pd.to_numeric(text.where(valid, None), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return (number // 100) * 12 + number % 100


def _months_monitored(ctx) -> np.ndarray:
    return _month_index(ctx.household_text("eliminated_ym")) - _month_index(ctx.household_text("identified_ym"))


def _has_laborer(ctx) -> np.ndarray:
    capable = ctx.member_text("labor_skill").isin(LABOR_CAPABLE_SKILLS).to_numpy()
    in_age = (ctx.age >= LABORER_MIN_AGE) & (ctx.age <= LABORER_MAX_AGE)
    return ctx.any_member(capable & in_age & ~ctx.is_student)


def _is_exited(ctx) -> np.ndarray:
    return flag(ctx.household_text("household_type") == "脱贫户") | flag(ctx.household_text("exit_status").str.startswith("已脱贫"))


# --- monitoring logic -----------------------------------------------------

@register("8_01_001", "脱贫户人均纯收入低于当年监测线但未纳入监测", kind="monitoring", scope="household",
          severity="error", fields=("households.household_type", "households.exit_status",
                                    "households.net_income_per_capita", "households.monitoring_category"))
def _below_line_not_monitored(ctx):
    if ctx.monitoring_line is None:
        return np.zeros(len(ctx.households), dtype=bool)
    income = ctx.household_number("net_income_per_capita")
    return _is_exited(ctx) & (income < ctx.monitoring_line) & ~_monitored(ctx)


@register("8_01_002", "已纳入监测但未填写任何风险类型", kind="monitoring", scope="household",
          severity="error", fields=("households.monitoring_category", *_RISKS))
def _monitored_without_risk(ctx):
    return _monitored(ctx) & (ctx.risks == "").all(axis=1).to_numpy()


@register("8_01_003", "风险类型为其他但未填写其他风险备注", kind="monitoring", scope="household",
          severity="warning", fields=(*_RISKS, "households.risk_other_note"))
def _other_risk_without_note(ctx):
    return ctx.has_risk("其他") & flag(ctx.household_text("risk_other_note") == "")


@register("8_01_004", "风险已消除但风险消除后收入为空", kind="monitoring", scope="household",
          severity="error", fields=("households.risk_eliminated", "households.post_net_income",
                                    "households.post_net_income_per_capita"))
def _eliminated_without_income(ctx):
    empty = np.isnan(ctx.household_number("post_net_income")) & np.isnan(ctx.household_number("post_net_income_per_capita"))
    return _eliminated(ctx) & empty


@register("8_01_005", "风险已消除但风险消除后三保障或饮水安全情况为空", kind="monitoring",
          scope="household", severity="error",
          fields=("households.risk_eliminated", *(f"households.{c}" for c in _POST_SECURED)))
def _eliminated_without_basic_needs(ctx):
    empty = ctx.households[list(_POST_SECURED)].isna().any(axis=1).to_numpy()
    return _eliminated(ctx) & empty


@register("8_01_006", "风险已消除但仍为危房户", kind="monitoring", scope="household", severity="error",
          fields=("households.risk_eliminated", "households.unsafe_house"))
def _eliminated_unsafe_house(ctx):
    return _eliminated(ctx) & ctx.household_is_true("unsafe_house")


@register("8_01_007", "风险已消除但未解决安全饮用水", kind="monitoring", scope="household",
          severity="error", fields=("households.risk_eliminated", "households.safe_drinking_water"))
def _eliminated_without_water(ctx):
    return _eliminated(ctx) & ctx.household_is_false("safe_drinking_water")


@register("8_01_008", "识别监测当月或次月即消除风险", kind="monitoring", scope="household",
          severity="error", fields=("households.identified_ym", "households.eliminated_ym"))
def _eliminated_at_once(ctx):
    months = _months_monitored(ctx)
    return (months >= 0) & (months <= 1)


@register("8_01_009", "识别监测不足规定月数即消除风险", kind="monitoring", scope="household",
          severity="warning", fields=("households.identified_ym", "households.eliminated_ym"))
def _eliminated_early(ctx):
    months = _months_monitored(ctx)
    return (months >= 2) & (months < ctx.settings.min_monitoring_months)


@register("8_01_010", "整户无劳动能力的监测户被标注风险消除", kind="monitoring", scope="household",
          severity="warning", fields=("households.risk_eliminated", "households.whole_household_no_labor",
                                      "members.labor_skill", "members.birth_date"))
def _no_labor_eliminated(ctx):
    no_labor = ctx.household_is_true("whole_household_no_labor") | ((ctx.member_count > 0) & ~_has_laborer(ctx))
    return _eliminated(ctx) & _monitored(ctx) & no_labor


@register("8_01_011", "全户无劳动力但未标注整户无劳动能力兜底保障户", kind="monitoring",
          scope="household", severity="warning",
          fields=("households.whole_household_no_labor", "members.labor_skill", "members.birth_date",
                  "members.school_status"))
def _no_labor_not_marked(ctx):
    return (ctx.member_count > 0) & ~_has_laborer(ctx) & ~ctx.household_is_true("whole_household_no_labor")


@register("8_01_012", "标注为整户无劳动能力但户内有劳动力", kind="monitoring", scope="household",
          severity="error", fields=("households.whole_household_no_labor", "members.labor_skill",
                                    "members.birth_date", "members.school_status"))
def _marked_no_labor_with_laborer(ctx):
    return ctx.household_is_true("whole_household_no_labor") & _has_laborer(ctx)


@register("8_01_013", "已纳入监测但识别监测时间为空", kind="monitoring", scope="household",
          severity="error", fields=("households.monitoring_category", "households.identified_ym"))
def _monitored_without_date(ctx):
    return _monitored(ctx) & flag(ctx.household_text("identified_ym") == "")


@register("8_01_014", "消除监测时间早于识别监测时间", kind="monitoring", scope="household",
          severity="error", fields=("households.identified_ym", "households.eliminated_ym"))
def _eliminated_before_identified(ctx):
    return _months_monitored(ctx) < 0


@register("8_01_015", "风险已消除但消除方式或消除时间为空", kind="monitoring", scope="household",
          severity="error", fields=("households.risk_eliminated", "households.elimination_method",
                                    "households.eliminated_ym"))
def _eliminated_without_method(ctx):
    empty = flag((ctx.household_text("elimination_method") == "") | (ctx.household_text("eliminated_ym") == ""))
    return _eliminated(ctx) & empty


@register("8_01_016", "人均纯收入与纯收入除以家庭人口数不符", kind="monitoring", scope="household",
          severity="error", fields=("households.net_income", "households.household_size",
                                    "households.net_income_per_capita"))
def _per_capita_disagrees(ctx):
    size = ctx.household_number("household_size")
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = ctx.household_number("net_income") / np.where(size > 0, size, np.nan)
        return np.abs(expected - ctx.household_number("net_income_per_capita")) > ctx.settings.income_tolerance


@register("8_01_017", "纯收入与各项收入减生产经营性支出不符", kind="monitoring", scope="household",
          severity="warning", fields=("households.net_income", "households.wage_income",
                                      "households.business_income", "households.property_income",
                                      "households.transfer_income", "households.business_expense"))
def _net_income_disagrees(ctx):
    parts = np.column_stack([ctx.household_number(c) for c in
                             ("wage_income", "business_income", "property_income", "transfer_income")])
    any_part = ~np.isnan(parts).all(axis=1)
    expected = np.nansum(parts, axis=1) - np.nan_to_num(ctx.household_number("business_expense"))
    size = np.nan_to_num(ctx.household_number("household_size"), nan=1.0).clip(min=1)
    with np.errstate(invalid="ignore"):
        return any_part & (np.abs(expected - ctx.household_number("net_income")) > ctx.settings.income_tolerance * size)


@register("8_01_018", "同一风险类型重复填写", kind="monitoring", scope="household", severity="warning",
          fields=_RISKS)
def _risk_repeated(ctx):
    risks = ctx.risks.to_numpy(dtype=object)
    repeated = np.zeros(len(risks), dtype=bool)
    for i in range(5):
        for j in range(i + 1, 5):
            repeated |= (risks[:, i] != "") & (risks[:, i] == risks[:, j])
    return repeated


@register("8_01_019", "填写了消除监测时间但风险未标注为已消除", kind="monitoring", scope="household",
          severity="warning", fields=("households.risk_eliminated", "households.eliminated_ym"))
def _date_without_elimination(ctx):
    return flag(ctx.household_text("eliminated_ym") != "") & ~_eliminated(ctx)


@register("8_01_020", "监测类别为脱贫不稳定户但不是脱贫户", kind="monitoring", scope="household",
          severity="error", fields=("households.monitoring_category", "households.household_type",
                                    "households.exit_status"))
def _unstable_not_exited(ctx):
    return flag(ctx.household_text("monitoring_category") == "脱贫不稳定户") & ~_is_exited(ctx)


@register("8_01_021", "监测类别为边缘易致贫户但已是脱贫户", kind="monitoring", scope="household",
          severity="error", fields=("households.monitoring_category", "households.household_type",
                                    "households.exit_status"))
def _edge_but_exited(ctx):
    return flag(ctx.household_text("monitoring_category") == "边缘易致贫户") & _is_exited(ctx)


# --- risks against measures -----------------------------------------------

def _measure(ctx, *columns) -> np.ndarray:
    return np.logical_or.reduce([ctx.household_is_true(c) for c in columns])


@register("9_01_001", "风险为因病但没有健康帮扶或社会帮扶", kind="measures", scope="household",
          severity="error", fields=(*_RISKS, "households.measure_health", "households.measure_social_assistance"))
def _illness_without_measure(ctx):
    return ctx.has_risk("因病") & ~_measure(ctx, "measure_health", "measure_social_assistance")


@register("9_01_002", "风险为因学但没有教育帮扶", kind="measures", scope="household", severity="error",
          fields=(*_RISKS, "households.measure_education", "households.measure_compulsory_education"))
def _school_without_measure(ctx):
    return ctx.has_risk("因学") & ~_measure(ctx, "measure_education", "measure_compulsory_education")


@register("9_01_003", "风险为因残但没有综合保障", kind="measures", scope="household", severity="error",
          fields=(*_RISKS, "households.measure_social_protection", "households.measure_dibao",
                  "households.measure_tekun_support", "households.measure_disability_allowance"))
def _disability_without_measure(ctx):
    protected = _measure(ctx, "measure_social_protection", "measure_dibao", "measure_tekun_support",
                         "measure_disability_allowance")
    return ctx.has_risk("因残") & ~protected


@register("9_01_004", "风险为因安全住房但没有住房安全保障", kind="measures", scope="household",
          severity="error", fields=(*_RISKS, "households.measure_housing", "households.measure_relocation"))
def _housing_without_measure(ctx):
    return ctx.has_risk("因安全住房") & ~_measure(ctx, "measure_housing", "measure_relocation")


@register("9_01_005", "风险为因安全饮水但没有饮水安全保障", kind="measures", scope="household",
          severity="error", fields=(*_RISKS, "households.measure_water"))
def _water_without_measure(ctx):
    return ctx.has_risk("因安全饮水") & ~_measure(ctx, "measure_water")


@register("9_01_006", "享受残疾人补贴但户内没有残疾成员", kind="measures", scope="household",
          severity="error", fields=("households.measure_disability_allowance", "members.health"))
def _allowance_without_disabled(ctx):
    return ctx.household_is_true("measure_disability_allowance") & ~ctx.any_member(ctx.has_health("残疾"))


@register("9_01_007", "享受特困供养但户内没有特困供养人员", kind="measures", scope="household",
          severity="error", fields=("households.measure_tekun_support", "members.tekun"))
def _tekun_without_member(ctx):
    return ctx.household_is_true("measure_tekun_support") & ~ctx.any_member(ctx.member_is_true("tekun"))


@register("9_01_008", "享受外出务工交通补贴但户内无人县外务工", kind="measures", scope="household",
          severity="error", fields=("households.measure_transport_subsidy", "members.work_status"))
def _transport_without_worker(ctx):
    away = ctx.member_text("work_status").isin(["县外省内务工", "省外务工"]).to_numpy()
    return ctx.household_is_true("measure_transport_subsidy") & ~ctx.any_member(away)


@register("9_01_009", "风险为因学但户内没有在校生", kind="measures", scope="household", severity="error",
          fields=(*_RISKS, "members.school_status"))
def _school_risk_without_student(ctx):
    return ctx.has_risk("因学") & ~ctx.any_member(ctx.is_student)


@register("9_01_010", "享受低保但户内没有享受低保的成员", kind="measures", scope="household",
          severity="warning", fields=("households.measure_dibao", "members.dibao"))
def _dibao_without_member(ctx):
    return ctx.household_is_true("measure_dibao") & ~ctx.any_member(ctx.member_is_true("dibao"))


@register("9_01_011", "风险为因务工就业不稳但没有就业帮扶或公益岗位帮扶", kind="measures",
          scope="household", severity="error",
          fields=(*_RISKS, "households.measure_employment", "households.measure_public_job"))
def _work_risk_without_measure(ctx):
    return ctx.has_risk("因务工就业不稳") & ~_measure(ctx, "measure_employment", "measure_public_job")


@register("9_01_012", "有公益岗位帮扶但户内没有公益性岗位人员", kind="measures", scope="household",
          severity="warning", fields=("households.measure_public_job", "members.public_job_type",
                                      "members.public_job_months"))
def _public_job_without_member(ctx):
    months = np.nan_to_num(ctx.member_number("public_job_months"))
    holds_post = flag(ctx.member_text("public_job_type") != "") | (months > 0)
    return ctx.household_is_true("measure_public_job") & ~ctx.any_member(holds_post)


# --- completeness ---------------------------------------------------------

def _register_empty_household(code: str, column: str, label: str, severity="info"):
    @register(code, f"{label}为空", kind="completeness", scope="household", severity=severity,
              fields=(f"households.{column}",))
    def _empty(ctx):
        return ctx.households[column].isna().to_numpy() | flag(ctx.household_text(column).str.strip() == "")

    return _empty


def _register_empty_member(code: str, column: str, label: str, severity="info"):
    @register(code, f"{label}为空", kind="completeness", scope="member", severity=severity,
              fields=(f"members.{column}",))
    def _empty(ctx):
        return ctx.members[column].isna().to_numpy() | flag(ctx.member_text(column).str.strip() == "")

    return _empty


for _code, _column, _label in (
    ("10_01_001", "safe_drinking_water", "是否解决安全饮用水"),
    ("10_01_002", "sanitary_toilet", "有无卫生厕所"),
    ("10_01_003", "house_area", "住房面积"),
    ("10_01_004", "unsafe_house", "是否危房户"),
    ("10_01_005", "road_type", "入户路类型"),
    ("10_01_006", "has_electricity", "是否通生活用电"),
    ("10_01_007", "household_size", "家庭人口数"),
    ("10_01_008", "net_income_per_capita", "人均纯收入"),
    ("10_01_009", "household_type", "户类型"),
):
    _register_empty_household(_code, _column, _label)

for _code, _column, _label in (
    ("10_02_001", "sex", "性别"),
    ("10_02_002", "birth_date", "出生日期"),
    ("10_02_003", "relation_to_head", "与户主关系"),
    ("10_02_004", "labor_skill", "劳动技能"),
    ("10_02_005", "health", "健康状况"),
):
    _register_empty_member(_code, _column, _label)


@register("10_01_010", "脱贫户或监测户的帮扶责任人为空", kind="completeness", scope="household",
          severity="warning", fields=("households.helper_name", "households.household_type",
                                      "households.monitoring_category"))
def _helper_missing(ctx):
    return (_is_exited(ctx) | _monitored(ctx)) & flag(ctx.household_text("helper_name") == "")


@register("10_02_006", "16 周岁及以上非在校生是否参加基本养老保险为空", kind="completeness",
          scope="member", severity="info", fields=("members.birth_date", "members.school_status",
                                                   "members.in_basic_pension"))
def _pension_missing(ctx):
    return (ctx.age >= ctx.settings.min_labor_age) & ~ctx.is_student & ctx.members["in_basic_pension"].isna().to_numpy()


# --- area codes (village scope) -------------------------------------------

@register("11_01_001", "同一村代码对应多个村名", kind="area", scope="village", severity="error",
          fields=("households.village_code", "households.village"))
def _village_code_several_names(ctx):
    frame = pd.DataFrame({"code": ctx.household_text("village_code"), "name": ctx.household_text("village")})
    frame = frame[frame["code"] != ""]
    names = frame.groupby("code")["name"].nunique()
    return ctx.villages["village_code"].map(names).fillna(0).to_numpy() > 1


@register("11_01_002", "村代码与所属乡镇代码不一致", kind="area", scope="village", severity="error",
          fields=("households.village_code", "households.township_code"))
def _village_code_outside_township(ctx):
    villages = ctx.villages
    both = (villages["village_code"] != "") & (villages["township_code"] != "")
    return flag(both & (villages["village_code"].str[:9] != villages["township_code"]))
