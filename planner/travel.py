"""Unit × school distances for a workspace: by road where it has roads, else the named fallback.

The matrix is keyed on the network and the points (ids and coordinates), so a cached copy in
the workspace's `distances` table is reused only while both are unchanged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner import network as nw
from planner.errors import InputError
from planner.workspace import Workspace

FAR_FROM_ROAD_M = 1000.0  # a snap leg longer than this is reported
WRONG_PLACE_M = 5000.0  # schools this far from every road: the network is elsewhere


@dataclass(frozen=True)
class Distances:
    """Distances from every unit to every school, metres.

    Attributes
    ----------
    matrix
        Shape (units, schools); +inf where unreachable or beyond a cutoff.
    unit_ids, school_ids
        Row and column labels.
    method
        "road", or "straight_line_x1.3" for the fallback.
    key
        The cache key (network and points).
    notes
        What the reader must know: the fallback, dropped parts of the network, far points.
    """

    matrix: np.ndarray
    unit_ids: np.ndarray
    school_ids: np.ndarray
    method: str
    key: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @functools.cached_property
    def memo(self) -> dict:
        """Results derived from this matrix alone (nearest schools…), kept with it."""
        return {}

    def frame(self) -> pd.DataFrame:
        """Return the matrix as a labelled DataFrame (units × schools)."""
        return pd.DataFrame(self.matrix, index=self.unit_ids, columns=self.school_ids)

    def long(self, *, schools: list[str] | None = None, cutoff_m: float | None = None
             ) -> pd.DataFrame:
        """Return unit_id, school_id, distance_m, method for pairs within the cutoff."""
        cols = np.arange(len(self.school_ids))
        if schools is not None:
            wanted = set(schools)
            cols = np.array([j for j, s in enumerate(self.school_ids) if s in wanted], dtype=int)
        m = self.matrix[:, cols]
        ok = np.isfinite(m) if cutoff_m is None else (m <= cutoff_m)
        r, c = np.nonzero(ok)
        out = pd.DataFrame({"unit_id": self.unit_ids[r], "school_id": self.school_ids[cols][c],
                            "distance_m": np.round(m[r, c], 1), "method": self.method})
        return out.astype({"unit_id": "str", "school_id": "str", "method": "str"})


def unit_points(ws: Workspace) -> np.ndarray:
    """Return each unit's representative point in the workspace's projected CRS, (n, 2)."""
    pts = ws.units.to_crs(ws.meta.crs).geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def school_points(ws: Workspace) -> np.ndarray:
    """Return school locations in the workspace's projected CRS, (n, 2)."""
    pts = ws.schools.to_crs(ws.meta.crs).geometry
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def workspace_network(ws: Workspace) -> nw.RoadNetwork | None:
    """Return the workspace's own road network, restricted to the part holding the schools."""
    if ws.nodes is None or ws.edges is None:
        return None
    net = nw.network_from_frames(ws.nodes, ws.edges, ws.meta.crs)
    return nw.keep_component(net, school_points(ws))


def cache_key(ws: Workspace, net: nw.RoadNetwork | None) -> str:
    """Return the key a cached matrix must carry to be reused."""
    parts = [net.fingerprint() if net is not None else nw.METHOD_STRAIGHT,
             nw.points_fingerprint(ws.units["unit_id"], unit_points(ws)),
             nw.points_fingerprint(ws.schools["school_id"], school_points(ws))]
    return "-".join(parts)


def compute_distances(ws: Workspace, *, net: nw.RoadNetwork | None = None,
                      use_network: bool = True, cutoff_m: float | None = None) -> Distances:
    """Return unit × school distances for a workspace, by road when it can.

    Parameters
    ----------
    ws
        Needs units; uses its road layers unless `net` is given.
    net
        A network to use instead of the workspace's (e.g. read from an OSM file).
    use_network
        False forces the straight-line fallback.
    cutoff_m
        Pairs further than this are +inf.

    Raises
    ------
    InputError
        No units; or the network is nowhere near the schools (wrong CRS or wrong place).
    """
    if ws.units is None:
        raise InputError.single("", "distances need the units layer (居住单元)", layer="units")
    if net is None and use_network:
        net = workspace_network(ws)
    uxy, sxy = unit_points(ws), school_points(ws)
    notes: list[str] = []
    units, schools = ws.units["unit_id"].to_numpy(), ws.schools["school_id"].to_numpy()
    key = cache_key(ws, net if use_network else None)
    if net is None or not use_network or len(net.u) == 0:
        notes.append(f"no road network: distances are straight lines × {nw.DETOUR_FACTOR} "
                     "(a fallback, not road distances)")
        m = nw.straight_distances(uxy, sxy)
        if cutoff_m is not None:
            m[m > cutoff_m] = np.inf
        return Distances(m, units, schools, nw.METHOD_STRAIGHT, key, tuple(notes))
    s_snap, u_snap = nw.snap(net, sxy), nw.snap(net, uxy)
    if float(np.median(s_snap.leg_m)) > WRONG_PLACE_M:
        msg = (f"the road network lies {np.median(s_snap.leg_m) / 1000:,.1f} km from the "
               "schools (median): is its coordinate system right, and is it this county?")
        raise InputError.single("", msg, layer="roads")
    if net.dropped[0]:
        nodes, edges, length = net.dropped
        notes.append(f"road network: {nodes} nodes and {edges} edges ({length / 1000:,.1f} km) "
                     "not connected to the schools' part were left out")
    for label, ids, s in (("school", schools, s_snap), ("unit", units, u_snap)):
        far = np.flatnonzero(s.leg_m > FAR_FROM_ROAD_M)
        if len(far):
            shown = ", ".join(f"{ids[i]} ({s.leg_m[i]:,.0f} m)" for i in far[:5])
            notes.append(f"{len(far)} {label}(s) over {FAR_FROM_ROAD_M:,.0f} m from the "
                         f"nearest road, the leg counted straight: {shown}")
    m = nw.road_distances(net, u_snap, s_snap, cutoff_m=cutoff_m)
    return Distances(m, units, schools, nw.METHOD_ROAD, key, tuple(notes))


def point_distances(ws: Workspace, xy: np.ndarray, *, by_road: bool = True) -> np.ndarray:
    """Return (units, points) distances from every unit to points in the projected CRS.

    By road on the workspace's network (one Dijkstra per point) when it has one and `by_road`,
    else straight lines × the detour factor.
    """
    net = workspace_network(ws) if by_road else None
    if net is not None and len(net.u):
        return nw.road_distances(net, nw.snap(net, unit_points(ws)), nw.snap(net, xy))
    return nw.straight_distances(unit_points(ws), xy)


def extend_distances(dist: Distances, ws: Workspace, school_ids: list[str]) -> Distances:
    """Return `dist` with columns for schools added to `ws` since (one Dijkstra each)."""
    s = ws.schools.set_index("school_id").loc[school_ids]
    pts = s.geometry.to_crs(ws.meta.crs)
    sxy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    cols = point_distances(ws, sxy, by_road=dist.method == nw.METHOD_ROAD)
    return Distances(np.hstack([dist.matrix, cols]), dist.unit_ids,
                     np.concatenate([dist.school_ids, np.array(school_ids, dtype=object)]),
                     dist.method, dist.key + "+" + ",".join(school_ids), dist.notes)


def aligned(dist: Distances, unit_ids: np.ndarray, school_ids: np.ndarray) -> Distances:
    """Return `dist` with rows and columns in the given order (+inf for pairs it lacks)."""
    if (len(dist.unit_ids) == len(unit_ids) and len(dist.school_ids) == len(school_ids)
            and (dist.unit_ids == unit_ids).all() and (dist.school_ids == school_ids).all()):
        return dist
    rows = pd.Index(dist.unit_ids).get_indexer(unit_ids)
    cols = pd.Index(dist.school_ids).get_indexer(school_ids)
    m = np.full((len(unit_ids), len(school_ids)), np.inf)
    ok_r, ok_c = rows >= 0, cols >= 0
    m[np.ix_(ok_r, ok_c)] = dist.matrix[np.ix_(rows[ok_r], cols[ok_c])]
    return Distances(m, np.asarray(unit_ids, dtype=object), np.asarray(school_ids, dtype=object),
                     dist.method, dist.key, dist.notes)


def cached_distances(ws: Workspace) -> Distances | None:
    """Return the matrix cached in the workspace if its key still matches, else None."""
    return _cached(ws, workspace_network(ws))


def _cached(ws: Workspace, net: nw.RoadNetwork | None) -> Distances | None:
    if ws.distances is None or not ws.meta.distances_key:
        return None
    if cache_key(ws, net) != ws.meta.distances_key:
        return None
    table = ws.distances.pivot(index="unit_id", columns="school_id", values="distance_m")
    table = table.reindex(index=ws.units["unit_id"], columns=ws.schools["school_id"])
    method = str(ws.distances["method"].iloc[0]) if len(ws.distances) else nw.METHOD_ROAD
    return Distances(table.to_numpy(dtype=float, na_value=np.inf),
                     ws.units["unit_id"].to_numpy(), ws.schools["school_id"].to_numpy(),
                     method, ws.meta.distances_key)


def with_cache(ws: Workspace, dist: Distances) -> Workspace:
    """Return the workspace carrying `dist` as its cached `distances` table."""
    from dataclasses import replace

    return ws.replace(distances=dist.long(), meta=replace(ws.meta, distances_key=dist.key))


def distances_for(ws: Workspace) -> Distances | None:
    """Return the workspace's distances: the cached ones when valid, else freshly computed."""
    if ws.units is None:
        return None
    net = workspace_network(ws)  # built once: for the cache key, and to compute if need be
    return _cached(ws, net) or compute_distances(ws, net=net)
