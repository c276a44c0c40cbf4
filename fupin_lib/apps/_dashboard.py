"""The leader dashboard (领导视窗): state and pure functions, tested without
widgets.

`DashboardState` stores what one user's page shows (area, year, KPI, the last
message) and changes only through its methods. `DashboardState.view` gathers
everything a page draws into a `DashboardView` by calling `fupin_lib.metrics`
with the signed-in user, so the user's area is applied in the queries, not
in the widgets. Errors the user can act on become a Chinese message in
``state.message``; nothing raises to the page.
"""

from __future__ import annotations

import html
import logging
import os
import urllib.parse
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .. import metrics
from .._errors import FupinError
from .._paths import OUTPUTS_DIR
from ..cases.access import User
from ..params import load_defaults
from ..params._load import validate

__all__ = [
    "DashboardSettings",
    "DashboardState",
    "DashboardView",
    "Card",
    "load_settings",
    "default_outputs_root",
    "format_count",
    "format_percent",
    "format_change",
    "kpi_cards",
    "breadcrumb",
    "review_link",
    "choropleth_styles",
    "geojson_bounds",
    "ranked_bars",
    "households_table",
    "problem_households_table",
    "parse_query",
    "LEVEL_LABELS",
    "REVIEW_PATH",
    "HOUSEHOLD_ROWS",
]

logger = logging.getLogger(__name__)

# Path of the review app on the same server; the session cookie goes with a
# same-origin link, so the user stays signed in.
REVIEW_PATH = "/voila/render/review.ipynb"

LEVEL_LABELS = {
    "country": "全部", "province": "省", "city": "市", "county": "县（市、区）",
    "township": "乡镇", "village": "村", "household": "户",
}

# Fill colours of the map, from the best to the worst value (colour-blind safe,
# ColorBrewer YlOrRd with 5 classes).
_SCALE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
_NO_DATA = "#d9d9d9"

_OUTPUTS_ENV = "FUPIN_OUTPUTS_ROOT"

# Rows of a village's household list drawn on the page.
HOUSEHOLD_ROWS = 300


class DashboardSettings(BaseModel):
    """The ``dashboard`` section of ``parameters/defaults.yaml``."""

    model_config = ConfigDict(extra="forbid")

    tile_url: str = ""
    tile_attribution: str = ""


def load_settings(defaults=None) -> DashboardSettings:
    """Read the dashboard settings (an empty tile URL means no map tiles).

    Raises
    ------
    ParameterError
        If the section contains an unknown key or a value of the wrong type.
    """
    defaults = defaults or load_defaults()
    section = (defaults.model_extra or {}).get("dashboard") or {}
    return validate(DashboardSettings, section, "parameters/defaults.yaml（dashboard）")


def default_outputs_root() -> Path:
    """Return the run outputs folder of an app kernel: ``FUPIN_OUTPUTS_ROOT``,
    else ``outputs/`` in the working folder, else the ``outputs/`` of the
    source checkout (a Voila kernel runs in the notebook's folder)."""
    configured = os.environ.get(_OUTPUTS_ENV)
    if configured:
        return Path(configured)
    if OUTPUTS_DIR.is_dir():
        return OUTPUTS_DIR
    return Path(__file__).resolve().parents[2] / OUTPUTS_DIR


def parse_query(query_string: str | None) -> dict:
    """Read ``area``, ``year`` and ``kpi`` from a page's query string (for
    links into the dashboard); unknown or malformed values are left out."""
    values = dict(urllib.parse.parse_qsl(query_string or ""))
    result = {}
    area = values.get("area", "").strip()
    if area.isdigit() and len(area) in (2, 4, 6, 9, 12):
        result["area_code"] = area
    year = values.get("year", "").strip()
    if year.isdigit() and len(year) == 4:
        result["year"] = int(year)
    if values.get("kpi") in metrics.KPIS:
        result["kpi"] = values["kpi"]
    return result


def format_count(value) -> str:
    """Format a count with thousands separators; ``—`` when missing."""
    if value is None or pd.isna(value):
        return "—"
    return f"{int(value):,}"


def format_percent(ratio, digits: int = 2) -> str:
    """Format a ratio as a percentage rounded half up: 0.90625 gives
    ``90.63%``; ``—`` when missing.

    Python's ``round`` and format strings round half to even on the binary
    value and would print 90.62, which disagrees with hand-calculated figures.
    """
    if ratio is None or pd.isna(ratio):
        return "—"
    percent = Decimal(repr(float(ratio))) * 100
    quantum = Decimal(1).scaleb(-digits)
    return f"{percent.quantize(quantum, rounding=ROUND_HALF_UP)}%"


def format_change(kind: str, change) -> str:
    """Describe the change from the previous year: ``较上年 +11`` for a count,
    ``较上年 +8.59 个百分点`` for a ratio, ``无上年数据`` when unknown."""
    if change is None or pd.isna(change):
        return "无上年数据"
    if kind == "ratio":
        points = Decimal(repr(float(change))) * 100
        points = points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        sign = "+" if points > 0 else ""
        return f"较上年 {sign}{points} 个百分点"
    sign = "+" if change > 0 else ""
    return f"较上年 {sign}{int(change):,}"


def _tone(name: str, change) -> str:
    """Return ``good``, ``bad`` or ``flat`` for a change of KPI `name`."""
    if change is None or pd.isna(change) or change == 0:
        return "flat"
    higher_is_worse = metrics.KPIS[name][2]
    return "bad" if (change > 0) == higher_is_worse else "good"


@dataclass(frozen=True)
class Card:
    """One KPI tile: a title, the main value, a detail line and the change
    from the previous year with its tone (``good``, ``bad`` or ``flat``)."""

    key: str
    title: str
    value: str
    detail: str
    change: str
    tone: str
    progress: float | None = None


def _joined(counts: dict, unit: str) -> str:
    if not counts:
        return "无"
    return " · ".join(f"{label} {value:,}{unit}" for label, value in counts.items())


def kpi_cards(figures: dict, cases: dict | None = None) -> list[Card]:
    """Turn the result of `fupin_lib.metrics.kpis` (and the case counts of
    `fupin_lib.metrics.cases_by_status`) into the tiles of the page."""
    change = figures.get("change") or {}

    def card(key, title, value, detail, name, kind="count", progress=None):
        return Card(key, title, value, detail, format_change(kind, change.get(name)),
                    _tone(name, change.get(name)), progress)

    cards = [
        card("households", "户数 / 人数",
             f"{format_count(figures['households'])} 户 / {format_count(figures['people'])} 人",
             f"{figures['area_name']} · {figures['year']} 年",
             "households"),
        card("verified_share", "核查完成率", format_percent(figures["verified_share"]),
             f"已核查 {format_count(figures['verified_households'])} / {format_count(figures['households'])} 户",
             "verified_share", "ratio", figures["verified_share"]),
        card("monitored", "监测户", f"{format_count(figures['monitored'])} 户",
             _joined(figures["monitored_by_category"], "户"), "monitored"),
        card("flagged", "风险预警户", f"{format_count(figures['flagged'])} 户",
             f"{_joined(figures['flagged_by_band'], '户')}；规则疑点 {format_count(figures['rule_flagged'])} 户",
             "flagged"),
        card("problems_open", "整改清零", f"未整改 {format_count(figures['problems_open'])} 项",
             f"已销号 {format_count(figures['problems_closed'])} 项，进度 {format_percent(figures['clearance_rate'])}",
             "problems_open", progress=figures["clearance_rate"]),
        card("employment_rate", "劳动力就业率", format_percent(figures["employment_rate"]),
             f"就业 {format_count(figures['employed'])} / 劳动力 {format_count(figures['laborers'])} 人",
             "employment_rate", "ratio", figures["employment_rate"]),
    ]
    if cases is not None:
        total = sum(cases.values())
        cards.append(Card("cases", "监测案例", f"{total:,} 件", _joined(cases, "件"), "", "flat"))
    return cards


def breadcrumb(area_code: str, top_area: str, *, outputs_root=None, year=None) -> list[tuple[str, str]]:
    """Return ``(code, name)`` of every area from `top_area` down to
    `area_code`, the path a user can click back along."""
    code, top = str(area_code), str(top_area)
    cuts = [length for length in (2, 4, 6, 9, 12) if len(top) <= length <= len(code)]
    path = [top] if top and len(top) not in cuts else []
    path += [code[:length] for length in cuts]
    if not path:
        path = [code]
    return [(part, metrics.area_name(part, outputs_root=outputs_root, year=year)) for part in path]


def review_link(household_no: str, county_code: str) -> str:
    """Return the same-origin link that opens a household in the review app."""
    query = urllib.parse.urlencode({"household_no": household_no, "county_code": county_code})
    return f"{REVIEW_PATH}?{query}"


def choropleth_styles(values: dict, *, higher_is_worse: bool) -> dict[str, dict]:
    """Return a Leaflet path style per area code.

    The fill colour is the value's class among 5 equal-width classes between
    the smallest and the largest value. The worst values get the darkest red,
    and a missing value gets grey.
    """
    present = {code: float(v) for code, v in values.items() if v is not None and not pd.isna(v)}
    low, high = (min(present.values()), max(present.values())) if present else (0.0, 0.0)
    styles = {}
    for code, value in values.items():
        if code not in present:
            color = _NO_DATA
        else:
            share = 0.5 if high == low else (present[code] - low) / (high - low)
            badness = share if higher_is_worse else 1 - share
            color = _SCALE[min(int(badness * len(_SCALE)), len(_SCALE) - 1)]
        styles[code] = {"fillColor": color, "fillOpacity": 0.8, "color": "#555555", "weight": 1}
    return styles


def geojson_bounds(collection: dict) -> list[list[float]] | None:
    """Return ``[[south, west], [north, east]]`` around every feature, the
    form that Leaflet's ``fit_bounds`` takes; None for no feature."""
    longitudes, latitudes = [], []

    def walk(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            longitudes.append(coordinates[0])
            latitudes.append(coordinates[1])
            return
        for part in coordinates:
            walk(part)

    for feature in collection.get("features", []):
        walk(feature["geometry"]["coordinates"])
    if not longitudes:
        return None
    return [[min(latitudes), min(longitudes)], [max(latitudes), max(longitudes)]]


def ranked_bars(rows: pd.DataFrame, kpi: str) -> list[dict]:
    """Return one bar per row of `fupin_lib.metrics.children`: ``code``,
    ``name``, ``label`` (the formatted value) and ``fraction`` (the value
    over the largest value, 0 to 1)."""
    kind = metrics.KPIS[kpi][1]
    values = pd.to_numeric(rows["value"], errors="coerce")
    largest = values.max() if len(values) and values.notna().any() else 0
    bars = []
    for code, name, value in zip(rows["code"], rows["name"], values):
        label = format_percent(value) if kind == "ratio" else format_count(value)
        fraction = float(value / largest) if largest and not pd.isna(value) else 0.0
        bars.append({"code": str(code), "name": str(name), "label": label, "fraction": fraction})
    return bars


def _link(household_no, county_code) -> str:
    href = html.escape(review_link(str(household_no), str(county_code)), quote=True)
    return f'<a class="fupin-review-link" href="{href}" target="_self">复核</a>'


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else html.escape(str(value))


def households_table(rows: pd.DataFrame, county_code: str, *, limit: int = HOUSEHOLD_ROWS) -> str:
    """Return the HTML table of a village's households (the rows of
    `fupin_lib.metrics.children` below a village): masked head name, size,
    category, risk band, open problems, employment and a link to review.

    Only the first `limit` rows are drawn, with a note saying so, so that a
    large village stays usable on a phone.
    """
    if rows.empty:
        return "<p>该村没有农户数据。</p>"
    note = ""
    if len(rows) > limit:
        note = f'<p class="fupin-note">共 {len(rows):,} 户，仅显示排名前 {limit} 户。</p>'
        rows = rows.head(limit)
    lines = []
    for row in rows.itertuples(index=False):
        lines.append(
            "<tr>"
            f"<td>{_text(row.code)}</td><td>{_text(row.name)}</td><td>{row.people}</td>"
            f"<td>{_text(row.monitoring_category)}</td><td>{_text(row.risk_band)}</td>"
            f"<td>{row.problems_open}</td><td>{row.employed}/{row.laborers}</td>"
            f"<td>{_link(row.code, county_code)}</td></tr>"
        )
    header = "<tr><th>户编号</th><th>户主</th><th>人数</th><th>监测类别</th><th>风险</th><th>未整改</th><th>就业/劳动力</th><th></th></tr>"
    table = f'<table class="fupin-table fupin-households">{header}{"".join(lines)}</table>'
    return f'{note}<div class="fupin-scroll">{table}</div>'


def problem_households_table(rows: pd.DataFrame) -> str:
    """Return the HTML table of `fupin_lib.metrics.problem_households`, each
    row with a link to the household in the review app."""
    if rows.empty:
        return "<p>没有未整改问题或高风险的农户。</p>"
    lines = []
    for row in rows.itertuples(index=False):
        probability = "" if pd.isna(row.risk_probability) else format_percent(row.risk_probability, 0)
        lines.append(
            "<tr>"
            f"<td>{_text(row.village)}</td><td>{_text(row.head_name_masked)}</td>"
            f"<td>{row.problems_open}</td><td>{_text(row.risk_band)} {probability}</td>"
            f"<td>{_link(row.household_no, row.county_code)}</td></tr>"
        )
    header = "<tr><th>村</th><th>户主</th><th>未整改</th><th>风险</th><th></th></tr>"
    return f'<div class="fupin-scroll"><table class="fupin-table fupin-problem-households">{header}{"".join(lines)}</table></div>'


@dataclass
class DashboardView:
    """Everything one page draws for the current area, year and KPI."""

    area_code: str
    area_name: str
    level: str
    child_level: str
    year: int
    kpi: str
    figures: dict
    cases: dict
    children: pd.DataFrame
    problem_villages: pd.DataFrame
    problem_households: pd.DataFrame
    path: list[tuple[str, str]]
    cards: list[Card] = field(default_factory=list)


@dataclass
class DashboardState:
    """State of one user's dashboard page, changed only through its methods.

    Parameters
    ----------
    user : User
        The signed-in user; every query is limited to their area.
    outputs_root : path-like, optional
        Run outputs folder; default `default_outputs_root`.
    url : str, optional
        Case store URL; default ``FUPIN_DB_URL`` or ``data/fupin.db``.
    area_code, year, kpi : optional
        Where the page opens: default the user's area, the latest year with
        outputs and open problem items.
    """

    user: User
    outputs_root: Path | None = None
    url: str | None = None
    area_code: str | None = None
    year: int | None = None
    kpi: str = "problems_open"
    message: str = ""
    ok: bool = True
    top_area: str = field(init=False, default="")
    years: list[int] = field(init=False, default_factory=list)

    def __post_init__(self):
        self.outputs_root = Path(self.outputs_root) if self.outputs_root else default_outputs_root()
        self.top_area = metrics.top_area(self.outputs_root, self.user)
        self.years = metrics.available_years(self.outputs_root, self.top_area)
        requested = self.area_code
        self.area_code = self.top_area
        if requested:
            self.open(requested)
        if self.year is None or self.year not in self.years:
            self.year = self.years[-1] if self.years else None
        if self.kpi not in metrics.KPIS:
            self.kpi = "problems_open"

    def _say(self, message: str, ok: bool = True) -> None:
        self.message, self.ok = message, ok

    def open(self, area_code: str) -> bool:
        """Drill down (or back up) to `area_code`; an area outside the user's
        area is rejected with a message. Returns whether the area changed."""
        try:
            code = metrics.scoped_area(area_code, self.user)
        except FupinError as error:
            self._say(str(error), ok=False)
            return False
        if metrics.area_level(code) == "household" or len(code) < len(self.top_area):
            code = self.top_area
        self.area_code = code
        self._say("")
        return True

    def up(self) -> bool:
        """Go one level up, but not above the user's own area."""
        path = breadcrumb(self.area_code, self.top_area)
        if len(path) < 2:
            return False
        return self.open(path[-2][0])

    def set_year(self, year: int) -> None:
        """Show another year; a year without outputs is rejected with a message."""
        if int(year) not in self.years:
            self._say(f"{year} 年没有运行结果，可选年份：{'、'.join(map(str, self.years))}。", ok=False)
            return
        self.year = int(year)
        self._say("")

    def set_kpi(self, kpi: str) -> None:
        """Rank the areas and colour the map by another KPI."""
        if kpi not in metrics.KPIS:
            self._say(f"未知指标 {kpi!r}。", ok=False)
            return
        self.kpi = kpi
        self._say("")

    def view(self) -> DashboardView:
        """Compute what the page shows for the current area, year and KPI.

        Raises
        ------
        FupinError
            When the outputs cannot be read; the widgets show its message.
        """
        if self.year is None:
            raise FupinError(f"运行结果目录 {self.outputs_root} 中没有本辖区的数据。请先运行 fupin run。")
        common = {"outputs_root": self.outputs_root, "user": self.user}
        code, year = self.area_code, self.year
        figures = metrics.kpis(code, year, **common)
        cases = metrics.cases_by_status(code, year, user=self.user, url=self.url)
        view = DashboardView(
            area_code=code,
            area_name=figures["area_name"],
            level=figures["level"],
            child_level=metrics.child_level(code),
            year=year,
            kpi=self.kpi,
            figures=figures,
            cases=cases,
            children=metrics.children(code, year, self.kpi, **common),
            problem_villages=metrics.problem_villages(code, year, **common),
            problem_households=metrics.problem_households(code, year, limit=10, **common),
            path=breadcrumb(code, self.top_area, outputs_root=self.outputs_root, year=year),
            cards=kpi_cards(figures, cases),
        )
        return view
