"""Turn one raw sheet into canonical rows of one or two tables, and record
every problem with the place where it sits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..schema import TABLES
from ._layout import detect_tables, header_unit, map_headers
from ._readers import RawSheet
from ._text import cell_to_text, unique_codes
from ._values import parse_values

__all__ = ["SheetRows", "parse_sheet", "REJECT_COLUMNS", "ISSUE_COLUMNS"]

# Columns whose value identifies a row: a row without a readable value is
# rejected. The other required columns only produce warnings.
REJECT_COLUMNS = {
    "households": ("household_no",),
    "members": ("household_no", "id_number"),
    "verifications": ("household_no", "verify_date"),
    "postings": ("posting_id",),
    "trainings": ("training_id",),
    "placements": ("household_no", "id_number", "posting_id"),
}

ISSUE_COLUMNS = ["sheet_id", "pos", "table", "column", "value", "reason", "severity"]

_ZH_NAMES = {name: {c.name: c.zh for c in table.columns} for name, table in TABLES.items()}


@dataclasses.dataclass
class SheetRows:
    """Canonical rows parsed from one sheet.

    Attributes
    ----------
    raw : RawSheet
    sheet_id : int
        Position of the sheet among all sheets of one import.
    tables : list of str
        Detected tables; the last one is the sheet's primary table (members
        for a roster), whose rows are counted.
    frames : dict of str to DataFrame
        Parsed rows per table, one per sheet row, with a ``_pos`` column
        (row position in the sheet).
    rejects : dict of str to ndarray of bool
        Rows rejected per table.
    issues : list of DataFrame
        Problems found, in `ISSUE_COLUMNS`.
    unknown_headers, duplicated_headers : list of str
    """

    raw: RawSheet
    sheet_id: int
    tables: list
    frames: dict
    rejects: dict
    issues: list
    unknown_headers: list
    duplicated_headers: list

    @property
    def primary(self) -> str | None:
        """The table whose rows the sheet counts."""
        return self.tables[-1] if self.tables else None


def issue_frame(sheet_id, positions, table, column, values, reasons, severity) -> pd.DataFrame:
    """Build issue records for rows of one sheet."""
    positions = np.asarray(positions, dtype=np.int64)
    n = len(positions)
    return pd.DataFrame({
        "sheet_id": np.full(n, sheet_id, dtype=np.int64),
        "pos": positions,
        "table": table,
        "column": column,
        "value": np.asarray(values, dtype=object) if not np.isscalar(values) else np.full(n, values, dtype=object),
        "reason": np.asarray(reasons, dtype=object) if not isinstance(reasons, str) else np.full(n, reasons, dtype=object),
        "severity": severity,
    })


def parse_sheet(raw: RawSheet, sheet_id: int) -> SheetRows:
    """Parse the cells of a sheet into the canonical columns of its tables.

    Each column is parsed once per distinct value. Values that cannot be
    read become missing with a warning; a missing or destroyed key rejects
    the row.
    """
    n = raw.n_rows
    headers = raw.layout.headers if raw.layout else []
    tables = detect_tables(headers) if raw.layout else []
    issues: list[pd.DataFrame] = []
    frames: dict[str, pd.DataFrame] = {}
    rejects: dict[str, np.ndarray] = {}
    unknown, duplicated = [], []
    codes_cache: dict[int, tuple] = {}
    parsed_cache: dict[tuple, tuple] = {}

    for table_name in tables:
        mapping, unknown, duplicated = map_headers(headers, table_name)
        table = TABLES[table_name]
        columns = {"_pos": np.arange(n, dtype=np.int64)}
        reject = np.zeros(n, dtype=bool)
        for name, position in mapping.items():
            column = table.column(name)
            key = (position, name, column.dtype)
            first_time = key not in parsed_cache
            if first_time:
                if position not in codes_cache:
                    codes_cache[position] = unique_codes(raw.columns[position])
                codes, uniques = codes_cache[position]
                parsed = parse_values(uniques, column, date1904=raw.date1904, unit=header_unit(headers[position]))
                parsed_cache[key] = (codes, uniques, parsed)
            codes, uniques, parsed = parsed_cache[key]
            values = parsed.values.take(codes).reset_index(drop=True)
            columns[name] = values
            for extra_name, extra_values in parsed.extra.items():
                if extra_name in table.names and extra_name not in mapping:
                    columns[extra_name] = extra_values.take(codes).reset_index(drop=True)
            if name in REJECT_COLUMNS[table_name]:
                missing = values.isna().to_numpy()
                blank = missing & ~parsed.has_reason[codes]
                if blank.any():
                    rows = np.flatnonzero(blank)
                    issues.append(issue_frame(sheet_id, rows, table_name, headers[position], "",
                                              f"{_ZH_NAMES[table_name][name]}为空，无法识别该行", "reject"))
                reject |= missing | parsed.reject[codes]
            if first_time:
                issues.append(_parsed_issues(sheet_id, table_name, headers[position], codes, uniques, parsed,
                                             rejects_row=name in REJECT_COLUMNS[table_name]))
        frame = pd.DataFrame(columns)
        if "id_type" in frame and "id_type" in mapping and "id_number" in mapping:
            derived = parsed_cache[(mapping["id_number"], "id_number", "string")][2].extra["id_type"]
            derived = derived.take(parsed_cache[(mapping["id_number"], "id_number", "string")][0]).reset_index(drop=True)
            frame["id_type"] = frame["id_type"].fillna(derived)
        frames[table_name] = frame
        rejects[table_name] = reject

    for number, reason, text in raw.skipped:
        issues.append(pd.DataFrame({"sheet_id": [sheet_id], "pos": [-1], "table": [tables[-1] if tables else ""],
                                    "column": [""], "value": [text], "reason": [reason], "severity": ["reject"],
                                    "row": [number]}))
    return SheetRows(raw, sheet_id, tables, frames, rejects, issues, unknown, duplicated)


def _parsed_issues(sheet_id, table_name, header, codes, uniques, parsed, *, rejects_row) -> pd.DataFrame:
    has_reason = parsed.has_reason
    if not has_reason.any():
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    rows = np.flatnonzero(has_reason[codes])
    row_codes = codes[rows]
    # The original text goes to the report, before any clean-up.
    text_by_code = np.full(len(uniques), "", dtype=object)
    text_by_code[has_reason] = [cell_to_text(value) for value in np.asarray(uniques, dtype=object)[has_reason]]
    severity = np.where(parsed.reject[row_codes] & rejects_row, "reject", "warning")
    frame = issue_frame(sheet_id, rows, table_name, header, text_by_code[row_codes], parsed.reason[row_codes], "warning")
    frame["severity"] = severity
    return frame
