"""Checks on health and disability, insurance and work."""

from __future__ import annotations

import numpy as np

from ._context import flag
from ._registry import register

__all__: list[str] = []

_OUT_OF_COUNTY = ("县外省内务工", "省外务工")


# --- health and disability ------------------------------------------------

@register("5_01_001", "健康状况为残疾但没有残疾证号", kind="health", scope="member", severity="error",
          fields=("members.health", "members.disability_cert_no"))
def _disabled_without_certificate(ctx):
    return ctx.has_health("残疾") & flag(ctx.member_text("disability_cert_no") == "")


@register("5_01_002", "填写了残疾类别或等级但健康状况不含残疾", kind="health", scope="member",
          severity="error", fields=("members.health", "members.disability_type", "members.disability_grade"))
def _disability_fields_without_disability(ctx):
    filled = flag((ctx.member_text("disability_type") != "") | (ctx.member_text("disability_grade") != ""))
    return filled & ~ctx.has_health("残疾")


@register("5_01_003", "健康状况为残疾但残疾类别或等级为空", kind="health", scope="member", severity="warning",
          fields=("members.health", "members.disability_type", "members.disability_grade"))
def _disability_without_type(ctx):
    empty = flag((ctx.member_text("disability_type") == "") | (ctx.member_text("disability_grade") == ""))
    return ctx.has_health("残疾") & empty


@register("5_01_004", "一、二级肢体残疾但登记为普通或技能劳动力", kind="health", scope="member",
          severity="warning", fields=("members.disability_type", "members.disability_grade",
                                      "members.labor_skill"))
def _severe_disability_full_labor(ctx):
    severe = flag((ctx.member_text("disability_type") == "肢体") & ctx.member_text("disability_grade").isin(["一级", "二级"]))
    return severe & ctx.member_text("labor_skill").isin(["普通劳动力", "技能劳动力"]).to_numpy()


@register("5_01_005", "健康状况同时填写健康与疾病或残疾", kind="health", scope="member", severity="error",
          fields=("members.health",))
def _healthy_and_ill(ctx):
    health = ctx.member_text("health")
    return ctx.has_health("健康") & flag(health.str.contains(",", regex=False))


@register("5_01_006", "风险或致贫原因为因残，但户内没有残疾成员", kind="health", scope="household",
          severity="error", fields=("households.risk_1", "households.risk_2", "households.risk_3",
                                    "households.risk_4", "households.risk_5",
                                    "households.main_poverty_cause", "members.health"))
def _disability_risk_without_disabled(ctx):
    cause = flag(ctx.household_text("main_poverty_cause") == "因残") | ctx.has_risk("因残")
    return cause & ~ctx.any_member(ctx.has_health("残疾")) & (ctx.member_count > 0)


@register("5_01_007", "风险或致贫原因为因病，但户内没有患病成员", kind="health", scope="household",
          severity="error", fields=("households.risk_1", "households.risk_2", "households.risk_3",
                                    "households.risk_4", "households.risk_5",
                                    "households.main_poverty_cause", "members.health"))
def _illness_risk_without_ill(ctx):
    cause = flag(ctx.household_text("main_poverty_cause") == "因病") | ctx.has_risk("因病")
    ill = ctx.has_health("长期慢性病") | ctx.has_health("患有大病")
    return cause & ~ctx.any_member(ill) & (ctx.member_count > 0)


# --- insurance ------------------------------------------------------------

@register("6_01_001", "同时参加城乡居民和城镇职工基本医疗保险", kind="insurance", scope="member",
          severity="error", fields=("members.in_resident_medical", "members.in_employee_medical"))
def _both_medical(ctx):
    return ctx.member_is_true("in_resident_medical") & ctx.member_is_true("in_employee_medical")


@register("6_01_002", "未参加任何基本医疗保险", kind="insurance", scope="member", severity="error",
          fields=("members.in_resident_medical", "members.in_employee_medical"))
def _no_medical(ctx):
    return ~ctx.member_is_true("in_resident_medical") & ~ctx.member_is_true("in_employee_medical")


@register("6_01_003", "未参加基本医疗保险却享受医疗救助", kind="insurance", scope="member",
          severity="error", fields=("members.in_resident_medical", "members.in_employee_medical",
                                    "members.medical_aid"))
def _aid_without_insurance(ctx):
    insured = ctx.member_is_true("in_resident_medical") | ctx.member_is_true("in_employee_medical")
    return ctx.member_is_true("medical_aid") & ~insured


@register("6_01_004", "16–59 周岁非在校生未参加基本养老保险", kind="insurance", scope="member",
          severity="warning", fields=("members.birth_date", "members.school_status", "members.in_basic_pension"))
def _no_pension(ctx):
    s = ctx.settings
    in_age = (ctx.age >= s.min_labor_age) & (ctx.age <= s.max_labor_age)
    return in_age & ~ctx.is_student & ctx.member_is_false("in_basic_pension")


@register("6_01_005", "患有大病但未参加大病保险", kind="insurance", scope="member", severity="warning",
          fields=("members.health", "members.in_serious_illness_insurance"))
def _serious_illness_uninsured(ctx):
    return ctx.has_health("患有大病") & ctx.member_is_false("in_serious_illness_insurance")


# --- work -----------------------------------------------------------------

@register("7_01_001", "填写了务工所在地但务工时间为空或为 0", kind="work", scope="member",
          severity="error", fields=("members.work_place", "members.work_months"))
def _place_without_months(ctx):
    months = np.nan_to_num(ctx.member_number("work_months"))
    return flag(ctx.member_text("work_place") != "") & (months <= 0)


@register("7_01_002", "填写了务工时间但务工所在地为空", kind="work", scope="member", severity="error",
          fields=("members.work_place", "members.work_months"))
def _months_without_place(ctx):
    months = np.nan_to_num(ctx.member_number("work_months"))
    return flag(ctx.member_text("work_place") == "") & (months > 0)


@register("7_01_003", "月工资低于下限", kind="work", scope="member", severity="warning",
          fields=("members.monthly_wage",))
def _wage_too_low(ctx):
    wage = ctx.member_number("monthly_wage")
    return (wage > 0) & (wage < ctx.settings.min_monthly_wage)


@register("7_01_004", "月工资高于上限", kind="work", scope="member", severity="warning",
          fields=("members.monthly_wage",))
def _wage_too_high(ctx):
    return ctx.member_number("monthly_wage") > ctx.settings.max_monthly_wage


@register("7_01_005", "技能劳动力或大专及以上学历的劳动年龄人员未务工", kind="work", scope="member",
          severity="info", fields=("members.labor_skill", "members.education", "members.birth_date",
                                   "members.work_status", "members.work_months"))
def _skilled_not_working(ctx):
    s = ctx.settings
    skilled = flag((ctx.member_text("labor_skill") == "技能劳动力") | ctx.member_text("education").isin(["大专", "本科及以上"]))
    in_age = (ctx.age >= s.min_labor_age) & (ctx.age <= s.max_labor_age)
    return skilled & in_age & ~ctx.is_student & ~ctx.is_working


@register("7_01_006", "计划外出务工但未登记就业服务需求", kind="work", scope="member", severity="info",
          fields=("members.plans_work_away", "members.service_need"))
def _plan_without_need(ctx):
    return ctx.member_is_true("plans_work_away") & flag(ctx.member_text("service_need") == "")


@register("7_01_007", "务工时间超出 0–12 个月", kind="work", scope="member", severity="error",
          fields=("members.work_months",))
def _months_out_of_range(ctx):
    months = ctx.member_number("work_months")
    return (months < 0) | (months > 12)


@register("7_01_008", "丧失劳动力或无劳动力但登记有务工", kind="work", scope="member", severity="warning",
          fields=("members.labor_skill", "members.work_status", "members.work_months"))
def _no_labor_working(ctx):
    return ctx.member_text("labor_skill").isin(["丧失劳动力", "无劳动力"]).to_numpy() & ctx.is_working


@register("7_01_009", "公益性岗位月数超出 0–12 个月", kind="work", scope="member", severity="error",
          fields=("members.public_job_months",))
def _public_months_out_of_range(ctx):
    months = ctx.member_number("public_job_months")
    return (months < 0) | (months > 12)


@register("7_01_010", "务工状况为未务工但务工时间大于 0", kind="work", scope="member", severity="error",
          fields=("members.work_status", "members.work_months"))
def _not_working_with_months(ctx):
    months = np.nan_to_num(ctx.member_number("work_months"))
    return flag(ctx.member_text("work_status") == "未务工") & (months > 0)


@register("7_01_011", "务工状况为县外务工但务工所在县为本县", kind="work", scope="member", severity="warning",
          fields=("members.work_status", "members.work_county_code", "members.county_code"))
def _out_of_county_in_county(ctx):
    away = ctx.member_text("work_status").isin(_OUT_OF_COUNTY).to_numpy()
    same = flag((ctx.member_text("work_county_code") != "") & (ctx.member_text("work_county_code") == ctx.member_text("county_code")))
    return away & same
