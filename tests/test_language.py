"""Chinese throughout, English throughout: every page in both languages under AppTest, and no
string of the other script (Latin words in the Chinese interface other than codes, ids, units
and product names; Chinese in the English one other than names from the data)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "map", "schools", "scenario", "optimize", "plan", "export")
# what may be Latin in the Chinese interface: codes, units, formats and product names
LATIN_OK = re.compile(
    r"\b[A-Z]{1,5}\d{1,3}\b|\b\d+(\.\d+)?\s?(m²|m2|km|m|MB|kB)\b|m²|㎡|\.(gpkg|xlsx|csv|html)\b|"
    r"\bOpenStreetMap\b|\bGeoPackage\b|\bExcel\b|\bHTML\b|\bCSV\b|\bplanner evaluate\b|"
    r"\bnational_2017\b|\bhenan\b|\bEnglish\b|\bCV\b|\bLP\b|[a-z_]+\.(gpkg|xlsx)")
# widgets whose value is the chosen option (shown through its label) or a number
WIDGETS_WITH_VALUE = {"selectbox", "radio", "multiselect", "checkbox", "toggle", "number_input",
                      "button", "download_button", "slider", "select_slider"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _strings(node) -> list[str]:
    """Every piece of text an element tree shows: values, labels, options, table cells."""
    out: list[str] = []
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            out += _strings(child)
    kind = getattr(node, "type", "")
    if kind in ("html", "iframe"):  # a figure: only the text of its SVG is shown
        source = node.proto.body if kind == "html" else node.proto.srcdoc
        return re.findall(r"<text[^>]*>([^<]*)</text>", source)
    shown = ("label", "options", "placeholder")
    if kind not in WIDGETS_WITH_VALUE:
        shown = ("value", *shown)
    for attr in shown:
        try:
            v = getattr(node, attr)
        except Exception:  # noqa: BLE001 - some elements compute these lazily
            continue
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list | tuple):
            out += [x for x in v if isinstance(x, str)]
        elif isinstance(v, pd.DataFrame):
            out += [str(c) for c in v.columns]
            for col in v.columns:
                out += [x for x in v[col].tolist() if isinstance(x, str)]
    return out


def _figure_docs(node) -> list[str]:
    """The documents of the page's figure frames."""
    children = getattr(node, "children", None)
    docs = [d for c in children.values() for d in _figure_docs(c)] if isinstance(
        children, dict) else []
    return docs + ([node.proto.srcdoc] if getattr(node, "type", "") == "iframe" else [])


def _data_names(bench) -> list[str]:
    ws = bench.current_plan.ws
    names = [*ws.schools["name"], *ws.units["name"], ws.meta.name or "", *bench.scenarios,
             *bench.base.ws.schools["name"]]
    from app_pages.common import map_layers  # noqa: F401 - the townships are names from data

    if ws.county is not None:
        for col in ("evidence", "source"):
            if col in ws.county:
                names += [str(x) for x in ws.county[col].dropna()]
    return sorted({n for n in names if n}, key=len, reverse=True)


def _wrong_script(texts: list[str], lang: str, names: list[str], towns: list[str]) -> set[str]:
    bad = set()
    for text in texts:
        rest = text
        for n in (*names, *towns):
            if n in rest:
                rest = rest.replace(n, " ")
        rest = rest.replace("中文", " ")  # the language switch names itself
        if lang == "zh":
            rest = LATIN_OK.sub(" ", rest)
            rest = re.sub(r"\\.", " ", rest)  # Markdown escapes
            if LATIN_WORD.search(rest):
                bad.add(text)
        elif CJK.search(rest):
            bad.add(text)
    return bad


def test_class_size_terms_are_the_official_ones():
    """A class over the standard (45 primary / 50 junior) is 超标班额; 大班额 (56 and more) and
    超大班额 (66 and more) only where those thresholds are meant, said on the same line
    (最大班额, the largest class, is another word)."""
    from planner.i18n import t
    from planner.report.province import LABELS

    assert (t("crossing_class_over_cap", "zh"), t("crossing_class_over_cap", "en")) == (
        "超标班额", "a class over the class-size standard")
    assert LABELS["caps_class_primary"][0] == "有超标班额的小学"
    sources = [*ROOT.glob("planner/**/*.py"), *ROOT.glob("app_pages/*.py"), ROOT / "app.py"]
    loose = [f"{p.relative_to(ROOT)}:{k}" for p in sources
             for k, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search("(?<!最)大班额", line) and not re.search(r"\b(56|66)\b", line)]
    assert loose == []


def test_the_check_finds_the_wrong_script():
    assert _wrong_script(["现状 baseline"], "zh", [], [])
    assert _wrong_script(["tiling; one catchment per unit"], "zh", [], [])
    assert not _wrong_script(["R2 骨干教师/百生 1.2 km", "示范县 Road 小学"], "zh",
                             ["示范县 Road 小学"], [])
    assert _wrong_script(["Scenario: 现状"], "en", [], [])
    assert not _wrong_script(["School 城关镇第一小学 in 城关镇"], "en", ["城关镇第一小学"],
                             ["城关镇"])


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()
    at.switch_page("app_pages/scenario.py").run()
    at.text_input(key="scn_new_name").input("plan-a").run()
    at.button(key="scn_create").click().run()
    at.button(key="do_enforce").click().run()
    assert at.session_state["bench"].name == "plan-a"
    # every page in a projected year, with a school's timeline on the schools page and in
    # the map's panel
    at.sidebar.selectbox(key="year.zh").set_value(2031).run()
    at.session_state["schools_pick"] = "4199000001"
    at.session_state["map_selected"] = ("school", "4199000001")
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_one_language(app, lang):
    from app_pages import common  # noqa: F401

    at = app
    at.radio(key="lang").set_value(lang).run()
    bench = at.session_state["bench"]
    names = _data_names(bench)
    from planner.report.maps import base_layers

    towns = sorted(set(base_layers(bench.base.ws).townships["township"]), key=len,
                   reverse=True)
    found: dict[str, set[str]] = {}
    for scenario in ("baseline", "plan-a"):
        at.sidebar.selectbox(key=f"scenario_pick.{lang}").set_value(scenario).run()
        for page in PAGES:
            at.switch_page(f"app_pages/{page}.py").run()
            if page == "map":
                at.checkbox(key="map_flows").check().run()
                at.selectbox(key=f"map_units.{lang}").set_value("distance").run()
            if page == "optimize":
                at.button(key="run_roadmap").click().run()
            if page == "plan":
                at.button(key="run_plan").click().run()
            assert not at.exception, (page, at.exception)
            assert not at.error, (page, [e.value for e in at.error])  # no false error
            if page in ("overview", "schools", "map"):  # the years' figures are checked too
                figure = {"overview": "years-primary"}.get(page, "school-pupils-primary")
                assert any(f'id="{figure}"' in d for d in _figure_docs(at._tree)), page
            wrong = _wrong_script(_strings(at._tree), lang, names, towns)
            if wrong:
                found[f"{scenario}/{page}"] = wrong
    assert found == {}, "\n".join(f"{k}: {sorted(v)}" for k, v in found.items())
