"""Consistency checks (疑点核查), monitoring criteria and the problem ledger
(整改台账).

The catalogue contains every coded check (`CATALOGUE`, `catalogue_frame`);
`run_checks` runs the enabled ones over one county's canonical tables;
`monitoring_flags` applies the monitoring criteria; `update_ledger` turns hits
into problem items tracked to closure.
"""

from ._engine import HIT_COLUMNS, HIT_HEADERS, run_checks
from ._explore import (
    describe_problems,
    filter_problems,
    household_detail,
    household_ranking,
    load_problem_list,
    load_verification_records,
    plot_problems_by_village,
    problems_by_village,
    verification_summary,
)
from ._ledger import (
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    VERIFICATION_CODE,
    LedgerSummary,
    ProblemItem,
    ensure_ledger_tables,
    household_closed,
    read_ledger,
    set_status,
    update_ledger,
    verification_problems,
)
from ._monitoring import CRITERIA, monitoring_flags
from ._registry import CATALOGUE, KINDS, SCOPES, SEVERITIES, Check, catalogue_frame, catalogue_markdown
from ._run import (
    CheckRun,
    check_partition,
    check_root,
    problem_table,
    summary_tables,
    summary_text,
    write_check_reports,
)
from ._settings import CheckSettings, ChecksConfig, load_check_config, resolve_checks

__all__ = [
    "CATALOGUE",
    "KINDS",
    "SCOPES",
    "SEVERITIES",
    "Check",
    "catalogue_frame",
    "catalogue_markdown",
    "run_checks",
    "monitoring_flags",
    "CRITERIA",
    "HIT_COLUMNS",
    "HIT_HEADERS",
    "ProblemItem",
    "LedgerSummary",
    "STATUSES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "VERIFICATION_CODE",
    "ensure_ledger_tables",
    "update_ledger",
    "set_status",
    "household_closed",
    "read_ledger",
    "verification_problems",
    "CheckRun",
    "check_partition",
    "check_root",
    "problem_table",
    "summary_tables",
    "summary_text",
    "write_check_reports",
    "load_problem_list",
    "load_verification_records",
    "verification_summary",
    "filter_problems",
    "describe_problems",
    "problems_by_village",
    "plot_problems_by_village",
    "household_ranking",
    "household_detail",
    "CheckSettings",
    "ChecksConfig",
    "load_check_config",
    "resolve_checks",
]
