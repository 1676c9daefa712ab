"""The hindcast: the projection run from an earlier year of the history, by hand; the demo's."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from planner.backtest import backtest
from planner.cli import main
from tests.test_projection import _county, _plan


def test_a_hindcast_from_2025_by_hand():
    """From 2025 (75 first-graders, 60 in every other grade; births of 2019 10, 20, 30) to
    2026 (60 in every grade): entry ratios 15/10, 25/20, 35/30 on the births of 2020 (10, 20,
    30) give 75 entrants; no year pair before 2025, so progression 1: 2025's 75 first-graders
    are 75 second-graders, the rest move up whole; the villages send 10 % of grades 2–9 to the
    seat."""
    bt = backtest(_plan(_county(developments=False)))
    assert bt.origins == (2025,)
    c = bt.comparisons.set_index(["level", "item", "key"])
    assert set(c["horizon"]) == {1} and set(c["year"]) == {2026}
    assert c.loc[("grade", 1, ""), ["predicted", "actual"]].tolist() == pytest.approx([75, 60])
    assert c.loc[("grade", 2, ""), ["predicted", "actual"]].tolist() == pytest.approx([75, 60])
    for g in range(3, 10):
        assert c.loc[("grade", g, ""), ["predicted", "actual"]].tolist() == pytest.approx(
            [60, 60])
    assert c.loc[("section", "primary", ""), ["predicted", "actual"]].tolist() == \
        pytest.approx([390, 360])
    # schools: U1 attends SA, U2 and U3 SB in 2025. Predicted 2026 children: U1 15, 15 + 2.5 +
    # 3.5 = 21, then 10 + 2 + 3 = 15 a grade; U2 25, 22.5, 18 …; U3 35, 31.5, 27 … SA's
    # primary 15 + 21 + 4 × 15 = 96 (actual: U1's 60 and U3's 5 first-graders); SB's
    # 25 + 22.5 + 72 + 35 + 31.5 + 108 = 294 (actual 295)
    assert c.loc[("school", "primary", "SA"), ["predicted", "actual"]].tolist() == \
        pytest.approx([96, 65])
    assert c.loc[("school", "primary", "SB"), ["predicted", "actual"]].tolist() == \
        pytest.approx([294, 295])
    # townships (here area types): the seat 96 against 60, the villages 294 against 300
    assert c.loc[("township", "primary", "urban"), ["predicted", "actual"]].tolist() == \
        pytest.approx([96, 60])
    # the summary: grade 1 one year ahead 25 % over; schools weighted by size:
    # (31 + 1) / 360 = 8.89 %, the largest 31 / 65 = 47.7 %
    e = bt.error("grade", 1, 1)
    assert (e["cases"], e["mean_abs_pct"], e["largest_abs_pct"], e["mean_pct"]) == (
        1, pytest.approx(25.0), pytest.approx(25.0), pytest.approx(25.0))
    e = bt.error("school", "primary", 1)
    assert (e["cases"], e["mean_abs_pct"], e["largest_abs_pct"], e["largest_abs"]) == (
        2, pytest.approx(3200 / 360), pytest.approx(3100 / 65), pytest.approx(31))


def test_no_history_no_hindcast():
    assert backtest(_plan(_county(history=False))) is None


DEMO = Path(__file__).resolve().parent.parent / "geodata" / "demo_county.gpkg"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_bt") / "years.json"
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(["project", str(DEMO), "--to", "2035", "--backtest", "--out",
                     str(out)]) == 0
    return text.getvalue(), json.loads(out.read_text(encoding="utf-8"))


def test_demo_hindcast_is_printed_and_within_its_goals(demo_run):
    out, data = demo_run
    lines = out.splitlines()
    head = next(k for k, x in enumerate(lines) if x.startswith("back-test: the method run "
                                                                "from 2023, 2024, 2025"))
    assert lines[head + 1].split() == ["years", "ahead:", "1", "2", "3"]
    assert lines[head + 2].startswith("  grade 1 ") and any(
        x.startswith("  schools, primary") for x in lines[head:])
    bt = data["backtest"]
    assert bt["origins"] == [2023, 2024, 2025]
    one = {(r["level"], r["item"]): r for r in bt["summary"] if r["horizon"] == 1}
    # one year ahead: grade 1 within 4 %, every other grade within 1 %, mean and largest
    assert one[("grade", 1)]["largest_abs_pct"] < 4
    assert one[("grade", 1)]["mean_abs_pct"] < 4
    for g in range(2, 10):
        assert one[("grade", g)]["largest_abs_pct"] < 1, g
    assert one[("grade", 1)]["cases"] == 3


def test_demo_band_is_wider_than_zero_in_every_projected_year(demo_run):
    out, data = demo_run
    for r in data["county"]:
        if r["year"] > 2026:
            assert r["pupils_low"] < r["pupils"] < r["pupils_high"], r
            assert r["low"] < r["children"] < r["high"], r
    drivers = {r["driver"]: r for r in data["band"]}
    assert set(drivers) == {"births_change", "entry_ratio", "progression", "migration_rural"}
    e = drivers["entry_ratio"]
    assert e["low"] < e["central"] < e["high"]
    assert any(x.startswith("  note: band (low / high): births after 2025") for x in
               out.splitlines())


def test_the_years_chart_draws_the_hindcast_before_the_projection():
    import re

    import pandas as pd

    from planner.report.figures import years_svg

    bt = backtest(_plan(_county(developments=False)))
    # the counts compared with: 2025's 75 + 60 × 5 = 375 primary children, 2026's 360
    h = bt.history.set_index(["year", "section"])["children"]
    assert (h[(2025, "primary")], h[(2026, "primary")], h[(2026, "junior")]) == (375, 360, 180)
    county = pd.DataFrame({"year": [2026, 2027] * 2, "section": ["primary"] * 2 + ["junior"] * 2,
                           "pupils": [360, 350, 180, 178], "pupils_low": [360, 340, 180, 176],
                           "pupils_high": [360, 355, 180, 179]})
    svg = years_svg(county, lang="zh", backtest=bt)
    for gid in ("history-primary", "backtest-primary", "history-junior", "backtest-junior"):
        assert f'id="{gid}"' in svg
    texts = set(re.findall(r">([^<>]+)</text>", svg))
    assert {"小学（历年实际）", "小学（回测：提前一年的预测）", "2025", "2026", "2027"} <= texts
    assert "backtest" not in years_svg(county, lang="zh")


def test_the_workbook_holds_the_hindcast_and_the_band(tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "years.xlsx"
    assert main(["project", str(DEMO), "--to", "2030", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # without --backtest: grades and sections only, and the hint
    assert "  (--backtest adds townships and schools; the file holds every case)" in printed
    assert "townships, primary" not in printed
    wb = load_workbook(out, read_only=True)
    assert {"回测", "回测明细", "预测区间", "区间边缘变化", "预测参数"} <= set(wb.sheetnames)
    rows = list(wb["回测"].iter_rows(values_only=True))
    assert rows[0][:4] == ("层级", "对象", "提前年数", "比较次数")
    assert rows[1][:4] == ("年级", "1", 1, 3)  # grade 1, one year ahead, from 3 origins
    band = [r[0] for r in wb["预测区间"].iter_rows(values_only=True)]
    assert band[1:] == ["出生年增长率（出生表之后）", "入学率（一年级÷出生）",
                        "升级率（1至9年级连乘）", "乡村每年净迁出比例"]
    rates = {r[0]: r[1] for r in wb["预测参数"].iter_rows(values_only=True)}
    assert rates["入学队列中上一年出生的比例"] == 0


def test_project_without_out_prints_and_writes_nothing(tmp_path, capsys, monkeypatch):
    """`planner project WS --to 2035 --backtest` as the issue writes it: the hindcast printed,
    no file made (the workspace's folder and the working folder stay as they were)."""
    import shutil

    ws = tmp_path / "ws.gpkg"
    shutil.copy(DEMO, ws)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["project", str(ws), "--to", "2035", "--backtest"]) == 0
    printed = capsys.readouterr().out
    assert "back-test: the method run from 2023, 2024, 2025" in printed
    assert "townships, primary" in printed
    assert "wrote" not in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == before
