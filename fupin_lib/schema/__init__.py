"""Canonical tables, allowed values, Chinese header aliases and the glossary."""

from ._columns import Column, Table
from ._glossary import (
    LABOR_CAPABLE_SKILLS,
    LABORER_MAX_AGE,
    LABORER_MIN_AGE,
    TERMS,
    age_at_year_end,
    glossary_markdown,
    is_employed,
    is_laborer,
    is_student,
    village_code,
)
from ._tables import *  # noqa: F401,F403  (the table specs and value sets)
from ._tables import __all__ as _table_names

__all__ = [
    "Column",
    "Table",
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
    *_table_names,
]
