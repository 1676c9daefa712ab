"""`planner evaluate` on the demo: JSON contract, Excel workbook, HTML in a real browser."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from planner.checklist import CHECKLIST_IDS
from planner.cli import main
from planner.standards import RESOURCE_KEYS
from tests.test_app import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS


def test_evaluate_writes_json_excel_and_html(demo_gpkg, tmp_path, capsys):
    out = {k: tmp_path / f"ev.{k}" for k in ("json", "xlsx", "html")}
    code = main(["evaluate", str(demo_gpkg), "--json", str(out["json"]), "--xlsx",
                 str(out["xlsx"]), "--html", str(out["html"])])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.startswith("评估结论: 存在未达标指标 — 18 项达标，14 项未达标，0 项缺数据")

    data = json.loads(out["json"].read_text(encoding="utf-8"))
    assert [r["id"] for r in data["checklist"]] == list(CHECKLIST_IDS)
    assert {r["status"] for r in data["checklist"]} <= {"pass", "fail", "missing"}
    for sec, limit in (("primary", 0.5), ("junior", 0.45)):
        part = data["sections"][sec]
        assert set(part["cv"]) == set(RESOURCE_KEYS) and part["cv_limit"] == limit
        school = part["schools"][0]
        assert set(school) >= {"school_id", "students", "indicators", "met", "compliant"}
        assert set(school["indicators"]) == set(RESOURCE_KEYS)
    # split parts of a mixed school appear in each section with the same school_id
    prim = {s["school_id"] for s in data["sections"]["primary"]["schools"]}
    jun = {s["school_id"] for s in data["sections"]["junior"]["schools"]}
    assert "4199000010" in prim & jun  # 城东九年一贯制学校

    # G1 and G13 are computed from the layers and the roads
    rows = {r["id"]: r for r in data["checklist"]}
    assert rows["G1"]["source"] == rows["G13"]["source"] == "computed"
    assert rows["G13"]["status"] == "fail" and 0.75 < rows["G13"]["value"]["primary"] < 0.9
    assert data["layout"]["distance_method"] == "road"
    assert data["zoning"]["by_section"][0]["section"] == "primary"
    assert len(data["layout"]["unit_distances"]) == 2 * 408

    wb = openpyxl.load_workbook(out["xlsx"])
    assert wb.sheetnames == ["检查清单", "学校指标", "不参评学校", "差异系数", "短板", "规模与班额",
                             "拉大差异的学校", "就近入学", "片区外就读", "布局", "单元到校距离",
                             "说明"]
    assert [c.value for c in wb["检查清单"][1]] == ["编号", "名称", "标准", "数值", "状态", "来源",
                                                "佐证与说明"]
    assert wb["检查清单"].max_row >= 33
    heads = [c.value for c in wb["学校指标"][1]]
    assert heads[:6] == ["学校标识码", "学校名称", "办学类型", "城乡分类", "学段", "在校生数"]
    # the G4 row is red, a passing row green
    statuses = {wb["检查清单"].cell(row=r, column=1).value: wb["检查清单"].cell(row=r, column=5)
                for r in range(2, 34)}
    assert statuses["G4"].value == "未达标" and statuses["G4"].fill.fgColor.rgb == "00FFC7CE"
    assert statuses["G2"].value == "达标" and statuses["G2"].fill.fgColor.rgb == "00C6EFCE"

    page = out["html"].read_text(encoding="utf-8")
    assert "示范数据为合成数据" in page and "<svg" in page  # figures inline, text as text
    assert "http://" not in page and "https://" not in page  # self-contained
    _screenshot(out["html"], ARTIFACTS / "evaluate_report_zh.png")


def _screenshot(html: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    png.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 1130})
        page.goto(html.as_uri())
        page.get_by_text("义务教育优质均衡发展评估报告").first.wait_for()
        # the inline SVG map laid out at the page's width
        width = page.evaluate("document.querySelector('.figure svg').getBoundingClientRect()"
                              ".width")
        assert width > 500
        page.screenshot(path=str(png), full_page=False)
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
        browser.close()


def test_evaluate_in_english_and_with_a_profile(demo_gpkg, tmp_path, capsys):
    out = tmp_path / "en.xlsx"
    assert main(["evaluate", str(demo_gpkg), "--lang", "en", "--profile", "henan", "--xlsx",
                 str(out)]) == 0
    assert capsys.readouterr().out.startswith("Verdict: some indicators not met")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Checklist"
    assert [c.value for c in wb["Checklist"][1]][:3] == ["id", "name", "threshold"]


def test_evaluate_refuses_bad_requests_and_writes_nothing(demo_gpkg, tmp_path, capsys):
    assert main(["evaluate", str(demo_gpkg), "--scenario", "plan-a", "--json",
                 str(tmp_path / "a.json")]) == 2
    assert main(["evaluate", str(demo_gpkg), "--json", str(tmp_path / "a.txt")]) == 2
    err = capsys.readouterr().err
    assert ("demo.gpkg, layer scenarios, column `name`: no scenario named 'plan-a' "
            "(saved scenarios: none)") in err
    assert "a.txt: the output must be a .json file" in err
    assert list(tmp_path.iterdir()) == []
