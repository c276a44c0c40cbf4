"""Shared fixtures: a small generated sample of the 8 Zhaoqing counties and
its import, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SMALL_HOUSEHOLDS = 8 * 30  # a few dozen households per county


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Point the case store at a fresh SQLite file unless a test sets one, so
    no test writes data/fupin.db of the checkout."""
    if "FUPIN_DB_URL" not in os.environ:
        monkeypatch.setenv("FUPIN_DB_URL", f"sqlite:///{tmp_path / 'fupin.db'}")


@pytest.fixture(scope="session")
def sample_exports(tmp_path_factory) -> Path:
    """Sample exports of the 8 Zhaoqing counties, 2017–2020, undamaged."""
    from fupin_lib.sample import generate_sample

    out = tmp_path_factory.mktemp("sample")
    generate_sample(city="4412", households=SMALL_HOUSEHOLDS, seed=7, out=out)
    return out


@pytest.fixture(scope="session")
def clean_root(sample_exports, tmp_path_factory) -> Path:
    """The sample exports imported into a clean-data root."""
    from fupin_lib.io import import_files

    out = tmp_path_factory.mktemp("clean")
    files = sorted(p for p in sample_exports.rglob("*") if p.suffix in {".xlsx", ".xls", ".csv"})
    import_files(files, out=out)
    return out
