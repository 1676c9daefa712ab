"""The reference the compiled road distances are checked and benchmarked against: networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np

from planner.network import RoadNetwork, Snap


def networkx_graph(net: RoadNetwork, snaps: dict[str, Snap]) -> nx.Graph:
    """Return the network as a networkx graph with snapped points inserted as nodes.

    Each snapped point i of group g splits its edge at the foot ("foot", g, i) and hangs off it
    as node (g, i) by its leg. This is the reference the compiled distances are checked and
    benchmarked against.
    """
    g = nx.Graph()
    g.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.length_m.tolist(),
                                  strict=True))
    feet: dict[int, list] = {}
    for group, s in snaps.items():
        for i, (e, a, leg) in enumerate(zip(s.edge, s.along_m, s.leg_m, strict=True)):
            feet.setdefault(int(e), []).append((float(a), (group, i), float(leg)))
    for e, pts in feet.items():
        u, v, w = int(net.u[e]), int(net.v[e]), float(net.length_m[e])
        g.remove_edge(u, v)
        chain = [(0.0, u)] + [(a, ("foot", *key)) for a, key, _ in sorted(pts)] + [(w, v)]
        for (a0, n0), (a1, n1) in zip(chain[:-1], chain[1:], strict=True):
            g.add_edge(n0, n1, weight=a1 - a0)
        for _a, key, leg in pts:
            g.add_edge(key, ("foot", *key), weight=leg)
    return g


def networkx_distances(graph: nx.Graph, n_origins: int, n_targets: int) -> np.ndarray:
    """Return origin × target distances by networkx single-source Dijkstra from each target."""
    out = np.full((n_origins, n_targets), np.inf)
    for j in range(n_targets):
        d = nx.single_source_dijkstra_path_length(graph, ("t", j), weight="weight")
        for i in range(n_origins):
            out[i, j] = d.get(("o", i), np.inf)
    return out
