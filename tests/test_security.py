"""Data is never code: a workspace whose every text holds Jinja, HTML, JavaScript and formula
payloads goes through every map, report, notice, workbook and app page.

Each payload must come out as the text it is (escaped for where it lands), nothing may be
evaluated (a marker file that an evaluated Jinja payload would create stays absent, `{{7*7}}`
never becomes `49`), and no workbook cell is a formula.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner.cli import main as cli
from planner.report.escape import (
    csv_frame,
    html_text,
    js_string,
    markdown_text,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data"))

from make_battery import small_county, write_gpkg  # noqa: E402

JINJA = "J{{7*7}}J{% if 1 %}K{% endif %}{# c #}"
HTML = "<script>alert(1)</script><img src=x onerror=alert(2)>"
JS = "'\");alert(3)//</script>`${alert(4)}`\\"


def rce(marker: Path) -> str:
    """A Jinja payload that creates `marker` if it is ever evaluated."""
    return "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"


def payload(tag: str, marker: Path) -> str:
    return f"=1+1 {tag}{rce(marker)}{JINJA}{HTML}{JS}"


SCHOOL_IDS = {s: f"=S{s[1]}{{{{7*7}}}}<b>'\"" for s in ("S1", "S2", "S3", "S4")}
UNIT_IDS = {u: f"+U{u[1]}{{{{7*7}}}}<i>`" for u in ("U1", "U2", "U3", "U4")}
NEW_ID = "@N{{7*7}}<u>"


def _decode(text: str) -> str:
    """Undo JSON/JS \\uXXXX escapes and HTML character references, as a browser would."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(html.unescape(text))


def assert_not_evaluated(text: str, marker: Path) -> None:
    assert not marker.exists(), "a Jinja payload was evaluated"
    assert "J49J" not in text and "J49JK" not in text
    assert "<script>alert(1)" not in text
    assert "<img src=x onerror" not in text
    assert "</script>`${alert" not in text


@pytest.fixture(scope="module")
def payload_ws(tmp_path_factory):
    """The small county with payloads in every text column, and a scenario full of them."""
    folder = tmp_path_factory.mktemp("payload")
    marker = folder / "MARKER"
    layers = small_county()
    s, u = layers["schools"], layers["units"]
    inside = u.geometry.iloc[0].representative_point()
    s["school_id"] = s["school_id"].map(SCHOOL_IDS)
    s["name"] = [payload(f"school{i}", marker) for i in range(len(s))]
    u["unit_id"] = u["unit_id"].map(UNIT_IDS)
    u["name"] = [payload(f"unit{i}", marker) for i in range(len(u))]
    layers["catchments"]["school_id"] = layers["catchments"]["school_id"].map(SCHOOL_IDS)
    e = layers["enrolment"]
    e["school_id"], e["unit_id"] = e["school_id"].map(SCHOOL_IDS), e["unit_id"].map(UNIT_IDS)
    layers["county"]["evidence"] = payload("evidence", marker)
    layers["county"]["source"] = payload("source", marker)
    path = folder / "payload.gpkg"
    write_gpkg(layers, path)
    # at most 80 characters (planner/plan/store.py refuses longer names)
    name = "=1 J{{7*7}}J{% if 1 %}K{% endif %}<script>alert(1)</script>'\");alert(3)//`${x}`"
    assert len(name) <= 80
    edits = [
        {"op": "set_school", "school_id": SCHOOL_IDS["S1"],
         "values": {"name": payload("renamed", marker)}},
        {"op": "open_school", "school_id": NEW_ID, "lon": inside.x, "lat": inside.y,
         "values": {"kind": "primary", "name": payload("new", marker), "classrooms": 12},
         "units": {"primary": [UNIT_IDS["U1"]]}},
        {"op": "move_unit", "unit_id": UNIT_IDS["U2"], "section": "primary",
         "to_school": SCHOOL_IDS["S1"]},
    ]
    (folder / "edits.json").write_text(json.dumps(edits, ensure_ascii=False), encoding="utf-8")
    assert cli(["scenario", "new", str(path), name, "--author", payload("author", marker),
                "--note", payload("note", marker)]) == 0
    assert cli(["scenario", "add", str(path), name, "--edits", str(folder / "edits.json")]) == 0
    return {"path": path, "name": name, "marker": marker, "folder": folder}


def test_the_escape_helpers():
    assert html_text("{{7*7}}<b>'\"`${x}\\\n") == (
        "&#123;&#123;7*7&#125;&#125;&lt;b&gt;&#39;&quot;&#96;&#36;&#123;x&#125;&#92;&#10;")
    assert html.unescape(html_text(HTML + JINJA + JS)) == HTML + JINJA + JS
    assert js_string("</script>{{x}}'") == (
        '"\\u003c/script\\u003e\\u007b\\u007bx\\u007d\\u007d\\u0027"')
    assert json.loads(js_string(JS + JINJA)) == JS + JINJA
    assert markdown_text("**b** :red[x] $y$ [l](javascript:z)") == (
        r"\*\*b\*\* \:red\[x\] \$y\$ \[l\](javascript\:z)")
    assert markdown_text("junior-opt-2") == "junior-opt-2"
    assert markdown_text("- a\n# b\n12. c") == "\\- a\n\\# b\n12\\. c"
    assert html_text(None) == "" and html_text(float("nan")) == ""
    frame = csv_frame(pd.DataFrame({"a": ["=1+1", "+2", "-3", "@4", "\t5", "\r6", "ok"],
                                    "n": [-1, 2, 3, 4, 5, 6, 7]}))
    assert frame["a"].tolist() == ["'=1+1", "'+2", "'-3", "'@4", "'\t5", "'\r6", "ok"]
    assert frame["n"].tolist() == [-1, 2, 3, 4, 5, 6, 7]


def test_folium_and_branca_evaluate_data_unless_escaped(tmp_path):
    """The hole: branca compiles every rendered macro again as a Jinja template."""
    import folium

    marker = tmp_path / "MARKER"
    m = folium.Map()
    folium.CircleMarker((0, 0), tooltip="T{{7*7}}T" + rce(marker)).add_to(m)
    assert "T49T" in m.get_root().render() and marker.exists()
    marker.unlink()
    m = folium.Map()
    folium.CircleMarker((0, 0), tooltip=html_text("T{{7*7}}T" + rce(marker))).add_to(m)
    out = m.get_root().render()
    assert "T49T" not in out and not marker.exists()
    assert "T{{7*7}}T" in _decode(out)


def _maps(ws, ev, plan):
    from planner.report.maps import OVERLAYS, UNIT_SHADING, county_map

    for lang in ("zh", "en"):
        for overlay in OVERLAYS:
            for units in UNIT_SHADING:
                for section in ("primary", "junior"):
                    yield (lang, overlay, units, section), county_map(
                        ws, ev, section=section, overlay=overlay, lang=lang, units=units,
                        flows=True, radii=True, zoning=plan.zoning)


def test_every_map_shows_payloads_literally(payload_ws):
    from planner import workbench as wb

    marker = payload_ws["marker"]
    base = wb.load_baseline(payload_ws["path"])
    bench = wb.select(wb.start(payload_ws["path"], base), payload_ws["name"])
    n = 0
    for plan, ev in ((bench.base.plan, bench.base.evaluation), (bench.plan, bench.current)):
        for combo, m in _maps(plan.ws, ev, plan):
            out = m.get_root().render()
            assert_not_evaluated(out, marker)
            text = _decode(out)
            assert payload("school1", marker) in text, combo
            assert payload("unit0", marker) in text, combo
            n += 1
    assert n == 2 * 2 * 11 * 3 * 2


def test_reports_notice_and_workbooks(payload_ws, tmp_path):
    marker, path, name = payload_ws["marker"], payload_ws["path"], payload_ws["name"]
    for lang in ("zh", "en"):
        out = tmp_path / lang
        out.mkdir()
        assert cli(["evaluate", str(path), "--scenario", name, "--lang", lang,
                    "--html", str(out / "e.html"), "--xlsx", str(out / "e.xlsx")]) == 0
        assert cli(["export", str(path), "--scenario", name, "--out", str(out),
                    "--lang", lang]) == 0
        assert cli(["roadmap", str(path), "--scenario", name, "--lang", lang,
                    "--out", str(out / "road.xlsx")]) == 0
        pages = sorted(out.rglob("*.html"))  # the export is in out/<name>/
        assert len(pages) == 3  # the evaluation report, the proposal report, the notice
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert_not_evaluated(text, marker)
        report, notice = (next(p for p in pages if p.name.endswith(end)).read_text("utf-8")
                          for end in ("x__.html", "_notice.html"))
        assert html_text(name) in report
        for text in (report, (out / "e.html").read_text("utf-8")):
            assert html_text(payload("school1", marker)) in text
        for tag in ("renamed", "new", "unit3"):
            assert html_text(payload(tag, marker)) in notice
        books = sorted(out.rglob("*.xlsx"))
        assert len(books) == 3
        for book in books:
            assert_no_formula(book)
        seen = {c.value for book in books for ws in openpyxl.load_workbook(book).worksheets
                for row in ws.iter_rows() for c in row}
        assert payload("school1", marker) in seen
        assert SCHOOL_IDS["S2"] in seen
    assert not marker.exists()


def assert_no_formula(book: Path) -> int:
    """Every cell of every sheet is a value, never a formula; return how many were checked."""
    n = 0
    for ws in openpyxl.load_workbook(book).worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{book.name}, {ws.title}!{c.coordinate}: {c.value!r}"
                n += 1
    assert n > 0
    return n


def test_formula_looking_text_is_stored_as_text(tmp_path):
    from openpyxl import Workbook

    from planner.report.excel import _sheet

    values = ["= 100%", "=SUM(A1:A2)", "+1", "-x", "@x", "\t=1"]
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "t", pd.DataFrame({"=threshold": values, "n": [-1, 0, 1, 2, 3, 4]}))
    wb.save(tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    cells = [sheet.cell(r, 1) for r in range(1, len(values) + 2)]
    assert [c.value for c in cells] == ["=threshold", *values]
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells[:-1])  # a tab is no formula sign
    assert [sheet.cell(r, 2).value for r in range(2, 8)] == [-1, 0, 1, 2, 3, 4]
    assert_no_formula(tmp_path / "t.xlsx")


def _csv_cells(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_csv_files_write_formula_looking_text_as_text(payload_ws, tmp_path):
    """`planner distances` and `planner project` (children, and pupils by school) write ids
    and names that start like a formula (=, +, @) with a leading ' (escape.csv_frame)."""
    from planner.io.gpkg import set_meta, transaction

    marker, path = payload_ws["marker"], tmp_path / "payload.gpkg"
    shutil.copy(payload_ws["path"], path)
    with transaction(path) as con:  # project needs the school year its enrolment describes
        set_meta(con, {"year": "2026"})
    assert cli(["distances", str(path), "--out", str(tmp_path / "d.csv")]) == 0
    assert cli(["project", str(path), "--to", "2028", "--out", str(tmp_path / "p.csv"),
                "--schools", str(tmp_path / "s.csv")]) == 0
    quoted_units = {"'" + u for u in UNIT_IDS.values()}
    quoted_schools = {"'" + s for s in SCHOOL_IDS.values()}
    head, *rows = _csv_cells(tmp_path / "d.csv")
    assert head == ["unit_id", "school_id", "distance_m", "method"]
    assert {r[0] for r in rows} == quoted_units and {r[1] for r in rows} == quoted_schools
    assert len(rows) == 4 * 4  # every unit to every school
    head, *rows = _csv_cells(tmp_path / "p.csv")
    assert head == ["year", "unit_id", "grade", "children"]
    assert len(rows) == 3 * 4 * 9 and {r[1] for r in rows} == quoted_units
    # U1's grade 1 in 2026, exactly as given (40 children), its id as text
    assert ["2026", "'" + UNIT_IDS["U1"], "1", "40"] in rows
    head, *rows = _csv_cells(tmp_path / "s.csv")
    names = {r[head.index("name")] for r in rows}
    assert "'" + payload("school1", marker) in names
    assert {r[head.index("school_id")] for r in rows} == quoted_schools
    for file in ("d.csv", "p.csv", "s.csv"):  # no cell of any file starts like a formula
        assert not any(c.startswith(("=", "+", "-", "@")) for r in _csv_cells(tmp_path / file)
                       for c in r if not c.lstrip("-").replace(".", "", 1).isdigit()), file
    assert not marker.exists()


def test_app_pages_show_payloads_as_text(payload_ws, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    marker = payload_ws["marker"]
    ws = tmp_path / "ws.gpkg"
    shutil.copy(payload_ws["path"], ws)
    monkeypatch.setenv("PLANNER_WORKSPACE", str(ws))
    for lang in ("zh", "en"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        assert not at.exception
        at.radio(key="lang").set_value(lang).run()
        at.sidebar.selectbox(key=f"scenario_pick.{lang}").set_value(payload_ws["name"]).run()
        assert not at.exception
        for page in ("overview", "map", "schools", "scenario", "optimize", "export"):
            at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception, (page, at.exception)
            texts = [e.value for kind in ("markdown", "header", "subheader", "caption",
                                          "success", "info", "error", "warning")
                     for e in at.get(kind) if isinstance(e.value, str)]
            for text in texts:
                assert "J49J" not in text
                # data in Markdown is escaped: no raw HTML, no Markdown or Streamlit markup
                assert "<script>" not in text and "{{" not in text, (page, text)
            assert not marker.exists(), page
        # the map's side panel with a clicked unit and a clicked school
        for picked in (("unit", UNIT_IDS["U3"]), ("school", SCHOOL_IDS["S2"])):
            at.session_state["map_selected"] = picked
            at.switch_page("app_pages/map.py").run()
            assert not at.exception
            cards = [m.value for m in at.markdown if "\\<script\\>" in m.value]
            assert cards, picked  # the payload's name is shown, escaped
            assert not any("<script>" in m.value for m in at.markdown)
        at.switch_page("app_pages/export.py").run()
        at.button(key="prepare_export").click().run()
        assert not at.exception
        files = at.session_state["export_files"]
        assert len(files) == 9  # layers, workbook, report, notice, two Word files, three maps
        for fname, data in files.items():
            if fname.endswith(".html"):
                assert_not_evaluated(data.decode("utf-8"), marker)
            if fname.endswith(".docx"):  # the payload is a run's text, never a field
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    xml = z.read("word/document.xml").decode("utf-8")
                assert "<script>" not in xml and "&lt;script&gt;" in xml, fname
                assert "w:fldChar" not in xml and "w:instrText" not in xml, fname
    assert not marker.exists()


def test_a_map_in_chromium_shows_payloads_as_text_and_runs_none(payload_ws, tmp_path):
    """In a real browser: tooltips and popups hold the payloads as text; no script runs."""
    from playwright.sync_api import sync_playwright

    from planner import workbench as wb
    from planner.report.maps import county_map

    marker = payload_ws["marker"]
    bench = wb.select(wb.start(payload_ws["path"]), payload_ws["name"])
    m = county_map(bench.plan.ws, bench.current, overlay="status", lang="zh", units="children",
                   flows=True, radii=True, zoning=bench.plan.zoning)
    assets = ROOT / "planner" / "report" / "assets"
    m.default_js = [("jquery", (assets / "jquery" / "jquery.min.js").as_uri()),
                    ("leaflet", (assets / "leaflet" / "leaflet.js").as_uri())]
    m.default_css = [("leaflet_css", (assets / "leaflet" / "leaflet.css").as_uri())]
    page_file = tmp_path / "map.html"
    page_file.write_text(m.get_root().render(), encoding="utf-8")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    dialogs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox",
                                                                    "--disable-gpu"])
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_file.as_uri())
        page.wait_for_function("Object.keys(window).some(k => k.startsWith('map_'))")
        shown = page.evaluate("""() => {
            const map = Object.keys(window).filter(k => k.startsWith('map_'))
                .map(k => window[k])[0];
            const texts = [];
            const tips = () => document.querySelectorAll('.leaflet-tooltip')
                .forEach(e => texts.push(e.innerText));
            map.eachLayer(l => {
                if (l.feature) { l.fire('mouseover', {latlng: map.getCenter()}, true); tips(); }
                else if (l.getTooltip && l.getTooltip() && l.getLatLng) { l.openTooltip(); }
            });
            tips();
            map.eachLayer(l => { if (l.getPopup && l.getPopup() && l.getLatLng) {
                l.openPopup(); texts.push(document.querySelector('.leaflet-popup-content')
                    .innerText); } });
            return texts; }""")
        page.wait_for_timeout(300)
        injected = page.evaluate("document.querySelectorAll('img[src=x], script:not([src])')"
                                 ".length")
        scripts = page.evaluate("document.querySelectorAll('script:not([src])').length")
        browser.close()
    assert dialogs == []
    assert injected == scripts  # the page's own inline scripts only: no <img src=x>
    text = "\n".join(shown)
    for tag in ("renamed", "new", "school1", "unit2"):
        assert payload(tag, marker) in text, tag
    assert "J49J" not in text and not marker.exists()
