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
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _paths
from ..schema import TABLES

__all__ = [
    "read_county_table",
    "read_import_report",
    "run_rule_checks",
    "flag_monitoring",
    "score_risk",
    "update_problem_ledger",
    "available_years",
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


def _empty_table(table: str) -> pd.DataFrame:
    spec = TABLES[table]
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in spec.dtypes().items()})


def read_county_table(data_root, county_code: str, year: int, table: str) -> pd.DataFrame:
    """Read one canonical table of a county and year.

    Uses `fupin_lib.io.read_table`; returns an empty table with the canonical
    columns when the file is missing.
    """
    read_table = _public_function("io", "read_table")
    if read_table is not None:
        return read_table(data_root, county_code, year, table)

    # NOTE: fallback while fupin_lib.io has no read_table: the same file layout,
    # read without the dtype checks that read_table adds.
    path = _paths.clean_dir(data_root, county_code, year) / TABLES[table].file_name
    if not path.exists():
        return _empty_table(table)
    return pd.read_parquet(path)


def read_import_report(data_root, county_code: str, year: int) -> dict:
    """Return the import report of a county and year, or an empty dict if the
    folder holds none."""
    path = _paths.clean_dir(data_root, county_code, year) / "import_report.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def run_rule_checks(households, members, verifications, *, year, params=None):
    """Run the consistency checks and return ``(hits, note)``.

    `hits` has at least ``household_no``, ``id_number``, ``name``,
    ``check_code``, ``title``, ``severity`` and ``description``; `note` is None or a Chinese sentence for
    the report when the checks could not run.
    """
    run_checks = _public_function("checks", "run_checks")
    if run_checks is None:
        return _empty_hits(), "疑点核查模块不可用，本次报告没有核查结果。"
    hits = run_checks(households, members, year=year)
    return _normalise_hits(hits), None


def _empty_hits() -> pd.DataFrame:
    columns = ["household_no", "id_number", "name", "check_code", "title", "severity", "description"]
    return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})


def _normalise_hits(hits: pd.DataFrame) -> pd.DataFrame:
    # The check engine names its columns after the rule catalogue; map the
    # usual alternatives onto the names that the problem list uses.
    renames = {"code": "check_code", "rule_code": "check_code", "rule": "check_code",
               "values": "description", "message": "description", "detail": "description", "name": "title",
               "rule_title": "title", "level": "severity"}
    hits = hits.rename(columns={k: v for k, v in renames.items()
                                if k in hits.columns and v not in hits.columns})
    for column in _empty_hits().columns:
        if column not in hits.columns:
            hits[column] = pd.NA
    return hits.reset_index(drop=True)


def flag_monitoring(households, members, *, year, previous_households=None, params=None):
    """Apply the monitoring criteria and return ``(flags, note)``.

    `flags` has one row per household: ``household_no``, ``rule_flagged``
    (bool) and ``rule_reasons`` (text, reasons joined by ``；``).
    """
    monitoring_flags = _public_function("checks", "monitoring_flags")
    empty = pd.DataFrame({"household_no": households["household_no"].astype("string"),
                          "rule_flagged": False, "rule_reasons": ""})
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
    per_household = pd.DataFrame({
        "household_no": flags["household_no"].astype("string"),
        "rule_flagged": flags[flagged_column].fillna(False).astype(bool),
        "rule_reasons": reasons,
    }).groupby("household_no", sort=False).agg(
        rule_flagged=("rule_flagged", "any"),
        rule_reasons=("rule_reasons", lambda r: "；".join(dict.fromkeys(x for x in r if x))),
    ).reset_index()
    merged = empty[["household_no"]].merge(per_household, on="household_no", how="left")
    merged["rule_flagged"] = merged["rule_flagged"].fillna(False).astype(bool)
    merged["rule_reasons"] = merged["rule_reasons"].fillna("").astype(str)
    return merged


def score_risk(model_dir, households, members, previous_households, previous_members, *, year):
    """Score households with the saved risk model and return ``(scores, note)``.

    `scores` has ``household_no``, ``risk_probability``, ``risk_rank``,
    ``risk_band``, ``suggested_category`` and ``risk_reasons``; it is empty
    (and `note` says why) when no model is saved in `model_dir`.
    """
    columns = {"household_no": "string", "risk_probability": "float64", "risk_rank": "Int64",
               "risk_band": "string", "suggested_category": "string", "risk_reasons": "string"}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    if not model_dir or not Path(model_dir).is_dir() or not any(Path(model_dir).iterdir()):
        return empty, f"未提供风险模型（{model_dir}），本次报告没有风险评分。"
    load_model = _public_function("risk", "load_model")
    score_households = _public_function("risk", "score_households")
    if load_model is None or score_households is None:
        return empty, "风险模型模块不可用，本次报告没有风险评分。"

    model = load_model(model_dir)
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


def update_problem_ledger(hits, *, county_code, year):
    """Record the check hits in the problem ledger and return ``(statuses, note)``.

    `statuses` maps ``(household_no, check_code)`` rows to their ledger
    ``status`` and ``responsible``, so a problem closed by a person shows as
    closed in the report. Empty when the ledger is not available.
    """
    update_ledger = _public_function("checks", "update_ledger")
    empty = pd.DataFrame({c: pd.Series(dtype="string")
                          for c in ("household_no", "check_code", "status", "responsible")})
    if update_ledger is None:
        return empty, "问题台账不可用，问题状态按本次核查结果列出（均为待整改）。"
    result = update_ledger(hits, county_code=county_code, year=year)
    if not isinstance(result, pd.DataFrame) or "status" not in result:
        return empty, None
    keep = [c for c in empty.columns if c in result.columns]
    return result[keep].astype("string"), None


def available_years(data_root) -> dict[str, list[int]]:
    """Map each county code in a clean-data root to its sorted data years."""
    available_partitions = _public_function("io", "available_partitions")
    if available_partitions is not None:
        partitions = available_partitions(data_root)
        pairs = zip(partitions["county_code"].astype(str), partitions["year"].astype(int))
    else:
        # NOTE: fallback while fupin_lib.io has no available_partitions.
        pairs = [(p.parent.parent.name, int(p.parent.name))
                 for p in Path(data_root).glob("*/*/households.parquet") if p.parent.name.isdigit()]
    years: dict[str, list[int]] = {}
    for county, year in pairs:
        years.setdefault(county, []).append(year)
    return {county: sorted(set(y)) for county, y in sorted(years.items())}
