"""The demo pipeline behind ``fupin demo`` and ``make demo``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from .geo import counties_of_city

__all__ = ["run_demo", "DEMO_CITY"]

DEMO_CITY = "4412"
logger = logging.getLogger(__name__)


def run_demo(*, households: int, seed: int, data_root: Path, echo: Callable[[str], None]) -> None:
    """Generate the Zhaoqing sample data when missing, then import it.

    Later steps (county runs, the apps) are added as they land.
    """
    sample_dir = Path(data_root) / "sample"
    clean_root = Path(data_root) / "clean"
    counties = counties_of_city(DEMO_CITY)
    echo(f"示例数据：肇庆市 {len(counties)} 个县区，约 {households} 户。")
