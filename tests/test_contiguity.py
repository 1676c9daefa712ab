"""Units' adjacency (the contiguity rules) and the catchments a plan exports agree.

Literal squares in a metric CRS: a catchment the rules call contiguous is one Polygon, one
whose units lie apart (0.99 m) is neither contiguous nor printed as one piece.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.optimize import unit_neighbours
from planner.plan import catchments_from_zoning

CRS_M = "EPSG:4547"  # CGCS2000 3-degree Gauss-Krüger, metres (the four-school county's)
X0, Y0 = 500_000.0, 4_000_000.0


def _squares(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_id": list(boxes)},
                            geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d)
                                      for a, b, c, d in boxes.values()], crs=CRS_M)


# A and C share an edge; B lies 0.99 m east of A; D touches A only at its corner (100, 100)
# and shares edges with B (y = 100, x 100.99–200) and C (x = 100, y 100–200).
SQUARES = {"A": (0, 0, 100, 100), "B": (100.99, 0, 200.99, 100),
           "C": (0, 100, 100, 200), "D": (100, 100, 200, 200)}


def _pieces(units: gpd.GeoDataFrame, members: list[str]) -> int:
    """How many polygons the exported catchment of `members` has."""
    zoning = pd.DataFrame({"primary": ["S1" if u in members else "S2" for u in units.unit_id],
                           "junior": None}, index=pd.Index(units.unit_id, name="unit_id"))
    catch = catchments_from_zoning(units, zoning, CRS_M).set_index("school_id")
    return shapely.get_num_geometries(catch.at["S1", "geometry"])


def test_units_apart_by_0_99_m_are_not_neighbours():
    units = _squares(SQUARES)
    names = list(units.unit_id)
    got = {names[i]: [names[j] for j in nb]
           for i, nb in enumerate(unit_neighbours(units, CRS_M))}
    # (the 1 m buffer of each unit made A and B neighbours: 0.99 m ≤ 2 × 1 m)
    assert got == {"A": ["C", "D"], "B": ["D"], "C": ["A", "D"], "D": ["A", "B", "C"]}
    # and the catchment of A and B is printed in two pieces, of A and D (a corner) in one
    assert _pieces(units, ["A", "B"]) == 2
    assert _pieces(units, ["A", "D"]) == 1
    assert _pieces(units, ["A", "B", "D"]) == 1  # B reaches A through D


@pytest.mark.parametrize("gap_m", [0.0, 0.015, 0.019, 0.025, 0.5, 0.99, 1.5, 2.5])
def test_neighbours_exactly_when_their_catchment_is_one_polygon(gap_m):
    # E, F side by side `gap_m` apart; G diagonal to F, `gap_m` off its corner both ways
    units = _squares({"E": (0, 0, 100, 100), "F": (100 + gap_m, 0, 200 + gap_m, 100),
                      "G": (200 + 2 * gap_m, 100 + gap_m, 300, 200)})
    nb = unit_neighbours(units, CRS_M)
    for i, j in itertools.combinations(range(3), 2):
        members = [units.unit_id[i], units.unit_id[j]]
        assert (j in nb[i]) == (_pieces(units, members) == 1), (gap_m, members)
    # the mend closes what is under 2 × 0.01 m: E and F are neighbours up to 0.019 m apart
    assert (1 in nb[0]) == (gap_m < 0.02)


def test_the_demo_units_0_99_m_apart_are_not_neighbours(demo):
    # 芳园社区 and 翠轩社区: two other communities' cells meet on a 0.99 m edge between them
    units = demo.units.set_index("unit_id", drop=False)
    pair = units.loc[["419900100000", "419900100010"]]
    geoms = pair.to_crs(demo.meta.crs).geometry.to_numpy()
    assert shapely.distance(geoms[0], geoms[1]) == pytest.approx(0.990, abs=0.001)
    i, j = (list(demo.units.unit_id).index(u) for u in pair.unit_id)
    assert j not in unit_neighbours(demo.units, demo.meta.crs)[i]
