"""The documents a bureau files: the notice, the proposal and the plan's timetable in Word, the
print maps as PDF — read back with python-docx, rendered with LibreOffice and pdftoppm."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from matplotlib.image import imread

from planner import session as ss
from planner.cli import main
from planner.report.notice import notice_content
from planner.schema import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "geodata" / "demo_county.gpkg"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The demo's optimised scenario (the default request, primary) exported."""
    folder = tmp_path_factory.mktemp("docs")
    ws = folder / "demo.gpkg"
    shutil.copy(DEMO, ws)
    assert main(["optimize", str(ws), "--section", "primary", "--name", "opt",
                 "--time-limit", "20"]) == 0
    assert main(["export", str(ws), "--scenario", "opt", "--out", str(folder)]) == 0
    session = ss.open_session(ws)
    year = ss.phased_in_year(session, "opt")  # what export reads: the plan phased in
    return folder / "opt", session, ss.proposal(session, "opt", year=year)


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for tab in doc.tables:
        parts += [c.text for row in tab.rows for c in row.cells]
    return "\n".join(parts)


def _table_with(doc, header: str):
    return [tab for tab in doc.tables if any(c.text == header for c in tab.rows[0].cells)]


def test_export_writes_the_word_documents_and_maps(exported):
    out, _, _ = exported
    names = sorted(p.name for p in out.iterdir())
    assert names == ["opt.docx", "opt.gpkg", "opt.html", "opt.xlsx", "opt_map_junior.pdf",
                     "opt_map_primary.pdf", "opt_map_status.pdf", "opt_notice.docx",
                     "opt_notice.html"]


def test_the_notice_names_year_grade_schools_and_every_unit_once(exported):
    out, session, p = exported
    zoning = ss.plan_at_year(session, "opt", 2027).zoning  # the layout the notice admits to
    doc = Document(out / "opt_notice.docx")
    text = _text(doc)
    assert doc.paragraphs[0].text == "示范县2027年义务教育学校招生划片范围公告"
    assert doc.paragraphs[0].style.name == "Title"
    assert "2027年秋季一年级、七年级新生" in text
    assert [p_.text for p_ in doc.paragraphs if p_.style.name == "Heading 1"][:2] == ["小学",
                                                                                       "初中"]
    schools = p.ws.schools.set_index("school_id")
    n = notice_content(p.ws, zoning, year=2027)
    tabs = _table_with(doc, "划片范围")
    assert len(tabs) == 2  # one per section
    for sec, tab in zip(SECTIONS, tabs, strict=True):
        rows = [[c.text for c in r.cells] for r in tab.rows[1:]]
        zoned = zoning[sec].dropna()
        public = sorted(s for s in set(zoned) if schools.at[s, "public"])
        assert [r[1] for r in rows] == [schools.at[s, "name"] for s in public]
        assert [r[2] for r in rows] == [schools.at[s, "address"] for s in public]
        assert [r[3] for r in rows] == [schools.at[s, "phone"] for s in public]
        # every unit exactly once in its section: public catchments, and any still zoned to a
        # private school listed apart for the bureau to move
        listed = [u for e in n.public[sec] for u in e.unit_ids]
        listed += [u for e in n.private for u in e.unit_ids if zoned.get(u) == e.school_id]
        assert sorted(listed) == sorted(zoned.index)
        assert len(set(listed)) == len(listed)
    assert "民办学校" in text and "示范县博雅小学" in text  # apart, by application and lottery
    assert "示范县特殊教育学校" in text and "面向全县招收残疾儿童少年" in text
    clauses = [x.text.split("。")[0] for x in doc.paragraphs if x.text[1:2] == "、"]
    assert clauses == ["一、入学条件", "二、报名时间", "三、在校生", "四、多孩同校", "五、特殊群体",
                       "六、民办学校", "七、咨询与监督"]
    assert "示范县教育局" in text and "（盖章）" in text
    assert "【默认文本，请县教育局核改】" in text  # the clauses not set are marked defaults


def test_the_proposal_tables_equal_the_evaluation(exported):
    out, _, p = exported
    doc = Document(out / "opt.docx")
    heads = [x.text for x in doc.paragraphs if x.style.name.startswith("Heading")]
    assert heads[:2] == ["一、现状与评估结论", "检查清单（32项）"]
    check = _table_with(doc, "调整后")[0]
    rows = [[c.text for c in r.cells] for r in check.rows[1:]]
    assert len(rows) == 32
    after = dict(zip(p.after.checklist["id"], p.after.checklist["status"], strict=True))
    before = dict(zip(p.before.checklist["id"], p.before.checklist["status"], strict=True))
    status = {"pass": "达标", "fail": "未达标", "missing": "缺数据"}
    assert {r[0]: r[3] for r in rows} == {i: status[s] for i, s in after.items()}
    assert {r[0]: r[2] for r in rows} == {i: status[s] for i, s in before.items()}
    after = p.diff.schools["compliant_b"]
    taught = after.notna()
    failing = int((taught & ~after.fillna(True).astype(bool)).sum())
    assert f"资源配置未达标的学校学段（{failing} / {int(taught.sum())}）" in heads
    assert doc.paragraphs[1].text == f"评估标准：国家标准（2017）；学年：{p.plan.year}"
    if len(p.diff.units):  # the units re-zoned, one row each
        assert len(_table_with(doc, "新划片学校")[0].rows) - 1 == len(p.diff.units)
    else:  # the default request moves pupils only for a gain: here none
        assert [c.text for c in _table_with(doc, "无")[0].rows[0].cells] == ["无"]
    assert len(doc.inline_shapes) == 2  # the two catchment maps, embedded


def _render(path: Path, folder: Path) -> list[Path]:
    """The pages of a .docx (through LibreOffice) or a PDF as PNG files."""
    env = {**os.environ, "HOME": str(folder)}  # LibreOffice's profile in the test's folder
    pdf = path
    if path.suffix == ".docx":
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                        str(path)], check=True, capture_output=True, timeout=300, env=env)
        pdf = folder / f"{path.stem}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    assert "CJK" in fonts or "PlannerSansSC" in fonts, fonts  # Chinese drawn with a CJK font
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(folder / path.stem)],
                   check=True, timeout=300)
    return sorted(folder.glob(f"{path.stem}-*.png"))


@pytest.mark.parametrize("name", ["opt_notice.docx", "opt.docx", "opt_map_primary.pdf",
                                  "opt_map_junior.pdf", "opt_map_status.pdf"])
def test_every_page_renders_with_chinese_glyphs(exported, tmp_path, name):
    out, _, _ = exported
    pages = _render(out / name, tmp_path)
    assert pages
    for page in pages:
        img = imread(page)[..., :3]
        inked = float((img.mean(axis=2) < 0.9).mean())
        assert inked > 0.001, f"{page.name} is blank"
    text = subprocess.run(["pdftotext", str(tmp_path / f"{Path(name).stem}.pdf")
                           if name.endswith(".docx") else str(out / name), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "示范县" in text  # the CJK text is there as text, drawn with the glyphs above


def test_a_plan_of_record_exports_its_timetable(tmp_path):
    ws = tmp_path / "demo.gpkg"
    shutil.copy(DEMO, ws)
    assert main(["plan", str(ws), "--target-year", "2032", "--name", "p"]) == 0
    assert main(["export", str(ws), "--scenario", "p", "--out", str(tmp_path)]) == 0
    doc = Document(tmp_path / "p" / "p_roadmap.docx")
    session = ss.open_session(ws)
    rec = ss.record_of(session, "p")
    assert rec is not None and rec.ok
    assert doc.paragraphs[0].text == ("示范县义务教育优质均衡发展补齐短板时间表和路线图"
                                      "（2032年督导评估）")
    years = [p_.text for p_ in doc.paragraphs if p_.style.name == "Heading 1"]
    acted = sorted({int(y) for y in rec.actions["year"]})
    assert years[:len(acted)] == [f"{y} 年" for y in acted]
    rows = sum(len(tab.rows) - 1 for tab in doc.tables[:len(acted)])
    assert rows == len(rec.actions)  # every action once, under its year
    assert all(tab.rows[0].cells[-1].text == "责任单位" for tab in doc.tables[:len(acted)])
    pages = _render(tmp_path / "p" / "p_roadmap.docx", tmp_path)
    assert pages and all(float((imread(x)[..., :3].mean(axis=2) < 0.9).mean()) > 0.001
                         for x in pages)
    # an edited plan is no longer the plan of record: no timetable is made up for it
    assert main(["scenario", "undo", str(ws), "p"]) == 0
    assert ss.record_of(ss.open_session(ws), "p") is None
    assert main(["export", str(ws), "--scenario", "p", "--out", str(tmp_path / "again")]) == 0
    assert not (tmp_path / "again" / "p" / "p_roadmap.docx").exists()


def test_the_bureaus_own_texts_and_statistics_reach_the_documents(tmp_path):
    """Settings 公告发布单位 and 多孩同校条款 set once in the workbook; statistics 10 % off."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "geodata" / "example_county.xlsx")
    settings = wb["设置"]
    settings.append(["公告发布单位", "示例县教育体育局"])
    settings.append(["多孩同校条款", "同一户籍的兄弟姐妹，由户籍所在片区学校统筹安排同校就读。"])
    sheet = wb["学校"]
    col = [c.value for c in sheet[1]].index("小学在校生数") + 1
    children = sheet.cell(2, col).value
    sheet.cell(2, col).value = round(children * 0.9)
    wb.save(tmp_path / "county.xlsx")
    shutil.copy(ROOT / "geodata" / "example_boundary.geojson", tmp_path / "b.geojson")
    ws = tmp_path / "county.gpkg"
    assert main(["import", str(tmp_path / "county.xlsx"), str(ws), "--boundary",
                 str(tmp_path / "b.geojson")]) == 0
    assert main(["export", str(ws), "--scenario", "baseline", "--out", str(tmp_path / "out")]) == 0
    folder = tmp_path / "out" / "现状"
    text = _text(Document(folder / "现状_notice.docx"))
    assert "示例县教育体育局" in text and "示例县教育局" not in text
    assert "由户籍所在片区学校统筹安排同校就读。" in text
    assert "本公告只适用于新生" in text and "【默认文本，请县教育局核改】" in text  # the others
    assert "示例县实验小学" in text and "（未填）" in text  # the example has no addresses
    book = openpyxl.load_workbook(folder / "现状.xlsx")
    rows = list(book["统计核对"].iter_rows(values_only=True))
    assert rows[0] == ("学校标识码", "学校名称", "学段", "学校统计在校生", "划片范围内适龄儿童",
                       "差额（统计−儿童）", "差额占儿童比例（%）")
    assert rows[1][1:] == ("示例县实验小学", "小学", round(children * 0.9), children,
                           round(children * 0.9) - children, -10.0)
