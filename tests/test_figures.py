"""Reports on a machine with no Chinese font: SVG figures with text left as text, laid out
with the CJK font the package ships, and no missing glyph."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import sys, warnings
warnings.simplefilter("error")
import matplotlib
from matplotlib import font_manager as fm

# no font but matplotlib's own: what a fresh machine without fonts-noto-cjk offers
own = matplotlib.get_data_path()
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if f.fname.startswith(own)]
fm.fontManager._findfont_cached.cache_clear()
assert not [f for f in fm.fontManager.ttflist if "CJK" in f.name]

import shutil
from pathlib import Path
from planner import session as ss
from planner.report.export import render_report
from planner.report.notice import render_notice
from planner.report.html import render_html

out = Path(sys.argv[1])
copy = out / "ws.gpkg"
shutil.copy(sys.argv[2], copy)
session = ss.open_session(copy)
session = ss.create(session, "plan", edits=[{"op": "enforce_zoning", "school_id": None}])
p = ss.proposal(session, "plan")
ws = session.ws
for lang in ("zh", "en"):
    (out / f"report_{lang}.html").write_text(render_html(p.before, ws, lang=lang), "utf-8")
    (out / f"proposal_{lang}.html").write_text(render_report(p, lang), "utf-8")
    (out / f"notice_{lang}.html").write_text(render_notice(p.ws, p.plan.zoning, lang=lang),
                                            "utf-8")
print("ok")
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory, demo_gpkg):
    out = tmp_path_factory.mktemp("pages")
    config = tmp_path_factory.mktemp("mplconfig")  # empty: no font cache to lean on
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(demo_gpkg)],
                       env={"MPLCONFIGDIR": str(config), "PATH": "/usr/bin:/bin",
                            "PYTHONPATH": str(ROOT), "HOME": str(config)},
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
    assert "Glyph" not in r.stderr
    return {p.name: p.read_text("utf-8") for p in out.glob("*.html")}


def _svg_texts(page: str) -> list[str]:
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert svgs, "the page has no inline SVG figure"
    assert "<image" not in "".join(svgs)  # no raster inside
    return [t for svg in svgs for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_every_report_draws_svg_with_chinese_text(pages):
    assert len(pages) == 6
    report = _svg_texts(pages["report_zh.html"])
    assert "示范县（合成数据）" in report and "各学段均达标" in report
    assert {"小学", "初中", "R2 骨干教师/百生", "限值 0.50", "超过限值"} <= set(report)
    proposal = _svg_texts(pages["proposal_zh.html"])
    assert proposal.count("示范县（合成数据）") == 2  # before and after
    notice = _svg_texts(pages["notice_zh.html"])
    assert {"小学", "初中", "1", "116"} <= set(notice)  # public ones numbered
    english = _svg_texts(pages["report_en.html"])
    assert {"Primary", "Junior", "limit 0.45", "every section passes"} <= set(english)
    for page in pages.values():
        assert "data:image/png" not in page


def test_two_figures_of_a_page_share_no_id(pages):
    for name, page in pages.items():
        ids = re.findall(r'\bid="([^"]+)"', page)
        clips = [i for i in ids if re.fullmatch(r"p[0-9a-f]{6,}", i)]
        assert len(clips) == len(set(clips)), name


def test_the_shipped_font_is_package_data():
    font = ROOT / "planner" / "report" / "assets" / "fonts" / "PlannerSansSC-Regular.otf"
    assert font.stat().st_size < 2_000_000
    assert (font.parent / "OFL.txt").read_text().startswith("PlannerSansSC-Regular.otf is a subset")
    assert '"report/assets/fonts/*"' in (ROOT / "pyproject.toml").read_text()


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_years_chart_writes_each_line_and_band_as_text():
    import pandas as pd

    from planner.report.figures import years_svg

    county = pd.DataFrame({"year": [2026, 2027, 2028] * 2,
                           "section": ["primary"] * 3 + ["junior"] * 3,
                           "pupils": [1010, 930, 870, 505, 525, 515],
                           "pupils_low": [1010, 930, 830, 505, 525, 515],
                           "pupils_high": [1010, 930, 905, 505, 525, 515]})
    svg = years_svg(county, lang="zh", year=2027)
    texts = _texts(svg)
    # each section's pupils in the first, the selected and the last year; the last with the
    # band where the variants part
    assert {"1,010", "930", "870 (830–905)", "505", "525", "515"} <= set(texts)
    labels = {"小学在校生", "初中在校生", "阴影：低、高方案之间", "在校生", "2026", "2028"}
    assert labels <= set(texts)
    for gid in ("years-primary", "years-junior", "years-band-primary", "year-selected"):
        assert f'id="{gid}"' in svg
    english = _texts(years_svg(county, lang="en"))
    assert {"Primary pupils", "Junior pupils", "1,010", "870 (830–905)"} <= set(english)
    assert "930" not in english  # no year selected: first and last only
    assert 'id="year-selected"' not in years_svg(county, lang="en")


def test_a_school_timeline_shows_pupils_places_and_the_size_cap():
    import pandas as pd

    from planner.report.figures import school_years_svg

    big = pd.DataFrame({"year": [2026, 2027, 2028], "section": "primary",
                        "pupils": [2150, 2010, 1930], "places": [2100] * 3,
                        "size": [2150, 2010, 1930], "size_cap": 2000.0})
    svg = school_years_svg(big, lang="zh", year=2027)
    texts = _texts(svg)
    assert {"2,150", "2,010", "1,930", "2,100", "小学在校生", "小学学位", "规模上限 2,000"} <= set(
        texts)
    assert 'id="school-cap"' in svg and 'id="school-places-primary"' in svg
    # a teaching point of 24 pupils: the cap of 2,000 is named, not drawn
    small = big.assign(pupils=[24, 19, 15], places=[24, 19, 15], size=[24, 19, 15])
    svg = school_years_svg(small, lang="en")
    assert "size cap 2,000, far above" in _texts(svg) and 'id="school-cap"' not in svg
    # two sections: the school's size as well
    both = pd.concat([big, big.assign(section="junior", pupils=[300, 310, 320],
                                      places=[400] * 3)])
    both["size"], both["size_cap"] = both["year"].map({2026: 2450, 2027: 2320, 2028: 2250}), 2500.0
    svg = school_years_svg(both, lang="en")
    assert {"Junior pupils", "Junior places", "school size (both sections)",
            "size cap 2,500"} <= set(_texts(svg))


def _section(page: str, heading: str) -> str:
    """The table after an <h2> heading."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]


def _rows(table: str) -> list[list[str]]:
    return [re.findall(r"<td>([^<]*)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table)[1:]]


def test_the_proposal_report_shows_years_and_crossings_in_its_language(pages):
    from planner.i18n import t
    from planner.projection import CROSSING_RULES

    for lang, heading, sections in (("zh", "越线年份", {"小学", "初中"}),
                                    ("en", "Years over or under a line", {"Primary", "Junior"})):
        page = pages[f"proposal_{lang}.html"]
        table = _section(page, heading)
        assert re.findall(r"<th>([^<]*)</th>", table) == (
            ["学校标识码", "学校名称", "学段", "情形", "年份", "消除年份"] if lang == "zh" else
            ["school_id", "school", "section", "what", "years", "no longer from"])
        rows = _rows(table)
        assert {r[2] for r in rows} == sections
        assert {r[3] for r in rows} <= {t(f"crossing_{k}", lang) for k in CROSSING_RULES}
        # the scenario (every unit at its zoned school): 示范县实验中学 over its size cap in
        # 2027–2028 (the junior peak)
        what = "超规模" if lang == "zh" else "over the size cap"
        assert ["4199000013", "示范县实验中学", "初中" if lang == "zh" else "Junior", what,
                "2027–2028", "2029"] in rows
        assert not any(k in page for k in CROSSING_RULES)  # no code name reaches the reader
        texts = _svg_texts(page)
        assert ("小学在校生" if lang == "zh" else "Primary pupils") in texts
        county = _rows(_section(page, "逐年预测（2026–2035 学年）" if lang == "zh"
                                else "Year by year (2026–2035)").split("</div>", 1)[1])
        assert county[0][:2] == ["2026", "小学" if lang == "zh" else "Primary"]
        assert county[0][5] == "33370"  # the schools' primary pupils of 2026, as in the data
