"""`planner distances`: the CSV, the cache in the workspace, road files and their errors."""

from __future__ import annotations

import shutil

import pandas as pd
import pyrosm
import pytest

from planner.cli import main
from planner.io.load import open_workspace
from planner.travel import cached_distances, compute_distances


@pytest.fixture()
def ws_copy(demo_gpkg, tmp_path):
    path = tmp_path / "ws.gpkg"
    shutil.copy2(demo_gpkg, path)
    return path


def test_distances_csv_is_cached_in_the_workspace(ws_copy, tmp_path, capsys):
    out = tmp_path / "d.csv"
    assert main(["distances", str(ws_copy), "--out", str(out)]) == 0
    assert "55080 unit-school pairs, method road; cached in the workspace" in \
        capsys.readouterr().out
    table = pd.read_csv(out, dtype={"unit_id": str, "school_id": str})
    assert list(table.columns) == ["unit_id", "school_id", "distance_m", "method"]
    assert len(table) == 408 * 135 and set(table["method"]) == {"road"}
    ws, _ = open_workspace(ws_copy)
    cached = cached_distances(ws)
    assert cached is not None and cached.key == ws.meta.distances_key
    fresh = compute_distances(ws)
    assert abs(cached.matrix - fresh.matrix).max() <= 0.05 + 1e-9  # stored to 0.1 m
    # the second run reads the cache; a section and a cutoff filter the pairs
    out2 = tmp_path / "j.csv"
    assert main(["distances", str(ws_copy), "--section", "junior", "--cutoff", "3000",
                 "--out", str(out2)]) == 0
    assert "from the workspace's cache" in capsys.readouterr().out
    j = pd.read_csv(out2, dtype={"unit_id": str, "school_id": str})
    junior_ids = set(ws.schools.loc[ws.schools["kind"].isin(
        ["junior", "nine_year", "twelve_year", "complete_middle"]), "school_id"])
    assert set(j["school_id"]) <= junior_ids and j["distance_m"].max() <= 3000


def test_a_moved_school_invalidates_the_cache(ws_copy, tmp_path):
    from shapely import affinity

    assert main(["distances", str(ws_copy), "--out", str(tmp_path / "d.csv")]) == 0
    ws, _ = open_workspace(ws_copy)
    moved = ws.schools.copy()
    moved.loc[0, "geometry"] = affinity.translate(moved.geometry.iloc[0], xoff=0.001)
    assert cached_distances(ws) is not None
    assert cached_distances(ws.replace(schools=moved)) is None


def test_roads_from_a_far_away_file_are_refused_and_nothing_changes(ws_copy, tmp_path,
                                                                     capsys):
    before = ws_copy.read_bytes()
    code = main(["distances", str(ws_copy), "--roads", pyrosm.get_data("test_pbf"), "--out",
                 str(tmp_path / "x.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "test.osm.pbf: the road network lies" in err and "km from the schools" in err
    assert ws_copy.read_bytes() == before
    assert not (tmp_path / "x.csv").exists()


def test_distances_without_roads_use_the_named_fallback(tmp_path, capsys):
    from pathlib import Path

    from planner.io.gpkg import write_workspace

    ws, _ = open_workspace(Path(__file__).parent / "data" / "small_county.gpkg")
    path = tmp_path / "small.gpkg"
    write_workspace(ws, path)
    assert main(["distances", str(path), "--out", str(tmp_path / "d.csv")]) == 0
    out = capsys.readouterr().out
    assert "note: no road network: distances are straight lines × 1.3" in out
    assert set(pd.read_csv(tmp_path / "d.csv")["method"]) == {"straight_line_x1.3"}


def test_distances_refuse_tables_and_bad_cutoffs(tmp_path, capsys):
    from pathlib import Path

    data = Path(__file__).parent / "data"
    assert main(["distances", str(data / "small_county.xlsx"), "--out",
                 str(tmp_path / "d.csv")]) == 2
    assert main(["distances", str(data / "small_county.gpkg"), "--cutoff", "-5", "--out",
                 str(tmp_path / "d.csv")]) == 2
    err = capsys.readouterr().err
    assert "distances need a .gpkg workspace" in err
    assert "--cutoff: expected metres > 0, got -5.0" in err
    assert list(tmp_path.iterdir()) == []
