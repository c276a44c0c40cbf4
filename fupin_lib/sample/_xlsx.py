"""Fast Excel writing of the sample exports with xlsxwriter's
constant-memory mode: two title rows, the header on row 3, then data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = ["write_export", "cell_values"]


def cell_values(series: pd.Series) -> list:
    """Convert a column to cell values: None for blanks, float or int for
    numbers, str for text."""
    values = series.to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        mask = pd.isna(series).to_numpy()
        values = series.to_numpy(dtype=object)
        values[mask] = None
        return values.tolist()
    out = values.copy()
    out[pd.isna(series).to_numpy() | (series.astype(object) == "").to_numpy()] = None
    return out.tolist()


def write_export(path: Path, title: str, subtitle: str, frame: pd.DataFrame, *, sheet_name: str = "Sheet1") -> Path:
    """Write `frame` as an export: title, subtitle, header row, data rows.

    Values are written as they are: str as text, int and float as numbers,
    None as an empty cell. Columns should be prepared with `cell_values`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "nan_inf_to_errors": True,
    })
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(1, 0, subtitle)
    for column, header in enumerate(frame.columns):
        sheet.write_string(2, column, str(header), bold)

    write_string = sheet.write_string
    write_number = sheet.write_number
    columns = [cell_values(frame[c]) for c in frame.columns]
    for offset, row in enumerate(zip(*columns)):
        r = offset + 3
        for c, value in enumerate(row):
            if value is None:
                continue
            if type(value) is str:
                write_string(r, c, value)
            elif isinstance(value, (bool, np.bool_)):
                write_string(r, c, "是" if value else "否")
            else:
                write_number(r, c, value)
    workbook.close()
    return path
