"""The glossary: official Chinese terms, their code names, and the definitions
that every part of the workbench shares.

Column headers map to code names through the table specifications in
`fupin_lib.schema`. This module adds the terms that are not columns (laborer,
employed, the case states, the roles) and one function per shared definition.
The checks, the risk model, the matcher and the dashboard all call these
functions, so they count the same people.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

__all__ = [
    "TERMS",
    "LABOR_CAPABLE_SKILLS",
    "LABORER_MIN_AGE",
    "LABORER_MAX_AGE",
    "age_at_year_end",
    "is_student",
    "is_laborer",
    "is_employed",
    "village_code",
    "glossary_markdown",
]

# Official term -> (code name, English gloss). Column terms are listed too, so
# that a reader can search one place; their full specifications are in the tables.
TERMS: dict[str, tuple[str, str]] = {
    "建档立卡贫困户": ("registered_household", "household registered as poor in the national system"),
    "脱贫户": ("household_type='脱贫户'", "household that has exited poverty"),
    "户编号": ("household_no", "household key in the national system"),
    "人编号": ("person_no", "person key in the national system"),
    "证件号码": ("id_number", "18-digit resident ID number"),
    "与户主关系": ("relation_to_head", "relation to the head of household"),
    "户主": ("head", "head of household"),
    "劳动力": ("laborer", "member aged 16–64 able to work and not a student, see is_laborer"),
    "就业": ("employed", "worked at least one month in the year, see is_employed"),
    "劳动技能": ("labor_skill", "labour ability as registered"),
    "务工时间": ("work_months", "months worked in the year"),
    "公益性岗位": ("public_job", "public-welfare post, the last-resort channel"),
    "扶贫车间": ("poverty_workshop", "workshop set up in the village to employ poor laborers; 帮扶车间 after 2021"),
    "三个一批": ("three_channels", "产业转产, 扶贫车间 and 公益性岗位托底: the three employment channels"),
    "就业奖补": ("employment_subsidy", "subsidy for stable employment or casual work"),
    "两不愁三保障": ("basic_needs", "food and clothing; compulsory education, basic medical care, safe housing"),
    "饮水安全": ("safe_drinking_water", "safe drinking water secured"),
    "人均纯收入": ("net_income_per_capita", "net income divided by household size, yuan per year"),
    "合规自付支出": ("compliant_expense", "out-of-pocket rigid expenditure after insurance and aid"),
    "监测线": ("monitoring_line", "per-capita income line by province and year, in parameters/defaults.yaml"),
    "监测对象": ("monitored_household", "household identified for anti-return monitoring"),
    "脱贫不稳定户": ("unstable_exited", "exited household at risk of returning to poverty"),
    "边缘易致贫户": ("edge_household", "never-registered household at risk of falling into poverty"),
    "突发严重困难户": ("sudden_hardship_household", "household hit by a sudden severe hardship"),
    "风险消除": ("risk_eliminated", "monitoring ended because the risk was removed"),
    "帮扶消除": ("eliminated_by_assistance", "risk removed by assistance measures"),
    "自然消除": ("eliminated_naturally", "risk removed without assistance"),
    "疑点核查": ("consistency_check", "coded consistency check over an export"),
    "问题清单": ("problem_list", "list of problems found by checks and verifiers"),
    "整改台账": ("problem_ledger", "ledger that tracks each problem to closure"),
    "整改清零": ("ledger_cleared", "every problem item closed"),
    "销号": ("closed", "problem item or household closed in the ledger"),
    "回头看": ("verification_round", "follow-up verification visit of every household"),
    "核查表": ("verification_record", "what a cadre records during a verification visit"),
    "帮扶责任人": ("helper", "cadre responsible for helping a household"),
    "线索": ("case_state='flagged'", "first state of a monitoring case"),
    "领导": ("role='leader'", "read-only, masked view"),
    "审核员": ("role='reviewer'", "decides on cases"),
    "帮扶干部": ("role='cadre'", "works the cases assigned to them"),
    "管理员": ("role='admin'", "users and audit log"),
}

LABOR_CAPABLE_SKILLS = ("技能劳动力", "普通劳动力", "弱劳动力或半劳动力")
LABORER_MIN_AGE = 16
LABORER_MAX_AGE = 64

# School statuses that do not make someone a student.
_NOT_STUDENT = {"", "学龄前儿童", "辍学", "其他"}


def age_at_year_end(birth_date: pd.Series, year: int | pd.Series) -> pd.Series:
    """Compute each person's age in whole years on 31 December of `year`.

    The registers count age at the end of the data year, so a person born in
    December is already a year older for that year's record.

    Parameters
    ----------
    birth_date : Series of datetime64
    year : int or Series of int
        The data year, the same for all rows or one per row.

    Returns
    -------
    Series of Int64
        Missing where the birth date is missing.
    """
    birth = pd.to_datetime(birth_date, errors="coerce")
    years = pd.Series(year, index=birth.index) if np.isscalar(year) else pd.Series(year)
    age = years.astype("Int64") - birth.dt.year.astype("Int64")
    return age.astype("Int64")


def is_student(members: pd.DataFrame) -> pd.Series:
    """Mark members who are in school (在校生): a school status other than
    pre-school, dropout or blank."""
    status = members["school_status"].astype("string").fillna("").str.strip()
    return ~status.isin(_NOT_STUDENT)


def is_laborer(members: pd.DataFrame) -> pd.Series:
    """Mark the laborers (劳动力) among `members`.

    A laborer is a member aged 16–64 at the end of the data year whose 劳动技能
    is 技能劳动力, 普通劳动力 or 弱劳动力或半劳动力 and who is not a student.

    Parameters
    ----------
    members : DataFrame
        Canonical member rows with ``year``, ``birth_date``, ``labor_skill``
        and ``school_status``.

    Returns
    -------
    Series of bool
        False where the age or the labour ability is unknown.
    """
    age = age_at_year_end(members["birth_date"], members["year"])
    in_age = age.between(LABORER_MIN_AGE, LABORER_MAX_AGE).fillna(False).astype(bool)
    capable = members["labor_skill"].isin(LABOR_CAPABLE_SKILLS).fillna(False).astype(bool)
    return in_age & capable & ~is_student(members)


def is_employed(members: pd.DataFrame) -> pd.Series:
    """Mark members employed in the data year (就业).

    Employed means at least one month of work in the year in any channel,
    public-welfare posts included: ``work_months >= 1`` or
    ``public_job_months >= 1``. The rate of employed laborers is
    ``(is_laborer & is_employed).sum() / is_laborer.sum()``.

    Returns
    -------
    Series of bool
    """
    months = pd.to_numeric(members["work_months"], errors="coerce").fillna(0)
    if "public_job_months" in members:
        public = pd.to_numeric(members["public_job_months"], errors="coerce").fillna(0)
        months = months.where(months >= public, public)
    return (months >= 1).astype(bool)


def village_code(township_code: str, village_name: str) -> str:
    """Derive a stable 12-digit village code from the township code and the
    village name.

    NBS village codes are the 9-digit township code followed by 3 digits, with
    001–599 used for residents' committees and villages. Exports of the
    2014–2020 roster carry only village names, so the workbench derives the last
    three digits from a hash of the name into 600–999, a range that real codes
    do not use. Two names of one township can meet in that range: the importer
    detects such collisions and reports them (see `fupin_lib.io`).

    Examples
    --------
    >>> village_code("441224110", "莲社村")[:9]
    '441224110'
    >>> len(village_code("441224110", "莲社村"))
    12
    """
    digest = hashlib.sha1(f"{township_code}|{village_name.strip()}".encode("utf-8")).digest()
    suffix = 600 + int.from_bytes(digest[:4], "big") % 400
    return f"{township_code}{suffix:03d}"


def glossary_markdown() -> str:
    """Render the glossary as Markdown: the terms, then every column of every
    canonical table with its Chinese header, code name, type and aliases.

    ``docs/glossary.md`` is this text; a test keeps the two equal.
    """
    from ._tables import TABLES

    lines = [
        "# 术语表 Glossary",
        "",
        "Official Chinese terms and the code names that stand for them. Generated by",
        "`fupin_lib.schema.glossary_markdown()`; do not edit by hand.",
        "",
        "## Terms",
        "",
        "| 术语 | code name | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| {term} | `{code}` | {meaning} |" for term, (code, meaning) in TERMS.items()]
    for table in TABLES.values():
        lines += ["", f"## {table.zh} `{table.name}`", "", "| 表头 | column | type | header variants |", "|---|---|---|---|"]
        for column in table.columns:
            aliases = "、".join(column.aliases)
            lines.append(f"| {column.zh} | `{column.name}` | {column.dtype} | {aliases} |")
    return "\n".join(lines) + "\n"
