"""Damage to roster rows as Excel and copy-paste cause it."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["damage_frame"]


def damage_frame(frame: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """Return a copy of `frame` with about `share` of its rows damaged."""
    return frame
