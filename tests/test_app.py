"""The Streamlit app on the demo county: AppTest, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def test_app_walks_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["示范县（合成数据）"]
    assert at.info[0].value == "示范数据为合成数据，并非真实县域。"
    assert at.markdown[0].value.startswith("**评估结论: 存在未达标指标 — 18 项达标，14 项未达标")
    at.radio(key="lang").set_value("en").run()
    assert at.info[0].value == "The demo data is synthetic, not a real county."
    assert at.markdown[0].value.startswith("**Verdict: some indicators not met — 18 pass, 14 fail")
    at.radio(key="lang").set_value("zh").run()

    at.switch_page("app_pages/map.py").run()
    for key, value in (("map_overlay.zh", "R2"), ("map_units.zh", "distance")):
        at.selectbox(key=key).set_value(value).run()
        assert not at.exception
    at.checkbox(key="map_flows").check().run()
    at.checkbox(key="map_radii").check().run()
    at.radio(key="map_section.zh").set_value("junior").run()
    assert not at.exception

    at.switch_page("app_pages/schools.py").run()
    table = at.dataframe[0].value
    assert len(table) == 127 and "达标还需" in table.columns

    at.switch_page("app_pages/scenario.py").run()
    assert "请在左侧选择方案，或在上方新建方案" in at.info[0].value
    at.text_input(key="scn_new_name").input("plan-a").run()
    at.button(key="scn_create").click().run()
    assert at.session_state["bench"].name == "plan-a"
    at.selectbox(key="enforce_school.zh").set_value("all").run()
    at.button(key="do_enforce").click().run()
    assert not at.error
    changed = _changed_rows(at)
    assert changed.to_dict("list")["编号"] == ["G4", "G5", "G13"]
    assert set(changed["调整后"]) == {"达标"}
    at.selectbox(key="mv_unit").set_value("419900100040").run()
    at.selectbox(key="mv_to.zh").set_value("4199000003").run()
    at.button(key="do_move").click().run()
    assert at.caption[0].value == "本方案已有 2 项调整"
    # the edit is saved in the session's working copy of the demo, never in geodata/
    bench = at.session_state["bench"]
    assert bench.path != ROOT / "geodata" / "demo_county.gpkg"
    from planner.io.load import open_workspace

    saved, _ = open_workspace(bench.path)
    assert saved.scenarios["name"].tolist() == ["plan-a"]
    at.button(key="undo").click().run()
    at.button(key="undo").click().run()
    assert at.caption[0].value == "本方案已有 0 项调整"
    assert _changed_rows(at).empty

    at.switch_page("app_pages/export.py").run()
    at.button(key="prepare_export").click().run()
    assert not at.exception
    labels = [d.label.split(" · ")[0] for d in at.get("download_button")]
    assert labels == ["方案图层（GeoPackage）", "方案表格（Excel）", "方案报告（HTML）",
                      "划片范围公告（HTML）", "布局调整方案（Word）", "划片范围公告（Word）",
                      "小学划片范围图（PDF，A3）", "初中划片范围图（PDF，A3）",
                      "学校达标情况图（PDF，A3）"]


def _changed_rows(at):
    """The live panel's table of checklist rows whose status changed."""
    frames = [d.value for d in at.dataframe if "调整前" in d.value.columns and "编号" in
              d.value.columns]
    assert len(frames) == 1
    return frames[0]


def _figures(node, found=None) -> list[str]:
    """The documents of every figure frame on the page (components.html)."""
    found = [] if found is None else found
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _figures(child, found)
    if getattr(node, "type", "") == "iframe":
        found.append(node.proto.srcdoc)
    return found


def _figure_texts(at, svg_id: str) -> list[str]:
    """The texts of the one figure holding an element with `svg_id`."""
    import re

    docs = [d for d in _figures(at._tree) if f'id="{svg_id}"' in d]
    assert len(docs) == 1, svg_id
    return re.findall(r"<text[^>]*>([^<]*)</text>", docs[0])


def _frame_with(at, header: str):
    frames = [d.value for d in at.dataframe if header in d.value.columns]
    assert len(frames) == 1, header
    return frames[0]


def test_a_school_year_on_the_overview_schools_map_and_scenario_pages():
    """The year selector: every page shows the scenario evaluated in the year chosen, the
    county chart and table are the years table's, a school's timeline is its rows."""
    from planner import session as ss
    from planner.report import tables

    demo = ss.open_session(ROOT / "geodata" / "demo_county.gpkg")
    years = ss.project(demo, to_year=2035)
    county = years.county.set_index(["section", "year"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    assert not at.exception
    box = at.sidebar.selectbox(key="year.zh")
    assert box.options == [str(y) for y in range(2026, 2036)] and box.value == 2026
    assert at.caption[0].value == "2026 学年（现状数据）"
    # the chart writes each section's pupils of the first and last year (the last with the
    # low–high band), and they are the years table's: 33,370 primary pupils in 2026 …
    chart = _figure_texts(at, "years-primary")
    labels = {f"{county.at[(sec, 2026), 'pupils']:,}" for sec in ("primary", "junior")}
    for sec in ("primary", "junior"):
        last = county.loc[(sec, 2035), ["pupils", "pupils_low", "pupils_high"]].astype(int)
        labels.add(f"{last['pupils']:,} ({last['pupils_low']:,}–{last['pupils_high']:,})")
    assert labels == {"33,370", "17,745", "10,188 (9,904–10,467)", "17,878 (16,430–19,408)"}
    assert labels <= set(chart) and "小学在校生" in chart
    # the back-test beside it: the years counted and the method's projections a year ahead
    # on the chart, its errors in a table (one row per level, item and horizon)
    assert {"小学（历年实际）", "小学（回测：提前一年的预测）", "2023"} <= set(chart)
    errors = _frame_with(at, "平均绝对误差(%)")
    assert len(errors) == len(years.backtest.summary)
    first = errors[(errors["层级"] == "年级") & (errors["对象"] == "1") & (errors["提前年数"] == 1)]
    assert first["平均绝对误差(%)"].tolist() == [round(years.backtest.error("grade", 1, 1)[
        "mean_abs_pct"], 2)]
    shown = _frame_with(at, "适龄儿童")
    assert shown["在校生"].tolist() == years.county["pupils"].tolist()
    assert shown["在校生（低方案）"].tolist() == years.county["pupils_low"].tolist()
    crossings = _frame_with(at, "消除年份")
    assert len(crossings) == len(years.crossings)
    assert ["4199000001", "示范县实验小学", "小学", "超规模", "2026–2032", 2033] in \
        crossings.values.tolist()

    # 2032: the verdict, the counts and the checklist are that year's evaluation
    box.set_value(2032).run()
    assert not at.exception
    _, ev = ss.evaluate_scenario(demo, year=2032)
    assert at.caption[0].value.startswith("2032 学年（按出生、升级和迁移预测")
    assert at.markdown[0].value == f"**{tables.verdict_text(ev, 'zh')}**"
    summary = ev.summary()
    assert [m.value for m in at.metric] == [
        str(summary["pass"]), str(summary["fail"]), str(summary["missing"]),
        f"{summary['school_sections_failing']} / {summary['school_sections']}"]
    # two teaching points of 50 pupils today (4199000113, 4199000117) are under 50 by then,
    # so no longer evaluated: 125 school sections, not 127
    assert summary["school_sections"] == 125
    check = _frame_with(at, "来源")
    assert check["状态"].tolist() == [{"pass": "达标", "fail": "未达标", "missing": "缺数据"}[x]
                                      for x in ev.checklist["status"]]
    assert f"{county.at[('primary', 2032), 'pupils']:,}" in _figure_texts(at, "years-primary")

    # the schools page in 2032, and one school year by year
    at.switch_page("app_pages/schools.py").run()
    view = _frame_with(at, "达标还需")
    big = view[(view["学校标识码"] == "4199000001")]
    assert big["在校生数"].tolist() == [2007]  # 2,955 today, just over the cap of 2,000 in 2032
    at.selectbox(key="schools_pick.zh").set_value("4199000001").run()
    rows = years.schools[years.schools["school_id"] == "4199000001"].set_index("year")
    timeline = _figure_texts(at, "school-pupils-primary")
    assert {f"{rows.at[y, 'pupils']:,}" for y in (2026, 2032, 2035)} == {"2,955", "2,007",
                                                                         "1,901"}
    assert {"2,955", "2,007", "1,901", f"{rows.at[2035, 'places']:,}", "规模上限 2,000"} <= \
        set(timeline)
    mine = _frame_with(at, "情形")
    assert ["小学", "超规模", "2026–2032", 2033] in mine.values.tolist()

    # the map's panel: a teaching point of 24 pupils today, 10 in 2032, 7 in 2035
    at.switch_page("app_pages/map.py").run()
    at.session_state["map_selected"] = ("school", "4199000097")
    at.run()
    assert not at.exception
    timeline = _figure_texts(at, "school-pupils-primary")
    assert {"24", "10", "7", "规模上限 2,000，远高于本校"} <= set(timeline)

    # in English the year stays and the labels follow
    at.radio(key="lang").set_value("en").run()
    assert at.sidebar.selectbox(key="year.en").value == 2032
    assert {"Primary pupils", "size cap 2,000, far above"} <= set(
        _figure_texts(at, "school-pupils-primary"))
    at.radio(key="lang").set_value("zh").run()

    # a scenario's changes against today's layout, in 2030
    at.switch_page("app_pages/scenario.py").run()
    at.text_input(key="scn_new_name").input("plan-y").run()
    at.button(key="scn_create").click().run()
    at.button(key="do_enforce").click().run()
    at.sidebar.selectbox(key="year.zh").set_value(2030).run()
    assert not at.exception
    bench = at.session_state["bench"]
    fresh = ss.open_session(bench.path)
    d = ss.compare(fresh, "baseline", "plan-y", year=2030)
    shown = _changed_rows(at)
    assert shown["编号"].tolist() == d.checklist.loc[
        d.checklist["status_a"] != d.checklist["status_b"], "id"].tolist()
    _, ev = ss.evaluate_scenario(fresh, "plan-y", year=2030)
    assert f"**{tables.verdict_text(ev, 'zh')}**" in [m.value for m in at.markdown]


def test_a_bad_upload_is_refused_with_its_own_name():
    from planner import workbench as wb
    from planner.errors import InputError

    data = (ROOT / "tests" / "data" / "bad" / "many_problems.xlsx").read_bytes()
    with pytest.raises(InputError) as info:
        wb.import_upload("C:\\Users\\ke\\many_problems.xlsx", data, Path(tempfile.mkdtemp()))
    assert len(info.value.problems) == 3
    assert {p.file for p in info.value.problems} == {"many_problems.xlsx"}
    with pytest.raises(InputError, match=r"roads.shp: 请上传工作区（.gpkg）.*收到的是 .shp"):
        wb.import_upload("roads.shp", b"x", Path(tempfile.mkdtemp()))
    with pytest.raises(InputError, match=r"roads.shp: upload a .gpkg workspace.*not .shp"):
        wb.import_upload("roads.shp", b"x", Path(tempfile.mkdtemp()), lang="en")
    with pytest.raises(InputError, match=r"t.xlsx: 文件有效，但本应用还需要以下图层：units、"
                       "catchments、enrolment"):
        wb.import_upload("t.xlsx", _schools_only_workbook(), Path(tempfile.mkdtemp()))


def test_a_gbk_csv_schools_table_is_read_not_refused_by_type():
    """The browser's MIME type plays no part: a GBK CSV is checked like `planner validate`."""
    import pandas as pd

    from planner import workbench as wb
    from planner.errors import InputError

    frame = pd.read_excel(ROOT / "tests" / "data" / "small_county.xlsx", sheet_name="学校")
    data = frame.to_csv(index=False).encode("gbk")
    with pytest.raises(InputError) as info:
        wb.import_upload("学校.csv", data, Path(tempfile.mkdtemp()), lang="en")
    assert str(info.value) == ("学校.csv: the file is valid, but the app needs the units, "
                               "catchments, enrolment layer(s); `planner evaluate` works on a "
                               "schools table alone")
    bad = frame.assign(办学类型="大学").to_csv(index=False).encode("gbk")
    with pytest.raises(InputError) as info:
        wb.import_upload("学校.csv", bad, Path(tempfile.mkdtemp()))
    assert len(info.value.problems) == len(frame)
    assert all(p.file == "学校.csv" and p.column == "办学类型" for p in info.value.problems)


def test_upload_problems_show_in_the_main_area_with_chinese_headers():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    data = (ROOT / "tests" / "data" / "bad" / "many_problems.xlsx").read_bytes()
    at.sidebar.get("file_uploader")[0].upload("many_problems.xlsx", data,
                                             "application/octet-stream").run()
    assert not at.exception
    assert at.main.error[0].value == "上传的文件 many\\_problems.xlsx 有问题，未打开："
    table = at.main.dataframe[0].value
    assert list(table.columns) == ["文件", "工作表或图层", "行", "列", "问题"]
    assert set(table["文件"]) == {"many_problems.xlsx"} and len(table) == 3
    at.radio(key="lang").set_value("en").run()
    assert list(at.main.dataframe[0].value.columns) == ["file", "sheet or layer", "row",
                                                         "column", "problem"]


def _schools_only_workbook() -> bytes:
    import io

    import pandas as pd

    frame = pd.read_excel(ROOT / "tests" / "data" / "small_county.xlsx", sheet_name="学校")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name="学校", index=False)
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_app():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_WORKSPACE"}
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not answer on its port within 60 s:\n" + proc.stdout.read())
    SERVER["pid"] = proc.pid
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    proc.stdout.close()


SERVER: dict[str, int] = {}  # the served app's process id


def _descendants_running(ancestor: int, marker: str) -> list[int]:
    """Processes below `ancestor` whose command line holds `marker` (from /proc)."""
    parent, cmd = {}, {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                cmd[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue

    def below(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 1)
            if pid == ancestor:
                return True
        return False

    return [pid for pid, c in cmd.items() if marker in c and below(pid)]


# the map's frame (not one Streamlit is about to replace)
MAP = ("[data-testid=stElementContainer][data-stale=false] "
       "iframe[title='streamlit_folium.st_folium'] >> visible=true")
# a text that shows once each page is drawn, in Chinese and English
PAGE_TEXT = {"overview": ("评估结论", "Verdict"), "map": (None, None),
             "schools": ("个学校学段", "school sections shown"),
             "scenario": ("新建方案", "New scenario"), "optimize": ("划片优化",
                                                                 "Catchment optimisation"),
             "plan": ("目标年（督导评估年份）", "Target year (the inspection year)"),
             "export": ("生成方案文件", "Prepare the files"),
             "province": ("省级结果文件夹", "Province result folder")}
PAGE_LINK = {"overview": ("概览", "Overview"), "map": ("地图", "Map"),
             "schools": ("学校", "Schools"), "scenario": ("方案", "Scenario"),
             "optimize": ("优化与路线图", "Optimise and roadmap"), "plan": ("创建规划", "Plan"),
             "export": ("导出", "Export"), "province": ("省级汇总", "Province")}
# `bash scripts/screenshots` sets this: the Chinese pictures of every page are the manual's
SCREENSHOTS = os.environ.get("PLANNER_SCREENSHOTS")


def _map_drawn(page) -> None:
    frame = page.frame_locator(MAP)
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(state="attached",
                                                                 timeout=120_000)
    frame.locator(".map-legend").wait_for(timeout=120_000)


def _pick(page, label: str, option: str) -> None:
    """Choose an option of a Streamlit selectbox by its label."""
    page.get_by_label(label).first.click()
    page.keyboard.type(option)  # the list is virtualised: an option far down is not drawn
    page.get_by_role("option", name=option, exact=True).click()


def test_app_in_chromium_every_page_both_languages(served_app):
    """The map fills the window, has a legend for what it shows and names schools at the
    seat's zoom; the CV chart draws its limits; every page in both languages is pictured."""
    from playwright.sync_api import sync_playwright

    from planner.io.load import open_workspace
    from planner.report.maps import base_layers

    ws, _ = open_workspace(ROOT / "geodata" / "demo_county.gpkg")
    seat = base_layers(ws).seat
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(served_app)
        page.get_by_text("示范数据为合成数据").first.wait_for(timeout=180_000)
        chart = page.frame_locator("iframe[title='st.iframe']").first
        for sec in ("primary", "junior"):  # the dashed limit line of each section
            chart.locator(f"#cv-limit-{sec}").wait_for(state="attached", timeout=60_000)
        assert chart.locator("text=限值 0.50").count() == 1
        for k, lang in enumerate(("zh", "en")):
            if lang == "en":
                page.get_by_text("English").first.click()
                page.get_by_role("link", name="Overview", exact=True).wait_for(timeout=60_000)
            for name in PAGE_LINK:
                page.get_by_role("link", name=PAGE_LINK[name][k], exact=True).click()
                if name == "map":
                    _map_drawn(page)
                    page.wait_for_timeout(800)
                else:
                    page.get_by_text(PAGE_TEXT[name][k]).first.wait_for(timeout=120_000)
                    page.wait_for_timeout(600)
                page.screenshot(path=str(ARTIFACTS / f"app_{name}_{lang}.png"))
                if SCREENSHOTS and lang == "zh":
                    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
        # the map, in English: height, legend, school names at the seat's zoom
        page.get_by_role("link", name="Map", exact=True).click()
        _map_drawn(page)
        height = page.locator(MAP).bounding_box()["height"]
        assert height >= 0.8 * 1000
        frame = page.frame_locator(MAP)
        title = frame.locator("[data-legend=schools] .legend-title").inner_text()
        assert title == "Schools · pass / fail"
        assert frame.locator(".school-label").count() == 0  # the county: townships only
        assert frame.locator(".township-label").count() >= 10
        frame.locator(".leaflet-container").evaluate(
            f"() => {{ window.map.setView([{seat[0]}, {seat[1]}], 14); }}")
        frame.locator(".school-label").nth(7).wait_for(timeout=30_000)
        labels = frame.locator(".school-label").all_inner_texts()
        assert "示范县实验小学" in labels and len(labels) == len(set(labels))
        page.screenshot(path=str(ARTIFACTS / "app_map_seat_en.png"))
        # another overlay and a shading: their legends follow
        _pick(page, "Colour schools by", "R2 backbone teachers /100")
        frame.locator("[data-legend=schools] .legend-title").filter(
            has_text="R2 backbone teachers /100").wait_for(timeout=60_000)
        _pick(page, "Shade units by", "distance to the zoned school")
        frame.locator("[data-legend=units]").wait_for(timeout=60_000)
        assert "km" in frame.locator("[data-legend=units]").inner_text()

        # a scenario, an edit, and the map of it
        page.get_by_role("link", name="Scenario", exact=True).click()
        page.get_by_label("Name").first.fill("plan-b")
        page.get_by_label("Name").first.press("Enter")
        page.get_by_role("button", name="Create").first.click()
        page.get_by_text("0 edit(s) in this scenario").wait_for(timeout=60_000)
        page.get_by_role("button", name="Apply").first.click()  # move the first unit
        page.get_by_text("1 edit(s) in this scenario").wait_for(timeout=60_000)
        page.get_by_text("Against the baseline").wait_for()
        page.get_by_role("link", name="Map", exact=True).click()
        _map_drawn(page)
        browser.close()


def test_every_overlay_has_its_legend_in_the_dom(tmp_path):
    """Each overlay, shading and layer of the map, drawn in Chromium: its legend is there."""
    from playwright.sync_api import sync_playwright

    from planner import workbench as wb
    from planner.i18n import t
    from planner.report.maps import OVERLAYS, base_layers, county_map, legend, overlay_title

    b = wb.start(ROOT / "geodata" / "demo_county.gpkg")
    layers = base_layers(b.base.ws)
    assets = ROOT / "planner" / "report" / "assets"
    cases = [(o, "none", False, False) for o in OVERLAYS] + [
        ("status", "children", True, True), ("status", "distance", False, False)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for overlay, shading, flows, radii in cases:
            m = county_map(b.base.ws, b.current, overlay=overlay, units=shading, flows=flows,
                           radii=radii, zoning=b.base.plan.zoning, layers=layers, lang="zh")
            m.default_js = [("jquery", (assets / "jquery" / "jquery.min.js").as_uri()),
                            ("leaflet", (assets / "leaflet" / "leaflet.js").as_uri())]
            m.default_css = [("leaflet_css", (assets / "leaflet" / "leaflet.css").as_uri())]
            html = tmp_path / f"{overlay}-{shading}.html"
            html.write_text(m.get_root().render(), encoding="utf-8")
            page.goto(html.as_uri())
            page.locator(".map-legend").wait_for(timeout=30_000)
            kinds = page.locator("[data-legend]").evaluate_all(
                "els => els.map(e => e.dataset.legend)")
            expected = ["schools", "catchments", "townships", "roads"]
            expected += ["units"] if shading != "none" else []
            expected += ["flows"] if flows else []
            expected += ["radii"] if radii else []
            assert kinds == expected, (overlay, shading)
            block = page.locator("[data-legend=schools]")
            assert block.locator(".legend-title").inner_text() == \
                f"{t('schools')} · {overlay_title(overlay, 'zh')}"
            assert block.locator(".legend-label").all_inner_texts() == \
                [label for _, label in legend(overlay, "zh")] + [t("legend_size")]
            if flows:
                assert "未画出" in page.locator("[data-legend=flows]").inner_text()
        browser.close()


def test_optimise_and_roadmap_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    at.switch_page("app_pages/optimize.py").run()
    assert not at.exception
    at.radio(key="opt_section.zh").set_value("junior").run()
    at.number_input(key="opt_time").set_value(30).run()
    at.text_input(key="opt_name").input("junior-opt").run()
    at.button(key="run_optimise").click().run()
    assert not at.exception and not at.error
    bench = at.session_state["bench"]
    assert bench.name == "junior-opt"
    assert at.sidebar.selectbox(key="scenario_pick.zh").value == "junior-opt"
    assert at.success[0].value == "已另存为方案 junior-opt"
    lines = [x.value for x in at.text]
    assert lines[0].startswith("初中：") and "已证明下界" in lines[1]
    # a request that cannot be met says where and proposes sites, in the page
    at.number_input(key="opt_far").set_value(6000).run()
    at.text_input(key="opt_name").input("too-near").run()
    at.button(key="run_optimise").click().run()
    assert at.error[0].value == "无法满足约束："
    assert "new junior school site(s)" in at.code[0].value
    at.button(key="open_sites").click().run()  # a scenario with the proposed schools opened
    bench = at.session_state["bench"]
    assert bench.name == "junior-opt-sites"
    assert bench.plan.ws.schools["school_id"].str.startswith("NEW-junior-").sum() >= 1
    at.sidebar.selectbox(key="scenario_pick.zh").set_value("junior-opt").run()
    # the roadmap of the optimised scenario, saved as a scenario on it
    at.number_input(key="road_budget").set_value(30_000_000).run()
    at.button(key="run_roadmap").click().run()
    assert not at.exception
    assert len(at.get("download_button")) == 1
    at.text_input(key="road_name").input("junior-opt-road").run()
    at.button(key="save_roadmap").click().run()
    bench = at.session_state["bench"]
    assert bench.name == "junior-opt-road"
    assert bench.current.indicators["compliant"].all()
    assert at.success[0].value == "已另存为方案 junior-opt-road"


def test_the_frontier_chart_and_table_on_a_small_county(tmp_path, monkeypatch):
    """The optimise page's trade-off: plans from least travel to least CV, in Chinese."""
    from planner.cli import main

    assert main(["demo-province", str(tmp_path), "--counties", "1", "--seed", "3"]) == 0
    monkeypatch.setenv("PLANNER_WORKSPACE", str(next(tmp_path.glob("*.gpkg"))))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    at.switch_page("app_pages/optimize.py").run()
    at.number_input(key="opt_time").set_value(10).run()
    at.button(key="run_frontier").click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table.columns) == ["方案", "差异系数上限", "上学路程（人·公里）", "转学学生",
                                   "最大差异系数", "达标学校学段"]
    assert table.iloc[0]["差异系数上限"] == "路程最短" and len(table) >= 2
    cvs = table["最大差异系数"].tolist()
    assert cvs == sorted(cvs, reverse=True) and cvs[-1] < cvs[0]
    assert not at.session_state["bench"].scenarios  # nothing saved


def test_a_solve_shows_its_progress_and_a_killed_one_leaves_the_app_answering(served_app):
    """Issue 28: the optimise page's progress bar moves during a solve (time used of the
    limit, the best plan's travel, pupils changing school and gap); the solve runs in its
    own process, and killing that process ends the solve with a plain message while the app
    goes on answering."""
    import re
    import signal

    from playwright.sync_api import sync_playwright

    from planner.i18n import t

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(served_app)
        page.get_by_text("示范数据为合成数据").first.wait_for(timeout=180_000)
        page.get_by_role("link", name="优化与路线图", exact=True).click()
        page.get_by_text("划片优化").first.wait_for(timeout=120_000)
        limit = page.get_by_label(t("time_limit"))
        limit.fill("300")
        limit.press("Enter")
        page.wait_for_timeout(1500)
        # the least-CV search: a solve that runs long (least disruption ends in seconds)
        page.get_by_label(t("objective")).click()
        page.get_by_role("option", name=t("objective_cv")).click()
        page.wait_for_timeout(1500)
        page.get_by_role("button", name=t("run_optimise")).click()
        bar = page.locator("[data-testid=stProgress] [role=progressbar]")
        bar.wait_for(timeout=120_000)
        words = page.locator("[data-testid=stProgress]")
        plan = re.compile(r"学生路程 [\d,]+ 人·公里，转学 [\d,]+ 人，与下界相差")
        words.get_by_text(plan).wait_for(timeout=120_000)
        used = re.compile(r"已用 (\d+) / 300 秒")
        first = (int(used.search(words.inner_text()).group(1)),
                 float(bar.get_attribute("aria-valuenow")))
        page.wait_for_timeout(6000)
        later = (int(used.search(words.inner_text()).group(1)),
                 float(bar.get_attribute("aria-valuenow")))
        # the bar moves: time used of the 300 s (aria-valuenow in whole percent)
        assert later[0] >= first[0] + 4 and later[1] >= first[1] + 1, (first, later)
        solvers = _descendants_running(SERVER["pid"], "spawn_main")
        assert len(solvers) == 1, solvers
        os.kill(solvers[0], signal.SIGKILL)
        page.get_by_text("求解进程意外终止（退出码 -9），未保存任何方案").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "app_solve_killed_zh.png"))
        # the app answers: another page, then the optimise page again, no solve running
        page.get_by_role("link", name="概览", exact=True).click()
        page.get_by_text("评估结论").first.wait_for(timeout=120_000)
        page.get_by_role("link", name="优化与路线图", exact=True).click()
        page.get_by_role("button", name=t("run_optimise")).wait_for(timeout=120_000)
        assert page.locator("[data-testid=stProgress]").count() == 0
        browser.close()


def test_the_plan_page_makes_shows_and_saves_the_plan_of_record():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("app_pages/plan.py").run()
    assert not at.exception
    at.number_input(key="plan_target").set_value(2031).run()
    at.button(key="run_plan").click().run()
    assert at.error[0].value == "目标年无法达标（未保存）："
    assert "G13 小学：2031 年就近划片入学 96.6%" in at.code[0].value
    assert "最早 2032 年可达标" in at.code[0].value
    assert "save_plan" not in [x.key for x in at.button]  # a blocked plan cannot be saved
    at.number_input(key="plan_target").set_value(2032).run()
    at.button(key="run_plan").click().run()
    assert not at.exception and not at.error
    lines = [x.value for x in at.text]
    assert lines[0].startswith("规划：2027—2035 年")
    assert lines[2].strip() == "可计算指标全部达标的年份：2032、2033、2034、2035"
    at.slider(key="plan_year").set_value(2033).run()
    rows = at.dataframe[0].value
    assert list(rows.columns) == ["编号", "2033"]
    assert set(rows.set_index("编号").loc[["R1", "R2", "G3", "G4", "G11", "G12", "G13"],
                                        "2033"]) == {"达标"}
    at.text_input(key="plan_name").input("规划2032").run()
    at.button(key="save_plan").click().run()
    assert at.session_state["bench"].name == "规划2032"
    assert at.success[0].value == "已另存为方案 规划2032"


def test_the_profile_chooser_changes_every_page(tmp_path, monkeypatch):
    """`planner app --profile` sets the first choice; the sidebar's chooser re-evaluates."""
    strict = tmp_path / "strict.toml"  # a province asking 6 PE and art teachers per 100, not 0.9
    strict.write_text('base = "henan"\n[primary]\npe_art_teachers_per100 = 6.0\n'
                      '[junior]\npe_art_teachers_per100 = 6.0\n', encoding="utf-8")
    monkeypatch.setenv("PLANNER_PROFILE", str(strict))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    assert not at.exception and not at.error
    assert at.session_state["bench"].standards.name == "strict"
    assert "当前评估标准：strict" in [c.value for c in at.sidebar.caption]
    pick = at.sidebar.selectbox(key="profile_pick.zh")
    assert pick.options == ["工作区设定：国家标准（2017）", "国家标准（2017）", "河南省标准",
                            "strict.toml"]

    def pages(shown: str):
        seen = {}
        for page in ("overview", "schools", "map", "scenario", "optimize", "plan", "export"):
            at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception and not at.error, page
            assert f"当前评估标准：{shown}" in [c.value for c in at.sidebar.caption], page
            seen[page] = [m.value for m in at.markdown] + [str(d.value.to_dict()) for d in
                                                            at.dataframe]
        return seen

    before = pages("strict")
    verdict = "**评估结论: 存在未达标指标 — 18 项达标，14 项未达标，0 项缺数据；"
    assert before["overview"][0].startswith(f"{verdict}127 / 127 个学校学段资源配置未达标")
    at.sidebar.selectbox(key="profile_pick.zh").set_value("henan").run()
    assert at.session_state["bench"].standards.name == "henan"
    assert "当前评估标准：河南省标准" in [c.value for c in at.sidebar.caption]
    after = pages("河南省标准")
    assert after["overview"][0].startswith(f"{verdict}117 / 127 个学校学段资源配置未达标")
    assert after["schools"] != before["schools"]  # each school's shortfalls re-counted
