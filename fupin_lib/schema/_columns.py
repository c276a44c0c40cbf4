"""Column and table specifications of the canonical tables."""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = ["Column", "Table"]

Dtype = Literal["string", "int", "float", "money", "bool", "date", "ym", "category"]

# pandas dtypes of the canonical Parquet tables, by declared type.
PANDAS_DTYPES = {
    "string": "string",
    "category": "string",
    "ym": "string",
    "int": "Int64",
    "float": "Float64",
    "money": "Float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
}


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        snake_case code name, used in Parquet files, SQL and code.
    zh : str
        The Chinese header that the national systems export and that the
        workbench writes in reports for people.
    dtype : {"string", "int", "float", "money", "bool", "date", "ym", "category"}
        Declared type. ``money`` is yuan as a float, ``ym`` a ``YYYYMM`` string,
        ``category`` a string restricted to `allowed`.
    aliases : tuple of str, default=()
        Other headers seen in real exports for the same column. Matching is done
        after header normalisation (NFKC, no spaces or zero-width characters).
    allowed : tuple of str, optional
        Allowed values of a ``category`` column. For comma-joined multi-values
        (``health``) each part must be allowed.
    required : bool, default=False
        Whether an export must carry this column for the table to be imported.
    pii : bool, default=False
        Personal information (name, ID number, phone, address): masked on
        screens and in exports unless the user's role needs it.
    multi : bool, default=False
        The value may hold several allowed values joined by commas.
    description : str, default=""
        What the column means, where the header alone does not say it.
    """

    name: str
    zh: str
    dtype: Dtype = "string"
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None
    required: bool = False
    pii: bool = False
    multi: bool = False
    description: str = ""

    @property
    def pandas_dtype(self) -> str:
        """pandas dtype of this column in the canonical tables."""
        return PANDAS_DTYPES[self.dtype]

    @property
    def headers(self) -> tuple[str, ...]:
        """The primary Chinese header followed by its aliases."""
        return (self.zh, *self.aliases)


@dataclasses.dataclass(frozen=True)
class Table:
    """A canonical table: its columns, key and file name.

    Parameters
    ----------
    name : str
        Table name; the Parquet file is ``{name}.parquet``.
    zh : str
        Chinese name of the table for messages and reports.
    columns : tuple of Column
    key : tuple of str
        Columns that identify a row within one county and year.
    """

    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def __post_init__(self):
        names = [c.name for c in self.columns]
        duplicated = {n for n in names if names.count(n) > 1}
        if duplicated:
            raise ValueError(f"table {self.name!r} declares columns twice: {sorted(duplicated)}")

    @property
    def names(self) -> list[str]:
        """Column names in declared order."""
        return [c.name for c in self.columns]

    @property
    def file_name(self) -> str:
        """File name of the table inside ``data/clean/<county>/<year>/``."""
        return f"{self.name}.parquet"

    def column(self, name: str) -> Column:
        """Return the column called `name`.

        Raises
        ------
        KeyError
            If the table has no such column.
        """
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def dtypes(self) -> dict[str, str]:
        """Map column names to pandas dtypes."""
        return {c.name: c.pandas_dtype for c in self.columns}

    def pii_columns(self) -> list[str]:
        """Names of the personal-information columns."""
        return [c.name for c in self.columns if c.pii]

    def zh_headers(self) -> dict[str, str]:
        """Map column names to their Chinese headers, for reports."""
        return {c.name: c.zh for c in self.columns}
