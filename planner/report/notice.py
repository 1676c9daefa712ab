"""The catchment notice (招生划片范围公告) a bureau publishes each spring: its content, once.

:func:`notice_content` gathers what the notice says — the admission year and entry grade, each
public school with its address, phone and catchment (villages grouped by township, a name
qualified wherever it is not unique), private schools apart (报名 and 摇号, no catchment), the
schools a scenario closes with where their pupils go and the bus, the clauses (admission
conditions, enrolled pupils, siblings, special groups), the issuing body and date. The HTML
page (:func:`render_notice`) and the Word document (planner/report/docx.py) both print it.

The clauses are text the bureau edits once in the workspace (the settings 设置, keys
:data:`NOTICE_SETTINGS`); where a key is not set, the default is printed marked as a default
for the bureau to review.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.i18n import t
from planner.report.escape import html_text
from planner.report.figures import catchment_svg
from planner.report.html import CSS, _table
from planner.schema import NOTICE_SETTINGS, SECTIONS
from planner.workspace import Workspace

CLAUSES = ("notice_conditions", "notice_dates", "notice_enrolled", "notice_siblings",
           "notice_special")


@dataclass(frozen=True)
class SchoolEntry:
    """One school of the notice: its number on the map, name, address, phone and catchment."""

    number: int
    school_id: str
    name: str
    address: str
    phone: str
    units: tuple[str, ...]  # as printed: "荇垣乡：东苕店村、…" per township
    unit_ids: tuple[str, ...]


@dataclass(frozen=True)
class Notice:
    """What the notice says (see the module docstring)."""

    title: str
    year: int | None
    entry: str  # "2027 年秋季一年级新生" …
    synthetic: bool
    intro: str
    public: dict[str, list[SchoolEntry]]  # by section
    private: list[SchoolEntry]  # listed apart; `units` are those still zoned to them
    special: list[SchoolEntry]  # special-education schools: the whole county, no catchment
    closed: list[tuple[str, str, str]]  # (school, where its pupils go, bus)
    clauses: list[tuple[str, str, bool]]  # (heading, text, is the default)
    issuer: tuple[str, bool]
    date: tuple[str, bool]


def setting(ws: Workspace, key: str, lang: str, **values: object) -> tuple[str, bool]:
    """A notice setting of the workspace, or its marked default: (text, is the default)."""
    given = dict(ws.meta.notice).get(key, "")
    if given:
        return given, False
    return f"{t(NOTICE_SETTINGS[key][1], lang, **values)}{t('notice_default_mark', lang)}", True


def notice_content(ws: Workspace, zoning: pd.DataFrame, *, year: int | None = None,
                   closures: tuple = (), lang: str = "zh") -> Notice:
    """Gather the notice of a layout: `zoning` (unit → school by section) in school `year`.

    `year` is the autumn of admission (default: the year after the workspace's); `closures`
    the scenario's closure cases (planner/session.py ClosureCase).
    """
    zh = lang == "zh"
    county = (ws.meta.name or ("本县" if zh else "the county")).split("（")[0]
    if year is None and ws.meta.year is not None:
        year = ws.meta.year + 1
    entry = (t("notice_entry", lang, year=year) if year is not None
             else t("notice_entry_no_year", lang))
    title = t("notice_title", lang, county=county, year=year if year is not None else "")
    schools = ws.schools.set_index("school_id")
    public = {sec: [] for sec in SECTIONS}
    private: list[SchoolEntry] = []
    label = unit_labels(ws, lang)
    for sec in SECTIONS:
        z = zoning[sec].dropna()
        zoned_to = sorted(set(z))
        pub = [sid for sid in zoned_to if bool(schools.at[sid, "public"])]
        for number, sid in enumerate(pub, start=1):  # the numbers on the section's map
            public[sec].append(_entry(schools, sid, number, tuple(sorted(z.index[z == sid])),
                                      label, lang))
    private = [_entry(schools, sid, 0, tuple(sorted(
        u for sec in SECTIONS for u, s in zoning[sec].dropna().items() if s == sid)), label, lang)
        for sid in schools.index[~schools["public"].astype(bool)]]
    special = [_entry(schools, sid, 0, (), label, lang)
               for sid in schools.index[(schools["kind"] == "special").to_numpy()]]
    closed = [_closed(c, lang) for c in closures
              if year is None or (c.first_year or c.close_year or year) <= year]
    keys = [*CLAUSES, *(["notice_private"] if private else []),
            *(["notice_closed"] if closed else []), "notice_hotline"]
    clauses = [(numbered(k, t(f"{key}_head", lang), lang),
                *setting(ws, key, lang, county=county)) for k, key in enumerate(keys, start=1)]
    issuer = setting(ws, "notice_issuer", lang, county=county)
    date = setting(ws, "notice_date", lang)
    return Notice(title=title, year=year, entry=entry, synthetic=ws.meta.synthetic,
                  intro=t("notice_intro", lang, entry=entry), public=public, private=private,
                  special=special, closed=closed, clauses=clauses, issuer=issuer, date=date)


def unit_labels(ws: Workspace, lang: str) -> dict[str, tuple[str, str]]:
    """Each unit's township and name as printed.

    The name carries its code where two units of one township share it; the township is ""
    where the units have none.
    """
    u = ws.units
    town = u["township"].fillna("").astype(str) if "township" in u else pd.Series("", u.index)
    names = u["name"].astype(str)
    twice = pd.Series(list(zip(town, names, strict=True))).duplicated(keep=False).to_numpy()
    return {uid: (tw, f"{n}（{uid}）" if lang == "zh" else f"{n} ({uid})") if dup else (tw, n)
            for uid, tw, n, dup in zip(u["unit_id"], town, names, twice, strict=True)}


def catchment_lines(unit_ids, label: dict[str, tuple[str, str]], lang: str) -> tuple[str, ...]:
    """A catchment as printed: one line per township, its units' names in order."""
    by_town: dict[str, list[str]] = {}
    for uid in unit_ids:
        town, name = label[uid]
        by_town.setdefault(town, []).append(name)
    sep, colon = ("、", "：") if lang == "zh" else (", ", ": ")
    return tuple(f"{town}{colon}{sep.join(sorted(names))}" if town else sep.join(sorted(names))
                 for town, names in sorted(by_town.items()))


def _entry(schools: pd.DataFrame, sid: str, number: int, ids: tuple, label, lang: str
           ) -> SchoolEntry:
    def text(col: str) -> str:
        v = schools.at[sid, col] if col in schools.columns else None
        return "" if v is None or pd.isna(v) else str(v)

    return SchoolEntry(number=number, school_id=sid, name=str(schools.at[sid, "name"]),
                       address=text("address") or t("notice_not_given", lang),
                       phone=text("phone") or t("notice_not_given", lang),
                       units=catchment_lines(ids, label, lang), unit_ids=ids)


def _closed(case, lang: str) -> tuple[str, str, str]:
    """A closing school as the notice lists it: name and years, where its villages go, bus."""
    zh = lang == "zh"
    if case.staged and case.first_year and case.first_year != case.close_year:
        head = t("notice_staged_school", lang, name=case.name, first=case.first_year,
                 year=case.close_year)
    else:
        head = t("notice_closed_school", lang, name=case.name, year=case.close_year or "")
    names = dict(zip(case.receiving["school_id"], case.receiving["name"], strict=True)) \
        if len(case.receiving) else {case.into: case.into_name}
    by_school: dict[str, list[str]] = {}
    for rec in case.units.to_dict("records") if len(case.units) else []:
        bus = "" if rec["walk"] else ("（校车）" if zh else " (bus)")
        by_school.setdefault(names.get(rec["to_school"], rec["to_school"]), []).append(
            f"{rec['unit']}{bus}")
    sep, colon, semi = ("、", "：", "；") if zh else (", ", ": ", "; ")
    into = semi.join(f"{school}{colon}{sep.join(units)}" for school, units in by_school.items())
    bus = int(case.cost.get("bus_pupils", 0))
    return (head, into or case.into_name,
            t("notice_bus_yes", lang, n=bus) if bus else t("notice_bus_no", lang))


def numbered(k: int, head: str, lang: str) -> str:
    """A clause's heading with its number: 一、入学条件。 / 1. Conditions."""
    if lang != "zh":
        return f"{k}. {head}."
    digits = "一二三四五六七八九十"
    return f"{digits[k - 1] if k <= 10 else k}、{head}。"


def render_notice(ws: Workspace, zoning: pd.DataFrame, *, year: int | None = None,
                  closures: tuple = (), lang: str = "zh", notice: Notice | None = None) -> str:
    """Return the notice as an HTML page (every text escaped; maps as SVG).

    `notice`: its content gathered already (:func:`notice_content` of the same layout).
    """
    n = notice if notice is not None else notice_content(ws, zoning, year=year,
                                                          closures=closures, lang=lang)
    zh = lang == "zh"
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if zh else 'en'}\"><head><meta charset=\"utf-8\">"
        f"<title>{html_text(n.title)}</title><style>{CSS} td:nth-child(5) {{ width: 40%; }}"
        " .default { color: #8a6d00; }</style></head><body>",
        f"<h1>{html_text(n.title)}</h1>",
    ]
    if n.synthetic:
        parts.append(f"<div class=\"banner\">{html_text(t('synthetic_banner', lang))}</div>")
    parts.append(f"<p>{html_text(n.intro)}</p>")
    for sec in SECTIONS:
        entries = n.public[sec]
        parts.append(f"<h2>{html_text(t(sec, lang))}</h2>")
        if entries and ws.units is not None:
            numbers = {e.school_id: e.number for e in entries}
            svg = catchment_svg(ws, zoning, sec, numbers, lang=lang, salt=f"notice-{sec}")
            parts.append(f"<div class=\"figure\">{svg}</div>")
        parts.append(_table(school_table(entries, lang)))
    if n.private:
        parts += [f"<h2>{html_text(t('notice_private_head', lang))}</h2>",
                  _table(private_table(n.private, lang))]
    if n.special:
        parts += [f"<h2>{html_text(t('notice_special_schools', lang))}</h2>",
                  _table(special_table(n.special, lang))]
    if n.closed:
        parts += [f"<h2>{html_text(t('notice_closed_head', lang))}</h2>",
                  _table(closed_table(n.closed, lang))]
    parts.append(f"<h2>{html_text(t('notice_clauses', lang))}</h2>")
    for head, text, default in n.clauses:
        cls = " class=\"default\"" if default else ""
        parts.append(f"<p{cls}><b>{html_text(head)}</b> {html_text(text)}</p>")
    parts += [f"<p style=\"text-align: right\">{html_text(n.issuer[0])}<br>"
              f"{html_text(n.date[0])}<br>{html_text(t('notice_seal', lang))}</p>",
              "</body></html>"]
    return "\n".join(parts)


def school_table(entries: list[SchoolEntry], lang: str) -> pd.DataFrame:
    """The public schools of a section: number, name, address, phone, catchment."""
    return pd.DataFrame({
        t("notice_col_number", lang): [e.number for e in entries],
        t("notice_col_school", lang): [e.name for e in entries],
        t("notice_col_address", lang): [e.address for e in entries],
        t("notice_col_phone", lang): [e.phone for e in entries],
        t("notice_col_units", lang): ["；".join(e.units) if lang == "zh" else "; ".join(e.units)
                                      for e in entries]})


def private_table(entries: list[SchoolEntry], lang: str) -> pd.DataFrame:
    """Private schools: name, address, phone, and any units still zoned to them (to move)."""
    return pd.DataFrame({
        t("notice_col_school", lang): [e.name for e in entries],
        t("notice_col_address", lang): [e.address for e in entries],
        t("notice_col_phone", lang): [e.phone for e in entries],
        t("notice_col_private_units", lang): [
            ("；".join(e.units) if lang == "zh" else "; ".join(e.units)) if e.units
            else t("notice_no_catchment", lang) for e in entries]})


def special_table(entries: list[SchoolEntry], lang: str) -> pd.DataFrame:
    """Special-education schools: name, address, phone; they admit from the whole county."""
    return pd.DataFrame({
        t("notice_col_school", lang): [e.name for e in entries],
        t("notice_col_address", lang): [e.address for e in entries],
        t("notice_col_phone", lang): [e.phone for e in entries],
        t("notice_col_range", lang): [t("notice_special_range", lang)] * len(entries)})


def closed_table(closed: list[tuple[str, str, str]], lang: str) -> pd.DataFrame:
    """Closed schools: the school and year, where its pupils go, the bus."""
    return pd.DataFrame(closed, columns=[t("notice_col_closed", lang), t("notice_col_into", lang),
                                         t("notice_col_bus", lang)])
