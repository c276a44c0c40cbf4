"""Run the catalogue over canonical tables and collect the hits."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..params import monitoring_line as lookup_monitoring_line
from ..reports import mask_id_number, mask_name, mask_phone
from ..schema import HOUSEHOLDS, MEMBERS
from . import _rules_health_work, _rules_households, _rules_people  # noqa: F401  (register the checks)
from ._context import CheckContext
from ._registry import CATALOGUE, KINDS, SEVERITIES, Check
from ._settings import ChecksConfig, ResolvedChecks, resolve_checks

__all__ = ["run_checks", "HIT_COLUMNS", "HIT_HEADERS", "province_of"]

logger = logging.getLogger(__name__)

HIT_COLUMNS = [
    "county_code", "year", "township", "village_code", "village", "household_no", "person_no",
    "id_number", "name", "check_code", "title", "kind", "scope", "severity", "values", "helper_name",
]
HIT_HEADERS = {
    "county_code": "县代码", "year": "年度", "township": "乡镇", "village_code": "村代码",
    "village": "行政村", "household_no": "户编号", "person_no": "人编号", "id_number": "成员证件号码", "name": "姓名",
    "check_code": "核查编码", "title": "核查名称", "kind": "类别", "scope": "范围",
    "severity": "严重程度", "values": "发现的值", "helper_name": "帮扶责任人",
}
_AREA_COLUMNS = ["county_code", "township", "village_code", "village", "helper_name"]
_MASKERS = {"id_number": mask_id_number, "head_id_number": mask_id_number, "phone": mask_phone,
            "helper_phone": mask_phone, "name": mask_name, "head_name": mask_name,
            "helper_name": mask_name, "disability_cert_no": mask_id_number}
_ZH = {"households": HOUSEHOLDS.zh_headers(), "members": MEMBERS.zh_headers()}


def province_of(households: pd.DataFrame, county_code: str | None = None) -> str | None:
    """Return the 2-digit province code of the households (from
    ``province_code``, else from the county code)."""
    for column in ("province_code", "county_code"):
        if column in households:
            codes = households[column].dropna().astype("string")
            if len(codes):
                return str(codes.iloc[0])[:2]
    return str(county_code)[:2] if county_code else None


def _describe(frame: pd.DataFrame, table: str, fields: Iterable[str]) -> pd.Series:
    """Render the values of `fields` of `frame` as ``中文名=值；…``, personal
    data masked."""
    parts = []
    for field in fields:
        source, column = field.split(".")
        if source != table or column not in frame:
            continue
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        if pd.api.types.is_bool_dtype(values):
            values = values.astype("boolean").map({True: "是", False: "否"})
        values = values.astype("string")
        if column in _MASKERS:
            values = _MASKERS[column](values)
        parts.append(_ZH[table][column] + "=" + values.fillna("空"))
    if not parts:
        return pd.Series("", index=frame.index, dtype="string")
    text = parts[0]
    for part in parts[1:]:
        text = text + "；" + part
    return text


def _take(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """Take `values` at `positions` as strings, NA where a position is -1."""
    array = values.astype("string").array
    return pd.Series(array.take(positions, allow_fill=True), dtype="string")


def _fields_at(frame: pd.DataFrame, table: str, fields, positions: np.ndarray) -> pd.DataFrame:
    """Select the rows at `positions` and the columns of `table` named in `fields`."""
    names = [f.split(".")[1] for f in fields if f.split(".")[0] == table and f.split(".")[1] in frame]
    return frame[names].iloc[positions]


def _hits_of(check: Check, ctx: CheckContext, mask: np.ndarray) -> pd.DataFrame:
    positions = np.flatnonzero(mask)
    if check.scope == "member":
        rows = _fields_at(ctx.members, "members", check.fields, positions)
        household_pos = ctx.member_household[positions]
        frame = pd.DataFrame({c: _take(ctx.households[c], household_pos) for c in _AREA_COLUMNS})
        own_county = _take(ctx.members["county_code"], positions)
        frame["county_code"] = frame["county_code"].fillna(own_county)
        for column in ("household_no", "person_no", "id_number", "name"):
            frame[column] = _take(ctx.members[column], positions)
        frame["values"] = _describe(rows, "members", check.fields).to_numpy()
    elif check.scope == "household":
        rows = _fields_at(ctx.households, "households", check.fields, positions)
        frame = pd.DataFrame({c: _take(ctx.households[c], positions) for c in _AREA_COLUMNS})
        frame["household_no"] = _take(ctx.households["household_no"], positions)
        frame["values"] = _describe(rows, "households", check.fields).to_numpy()
    else:
        rows = ctx.villages.iloc[positions]
        frame = pd.DataFrame({c: rows[c].to_numpy() for c in _AREA_COLUMNS if c in rows})
        frame["values"] = ("村代码=" + rows["village_code"] + "；村=" + rows["village"]).to_numpy()
    frame["check_code"] = check.code
    frame["title"] = check.title
    frame["kind"] = KINDS[check.kind][1]
    frame["scope"] = check.scope
    frame["severity"] = SEVERITIES[check.severity]
    return frame


def run_checks(households: pd.DataFrame, members: pd.DataFrame, *, year: int,
               province_code: str | None = None, codes: Iterable[str] | None = None,
               config: ChecksConfig | None = None) -> pd.DataFrame:
    """Run the enabled checks over one county's canonical tables.

    Parameters
    ----------
    households, members : DataFrame
        Canonical tables of one county and year (``fupin_lib.io.read_table``).
    year : int
        Data year.
    province_code : str, optional
        Selects the overrides of ``parameters/checks.yaml`` and the monitoring
        line; by default taken from the households.
    codes : iterable of str, optional
        Run only these checks (still subject to being enabled).
    config : ChecksConfig, optional
        Parsed ``parameters/checks.yaml``; loaded from the parameters folder
        when None.

    The monitoring line comes from `fupin_lib.params.monitoring_line`. When
    ``parameters/defaults.yaml`` has no line for the province and year, the
    checks that compare income with it find nothing and a warning is logged.

    Returns
    -------
    DataFrame
        One row per hit with the columns of `HIT_COLUMNS`. ``person_no``,
        ``id_number`` and ``name`` are set for member checks only. ``values``
        lists the fields the check read, as Chinese text, with personal data
        masked.

    Raises
    ------
    ParameterError
        If `codes` names an unknown check.
    """
    province = province_code or province_of(households)
    resolved: ResolvedChecks = resolve_checks(province, year, config)
    selected = _select(resolved, codes)
    monitoring_line = None
    if province:
        try:
            monitoring_line = lookup_monitoring_line(province, year)
        except ParameterError as error:
            logger.warning("No monitoring line, income checks skipped: %s", error)
    ctx = CheckContext(households, members, year=year, settings=resolved.settings,
                       monitoring_line=monitoring_line)
    frames = []
    for code in selected:
        check = CATALOGUE[code]
        started = time.perf_counter()
        mask = np.asarray(check.func(ctx), dtype=bool)
        if mask.any():
            frames.append(_hits_of(check, ctx, mask))
        logger.debug("check %s: %d hits in %.3f s", code, mask.sum(), time.perf_counter() - started)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in HIT_COLUMNS}).assign(
            year=pd.Series(dtype="Int64"))[HIT_COLUMNS]
    hits = pd.concat(frames, ignore_index=True).reindex(columns=HIT_COLUMNS)
    hits["year"] = int(year)
    return hits.astype({c: "Int64" if c == "year" else "string" for c in HIT_COLUMNS})


def _select(resolved: ResolvedChecks, codes: Iterable[str] | None) -> list[str]:
    if codes is None:
        return list(resolved.enabled)
    codes = list(codes)
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise ParameterError(f"未知的核查编码：{', '.join(unknown)}。可用编码见 docs/checks.md。")
    return [code for code in codes if code in resolved.enabled]
