"""The leader dashboard without a browser: its pure functions, its state, and
one widget smoke test that clicks through the drill-down."""

from __future__ import annotations

import pandas as pd
import pytest

from fupin_lib import ParameterError
from fupin_lib.apps._dashboard import (
    REVIEW_PATH,
    DashboardSettings,
    DashboardState,
    breadcrumb,
    choropleth_styles,
    format_change,
    format_count,
    format_percent,
    geojson_bounds,
    households_table,
    kpi_cards,
    load_settings,
    parse_query,
    ranked_bars,
    review_link,
)
from fupin_lib.cases.access import User
from fupin_lib.metrics import children, kpis
from fupin_lib.metrics._synthetic import write_example_outputs
from fupin_lib.params._load import Defaults

LEADER = User("leader", "leader", "4412")
TOWNSHIP = User("lianmai", "reviewer", "441224118")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The hand-made example outputs of fupin_lib.metrics._synthetic."""
    root = tmp_path_factory.mktemp("outputs")
    write_example_outputs(root)
    return root


@pytest.mark.parametrize(
    "ratio, expected",
    [(116 / 128, "90.63%"), (0.5, "50.00%"), (1.0, "100.00%"), (0.0, "0.00%"), (0.12345, "12.35%"),
     (None, "—"), (float("nan"), "—")],
)
def test_format_percent_rounds_half_up(ratio, expected):
    assert format_percent(ratio) == expected


def test_format_percent_digits():
    assert format_percent(0.815, 0) == "82%"
    assert format_percent(0.8149, 1) == "81.5%"


@pytest.mark.parametrize(
    "kind, change, expected",
    [("count", 11, "较上年 +11"), ("count", -1234, "较上年 -1,234"), ("count", 0, "较上年 0"),
     ("ratio", 116 / 128 - 105 / 128, "较上年 +8.59 个百分点"), ("ratio", -0.05, "较上年 -5.00 个百分点"),
     ("count", None, "无上年数据")],
)
def test_format_change(kind, change, expected):
    assert format_change(kind, change) == expected


def test_format_count():
    assert format_count(1234567) == "1,234,567"
    assert format_count(None) == "—"


def test_kpi_cards_from_kpis(outputs):
    figures = kpis("441224118", 2020, outputs_root=outputs, user=LEADER)
    cards = {card.key: card for card in kpi_cards(figures, {"线索": 8, "入户核实": 1})}
    assert cards["employment_rate"].value == "90.63%"
    assert cards["employment_rate"].detail == "就业 116 / 劳动力 128 人"
    assert cards["employment_rate"].change == "较上年 +8.59 个百分点"
    assert cards["employment_rate"].tone == "good"
    assert cards["problems_open"].value == "未整改 16 项"
    assert cards["problems_open"].change == "较上年 -11"
    # Fewer open problem items is better.
    assert cards["problems_open"].tone == "good"
    assert cards["households"].value == "49 户 / 163 人"
    assert cards["monitored"].detail == "脱贫不稳定户 3户 · 边缘易致贫户 3户 · 突发严重困难户 1户"
    assert cards["flagged"].value == "12 户"
    assert cards["flagged"].detail.startswith("高 6户 · 中 6户；")
    assert cards["cases"].value == "9 件"


def test_kpi_cards_first_year(outputs):
    figures = kpis("441224118", 2019, outputs_root=outputs, user=LEADER)
    cards = kpi_cards(figures)
    assert all(card.change == "无上年数据" for card in cards)
    assert all(card.tone == "flat" for card in cards)
    assert "cases" not in {card.key for card in cards}


def test_review_link_same_origin():
    link = review_link("44122400200", "441224")
    assert link == f"{REVIEW_PATH}?household_no=44122400200&county_code=441224"
    assert link.startswith("/")
    assert "//" not in link


def test_breadcrumb_from_user_area(outputs):
    assert breadcrumb("441224118", "4412") == [("4412", "肇庆市"), ("441224", "怀集县"), ("441224118", "连麦镇")]
    assert breadcrumb("441224118", "441224118") == [("441224118", "连麦镇")]


def test_breadcrumb_village_name_from_outputs(outputs):
    village = children("441224118", 2020, outputs_root=outputs, user=LEADER)["code"].iloc[0]
    path = breadcrumb(village, "441224", outputs_root=outputs, year=2020)
    assert [name for _, name in path] == ["怀集县", "连麦镇", "下坑村"]


def test_choropleth_styles_worst_is_darkest():
    styles = choropleth_styles({"a": 0, "b": 5, "c": 10, "d": None}, higher_is_worse=True)
    assert styles["c"]["fillColor"] == "#bd0026"
    assert styles["a"]["fillColor"] == "#ffffb2"
    assert styles["d"]["fillColor"] == "#d9d9d9"
    reversed_styles = choropleth_styles({"a": 0, "c": 10}, higher_is_worse=False)
    assert reversed_styles["a"]["fillColor"] == "#bd0026"


def test_choropleth_styles_equal_values():
    styles = choropleth_styles({"a": 3, "b": 3}, higher_is_worse=True)
    assert styles["a"]["fillColor"] == styles["b"]["fillColor"]


def test_geojson_bounds():
    collection = {"features": [
        {"geometry": {"type": "Polygon", "coordinates": [[[112.0, 23.0], [113.0, 23.5], [112.5, 24.0]]]}},
        {"geometry": {"type": "MultiPolygon", "coordinates": [[[[111.5, 22.8], [111.6, 22.9], [111.7, 22.8]]]]}},
    ]}
    assert geojson_bounds(collection) == [[22.8, 111.5], [24.0, 113.0]]
    assert geojson_bounds({"features": []}) is None


def test_ranked_bars_fractions():
    rows = pd.DataFrame({"code": ["1", "2", "3"], "name": ["甲", "乙", "丙"], "value": [10, 5, 0]})
    bars = ranked_bars(rows, "problems_open")
    assert [bar["fraction"] for bar in bars] == [1.0, 0.5, 0.0]
    assert bars[0]["label"] == "10"
    ratios = ranked_bars(pd.DataFrame({"code": ["1"], "name": ["甲"], "value": [116 / 128]}), "employment_rate")
    assert ratios[0]["label"] == "90.63%"


def test_households_table_links_and_masking(outputs):
    village = children("441224118", 2020, outputs_root=outputs, user=LEADER)["code"].iloc[0]
    rows = children(village, 2020, outputs_root=outputs, user=LEADER)
    table = households_table(rows, village[:6])
    assert table.count('class="fupin-review-link"') == 19
    assert "review.ipynb?household_no=44122400200&amp;county_code=441224" in table
    assert "林*" in table
    assert "仅显示" not in table


def test_households_table_limit(outputs):
    village = children("441224118", 2020, outputs_root=outputs, user=LEADER)["code"].iloc[0]
    rows = children(village, 2020, outputs_root=outputs, user=LEADER)
    table = households_table(rows, village[:6], limit=5)
    assert table.count('class="fupin-review-link"') == 5
    assert "共 19 户，仅显示排名前 5 户。" in table


@pytest.mark.parametrize(
    "query, expected",
    [("area=441224&year=2019&kpi=employment_rate", {"area_code": "441224", "year": 2019, "kpi": "employment_rate"}),
     ("area=44x&year=abc&kpi=drop", {}),
     ("", {}),
     (None, {})],
)
def test_parse_query(query, expected):
    assert parse_query(query) == expected


def test_load_settings_defaults_empty_tile_url():
    settings = load_settings()
    assert settings.tile_url == ""


def test_load_settings_rejects_unknown_key():
    defaults = Defaults(monitoring_lines={"44": {2020: 4000}}, dashboard={"tile_ur": "x"})
    with pytest.raises(ParameterError, match="tile_ur"):
        load_settings(defaults)


def test_state_opens_on_user_area(outputs):
    state = DashboardState(user=TOWNSHIP, outputs_root=outputs, url="sqlite:///:memory:")
    assert state.area_code == "441224118"
    assert state.year == 2020
    assert state.years == [2019, 2020]


def test_state_drill_down_and_up(outputs):
    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:")
    assert state.area_code == "4412"
    assert state.open("441224118")
    assert state.view().level == "township"
    assert state.up()
    assert state.area_code == "441224"
    state.up()
    assert state.area_code == "4412"
    assert not state.up()


def test_state_refuses_other_area(outputs):
    state = DashboardState(user=TOWNSHIP, outputs_root=outputs, url="sqlite:///:memory:")
    assert not state.open("441226")
    assert not state.ok
    assert "无权查看" in state.message
    assert state.area_code == "441224118"


def test_state_year_and_kpi(outputs):
    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:")
    state.set_year(2015)
    assert not state.ok
    assert state.year == 2020
    state.set_year(2019)
    assert state.year == 2019
    state.set_kpi("employment_rate")
    view = state.view()
    assert view.kpi == "employment_rate"
    # 2019: 怀集县 110 of 138 laborers employed, 德庆县 8 of 20.
    assert view.children["value"].tolist() == pytest.approx([110 / 138, 8 / 20])


def test_state_view_equals_metrics(outputs):
    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:", area_code="441224118")
    view = state.view()
    assert view.figures == kpis("441224118", 2020, outputs_root=outputs, user=LEADER)
    pd.testing.assert_frame_equal(view.children, children("441224118", 2020, "problems_open",
                                                          outputs_root=outputs, user=LEADER))
    assert view.problem_villages["village"].tolist() == ["下坑村", "莲社村", "仓社村"]


def _find(widget, css_class):
    found = [widget] if css_class in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += _find(child, css_class)
    return found


def test_widgets_click_through_to_households(outputs):
    from fupin_lib.apps.dashboard import build

    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:")
    page = build(state, DashboardSettings())
    assert [b.description for b in _find(page, "fupin-child")] == ["怀集县", "德庆县"]

    for expected in ("441224", "441224118"):
        _find(page, "fupin-child")[0].click()
        assert state.area_code == expected
    _find(page, "fupin-child")[0].click()
    households = _find(page, "fupin-household-list")[0].value
    assert households.count("fupin-review-link") == 19
    assert [b.description for b in _find(page, "fupin-crumb")] == ["肇庆市", "怀集县", "连麦镇", "下坑村"]

    _find(page, "fupin-crumb")[0].click()
    assert state.area_code == "4412"
    assert "90.63%" not in _find(page, "fupin-kpi-cards")[0].value


def test_widgets_map_without_tiles(outputs):
    from fupin_lib.apps.dashboard import build

    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:")
    page = build(state, DashboardSettings())
    leaflet_map = _find(page, "fupin-map")[0].children[0]
    assert [type(layer).__name__ for layer in leaflet_map.layers] == ["GeoJSON"]
    features = leaflet_map.layers[0].data["features"]
    assert len(features) == 8
    colors = {feature["id"]: feature["properties"]["style"]["fillColor"] for feature in features}
    # Open problem items: 怀集县 16 (worst, darkest), 德庆县 3; the rest have no outputs.
    assert colors.pop("441224") == "#bd0026"
    assert colors.pop("441226") == "#ffffb2"
    assert set(colors.values()) == {"#d9d9d9"}


def test_widgets_map_with_configured_tiles(outputs):
    from fupin_lib.apps.dashboard import build

    state = DashboardState(user=LEADER, outputs_root=outputs, url="sqlite:///:memory:")
    settings = DashboardSettings(tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png", tile_attribution="内网底图")
    page = build(state, settings)
    leaflet_map = _find(page, "fupin-map")[0].children[0]
    assert leaflet_map.layers[0].url == "http://127.0.0.1:9/{z}/{x}/{y}.png"


def test_state_link_to_other_area_rejected(outputs):
    state = DashboardState(user=TOWNSHIP, outputs_root=outputs, url="sqlite:///:memory:",
                           **parse_query("area=441226&year=2020"))
    assert state.area_code == "441224118"
    assert not state.ok
    assert "无权查看区域 441226" in state.message
