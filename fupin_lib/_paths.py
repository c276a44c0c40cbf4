"""Default locations of data, outputs, models, parameters and the database.

Commands take these from their options (``--data``, ``--out``, ``--model``);
the defaults below are relative to the working directory, which is the
project's root when started through ``make`` or ``fupin``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "SAMPLE_DIR",
    "CLEAN_DIR",
    "OUTPUTS_DIR",
    "MODEL_DIR",
    "parameters_dir",
    "database_url",
    "clean_dir",
]

DATA_DIR = Path("data")
SAMPLE_DIR = DATA_DIR / "sample"
CLEAN_DIR = DATA_DIR / "clean"
OUTPUTS_DIR = Path("outputs")
MODEL_DIR = Path("models") / "risk"

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def parameters_dir() -> Path:
    """Return the folder of parameter files.

    ``FUPIN_PARAMETERS`` wins; otherwise ``parameters/`` in the working
    directory, and last the ``parameters/`` folder of the source checkout.
    """
    configured = os.environ.get("FUPIN_PARAMETERS")
    if configured:
        return Path(configured)
    local = Path("parameters")
    if (local / "defaults.yaml").exists():
        return local
    return _SOURCE_ROOT / "parameters"


def database_url() -> str:
    """Return the case store's SQLAlchemy URL: ``FUPIN_DB_URL`` or the SQLite
    file ``data/fupin.db``."""
    return os.environ.get("FUPIN_DB_URL") or f"sqlite:///{(DATA_DIR / 'fupin.db').as_posix()}"


def clean_dir(data_root: str | os.PathLike, county_code: str, year: int) -> Path:
    """Return the folder of one county's and year's canonical tables under a
    clean-data root (``data/clean`` by default)."""
    return Path(data_root) / str(county_code) / str(int(year))
