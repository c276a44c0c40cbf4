"""Import of national-system exports and the clean-data store.

Readers for .xlsx, .xls and CSV exports, header and value normalisation,
validation against the canonical tables, rejects, and the folders of clean
Parquet tables (``<root>/<county_code>/<year>/``).
"""

from ._import import ImportReport, import_files
from ._readers import read_sheets
from ._schemas import table_schema
from ._store import available_partitions, conform, read_table, write_clean
from ._values import id_check_digit_ok

__all__ = [
    "ImportReport",
    "import_files",
    "read_table",
    "available_partitions",
    "write_clean",
    "conform",
    "read_sheets",
    "table_schema",
    "id_check_digit_ok",
]
