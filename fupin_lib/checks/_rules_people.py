"""Checks on people: identity, family logic, age logic and education."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._arrow import fixed_width_bytes
from ..schema import LABOR_CAPABLE_SKILLS
from ._context import CheckContext, flag
from ._registry import register

__all__ = ["id_number_info", "MOBILE_PATTERN", "LANDLINE_PATTERN"]

MOBILE_PATTERN = r"1[3-9]\d{9}"
# Area code (3-4 digits starting with 0), optional hyphen, 7-8 digit number.
LANDLINE_PATTERN = r"0\d{2,3}-?\d{7,8}"

# ISO 7064 MOD 11-2 weights of the first 17 digits and the check characters.
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_MALE_RELATIONS = ("之子", "之女婿", "之孙子", "之外孙子", "之父", "之岳父", "之公公", "之祖父",
                   "之曾孙子", "之侄儿")
_FEMALE_RELATIONS = ("之女", "之儿媳", "之孙女", "之外孙女", "之母", "之岳母", "之婆婆", "之祖母",
                     "之曾孙女", "之侄女")


def id_number_info(ctx: CheckContext) -> dict[str, np.ndarray]:
    """Decode the 18-digit ID numbers of the members once per context.

    Returns
    -------
    dict
        ``well_formed`` (17 digits and a digit or X), ``check_ok`` (check
        digit right), ``birth`` (YYYYMMDD as int, 0 where not well formed)
        and ``male`` (17th digit odd), each one entry per member.
    """

    def compute():
        ids = ctx.member_text("id_number").str.upper()
        well_formed = flag(ids.str.fullmatch(r"\d{17}[\dX]"))
        n = len(ids)
        check_ok = np.zeros(n, dtype=bool)
        birth = np.zeros(n, dtype=np.int64)
        male = np.zeros(n, dtype=bool)
        if well_formed.any():
            chars = fixed_width_bytes(ids[well_formed], 18)
            digits = chars[:, :17].astype(np.int64) - 48
            expected = _ID_CHECK_CHARS[(digits @ _ID_WEIGHTS) % 11]
            check_ok[well_formed] = expected == chars[:, 17]
            birth[well_formed] = digits[:, 6:14] @ (10 ** np.arange(7, -1, -1))
            male[well_formed] = digits[:, 16] % 2 == 1
        return {"well_formed": well_formed, "check_ok": check_ok, "birth": birth, "male": male}

    return ctx.cached("id_number_info", compute)


def _is_disability_certificate(ctx: CheckContext) -> np.ndarray:
    # 残疾人证 numbers are the 18-digit ID plus a 2- or 4-digit suffix.
    return flag(ctx.member_text("id_type") == "残疾人证") & ctx.member_text("id_number").str.len().isin([20, 22]).to_numpy()


# --- identity -------------------------------------------------------------

@register("1_01_001", "证件号码为空", kind="identity", scope="member", severity="error",
          fields=("members.id_number",))
def _id_missing(ctx):
    return flag(ctx.member_text("id_number").str.strip() == "")


@register("1_01_002", "证件号码为占位号码（前六位为 999999 或 000000，或全部相同数字）",
          kind="identity", scope="member", severity="error", fields=("members.id_number",))
def _id_placeholder(ctx):
    ids = ctx.member_text("id_number")
    return flag(ids.str.match(r"(999999|000000)") | ids.str.fullmatch(r"(\d)\1{9,}[\dXx]?"))


@register("1_01_003", "证件号码长度不是 18 位", kind="identity", scope="member", severity="error",
          fields=("members.id_number", "members.id_type"))
def _id_wrong_length(ctx):
    ids = ctx.member_text("id_number")
    wrong = flag((ids != "") & (ids.str.len() != 18))
    return wrong & ~_is_disability_certificate(ctx)


@register("1_01_004", "证件号码校验位错误", kind="identity", scope="member", severity="error",
          fields=("members.id_number",))
def _id_check_digit(ctx):
    info = id_number_info(ctx)
    return info["well_formed"] & ~info["check_ok"]


@register("1_01_005", "证件号码在多户中重复出现", kind="identity", scope="member", severity="error",
          fields=("members.id_number", "members.household_no"))
def _id_in_several_households(ctx):
    frame = pd.DataFrame({"id": ctx.member_text("id_number").str.upper(), "household": ctx.member_text("household_no")})
    households_per_id = frame.groupby("id", sort=False)["household"].transform("nunique")
    return flag((frame["id"] != "") & (households_per_id > 1))


@register("1_01_006", "证件号码在同一户内重复", kind="identity", scope="member", severity="error",
          fields=("members.id_number", "members.household_no"))
def _id_twice_in_household(ctx):
    frame = pd.DataFrame({"id": ctx.member_text("id_number").str.upper(), "household": ctx.member_text("household_no")})
    return flag((frame["id"] != "") & frame.duplicated(keep=False))


@register("1_01_007", "性别与证件号码不符", kind="identity", scope="member", severity="error",
          fields=("members.sex", "members.id_number"))
def _sex_disagrees_with_id(ctx):
    info = id_number_info(ctx)
    sex = ctx.member_text("sex")
    male, female = flag(sex == "男"), flag(sex == "女")
    return info["well_formed"] & ((male & ~info["male"]) | (female & info["male"]))


@register("1_01_008", "出生日期与证件号码不符", kind="identity", scope="member", severity="error",
          fields=("members.birth_date", "members.id_number"))
def _birth_disagrees_with_id(ctx):
    info = id_number_info(ctx)
    birth = pd.to_datetime(ctx.members["birth_date"], errors="coerce")
    as_int = (birth.dt.year * 10_000 + birth.dt.month * 100 + birth.dt.day).to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(as_int)
    return info["well_formed"] & known & (np.nan_to_num(as_int).astype(np.int64) != info["birth"])


@register("1_01_009", "成员联系电话不是 11 位手机号码", kind="identity", scope="member", severity="warning",
          fields=("members.phone",))
def _member_phone_invalid(ctx):
    phone = ctx.member_text("phone")
    return flag((phone != "") & ~phone.str.fullmatch(MOBILE_PATTERN))


@register("1_01_010", "户联系电话既不是手机号码也不是固定电话", kind="identity", scope="household",
          severity="warning", fields=("households.phone",))
def _household_phone_invalid(ctx):
    phone = ctx.household_text("phone")
    valid = phone.str.fullmatch(MOBILE_PATTERN) | phone.str.fullmatch(LANDLINE_PATTERN)
    return flag((phone != "") & ~valid)


@register("1_01_011", "同一手机号码被多户使用", kind="identity", scope="household", severity="warning",
          fields=("households.phone", "households.household_no"))
def _phone_shared_across_households(ctx):
    frame = pd.DataFrame({"phone": ctx.household_text("phone"), "household": ctx.household_text("household_no")})
    households_per_phone = frame.groupby("phone", sort=False)["household"].transform("nunique")
    return flag((frame["phone"] != "") & (households_per_phone > 1))


@register("1_01_012", "同一手机号码的成员在不同县务工", kind="identity", scope="member", severity="warning",
          fields=("members.phone", "members.work_county_code"))
def _phone_shared_by_workers_in_counties(ctx):
    frame = pd.DataFrame({"phone": ctx.member_text("phone"), "county": ctx.member_text("work_county_code")})
    frame = frame.where(frame["county"] != "", None)
    counties_per_phone = frame.groupby("phone", sort=False)["county"].transform("nunique")
    return flag((ctx.member_text("phone") != "") & (ctx.member_text("work_county_code") != "") & (counties_per_phone > 1))


@register("1_01_013", "户主证件号码不在成员名单中", kind="identity", scope="household", severity="error",
          fields=("households.head_id_number", "members.id_number"))
def _head_id_not_among_members(ctx):
    head_ids = ctx.household_text("head_id_number").str.upper()
    member_ids = ctx.member_text("id_number").str.upper().to_numpy(dtype=object)
    is_head_id = member_ids == ctx.household_value(head_ids.to_numpy(dtype=object))
    return flag(head_ids != "") & ~ctx.any_member(is_head_id)


# --- family logic ---------------------------------------------------------

def _relation(ctx):
    return ctx.member_text("relation_to_head")


@register("2_01_001", "户内没有户主", kind="family", scope="household", severity="error",
          fields=("members.relation_to_head",))
def _no_head(ctx):
    heads = ctx.count_members(_relation(ctx) == "户主")
    return (ctx.member_count > 0) & (heads == 0)


@register("2_01_002", "户内有两个及以上户主", kind="family", scope="household", severity="error",
          fields=("members.relation_to_head",))
def _several_heads(ctx):
    return ctx.count_members(_relation(ctx) == "户主") > 1


@register("2_01_003", "户内有两个及以上配偶", kind="family", scope="household", severity="error",
          fields=("members.relation_to_head",))
def _several_spouses(ctx):
    return ctx.count_members(_relation(ctx) == "配偶") > 1


@register("2_01_004", "与户主关系为男性称谓（之子、之父等）但性别为女", kind="family", scope="member",
          severity="error", fields=("members.relation_to_head", "members.sex"))
def _male_relation_female(ctx):
    return flag(_relation(ctx).isin(_MALE_RELATIONS) & (ctx.member_text("sex") == "女"))


@register("2_01_005", "与户主关系为女性称谓（之女、之母等）但性别为男", kind="family", scope="member",
          severity="error", fields=("members.relation_to_head", "members.sex"))
def _female_relation_male(ctx):
    return flag(_relation(ctx).isin(_FEMALE_RELATIONS) & (ctx.member_text("sex") == "男"))


def _head_value_for_members(ctx, values: np.ndarray, missing):
    """Broadcast the head's value of each household to its members."""
    is_head = flag(_relation(ctx) == "户主")
    per_household = np.full(len(ctx.households), missing, dtype=object)
    positions = ctx.member_household
    chosen = is_head & (positions >= 0)
    per_household[positions[chosen]] = values[chosen]
    return ctx.household_value(per_household)


@register("2_01_006", "配偶与户主性别相同", kind="family", scope="member", severity="error",
          fields=("members.relation_to_head", "members.sex"))
def _spouse_same_sex(ctx):
    sex = ctx.member_text("sex").to_numpy(dtype=object)
    head_sex = _head_value_for_members(ctx, sex, "")
    spouse = flag(_relation(ctx) == "配偶")
    return spouse & (sex != "") & (head_sex == sex)


@register("2_01_007", "家庭人口数与成员人数不符", kind="family", scope="household", severity="error",
          fields=("households.household_size", "members.household_no"))
def _size_disagrees(ctx):
    size = ctx.household_number("household_size")
    return ~np.isnan(size) & (ctx.member_count > 0) & (size != ctx.member_count)


@register("2_01_008", "之子/之女与户主年龄差过小", kind="family", scope="member", severity="warning",
          fields=("members.relation_to_head", "members.birth_date"))
def _child_too_old(ctx):
    head_age = _head_value_for_members(ctx, ctx.age.astype(object), np.nan).astype(float)
    child = flag(_relation(ctx).isin(["之子", "之女"]))
    with np.errstate(invalid="ignore"):
        return child & (head_age - ctx.age < ctx.settings.min_parent_child_gap)


@register("2_01_009", "之父/之母与户主年龄差过小", kind="family", scope="member", severity="warning",
          fields=("members.relation_to_head", "members.birth_date"))
def _parent_too_young(ctx):
    head_age = _head_value_for_members(ctx, ctx.age.astype(object), np.nan).astype(float)
    parent = flag(_relation(ctx).isin(["之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆"]))
    with np.errstate(invalid="ignore"):
        return parent & (ctx.age - head_age < ctx.settings.min_parent_child_gap)


@register("2_01_010", "户信息中有该户但成员表中没有成员", kind="family", scope="household", severity="error",
          fields=("households.household_no", "members.household_no"))
def _household_without_members(ctx):
    return ctx.member_count == 0


@register("2_01_011", "成员所属户编号在户信息中不存在", kind="family", scope="member", severity="error",
          fields=("members.household_no",))
def _member_without_household(ctx):
    return ctx.member_household < 0


# --- age logic ------------------------------------------------------------

def _age_outside(ctx, statuses, bounds) -> np.ndarray:
    low, high = bounds
    in_status = ctx.member_text("school_status").isin(statuses).to_numpy()
    with np.errstate(invalid="ignore"):
        return in_status & ((ctx.age < low) | (ctx.age > high))


@register("3_01_001", "未满 16 周岁但登记有劳动能力", kind="age", scope="member", severity="error",
          fields=("members.birth_date", "members.labor_skill"))
def _child_with_labor(ctx):
    capable = ctx.member_text("labor_skill").isin(LABOR_CAPABLE_SKILLS).to_numpy()
    return capable & (ctx.age < ctx.settings.min_labor_age)


@register("3_01_002", "16–59 周岁、健康、非在校生，但登记为无劳动力或弱劳动力", kind="age", scope="member",
          severity="warning", fields=("members.birth_date", "members.health", "members.school_status",
                                      "members.labor_skill"))
def _adult_without_labor(ctx):
    s = ctx.settings
    weak = ctx.member_text("labor_skill").isin(["无劳动力", "弱劳动力或半劳动力"]).to_numpy()
    healthy = flag(ctx.member_text("health") == "健康")
    in_age = (ctx.age >= s.min_labor_age) & (ctx.age <= s.max_labor_age)
    return weak & healthy & in_age & ~ctx.is_student


@register("3_01_003", "小学在读但年龄不在合理区间", kind="age", scope="member", severity="warning",
          fields=("members.birth_date", "members.school_status"))
def _primary_age(ctx):
    grades = [f"小学{g}年级" for g in "一二三四五六"]
    return _age_outside(ctx, grades, ctx.settings.primary_school_ages)


@register("3_01_004", "初中在读但年龄不在合理区间", kind="age", scope="member", severity="warning",
          fields=("members.birth_date", "members.school_status"))
def _junior_age(ctx):
    return _age_outside(ctx, ["七年级", "八年级", "九年级"], ctx.settings.junior_school_ages)


@register("3_01_005", "高中或中职在读但年龄不在合理区间", kind="age", scope="member", severity="warning",
          fields=("members.birth_date", "members.school_status"))
def _senior_age(ctx):
    grades = [f"{kind}{g}年级" for kind in ("普通高中", "中职") for g in "一二三"]
    return _age_outside(ctx, grades, ctx.settings.senior_school_ages)


@register("3_01_006", "研究生在读但年龄过小", kind="age", scope="member", severity="warning",
          fields=("members.birth_date", "members.school_status"))
def _postgraduate_age(ctx):
    postgraduate = ctx.member_text("school_status").isin(["硕士研究生", "博士研究生"]).to_numpy()
    return postgraduate & (ctx.age < ctx.settings.min_postgraduate_age)


@register("3_01_007", "16–22 周岁非在校生，文化程度为小学及以下", kind="age", scope="member",
          severity="warning", fields=("members.birth_date", "members.education", "members.school_status"))
def _young_low_education(ctx):
    low, high = ctx.settings.low_education_ages
    little = ctx.member_text("education").isin(["文盲或半文盲", "小学"]).to_numpy()
    return little & (ctx.age >= low) & (ctx.age <= high) & ~ctx.is_student


@register("3_01_008", "未满 16 周岁登记有务工", kind="age", scope="member", severity="error",
          fields=("members.birth_date", "members.work_status", "members.work_months"))
def _child_working(ctx):
    return ctx.is_working & (ctx.age < ctx.settings.min_labor_age)


@register("3_01_009", "公益性岗位人员未满 16 周岁或年满 70 周岁", kind="age", scope="member",
          severity="error", fields=("members.birth_date", "members.public_job_type",
                                    "members.public_job_months"))
def _public_job_age(ctx):
    months = np.nan_to_num(ctx.member_number("public_job_months"))
    holds_post = flag(ctx.member_text("public_job_type") != "") | (months > 0)
    s = ctx.settings
    return holds_post & ((ctx.age < s.min_labor_age) | (ctx.age >= s.max_public_job_age))


@register("3_01_010", "学龄前儿童年龄超过学龄前", kind="age", scope="member", severity="warning",
          fields=("members.birth_date", "members.school_status"))
def _preschool_too_old(ctx):
    preschool = ctx.member_text("school_status").isin(["学龄前儿童", "学前教育"]).to_numpy()
    return preschool & (ctx.age > ctx.settings.max_preschool_age)


@register("3_01_011", "出生日期晚于数据年度或年龄超过上限", kind="age", scope="member", severity="error",
          fields=("members.birth_date",))
def _impossible_age(ctx):
    return (ctx.age < 0) | (ctx.age > ctx.settings.max_age)


# --- education ------------------------------------------------------------

@register("4_01_001", "文化程度与在校生状况同时填写", kind="education", scope="member", severity="error",
          fields=("members.education", "members.school_status"))
def _education_and_school(ctx):
    return flag((ctx.member_text("education") != "") & (ctx.member_text("school_status") != ""))


@register("4_01_002", "文化程度与在校生状况均为空", kind="education", scope="member", severity="error",
          fields=("members.education", "members.school_status"))
def _education_nor_school(ctx):
    return flag((ctx.member_text("education") == "") & (ctx.member_text("school_status") == ""))


@register("4_01_003", "辍学原因为因病或因残，但健康状况为健康", kind="education", scope="member",
          severity="error", fields=("members.dropout_reason", "members.health"))
def _dropout_health(ctx):
    return flag(ctx.member_text("dropout_reason").isin(["因病", "因残"]) & (ctx.member_text("health") == "健康"))


@register("4_01_004", "义务教育适龄儿童辍学或未在校", kind="education", scope="member", severity="error",
          fields=("members.birth_date", "members.school_status"))
def _compulsory_not_in_school(ctx):
    low, high = ctx.settings.compulsory_school_ages
    status = ctx.member_text("school_status")
    out_of_school = flag(status.isin(["辍学", ""]))
    return out_of_school & (ctx.age >= low) & (ctx.age <= high)


@register("4_01_005", "填写了辍学原因但在校生状况不是辍学", kind="education", scope="member",
          severity="warning", fields=("members.dropout_reason", "members.school_status"))
def _reason_without_dropout(ctx):
    return flag((ctx.member_text("dropout_reason") != "") & (ctx.member_text("school_status") != "辍学"))


@register("4_01_006", "在校生状况为辍学但未填写辍学原因", kind="education", scope="member",
          severity="warning", fields=("members.dropout_reason", "members.school_status"))
def _dropout_without_reason(ctx):
    return flag((ctx.member_text("dropout_reason") == "") & (ctx.member_text("school_status") == "辍学"))
