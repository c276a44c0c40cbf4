"""Household structure: households from a per-person roster, and the checks
on heads, spouses, duplicated IDs and ID-derived sex and birth date.

Every function returns warnings as ``(sheet_id, pos, table, column, value,
reason)`` records; rows are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import HOUSEHOLDS
from ._sheets import ISSUE_COLUMNS
from ._values import id_birth_and_sex

__all__ = ["households_from_roster", "check_members"]


def _warnings(frame: pd.DataFrame, table: str, column: str, values, reasons) -> pd.DataFrame:
    return pd.DataFrame({
        "sheet_id": frame["_sheet"].to_numpy(), "pos": frame["_pos"].to_numpy(), "table": table,
        "column": column, "value": np.asarray(values, dtype=object), "reason": np.asarray(reasons, dtype=object),
        "severity": "warning",
    }, columns=ISSUE_COLUMNS)


def households_from_roster(rows: pd.DataFrame, members: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Build one household row per 户编号 from the rows of a flat roster.

    The head's row (与户主关系 = 户主) gives the household's values; without a
    head the first row does. Households whose rows disagree on a household
    field are reported with the fields concerned.

    Parameters
    ----------
    rows : DataFrame
        Household columns of the roster rows (with ``_sheet`` and ``_pos``).
    members : DataFrame
        The same rows' member columns, aligned on the index.

    Returns
    -------
    households : DataFrame
    warnings : list of DataFrame
    """
    rows = rows[rows["household_no"].notna()]
    relation = members.loc[rows.index, "relation_to_head"] if "relation_to_head" in members else \
        pd.Series(pd.NA, index=rows.index, dtype="string")
    is_head = (relation == "户主").fillna(False).to_numpy(dtype=bool)
    # Per household the first head row, or the first row when there is no
    # head: sort heads first, then take the first row of each household.
    codes, _ = pd.factorize(rows["household_no"])
    order = np.lexsort((~is_head, codes))
    first = order[np.r_[True, codes[order][1:] != codes[order][:-1]]] if len(order) else order
    households = rows.iloc[np.sort(first)].copy()
    if "name" in members and "head_name" not in households:
        households["head_name"] = members.loc[households.index, "name"].where(is_head_of(households, relation))
    if "id_number" in members and "head_id_number" not in households:
        households["head_id_number"] = members.loc[households.index, "id_number"].where(is_head_of(households, relation))
    if "household_size" not in households:
        sizes = rows.groupby("household_no").size()
        households["household_size"] = households["household_no"].map(sizes).astype("Int64")

    warnings = [_disagreements(rows, households)]
    return households, warnings


def is_head_of(households: pd.DataFrame, relation: pd.Series) -> pd.Series:
    """Mark the household rows that come from the head's row."""
    return (relation.loc[households.index] == "户主").fillna(False).astype(bool)


def _disagreements(rows: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    fields = [c for c in rows.columns if c in HOUSEHOLDS.names and c not in ("household_no", "year")
              and not c.startswith("_")]
    if not fields:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    # One hash per row over all household fields finds the households with
    # more than one version cheaply; only those are compared field by field.
    hashed = pd.util.hash_pandas_object(rows[fields], index=False).to_numpy()
    codes, households_no = pd.factorize(rows["household_no"])
    # One key per (household, version): distinct keys per household count
    # the versions.
    keys = hashed ^ (codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    _, first_of_key = np.unique(keys, return_index=True)
    versions = np.bincount(codes[first_of_key], minlength=len(households_no))
    differing = households_no[versions > 1]
    if len(differing) == 0:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    subset = rows[rows["household_no"].isin(differing)]
    counts = subset.groupby("household_no")[fields].nunique(dropna=False)
    reasons = counts.apply(lambda row: "同一户的各行户信息不一致：" + "、".join(
        HOUSEHOLDS.column(c).zh for c in row.index[row > 1]) + "（已按户主行导入）", axis=1)
    chosen = households[households["household_no"].isin(differing)]
    return _warnings(chosen, "households", "户编号", chosen["household_no"].astype(object),
                     chosen["household_no"].map(reasons).to_numpy(dtype=object))


def _duplicate_ids(members: pd.DataFrame) -> list[pd.DataFrame]:
    """Report IDs found in more than one household, and IDs repeated
    inside one household."""
    known = members["id_number"].notna().to_numpy() & members["household_no"].notna().to_numpy()
    if not known.any():
        return []
    id_codes, _ = pd.factorize(members["id_number"])
    household_codes, households = pd.factorize(members["household_no"])
    pairs = id_codes.astype(np.int64) * (len(households) + 1) + household_codes
    pairs = np.where(known, pairs, -1)
    distinct_pairs, pair_counts = np.unique(pairs[known], return_counts=True)
    households_per_id = np.bincount(distinct_pairs // (len(households) + 1), minlength=id_codes.max() + 1)
    in_many = known & (households_per_id[np.where(known, id_codes, 0)] > 1)
    repeated_pairs = distinct_pairs[pair_counts > 1]
    in_one = known & ~in_many & np.isin(pairs, repeated_pairs)
    warnings = []
    for mask, reason in ((in_many, "同一证件号码出现在多个户中"), (in_one, "同一户中证件号码重复")):
        if mask.any():
            rows = members[mask]
            warnings.append(_warnings(rows, "members", "证件号码", rows["id_number"].astype(object), reason))
    return warnings


def check_members(members: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Check the members of one county and year and fill sex and birth date
    from the ID number where they are missing.

    Every finding is a warning and the rows are kept. The checks are: sex
    or birth date disagreeing with the ID, an ID in more than one household,
    and a household with no head, more than one head or more than one spouse.
    """
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

        warnings.extend(_duplicate_ids(members))

    if "relation_to_head" in members:
        relation = members["relation_to_head"]
        codes, households = pd.factorize(members["household_no"])
        heads = np.bincount(codes, weights=(relation == "户主").fillna(False).to_numpy(dtype=float),
                            minlength=len(households))
        spouses = np.bincount(codes, weights=(relation == "配偶").fillna(False).to_numpy(dtype=float),
                              minlength=len(households))
        reason = np.full(len(households), None, dtype=object)
        reason[spouses > 1] = "该户有两个或以上配偶"
        reason[heads > 1] = "该户有两个或以上户主"
        reason[heads == 0] = "该户没有户主"
        row_reason = reason[codes]
        flagged = np.not_equal(row_reason, None)
        if flagged.any():
            rows = members[flagged]
            warnings.append(_warnings(rows, "members", "与户主关系", rows["relation_to_head"].astype(object),
                                      row_reason[flagged]))
    return members, warnings
