"""Calls from a county run into the other parts of the workbench.

Each function here calls one public function of another subpackage and
reshapes its result into what the county report needs. When that part is not
available (an optional model not trained, a subpackage without the function),
the function returns an empty result and a Chinese note that the report
prints, instead of failing the whole county.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _paths

__all__ = [
    "read_county_table",
    "read_import_report",
    "run_rule_checks",
    "flag_monitoring",
    "score_risk",
    "update_problem_ledger",
    "available_years",
    "employment_by_area",
]

logger = logging.getLogger(__name__)


def _public_function(module: str, name: str):
    """Return ``fupin_lib.<module>.<name>``, or None if it does not exist."""
    try:
        package = importlib.import_module(f"fupin_lib.{module}")
    except ImportError:
        logger.warning("fupin_lib.%s cannot be imported", module, exc_info=True)
        return None
    return getattr(package, name, None)


def read_county_table(data_root, county_code: str, year: int, table: str) -> pd.DataFrame:
    """Read one canonical table of a county and year (`fupin_lib.io.read_table`:
    an empty table with the canonical columns when the file is missing)."""
    from ..io import read_table

    return read_table(data_root, county_code, year, table)


def read_import_report(data_root, county_code: str, year: int) -> dict:
    """Return the import report of a county and year, or an empty dict if the
    folder holds none."""
    path = _paths.clean_dir(data_root, county_code, year) / "import_report.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def run_rule_checks(households, members, verifications, *, year):
    """Run the consistency checks, add the problems recorded in verification
    records, and return ``(hits, note)``.

    `hits` has at least ``household_no``, ``id_number``, ``name``,
    ``check_code``, ``title``, ``severity``, ``description`` and ``source``
    (``check`` or ``verification``); `note` is None or a Chinese sentence for
    the report when the checks could not run.
    """
    run_checks = _public_function("checks", "run_checks")
    verification_problems = _public_function("checks", "verification_problems")
    frames, note = [], None
    if run_checks is None:
        note = "疑点核查模块不可用，本次报告没有核查结果。"
    else:
        frames.append(run_checks(households, members, year=year).assign(source="check"))
    if verification_problems is not None:
        frames.append(verification_problems(verifications, households))
    hits = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
        else _empty_hits()
    return _normalise_hits(hits), note


def _empty_hits() -> pd.DataFrame:
    columns = ["household_no", "id_number", "name", "check_code", "title", "severity", "description",
               "source"]
    return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})


def _normalise_hits(hits: pd.DataFrame) -> pd.DataFrame:
    # The check engine names its columns after the rule catalogue; map the
    # usual alternatives onto the names that the problem list uses.
    renames = {"code": "check_code", "rule_code": "check_code", "rule": "check_code",
               "message": "description", "detail": "description", "rule_title": "title",
               "level": "severity"}
    hits = hits.rename(columns={k: v for k, v in renames.items()
                                if k in hits.columns and v not in hits.columns})
    if "values" in hits and "description" not in hits:
        # The ledger reads "values"; the problem list calls it description.
        hits["description"] = hits["values"]
    for column in _empty_hits().columns:
        if column not in hits.columns:
            hits[column] = pd.NA
    return hits.reset_index(drop=True)


def flag_monitoring(households, members, *, year, previous_households=None, params=None):
    """Apply the monitoring criteria and return ``(flags, note)``.

    `flags` has one row per household: ``household_no``, ``rule_flagged``
    (bool), ``rule_reasons`` (text, reasons joined by ``；``) and
    ``rule_category`` (the monitoring category the criteria suggest, or NA).
    """
    monitoring_flags = _public_function("checks", "monitoring_flags")
    empty = pd.DataFrame({"household_no": households["household_no"].astype("string"),
                          "rule_flagged": False, "rule_reasons": "", "rule_category": pd.NA})
    if monitoring_flags is None:
        return empty, "监测标准模块不可用，本次报告没有按规则标记的农户。"
    flags = monitoring_flags(households, members, year=year,
                             previous_households=previous_households, params=params)
    return _normalise_flags(flags, empty), None


def _normalise_flags(flags: pd.DataFrame, empty: pd.DataFrame) -> pd.DataFrame:
    flagged_column = next((c for c in ("rule_flagged", "flagged", "meets_criteria") if c in flags), None)
    reasons_column = next((c for c in ("rule_reasons", "reasons", "reason") if c in flags), None)
    if flagged_column is None:
        flags = flags.assign(rule_flagged=True)
        flagged_column = "rule_flagged"
    reasons = flags[reasons_column] if reasons_column else pd.Series("", index=flags.index)
    reasons = reasons.map(lambda value: "；".join(value) if isinstance(value, (list, tuple, np.ndarray))
                          else ("" if pd.isna(value) else str(value)))
    suggested = flags["suggested_category"] if "suggested_category" in flags else pd.NA
    per_household = pd.DataFrame({
        "household_no": flags["household_no"].astype("string"),
        "rule_flagged": flags[flagged_column].fillna(False).astype(bool),
        "rule_reasons": reasons,
        "rule_category": pd.Series(suggested, index=flags.index, dtype="string"),
    }).groupby("household_no", sort=False).agg(
        rule_flagged=("rule_flagged", "any"),
        rule_reasons=("rule_reasons", lambda r: "；".join(dict.fromkeys(x for x in r if x))),
        rule_category=("rule_category", "first"),
    ).reset_index()
    merged = empty[["household_no"]].merge(per_household, on="household_no", how="left")
    merged["rule_flagged"] = merged["rule_flagged"].fillna(False).astype(bool)
    merged["rule_reasons"] = merged["rule_reasons"].fillna("").astype(str)
    return merged


def score_risk(model_dir, households, members, previous_households, previous_members, *, year):
    """Score households with the saved risk model and return ``(scores, note)``.

    `scores` has ``household_no``, ``risk_probability``, ``risk_rank``,
    ``risk_band``, ``suggested_category`` and ``risk_reasons``; it is empty
    (and `note` gives the reason) when no model is saved in `model_dir`.
    """
    columns = {"household_no": "string", "risk_probability": "float64", "risk_rank": "Int64",
               "risk_band": "string", "suggested_category": "string", "risk_reasons": "string"}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    if not model_dir or not Path(model_dir).is_dir() or not any(Path(model_dir).iterdir()):
        where = f"（{model_dir}）" if model_dir else ""
        return empty, f"未提供风险模型{where}，本次报告没有风险评分。"
    load_model = _public_function("risk", "load_model")
    score_households = _public_function("risk", "score_households")
    if load_model is None or score_households is None:
        return empty, "风险模型模块不可用，本次报告没有风险评分。"

    model = load_model(model_dir)
    if previous_households is not None and previous_households.empty:
        previous_households, previous_members = None, None
    scores = score_households(model, households, members, previous_households, previous_members,
                              year=year)
    reasons = scores["reasons"].map(lambda value: "；".join(value)
                                    if isinstance(value, (list, tuple, np.ndarray))
                                    else ("" if pd.isna(value) else str(value)))
    return pd.DataFrame({
        "household_no": scores["household_no"].astype("string"),
        "risk_probability": scores["probability"].astype("float64"),
        "risk_rank": scores["rank"].astype("Int64"),
        "risk_band": scores["risk_band"].astype("string"),
        "suggested_category": scores["suggested_category"].astype("string"),
        "risk_reasons": reasons.astype("string"),
    }), None


LEDGER_ATTEMPTS = 5


def _retry_locked(function, *args, **kwargs):
    """Call `function`, again after a pause when the database reports a lock.

    Counties run in parallel write the same ledger. On SQLite a transaction
    that starts as a reader and then writes fails at once with "database is
    locked" when another county committed in between (the busy timeout does
    not cover that case in WAL mode); the whole call is repeated, because it
    runs in one transaction that was rolled back.
    """
    from sqlalchemy.exc import OperationalError

    for attempt in range(1, LEDGER_ATTEMPTS + 1):
        try:
            return function(*args, **kwargs)
        except OperationalError as error:
            if "locked" not in str(error.orig).lower() or attempt == LEDGER_ATTEMPTS:
                raise
            logger.warning("%s: database locked on attempt %d, retrying", function.__name__, attempt)
            time.sleep(0.5 * attempt)


def update_problem_ledger(hits, *, county_code, year):
    """Record the hits in the problem ledger and return ``(items, note)``.

    `items` are the ledger's items of the county seen in `year`, with the
    ``status``, ``responsible`` and ``deadline`` that people may have changed
    since earlier runs (a problem closed by a person shows as closed). Empty,
    with a note, when the ledger is not available.
    """
    update_ledger = _public_function("checks", "update_ledger")
    read_ledger = _public_function("checks", "read_ledger")
    if update_ledger is None or read_ledger is None:
        return None, "问题台账不可用，问题状态按本次核查结果列出（均为待整改）。"
    summary = _retry_locked(update_ledger, hits, county_code=county_code, year=year)
    logger.info("ledger of county %s %s updated: %s", county_code, year, summary)
    return read_ledger(county_code=county_code, year=year), None


def available_years(data_root) -> dict[str, list[int]]:
    """Map each county code in a clean-data root to its sorted data years."""
    from ..io import available_partitions

    partitions = available_partitions(data_root)
    years: dict[str, list[int]] = {}
    for county, year in zip(partitions["county_code"].astype(str), partitions["year"].astype(int)):
        years.setdefault(county, []).append(year)
    return {county: sorted(set(y)) for county, y in sorted(years.items())}


def employment_by_area(members, households, *, year):
    """Return the employment statistics by county, township and village
    (`fupin_lib.matching.employment_statistics`) and a note, or ``(None,
    note)`` when the matching part is not available."""
    employment_statistics = _public_function("matching", "employment_statistics")
    if employment_statistics is None:
        return None, "就业匹配模块不可用，本次报告没有就业奖补统计。"
    return employment_statistics(members, households, year=year), None
