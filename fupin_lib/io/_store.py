"""The clean-data store: ``<root>/<county_code>/<year>/<table>.parquet``.

A county-year folder is always written whole: into a temporary sibling
folder, which then replaces the old folder by renames, so a reader sees
either the old or the new folder and never a mixture.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._paths import clean_dir
from ..schema import TABLES

__all__ = ["conform", "read_table", "available_partitions", "write_clean", "CleanFolder"]


def conform(frame: pd.DataFrame | None, table_name: str, *, keep_categories: bool = False) -> pd.DataFrame:
    """Return `frame` with exactly the canonical columns of the table, in
    declared order and dtypes; missing columns are added empty.

    With `keep_categories`, text columns of the ``category`` dtype stay so:
    the importer writes them to Parquet as dictionaries without building the
    text, and `read_table` turns them back into ``string``.
    """
    table = TABLES[table_name]
    frame = pd.DataFrame(index=range(0)) if frame is None else frame
    result = {}
    for column in table.columns:
        if column.name not in frame:
            result[column.name] = _missing_column(column.pandas_dtype, frame.index)
            continue
        values = frame[column.name]
        if str(values.dtype) == column.pandas_dtype or (
                keep_categories and column.pandas_dtype == "string" and isinstance(values.dtype, pd.CategoricalDtype)):
            result[column.name] = values
        elif column.pandas_dtype == "datetime64[ns]":
            result[column.name] = pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
        else:
            result[column.name] = values.astype(column.pandas_dtype)
    return pd.DataFrame(result, index=frame.index).reset_index(drop=True)


def _missing_column(dtype: str, index: pd.Index) -> pd.Series:
    """Return an all-missing column of `dtype` without building its values
    one by one (pandas repeats a scalar through a take)."""
    n = len(index)
    if dtype == "string":
        return pd.Series(pd.arrays.ArrowStringArray(pa.nulls(n, pa.large_string())), index=index, copy=False)
    if dtype == "datetime64[ns]":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"), index=index, copy=False)
    masked = {"Int64": (pd.arrays.IntegerArray, np.int64), "Float64": (pd.arrays.FloatingArray, np.float64),
              "boolean": (pd.arrays.BooleanArray, np.bool_)}
    array_type, numpy_dtype = masked[dtype]
    return pd.Series(array_type(np.zeros(n, dtype=numpy_dtype), np.ones(n, dtype=bool)), index=index, copy=False)


def read_table(data_root: str | os.PathLike, county_code: str, year: int, table: str) -> pd.DataFrame:
    """Read one canonical table of one county and year.

    Parameters
    ----------
    data_root : path-like
        Clean-data root, e.g. ``data/clean``.
    county_code : str
        6-digit county code.
    year : int
    table : str
        One of ``fupin_lib.schema.TABLES``.

    Returns
    -------
    DataFrame
        Canonical columns and dtypes; empty with those columns when the file
        does not exist.
    """
    if table not in TABLES:
        raise KeyError(f"未知的表 {table!r}，可用：{', '.join(TABLES)}")
    path = clean_dir(data_root, county_code, year) / TABLES[table].file_name
    if not path.exists():
        return conform(None, table)
    return conform(pd.read_parquet(path), table)


def available_partitions(data_root: str | os.PathLike) -> pd.DataFrame:
    """List the county-year folders under a clean-data root.

    Returns
    -------
    DataFrame
        ``county_code`` (str) and ``year`` (int), sorted.
    """
    root = Path(data_root)
    rows = []
    if root.is_dir():
        for county in sorted(root.iterdir()):
            if not (county.is_dir() and county.name.isdigit() and len(county.name) == 6):
                continue
            for year in sorted(county.iterdir()):
                if year.is_dir() and year.name.isdigit() and len(year.name) == 4:
                    rows.append((county.name, int(year.name)))
    frame = pd.DataFrame(rows, columns=["county_code", "year"])
    return frame.astype({"county_code": "string", "year": "int64"})


class CleanFolder:
    """A county-year folder being written.

    Files go into a temporary sibling folder, which replaces the old folder
    by renames on `commit`, so a reader sees either the old or the new
    folder and never a mixture. Tables may be written from several threads.

    Parameters
    ----------
    data_root : path-like
    county_code : str
    year : int
    """

    def __init__(self, data_root: str | os.PathLike, county_code: str, year: int):
        self.target = clean_dir(data_root, county_code, year)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".partial",
                                             dir=self.target.parent))
        # mkdtemp makes the folder private (0700). The published folder must be
        # readable by the other users of a shared data root, as its files are.
        self.staging.chmod(0o755)
        self.rows: dict[str, int] = {}

    def stored_rows(self, table: str) -> int | None:
        """Row count of a table in the folder as it is now; None when absent."""
        path = self.target / TABLES[table].file_name
        return pq.read_metadata(path).num_rows if path.exists() else None

    def write_table(self, table: str, frame: pd.DataFrame | None) -> None:
        """Write a table (empty when `frame` is None) in canonical columns."""
        frame = conform(frame, table, keep_categories=True)
        frame.to_parquet(self.staging / TABLES[table].file_name, index=False)
        self.rows[table] = len(frame)

    def drop_table(self, table: str) -> None:
        """Remove a table written into the folder, so that `keep_table` or
        an empty table takes its place."""
        (self.staging / TABLES[table].file_name).unlink(missing_ok=True)
        self.rows.pop(table, None)

    def keep_table(self, table: str) -> bool:
        """Carry the stored table over unchanged; False when there is none."""
        rows = self.stored_rows(table)
        if rows is None:
            return False
        shutil.copyfile(self.target / TABLES[table].file_name, self.staging / TABLES[table].file_name)
        self.rows[table] = rows
        return True

    def write_file(self, file_name: str, content) -> None:
        """Write a further file: a JSON-ready object for a ``.json`` name,
        else a callable that writes the file at the path it receives."""
        if file_name.endswith(".json"):
            (self.staging / file_name).write_text(json.dumps(content, ensure_ascii=False, indent=2, default=str),
                                                  encoding="utf-8")
        else:
            content(self.staging / file_name)

    def commit(self) -> Path:
        """Replace the folder with the written one and return its path."""
        _swap_in(self.staging, self.target)
        return self.target

    def discard(self) -> None:
        """Remove the written files and leave the folder as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)


def write_clean(tables: dict[str, pd.DataFrame], data_root: str | os.PathLike, county_code: str, year: int, *,
                extra_files: dict[str, object] | None = None) -> Path:
    """Write the canonical tables of one county and year, replacing the
    folder atomically.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Table name to rows; every table of `fupin_lib.schema.TABLES` is
        written, empty when not given.
    data_root : path-like
    county_code : str
    year : int
    extra_files : dict of str to object, optional
        Further files of the folder: a ``.json`` name takes a JSON-ready
        object, any other name a callable that writes the file at the path
        it receives (e.g. ``rejects.xlsx``).

    Returns
    -------
    Path
        The county-year folder.
    """
    folder = CleanFolder(data_root, county_code, year)
    try:
        # Arrow's Parquet writer releases the GIL, so the largest tables are
        # written in threads while the small files are written here.
        with ThreadPoolExecutor(max_workers=2) as pool:
            writes = [pool.submit(folder.write_table, name, tables.get(name))
                      for name in sorted(TABLES, key=lambda name: -len(tables.get(name, ())))]
            for file_name, content in (extra_files or {}).items():
                folder.write_file(file_name, content)
            for write in writes:
                write.result()
        return folder.commit()
    except BaseException:
        folder.discard()
        raise


def _swap_in(staging: Path, target: Path) -> None:
    # POSIX cannot rename a folder onto a non-empty one: move the old folder
    # aside first, then remove it once the new one is in place.
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}.{os.getpid()}.old")
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
