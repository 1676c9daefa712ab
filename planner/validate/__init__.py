"""Validation: turn raw tables into canonical layers, collecting every located problem.

Validators never stop at the first problem: they collect all of them and the caller raises one
:class:`~planner.errors.InputError`. A message names the file, layer, row and column (as the user
wrote the header), states the rule, shows the value and suggests the fix.

The package by role: `cells` (where a value came from, headers mapped, each cell parsed to
its column's type), `layers` (geometries, schools, references between layers, totals),
`tables` (the meta table and the tables of SPEC §5.2) and `stores` (what the planner itself
stores: the scenarios table and the distances cache).
"""

from planner.validate.cells import (
    CHINA_LAT,
    CHINA_LON,
    OUTSIDE_TOLERANCE_M,
    Source,
    is_blank,
    map_headers,
    parse_cell,
    parse_cells,
    parse_number,
    show,
)
from planner.validate.layers import (
    check_geometries,
    check_inside,
    check_lonlat,
    check_references,
    check_schools,
    check_totals,
    duplicates_in,
)
from planner.validate.stores import (
    MAX_JSON_DEPTH,
    check_distances,
    check_scenarios,
)
from planner.validate.tables import (
    META_CHOICES,
    MetaValues,
    check_births,
    check_capacity,
    check_developments,
    check_history,
    check_meta,
    check_region_points,
    crs_problem,
)

__all__ = [
    "CHINA_LAT",
    "CHINA_LON",
    "MAX_JSON_DEPTH",
    "META_CHOICES",
    "MetaValues",
    "OUTSIDE_TOLERANCE_M",
    "Source",
    "check_births",
    "check_capacity",
    "check_developments",
    "check_distances",
    "check_geometries",
    "check_history",
    "check_inside",
    "check_lonlat",
    "check_meta",
    "check_references",
    "check_region_points",
    "check_scenarios",
    "check_schools",
    "check_totals",
    "crs_problem",
    "duplicates_in",
    "is_blank",
    "map_headers",
    "parse_cell",
    "parse_cells",
    "parse_number",
    "show",
]
