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
    """The entry, progression and migration rates a projection used, in `lang`."""
    names = [t("rate_entry_county", lang), t("rate_cutoff_share", lang)]
    names += [t("rate_progression", lang, grade=g) for g in range(2, 10)]
    names += [t(f"rate_migration_{a}", lang) for a in rates.migration]
    return pd.DataFrame({column("rate", lang): names,
                         column("value", lang): [rates.county_entry, rates.cutoff_share,
                                                 *rates.progression[1:],
                                                 *rates.migration.values()]})


def band_table(rates, standards, lang: str = "zh") -> pd.DataFrame:
    """What drives the low–high band: each rate's low, central and high value, in `lang`."""
    from planner.projection import band_rows

    b = pd.DataFrame(band_rows(rates, standards))
    return pd.DataFrame({column("driver", lang): [t(f"driver_{d}", lang) for d in b["driver"]],
                         column("low", lang): b["low"], column("central", lang): b["central"],
                         column("high", lang): b["high"],
                         column("source", lang): [t(f"band_source_{v}", lang)
                                                  for v in b["source"]]})


def band_changes_table(changes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The crossings whose years differ in the low or high variant, in `lang`."""
    x = changes
    return pd.DataFrame({
        column("school_id", lang): x["school_id"], column("school", lang): x["name"],
        column("section", lang): [t(sec, lang) for sec in x["section"]],
        column("crossing", lang): [t(f"crossing_{r}", lang) for r in x["rule"]],
        column("years_central", lang): x["years_central"],
        column("years_low", lang): x["years_low"], column("years_high", lang): x["years_high"],
    })


def _item(level: str, item: object, lang: str) -> str:
    return t(str(item), lang) if level != "grade" else str(item)


def backtest_table(backtest, lang: str = "zh") -> pd.DataFrame:
    """The hindcast's errors by level, item and horizon, in `lang`."""
    s = backtest.summary
    out = pd.DataFrame({
        column("level", lang): [t(f"level_{v}", lang) for v in s["level"]],
        column("item", lang): [_item(lv, it, lang) for lv, it in zip(s["level"], s["item"],
                                                                      strict=True)],
        column("horizon", lang): s["horizon"], column("cases", lang): s["cases"]})
    for key in ("mean_abs_pct", "largest_abs_pct", "largest_abs", "mean_pct"):
        out[column(key, lang)] = s[key].round(2).to_numpy()
    return out


def backtest_cases_table(backtest, lang: str = "zh") -> pd.DataFrame:
    """Every comparison of the hindcast (projected against actual), in `lang`."""
    c = backtest.comparisons
    return pd.DataFrame({
        column("level", lang): [t(f"level_{v}", lang) for v in c["level"]],
        column("item", lang): [_item(lv, it, lang) for lv, it in zip(c["level"], c["item"],
                                                                      strict=True)],
        column("place", lang): c["key"], column("origin", lang): c["origin"],
        column("year", lang): c["year"], column("horizon", lang): c["horizon"],
        column("predicted", lang): c["predicted"].round(1).to_numpy(),
        column("actual", lang): c["actual"].to_numpy()})


def year_tables(years, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The projection's tables in the reader's language, by sheet name.

    County totals by section and year (with the low–high band), pupils and classes by school
    and year, the crossings, and the rates used.
    """
    out = {t("sheet_years_county", lang): county_table(years.county, lang),
           t("sheet_years_schools", lang): schools_table(years.schools, lang),
           t("sheet_crossings", lang): crossings_table(years.crossings, lang),
           t("sheet_rates", lang): rates_table(years.projection.rates, lang),
           t("sheet_band", lang): band_table(years.projection.rates, years.standards, lang)}
    if years.band_changes is not None:
        out[t("sheet_band_changes", lang)] = band_changes_table(years.band_changes, lang)
    if years.backtest is not None:
        out[t("sheet_backtest", lang)] = backtest_table(years.backtest, lang)
        out[t("sheet_backtest_cases", lang)] = backtest_cases_table(years.backtest, lang)
    return out


def write_years(years, path: str | Path, *, lang: str = "zh") -> Path:
    """Write a projection: .csv (children by year, unit and grade), .xlsx or .json (all)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, years.projection.long())
    if suffix == ".json":
        from planner.projection import band_rows

        data = {"scenario": years.scenario, "notes": list(years.notes),
                "county": years.county.to_dict("records"),
                "schools": years.schools.to_dict("records"),
                "crossings": years.crossings.astype(object).where(
                    years.crossings.notna(), None).to_dict("records"),
                "rates": _rates(years.projection.rates),
                "band": band_rows(years.projection.rates, years.standards),
                "band_changes": ([] if years.band_changes is None
                                 else years.band_changes.to_dict("records")),
                "backtest": None if years.backtest is None else {
                    "origins": list(years.backtest.origins),
                    "summary": years.backtest.summary.astype(object).where(
                        years.backtest.summary.notna(), None).to_dict("records")},
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
    return {"entry_county": float(rates.county_entry),
            "cutoff_share": float(rates.cutoff_share),
            "entry_years": list(rates.entry_years),
            "progression": [float(v) for v in rates.progression],
            "migration": {k: float(v) for k, v in rates.migration.items()},
            "sources": dict(rates.sources)}


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else str(value)
