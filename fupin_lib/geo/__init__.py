"""Division codes and names (province, city, county, township) and county
polygons for maps."""

from ._divisions import (
    counties_of_city,
    division_name,
    divisions,
    find_code,
    level_of,
    parent_code,
    townships_of_county,
)
from ._polygons import county_code_mismatches, county_polygons

__all__ = [
    "divisions",
    "division_name",
    "find_code",
    "level_of",
    "parent_code",
    "counties_of_city",
    "townships_of_county",
    "county_polygons",
    "county_code_mismatches",
]
