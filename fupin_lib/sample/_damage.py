"""Damage to roster rows as Excel and copy-paste cause it, so the importer
has something real to repair or reject."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["damage_frame", "DAMAGE_KINDS"]

# Each damaged row gets one of these, with equal probability.
DAMAGE_KINDS = (
    "id_scientific_text",  # 证件号码 as the text 4.41224E+17
    "id_number_cell",  # 证件号码 as a number cell, digits after the 15th lost
    "id_lowercase_x",  # final X written x (full-width digits when there is no X)
    "fullwidth_digits",  # 证件号码 in full-width digits
    "stray_spaces",  # leading/trailing or zero-width spaces in 姓名 or 证件号码
    "date_format",  # 出生日期 as Excel serial, 2020.4.15, 2020年4月15日 or 20200415
    "money_text",  # income with 元, 万元 or thousands separators
    "yes_no_symbols",  # 是/否 as √/×/有/无
    "wrong_check_digit",  # last character of 证件号码 changed
    "duplicated_row",  # the row appears twice
    "missing_household_no",  # 户编号 blank
)

_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
_BOOL_TARGETS = ("dibao", "unsafe_house", "in_resident_medical", "safe_drinking_water", "measure_health")
_MONEY_TARGETS = ("net_income_per_capita", "net_income", "wage_income", "transfer_income")


def _set(frame: pd.DataFrame, rows: np.ndarray, column: str, values) -> None:
    if column not in frame or len(rows) == 0:
        return
    if frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = values


def damage_frame(frame: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """Return a copy of roster rows (canonical column names) with about
    `share` of the rows damaged, one kind of damage per row (`DAMAGE_KINDS`).

    The returned frame's ``attrs["mixed_columns"]`` names the columns that now
    hold numbers among text (IDs and dates turned into number cells), and
    ``attrs["damaged_rows"]`` the number of damaged source rows.
    """
    out = frame.copy()
    n = len(out)
    count = int(rng.binomial(n, share)) if n else 0
    rows = np.sort(rng.choice(n, size=count, replace=False)) if count else np.empty(0, dtype=int)
    kinds = rng.integers(0, len(DAMAGE_KINDS), size=count)
    index = out.index.to_numpy()
    mixed: set[str] = set()

    def rows_of(kind: str) -> np.ndarray:
        return index[rows[kinds == DAMAGE_KINDS.index(kind)]]

    ids = out["id_number"].astype(str)

    r = rows_of("id_scientific_text")
    _set(out, r, "id_number", [f"{float(v[:17]) * 10:.5E}" for v in ids.loc[r]])

    r = rows_of("id_number_cell")
    _set(out, r, "id_number", [float(v[:15] + "000") for v in ids.loc[r]])
    if len(r):
        mixed.add("id_number")

    r = rows_of("id_lowercase_x")
    with_x = ids.loc[r].str.endswith("X")
    _set(out, r[with_x.to_numpy()], "id_number", ids.loc[r][with_x].str[:-1] + "x")
    _set(out, r[~with_x.to_numpy()], "id_number", ids.loc[r][~with_x].str.translate(_FULL_WIDTH))

    r = rows_of("fullwidth_digits")
    _set(out, r, "id_number", ids.loc[r].str.translate(_FULL_WIDTH))

    r = rows_of("stray_spaces")
    choice = rng.integers(0, 3, len(r))
    names = out.loc[r, "name"].astype(str)
    _set(out, r[choice == 0], "name", " " + names[choice == 0] + " ")
    _set(out, r[choice == 1], "name", names[choice == 1].str[:1] + "\u200b" + names[choice == 1].str[1:])
    _set(out, r[choice == 2], "id_number", ids.loc[r[choice == 2]] + "\u3000")

    r = rows_of("date_format")
    if len(r):
        birth = pd.to_datetime(out.loc[r, "birth_date"], errors="coerce")
        choice = rng.integers(0, 4, len(r))
        serial = (birth - pd.Timestamp("1899-12-30")).dt.days.astype(float)
        dotted = birth.dt.year.astype(str) + "." + birth.dt.month.astype(str) + "." + birth.dt.day.astype(str)
        chinese = birth.dt.year.astype(str) + "年" + birth.dt.month.astype(str) + "月" + birth.dt.day.astype(str) + "日"
        compact = birth.dt.strftime("%Y%m%d")
        values = np.select([choice == 0, choice == 1, choice == 2], [serial.astype(object), dotted, chinese], compact)
        _set(out, r, "birth_date", list(values))
        if (choice == 0).any():
            mixed.add("birth_date")

    r = rows_of("money_text")
    if len(r):
        column = np.asarray(_MONEY_TARGETS, dtype=object)[rng.integers(0, len(_MONEY_TARGETS), len(r))]
        for target in _MONEY_TARGETS:
            rr = r[column == target]
            if len(rr) == 0:
                continue
            amount = pd.to_numeric(out.loc[rr, target], errors="coerce").fillna(0.0)
            style = rng.integers(0, 3, len(rr))
            text = np.select(
                [style == 0, style == 1],
                [amount.map("{:,.2f}元".format), (amount / 10000).map("{:.2f}万元".format)],
                amount.map("{:,.0f}".format),
            )
            _set(out, rr, target, list(text))
            mixed.add(target)

    r = rows_of("yes_no_symbols")
    if len(r):
        column = np.asarray(_BOOL_TARGETS, dtype=object)[rng.integers(0, len(_BOOL_TARGETS), len(r))]
        symbols = rng.integers(0, 2, len(r))
        for target in _BOOL_TARGETS:
            picked = column == target
            rr = r[picked]
            if len(rr) == 0:
                continue
            yes = out.loc[rr, target].astype(str).eq("是").to_numpy()
            use_ticks = symbols[picked] == 0
            values = np.where(use_ticks, np.where(yes, "√", "×"), np.where(yes, "有", "无"))
            _set(out, rr, target, list(values))

    r = rows_of("wrong_check_digit")
    if len(r):
        last = ids.loc[r].str[-1]
        shift = rng.integers(1, 10, len(r)).astype(str)
        replacement = np.where(last.to_numpy() == shift, "X", shift)
        _set(out, r, "id_number", ids.loc[r].str[:-1] + replacement)

    r = rows_of("missing_household_no")
    _set(out, r, "household_no", "")

    r = rows_of("duplicated_row")
    if len(r):
        copies = out.loc[r]
        out = pd.concat([out, copies]).sort_index(kind="stable").reset_index(drop=True)

    out.attrs["mixed_columns"] = mixed
    out.attrs["damaged_rows"] = count
    return out
