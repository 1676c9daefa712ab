import numpy as np
import pyproj
import pytest

from planner.io.coords import from_wgs84, parse_system, to_wgs84

LON = np.array([115.17, 115.40, 114.95, 116.39])
LAT = np.array([36.07, 35.90, 36.25, 39.91])


def _metres(lon1, lat1, lon2, lat2):
    geod = pyproj.Geod(ellps="WGS84")
    return geod.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_map_coordinates_round_trip_within_a_centimetre(system):
    x, y = from_wgs84(LON, LAT, system)
    # the offset is real: GCJ-02 moves points by hundreds of metres in this region
    assert _metres(LON, LAT, x, y).min() > 100
    back_x, back_y = to_wgs84(x, y, system)
    assert _metres(LON, LAT, back_x, back_y).max() < 0.01


def test_cgcs2000_is_wgs84_to_the_centimetre_through_pyproj():
    x, y = to_wgs84(LON, LAT, "cgcs2000")
    assert _metres(LON, LAT, x, y).max() < 0.01


def test_declared_names():
    assert parse_system("GCJ-02") == "gcj02"
    assert parse_system("百度") == "bd09"
    assert parse_system(" WGS 84 ") == "wgs84"
    assert parse_system("北京54") is None
    with pytest.raises(ValueError, match="unknown coordinate system 'utm'"):
        to_wgs84(LON, LAT, "utm")
