"""A projection year by year as files: CSV (children), workbook and JSON (every table)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from planner.i18n import column, t
from planner.io.gpkg import atomic_write
from planner.io.tables import write_csv
from planner.report.excel import _sheet


def county_table(county: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Children and pupils by year and section, with the low–high band, in `lang`."""
    c = county
    return pd.DataFrame({
        column("year", lang): c["year"],
        column("section", lang): [t(sec, lang) for sec in c["section"]],
        column("children", lang): c["children"].astype("int64"),
        column("children_low", lang): c["low"].astype("int64"),
        column("children_high", lang): c["high"].astype("int64"),
        column("pupils", lang): c["pupils"],
        column("pupils_low", lang): c["pupils_low"],
        column("pupils_high", lang): c["pupils_high"],
    })


def schools_table(schools: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Pupils, classes, places and caps by school section and year, in `lang`."""
    s = schools
    out = pd.DataFrame({
        column("year", lang): s["year"],
        column("school_id", lang): s["school_id"],
        column("school", lang): s["name"],
        column("kind", lang): [t(f"kind_{k}", lang) for k in s["kind"]],
        column("section", lang): [t(sec, lang) for sec in s["section"]],
    })
    for key in ("pupils", "pupils_low", "pupils_high", "classes_needed", "classes",
                "largest_class", "places"):
        out[column(key, lang)] = s[key].to_numpy()
    out[column("binding", lang)] = [t(f"binding_{b}", lang) if b else "" for b in s["binding"]]
    out[column("size", lang)] = s["size"].to_numpy()
    out[column("size_cap", lang)] = s["size_cap"].to_numpy()
    return out


def crossings_table(crossings: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The years each school section is over (or under) a line, in `lang`."""
    x = crossings
    return pd.DataFrame({
        column("school_id", lang): x["school_id"],
        column("school", lang): x["name"],
        column("section", lang): [t(sec, lang) for sec in x["section"]],
        column("crossing", lang): [t(f"crossing_{r}", lang) for r in x["rule"]],
        column("years", lang): x["years"],
        column("no_longer_from", lang): x["ends"].astype(object).where(x["ends"].notna(), None),
    })


def rates_table(rates, lang: str = "zh") -> pd.DataFrame:
    """The progression and migration rates a projection used, in `lang`."""
    names = [t("rate_progression", lang, grade=g) for g in range(2, 10)]
    names += [t(f"rate_migration_{a}", lang) for a in rates.migration]
    return pd.DataFrame({column("rate", lang): names,
                         column("value", lang): [*rates.progression[1:],
                                                 *rates.migration.values()]})


def year_tables(years, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The projection's tables in the reader's language, by sheet name.

    County totals by section and year (with the low–high band), pupils and classes by school
    and year, the crossings, and the rates used.
    """
    return {t("sheet_years_county", lang): county_table(years.county, lang),
            t("sheet_years_schools", lang): schools_table(years.schools, lang),
            t("sheet_crossings", lang): crossings_table(years.crossings, lang),
            t("sheet_rates", lang): rates_table(years.projection.rates, lang)}


def write_years(years, path: str | Path, *, lang: str = "zh") -> Path:
    """Write a projection: .csv (children by year, unit and grade), .xlsx or .json (all)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, years.projection.long())
    if suffix == ".json":
        data = {"scenario": years.scenario, "notes": list(years.notes),
                "county": years.county.to_dict("records"),
                "schools": years.schools.to_dict("records"),
                "crossings": years.crossings.astype(object).where(
                    years.crossings.notna(), None).to_dict("records"),
                "rates": _rates(years.projection.rates),
                "children": years.projection.long().to_dict("records")}
        text = json.dumps(data, ensure_ascii=False, default=_plain, allow_nan=False)
        return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in year_tables(years, lang).items():
        _sheet(wb, title, frame)
    notes = pd.DataFrame({column("note", lang): list(years.notes) or ["—"]})
    _sheet(wb, t("sheet_notes", lang), notes, {1: 120})
    return atomic_write(path, wb.save)


def _rates(rates) -> dict:
    """The rates a projection used, for JSON (entry ratios are per unit: only their source)."""
    return {"progression": [float(v) for v in rates.progression],
            "migration": {k: float(v) for k, v in rates.migration.items()},
            "sources": dict(rates.sources)}


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else str(value)
