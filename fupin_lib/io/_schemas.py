"""pandera schemas of the canonical tables, derived from the column
specifications in `fupin_lib.schema` (never listed a second time here)."""

from __future__ import annotations

import functools

import pandas as pd

from ..schema import TABLES

__all__ = ["table_schema", "validate_allowed", "warm_up"]


def _pandera():
    # Imported on first use: pandera takes a fifth of a second to import,
    # which `warm_up` spends while the reader parses the file.
    import pandera.pandas

    return pandera.pandas


def warm_up() -> None:
    """Import pandera, build every table's schema and register pandera's
    backends (done on the first validation) ahead of the import's checks."""
    for name in TABLES:
        table_schema(name)
    table_schema(next(iter(TABLES))).validate(pd.DataFrame(), lazy=True)


def _multi_isin(allowed):
    pa = _pandera()
    allowed = set(allowed)

    def check(series: pd.Series) -> pd.Series:
        # Checked per distinct value, because a column contains few combinations.
        bad = [value for value in series.dropna().unique() if not set(value.split(",")) <= allowed]
        return ~series.isin(bad)

    return pa.Check(check, element_wise=False, error="每一项都应是允许值")


@functools.lru_cache(maxsize=None)
def table_schema(table_name: str, columns: tuple[str, ...] | None = None):
    """Return the pandera schema of a canonical table.

    Every column is nullable and typed by its declared dtype; category
    columns are checked against their allowed values. Extra columns are
    allowed so that the importer can carry row numbers alongside.

    Parameters
    ----------
    table_name : str
    columns : tuple of str, optional
        Only these columns; all columns of the table by default.

    Returns
    -------
    pandera.pandas.DataFrameSchema
    """
    pa = _pandera()
    table = TABLES[table_name]
    selected = {}
    for column in table.columns:
        if columns is not None and column.name not in columns:
            continue
        checks = []
        if column.dtype == "category" and column.allowed:
            checks.append(_multi_isin(column.allowed) if column.multi else pa.Check.isin(column.allowed))
        if column.dtype == "ym":
            checks.append(pa.Check.str_matches(r"^\d{4}(0[1-9]|1[0-2])$"))
        selected[column.name] = pa.Column(column.pandas_dtype, checks=checks, nullable=True, required=False)
    return pa.DataFrameSchema(selected, strict=False, name=table.zh)


def validate_allowed(frame: pd.DataFrame, table_name: str) -> pd.DataFrame:
    """Validate `frame` against its table's schema and return the failure
    cases: ``column``, ``index`` (the frame's index) and ``failure_case``.

    Raises
    ------
    pandera.errors.SchemaErrors
        Re-raised when a failure is not a value check (a wrong dtype is a
        bug of the importer, not a problem of the input).
    """
    # Only columns with value checks are validated: `conform` has already
    # set every dtype, empty columns cannot fail, and pandera's cost is per
    # column.
    checked = {c.name for c in TABLES[table_name].columns if c.dtype in ("category", "ym")}
    filled = tuple(name for name in frame.columns if name in checked and frame[name].notna().any())
    # The checks look at each value alone, so pandera checks each distinct
    # value once and the failures are traced back to the rows that carry them.
    dtypes = {c.name: c.pandas_dtype for c in TABLES[table_name].columns}
    values = {name: pd.Series(frame[name].unique()).astype(dtypes[name]).dropna() for name in filled}
    longest = max((len(column) for column in values.values()), default=0)
    distinct = pd.DataFrame({name: column.reset_index(drop=True).reindex(range(longest))
                             for name, column in values.items()})
    try:
        table_schema(table_name, filled).validate(distinct, lazy=True)
    except _pandera().errors.SchemaErrors as errors:
        cases = errors.failure_cases
        value_failures = cases[cases["index"].notna() & cases["column"].notna()]
        if len(value_failures) != len(cases):
            raise
        rows = []
        for column, group in value_failures.groupby("column", sort=False):
            hit = frame[column].isin(set(group["failure_case"])).fillna(False).to_numpy(dtype=bool)
            rows.append(pd.DataFrame({"column": column, "index": frame.index[hit],
                                      "failure_case": frame[column][hit].to_numpy(dtype=object)}))
        return pd.concat(rows, ignore_index=True)
    return pd.DataFrame({"column": [], "index": [], "failure_case": []})
