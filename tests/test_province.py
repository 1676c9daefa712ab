"""The fictional province, and a province's results as tables, report, Chromium page and app."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from urllib.parse import unquote

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from planner.cli import main
from planner.province import (
    OUTLINE_LAYER,
    county_code,
    county_name,
    province_shapes,
    write_province,
)
from planner.report import province as pr

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
HOSTILE = "</script><img src=x onerror=\"window.hit=1\">&amp;县"


def test_names_and_codes_are_distinct_and_shapes_differ():
    assert [county_name(k) for k in (0, 1, 11, 59, 60)] == ["甲子县", "乙丑县", "乙亥县", "癸亥县",
                                                          "甲子二县"]
    assert len({county_name(k) for k in range(500)}) == 500
    assert [county_code(k) for k in (0, 98, 99, 100)] == ["4101", "4199", "4201", "4202"]
    shapes = province_shapes(24, seed=1)
    assert len({s.code for s in shapes}) == 24
    for attr in ("villages", "seat_communities", "seat_children", "seat_oversize",
                 "rural_backbone", "village_decline"):
        assert len({getattr(s, attr) for s in shapes}) >= 6, attr
    assert province_shapes(24, seed=1) == shapes
    assert province_shapes(24, seed=2) != shapes
    with pytest.raises(ValueError, match="counties must be a whole number 1–500, got 0"):
        province_shapes(0)


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prov")
    write_province(out, counties=3, seed=5)
    return out


def test_counties_lie_side_by_side_each_with_its_outline(counties):
    files = sorted(counties.glob("*.gpkg"))
    assert [f.name for f in files] == ["4101_甲子县.gpkg", "4102_乙丑县.gpkg", "4103_丙寅县.gpkg"]
    outlines = []
    for f in files:
        assert OUTLINE_LAYER in pyogrio.list_layers(f)[:, 0]
        o = pyogrio.read_dataframe(f, layer=OUTLINE_LAYER)
        assert len(o) == 1 and o["name"].iloc[0] == f"{f.stem.split('_')[1]}（合成数据）"
        assert o["code"].iloc[0] == f.stem.split("_")[0]
        units = pyogrio.read_dataframe(f, layer="units")
        crs = "EPSG:4547"
        assert o.to_crs(crs).area.iloc[0] == pytest.approx(units.to_crs(crs).area.sum(),
                                                           rel=1e-3)
        outlines.append(o.geometry.iloc[0])
    together = gpd.GeoSeries(outlines, crs="EPSG:4326").to_crs("EPSG:4547")
    for i in range(3):
        others = together.drop(together.index[i])
        assert not others.intersects(together.iloc[i]).any()
        assert others.distance(together.iloc[i]).min() < 10_000  # a neighbour close by


def test_demo_province_command_refuses_a_bad_count(tmp_path, capsys):
    assert main(["demo-province", str(tmp_path / "p"), "--counties", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner demo-province: --counties: counties must be a whole number")
    assert not (tmp_path / "p").exists()


@pytest.fixture(scope="module")
def result(counties, tmp_path_factory) -> Path:
    """A serial batch with reports over the three counties and one broken workspace."""
    folder = tmp_path_factory.mktemp("inputs")
    broken = folder / "9999_坏县.gpkg"
    broken.write_text("this is not a GeoPackage", encoding="utf-8")
    listing = folder / "province.txt"
    listing.write_text("\n".join([*map(str, sorted(counties.glob("*.gpkg"))), broken.name]),
                       encoding="utf-8")
    out = tmp_path_factory.mktemp("result")
    code = main(["batch", str(listing), "--out", str(out), "--serial"])
    assert code == 2  # one county failed; the others are there
    return out


def test_province_files_hold_every_county_and_the_failure(result):
    table = pd.read_parquet(result / "counties.parquet")
    assert list(table["status"]) == ["ok", "ok", "ok", "failed"]
    bad = table.iloc[3]
    assert bad["county"] == "9999_坏县" and bad["message"].startswith(
        "9999_坏县.gpkg: cannot be read as a GeoPackage")
    assert pd.isna(bad["rank"]) and sorted(table["rank"].dropna()) == [1, 2, 3]
    gpkg = pyogrio.read_dataframe(result / "counties.gpkg", layer="counties")
    assert list(gpkg["key"]) == list(table["key"])
    assert gpkg.geometry.iloc[:3].notna().all() and gpkg.geometry.iloc[3] is None
    assert gpkg["cv_junior_backbone_teachers_per100"].tolist()[:3] == pytest.approx(
        table["cv_junior_backbone_teachers_per100"].tolist()[:3])
    book = pd.read_excel(result / "province.xlsx", sheet_name=None)
    assert list(book) == ["排名", "检查表", "差异系数", "未达标原因", "未完成", "全部字段", "说明"]
    assert book["未完成"]["说明"].iloc[0].startswith("9999_坏县.gpkg: cannot be read")
    assert len(book["排名"]) == 4 and list(book["排名"]["排名"].iloc[:3]) == [1, 2, 3]
    assert set(book["检查表"].iloc[:3, 1:].stack()) <= {"达标", "未达标", "缺数据"}
    for key in table["key"].iloc[:3]:
        assert (result / "counties" / key / "report.html").is_file()


def test_province_report_in_chromium(result):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((result / "province.html").as_uri())
        counties = page.locator("#county-map path.county")
        assert counties.count() == 3
        assert page.locator("#ranking tbody tr").count() == 4
        failed = page.locator("#failed-counties tbody tr")
        assert failed.count() == 1
        assert "9999_坏县.gpkg: cannot be read as a GeoPackage" in failed.inner_text()
        key = counties.first.get_attribute("data-key")
        verdict_fill = counties.first.get_attribute("fill")
        assert verdict_fill == pr.VERDICT_COLOURS["fail"]
        page.select_option("#colour-by", "cv_primary_backbone_teachers_per100")
        cv_fill = counties.first.get_attribute("fill")
        assert cv_fill in {c for _, c in pr.CV_BINS}
        assert "差异系数 ÷ 限值" in page.locator("#legend").inner_text()
        counties.first.click()
        assert page.locator(f'#ranking tr.picked[data-key="{key}"]').count() == 1
        page.locator(f'#ranking tr[data-key="{key}"] a').click()
        page.wait_for_load_state()
        assert unquote(page.url).endswith(f"counties/{key}/report.html")
        assert "评估结论" in page.locator("body").inner_text()
        assert errors == []
        browser.close()


def test_names_reach_the_page_as_text_never_as_markup(result, tmp_path):
    gdf = pr.read_province(result)
    gdf.loc[0, "county"] = HOSTILE
    gdf.loc[3, "message"] = HOSTILE
    page = pr.render_html(gdf, lang="en")
    assert "<img src=x" not in page and "</script><img" not in page
    path = tmp_path / "p.html"
    path.write_text(page, encoding="utf-8")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page()
        tab.goto(path.as_uri())
        assert tab.evaluate("window.hit") is None
        assert tab.locator("#county-map path.county title").first.text_content() == HOSTILE
        assert HOSTILE in tab.locator("#failed-counties").inner_text()
        tab.select_option("#colour-by", "fail")  # the data element still parses
        assert tab.locator("#legend span.swatch").count() >= 1
        browser.close()


def test_the_app_opens_a_province_folder_read_only(result, monkeypatch):
    monkeypatch.setenv("PLANNER_PROVINCE", str(result))
    before = {p: p.stat().st_mtime_ns for p in result.rglob("*") if p.is_file()}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    at.switch_page("app_pages/province.py").run()
    assert not at.exception
    assert at.header[0].value == "省级汇总"
    assert at.caption[0].value == "4 个县：3 个完成评估，1 个未完成"
    ranking, failed = at.dataframe[0].value, at.dataframe[1].value
    assert list(ranking["排名"].iloc[:3]) == [1, 2, 3] and len(ranking) == 4
    assert failed["说明"].iloc[0].startswith("9999_坏县.gpkg: cannot be read")
    table = pd.read_parquet(result / "counties.parquet").sort_values("rank")
    assert at.selectbox(key="province_county").value == table["key"].iloc[0]
    second = table["key"].iloc[1]
    at.selectbox(key="province_county").set_value(second).run()
    frames = [e for e in at.main if type(e).__name__ == "UnknownElement"
              and str(getattr(e.proto, "src", "")).startswith("data:text/html;base64,")]
    assert len(frames) == 1
    shown = base64.b64decode(frames[0].proto.src.split(",", 1)[1]).decode("utf-8")
    assert table["county"].iloc[1] in shown and "评估结论" in shown
    at.selectbox(key="province_colour").set_value("cv_junior_backbone_teachers_per100").run()
    assert not at.exception
    at.selectbox(key="province_county").set_value("9999_坏县").run()
    assert at.info[-1].value.startswith("该县没有县级报告")
    after = {p: p.stat().st_mtime_ns for p in result.rglob("*") if p.is_file()}
    assert after == before  # read-only


def test_colours_bin_cvs_against_their_limit_and_spread_counts():
    import shapely

    table = pd.DataFrame({
        "key": ["a", "b", "c", "d"], "county": ["甲", "乙", "丙", "丁"],
        "status": ["ok", "ok", "ok", "failed"], "verdict": ["pass", "fail", "incomplete", None],
        "cv_primary_backbone_teachers_per100": [0.2, 0.45, 0.55, None],
        "cv_limit_primary": [0.5, 0.5, 0.5, None], "fail": [0.0, 4.0, 8.0, None]})
    fills, legend = pr.colours(table, "verdict")
    assert fills == ["#2ca02c", "#d62728", "#f2c14e", "#9e9e9e"]
    assert [label for _, label in legend] == ["全部指标达标", "无未达标项，但有指标缺少数据",
                                              "存在未达标指标", "未完成"]
    fills, _ = pr.colours(table, "cv_primary_backbone_teachers_per100")
    # CV ÷ limit: 0.4 (≤ 0.5), 0.9 (0.8–1.0), 1.1 (1.0–1.2), none
    assert fills == ["#1a9850", "#fee08b", "#fc8d59", pr.NONE_COLOUR]
    fills, legend = pr.colours(table, "fail", "en")
    assert fills == [pr.RAMP[0], pr.RAMP[2], pr.RAMP[4], pr.NONE_COLOUR]
    assert legend[0] == (pr.RAMP[0], "0–1.6") and len(legend) == 5
    gdf = gpd.GeoDataFrame(table, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1),
                                            None, None], crs="EPSG:4326")
    assert pr.county_at(gdf, 2.5, 0.5) == "b" and pr.county_at(gdf, 1.5, 0.5) is None
