"""An evaluation as display tables with headers and values in the reader's language.

The Excel workbook, the HTML report and the app show the same tables; they are built here once.
"""

from __future__ import annotations

import pandas as pd

from planner.evaluation import Evaluation
from planner.i18n import column, t
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS


def _sec(section: str, lang: str) -> str:
    return t(section, lang)


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def value_text(value: object, lang: str) -> str:
    """Render a checklist value (a number, or per-section detail for R rows) as text."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, dict):
        parts = []
        for sec, v in value.items():
            if isinstance(v, dict):
                label = "均值" if lang == "zh" else "mean"
                parts.append(f"{_sec(sec, lang)} {label} {_num(v['mean'])}, CV {v['cv']:.3f}")
            else:
                parts.append(f"{_sec(sec, lang)} {_num(v)}")
        return "; ".join(parts)
    if isinstance(value, float):
        return _num(value)
    return str(value)


def checklist_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """The 32 rows with localised name, threshold, value, status and source."""
    c = ev.checklist
    return pd.DataFrame({
        column("id", lang): c["id"],
        column("name", lang): c["name_zh"] if lang == "zh" else c["name_en"],
        column("threshold", lang): [value_text(v, lang) for v in c["threshold"]],
        column("value", lang): [value_text(v, lang) for v in c["value"]],
        column("status", lang): [t(f"status_{s}", lang) for s in c["status"]],
        column("source", lang): [t(f"source_{s}", lang) for s in c["source"]],
        column("evidence", lang): c["evidence"],
    })


def schools_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """Per school section: students, R1–R7, indicators met, compliance, what it misses."""
    i = ev.indicators
    out = pd.DataFrame({
        column("school_id", lang): i["school_id"],
        column("school", lang): i["name"],
        column("kind", lang): [t(f"kind_{k}", lang) for k in i["kind"]],
        column("area_type", lang): [t(f"area_{a}", lang) for a in i["area_type"]],
        column("section", lang): [_sec(s, lang) for s in i["section"]],
        column("students", lang): i["students"],
    })
    for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
        out[column(rid, lang)] = i[key].round(3)
    out[column("met", lang)] = i["met"]
    out[column("compliant", lang)] = [t("yes" if c else "no", lang) for c in i["compliant"]]
    out[column("missed", lang)] = i["missed"]
    out[column("teacher_basis", lang)] = [t(f"basis_{b}", lang) for b in i["teacher_basis"]]
    return out


def cv_table_display(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """CV per section and indicator against its limit, with the combined CV."""
    c = ev.cvs
    names = [t("combined_cv", lang) if i == "combined" else column(i, lang) for i in c["id"]]
    ok = ["" if o is None else t("yes" if o else "no", lang) for o in c["ok"]]
    return pd.DataFrame({
        column("section", lang): [_sec(s, lang) for s in c["section"]],
        column("id", lang): names,
        column("mean", lang): c["mean"].round(3),
        column("cv", lang): c["cv"].round(4),
        column("limit", lang): c["limit"],
        column("ok", lang): ok,
    })


def gaps_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """What each failing school section needs, in teachers, m², yuan and rooms."""
    g = ev.gaps
    return pd.DataFrame({
        column("school_id", lang): g["school_id"],
        column("school", lang): g["name"],
        column("section", lang): [_sec(s, lang) for s in g["section"]],
        column("students", lang): g["students"],
        column("id", lang): [column(i, lang) for i in g["id"]],
        column("value", lang): g["value"].round(3),
        column("threshold", lang): g["threshold"],
        column("target", lang): [t(f"target_{x}", lang) for x in g["target"]],
        column("add", lang): g["add"],
        column("unit", lang): [t(f"unit_{u}", lang) for u in g["unit"]],
        column("add_to_meet_all", lang): g["add_to_meet_all"],
    })


def caps_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """G4 and G5 violations."""
    c = ev.caps
    return pd.DataFrame({
        column("school_id", lang): c["school_id"],
        column("school", lang): c["name"],
        column("kind", lang): [t(f"kind_{k}", lang) for k in c["kind"]],
        column("rule", lang): [t(f"rule_{r}", lang) for r in c["rule"]],
        column("value", lang): c["value"],
        column("cap", lang): c["cap"],
        column("excess", lang): c["excess"],
    })


def drivers_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """For each CV over its limit, the school sections that widen it most."""
    d = ev.drivers
    return pd.DataFrame({
        column("section", lang): [_sec(s, lang) for s in d["section"]],
        column("id", lang): [column(i, lang) for i in d["id"]],
        column("school_id", lang): d["school_id"],
        column("school", lang): d["name"],
        column("students", lang): d["students"],
        column("value", lang): pd.to_numeric(d["value"]).round(3),
        column("mean", lang): pd.to_numeric(d["mean"]).round(3),
        column("share_of_variance", lang): pd.to_numeric(d["share_of_variance"]).round(3),
        column("direction", lang): [t(f"direction_{x}", lang) for x in d["direction"]],
    })


def verdict_text(ev: Evaluation, lang: str = "zh") -> str:
    """One line: the verdict and the counts behind it."""
    s = ev.summary()
    counts = t("summary_counts", lang, passed=s["pass"], failed=s["fail"],
               missing=s["missing"], failing=s["school_sections_failing"],
               sections=s["school_sections"])
    return f"{t('verdict', lang)}: {t(f'verdict_{ev.verdict}', lang)} — {counts}"
