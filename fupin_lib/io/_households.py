"""Household structure: households from a per-person roster, and the checks
on heads, spouses, duplicated IDs and ID-derived sex and birth date.

Every function returns warnings as ``(sheet_id, pos, table, column, value,
reason)`` records; rows are kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..schema import HOUSEHOLDS
from ._sheets import ISSUE_COLUMNS, ParsedTable
from ._values import id_birth_and_sex

__all__ = ["households_from_roster", "check_members", "MemberKeys"]


def _warnings(frame: pd.DataFrame, table: str, column: str, values, reasons) -> pd.DataFrame:
    return pd.DataFrame({
        "sheet_id": frame["_sheet"].to_numpy(), "pos": frame["_pos"].to_numpy(), "table": table,
        "column": column, "value": np.asarray(values, dtype=object), "reason": np.asarray(reasons, dtype=object),
        "severity": "warning",
    }, columns=ISSUE_COLUMNS)


def households_from_roster(rows: ParsedTable, members: ParsedTable, *, sheet_id: int,
                           keep: np.ndarray | None = None) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Build one household row per 户编号 from the rows of a flat roster.

    The head's row (与户主关系 = 户主) gives the household's values; without a
    head the first row does. Households whose rows disagree on a household
    field are reported with the fields concerned.

    Parameters
    ----------
    rows : ParsedTable
        Household columns of the roster rows.
    members : ParsedTable
        The same rows' member columns.
    sheet_id : int
        The sheet's number, for the warnings.
    keep : ndarray of bool, optional
        Rows to use; all by default.

    Returns
    -------
    households : DataFrame
        One row per household with ``_pos``, the position of the row it
        was taken from.
    warnings : list of DataFrame
    """
    household_codes = rows.value_codes("household_no")
    use = household_codes >= 0
    if keep is not None:
        use = use & keep
    positions = np.flatnonzero(use)
    row_is_head = members.equals("relation_to_head", "户主")
    is_head = row_is_head[positions]
    household = pd.factorize(household_codes[positions])[0]  # 0..n_households-1 in order of appearance
    n_households = int(household.max(initial=-1)) + 1
    # Per household the first head row, or the first row when there is no
    # head. Households are numbered in order of appearance, so a household's
    # first row is where its number exceeds all earlier numbers.
    earlier = np.maximum.accumulate(np.concatenate(([-1], household[:-1]))) if len(household) else household
    first_row = np.flatnonzero(household > earlier)
    head_rows = np.flatnonzero(is_head)
    first_head = np.full(n_households, len(household), dtype=np.int64)
    np.minimum.at(first_head, household[head_rows], head_rows)
    first = np.where(first_head < len(household), first_head, first_row)  # per household, in household order
    chosen = positions[np.sort(first)]
    households = rows.frame(chosen, categories=rows.passed_through())
    households["_sheet"] = sheet_id
    from_head = row_is_head[chosen]
    if "name" in members and "head_name" not in rows:
        households["head_name"] = members.column("name", chosen).where(from_head)
    if "id_number" in members and "head_id_number" not in rows:
        households["head_id_number"] = members.column("id_number", chosen).where(from_head)
    if "household_size" not in rows:
        sizes = np.bincount(household, minlength=n_households)
        households["household_size"] = pd.array(sizes[household[np.sort(first)]], dtype="Int64")

    chosen_row = np.empty(n_households, dtype=np.int64)
    chosen_row[household[first]] = first
    warnings = [_disagreements(rows, households, positions, household, chosen_row)]
    return households, warnings


def _disagreements(rows: ParsedTable, households: pd.DataFrame, positions: np.ndarray, household: np.ndarray,
                   chosen_row: np.ndarray) -> pd.DataFrame:
    """Report households whose rows disagree on a household field.

    The rows used are at `positions`; `household` numbers their households
    and `chosen_row` gives, per household, the used row (an index into
    `positions`) whose values the household took.
    """
    fields = [c for c in rows.names if c in HOUSEHOLDS.names and c not in ("household_no", "year")]
    if not fields or len(positions) == 0:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    # Each row is compared with its household's chosen row through integer
    # codes of the values: no text is compared twice. Rows not used compare
    # with themselves.
    representative = np.arange(rows.n_rows)
    representative[positions] = positions[chosen_row[household]]
    differs = np.zeros((rows.n_rows, len(fields)), dtype=bool, order="F")
    for j, field in enumerate(fields):
        field_codes = rows.value_codes(field)
        differs[:, j] = field_codes != field_codes[representative]
    bad_rows = np.flatnonzero(differs.any(axis=1))
    if len(bad_rows) == 0:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    household_of_row = np.full(rows.n_rows, -1, dtype=np.int64)
    household_of_row[positions] = household
    n_households = int(household.max()) + 1
    by_household = np.zeros((n_households, len(fields)), dtype=bool)
    np.logical_or.at(by_household, household_of_row[bad_rows], differs[bad_rows])
    zh = np.array([HOUSEHOLDS.column(c).zh for c in fields], dtype=object)
    flagged = np.unique(household_of_row[bad_rows])
    numbers = rows.column("household_no", positions[chosen_row[flagged]]).tolist()
    reasons = {number: "同一户的各行户信息不一致：" + "、".join(zh[by_household[h]]) + "（已按户主行导入）"
               for number, h in zip(numbers, flagged)}
    chosen = households[households["household_no"].isin(list(reasons))]
    return _warnings(chosen, "households", "户编号", chosen["household_no"].astype(object),
                     chosen["household_no"].map(reasons).to_numpy(dtype=object))


def _duplicate_ids(members: pd.DataFrame, keys: "MemberKeys") -> list[pd.DataFrame]:
    """Report IDs found in more than one household, and IDs repeated
    inside one household."""
    id_codes, household_codes = keys.id_codes, keys.household_codes
    known = (id_codes >= 0) & (household_codes >= 0)
    if not known.any() or np.bincount(id_codes[known]).max() < 2:
        return []  # every ID once: the usual case, found without sorting
    n_households = int(household_codes.max()) + 1
    pairs = id_codes.astype(np.int64) * (n_households + 1) + household_codes
    pairs = np.where(known, pairs, -1)
    distinct_pairs, pair_counts = np.unique(pairs[known], return_counts=True)
    households_per_id = np.bincount(distinct_pairs // (n_households + 1), minlength=id_codes.max() + 1)
    in_many = known & (households_per_id[np.where(known, id_codes, 0)] > 1)
    repeated_pairs = distinct_pairs[pair_counts > 1]
    in_one = known & ~in_many & np.isin(pairs, repeated_pairs)
    warnings = []
    for mask, reason in ((in_many, "同一证件号码出现在多个户中"), (in_one, "同一户中证件号码重复")):
        if mask.any():
            rows = members[mask]
            warnings.append(_warnings(rows, "members", "证件号码", rows["id_number"].astype(object), reason))
    return warnings


@dataclasses.dataclass
class MemberKeys:
    """Integer codes of the members' 户编号 and 证件号码 (-1 where missing),
    computed once and shared by the member checks."""

    household_codes: np.ndarray
    id_codes: np.ndarray

    @classmethod
    def of(cls, members: pd.DataFrame) -> "MemberKeys":
        """Number the rows' 户编号 and 证件号码, or take the numbers of the
        ``_household_key`` and ``_id_key`` columns when the rows carry them."""
        if "_household_key" in members and "_id_key" in members:
            return cls(members["_household_key"].to_numpy(), members["_id_key"].to_numpy())
        ids = members["id_number"] if "id_number" in members else pd.Series(pd.NA, index=members.index)
        return cls(pd.factorize(members["household_no"])[0], pd.factorize(ids)[0])

    def repeated(self) -> np.ndarray:
        """Rows whose (户编号, 证件号码) pair appeared on an earlier row."""
        n_households = int(self.household_codes.max(initial=-1)) + 2
        pairs = self.id_codes.astype(np.int64) * n_households + (self.household_codes + 1)
        return pd.Series(pairs).duplicated().to_numpy() & (self.id_codes >= 0)

    def subset(self, mask: np.ndarray) -> "MemberKeys":
        return MemberKeys(self.household_codes[mask], self.id_codes[mask])


def check_members(members: pd.DataFrame, keys: MemberKeys | None = None) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Check the members of one county and year and fill sex and birth date
    from the ID number where they are missing.

    Every finding is a warning and the rows are kept. The checks are: sex
    or birth date disagreeing with the ID, an ID in more than one household,
    and a household with no head, more than one head or more than one spouse.

    Parameters
    ----------
    members : DataFrame
    keys : MemberKeys, optional
        Codes of the same rows, when the caller has them.
    """
    keys = keys or MemberKeys.of(members)
    warnings = []
    if "id_number" in members:
        birth, sex = id_birth_and_sex(members["id_number"])
        for column, derived, zh in (("sex", sex, "性别"), ("birth_date", birth, "出生日期")):
            if column not in members:
                members[column] = derived
                continue
            given = members[column]
            if column == "birth_date":
                given = pd.to_datetime(given)
            clash = (given.notna() & derived.notna() & (given != derived)).fillna(False).astype(bool)
            if clash.any():
                shown = given[clash].astype(str).to_numpy(dtype=object)
                expected = derived[clash].astype(str).str.slice(0, 10).to_numpy(dtype=object)
                warnings.append(_warnings(members[clash], "members", zh, shown,
                                          [f"{zh}与证件号码不一致（按证件号码应为 {e}）" for e in expected]))
            members[column] = given.fillna(derived) if column == "sex" else given.where(given.notna(), derived)

        warnings.extend(_duplicate_ids(members, keys))

    if "relation_to_head" in members:
        relation = members["relation_to_head"]
        codes = keys.household_codes
        known = codes >= 0
        n_households = int(codes.max(initial=-1)) + 1
        codes = np.where(known, codes, 0)
        heads = np.bincount(codes, weights=((relation == "户主").fillna(False).to_numpy(dtype=bool) & known),
                            minlength=n_households)
        spouses = np.bincount(codes, weights=((relation == "配偶").fillna(False).to_numpy(dtype=bool) & known),
                              minlength=n_households)
        reason = np.full(n_households, None, dtype=object)
        reason[spouses > 1] = "该户有两个或以上配偶"
        reason[heads > 1] = "该户有两个或以上户主"
        reason[heads == 0] = "该户没有户主"
        row_reason = np.where(known, reason[codes], None)
        flagged = np.not_equal(row_reason, None)
        if flagged.any():
            rows = members[flagged]
            warnings.append(_warnings(rows, "members", "与户主关系", rows["relation_to_head"].astype(object),
                                      row_reason[flagged]))
    return members, warnings
