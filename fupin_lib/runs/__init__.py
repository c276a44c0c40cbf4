"""County runs: the county notebook's building blocks, the papermill runner
and the Dask fan-out over counties (``fupin run``)."""

from ._display import (
    ReportTable,
    area_kpi_table,
    employment_area_table,
    employment_summary,
    import_status_table,
    outputs_table,
    plot_area_overview,
    plot_employment,
    problem_list,
    problem_summary,
    report_header,
    risk_summary,
    visit_table,
)
from ._report import (
    EMPLOYMENT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    PROBLEM_COLUMNS,
    CountyReport,
    build_county_report,
    write_county_outputs,
)
from ._runner import default_notebook, run_counties, run_county
from ._sources import available_years

__all__ = [
    "run_counties",
    "run_county",
    "default_notebook",
    "available_years",
    "CountyReport",
    "build_county_report",
    "write_county_outputs",
    "HOUSEHOLD_COLUMNS",
    "PROBLEM_COLUMNS",
    "EMPLOYMENT_COLUMNS",
    "ReportTable",
    "report_header",
    "import_status_table",
    "problem_summary",
    "problem_list",
    "risk_summary",
    "visit_table",
    "employment_summary",
    "employment_area_table",
    "area_kpi_table",
    "plot_area_overview",
    "plot_employment",
    "outputs_table",
]
