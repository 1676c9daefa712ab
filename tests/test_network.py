"""Road distances: exact metres on a hand-drawn grid, networkx agreement on real OSM data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from planner.errors import InputError
from planner.io.osm import read_roads
from planner.network import (
    keep_component,
    network_from_frames,
    road_distances,
    snap,
)
from tests.oracles.networkx_distances import networkx_distances, networkx_graph

CRS = "EPSG:4547"


def grid(n=5, step=100.0, drop=()):
    """An n × n street grid in metres (node (i, j) at x = i·step, y = j·step)."""
    ids, xs, ys = [], [], []
    for j in range(n):
        for i in range(n):
            ids.append(j * n + i + 1)
            xs.append(i * step)
            ys.append(j * step)
    nodes = gpd.GeoDataFrame({"osmid": ids, "x": xs, "y": ys},
                             geometry=gpd.points_from_xy(xs, ys), crs=CRS)
    rows = []
    for j in range(n):
        for i in range(n):
            a = j * n + i + 1
            for b in ((a + 1) if i < n - 1 else None, (a + n) if j < n - 1 else None):
                if b is not None and (a, b) not in drop:
                    rows.append((a, b, step))
    edges = pd.DataFrame(rows, columns=["u", "v", "length"])
    return nodes, edges


def nx_distances(net, o_snap, t_snap):
    graph = networkx_graph(net, {"o": o_snap, "t": t_snap})
    return networkx_distances(graph, len(o_snap.edge), len(t_snap.edge))


def test_distances_on_a_hand_drawn_grid_are_exact():
    net = network_from_frames(*grid(), CRS)
    units = np.array([[50.0, -20.0], [130.0, 5.0]])
    schools = np.array([[320.0, 415.0], [180.0, -5.0]])
    o, t = snap(net, units), snap(net, schools)
    assert o.leg_m.tolist() == pytest.approx([20.0, 5.0])
    assert o.along_m.tolist() == pytest.approx([50.0, 30.0])
    d = road_distances(net, o, t)
    # unit 0 → school 0: 20 leg + 50 to (100,0) + 200 east + 400 north + 20 along + 15 leg
    assert d[0, 0] == pytest.approx(705.0)
    # unit 1 → school 1: both on the edge (100,0)-(200,0): 5 + |130 − 180| + 5
    assert d[1, 1] == pytest.approx(60.0)
    np.testing.assert_allclose(d, nx_distances(net, o, t), atol=0.1)


def test_a_missing_street_forces_the_detour():
    # no way north from y = 0 at x = 100, 200, 300: go up at x = 0 instead
    n = 5
    drop = {(i + 1, i + 1 + n) for i in (1, 2, 3)}
    net = network_from_frames(*grid(drop=drop), CRS)
    o, t = snap(net, np.array([[50.0, -20.0]])), snap(net, np.array([[320.0, 415.0]]))
    # 20 + 50 west + 100 north + 300 east + 300 north + 20 along + 15 = 805
    assert road_distances(net, o, t)[0, 0] == pytest.approx(805.0)
    assert road_distances(net, o, t, cutoff_m=800.0)[0, 0] == np.inf


@pytest.fixture(scope="module")
def helsinki():
    nodes, edges = read_roads(pyrosm.get_data("test_pbf"))
    return network_from_frames(nodes, edges, "EPSG:32635")


def test_distances_equal_networkx_on_real_openstreetmap_data(helsinki):
    net = keep_component(helsinki, helsinki.xy[:5])
    rng = np.random.default_rng(1)
    lo, hi = net.xy.min(axis=0), net.xy.max(axis=0)
    units = rng.uniform(lo, hi, (25, 2))
    schools = rng.uniform(lo, hi, (8, 2))
    o, t = snap(net, units), snap(net, schools)
    ours = road_distances(net, o, t)
    theirs = nx_distances(net, o, t)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, atol=0.1)


def test_osm_lengths_are_used_as_edge_weights(helsinki):
    # the weights are the file's `length` (metres along the way, one per node pair)
    _, edges = read_roads(pyrosm.get_data("test_pbf"))
    file_lengths = set(np.round(edges["length"].to_numpy(), 3))
    assert set(np.round(helsinki.length_m, 3)) <= file_lengths
    assert len(helsinki.u) == len({(min(a, b), max(a, b)) for a, b in zip(edges["u"], edges["v"],
                                                                         strict=True)
                                   if a != b})


def test_a_disconnected_piece_is_dropped_and_counted():
    nodes, edges = grid()
    island = gpd.GeoDataFrame({"osmid": [100, 101], "x": [5000.0, 5100.0], "y": [0.0, 0.0]},
                              geometry=gpd.points_from_xy([5000, 5100], [0, 0]), crs=CRS)
    nodes = pd.concat([nodes, island], ignore_index=True)
    edges = pd.concat([edges, pd.DataFrame({"u": [100], "v": [101], "length": [100.0]})],
                      ignore_index=True)
    net = keep_component(network_from_frames(nodes, edges, CRS), np.array([[50.0, 50.0]]))
    assert net.dropped == (2, 1, 100.0)
    assert net.n == 25


@pytest.mark.parametrize("name, content, message", [
    ("empty.osm", b"", "the road file is empty"),
    ("corrupt.osm", b"<osm><way id='1'><nd ref=", "cannot be read as a road network"),
    ("nothing.osm", b"<?xml version='1.0'?><osm version='0.6'></osm>",
     "cannot be read as a road network"),
    ("roads.shp", b"x", "unknown road file type .shp"),
])
def test_bad_road_files_are_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_roads(path)
    assert info.value.problems[0].file == name


def test_wrongly_projected_roads_are_refused(demo, tmp_path):
    from planner.travel import compute_distances

    # metres written where degrees belong: the network lands far from the county
    nodes, edges = grid()
    nodes = gpd.GeoDataFrame(nodes.drop(columns="geometry"),
                             geometry=gpd.points_from_xy(nodes["x"] / 1000, nodes["y"] / 1000),
                             crs="EPSG:4326")
    nodes["x"], nodes["y"] = nodes.geometry.x, nodes.geometry.y
    net = network_from_frames(nodes, edges, demo.meta.crs)
    with pytest.raises(InputError, match=r"the road network lies [\d,.]+ km from the schools"):
        compute_distances(demo, net=net)


def test_the_straight_line_fallback_names_itself(demo):
    from planner.travel import compute_distances

    d = compute_distances(demo, use_network=False)
    assert d.method == "straight_line_x1.3"
    assert "straight lines × 1.3" in d.notes[0]
    table = d.long()
    assert set(table["method"]) == {"straight_line_x1.3"}
    # 1.3 × the straight line between a unit's representative point and a school
    u = demo.units.to_crs(demo.meta.crs).representative_point().iloc[0]
    s = demo.schools.to_crs(demo.meta.crs).geometry.iloc[0]
    assert d.matrix[0, 0] == pytest.approx(1.3 * shapely.distance(u, s))


@pytest.mark.internet
def test_roads_by_place_name_online():
    from planner.io.osm import roads_by_place

    nodes, edges = roads_by_place("Nanle County, Puyang, Henan, China")
    assert len(nodes) > 1000 and {"u", "v", "key", "length"} <= set(edges.columns)
