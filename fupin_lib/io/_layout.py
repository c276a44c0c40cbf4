"""Header detection and table detection.

The header is the row (or pair of rows, for merged group headers) whose cells
match the most known Chinese headers of `fupin_lib.schema.TABLES`. The table
of a sheet follows from which canonical columns its headers name.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from ..schema import MEMBERS, TABLES
from ._text import cell_to_text, normalize_header

__all__ = ["HEADER_SCAN_ROWS", "Layout", "detect_header", "detect_tables", "map_headers", "header_unit"]

HEADER_SCAN_ROWS = 30

# Units written after a header, e.g. 人均纯收入(元) or 住房面积（平方米）.
_UNIT = re.compile(r"\((元|万元|月|个月|人|平方米|㎡|岁)\)$")
_UNIT_FACTORS = {"万元": 10000.0}

# Household columns that a member sheet also carries without being a roster.
_SHARED = {"year", "household_no", "county_code", "phone"}


@functools.lru_cache(maxsize=None)
def _header_index() -> dict[str, dict[str, str]]:
    """Map each normalised header to ``{table name: column name}``."""
    index: dict[str, dict[str, str]] = {}
    for table in TABLES.values():
        for column in table.columns:
            for header in column.headers:
                index.setdefault(normalize_header(header), {}).setdefault(table.name, column.name)
    return index


def _lookup(header: str) -> dict[str, str]:
    index = _header_index()
    if header in index:
        return index[header]
    stripped = _UNIT.sub("", header)
    return index.get(stripped, {})


def header_unit(header: str) -> float:
    """Return the multiplier that a unit in the header implies (万元: 10000)."""
    found = _UNIT.search(normalize_header(header))
    return _UNIT_FACTORS.get(found.group(1), 1.0) if found else 1.0


@dataclasses.dataclass
class Layout:
    """Position and text of the header of a sheet.

    Attributes
    ----------
    header_row : int
        0-based index of the last header row; data start on the next row.
    header_rows : int
        1, or 2 for a two-row (merged group) header.
    headers : list of str
        The header text of each column as written (group header joined in).
    title : str
        Text of the rows above the header (title rows), joined by spaces.
    """

    header_row: int
    header_rows: int
    headers: list[str]
    title: str


def _score(cells) -> int:
    return sum(1 for cell in cells if _lookup(normalize_header(cell)))


def detect_header(rows: list[list]) -> Layout | None:
    """Find the header in the first rows of a sheet.

    Every row is tried alone and merged with the row below it (the lower cell
    wins where it is not blank, as in a merged group header). The candidate
    matching the most known headers wins; a two-row header must match more
    than either of its rows alone.

    Returns
    -------
    Layout or None
        None when no row matches at least two known headers.
    """
    texts = [[cell_to_text(cell).strip() for cell in row] for row in rows[:HEADER_SCAN_ROWS]]
    singles = [_score(row) for row in texts]
    best = None
    for position, row in enumerate(texts):
        if best is None or singles[position] > best[0]:
            best = (singles[position], position, 1, row)
    for position in range(len(texts) - 1):
        upper, lower = texts[position], texts[position + 1]
        width = max(len(upper), len(lower))
        upper = upper + [""] * (width - len(upper))
        lower = lower + [""] * (width - len(lower))
        merged = [low or up for up, low in zip(upper, lower)]
        score = _score(merged)
        if score > max(singles[position], singles[position + 1]) and score > best[0]:
            best = (score, position, 2, merged)
    if best is None or best[0] < 2:
        return None
    score, position, n_rows, cells = best
    title = " ".join(" ".join(c for c in row if c) for row in texts[:position]).strip()
    return Layout(position + n_rows - 1, n_rows, cells, title)


def map_headers(headers: list[str], table_name: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Map header positions to the columns of one table.

    Returns
    -------
    mapping : dict of str to int
        Column name to the position of its header (the first one when two
        headers name the same column).
    unknown : list of str
        Non-blank headers that name no column of any table.
    duplicated : list of str
        Headers that name a column already mapped.
    """
    mapping: dict[str, int] = {}
    unknown, duplicated = [], []
    for position, header in enumerate(headers):
        normalized = normalize_header(header)
        if not normalized:
            continue
        found = _lookup(normalized)
        if not found:
            unknown.append(header)
            continue
        name = found.get(table_name)
        if name is None:
            continue
        if name in mapping:
            duplicated.append(header)
        else:
            mapping[name] = position
    return mapping, unknown, duplicated


def detect_tables(headers: list[str]) -> list[str]:
    """Decide from its headers which canonical tables a sheet contains.

    Returns
    -------
    list of str
        ``["households", "members"]`` for a flat per-person roster,
        one table name otherwise, and ``[]`` when no table's required columns
        are all present.
    """
    present = {name: set(map_headers(headers, name)[0]) for name in TABLES}

    def complete(name):
        required = {c.name for c in TABLES[name].columns if c.required}
        return required <= present[name]

    for name in ("placements", "verifications"):
        if complete(name):
            return [name]
    if complete("members") or {"household_no", "id_number"} <= present["members"]:
        # Area names count too, because a member sheet with village names
        # also gives where each household lives.
        household_only = present["households"] - set(MEMBERS.names) - _SHARED
        return ["households", "members"] if household_only else ["members"]
    for name in ("households", "postings", "trainings"):
        if complete(name):
            return [name]
    return []
