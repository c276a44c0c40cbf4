"""Data access of the metrics: the run output files of an area and year, the
user's area, and the DuckDB connection that queries them.

Run outputs live in ``<outputs_root>/<county_code>/<year>/<table>.parquet``.
A query lists only the files of the counties inside the requested area (by
path), so a drill-down below county level opens one file per year, and
DuckDB reads only the columns and row groups the query needs. Nothing here
loads a whole table into pandas.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from .._errors import AccessDeniedError, FupinError
from ..cases.access import area_clause

__all__ = [
    "AreaLevel",
    "area_level",
    "child_level",
    "scoped_area",
    "user_area_code",
    "output_files",
    "query",
    "execute",
    "connection",
    "parquet_scan",
    "area_condition",
    "available_years",
    "top_area",
]

logger = logging.getLogger(__name__)

AreaLevel = Literal["country", "province", "city", "county", "township", "village", "household"]

_LEVELS: dict[int, AreaLevel] = {0: "country", 2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
_CHILD: dict[AreaLevel, AreaLevel] = {
    "country": "province", "province": "city", "city": "county",
    "county": "township", "township": "village", "village": "household",
}
_TABLES = ("households", "problems", "employment")

# DuckDB settings of the app kernel: a bounded memory and Parquet footers kept
# between queries, because each drill-down step reads the same files again.
_DUCKDB_MEMORY_LIMIT = "256MB"


def area_level(area_code: str) -> AreaLevel:
    """Return the level of an area code: ``""`` is the whole country, then 2,
    4, 6, 9 and 12 digits for province, city, county, township and village.

    Raises
    ------
    FupinError
        If the code is not one of these lengths or not all digits.
    """
    code = str(area_code)
    if (code and not code.isdigit()) or len(code) not in _LEVELS:
        raise FupinError(f"区域代码应为 2、4、6、9 或 12 位数字（或留空表示全部），得到 {area_code!r}。")
    return _LEVELS[len(code)]


def child_level(area_code: str) -> AreaLevel:
    """Return the level one step below `area_code` (``household`` below a
    village)."""
    return _CHILD[area_level(area_code)]


def user_area_code(user) -> str:
    """Return the area that `user` (a `fupin_lib.cases.access.User`) may see:
    a city, county, township or village code.

    Raises
    ------
    AccessDeniedError
        If there is no signed-in user or the user's role or area is invalid.
    """
    # area_clause validates the user the same way for every app.
    area_clause(user, "village_code")
    return str(user.area_code).strip()


def scoped_area(area_code: str, user) -> str:
    """Return the area actually queried: `area_code` itself when it lies in
    the user's area, the user's area when it lies inside `area_code` (a
    township official who opens the county sees the township), else raise.

    Raises
    ------
    AccessDeniedError
        If the two areas do not overlap.
    """
    area_code = str(area_code or "")
    area_level(area_code)
    allowed = user_area_code(user)
    if area_code.startswith(allowed):
        return area_code
    if allowed.startswith(area_code):
        return allowed
    raise AccessDeniedError(
        f"无权查看区域 {area_code} 的数据：当前用户只能查看区域 {allowed} 。请切换到本人负责的区域。"
    )


def area_condition(area_code: str) -> tuple[str, list]:
    """Return a SQL condition over the output columns that keeps the rows of
    `area_code`, with its parameters."""
    code = str(area_code)
    level = area_level(code)
    if level == "country":
        return "TRUE", []
    if level in ("province", "city"):
        return "starts_with(county_code, ?)", [code]
    column = {"county": "county_code", "township": "township_code", "village": "village_code"}[level]
    return f"{column} = ?", [code]


def output_files(outputs_root, table: str, area_code: str, years) -> list[Path]:
    """List the output files of `table` for the counties inside `area_code`
    and the given years (only those that exist)."""
    if table not in _TABLES:
        raise ValueError(f"table must be one of {_TABLES}, got {table!r}")
    root = Path(outputs_root)
    county_pattern = str(area_code)[:6] if len(str(area_code)) >= 6 else f"{area_code}[0-9]*"
    files = []
    for year in years:
        files += sorted(root.glob(f"{county_pattern}/{int(year)}/{table}.parquet"))
    return files


def available_years(outputs_root, area_code: str = "") -> list[int]:
    """Return the years that have household outputs for some county inside
    `area_code`, in increasing order."""
    root = Path(outputs_root)
    county_pattern = str(area_code)[:6] if len(str(area_code)) >= 6 else f"{area_code}[0-9]*"
    years = {
        int(path.parent.name)
        for path in root.glob(f"{county_pattern}/*/households.parquet")
        if re.fullmatch(r"\d{4}", path.parent.name)
    }
    return sorted(years)


def top_area(outputs_root, user) -> str:
    """Return the area a user's dashboard opens on: the user's own area, or
    for a user who may see everything, the smallest province or city that
    contains every county with outputs."""
    allowed = user_area_code(user)
    if allowed:
        return allowed
    counties = sorted(
        path.name for path in Path(outputs_root).glob("[0-9]*")
        if path.is_dir() and re.fullmatch(r"\d{6}", path.name)
    )
    if not counties:
        return ""
    for length in (4, 2):
        prefixes = {code[:length] for code in counties}
        if len(prefixes) == 1:
            return prefixes.pop()
    return ""


@functools.lru_cache(maxsize=1)
def connection() -> duckdb.DuckDBPyConnection:
    """Return the process's DuckDB connection (in memory). Queries run on
    cursors of it, which share its tables."""
    connection = duckdb.connect(":memory:", config={"memory_limit": _DUCKDB_MEMORY_LIMIT})
    connection.execute("SET parquet_metadata_cache = true")
    return connection


def parquet_scan(files: list[Path]) -> str:
    """Return the SQL table expression that reads `files` (not empty).

    ``union_by_name`` lets a file written by an older run lack a column that
    newer files have.
    """
    quoted = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    return f"read_parquet([{quoted}], union_by_name = true)"


def execute(sql: str, parameters: list) -> pd.DataFrame | None:
    """Run `sql` on a cursor of `connection` and return its (small) result as
    a DataFrame, or None for a statement without a result.

    Raises
    ------
    FupinError
        If DuckDB fails, for example on a damaged or incomplete output file.
    """
    cursor = connection().cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.df() if cursor.description else None
    except duckdb.Error as error:
        raise FupinError(
            f"读取运行结果失败：{error}。请检查 outputs 目录中的文件是否完整，必要时重新运行该县（fupin run）。"
        ) from error
    finally:
        cursor.close()


def query(sql: str, files: list[Path], parameters: list) -> pd.DataFrame:
    """Run `sql` with ``{source}`` replaced by a scan of `files` (not empty)
    and return the result as a DataFrame."""
    return execute(sql.format(source=parquet_scan(files)), parameters)
