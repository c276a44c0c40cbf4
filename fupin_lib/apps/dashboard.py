"""Widgets of the leader dashboard (领导视窗): layout and callbacks only.

Every callback calls a `DashboardState` method and then redraws from
`DashboardState.view`; the logic and its tests live in
`fupin_lib.apps._dashboard`. ``show()`` is what the notebook
``notebooks/apps/dashboard.ipynb`` calls.

The county map is an ipyleaflet map without a tile layer unless
``dashboard.tile_url`` is set in ``parameters/defaults.yaml``, so on an
intranet the page requests nothing from another host.
"""

from __future__ import annotations

import html
import logging
import math

import ipywidgets as w
from IPython.display import display

from .. import metrics
from .._errors import FupinError
from ..cases import ROLE_LABELS
from ..geo import counties_of_city, county_polygons
from ._dashboard import (
    LEVEL_LABELS,
    DashboardSettings,
    DashboardState,
    DashboardView,
    choropleth_styles,
    geojson_bounds,
    households_table,
    load_settings,
    parse_query,
    problem_households_table,
    ranked_bars,
)
from .identity import current_user, page_query

__all__ = ["show", "build"]

logger = logging.getLogger(__name__)



def _full() -> w.Layout:
    # A new Layout per widget, because changing a shared one (display) would
    # hide every widget that uses it.
    return w.Layout(width="100%")

# Map width assumed when choosing the zoom level: a phone held upright.
_MAP_WIDTH_PX = 340
_MAP_HEIGHT_PX = 300

_STYLE = """<style>
.fupin-dashboard{max-width:1100px;margin:0 auto}
.fupin-dashboard h2{margin:4px 0;font-size:20px}
.fupin-dashboard h3{margin:12px 0 4px;font-size:16px}
.fupin-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:8px}
.fupin-kpi-cards,.fupin-kpi-cards .widget-html-content{width:100%}
.fupin-cards{width:100%;box-sizing:border-box;padding-right:6px}
.fupin-card{border:1px solid #ddd;border-radius:6px;padding:8px;background:#fff;box-sizing:border-box;min-width:0}
.fupin-card .title{font-size:13px;color:#555}
.fupin-card .value{font-size:20px;font-weight:bold;margin:2px 0}
.fupin-card .detail{font-size:12px;color:#333;line-height:1.4}
.fupin-card .change{font-size:12px;margin-top:2px}
.fupin-card .good{color:#1b5e20}.fupin-card .bad{color:#b00020}.fupin-card .flat{color:#666}
.fupin-progress{height:6px;background:#eee;border-radius:3px;margin-top:4px}
.fupin-progress div{height:6px;background:#2e7d32;border-radius:3px}
.fupin-bar{display:flex;align-items:center;gap:6px;font-size:13px;width:100%}
.fupin-bar .track{flex:1;background:#eee;height:12px;border-radius:2px;min-width:40px}
.fupin-bar .fill{background:#e6550d;height:12px;border-radius:2px}
.fupin-bar .label{min-width:4.5em;text-align:right}
.fupin-table{border-collapse:collapse;font-size:13px;width:100%}
.fupin-table td,.fupin-table th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;white-space:nowrap}
.fupin-scroll{overflow-x:auto;max-width:100%}
.fupin-msg-error{color:#b00020;font-weight:bold}
.fupin-row .widget-button{text-align:left}
.fupin-map .leaflet-container{background:#f4f6f8}
.fupin-legend{font-size:12px;color:#555;margin:2px 0}
@media (max-width:600px){.fupin-card .value{font-size:17px}}
</style>"""


def _cards_html(view: DashboardView) -> str:
    tiles = []
    for card in view.cards:
        progress = ""
        if card.progress is not None:
            width = max(0.0, min(1.0, float(card.progress))) * 100
            progress = f'<div class="fupin-progress"><div style="width:{width:.1f}%"></div></div>'
        tiles.append(
            f'<div class="fupin-card fupin-card-{card.key}"><div class="title">{html.escape(card.title)}</div>'
            f'<div class="value">{html.escape(card.value)}</div>'
            f'<div class="detail">{html.escape(card.detail)}</div>{progress}'
            f'<div class="change {card.tone}">{html.escape(card.change)}</div></div>'
        )
    return f'<div class="fupin-cards">{"".join(tiles)}</div>'


def _bar_html(bar: dict) -> str:
    return (f'<div class="fupin-bar"><div class="track"><div class="fill" '
            f'style="width:{bar["fraction"] * 100:.1f}%"></div></div>'
            f'<div class="label">{html.escape(bar["label"])}</div></div>')


def _zoom_for(bounds) -> float:
    """Return the largest zoom level, in quarter steps, at which `bounds` fit
    the map (Web Mercator: the world is 256 * 2**zoom pixels wide)."""
    (south, west), (north, east) = bounds
    width = max(east - west, 0.01)
    height = max(north - south, 0.01) / math.cos(math.radians((north + south) / 2))
    zoom_x = math.log2(_MAP_WIDTH_PX * 360 / (256 * width))
    zoom_y = math.log2(_MAP_HEIGHT_PX * 360 / (256 * height))
    return max(1.0, math.floor(min(zoom_x, zoom_y) * 4) / 4)


class _CountyMap:
    """The county choropleth: one GeoJSON layer restyled on every redraw."""

    def __init__(self, settings: DashboardSettings, on_county):
        import ipyleaflet

        layers = []
        if settings.tile_url:
            layers.append(ipyleaflet.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution,
                                               base=True, name="底图"))
        # layers=() keeps ipyleaflet from adding its default OpenStreetMap tiles.
        self.map = ipyleaflet.Map(
            layers=tuple(layers), center=(23.5, 113.0), zoom=7, zoom_snap=0.25, scroll_wheel_zoom=False,
            attribution_control=bool(settings.tile_url),
            layout=w.Layout(width="100%", height=f"{_MAP_HEIGHT_PX}px"),
        )
        self.layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                        hover_style={"weight": 3, "color": "#000"}, name="县")
        self.map.add(self.layer)
        self.on_county = on_county
        self.layer.on_click(self._clicked)
        self.legend = w.HTML(layout=_full())
        self.box = w.VBox([self.map, self.legend], layout=_full()).add_class("fupin-map")

    def _clicked(self, event=None, feature=None, **kwargs):
        code = (feature or {}).get("id") or ((feature or {}).get("properties") or {}).get("code")
        if code:
            self.on_county(str(code))

    def draw(self, view: DashboardView) -> None:
        if view.child_level == "county":
            values = dict(zip(view.children["code"], view.children["value"]))
            # Every county of the city is drawn; those without outputs are grey.
            codes = list(dict.fromkeys([*values, *counties_of_city(view.area_code)["code"]]))
            values = {code: values.get(code) for code in codes}
        elif view.level == "county":
            values = {view.area_code: view.figures.get(view.kpi)}
            codes = [view.area_code]
        else:
            # Townships and villages have no offline polygons; the ranked bars
            # show them instead. Provinces would need every county's value.
            self.box.layout.display = "none"
            return
        collection = county_polygons(codes)
        styles = choropleth_styles(values, higher_is_worse=metrics.KPIS[view.kpi][2])
        for feature in collection["features"]:
            feature["properties"]["style"] = styles.get(feature["id"], {})
        self.layer.data = collection
        label, _, higher_is_worse = metrics.KPIS[view.kpi]
        direction = "越深越需关注（数值越大）" if higher_is_worse else "越深越需关注（数值越小）"
        self.legend.value = (f'<p class="fupin-legend">地图按“{html.escape(label)}”着色，{direction}；'
                             "灰色为无运行结果。点击县进入。</p>")
        bounds = geojson_bounds(collection)
        if bounds:
            (south, west), (north, east) = bounds
            self.map.center = ((south + north) / 2, (west + east) / 2)
            self.map.zoom = _zoom_for(bounds)
        self.box.layout.display = "flex" if collection["features"] else "none"


def build(state: DashboardState, settings: DashboardSettings | None = None) -> w.Widget:
    """Build the page for one user's `DashboardState`."""
    settings = settings or load_settings()
    user = state.user
    header = w.HTML(
        _STYLE + "<h2>领导视窗</h2>"
        f"<p>{html.escape(user.name)}（{html.escape(ROLE_LABELS.get(user.role, user.role))}，"
        f"区域 {html.escape(user.area_code)}） · <a href='/voila/render/review.ipynb'>复核工作台</a>"
        " · <a href='/fupin/logout'>退出</a></p>", layout=_full())
    year = w.Dropdown(options=[str(y) for y in state.years], value=str(state.year) if state.year else None,
                      description="年份", layout=w.Layout(width="auto")).add_class("fupin-year")
    kpi = w.Dropdown(options=[(label, name) for name, (label, _, _) in metrics.KPIS.items()],
                     value=state.kpi, description="排名指标", layout=w.Layout(width="auto")).add_class("fupin-kpi")
    message = w.HTML(layout=_full()).add_class("fupin-message")
    path = w.HBox(layout=w.Layout(flex_flow="row wrap")).add_class("fupin-path")
    cards = w.HTML(layout=_full()).add_class("fupin-kpi-cards")
    children_title = w.HTML(layout=_full())
    children_box = w.VBox(layout=_full()).add_class("fupin-children")
    households = w.HTML(layout=_full()).add_class("fupin-household-list")
    villages_title = w.HTML("<h3>问题村排名（未整改问题、高风险户）</h3>", layout=_full())
    villages_box = w.VBox(layout=_full()).add_class("fupin-problem-villages")
    problem_title = w.HTML("<h3>问题户排名</h3>", layout=_full())
    problem_list = w.HTML(layout=_full()).add_class("fupin-problem-households")

    def show_message():
        if state.message:
            message.value = f'<p class="fupin-msg-{"ok" if state.ok else "error"}">{html.escape(state.message)}</p>'
        else:
            message.value = ""

    def area_button(code: str, label: str, css: str) -> w.Button:
        button = w.Button(description=label, tooltip=label, layout=w.Layout(width="auto", max_width="100%"))
        button.add_class(css)
        button.add_class(f"fupin-area-{code}")
        button.on_click(lambda _: go(code))
        return button

    def draw():
        try:
            view = state.view()
        except FupinError as error:
            state.message, state.ok = str(error), False
            show_message()
            return
        cards.value = _cards_html(view)
        county_map.draw(view)
        draw_children(view)
        villages_box.children = [
            w.HBox([area_button(row.village_code, f"{row.township} {row.village}", "fupin-problem-village"),
                    w.HTML(f"未整改 {row.problems_open} · 高风险 {row.flagged_high} 户")],
                   layout=w.Layout(flex_flow="row wrap", align_items="center"))
            for row in view.problem_villages.itertuples(index=False)
        ] or [w.HTML("<p>没有未整改问题或高风险户的村。</p>")]
        problem_list.value = problem_households_table(view.problem_households)
        # The path goes last: when it shows the new area, the rest is drawn.
        path.children = [area_button(code, name, "fupin-crumb") for code, name in view.path]
        show_message()

    def draw_children(view: DashboardView):
        label = metrics.KPIS[view.kpi][0]
        if view.child_level == "household":
            children_title.value = f"<h3>{html.escape(view.area_name)} 农户名单（{len(view.children)} 户，姓名已脱敏）</h3>"
            children_box.children = []
            households.value = households_table(view.children, view.area_code[:6])
            return
        households.value = ""
        children_title.value = (f"<h3>下辖{LEVEL_LABELS[view.child_level]}（按{html.escape(label)}排名，"
                                "点击进入）</h3>")
        rows = []
        for bar in ranked_bars(view.children, view.kpi):
            button = area_button(bar["code"], bar["name"], "fupin-child")
            button.layout.width = "40%"
            rows.append(w.HBox([button, w.HTML(_bar_html(bar), layout=w.Layout(width="58%"))],
                               layout=w.Layout(width="100%", align_items="center")).add_class("fupin-row"))
        children_box.children = rows or [w.HTML("<p>没有下级区域的数据。</p>")]

    def guarded(callback):
        # Widget callbacks show no traceback on the page, so log it and show a message.
        def run(*args):
            try:
                callback(*args)
            except Exception:
                logger.exception("dashboard callback failed for user %s", user.name)
                state.message, state.ok = "操作失败，系统已记录错误，请刷新页面或联系管理员。", False
                show_message()
        return run

    @guarded
    def go(code: str):
        state.open(code)
        draw()

    @guarded
    def change_year(change):
        if change["new"]:
            state.set_year(int(change["new"]))
            draw()

    @guarded
    def change_kpi(change):
        state.set_kpi(change["new"])
        draw()

    county_map = _CountyMap(settings, go)
    year.observe(change_year, names="value")
    kpi.observe(change_kpi, names="value")
    draw()
    return w.VBox([
        header,
        w.HBox([year, kpi], layout=w.Layout(flex_flow="row wrap")),
        message,
        path,
        cards,
        county_map.box,
        children_title,
        children_box,
        households,
        villages_title,
        villages_box,
        problem_title,
        problem_list,
    ], layout=_full()).add_class("fupin-dashboard")


def show(*, outputs_root=None, url: str | None = None) -> None:
    """Sign in the page's user and display the dashboard; on any error show a
    short Chinese message (the details go to the server log)."""
    try:
        user = current_user(url=url)
        opening = parse_query(page_query())
        state = DashboardState(user=user, outputs_root=outputs_root, url=url, **opening)
        display(build(state))
    except FupinError as error:
        display(w.HTML(f'<p class="fupin-msg-error" style="color:#b00020">{html.escape(str(error))}'
                       '</p><p><a href="/fupin/login">重新登录</a></p>'))
    except Exception:
        logger.exception("dashboard failed to start")
        display(w.HTML('<p style="color:#b00020">领导视窗加载失败，系统已记录错误，请联系管理员。</p>'))
