"""Readers for .xlsx (python-calamine), .xls (xlrd) and CSV (pyarrow).

Each reader returns `RawSheet` objects: the detected header, one object array
of raw cells per column, and the row number of every data row as Excel (or a
text editor, for CSV) shows it. Cells keep the type the file stored (text,
number, date) so that a number standing in for an ID can be recognised.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import re
import zipfile
from pathlib import Path

import numpy as np

from .._errors import InputFileError
from ._layout import HEADER_SCAN_ROWS, Layout, detect_header
from ._text import code_columns

__all__ = ["RawSheet", "read_sheets", "decode_csv_bytes"]

logger = logging.getLogger(__name__)

# Tried in this order; GB18030 is a superset of GBK and GB2312.
CSV_ENCODINGS = ("utf-8", "gb18030")


@dataclasses.dataclass
class RawSheet:
    """One sheet (or CSV file) with its header found.

    Attributes
    ----------
    file, sheet : str
        Source file path and sheet name (``""`` for CSV).
    layout : Layout or None
        The detected header; None when no header was found.
    columns : list of CodedCells, ndarray of object or pyarrow.DictionaryArray
        Raw cells of each column, data rows only: numbered cells for Excel,
        dictionary-encoded Arrow text for CSV.
    row_numbers : ndarray of int64
        1-based row (or line) number of each data row.
    encoding : str or None
        Text encoding of a CSV file.
    date1904 : bool
        Excel serial dates count from 1904.
    skipped : list of tuple
        ``(row number, Chinese reason, text)`` of rows the reader could not
        split into cells (CSV rows with a wrong number of fields).
    unread_rows : int
        Non-blank rows of a sheet whose header was not found.
    """

    file: str
    sheet: str
    layout: Layout | None
    columns: list
    row_numbers: np.ndarray
    encoding: str | None = None
    date1904: bool = False
    skipped: list = dataclasses.field(default_factory=list)
    unread_rows: int = 0

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.row_numbers)


def read_sheets(path: str | Path) -> list[RawSheet]:
    """Read every sheet of an export file.

    Raises
    ------
    InputFileError
        If the file is missing, of an unknown type, or cannot be decoded.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"找不到文件 {path}，请检查路径。", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        return _read_xls(path)
    if suffix in (".csv", ".txt"):
        return [_read_csv(path)]
    raise InputFileError(f"不支持的文件类型 {path.suffix!r}：{path}。请提供 .xlsx、.xls 或 .csv 文件。",
                         file=str(path))


def _sheet_from_rows(path, sheet, rows, *, date1904=False) -> RawSheet:
    layout = detect_header(rows)
    if layout is None:
        filled = sum(1 for row in rows if any(cell not in ("", None) for cell in row))
        return RawSheet(str(path), sheet, None, [], np.arange(0, dtype=np.int64), date1904=date1904,
                        unread_rows=filled)
    width = len(layout.headers)
    data = rows[layout.header_row + 1:]
    if any(len(row) != width for row in data):
        data = [list(row[:width]) + [""] * (width - len(row)) for row in data]
    # A blank row has only "" and None. `any` in C rules out nearly every row
    # at once; the few left (a row of zeros, say) are checked cell by cell.
    candidates = [index for index, row in enumerate(data) if not any(row)]
    keep = np.ones(len(data), dtype=bool)
    keep[[index for index in candidates if all(cell == "" or cell is None for cell in data[index])]] = False
    row_numbers = np.arange(layout.header_row + 2, layout.header_row + 2 + len(data), dtype=np.int64)[keep]
    # One two-dimensional array in one call: far cheaper than transposing the
    # lists in Python.
    matrix = np.empty((len(data), width), dtype=object)
    if data:
        matrix[:] = data
    if not keep.all():
        matrix = matrix[keep]
    columns = code_columns(matrix)
    return RawSheet(str(path), sheet, layout, columns, row_numbers, date1904=date1904)


def _is_1904(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")[:4000].decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile):
        return False
    return re.search(r'date1904="(1|true)"', workbook) is not None


def _read_xlsx(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise InputFileError(f"无法打开 Excel 文件 {path}：{error}。请确认文件未损坏、未加密，"
                             "并用 Excel 另存为 .xlsx 后重试。", file=str(path)) from error
    date1904 = _is_1904(path)
    sheets = []
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        sheets.append(_sheet_from_rows(path, name, rows, date1904=date1904))
    return sheets


def _read_xls(path: Path) -> list[RawSheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except (xlrd.XLRDError, OSError, ValueError, AssertionError) as error:
        raise InputFileError(f"无法打开 .xls 文件 {path}：{error}。请确认文件未损坏，"
                             "或用 Excel 另存为 .xlsx 后重试。", file=str(path)) from error
    sheets = []
    for sheet in book.sheets():
        rows = []
        for index in range(sheet.nrows):
            values = sheet.row_values(index)
            types = sheet.row_types(index)
            row = []
            for value, kind in zip(values, types):
                if kind == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                        pass
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif kind == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(value, "#ERROR")
                row.append(value)
            rows.append(row)
        sheets.append(_sheet_from_rows(path, sheet.name, rows, date1904=book.datemode == 1))
    return sheets


def decode_csv_bytes(data: bytes, path: str = "") -> tuple[str, str]:
    """Decode CSV bytes strictly: UTF-8 (with or without BOM), then GB18030.

    Returns
    -------
    text : str
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` or ``"gb18030"``.

    Raises
    ------
    InputFileError
        If neither encoding decodes every byte.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            failure = error
    else:
        failure = None
        for encoding in CSV_ENCODINGS:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as error:
                failure = failure or error
    line = data[: failure.start].count(b"\n") + 1
    column = failure.start - (data.rfind(b"\n", 0, failure.start) + 1) + 1
    raise InputFileError(
        f"无法解码 CSV 文件 {path}：第 {line} 行第 {column} 个字节处的内容既不是 UTF-8 也不是 GB18030/GBK。"
        "请用 Excel 或记事本把文件另存为“CSV UTF-8”后重试。",
        file=path, row=line, value=data[failure.start:failure.start + 4])


def _read_csv(path: Path) -> RawSheet:
    import pyarrow as pa
    import pyarrow.compute as pc

    data = path.read_bytes()
    encoding = "utf-8"
    if data.startswith(_BOM):
        data, encoding = data[len(_BOM):], "utf-8-sig"
    head = data[: 1 << 20]
    if len(head) < len(data):
        head = head[: head.rfind(b"\n") + 1]
    try:
        head_text = head.decode("utf-8")
    except UnicodeDecodeError:
        data, encoding = _transcode(data, encoding, path)
        head_text = data[: len(head) * 2].decode("utf-8", "ignore")

    layout = detect_header(list(csv.reader(head_text.splitlines()[:HEADER_SCAN_ROWS])))
    if layout is None:
        if encoding in ("utf-8", "utf-8-sig"):
            decode_csv_bytes(data, str(path))  # raises on bytes that are not UTF-8
        filled = sum(1 for line in data.decode("utf-8").splitlines() if line.strip(" ,\t"))
        return RawSheet(str(path), "", None, [], np.arange(0, dtype=np.int64), encoding=encoding,
                        unread_rows=filled)

    names = [f"c{i}" for i in range(len(layout.headers))]
    try:
        table, skipped_lines = _arrow_read(data, layout, names)
    except pa.ArrowInvalid as error:
        # pyarrow checks that text columns are valid UTF-8, so the whole file
        # is decoded in Python only when it is not.
        if "utf8" not in str(error).lower() or encoding != "utf-8":
            raise InputFileError(f"无法读取 CSV 文件 {path}：{error}。请用 Excel 打开后另存为“CSV UTF-8”再试。",
                                 file=str(path)) from error
        data, encoding = _transcode(data, encoding, path)
        table, skipped_lines = _arrow_read(data, layout, names)

    first_line = layout.header_row + 2
    row_numbers, skipped_lines = _csv_line_numbers(data, first_line, table.num_rows, len(names), skipped_lines)
    # Each block of the file has its own dictionary: one shared dictionary
    # per column lets a value be numbered once for the whole file.
    table = table.unify_dictionaries()
    columns = [table.column(n).combine_chunks() for n in names]
    blank = np.ones(table.num_rows, dtype=bool)
    for column in columns:
        empty_entry = pc.equal(column.dictionary, "").to_numpy(zero_copy_only=False)
        if not empty_entry.any():  # a column never empty: no row is blank
            blank[:] = False
            break
        blank &= empty_entry[column.indices.to_numpy(zero_copy_only=False)]
    keep = ~blank
    if not keep.all():
        mask = pa.array(keep)
        columns = [column.filter(mask) for column in columns]
        row_numbers = row_numbers[keep]
    return RawSheet(str(path), "", layout, columns, row_numbers, encoding=encoding,
                    skipped=_skipped_rows(skipped_lines))


_BOM = b"\xef\xbb\xbf"


def _transcode(data: bytes, encoding: str, path: Path) -> tuple[bytes, str]:
    """Decode non-UTF-8 CSV bytes strictly and return them as UTF-8."""
    if encoding == "utf-8-sig":
        decode_csv_bytes(_BOM + data, str(path))  # raises: a BOM promises UTF-8
    text, encoding = decode_csv_bytes(data, str(path))
    return text.encode("utf-8"), encoding


def _arrow_read(data: bytes, layout: Layout, names: list[str]):
    """Read the rows below the header as dictionary-encoded text columns
    with pyarrow.

    Returns
    -------
    table : pyarrow.Table
    skipped : list of tuple
        ``(line or None, text)`` of the rows with a wrong number of fields.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    skipped: list[tuple[int | None, str]] = []

    def on_invalid_row(row):
        skipped.append((row.number, row.text))
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(data),  # reads the bytes in place, without calls back into Python
        read_options=pacsv.ReadOptions(skip_rows=layout.header_row + 1, column_names=names,
                                       use_threads=True, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row, newlines_in_values=True,
                                         ignore_empty_lines=True),
        # Dictionary-encoded text: the reader numbers the distinct values of
        # each column on all cores while it parses.
        convert_options=pacsv.ConvertOptions(column_types={n: pa.dictionary(pa.int32(), pa.string()) for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return table, skipped


def _skipped_rows(skipped_lines):
    return [(number, "该行的列数与表头不一致，无法按列读取", text) for number, text in skipped_lines
            if text.strip().strip(",")]


def _csv_line_numbers(data: bytes, first_line: int, n_rows: int, width: int, skipped) -> tuple[np.ndarray, list]:
    """Number the parsed CSV rows by the line where each starts.

    Returns
    -------
    row_numbers : ndarray of int64
    skipped : list of tuple
        ``(line, text)`` of the records with a wrong number of fields.

    Notes
    -----
    When every line below the header contains one row (no empty lines, no line
    breaks inside quotes, no bad records), the rows are numbered by position.
    Any other file is counted in one pass of the ``csv`` module.
    """
    start = 0
    for _ in range(first_line - 1):
        found = data.find(b"\n", start)
        start = len(data) if found < 0 else found + 1
    # Counting line breaks is a memchr loop, far cheaper than searching the
    # file for quotes and blank lines.
    lines_below = data.count(b"\n", start) + (0 if data.endswith(b"\n") or start >= len(data) else 1)
    if not skipped and start > 0 and lines_below == n_rows:
        return np.arange(first_line, first_line + n_rows, dtype=np.int64), []
    lines = data.decode("utf-8").splitlines()
    reader = csv.reader(io.StringIO("\n".join(lines[first_line - 1:])))
    kept, bad = [], []
    start = first_line
    for record in reader:
        end = first_line + reader.line_num - 1
        # pyarrow keeps a row of empty fields (the blank-row filter drops it
        # later) and skips only lines with no characters at all.
        if len(record) == width:
            kept.append(start)
        elif any(field.strip() for field in record):
            bad.append((start, ",".join(record)))
        start = end + 1
    if len(kept) != n_rows:
        logger.warning("CSV line numbering found %s rows, pyarrow %s; numbering by position", len(kept), n_rows)
        return np.arange(first_line, first_line + n_rows, dtype=np.int64), [(n, t) for n, t in skipped]
    return np.asarray(kept, dtype=np.int64), bad
