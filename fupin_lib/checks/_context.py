"""The tables a check reads, with derived values computed once per run.

Checks receive a `CheckContext`. It contains the household and member tables of
one county and year (indexes reset), the resolved settings, and cached
helpers: ages, the position of each member's household, and household-level
aggregates of member flags (an ``any`` or a count over the family, computed
with `numpy.bincount` instead of a Python loop).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..schema import HOUSEHOLDS, MEMBERS, age_at_year_end
from ._settings import CheckSettings

__all__ = ["CheckContext", "canonical_frame", "flag", "text"]


def flag(values) -> np.ndarray:
    """Convert a boolean-like Series or array to a numpy bool array, with
    missing values as False."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(values, dtype=bool)


def text(values: pd.Series) -> pd.Series:
    """Return `values` as strings with missing values as the empty string."""
    return values.astype("string").fillna("")


def canonical_frame(table, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return `frame` with every column of `table`, in the declared dtypes.

    Missing columns are added empty, so checks can read any declared column
    of a partial frame (tests, older exports). Columns that already have the
    declared dtype are not copied.
    """
    frame = pd.DataFrame() if frame is None else frame.reset_index(drop=True)
    columns = {}
    for name, dtype in table.dtypes().items():
        if name not in frame:
            columns[name] = pd.Series(pd.NaT if dtype == "datetime64[ns]" else pd.NA,
                                      index=frame.index, dtype=dtype)
        elif str(frame[name].dtype) == dtype:
            columns[name] = frame[name]
        elif dtype == "datetime64[ns]":
            columns[name] = pd.to_datetime(frame[name], errors="coerce").astype(dtype)
        else:
            columns[name] = frame[name].astype(dtype)
    for name in frame.columns:
        if name not in columns:
            columns[name] = frame[name]
    return pd.DataFrame(columns, index=frame.index)


class CheckContext:
    """Canonical tables of one county and year, prepared for the checks.

    Parameters
    ----------
    households, members : DataFrame
        Canonical tables; missing columns are added empty.
    year : int
        Data year.
    settings : CheckSettings
    monitoring_line : float, optional
        The year's monitoring line (yuan per person per year), for the checks
        that compare income with it. Checks that need it are skipped when it
        is None.
    """

    def __init__(self, households: pd.DataFrame, members: pd.DataFrame, *, year: int,
                 settings: CheckSettings, monitoring_line: float | None = None):
        self.households = canonical_frame(HOUSEHOLDS, households)
        self.members = canonical_frame(MEMBERS, members)
        self.year = int(year)
        self.settings = settings
        self.monitoring_line = monitoring_line
        self._text: dict[tuple[str, str], pd.Series] = {}
        self._cache: dict[str, object] = {}

    def cached(self, key: str, compute):
        """Return ``compute()``, computed once per context under `key`."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # --- member helpers ---------------------------------------------------

    def member_text(self, column: str) -> pd.Series:
        """Member column as text, missing values as ``""``."""
        key = ("members", column)
        if key not in self._text:
            self._text[key] = text(self.members[column])
        return self._text[key]

    def household_text(self, column: str) -> pd.Series:
        """Household column as text, missing values as ``""``."""
        key = ("households", column)
        if key not in self._text:
            self._text[key] = text(self.households[column])
        return self._text[key]

    def member_number(self, column: str) -> np.ndarray:
        """Member column as float, missing values as NaN."""
        return pd.to_numeric(self.members[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def household_number(self, column: str) -> np.ndarray:
        """Household column as float, missing values as NaN."""
        return pd.to_numeric(self.households[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    @functools.cached_property
    def age(self) -> np.ndarray:
        """Age at the end of the data year, NaN where the birth date is missing."""
        years = self.members["year"].fillna(self.year) if self.members["year"].notna().any() else self.year
        return age_at_year_end(self.members["birth_date"], years).to_numpy(dtype=float, na_value=np.nan)

    def has_health(self, value: str) -> np.ndarray:
        """Members whose (possibly comma-joined) health contains `value`."""
        return flag(self.member_text("health").str.contains(value, regex=False))

    @functools.cached_property
    def is_student(self) -> np.ndarray:
        """Members in school: a school status other than blank, pre-school,
        dropout or other."""
        return ~self.member_text("school_status").isin(["", "学龄前儿童", "辍学", "其他"]).to_numpy()

    @functools.cached_property
    def is_working(self) -> np.ndarray:
        """Members who worked in the year: a work status other than 未务工, or
        work months above zero."""
        status = self.member_text("work_status")
        months = np.nan_to_num(self.member_number("work_months"))
        return flag((status != "") & (status != "未务工")) | (months > 0)

    # --- household helpers ------------------------------------------------

    @functools.cached_property
    def member_household(self) -> np.ndarray:
        """Position of each member's household in `households`, -1 when the
        household row is missing."""
        index = pd.Index(self.households["household_no"].astype("string"))
        if not index.is_unique:
            index = index.drop_duplicates()
            positions = index.get_indexer(self.members["household_no"].astype("string"))
            # Map back to the first household row of each number.
            first = pd.Index(self.households["household_no"].astype("string")).get_indexer(index)
            return np.where(positions >= 0, first[positions], -1)
        return index.get_indexer(self.members["household_no"].astype("string"))

    def count_members(self, member_flag) -> np.ndarray:
        """Count the members of each household for which `member_flag` holds."""
        values = flag(member_flag).astype(float)
        positions = self.member_household
        known = positions >= 0
        return np.bincount(positions[known], weights=values[known],
                           minlength=len(self.households)).astype(int)

    def any_member(self, member_flag) -> np.ndarray:
        """Households with at least one member for which `member_flag` holds."""
        return self.count_members(member_flag) > 0

    @functools.cached_property
    def member_count(self) -> np.ndarray:
        """Number of member rows of each household."""
        return self.count_members(np.ones(len(self.members), dtype=bool))

    def household_value(self, values) -> np.ndarray:
        """Broadcast a household-level array to the members (NaN or None for
        members whose household row is missing)."""
        values = np.asarray(values)
        positions = self.member_household
        if values.dtype.kind in "fi":
            padded = np.append(values.astype(float), np.nan)
        else:
            padded = np.append(values.astype(object), None)
        return padded[positions]

    @functools.cached_property
    def risks(self) -> pd.DataFrame:
        """The five risk columns as text."""
        return pd.DataFrame({f"risk_{i}": self.household_text(f"risk_{i}") for i in range(1, 6)})

    def has_risk(self, risk: str) -> np.ndarray:
        """Households with `risk` among risk_1 … risk_5."""
        return (self.risks == risk).any(axis=1).to_numpy()

    def household_is_true(self, column: str) -> np.ndarray:
        """Households whose boolean `column` is True."""
        return flag(self.households[column])

    def household_is_false(self, column: str) -> np.ndarray:
        """Households whose boolean `column` is False (missing is neither)."""
        return flag(self.households[column] == False)  # noqa: E712  (nullable boolean)

    def member_is_true(self, column: str) -> np.ndarray:
        """Members whose boolean `column` is True."""
        return flag(self.members[column])

    def member_is_false(self, column: str) -> np.ndarray:
        """Members whose boolean `column` is False (missing is neither)."""
        return flag(self.members[column] == False)  # noqa: E712

    @functools.cached_property
    def villages(self) -> pd.DataFrame:
        """One row per village of the households: county_code, township_code,
        township, village_code and village (the first name seen)."""
        keys = ["county_code", "township_code", "township", "village_code", "village"]
        frame = self.households[keys].astype("string").fillna("")
        return frame.drop_duplicates(subset=["village_code"]).reset_index(drop=True)
