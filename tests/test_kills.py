"""kill -9 at moments spread over import, scenario add, export, optimize and demo (30 kills):
the workspace opens and validates every time, an export is never mixed, and the next complete
run leaves no stray temporary or journal file behind."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner import session as ss
from planner.cli import main
from tests.conftest import DATA

KILLS = 6  # per command
EXPORT = ["county.docx", "county.gpkg", "county.html", "county.xlsx", "county_map_junior.pdf",
          "county_map_primary.pdf", "county_map_status.pdf", "county_notice.docx",
          "county_notice.html"]


def _run(args: list[str], delay: float | None) -> float:
    """Run `planner ARGS`; kill it with SIGKILL after `delay` s (None: let it finish)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if delay is None:
        assert proc.wait(timeout=600) == 0, args
    else:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    return time.monotonic() - t0


def _delays(args: list[str]) -> list[float]:
    """Moments spread over a whole run of the command (timed once, undisturbed)."""
    whole = _run(args, None)
    return [whole * (k + 0.5) / KILLS for k in range(KILLS)]


def _valid(path: Path) -> None:
    assert main(["validate", str(path)]) == 0, path


def _only(folder: Path, names: set[str]) -> None:
    left = {p.name for p in folder.iterdir()}
    assert left <= names, f"stray files: {sorted(left - names)}"


@pytest.fixture()
def county(tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(DATA / "small_county.gpkg", path)
    assert main(["scenario", "new", str(path), "county"]) == 0
    return path


def test_killed_imports_and_demos_leave_whole_files(tmp_path):
    imp, demo = tmp_path / "imp.gpkg", tmp_path / "demo.gpkg"
    for full, out in ((["import", str(DATA / "small_county.xlsx"), str(imp)], imp),
                      (["demo", str(demo), "--seed", "3"], demo)):
        for delay in _delays(full):
            _run(full, delay)
            assert out.exists()  # the first, whole run's file: replaced whole or not at all
            _valid(out)
        _run(full, None)
        _only(tmp_path, {"imp.gpkg", "demo.gpkg"})


def test_killed_scenario_adds_leave_the_workspace_valid(county, tmp_path):
    edit = tmp_path / "e.json"
    edit.write_text('{"op": "move_unit", "unit_id": "U3", "section": "primary", '
                    '"to_school": "S2"}', encoding="utf-8")
    args = ["scenario", "add", str(county), "county", "--edits", str(edit)]
    counts = []
    for delay in _delays(args):
        _run(args, delay)
        _valid(county)
        n = len(ss.store.read(county)["county"].edits)
        counts.append(n)
    assert counts == sorted(counts)  # an edit is there whole or not at all, never torn
    _run(args, None)
    _only(county.parent, {"county.gpkg", "e.json"})


def test_killed_exports_are_never_mixed(county, tmp_path):
    out = tmp_path / "out"
    args = ["export", str(county), "--scenario", "county", "--out", str(out)]
    for delay in _delays(args):
        _run(args, delay)
        folder = out / "county"
        if folder.exists():
            assert sorted(p.name for p in folder.iterdir()) == EXPORT
        assert all(p.name.startswith(".") for p in out.iterdir() if p.name != "county")
    _run(args, None)
    _only(out, {"county"})


def test_killed_optimisations_save_nothing_or_everything(county):
    # the small county has no school year: every grade at once, its choosers brought back
    # (which its places cannot take, nor the nine-year pathway rule: tests/test_optimize.py)
    profile = county.parent / "no_pathway.toml"
    profile.write_text("keep_nine_year_pathway = false\n", encoding="utf-8")
    flags = ["--all-grades", "--enforce-zoning", "--no-capacity", "--profile", str(profile)]
    for k, delay in enumerate(_delays(["optimize", str(county), "--section", "primary",
                                       "--name", "opt-first", *flags])):
        _run(["optimize", str(county), "--section", "primary", "--name", f"opt{k}", *flags],
             delay)
        _valid(county)
        saved = ss.store.read(county)
        if f"opt{k}" in saved:
            assert saved[f"opt{k}"].edits  # whole: the moves and the zoning enforced
    _only(county.parent, {"county.gpkg", "no_pathway.toml"})
