"""Two planners on one workspace: no edit is ever lost, the bureau's own layers survive.

`planner scenario add` in two processes at once, 20 rounds each, on the same scenario and on
scenarios of their own: every edit is either saved or refused with exit 2 and a message, and
every saved one is there at the end; the workspace validates and keeps an extra layer the
bureau keeps in it. Two app sessions on one scenario: the one that read it first is refused.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pyogrio
import pytest

from planner import session as ss
from planner.cli import main
from planner.errors import InputError
from planner.io.gpkg import write_workspace
from planner.io.load import open_workspace

ROUNDS = 20
LOOP = textwrap.dedent("""
    import json, subprocess, sys
    ws, me, folder = sys.argv[1], sys.argv[2], sys.argv[3]
    out = []
    for k in range(%d):
        name = "shared" if k %% 2 == 0 else me
        path = f"{folder}/{me}-{k}.json"
        edit = {"op": "set_school", "school_id": "S1", "values": {"name": f"{me}-{k}"}}
        open(path, "w", encoding="utf-8").write(json.dumps(edit))
        run = subprocess.run([sys.executable, "-m", "planner.cli", "scenario", "add", ws, name,
                              "--edits", path], capture_output=True, text=True)
        out.append({"k": k, "scenario": name, "code": run.returncode, "err": run.stderr})
    print(json.dumps(out))
""") % ROUNDS


@pytest.fixture()
def workspace(tmp_path, small_layers):
    from tests.conftest import DATA

    path = tmp_path / "county.gpkg"
    shutil.copy(DATA / "small_county.gpkg", path)
    # a layer of the bureau's own, which no planner write may drop
    pyogrio.write_dataframe(__import__("pandas").DataFrame({"note": ["保留"]}), path,
                            layer="bureau_notes", driver="GPKG")
    for name in ("shared", "a", "b"):
        assert main(["scenario", "new", str(path), name]) == 0
    return path


def test_two_processes_adding_edits_lose_none(workspace, tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", LOOP, str(workspace), me, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in ("a", "b")]
    results = {}
    for me, p in zip(("a", "b"), procs, strict=True):
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err
        results[me] = json.loads(out)
    saved = {s.name: [e["values"]["name"] for e in s.edits]
             for s in ss.store.read(workspace).values()}
    for me, runs in results.items():
        assert len(runs) == ROUNDS
        for r in runs:
            tag = f"{me}-{r['k']}"
            if r["code"] == 0:
                assert tag in saved[r["scenario"]], f"{tag} lost"
            else:  # refused plainly, and then it is not there
                assert r["code"] == 2 and "Traceback" not in r["err"], r["err"]
                assert "workspace is busy" in r["err"] or "changed since" in r["err"]
                assert tag not in saved[r["scenario"]]
    # each process's own scenario holds exactly its saved edits, in order
    for me in ("a", "b"):
        ok = [f"{me}-{r['k']}" for r in results[me] if r["code"] == 0 and r["scenario"] == me]
        assert saved[me] == ok
    shared = sorted(saved["shared"])
    assert shared == sorted(f"{me}-{r['k']}" for me in results for r in results[me]
                            if r["code"] == 0 and r["scenario"] == "shared")
    assert sum(r["code"] == 0 for rs in results.values() for r in rs) >= ROUNDS  # most saved
    # the workspace validates and the bureau's layer is still there
    assert main(["validate", str(workspace)]) == 0
    assert "bureau_notes" in set(pyogrio.list_layers(workspace)[:, 0])


def test_a_stale_app_session_is_refused_and_can_reload(workspace):
    one = ss.select(ss.open_session(workspace), "shared")
    two = ss.select(ss.open_session(workspace), "shared")
    move = {"op": "move_unit", "unit_id": "U3", "section": "primary", "to_school": "S2"}
    one = ss.edit(one, move)
    with pytest.raises(InputError, match="scenario 'shared' changed since you opened it "
                                         r"\(revision 1, now 2\): reload it"):
        ss.edit(two, {"op": "enforce_zoning", "school_id": None})
    two = ss.reload(two)
    assert [e["op"] for e in two.scenario.edits] == ["move_unit"]
    two = ss.edit(two, {"op": "enforce_zoning", "school_id": None})
    assert [e["op"] for e in ss.store.read(workspace)["shared"].edits] == [
        "move_unit", "enforce_zoning"]
    with pytest.raises(InputError, match="changed since you opened it"):
        ss.undo(one)  # one still holds revision 2


def test_saving_a_scenario_rewrites_nothing_else(workspace):
    con = sqlite3.connect(workspace)
    before = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for (t,) in con.execute("SELECT table_name FROM gpkg_contents")}
    schools = con.execute("SELECT * FROM schools").fetchall()
    con.close()
    s = ss.create(ss.open_session(workspace), "x")
    ss.edit(s, {"op": "enforce_zoning", "school_id": None})
    con = sqlite3.connect(workspace)
    after = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
             for (t,) in con.execute("SELECT table_name FROM gpkg_contents")}
    assert con.execute("SELECT * FROM schools").fetchall() == schools
    con.close()
    assert after == {**before, "scenarios": before["scenarios"] + 1}


def test_a_workspace_written_by_an_old_version_gains_revisions(tmp_path, small_layers):
    # a scenarios table without the revision column (schema 1) is extended in place
    from tests.conftest import DATA

    ws, _ = open_workspace(DATA / "small_county.gpkg")
    path = tmp_path / "old.gpkg"
    write_workspace(ws, path)
    con = sqlite3.connect(path)
    con.execute('DROP TABLE IF EXISTS "scenarios"')
    con.execute('CREATE TABLE "scenarios" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                '"name" TEXT, "base" TEXT, "created" TEXT, "author" TEXT, "note" TEXT, '
                '"edits" TEXT)')
    con.execute("INSERT INTO scenarios (name, base, created, author, note, edits) VALUES "
                "('old', 'baseline', '', '', '', '[]')")
    con.commit()
    con.close()
    s = ss.select(ss.open_session(path), "old")
    assert s.scenario.revision == 0
    s = ss.edit(s, {"op": "enforce_zoning", "school_id": None})
    assert ss.store.read(path)["old"].revision == 1
