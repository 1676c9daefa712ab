"""Scenario commands, diff, evaluate/distances --scenario and export, on a copy of the demo."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import openpyxl
import pandas as pd
import pyogrio
import pytest

from planner.cli import main
from planner.io.load import open_workspace

EDITS = [{"op": "enforce_zoning", "school_id": None},
         {"op": "move_unit", "unit_id": "419900100040", "section": "primary",
          "to_school": "4199000003"}]


@pytest.fixture(scope="module")
def ws_with_plan(demo_gpkg, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scn")
    path = folder / "ws.gpkg"
    shutil.copy2(demo_gpkg, path)
    assert main(["distances", str(path), "--out", str(folder / "d.csv")]) == 0
    assert main(["scenario", "new", str(path), "plan-a", "--author", "规划科", "--note",
                 "缓解城区大校"]) == 0
    (folder / "e.json").write_text(json.dumps(EDITS), encoding="utf-8")
    assert main(["scenario", "add", str(path), "plan-a", "--edits", str(folder / "e.json")]) == 0
    return path


def test_add_list_show_undo_delete(ws_with_plan, tmp_path, capsys):
    path = tmp_path / "ws.gpkg"
    shutil.copy2(ws_with_plan, path)
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"op": "move_unit", "unit_id": "U9", "section": "primary",
                               "to_school": "4199000003"}), encoding="utf-8")
    before = path.read_bytes()
    assert main(["scenario", "add", str(path), "plan-a", "--edits", str(bad)]) == 2
    assert "bad.json, edit 1, column `unit_id`: unknown unit 'U9'" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["scenario", "list", str(path)]) == 0
    assert "plan-a\tbase baseline\t2 edit(s)" in capsys.readouterr().out
    assert main(["scenario", "show", str(path), "plan-a"]) == 0
    shown = capsys.readouterr().out
    assert "G4: fail → pass" in shown and "G13: fail → pass" in shown
    assert "zoned ratio primary: 83.4% → 100.0%" in shown
    assert main(["scenario", "new", str(path), "plan-b", "--base", "plan-a"]) == 0
    assert main(["scenario", "delete", str(path), "plan-a"]) == 2
    assert "is the base of plan-b" in capsys.readouterr().err
    assert main(["scenario", "undo", str(path), "plan-a"]) == 0
    ws, _ = open_workspace(path)
    assert json.loads(ws.scenarios.set_index("name").at["plan-a", "edits"]) == [EDITS[0]]
    assert main(["scenario", "undo", str(path), "plan-b"]) == 2
    assert main(["scenario", "delete", str(path), "plan-b"]) == 0
    assert main(["scenario", "new", str(path), "plan-a"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_diff_evaluate_and_distances_of_a_scenario(ws_with_plan, tmp_path, capsys):
    capsys.readouterr()
    assert main(["diff", str(ws_with_plan), "baseline", "plan-a"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("baseline → plan-a:")
    assert "示范县实验小学 (4199000001): size fixed" in out
    assert main(["evaluate", str(ws_with_plan), "--scenario", "plan-a", "--json",
                 str(tmp_path / "a.json")]) == 0
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in data["checklist"]}
    assert rows["G4"]["status"] == rows["G5"]["status"] == rows["G13"]["status"] == "pass"
    assert main(["distances", str(ws_with_plan), "--scenario", "plan-a", "--out",
                 str(tmp_path / "d.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "d.csv")) == 408 * 135
    assert main(["evaluate", str(ws_with_plan), "--scenario", "nope"]) == 2
    assert "no scenario named 'nope' (saved scenarios: plan-a)" in capsys.readouterr().err


def _xlsx_parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_export_writes_its_files_twice_the_same(ws_with_plan, tmp_path):
    for folder in (tmp_path / "one", tmp_path / "two" / "deeper"):  # made when missing
        assert main(["export", str(ws_with_plan), "--scenario", "plan-a", "--out",
                     str(folder)]) == 0
    one, two = tmp_path / "one" / "plan-a", tmp_path / "two" / "deeper" / "plan-a"
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["plan-a"]  # nothing else
    names = sorted(p.name for p in one.iterdir())
    assert names == ["plan-a.docx", "plan-a.gpkg", "plan-a.html", "plan-a.xlsx",
                     "plan-a_map_junior.pdf", "plan-a_map_primary.pdf", "plan-a_map_status.pdf",
                     "plan-a_notice.docx", "plan-a_notice.html"]
    for name in ("plan-a.html", "plan-a_notice.html", "plan-a_map_junior.pdf",
                 "plan-a_map_primary.pdf", "plan-a_map_status.pdf"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    for name in ("plan-a.docx", "plan-a_notice.docx"):  # the zip records its time: the parts
        assert _xlsx_parts(one / name) == _xlsx_parts(two / name)
    assert _xlsx_parts(one / "plan-a.xlsx") == _xlsx_parts(two / "plan-a.xlsx")
    for layer in pyogrio.list_layers(one / "plan-a.gpkg")[:, 0]:
        a = pyogrio.read_dataframe(one / "plan-a.gpkg", layer=layer)
        b = pyogrio.read_dataframe(two / "plan-a.gpkg", layer=layer)
        pd.testing.assert_frame_equal(a, b)
    # no student lost on the way out
    enrol = pyogrio.read_dataframe(one / "plan-a.gpkg", layer="enrolment")
    ws, _ = open_workspace(ws_with_plan)
    assert enrol.groupby("grade")["students"].sum().equals(
        ws.enrolment.groupby("grade")["students"].sum())
    changes = pyogrio.read_dataframe(one / "plan-a.gpkg", layer="changes")
    assert changes["op"].tolist() == ["enforce_zoning", "move_unit"]
    notice = (one / "plan-a_notice.html").read_text(encoding="utf-8")
    assert "示范县2027年义务教育学校招生划片范围公告" in notice
    assert "荇里社区" in notice  # the moved unit, now in 示范县城区第一小学's catchment
    wb = openpyxl.load_workbook(one / "plan-a.xlsx")
    assert wb.sheetnames[:3] == ["检查清单对比", "学校前后对比", "调整单元"]


def test_an_export_killed_half_way_leaves_no_partial_file(ws_with_plan, tmp_path):
    finals = ["plan-a.docx", "plan-a.gpkg", "plan-a.html", "plan-a.xlsx", "plan-a_map_junior.pdf",
              "plan-a_map_primary.pdf", "plan-a_map_status.pdf", "plan-a_notice.docx",
              "plan-a_notice.html"]
    out = tmp_path / "k"
    assert main(["export", str(ws_with_plan), "--scenario", "plan-a", "--out", str(out)]) == 0
    before = {n: (out / "plan-a" / n).read_bytes() for n in finals}
    for delay in (2.0, 3.5, 5.0):
        proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "export",
                                 str(ws_with_plan), "--scenario", "plan-a", "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the published folder holds the earlier export whole, or the new one whole
        folder = out / "plan-a"
        if folder.exists():
            assert sorted(p.name for p in folder.iterdir()) == finals
            assert (folder / "plan-a_notice.html").read_bytes() == before["plan-a_notice.html"]
        assert all(p.name.startswith(".") for p in out.iterdir() if p.name != "plan-a")
    # the next export publishes again and clears what the killed ones left
    assert main(["export", str(ws_with_plan), "--scenario", "plan-a", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["plan-a"]
