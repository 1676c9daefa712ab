"""Many counties at once: the task's columns, fingerprints and resume, and Dask for real.

The cluster tests start `dask scheduler` and two `dask worker` processes on 127.0.0.1 (free
ports, one thread each) and run `planner batch` through the scheduler's address, comparing
with a serial run in this process, column for column.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import batch
from planner.cli import main
from tests.helpers import a_school, schools_frame

ROOT = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).with_name("dask")


# --- one county ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def five_schools(tmp_path_factory) -> Path:
    """Five primary schools of 100…500 pupils with 2, 2, 3, 6, 7 backbone teachers.

    Every other resource is a_school's (sized for 1000 pupils), so each school meets it; the
    first school has 100 m² of sports ground (1 m² per pupil, under 85 % of 7.5).
    """
    recs = [a_school(school_id=f"S{i}", name=f"校{i}", students_primary=p, teachers_backbone=r,
                     sports_area_m2=100.0 if i == 1 else 7500.0, lon=115.2 + i * 0.01,
                     lat=36.07)
            for i, (p, r) in enumerate(zip((100, 200, 300, 400, 500), (2, 2, 3, 6, 7),
                                           strict=True), start=1)]
    path = tmp_path_factory.mktemp("five") / "five.csv"
    schools_frame(*recs).to_csv(path, index=False)
    return path


def test_a_county_row_carries_its_cvs_reasons_and_checklist(five_schools):
    res = batch.run_county(str(five_schools), batch.make_options(reports=False))
    assert res["status"] == "ok" and res["message"] == ""
    c = res["columns"]
    # R2: P = 100..500, R = 2, 2, 3, 6, 7 → CV = sqrt(51 / 1200) (tests/test_indicators.py)
    assert c["cv_primary_backbone_teachers_per100"] == pytest.approx(np.sqrt(51 / 1200))
    # a resource equal at every school: CV² = N·Σ(1/P)/5 − 1 = 60·Σ1/P − 1 = 0.37
    assert c["cv_primary_above_degree_teachers_per100"] == pytest.approx(np.sqrt(0.37))
    assert c["cv_junior_backbone_teachers_per100"] is None  # no junior school
    assert c["cvs_over"] == 5  # R1, R3, R4, R6, R7 over 0.50; R2 and R5 within
    assert c["cv_max_ratio"] == pytest.approx(np.sqrt(0.37) / 0.5)
    assert (c["school_sections"], c["school_sections_failing"]) == (5, 1)
    assert c["failing_primary"] == 1 and c["failing_primary_R5"] == 1
    assert sum(c[f"failing_primary_R{i}"] for i in range(1, 8)) == 1
    assert c["students_primary"] == 1500 and c["schools"] == 5
    assert (c["verdict"], c["pass"], c["fail"], c["missing"]) == ("fail", 5, 6, 21)
    assert c["status_R2"] == "pass" and c["status_R5"] == "fail"
    assert c["status_G1"] == "missing" and c["status_G12"] == "pass"
    assert len([k for k in c if k.startswith("status_")]) == 32
    assert res["outline_wkt"].startswith("POLYGON")  # the schools' hull, buffered


def test_a_broken_workspace_fails_with_its_located_message(tmp_path):
    bad = tmp_path / "坏县.gpkg"
    bad.write_text("not a geopackage")
    res = batch.run_county(str(bad), batch.make_options(reports=False))
    assert res["status"] == "failed" and res["error_kind"] == "input"
    assert res["message"].startswith("坏县.gpkg: cannot be read as a GeoPackage")
    res = batch.run_county(str(tmp_path / "gone.gpkg"), batch.make_options(reports=False))
    assert res["message"].startswith("gone.gpkg: file not found on ")
    assert "same path" in res["message"]


def test_a_later_step_that_fails_names_itself_and_keeps_the_evaluation(five_schools):
    options = batch.make_options(optimise=["primary"], reports=False)
    res = batch.run_county(str(five_schools), options)
    assert res["status"] == "failed" and res["error_kind"] == "input"
    assert res["message"] == ("step optimise:primary: five.csv: the optimiser needs a .gpkg "
                              "workspace")
    assert res["columns"]["verdict"] == "fail"  # the evaluation before it is kept


def test_projection_columns_give_pupils_and_seats_short_by_year():
    county = pd.DataFrame({"year": [2027, 2027, 2030, 2030], "section": ["primary", "junior"] * 2,
                           "pupils": [1000.0, 500.0, 900.0, 520.0],
                           "pupils_low": [980.0, 490.0, 850.0, 500.0],
                           "pupils_high": [1020.0, 510.0, 950.0, 540.0]})
    schools = pd.DataFrame({"year": [2027, 2027, 2030, 2030],
                            "school_id": ["A", "B", "A", "B"], "section": ["primary"] * 4,
                            "pupils": [600, 400, 700, 200], "classes_needed": [14, 9, 16, 5],
                            "places": [630, 360, 630, 360],
                            "over_places": [False, True, True, False]})
    cols = batch.projection_columns(county, schools)
    assert cols["pupils_primary_2027"] == 1000.0 and cols["pupils_junior_2030"] == 520.0
    assert cols["pupils_primary_2030_low"] == 850.0 and cols["pupils_junior_2027_high"] == 510.0
    assert cols["seats_short_primary_2027"] == 40.0  # B: 400 pupils, 360 places
    assert cols["seats_short_primary_2030"] == 70.0  # A: 700 pupils, 630 places
    assert cols["schools_over_places_2027"] == 1 and cols["schools_over_places_2030"] == 1
    unknown = batch.projection_columns(county, schools.assign(places=float("nan")))
    assert unknown["seats_short_primary_2027"] is None  # no places known: not "none short"


def test_the_project_step_writes_the_sessions_years(province, capsys, five_schools, tmp_path):
    from planner import session as ss

    county = sorted(province.glob("*.gpkg"))[0]
    res = batch.run_county(str(county), batch.make_options(project_to=2030, reports=False))
    assert res["status"] == "ok", res["message"]
    years = ss.project(ss.open_session(county), to_year=2030)
    c = res["columns"]
    s = years.schools
    for (sec, year), part in s.groupby(["section", "year"]):
        assert c[f"pupils_{sec}_{year}"] == part["pupils"].sum()
        assert c[f"pupils_{sec}_{year}_high"] == part["pupils_high"].sum()
        assert c[f"seats_short_{sec}_{year}"] == (part["pupils"] - part["places"]).clip(
            lower=0).sum()
    y30 = s[s["year"] == 2030]
    assert c["schools_over_places_2030"] == int((y30["pupils"] > y30["places"]).sum())
    assert sorted(k for k in c if k.startswith("pupils_primary_") and k[-4:].isdigit()) == [
        f"pupils_primary_{y}" for y in range(2026, 2031)]
    out = tmp_path / "out"
    assert main(["batch", str(five_schools), "--out", str(out), "--to", "2030"]) == 2
    assert "--to: only with --project" in capsys.readouterr().err and not out.exists()


def test_the_output_folder_may_sit_among_the_inputs(tmp_path, five_schools):
    shutil.copy(five_schools, tmp_path / "five.csv")
    listing = tmp_path / "all.txt"
    listing.write_text("five.csv\ncounties.gpkg\n", encoding="utf-8")
    options = batch.make_options(reports=False)
    first = batch.run_batch([listing], tmp_path, options, serial=True)
    assert (tmp_path / "counties.gpkg").is_file() and first.ran == ["five"]
    again = batch.run_batch([listing], tmp_path, options, serial=True)
    assert [c.key for c in again.counties] == ["five"] and again.skipped == ["five"]


def test_a_projection_adds_pupils_by_year_to_the_table_and_the_page(tmp_path, province):
    from planner import session as ss

    county = sorted(province.glob("*.gpkg"))[0]
    options = batch.make_options(project_to=2028, reports=False)
    assert options.steps() == ("evaluate", "project")
    run = batch.run_batch([county], tmp_path / "out", options, serial=True)
    assert run.failed == {}
    row = run.table.iloc[0]
    s = ss.project(ss.open_session(county), to_year=2028).schools
    s28 = s[(s["year"] == 2028) & (s["section"] == "primary")]
    assert row["pupils_primary_2028"] == s28["pupils"].sum() > 0
    page = (tmp_path / "out" / "province.html").read_text(encoding="utf-8")
    assert 'id="pupils-by-year"' in page
    written = pd.read_csv(tmp_path / "out" / "counties" / county.stem / "projection_schools.csv")
    assert len(written) == len(s) and written["pupils"].sum() == s["pupils"].sum()


def test_inputs_from_folders_and_lists_with_located_errors(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "sub" / "b.gpkg"
    b.parent.mkdir()
    a.write_bytes(b"x")
    b.write_bytes(b"y")
    (tmp_path / ".hidden.gpkg").write_bytes(b"z")
    listed = tmp_path / "list.txt"
    listed.write_text("# the province\nsub/b.gpkg\n\na.gpkg\nmissing.gpkg\n", encoding="utf-8")
    assert batch.find_inputs([tmp_path]) == [a.resolve()]
    assert batch.find_inputs([listed, a]) == [b.resolve(), a.resolve(),
                                              (tmp_path / "missing.gpkg").resolve()]
    from planner.errors import InputError

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="the folder holds no .gpkg workspace"):
        batch.find_inputs([empty])
    with pytest.raises(InputError, match=r"nope\.gpkg: file not found"):
        batch.find_inputs([tmp_path / "nope.gpkg"])


def test_the_fingerprint_follows_content_and_options(tmp_path):
    p = tmp_path / "c.gpkg"
    p.write_bytes(b"county one")
    plain = batch.make_options(reports=False)
    f = batch.fingerprint(p, plain)
    assert f == batch.fingerprint(p, batch.make_options(reports=False))
    assert f != batch.fingerprint(p, batch.make_options(reports=True))
    assert f != batch.fingerprint(p, batch.make_options(reports=False, profile="henan"))
    assert f != batch.fingerprint(p, batch.make_options(reports=False, roadmap=True))
    os.utime(p, (1, 1))  # touching the file changes nothing
    assert batch.fingerprint(p, plain) == f
    p.write_bytes(b"county two")
    assert batch.fingerprint(p, plain) != f


# --- a small province, serial and on a real cluster ------------------------------------------

@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("province")
    assert main(["demo-province", str(out), "--counties", "6", "--seed", "3"]) == 0
    return out


@pytest.fixture(scope="module")
def serial(province, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("serial")
    run = batch.run_batch([province], out, batch.make_options(reports=False), serial=True)
    assert run.failed == {} and len(run.ran) == 6
    return pd.read_parquet(out / "counties.parquet")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as f:  # each in its own session, so a test can kill its whole group
        return subprocess.Popen([str(DASK), *args], stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    from distributed import Client

    assert DASK.exists(), f"no dask command beside {sys.executable}"
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", port,
                     "--dashboard-address", "127.0.0.1:0"], logs / "scheduler.log")]
    try:
        for k in (1, 2):
            procs.append(_start(["worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
                                 "--name", f"w{k}"], logs / f"worker{k}.log"))
        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=180)
        yield address, procs[1:]
    finally:
        for p in reversed(procs):
            _stop(p)


def _batch(province: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planner.cli", "batch", str(province),
                             "--out", str(out), "--no-reports", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _done(out: Path) -> int:
    return len(list((out / "counties").glob("*/result.json")))


def _wait_for(out: Path, n: int, proc: subprocess.Popen, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while _done(out) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"fewer than {n} counties done in {timeout_s} s"
        time.sleep(0.2)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b)


def test_the_province_differs_county_by_county(serial):
    assert len(serial) == 6 and (serial["status"] == "ok").all()
    assert serial["county"].str.endswith("县（合成数据）").all()
    assert serial["schools"].nunique() >= 4 and serial["students_primary"].nunique() == 6
    assert serial["cv_primary_backbone_teachers_per100"].nunique() == 6
    assert sorted(serial["rank"]) == [1, 2, 3, 4, 5, 6]


def test_on_a_dask_cluster_the_results_equal_a_serial_run(province, serial, cluster,
                                                          tmp_path):
    address, _ = cluster
    out = tmp_path / "out"
    proc = _batch(province, out, "--scheduler", address)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    assert "6 county(ies) to run" in stderr and "6/6" in stderr
    _same(pd.read_parquet(out / "counties.parquet"), serial)
    log = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert log["cluster"] == address
    assert len({c["worker"] for c in log["counties"]}) == 2  # both workers took counties
    assert all(c["worker"].startswith("tcp://127.0.0.1:") for c in log["counties"])

    again = _batch(province, out, "--scheduler", address)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "0 county(ies) to run, 6 unchanged since their stored result (skipped)" in stderr
    assert "skipped 6 county(ies)" in stdout and "6 skipped" in stdout
    _same(pd.read_parquet(out / "counties.parquet"), serial)


def test_a_killed_batch_resumes_where_it_stopped(province, serial, cluster, tmp_path):
    address, _ = cluster
    out = tmp_path / "out"
    proc = _batch(province, out, "--scheduler", address)
    _wait_for(out, 2, proc)
    proc.kill()  # the machine running the batch goes down
    proc.communicate(timeout=60)
    done = _done(out)
    assert 2 <= done <= 6
    again = _batch(province, out, "--scheduler", address)
    stdout, stderr = again.communicate(timeout=900)
    assert again.returncode == 0, stderr
    skipped = _done_before(stderr)
    assert skipped >= 2
    assert f"{6 - skipped} county(ies) to run, {skipped} unchanged" in stderr
    _same(pd.read_parquet(out / "counties.parquet"), serial)


def _done_before(stderr: str) -> int:
    line = next(x for x in stderr.splitlines() if "unchanged since" in x)
    return int(line.split(", ")[1].split()[0])


def test_a_worker_killed_mid_batch_is_replaced_by_the_other(province, serial, cluster,
                                                             tmp_path):
    from distributed import Client

    address, workers = cluster
    out = tmp_path / "out"
    proc = _batch(province, out, "--scheduler", address)
    _wait_for(out, 1, proc)
    with Client(address, timeout="60s", set_as_default=False) as client:
        w2 = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "w2")
        deadline = time.monotonic() + 300
        while not (running := client.processing().get(w2)):  # until w2 runs a county
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        os.killpg(workers[1].pid, signal.SIGKILL)  # the worker and its nanny, at once
    running = [k.split("-")[1] for k in running]
    workers[1].wait(timeout=30)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    assert "6 run now, 0 skipped, 0 failed" in stdout
    _same(pd.read_parquet(out / "counties.parquet"), serial)
    log = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    redone = [c for c in log["counties"] if c["key"] in running]
    assert redone and all(c["worker"] != w2 for c in redone)  # Dask ran it again on w1


# --- optimise and roadmap on a copy ----------------------------------------------------------

def test_optimise_and_roadmap_run_on_a_copy_and_leave_the_input_alone(province, tmp_path):
    county = sorted(province.glob("*.gpkg"))[0]
    before = county.read_bytes()
    options = batch.make_options(optimise=["junior"], time_limit_s=20, roadmap=True,
                                 reports=False)
    run = batch.run_batch([county], tmp_path / "out", options, serial=True)
    assert run.failed == {}
    row = run.table.iloc[0]
    assert row["optimise_junior_status"] in ("optimal", "feasible", "infeasible")
    assert row["seats_short_junior"] >= 0
    if row["optimise_junior_status"] != "infeasible":
        assert row["roadmap_scenario"] == "batch-junior"
    assert row["roadmap_cost_yuan"] > 0 and row["roadmap_actions"] > 0
    folder = tmp_path / "out" / "counties" / county.stem
    assert (folder / "roadmap.xlsx").is_file()
    assert county.read_bytes() == before  # scenarios were saved in a private copy
