"""Road networks from files: OSM XML, .osm.pbf, GraphML, a GeoPackage; or by place name online.

Every reader returns osmnx-style node and edge GeoDataFrames (index reset: `osmid`; `u`, `v`,
`key`), the form the workspace keeps and :func:`planner.network.network_from_frames` reads.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox

from planner.errors import InputError


def _frames(graph: nx.MultiDiGraph, file: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    if graph.number_of_edges() == 0:
        raise InputError.single(file, "the road file holds no roads (no ways with a highway "
                                "tag); export the county's streets and paths")
    nodes, edges = ox.graph_to_gdfs(graph)
    nodes = nodes.reset_index()[["osmid", "x", "y", "geometry"]]
    edges = edges.reset_index()
    keep = ["u", "v", "key", "length", "highway", "geometry"]
    edges = edges[[c for c in keep if c in edges.columns]]
    if "highway" in edges.columns:
        edges["highway"] = edges["highway"].map(lambda h: h[0] if isinstance(h, list) else h
                                                ).astype("str")
    return nodes, edges


def read_roads(path: str | Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read a road network file into node and edge layers.

    Parameters
    ----------
    path
        .osm / .xml (OSM XML, through osmnx), .pbf (through pyrosm, the walking network),
        .graphml (osmnx GraphML) or .gpkg (layers `nodes` and `edges` as osmnx writes them).

    Raises
    ------
    InputError
        Missing, empty, corrupt, or of an unknown type.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError.single(name, f"road file not found: {path}")
    if path.stat().st_size == 0:
        raise InputError.single(name, "the road file is empty")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".pbf" else (
        path.suffix.lower())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if suffix in (".osm", ".xml"):
                graph = ox.graph_from_xml(path, simplify=True, retain_all=True)
                return _frames(graph, name)
            if suffix.endswith(".pbf"):
                return _from_pbf(path)
            if suffix == ".graphml":
                return _frames(ox.load_graphml(path), name)
            if suffix == ".gpkg":
                nodes = gpd.read_file(path, layer="nodes")
                edges = gpd.read_file(path, layer="edges")
                return nodes, edges
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - each library fails its own way on a bad file
        msg = f"cannot be read as a road network ({type(exc).__name__}: {str(exc)[:160]})"
        raise InputError.single(name, msg) from exc
    msg = (f"unknown road file type {suffix or '(none)'}; give .osm, .osm.pbf, .graphml or a "
           ".gpkg with nodes and edges layers")
    raise InputError.single(name, msg)


def _from_pbf(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    import pyrosm

    osm = pyrosm.OSM(str(path))
    result = osm.get_network(network_type="walking", nodes=True)
    if result is None or result[1] is None or len(result[1]) == 0:
        raise InputError.single(path.name, "the .pbf file holds no walkable roads")
    nodes, edges = result
    graph = osm.to_graph(nodes, edges, graph_type="networkx")
    return _frames(graph, path.name)


def roads_by_place(place: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Download the walking network of a place from OpenStreetMap (needs the internet)."""
    try:
        graph = ox.graph_from_place(place, network_type="walk")
    except Exception as exc:  # noqa: BLE001 - network errors, geocoder misses
        msg = f"cannot download the roads of {place!r} ({type(exc).__name__}: {exc})"
        raise InputError.single(place, msg) from exc
    return _frames(graph, place)

