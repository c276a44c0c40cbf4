"""Text clean-up shared by header matching and value parsing.

Exports carry full-width characters, non-breaking and zero-width spaces and
numbers that Excel stored as floats. Everything here works on the distinct
values of a column, so its cost does not grow with repeated values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

__all__ = ["normalize_header", "clean_text", "cell_to_text", "unique_codes", "code_columns", "factorize_cells", "CodedCells"]

# Zero-width space, non-joiner, joiner, word joiner and byte-order mark: NFKC
# keeps them, and they make two identical-looking headers differ.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_HEADER_DECORATION = re.compile(r"^[*※★]+|[*※★]+$")


def normalize_header(text) -> str:
    """Return a header cell in the form used for matching: NFKC, no spaces,
    no zero-width characters and no required-field stars.

    Examples
    --------
    >>> normalize_header(" 证件\u200b号码 ")
    '证件号码'
    >>> normalize_header("务工时间（月）")
    '务工时间(月)'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub("", text)
    return _HEADER_DECORATION.sub("", text)


def cell_to_text(value) -> str:
    """Return the text of one cell as a person would read it in Excel.

    Integral floats lose their ``.0``, so ``441224.0`` gives ``441224``.
    Numbers of 16 digits or more are written in scientific notation, as Excel
    shows them. Dates give ``YYYY-MM-DD`` and date-times ``YYYY-MM-DD HH:MM:SS``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            # Shown as Excel shows it: the digits beyond 15 are gone.
            return f"{float(value):.15g}".replace("e+", "E+")
        return repr(float(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


_SMALL = 2000


def _clean_one(text: str) -> str:
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return text.strip()


def clean_text(values: pd.Series) -> pd.Series:
    """Clean text values: NFKC (full-width digits and letters become ASCII),
    invisible characters removed and outer spaces stripped.

    Parameters
    ----------
    values : Series of str

    Returns
    -------
    Series of str
        Missing values become ``""``.
    """
    values = values.astype("str").fillna("")
    non_ascii = ~values.str.isascii().fillna(True).astype(bool)
    if non_ascii.any():
        # NFKC runs in Python per value, so only values that need it go through it.
        changed = values[non_ascii].map(lambda text: _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))
        values = values.copy()
        values[non_ascii] = changed
    return values.str.strip()


@dataclasses.dataclass(frozen=True)
class CodedCells:
    """Cells of one column, numbered already: a code per row and the
    distinct cells in order of first appearance."""

    codes: np.ndarray
    uniques: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)


def code_columns(matrix: np.ndarray) -> list[CodedCells]:
    """Number the cells of a two-dimensional object array, column by column.

    The columns whose cells are all text are hashed together in one pass, in
    the order the rows lie in memory, which is faster than hashing column by
    column. Each is then renumbered from the integer codes. Text never
    equals a number, so this cannot merge cells of different kinds. Columns
    with numbers, dates or booleans are numbered one by one with
    `factorize_cells`.
    """
    text = [position for position in range(matrix.shape[1])
            if infer_dtype(matrix[:, position], skipna=False) in ("string", "empty")]
    columns: list[CodedCells | None] = [None] * matrix.shape[1]
    if text:
        block = matrix[:, text] if len(text) < matrix.shape[1] else matrix
        codes, uniques = pd.factorize(block.ravel(), use_na_sentinel=False)
        uniques = np.asarray(uniques, dtype=object)
        codes = codes.reshape(block.shape)
        for index, position in enumerate(text):
            column_codes, used = pd.factorize(codes[:, index])
            columns[position] = CodedCells(column_codes, uniques[used])
    for position in range(matrix.shape[1]):
        if columns[position] is None:
            columns[position] = CodedCells(*factorize_cells(np.ascontiguousarray(matrix[:, position])))
    return columns


def factorize_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number Excel cells by value, keeping booleans apart from numbers.

    In Python True equals 1 and False equals 0, so a plain `factorize` would
    give a TRUE cell the value of a cell holding the number 1 (or the
    reverse). Booleans are hashed as tagged pairs instead.

    Returns
    -------
    codes : ndarray of intp
    uniques : ndarray of object
        The first cell of each value, as the file stored it.
    """
    is_bool = np.fromiter((type(cell) is bool or type(cell) is np.bool_ for cell in cells), dtype=bool,
                          count=len(cells))
    keys = cells
    if is_bool.any():
        keys = cells.copy()
        for index in np.flatnonzero(is_bool):  # one by one: numpy would unpack the pairs
            keys[index] = ("bool", bool(cells[index]))
    codes, _ = pd.factorize(keys, use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)
    return codes, np.asarray(cells, dtype=object)[first]


def unique_codes(cells) -> tuple[np.ndarray, np.ndarray]:
    """Factorise a column of cells into integer codes and distinct values.

    Parameters
    ----------
    cells : CodedCells, ndarray of object, or pyarrow array of str or dictionary of str

    Returns
    -------
    codes : ndarray of int
        Position of each cell's value in `uniques` (int32 from a dictionary
        array, intp otherwise).
    uniques : ndarray of object, or Series of str
        A Series of text for Arrow input (CSV), an object array of the
        cells for an object array (Excel).
    """
    if isinstance(cells, CodedCells):
        return cells.codes, cells.uniques
    if isinstance(cells, pa.DictionaryArray) and cells.null_count == 0:
        # Already numbered by the reader; the dictionary may hold values that
        # no remaining row uses, which cost a parse and nothing else.
        return cells.indices.to_numpy(zero_copy_only=False), cells.dictionary.to_pandas()
    if isinstance(cells, pa.DictionaryArray):
        cells = cells.cast(cells.type.value_type)
    if isinstance(cells, np.ndarray):
        # Excel cells are Python objects already: hashing them (str caches
        # its hash) is cheaper than converting them to Arrow first.
        return factorize_cells(cells)

    # Dictionary encoding in Arrow avoids building one Python object per
    # cell. Encoding one combined array is faster than unifying the
    # dictionaries of many chunks.
    array = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
    if len(array) == 0:
        return np.zeros(0, dtype=np.intp), pd.Series([], dtype="str")
    encoded = pc.dictionary_encode(array)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return codes.astype(np.intp, copy=False), encoded.dictionary.to_pandas()


def uniques_to_text(uniques: np.ndarray) -> pd.Series:
    """Convert distinct cell values to cleaned text (see `cell_to_text`)."""
    if isinstance(uniques, pd.Series):
        return clean_text(uniques)
    if len(uniques) < _SMALL:
        # Plain Python beats the fixed cost of pandas string methods here.
        return pd.Series([_clean_one(cell_to_text(value)) for value in uniques], dtype="str")
    if all(isinstance(value, str) for value in uniques):
        raw = pd.Series(uniques, dtype="str")
    else:
        raw = pd.Series([cell_to_text(value) for value in uniques], dtype="str")
    return clean_text(raw)
