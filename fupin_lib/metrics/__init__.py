"""Key figures for leaders (领导视窗): KPIs by area, drill-down rows and ranked
lists, computed by DuckDB over the run outputs
(``outputs/<county_code>/<year>/*.parquet``) and the case store, always
limited to the signed-in user's area; and the KPIs that a county run
writes to kpis.json (`county_kpis`, `kpis_by_area`)."""

from ._cases import cases_by_status
from ._county import AREA_KPI_HEADERS, county_kpis, kpis_by_area
from ._employment import employment_rate
from ._kpis import COUNTS, KPIS, RATIOS, area_name, children, kpis
from ._rankings import problem_households, problem_villages
from ._source import AreaLevel, area_level, available_years, child_level, scoped_area, top_area
from ._summary import clear_summaries

__all__ = [
    "kpis",
    "children",
    "problem_villages",
    "problem_households",
    "employment_rate",
    "cases_by_status",
    "area_name",
    "area_level",
    "child_level",
    "scoped_area",
    "available_years",
    "top_area",
    "clear_summaries",
    "KPIS",
    "COUNTS",
    "RATIOS",
    "AreaLevel",
    "county_kpis",
    "kpis_by_area",
    "AREA_KPI_HEADERS",
]
