"""Excel writing for people: Chinese headers, values only, no formulas.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` would be read as a
formula by Excel and WPS (formula injection). Such text gets a leading single
quote, and every cell is written as a value: xlsxwriter's automatic conversion
of strings to formulas and URLs is switched off.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["neutralise_formula", "write_excel"]

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Return `value` unchanged unless it is text that a spreadsheet would
    take for a formula; such text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_excel(sheets: dict[str, pd.DataFrame], path: str | os.PathLike, *,
                headers: dict[str, str] | None = None) -> Path:
    """Write DataFrames to an .xlsx file, one sheet each, values only.

    Parameters
    ----------
    sheets : dict of str to DataFrame
        Sheet name (Chinese, at most 31 characters) to its table.
    path : path-like
        Target file; written to a temporary name first and then renamed, so a
        reader never sees half a file.
    headers : dict of str to str, optional
        Column name to Chinese header; columns not listed keep their name.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    headers = headers or {}
    with pd.ExcelWriter(partial, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False,
                                                   "strings_to_urls": False}}) as writer:
        for sheet_name, frame in sheets.items():
            safe = frame.rename(columns=headers).copy()
            for column in safe.columns:
                if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
                    safe[column] = safe[column].astype(object).map(neutralise_formula)
            safe.to_excel(writer, sheet_name=sheet_name[:31], index=False)
            worksheet = writer.sheets[sheet_name[:31]]
            worksheet.freeze_panes(1, 0)
            for position, column in enumerate(safe.columns):
                width = min(40, max(8, len(str(column)) * 2 + 2))
                worksheet.set_column(position, position, width)
    os.replace(partial, path)
    return path
