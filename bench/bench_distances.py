"""The unit × school road-distance matrix: compiled Dijkstra against networkx, same graph.

For the demo county and at --scale 5, prints the time of `planner.network.road_distances`
(one scipy csgraph Dijkstra per school on the graph with the schools as virtual nodes) and of
networkx single-source Dijkstra from each school on the same network with the snapped points
inserted, and their ratio. At scale 5 networkx runs from a sample of schools and its time is
scaled to all of them (said in the output). Results are checked equal to 0.1 m.

    python bench/bench_distances.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import network as nw  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.travel import school_points, unit_points, workspace_network  # noqa: E402
from tests.oracles.networkx_distances import networkx_distances, networkx_graph  # noqa: E402


def run(scale: int, sample: int | None) -> None:
    ws = make_demo(seed=7, scale=scale)
    net = workspace_network(ws)
    o, t = nw.snap(net, unit_points(ws)), nw.snap(net, school_points(ws))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        ours = nw.road_distances(net, o, t)
        times.append(time.perf_counter() - t0)
    ours_s = min(times)
    k = len(t.edge) if sample is None else min(sample, len(t.edge))
    sub = nw.Snap(t.edge[:k], t.along_m[:k], t.leg_m[:k])
    graph = networkx_graph(net, {"o": o, "t": sub})
    t0 = time.perf_counter()
    theirs = networkx_distances(graph, len(o.edge), k)
    nx_s = (time.perf_counter() - t0) * len(t.edge) / k
    assert np.allclose(ours[:, :k], theirs, atol=0.1), "results differ"
    note = "" if k == len(t.edge) else f" (networkx timed on {k} of {len(t.edge)} schools, scaled)"
    print(f"scale {scale}: {len(o.edge)} units × {len(t.edge)} schools, {net.n} nodes: "
          f"compiled {ours_s:.3f} s, networkx {nx_s:.2f} s, ratio {nx_s / ours_s:.1f}×{note}")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        run(1, None)
        run(5, 60)
