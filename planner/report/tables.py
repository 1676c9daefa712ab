"""An evaluation as display tables with headers and values in the reader's language.

The Excel workbook, the HTML report and the app show the same tables; they are built here once.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from planner.evaluation import Evaluation, exclusion_reason
from planner.i18n import column, has, t
from planner.indicators import compliance, threshold_matrix
from planner.report.style import CELL_FILLS
from planner.schema import SECTIONS
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS


def _sec(section: str, lang: str) -> str:
    return t(section, lang) if has(section) else section


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


PERCENT_ROWS = {"G1", "G9", "G11", "G12", "G13", "G14", "G15", "Q1", "Q2", "Q4", "S1"}


def _scalar(v: object, percent: bool) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float) and percent:
        return f"{v:.1%}"
    return _num(v) if isinstance(v, float | int) else str(v)


def _phrase_of(v: object, lang: str) -> object:
    return phrase(v, lang) if isinstance(v, str) else v


def value_text(value: object, lang: str, *, percent: bool = False) -> str:
    """Render a checklist value or threshold (a number, or a dict of parts) as text.

    Floats are shown as percentages where `percent` (shares such as G13's ratios).
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, dict):
        parts = []
        label = "均值" if lang == "zh" else "mean"
        for key, v in value.items():
            if isinstance(v, dict):
                parts.append(f"{_sec(key, lang)} {label} {_num(v['mean'])}, CV {v['cv']:.3f}")
            else:
                parts.append(f"{_sec(key, lang)} {_scalar(v, percent)}")
        return "; ".join(parts)
    return _scalar(value, percent)


def checklist_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """The 32 rows with localised name, threshold, value, status and source."""
    c = ev.checklist
    return pd.DataFrame({
        column("id", lang): c["id"],
        column("name", lang): c["name_zh"] if lang == "zh" else c["name_en"],
        column("threshold", lang): [value_text(_phrase_of(v, lang), lang,
                                               percent=i in PERCENT_ROWS)
                                    for i, v in zip(c["id"], c["threshold"], strict=True)],
        column("value", lang): [value_text(v, lang, percent=i in PERCENT_ROWS)
                                for i, v in zip(c["id"], c["value"], strict=True)],
        column("status", lang): [t(f"status_{s}", lang) for s in c["status"]],
        column("source", lang): [t(f"source_{s}", lang) for s in c["source"]],
        column("evidence", lang): c["evidence_zh" if lang == "zh" else "evidence"],
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
    lacks = lacks_by_school(ev, lang)
    out[t("lacks", lang)] = [lacks.get(k, "") for k in zip(i["school_id"], i["section"],
                                                             strict=True)]
    return out


def exclusions_table(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """The school sections left out of R1–R7, the CVs and the verdicts, and why.

    One row per school and section with pupils (a school without any: one row, no section),
    in the order of the schools layer.
    """
    x = ev.exclusions
    return pd.DataFrame({
        column("school_id", lang): x["school_id"],
        column("school", lang): x["name"],
        column("kind", lang): [t(f"kind_{k}", lang) for k in x["kind"]],
        column("section", lang): [_sec(s, lang) for s in x["section"]],
        column("students", lang): x["students"],
        column("excluded_reason", lang): [exclusion_reason(r, ev.standards, lang)
                                          for r in x["reason"]],
    })


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


def zoning_tables(ev: Evaluation, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """G13 and G1 detail: zoned ratio by school, out-of-zone students, layout problems."""
    if ev.zoned is None or ev.layout is None:
        return {}
    z = ev.zoned
    by = z.by_section
    section_rows = pd.DataFrame({
        column("section", lang): [t(s, lang) for s in by["section"]],
        column("students", lang): by["students"], column("zoned", lang): by["zoned"],
        column("ratio", lang): by["ratio"].round(4), column("minimum", lang): by["minimum"],
    })
    school = z.by_school
    schools = pd.DataFrame({
        column("school_id", lang): school["school_id"], column("school", lang): school["name"],
        column("section", lang): [t(s, lang) for s in school["section"]],
        column("students", lang): school["students"], column("zoned", lang): school["zoned"],
        column("ratio", lang): school["ratio"].round(4),
    })
    o = z.out_of_zone
    out = pd.DataFrame({
        column("unit_id", lang): o["unit_id"], column("unit_name", lang): o["unit"],
        column("section", lang): [t(s, lang) for s in o["section"]],
        column("school", lang): o["school"], column("zoned_school", lang): o["zoned_school"],
        column("students", lang): o["students"],
        column("in_scope", lang): [t("yes" if x else "no", lang) for x in o["in_scope"]],
    })
    lay = ev.layout
    summ = lay.summary
    layout = pd.DataFrame({
        column("section", lang): [t(s, lang) for s in summ["section"]],
        column("students", lang): summ["students"], column("beyond", lang): summ["beyond"],
        column("share_beyond", lang): summ["share_beyond"].round(4),
        column("units_not_nearest", lang): summ["units_not_nearest"],
        column("students_not_nearest", lang): summ["students_not_nearest"],
    })
    tl = lay.tiling
    tiling = pd.DataFrame({
        column("section", lang): [t(s, lang) for s in tl["section"]],
        column("kind", lang): [t(f"kind_{k}", lang) for k in tl["kind"]],
        column("school_ids", lang): tl["school_ids"], column("area_m2", lang): tl["area_m2"],
    })
    up = lay.unit_problems
    problems = pd.DataFrame({
        column("unit_id", lang): up["unit_id"], column("unit_name", lang): up["name"],
        column("section", lang): [t(s, lang) for s in up["section"]],
        column("catchments", lang): up["catchments"],
        column("school_ids", lang): up["school_ids"],
    })
    ud = lay.unit_distances
    names = dict(zip(ev.indicators["school_id"], ev.indicators["name"], strict=False))
    distances = pd.DataFrame({
        column("unit_id", lang): ud["unit_id"],
        column("section", lang): [t(s, lang) for s in ud["section"]],
        column("zoned_school", lang): ud["zoned_school_id"].map(names).fillna(
            ud["zoned_school_id"]),
        column("zoned_distance_m", lang): ud["zoned_distance_m"].round(0),
        column("nearest_school_id", lang): ud["nearest_school_id"],
        column("nearest_distance_m", lang): ud["nearest_distance_m"].round(0),
        column("children", lang): ud["children"], column("saved_m", lang): ud["saved_m"].round(0),
    })
    return {"sections": section_rows, "schools": schools, "out_of_zone": out,
            "layout": layout, "tiling": tiling, "unit_problems": problems,
            "unit_distances": distances}


def lacks_by_school(ev: Evaluation, lang: str = "zh") -> dict[tuple[str, str], str]:
    """Return, per (school_id, section), what it lacks to pass: "R2 +4 名教师; R6 +…"."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in ev.gaps.to_dict("records"):
        amount = f"{r['add']:,.0f}" if r["unit"] != "m2" else f"{r['add']:,.1f}"
        out.setdefault((r["school_id"], r["section"]), []).append(
            f"{r['id']} +{amount} {t('unit_' + r['unit'], lang)}")
    return {k: "; ".join(v) for k, v in out.items()}


def failing_by_reason(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """Count failing school sections by indicator missed, and cap violations by rule."""
    missed = ev.indicators.loc[~ev.indicators["compliant"], "missed"].str.split(",")
    counts = {column(rid, lang): int(missed.apply(lambda m, r=rid: r in m).sum())
              for rid in RESOURCE_IDS}
    for rule in ("size", "class_primary", "class_junior"):
        counts[t(f"rule_{rule}", lang)] = int((ev.caps["rule"] == rule).sum())
    return pd.DataFrame({column("rule", lang): list(counts),
                         t("schools", lang): list(counts.values())})


def cv_chart(ev: Evaluation, section: str, lang: str = "zh") -> pd.DataFrame:
    """The CVs of a section beside their limit, indexed by indicator (for a bar chart)."""
    part = ev.cvs[(ev.cvs["id"] != "combined") & (ev.cvs["section"] == section)]
    return pd.DataFrame({column("cv", lang): part["cv"].to_numpy(),
                         column("limit", lang): part["limit"].to_numpy()},
                        index=[column(i, lang) for i in part["id"]])


def change_tables(d, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The live panel: checklist rows whose status changes, caps fixed or new, zoned ratios."""
    changed = d.checklist[d.checklist["status_a"] != d.checklist["status_b"]]
    rows = pd.DataFrame({
        column("id", lang): changed["id"],
        column("name", lang): changed["name_zh" if lang == "zh" else "name_en"],
        t("before", lang): [t(f"status_{s}", lang) for s in changed["status_a"]],
        t("after", lang): [t(f"status_{s}", lang) for s in changed["status_b"]],
    })
    caps = pd.DataFrame({
        column("school_id", lang): d.caps["school_id"], column("school", lang): d.caps["name"],
        column("rule", lang): [t(f"rule_{r}", lang) for r in d.caps["rule"]],
        t("after", lang): [t(f"cap_{c}", lang) for c in d.caps["change"]],
    })
    zoned = pd.DataFrame({column("section", lang): [t(s, lang) for s in d.zoned["section"]],
                          t("before", lang): d.zoned["ratio_a"].round(4),
                          t("after", lang): d.zoned["ratio_b"].round(4)})
    return {"rows": rows, "caps": caps, "zoned": zoned}


def verdict_text(ev: Evaluation, lang: str = "zh") -> str:
    """One line: the verdict and the counts behind it."""
    s = ev.summary()
    counts = t("summary_counts", lang, passed=s["pass"], failed=s["fail"],
               missing=s["missing"], failing=s["school_sections_failing"],
               sections=s["school_sections"])
    return f"{t('verdict', lang)}: {t(f'verdict_{ev.verdict}', lang)} — {counts}"


def schema_header(name: str, lang: str) -> str:
    """A workspace column's header as the reader knows it (the template's Chinese header)."""
    from planner.schema import LAYER_COLUMNS

    if lang != "zh" or not isinstance(name, str):
        return name
    zh = {c.name: c.zh for cols in LAYER_COLUMNS.values() for c in cols}
    return zh.get(name, name)


def roadmap_tables(road, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A roadmap's actions and money by year, with headers and words in `lang`."""
    a = road.actions.copy()
    a["action"] = [t(f"act_{x}", lang) for x in a["action"]]
    a["reason"] = [t(f"why_{x}", lang) for x in a["reason"]]
    a["key"] = [column(i, lang) for i in a["id"]]
    if "unit" in a:
        a["unit"] = [t(f"unit_{u}", lang) if has(f"unit_{u}") else u for u in a["unit"]]
    if "section" in a:
        a["section"] = ["、".join(_sec(x, lang) for x in str(s).split(",")) if lang == "zh"
                        else ", ".join(_sec(x, lang) for x in str(s).split(","))
                        for s in a["section"]]
    if "column" in a:
        a["column"] = [schema_header(c, lang) for c in a["column"]]
    a = a.drop(columns=["id"]).rename(columns=lambda c: column(c, lang))
    return a, road.by_year.rename(columns=lambda c: column(c, lang))


def plan_tables(record, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """A plan of record's sheets (planner.record.Record), headers and words in `lang`.

    Keys: actions, rows (year × checklist row status), sections (year × school section),
    money, teachers, confirm (the entered rows to confirm).
    """
    a = record.actions.copy()
    a["action"] = [t(f"plan_act_{x}", lang) for x in a["action"]]
    a["unit"] = [t(f"unit_{u}", lang) if has(f"unit_{u}") else u for u in a["unit"]]
    a["section"] = [("、" if lang == "zh" else ", ").join(_sec(x, lang) for x in str(s).split(",")
                                                          if x) for s in a["section"]]
    a["why"] = a["why_zh"] if lang == "zh" else a["why_en"]
    a["until"] = [None if u != u or u is None else int(u) for u in a["until"]]
    a = a[["year", "until", "action", "row", "school_id", "name", "section", "quantity",
           "unit", "partner_school_id", "one_off_yuan", "yearly_yuan", "why"]]
    rows = record.checklist.pivot(index="id", columns="year", values="status")
    rows = rows.loc[[i for i in record.checklist["id"].drop_duplicates()]]
    rows = rows.map(lambda x: t(f"status_{x}", lang) if has(f"status_{x}") else x)
    rows = rows.reset_index().rename(columns={"id": column("id", lang)})
    rows.columns = [str(c) for c in rows.columns]
    sec = record.sections.copy()
    sec["section"] = [_sec(x, lang) for x in sec["section"]]
    confirm = record.to_confirm.copy()
    confirm["name"] = confirm["name_zh"] if lang == "zh" else confirm["name_en"]
    confirm["evidence"] = confirm["evidence_zh"] if lang == "zh" else confirm["evidence"]
    confirm["status"] = [t(f"status_{x}", lang) if has(f"status_{x}") else x
                         for x in confirm["status"]]
    confirm = confirm[["id", "name", "status", "evidence"]]
    named = {k: v.rename(columns=lambda c: column(c, lang)) for k, v in (
        ("actions", a), ("sections", sec), ("money", record.money),
        ("teachers", record.teachers), ("confirm", confirm))}
    return {"actions": named["actions"], "rows": rows, "sections": named["sections"],
            "money": named["money"], "teachers": named["teachers"],
            "confirm": named["confirm"]}


def problems_table(exc, lang: str = "zh") -> pd.DataFrame:
    """The located problems of an InputError: file, sheet or layer, row, column, message."""
    return pd.DataFrame({
        column("problem_file", lang): [p.file for p in exc.problems],
        column("problem_layer", lang): [p.layer for p in exc.problems],
        column("problem_row", lang): [None if p.row is None else int(p.row)
                                      for p in exc.problems],
        column("problem_column", lang): [p.column for p in exc.problems],
        column("problem_message", lang): [p.message for p in exc.problems],
    }).astype({column("problem_row", lang): "Int64"})


# ---- the app's views ---------------------------------------------------------------------

_PHRASES = ((re.compile(r"^tiling; one catchment per unit$"), "thr_tiling"),
            (re.compile(r"^all (\d+) schools$"), "thr_all_schools"))


def phrase(text: str, lang: str) -> str:
    """Translate the few English phrases the checklist writes as thresholds; else unchanged."""
    for pattern, key in _PHRASES:
        m = pattern.match(text)
        if m:
            return t(key, lang, n=m.group(1)) if m.groups() else t(key, lang)
    return text


def indicator_status(ev: Evaluation) -> pd.DataFrame:
    """Per school section and R1–R7: "pass" (meets), "warn" (≥ 85 %) or "fail" (below).

    The marks of :func:`planner.indicators.compliance`, the one rule.
    """
    ind = ev.indicators
    values = ind[list(RESOURCE_KEYS)].to_numpy(dtype=float)
    ok, floor_ok, _ = compliance(values, threshold_matrix(ind["section"] == "junior",
                                                          ev.standards), ev.standards)
    marks = np.where(ok, "pass", np.where(floor_ok, "warn", "fail"))
    return pd.DataFrame(marks, columns=list(RESOURCE_IDS), index=ind.index)


def schools_view(ev: Evaluation, lang: str = "zh", townships: pd.Series | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The app's schools table and the status of each of its cells.

    What a school section lacks comes first after its name, then township, kind, section,
    pupils, R1–R7, indicators met and the verdict. The second frame has the same shape and
    says "pass", "warn" or "fail" where a cell is coloured, "" elsewhere.
    """
    base = schools_table(ev, lang)
    i = ev.indicators
    town = (townships.reindex(i["school_id"].astype(str)).fillna("").to_numpy()
            if townships is not None else [""] * len(i))
    cols = [column("school", lang), t("lacks", lang)]
    view = base[cols].copy()
    view.insert(2, t("township", lang), town)
    for c in ("kind", "section", "students"):
        view[column(c, lang)] = base[column(c, lang)]
    for rid in RESOURCE_IDS:
        view[column(rid, lang)] = base[column(rid, lang)]
    view[column("met", lang)] = base[column("met", lang)]
    view[column("compliant", lang)] = base[column("compliant", lang)]
    view[column("school_id", lang)] = base[column("school_id", lang)]
    status = pd.DataFrame("", index=view.index, columns=view.columns)
    marks = indicator_status(ev)
    for rid in RESOURCE_IDS:
        status[column(rid, lang)] = marks[rid].to_numpy()
    status[column("compliant", lang)] = np.where(i["compliant"], "pass", "fail")
    status[t("lacks", lang)] = np.where(i["compliant"], "", "fail")
    return view.reset_index(drop=True), status.reset_index(drop=True)


def styled(frame: pd.DataFrame, status: pd.DataFrame):
    """Return a pandas Styler colouring each cell by its status (pass / warn / fail)."""
    colours = {k: f"background-color: {v}" for k, v in CELL_FILLS.items()}
    css = status.apply(lambda col: [colours.get(v, "") for v in col])
    return frame.style.apply(lambda _: css, axis=None).format(precision=3, thousands="")


def checklist_status(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """The checklist's status cells for :func:`styled` (missing data in yellow)."""
    table = checklist_table(ev, lang)
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    status[column("status", lang)] = [{"pass": "pass", "fail": "fail", "missing": "warn"}[s]
                                      for s in ev.checklist["status"]]
    return status


def move_targets(plan, unit_id: str, section: str) -> list[tuple[str, float]]:
    """Schools a unit may be re-zoned to, nearest by road first: (school_id, metres).

    Schools the plan's distances do not reach come last, with an infinite distance.
    """
    ids = [str(s) for s in plan.school_ids[plan.teaches(section)]]
    dist = plan.distances
    if dist is None:
        return [(s, float("inf")) for s in ids]
    row = np.flatnonzero(dist.unit_ids.astype(str) == str(unit_id))
    col = {str(s): j for j, s in enumerate(dist.school_ids)}
    metres = {s: float(dist.matrix[row[0], col[s]]) if len(row) and s in col else float("inf")
              for s in ids}
    return sorted(metres.items(), key=lambda kv: (kv[1], kv[0]))


def distance_text(metres: float, lang: str) -> str:
    """"1.2 公里" / "850 m"-style text of a road distance; "—" when unreachable."""
    if not np.isfinite(metres):
        return "—"
    if metres >= 1000:
        return f"{metres / 1000:.1f} {t('unit_km', lang)}"
    return f"{metres:.0f} {t('unit_m', lang)}"


def unit_card(plan, ev: Evaluation, unit_id: str, lang: str = "zh",
              township: str = "") -> pd.DataFrame:
    """A clicked unit: name, code, township, children and zoned school per section."""
    u = plan.ws.units.set_index(plan.ws.units["unit_id"].astype(str)).loc[str(unit_id)]
    names = dict(zip(plan.ws.schools["school_id"].astype(str), plan.ws.schools["name"],
                     strict=True))
    rows = [(t("units", lang), u["name"]), (column("unit_id", lang), str(unit_id))]
    if township:
        rows.append((t("township", lang), township))
    for sec in SECTIONS:
        kids = int(sum(u[f"g{g}"] for g in plan.standards.grades(sec)))
        zoned = plan.zoning.at[unit_id, sec] if unit_id in plan.zoning.index else None
        where = names.get(str(zoned), "—") if zoned is not None and zoned == zoned else "—"
        d = dict(move_targets(plan, unit_id, sec)).get(str(zoned), float("inf")) \
            if where != "—" else float("inf")
        rows.append((f"{t(sec, lang)} · {column('children', lang)}", f"{kids:,}"))
        rows.append((f"{t(sec, lang)} · {column('zoned_school', lang)}",
                     f"{where}（{distance_text(d, lang)}）" if lang == "zh"
                     else f"{where} ({distance_text(d, lang)})"))
    if ev.zoned is not None:
        out = ev.zoned.out_of_zone
        n = int(out.loc[out["unit_id"].astype(str) == str(unit_id), "students"].sum())
        rows.append((t("out_of_zone_pupils", lang), f"{n:,}"))
    return pd.DataFrame(rows, columns=[t("item", lang), column("value", lang)])


def school_card(ev: Evaluation, ws, school_id: str, lang: str = "zh",
                township: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A clicked school: facts, its sections' R1–R7 (with status), and what it lacks."""
    s = ws.schools.set_index(ws.schools["school_id"].astype(str)).loc[str(school_id)]
    facts = [(t("schools", lang), s["name"]), (column("school_id", lang), str(school_id)),
             (column("kind", lang), t(f"kind_{s['kind']}", lang))]
    if township:
        facts.append((t("township", lang), township))
    facts.append((t("students", lang), f"{int(s['students_primary'] + s['students_junior']):,}"))
    caps = ev.caps[ev.caps["school_id"].astype(str) == str(school_id)]
    for rec in caps.to_dict("records"):
        facts.append((t(f"rule_{rec['rule']}", lang),
                      f"{rec['value']} > {rec['cap']}"))
    view, status = schools_view(ev, lang)
    mask = (view[column("school_id", lang)].astype(str) == str(school_id)).to_numpy()
    keep = [column("section", lang), *[column(r, lang) for r in RESOURCE_IDS],
            column("met", lang), column("compliant", lang)]
    table = view.loc[mask, keep].T
    marks = status.loc[mask, keep].T
    table.columns = marks.columns = [str(x) for x in view.loc[mask, column("section", lang)]]
    table, marks = table.iloc[1:], marks.iloc[1:]
    lacks = view.loc[mask, [column("section", lang), t("lacks", lang)]]
    lacks = lacks[lacks[t("lacks", lang)] != ""]
    return (pd.DataFrame(facts, columns=[t("item", lang), column("value", lang)]),
            table.astype(str).reset_index(names=t("item", lang)),
            lacks.reset_index(drop=True))


def optimise_lines(proposed, lang: str = "zh") -> list[str]:
    """The optimiser's result in the reader's language.

    Objective, bounds, travel, baselines, and what it changes beside travel (passes, CVs,
    G4, G5, G13) in the first and the last year checked.
    """
    from planner import optimize as op

    result = proposed.result
    inst, s = result.instance, op.summary(result)
    lines = [t("opt_line_objective", lang, section=t(inst.section, lang),
               status=t(f"opt_status_{s['status']}", lang), seconds=s["seconds"],
               objective=s["objective"], weight=inst.change_weight_m),
             t("opt_line_bounds", lang, lp=s["lp_bound"], lp_gap=s["lp_gap"],
               best=s["best_bound"], gap=s["gap"]) if np.isfinite(s["lp_bound"]) else
             t("opt_line_bounds_no_lp", lang, best=s["best_bound"], gap=s["gap"]),
             t("opt_line_travel", lang, km=s["travel_km"], mean=s["mean_m"],
               units=s["units_moved"], pupils=s["pupils_changing_school"])]
    pupils = max(int(inst.demand[:, inst.last()].sum()), 1)
    now = float((inst.present * np.where(np.isfinite(inst.dist), inst.dist, 0)).sum())
    lines.append(t("opt_line_today", lang, km=now / 1000, mean=now / pupils))
    g = op.greedy(inst)
    if g is None:
        lines.append(t("opt_line_greedy_none", lang))
    else:
        broken = sum(1 for v in op.violations(inst, g) if "contiguous" in v)
        lines.append(t("opt_line_greedy", lang, km=inst.travel(g) / 1000,
                       mean=inst.travel(g) / pupils, broken=broken))
    if result.disruption is not None:
        from planner.optimize.disruption import gain_lines

        lines += gain_lines(inst, result.disruption, result.assign, lang)
    return lines + op.impact_lines(proposed, inst.section, lang)


def frontier_table(plans, lang: str = "zh") -> pd.DataFrame:
    """The frontier's plans as a table in the reader's language."""
    from planner import optimize as op

    rows = []
    for i, p in enumerate(plans, start=1):
        s = op.summary(p.result)
        n_pass, n = op.passes(p.result.instance, p.result.assign) if \
            p.result.instance.ind is not None else (0, 0)
        rows.append({t("frontier_plan", lang): i,
                     t("frontier_target", lang): t("frontier_least_travel", lang)
                     if p.target is None else f"{p.target:.3f}",
                     t("frontier_km", lang): round(s["travel_km"]),
                     t("frontier_changing", lang): s["pupils_changing_school"],
                     t("frontier_max_cv", lang): round(p.max_cv, 3),
                     t("frontier_passing", lang): f"{n_pass} / {n}"})
    return pd.DataFrame(rows)
