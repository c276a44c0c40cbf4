"""The glossary's shared definitions, checked on hand-made members."""

from __future__ import annotations

import pandas as pd
import pytest

from fupin_lib import schema


def _members(rows):
    frame = pd.DataFrame(rows, columns=["year", "birth_date", "labor_skill", "school_status", "work_months", "public_job_months"])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame


@pytest.mark.parametrize(
    "birth_date, labor_skill, school_status, expected",
    [
        ("1980-06-01", "普通劳动力", None, True),
        ("1980-06-01", "技能劳动力", None, True),
        ("1980-06-01", "弱劳动力或半劳动力", None, True),
        ("1980-06-01", "丧失劳动力", None, False),
        ("1980-06-01", "无劳动力", None, False),
        ("2004-12-31", "普通劳动力", None, True),   # 16 at the end of 2020
        ("2005-01-01", "普通劳动力", None, False),  # 15 at the end of 2020
        ("1956-01-01", "普通劳动力", None, True),   # 64
        ("1955-12-31", "普通劳动力", None, False),  # 65
        ("2002-03-01", "普通劳动力", "普通高中三年级", False),  # student
        ("2002-03-01", "普通劳动力", "辍学", True),
        (None, "普通劳动力", None, False),  # unknown age
        ("1980-06-01", None, None, False),  # unknown ability
    ],
)
def test_is_laborer_cases(birth_date, labor_skill, school_status, expected):
    members = _members([(2020, birth_date, labor_skill, school_status, 0, 0)])
    assert bool(schema.is_laborer(members).iloc[0]) is expected


@pytest.mark.parametrize(
    "work_months, public_job_months, expected",
    [(0, 0, False), (1, 0, True), (0.5, 0, False), (0, 1, True), (None, 12, True), (None, None, False), (12, None, True)],
)
def test_is_employed_counts_public_posts(work_months, public_job_months, expected):
    members = _members([(2020, "1980-01-01", "普通劳动力", None, work_months, public_job_months)])
    assert bool(schema.is_employed(members).iloc[0]) is expected


def test_age_at_year_end_counts_december_births():
    ages = schema.age_at_year_end(pd.Series(pd.to_datetime(["2000-12-31", "2000-01-01", None])), 2020)
    assert ages.iloc[0] == 20
    assert ages.iloc[1] == 20
    assert pd.isna(ages.iloc[2])


def test_village_code_is_stable_and_outside_real_range():
    first = schema.village_code("441224110", "莲社村")
    assert first == schema.village_code("441224110", " 莲社村 ")
    assert first.startswith("441224110")
    assert 600 <= int(first[-3:]) <= 999
    assert first != schema.village_code("441224110", "仓社村")


def test_tables_have_unique_columns_and_known_dtypes():
    for table in schema.TABLES.values():
        assert len(set(table.names)) == len(table.names)
        assert set(table.dtypes().values()) <= {"string", "Int64", "Float64", "boolean", "datetime64[ns]"}


def test_headers_map_to_one_column_per_table():
    for table in schema.TABLES.values():
        seen = {}
        for column in table.columns:
            for header in column.headers:
                assert header not in seen, f"{table.name}: {header} names {seen.get(header)} and {column.name}"
                seen[header] = column.name


def test_personal_columns_are_marked():
    assert {"id_number", "name", "phone"} <= set(schema.MEMBERS.pii_columns())
    assert {"head_name", "head_id_number", "phone"} <= set(schema.HOUSEHOLDS.pii_columns())


def test_glossary_names_laborer_and_employed():
    assert schema.TERMS["劳动力"][0] == "laborer"
    assert schema.TERMS["就业"][0] == "employed"


def test_docs_glossary_is_current():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert text == schema.glossary_markdown(), "regenerate docs/glossary.md with fupin_lib.schema.glossary_markdown()"
