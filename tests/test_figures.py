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
from planner.report.export import render_notice, render_report
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
    assert {"小学", "初中", "1", "117"} <= set(notice)
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
