"""Lookups over the NBS division table shipped in ``geo/data`` (see its
SOURCE.md for origin and date)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import pandas as pd

__all__ = [
    "divisions",
    "division_name",
    "find_code",
    "level_of",
    "parent_code",
    "counties_of_city",
    "townships_of_county",
]

Level = Literal["province", "city", "county", "township", "village"]

_FILES = {"province": "provinces.csv", "city": "cities.csv", "county": "areas.csv", "township": "streets.csv"}
_LENGTHS = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}


@functools.lru_cache(maxsize=1)
def divisions() -> pd.DataFrame:
    """Return every division down to townships: ``code``, ``name``, ``level``
    and ``parent_code``, with codes as strings."""
    frames = []
    parent_column = {"province": None, "city": "provinceCode", "county": "cityCode", "township": "areaCode"}
    for level, file_name in _FILES.items():
        with resources.files(__package__).joinpath("data", file_name).open("rb") as handle:
            table = pd.read_csv(handle, dtype=str)
        parent = table[parent_column[level]] if parent_column[level] else pd.Series(pd.NA, index=table.index)
        frames.append(pd.DataFrame({"code": table["code"], "name": table["name"], "level": level, "parent_code": parent}))
    return pd.concat(frames, ignore_index=True).astype("string")


@functools.lru_cache(maxsize=1)
def _names_by_code() -> dict[str, str]:
    table = divisions()
    # tolist() converts in one pass: iterating Arrow-backed Series is slow.
    return dict(zip(table["code"].tolist(), table["name"].tolist()))


def level_of(code: str) -> Level:
    """Return the level of a division code from its length (2, 4, 6, 9 or 12
    digits).

    Raises
    ------
    ValueError
        If the code is not 2, 4, 6, 9 or 12 digits.
    """
    code = str(code)
    if not code.isdigit() or len(code) not in _LENGTHS:
        raise ValueError(f"区划代码应为 2、4、6、9 或 12 位数字，得到 {code!r}")
    return _LENGTHS[len(code)]


def parent_code(code: str) -> str | None:
    """Return the code of the division that contains `code`, or None for a
    province."""
    cuts = {4: 2, 6: 4, 9: 6, 12: 9}
    code = str(code)
    level_of(code)
    return code[: cuts[len(code)]] if len(code) in cuts else None


def division_name(code: str) -> str | None:
    """Return the name of a province, city, county or township code, or None
    if the table does not contain it."""
    return _names_by_code().get(str(code))


def find_code(name: str, *, level: Level, within: str | None = None) -> str | None:
    """Find the code of a division by its name.

    Parameters
    ----------
    name : str
        Full name (``怀集县``) or name without the suffix (``怀集``).
    level : {"province", "city", "county", "township"}
    within : str, optional
        Code of a division that must contain the match (a city for a county,
        a county for a township). Needed for townships, whose names repeat.

    Returns
    -------
    str or None
        None when nothing or more than one division matches.
    """
    table = divisions()
    rows = table[table["level"] == level]
    if within is not None:
        rows = rows[rows["code"].str.startswith(str(within))]
    name = str(name).strip()
    exact = rows[rows["name"] == name]
    if len(exact) == 1:
        return str(exact["code"].iloc[0])
    prefix = rows[rows["name"].str.startswith(name)] if len(name) >= 2 else rows.iloc[0:0]
    if len(exact) == 0 and len(prefix) == 1:
        return str(prefix["code"].iloc[0])
    return None


def counties_of_city(city_code: str) -> pd.DataFrame:
    """Return the county-level divisions of a city: ``code`` and ``name``."""
    table = divisions()
    rows = table[(table["level"] == "county") & (table["parent_code"] == str(city_code))]
    return rows[["code", "name"]].reset_index(drop=True)


def townships_of_county(county_code: str) -> pd.DataFrame:
    """Return the townships of a county: ``code`` and ``name``."""
    table = divisions()
    rows = table[(table["level"] == "township") & (table["parent_code"] == str(county_code))]
    return rows[["code", "name"]].reset_index(drop=True)
