"""Travel on the road network: snapping points to roads and unit × school distances, in metres.

Walking ignores one-way streets, so the network is undirected. Points (a unit's representative
point, a school) are snapped to their nearest edge, splitting it at the foot of the
perpendicular; the off-network leg is added to the distance. Distances come from one compiled
Dijkstra run per school (scipy.sparse.csgraph) on a graph where each school is a virtual node on
its edge, then read at the units' edge ends. When there is no network, straight-line distance ×
a detour factor is the fallback, and the `method` column says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

DETOUR_FACTOR = 1.3  # straight line → road, a common planning rule of thumb on a plain
METHOD_ROAD = "road"
METHOD_STRAIGHT = f"straight_line_x{DETOUR_FACTOR}"
_TINY = 1e-6  # csgraph drops explicit zeros; zero-length edges keep a micrometre


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected road network in a projected CRS.

    Attributes
    ----------
    node_ids
        The osmid of each node.
    xy
        Node coordinates, metres, shape (n, 2).
    u, v
        Node indices of each undirected edge (u < v), one edge per node pair (the shortest).
    length_m
        Edge lengths, metres (the `length` attribute where given, else the geometry's).
    lines
        Edge geometries (shapely LineStrings, in `crs`), for snapping.
    crs
        The projected CRS.
    dropped
        What was left out as not connected to the schools: nodes, edges, length_m.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    lines: np.ndarray
    crs: str
    dropped: tuple[int, int, float] = (0, 0, 0.0)

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.node_ids)

    def matrix(self) -> csr_matrix:
        """Return the symmetric sparse adjacency matrix of edge lengths."""
        w = np.maximum(self.length_m, _TINY)
        m = coo_matrix((np.concatenate([w, w]), (np.concatenate([self.u, self.v]),
                                                   np.concatenate([self.v, self.u]))),
                       shape=(self.n, self.n))
        return m.tocsr()

    def fingerprint(self) -> str:
        """Return a hash of nodes and edges (the cache key's network part)."""
        h = hashlib.sha256()
        for arr in (self.node_ids, np.round(self.xy, 3), self.u, self.v,
                    np.round(self.length_m, 3)):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class Snap:
    """Points snapped to network edges.

    Attributes
    ----------
    edge
        The index of each point's edge.
    along_m
        Distance along the edge from its `u` end to the foot of the perpendicular, metres
        (in the edge's `length_m`, so it agrees with the graph's weights).
    leg_m
        Straight distance from the point to the edge, metres.
    """

    edge: np.ndarray
    along_m: np.ndarray
    leg_m: np.ndarray


def network_from_frames(nodes: pd.DataFrame, edges: pd.DataFrame, crs_m: str) -> RoadNetwork:
    """Build the undirected network from osmnx-style node and edge layers.

    Parameters
    ----------
    nodes
        `osmid`, `x`, `y` (and a geometry or a CRS: WGS84 unless the frame says otherwise).
    edges
        `u`, `v` and optionally `length` (metres) and a LineString geometry.
    crs_m
        The projected CRS to work in.

    Returns
    -------
    The network with every node; see :func:`keep_component` to drop unconnected parts.
    """
    ids = nodes["osmid"].to_numpy(dtype=np.int64)
    crs = getattr(nodes, "crs", None) or "EPSG:4326"
    pts = gpd.GeoSeries(shapely.points(nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)),
                        crs=crs).to_crs(crs_m)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    index = pd.Series(np.arange(len(ids)), index=ids)
    known = edges["u"].isin(index.index) & edges["v"].isin(index.index)
    e = edges[known]
    u = index.loc[e["u"].to_numpy()].to_numpy()
    v = index.loc[e["v"].to_numpy()].to_numpy()
    if isinstance(e, gpd.GeoDataFrame) and e.geometry.notna().all():
        lines = e.geometry.to_crs(crs_m).to_numpy()
    else:
        lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    geom_len = shapely.length(lines)
    if "length" in e.columns:
        length = e["length"].to_numpy(dtype=float)
        length = np.where(np.isfinite(length) & (length >= 0), length, geom_len)
    else:
        length = geom_len
    keep = u != v
    u, v, length, lines = u[keep], v[keep], length[keep], lines[keep]
    # one undirected edge per node pair: the shortest (osmnx stores both directions)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))
    flip = (u > v)[order]  # the line runs from hi to lo: turn it to start at lo
    lo, hi, length, lines = lo[order], hi[order], length[order], lines[order]
    first = np.ones(len(lo), bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lines = np.where(flip, shapely.reverse(lines), lines)
    return RoadNetwork(node_ids=ids, xy=xy, u=lo[first], v=hi[first], length_m=length[first],
                       lines=lines[first], crs=crs_m)


def keep_component(net: RoadNetwork, points_xy: np.ndarray) -> RoadNetwork:
    """Keep the connected part of the network that holds most of `points_xy` (the schools).

    Points count for the component of their nearest edge; ties go to the larger component.
    What is dropped is counted in `dropped` (nodes, edges, metres of road).
    """
    if net.n == 0 or len(net.u) == 0:
        return net
    n_comp, label = connected_components(net.matrix(), directed=False)
    if n_comp == 1:
        return net
    tree = shapely.STRtree(net.lines)
    nearest = tree.query_nearest(shapely.points(points_xy), all_matches=False)[1]
    votes = np.bincount(label[net.u[nearest]], minlength=n_comp) if len(nearest) else np.zeros(
        n_comp)
    sizes = np.bincount(label, minlength=n_comp)
    best = int(np.lexsort((sizes, votes))[-1])
    keep_nodes = label == best
    keep_edges = keep_nodes[net.u]
    new_index = -np.ones(net.n, dtype=np.int64)
    new_index[keep_nodes] = np.arange(int(keep_nodes.sum()))
    dropped = (int((~keep_nodes).sum()), int((~keep_edges).sum()),
               float(net.length_m[~keep_edges].sum()))
    return RoadNetwork(node_ids=net.node_ids[keep_nodes], xy=net.xy[keep_nodes],
                       u=new_index[net.u[keep_edges]], v=new_index[net.v[keep_edges]],
                       length_m=net.length_m[keep_edges], lines=net.lines[keep_edges],
                       crs=net.crs, dropped=dropped)


def snap(net: RoadNetwork, points_xy: np.ndarray) -> Snap:
    """Snap points (metres, in the network's CRS) to their nearest edges."""
    pts = shapely.points(points_xy)
    tree = shapely.STRtree(net.lines)
    idx, dist = tree.query_nearest(pts, all_matches=False, return_distance=True)
    edge = np.empty(len(pts), dtype=np.int64)
    leg = np.empty(len(pts))
    edge[idx[0]] = idx[1]
    leg[idx[0]] = dist
    lines = net.lines[edge]
    geom_len = shapely.length(lines)
    pos = shapely.line_locate_point(lines, pts)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(geom_len > 0, pos / geom_len, 0.0)
    return Snap(edge=edge, along_m=np.clip(frac, 0, 1) * net.length_m[edge], leg_m=leg)


def road_distances(net: RoadNetwork, origins: Snap, targets: Snap, *,
                   cutoff_m: float | None = None, batch: int = 256) -> np.ndarray:
    """Return shortest road distances from every origin (unit) to every target (school).

    Each target becomes a virtual node joined to its edge's ends by the two parts of the edge;
    one Dijkstra from each target (in batches, in C) gives the distances to all nodes, read at
    each origin's edge ends plus the along-edge parts and both off-network legs. Two points on
    one edge may also go straight along it.

    Parameters
    ----------
    cutoff_m
        Distances above this are returned as +inf (and computed faster).

    Returns
    -------
    Metres, shape (origins, targets); +inf where unreachable or beyond the cutoff.
    """
    n, k = net.n, len(targets.edge)
    w_edge = net.length_m
    tu, tv = net.u[targets.edge], net.v[targets.edge]
    ta = np.maximum(targets.along_m, _TINY)
    tb = np.maximum(w_edge[targets.edge] - targets.along_m, _TINY)
    base = net.matrix().tocoo()
    virt = n + np.arange(k)
    rows = np.concatenate([base.row, virt, virt, tu, tv])
    cols = np.concatenate([base.col, tu, tv, virt, virt])
    data = np.concatenate([base.data, ta, tb, ta, tb])
    graph = coo_matrix((data, (rows, cols)), shape=(n + k, n + k)).tocsr()
    ou, ov = net.u[origins.edge], net.v[origins.edge]
    oa = origins.along_m
    ob = w_edge[origins.edge] - origins.along_m
    limit = np.inf if cutoff_m is None else float(cutoff_m)
    out = np.empty((len(origins.edge), k))
    for start in range(0, k, batch):
        sources = virt[start:start + batch]
        d = dijkstra(graph, directed=True, indices=sources, limit=limit)
        via = np.minimum(d[:, ou] + oa, d[:, ov] + ob)  # (batch, origins)
        out[:, start:start + batch] = via.T
    same = origins.edge[:, None] == targets.edge[None, :]
    if same.any():
        direct = np.abs(origins.along_m[:, None] - targets.along_m[None, :])
        out = np.where(same, np.minimum(out, direct), out)
    out = out + origins.leg_m[:, None] + targets.leg_m[None, :]
    if cutoff_m is not None:
        out[out > cutoff_m] = np.inf
    return out


def straight_distances(origins_xy: np.ndarray, targets_xy: np.ndarray, *,
                       detour: float = DETOUR_FACTOR) -> np.ndarray:
    """Return straight-line distance × `detour` between points (metres), the fallback."""
    diff = origins_xy[:, None, :] - targets_xy[None, :, :]
    return np.hypot(diff[..., 0], diff[..., 1]) * detour


def points_fingerprint(ids: pd.Series, xy: np.ndarray) -> str:
    """Return a hash of point ids and coordinates (the cache key's points part)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, ids)).encode())
    h.update(np.ascontiguousarray(np.round(xy, 3)).tobytes())
    return h.hexdigest()[:16]
