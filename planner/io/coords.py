"""Coordinate systems a bureau's data comes in, converted to WGS84 on import.

GCJ-02 (the "Mars" coordinates of Amap/Tencent maps) and BD-09 (Baidu) are not CRSs that PROJ
knows; they are obfuscations of WGS84 published as formulas. We use the `prcoords` library
(public domain) and its iterative ("bored") inverses, accurate to about 0.1 mm. CGCS2000
(EPSG:4490) goes through pyproj.
"""

from __future__ import annotations

import numpy as np
import prcoords
import pyproj

SYSTEMS = ("wgs84", "cgcs2000", "gcj02", "bd09")
_ALIASES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84", "gps": "wgs84",
    "cgcs2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000", "国家2000": "cgcs2000",
    "2000国家大地坐标系": "cgcs2000",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "火星坐标": "gcj02", "高德": "gcj02",
    "腾讯": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "百度": "bd09", "百度坐标": "bd09",
}


def parse_system(text: str) -> str | None:
    """Return the canonical name of a declared coordinate system, or None if unknown."""
    return _ALIASES.get(str(text).strip().lower().replace(" ", ""))


def to_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitudes and latitudes from a declared system to WGS84.

    Parameters
    ----------
    lon, lat
        Degrees in `system`.
    system
        One of SYSTEMS.

    Returns
    -------
    The WGS84 longitudes and latitudes, in degrees.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if system == "wgs84":
        return lon.copy(), lat.copy()
    if system == "cgcs2000":
        tr = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4326", always_xy=True)
        x, y = tr.transform(lon, lat)
        return np.asarray(x), np.asarray(y)
    if system not in ("gcj02", "bd09"):
        msg = f"unknown coordinate system {system!r}; expected one of {', '.join(SYSTEMS)}"
        raise ValueError(msg)
    inverse = prcoords.gcj_wgs_bored if system == "gcj02" else prcoords.bd_wgs_bored
    out_lon = np.empty_like(lon)
    out_lat = np.empty_like(lat)
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        c = inverse(prcoords.Coords(float(y), float(x)), False)
        out_lon[i], out_lat[i] = c.lon, c.lat
    return out_lon, out_lat


def from_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 degrees to GCJ-02 or BD-09 (for tests and for web-map exports)."""
    forward = {"gcj02": prcoords.wgs_gcj, "bd09": prcoords.wgs_bd}[system]
    pairs = [forward(prcoords.Coords(float(y), float(x)), False) for x, y in zip(lon, lat,
                                                                              strict=True)]
    return np.array([p.lon for p in pairs]), np.array([p.lat for p in pairs])
