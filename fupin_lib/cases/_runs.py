"""Feed the case store from a county run's ``households.parquet``.

A run refreshes what it computes (area, size, income, scores, reasons) and
never touches what people decided (state, category, assignment, dates):

- a newly flagged household gets a case in state 线索;
- a household flagged again gets its score and reasons updated;
- a household no longer flagged keeps its case, marked ``flagged = False``,
  until a person closes it;
- rerunning the same results changes nothing.

Flagged means ``rule_flagged`` or ``risk_band == "高"``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select

from .._errors import ParameterError
from ._base import get_engine
from ._migrate import init_db
from ._models import Case, Household, utcnow
from ._retry import retry_busy

__all__ = ["upsert_run_results", "RUN_COLUMNS"]

logger = logging.getLogger(__name__)

RUN_COLUMNS = (
    "year", "county_code", "county", "township_code", "township", "village_code", "village",
    "household_no", "household_size", "head_name_masked", "monitoring_category", "verified",
    "rule_flagged", "rule_reasons", "risk_probability", "risk_rank", "risk_band",
    "suggested_category", "risk_reasons", "laborers", "employed", "problems_open",
    "problems_closed", "net_income_per_capita",
)

_HOUSEHOLD_FIELDS = (
    "year", "county", "township_code", "township", "village_code", "village",
    "head_name_masked", "household_size", "monitoring_category", "laborers", "employed",
    "net_income_per_capita", "problems_open", "problems_closed",
)
_CASE_FIELDS = (
    "flagged", "rule_flagged", "rule_reasons", "risk_probability", "risk_rank", "risk_band",
    "suggested_category", "risk_reasons",
)
_INT_FIELDS = {"household_size", "laborers", "employed", "problems_open", "problems_closed",
               "risk_rank", "year"}
_FLOAT_FIELDS = {"net_income_per_capita", "risk_probability"}


def _clean(value, field):
    """Convert a pandas cell to a plain Python value the DB drivers accept."""
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
        return None
    if field in _INT_FIELDS:
        return int(value)
    if field in _FLOAT_FIELDS:
        return round(float(value), 6)
    if field in ("flagged", "rule_flagged"):
        return bool(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return "；".join(str(v) for v in value)
    return str(value)


def _records(households: pd.DataFrame, county_code: str, year: int) -> list[dict]:
    missing = [c for c in ("household_no", "village_code", "rule_flagged", "risk_band")
               if c not in households.columns]
    if missing:
        raise ParameterError(
            f"运行结果缺少列：{'、'.join(missing)}。请用当前版本重新运行 fupin run。"
        )
    frame = households.copy()
    if "county_code" in frame.columns:
        other = frame["county_code"].astype(str) != str(county_code)
        if other.any():
            raise ParameterError(
                f"运行结果中有 {int(other.sum())} 户不属于县 {county_code}"
                f"（例如 {frame.loc[other, 'county_code'].iloc[0]}），请检查 --county。"
            )
    frame["year"] = int(year)
    frame["flagged"] = frame["rule_flagged"].fillna(False).astype(bool) | (
        frame["risk_band"].astype("string") == "高"
    ).fillna(False)
    duplicated = frame["household_no"].astype(str).duplicated()
    if duplicated.any():
        raise ParameterError(
            f"运行结果中户编号重复：{frame.loc[duplicated, 'household_no'].iloc[0]}。"
        )
    fields = [f for f in _HOUSEHOLD_FIELDS + _CASE_FIELDS if f in frame.columns]
    records = []
    for row in frame[["household_no", *fields]].itertuples(index=False):
        values = row._asdict()
        record = {f: _clean(values[f], f) for f in fields}
        record["household_no"] = str(values["household_no"])
        records.append(record)
    return records


@retry_busy
def upsert_run_results(households: pd.DataFrame, *, county_code: str, year: int,
                       url: str | None = None) -> dict:
    """Store one county run's households and open or refresh their cases.

    Parameters
    ----------
    households : DataFrame
        ``outputs/<county>/<year>/households.parquet`` (see `RUN_COLUMNS`).
    county_code : str
        The county the run covers; every row must belong to it.
    year : int
        The monitoring period of the cases.
    url : str, optional
        Database URL (default ``FUPIN_DB_URL`` or ``data/fupin.db``).

    Returns
    -------
    dict
        Counts: ``households`` (rows read), ``households_added``,
        ``households_updated``, ``cases_opened``, ``cases_updated``,
        ``cases_unflagged`` and ``cases_unchanged``.
    """
    county_code = str(county_code)
    year = int(year)
    init_db(url)
    records = _records(households, county_code, year)
    now = utcnow()
    counts = dict(households=len(records), households_added=0, households_updated=0,
                  cases_opened=0, cases_updated=0, cases_unflagged=0, cases_unchanged=0)
    hh_fields = [f for f in _HOUSEHOLD_FIELDS if records and f in records[0]]
    case_fields = [f for f in _CASE_FIELDS if records and f in records[0]]

    engine = get_engine(url)
    with engine.connect() as connection:
        connection = connection.execution_options(fupin_write=True)
        with connection.begin():
            existing = {
                row.household_no: row._asdict()
                for row in connection.execute(
                    select(Household.id, Household.household_no,
                           *[getattr(Household, f) for f in hh_fields])
                    .where(Household.county_code == county_code)
                )
            }
            inserts, updates = [], []
            for record in records:
                values = {f: record.get(f) for f in hh_fields}
                old = existing.get(record["household_no"])
                if old is None:
                    inserts.append({**values, "county_code": county_code,
                                    "household_no": record["household_no"], "updated_at": now})
                elif any(old[f] != values[f] for f in hh_fields):
                    updates.append(_prefixed({**values, "id": old["id"], "updated_at": now}))
            if inserts:
                connection.execute(Household.__table__.insert(), inserts)
            if updates:
                table = Household.__table__
                connection.execute(
                    table.update().where(table.c.id == _bind("id"))
                    .values({f: _bind(f) for f in [*hh_fields, "updated_at"]}),
                    updates,
                )
            counts["households_added"] = len(inserts)
            counts["households_updated"] = len(updates)

            ids = dict(connection.execute(
                select(Household.household_no, Household.id).where(Household.county_code == county_code)
            ).all())
            cases = {
                row.household_id: row._asdict()
                for row in connection.execute(
                    select(Case.id, Case.household_id, *[getattr(Case, f) for f in case_fields])
                    .join(Household, Household.id == Case.household_id)
                    .where(Household.county_code == county_code, Case.period == year)
                )
            }
            opened, changed = [], []
            for record in records:
                household_id = ids[record["household_no"]]
                values = {f: record.get(f) for f in case_fields}
                case = cases.get(household_id)
                if case is None:
                    if record["flagged"]:
                        opened.append({**values, "household_id": household_id, "period": year,
                                       "state": "线索", "version": 1, "opened_at": now,
                                       "updated_at": now, "last_run_at": now})
                    continue
                if any(case[f] != values[f] for f in case_fields):
                    changed.append(_prefixed({**values, "id": case["id"], "last_run_at": now}))
                    if case["flagged"] and not values["flagged"]:
                        counts["cases_unflagged"] += 1
                    else:
                        counts["cases_updated"] += 1
                else:
                    counts["cases_unchanged"] += 1
            if opened:
                connection.execute(Case.__table__.insert(), opened)
            if changed:
                # The version moves so that an official who loaded the case
                # before the run sees the new score before deciding.
                table = Case.__table__
                connection.execute(
                    table.update().where(table.c.id == _bind("id"))
                    .values({**{f: _bind(f) for f in [*case_fields, "last_run_at"]},
                             "version": table.c.version + 1}),
                    changed,
                )
            counts["cases_opened"] = len(opened)
    logger.info("county %s year %s: %s", county_code, year, counts)
    return counts


def _bind(name):
    # Bound names differ from column names, which SQLAlchemy reserves in SET.
    return bindparam(f"b_{name}")


def _prefixed(values: dict) -> dict:
    return {f"b_{key}": value for key, value in values.items()}
