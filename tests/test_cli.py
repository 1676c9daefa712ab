"""The command line: demo, template, import, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from planner.cli import main
from planner.io.load import open_workspace

DATA = Path(__file__).resolve().parent / "data"


def _layers(path):
    return {str(n): pyogrio.read_dataframe(path, layer=str(n))
            for n in pyogrio.list_layers(path)[:, 0]}


def test_demo_twice_with_the_same_seed_writes_identical_layers(tmp_path, capsys):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    assert main(["demo", str(a), "--seed", "3"]) == 0
    assert main(["demo", str(b), "--seed", "3"]) == 0
    assert "(synthetic data)" in capsys.readouterr().out
    la, lb = _layers(a), _layers(b)
    assert la.keys() == lb.keys()
    for name in la:
        if isinstance(la[name], gpd.GeoDataFrame):
            ga, gb = la[name].geometry, lb[name].geometry
            same = ga.geom_equals_exact(gb, tolerance=0) | (ga.isna() & gb.isna())
            assert same.all(), name
        pd.testing.assert_frame_equal(la[name], lb[name], check_dtype=True)


def test_demo_refuses_bad_arguments(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "x.csv")]) == 2
    assert main(["demo", str(tmp_path / "nowhere" / "x.gpkg")]) == 2
    assert main(["demo", str(tmp_path / "x.gpkg"), "--scale", "0"]) == 2
    err = capsys.readouterr().err
    assert "x.csv: the output must be a .gpkg file" in err
    assert "does not exist" in err
    assert "--scale: expected a whole number ≥ 1, got 0" in err
    assert list(tmp_path.iterdir()) == []


def test_import_writes_a_workspace_and_a_bad_import_leaves_it_alone(tmp_path, capsys):
    out = tmp_path / "ws.gpkg"
    assert main(["import", str(DATA / "small_county.xlsx"), str(out)]) == 0
    ws, _ = open_workspace(out)
    assert len(ws.schools) == 4 and ws.enrolment["students"].sum() == 345 + 171 + 261 + 90
    before = out.read_bytes()
    assert main(["import", str(DATA / "bad" / "many_problems.xlsx"), str(out)]) == 2
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.gpkg"]
    assert "unknown unit 'U9'" in capsys.readouterr().err


def test_the_console_script_prints_no_traceback_on_bad_input(tmp_path):
    run = subprocess.run([sys.executable, "-m", "planner.cli", "validate",
                          str(DATA / "bad" / "corrupt.gpkg")], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 2
    assert "cannot be read as a GeoPackage" in run.stderr
    assert "Traceback" not in run.stderr


def test_bundled_demo_is_the_demo_of_seed_7(demo):
    bundled, _ = open_workspace(Path(__file__).resolve().parent.parent / "geodata"
                                / "demo_county.gpkg")
    pd.testing.assert_frame_equal(bundled.enrolment, demo.enrolment)
    pd.testing.assert_frame_equal(bundled.schools.drop(columns="geometry"),
                                  demo.schools.drop(columns="geometry"))
