"""Years: children by unit and grade projected year by year, and the plan of any year.

Cohort-component projection of the resident children of every unit (SPEC §7, issue 14):

- entrants (grade 1) of school year y: the unit's births of y − entry_age (and, for the
  September cut-off, `entry_cutoff_share` of them from the year before) times the unit's entry
  ratio — today's grade 1 ÷ those births, shrunk toward its township's ratio where the unit is
  small (its births weigh against `entry_ratio_prior_births`);
- every other grade: last year's grade below times the grade's progression ratio, measured
  county-wide from the enrolment history where there is one (else 1.0);
- net migration: a yearly share of the children of villages (and towns) moves to the county
  seat and towns, received in proportion to their children (measured from the history by area
  type, or the profile's rates);
- housing developments add their children (dwellings × children per 100 dwellings of each
  grade) from their first year on;
- births after the last year given change by the profile's low, central and high rates: three
  variants.

Pupils follow the children: every cohort keeps the schools it attends today (each unit's pupils
of a grade per resident child, by school), and cohorts that enter a section after today attend
as today's entrants of that section do. Rows are whole pupils (largest remainders per unit and
grade), so a scenario applied to a year moves whole pupils and keeps every total.

:func:`plan_at` turns a baseline plan and a projection into the plan of a year: its enrolment
and units' children replaced, every school re-planned (classes needed at the cap within its
classrooms); the scenario's edits then apply at that year (planner/plan/edits.py: a dated
catchment change moves only the cohorts that entered since).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.plan.model import Plan, Rows
from planner.schema import GRADES, SECTIONS
from planner.standards import Standards
from planner.workspace import Workspace

VARIANTS = ("low", "central", "high")
MAX_YEARS = 40


@dataclass(frozen=True, eq=False)
class Rates:
    """The rates a projection used (reported beside it).

    Attributes
    ----------
    entry
        (U,) each unit's entry ratio (grade-1 children per birth of its cohort).
    progression
        (9,) the ratio of each grade to the grade below a year earlier (grade 1: 1).
    migration
        Net yearly outflow by area type ("rural", "town"), as shares.
    sources
        How each was found: "history", "profile" or "none".
    """

    entry: np.ndarray
    progression: np.ndarray
    migration: dict[str, float]
    sources: dict[str, str]


@dataclass(frozen=True, eq=False)
class Projection:
    """Children by unit, grade and year, in three variants, from a base year on.

    Attributes
    ----------
    base_year
        The school year the workspace's enrolment describes (the first year).
    years
        (Y,) the years, base year first.
    unit_ids
        (U,) the units.
    children
        Variant → (Y, U, 9) resident children (floats; whole numbers via :meth:`whole`).
    rates
        The rates used.
    notes
        What the reader must know (defaults taken, data missing).
    """

    base_year: int
    years: np.ndarray
    unit_ids: np.ndarray
    children: dict[str, np.ndarray]
    rates: Rates
    notes: tuple[str, ...] = field(default_factory=tuple)

    def index(self, year: int) -> int:
        """Position of a year (raises a located error outside the projection)."""
        if year not in set(self.years.tolist()):
            msg = (f"year {year} is outside the projection ({self.years[0]}–"
                   f"{self.years[-1]})")
            raise InputError.single("--year", msg)
        return int(year - self.base_year)

    @functools.lru_cache(maxsize=64)  # noqa: B019 (a projection is immutable and few are kept)
    def whole(self, year: int, variant: str = "central") -> np.ndarray:
        """(U, 9) whole children of a year (the base year exactly as given)."""
        return np.rint(self.children[variant][self.index(year)]).astype(np.int64)

    def same_as_central(self, year: int, variant: str) -> bool:
        """Whether a variant's children of a year are the central ones (births not yet apart)."""
        k = self.index(year)
        return np.array_equal(self.children[variant][k], self.children["central"][k])

    def long(self, variant: str = "central") -> pd.DataFrame:
        """Children in long form: year, unit_id, grade, children (whole)."""
        out = []
        for y in self.years:
            c = self.whole(int(y), variant)
            out.append(pd.DataFrame({"year": int(y), "unit_id": np.repeat(self.unit_ids, 9),
                                     "grade": np.tile(np.array(GRADES), len(self.unit_ids)),
                                     "children": c.reshape(-1)}))
        return pd.concat(out, ignore_index=True)


# --- inputs -----------------------------------------------------------------------------------

def _births_matrix(ws: Workspace, unit_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(U, B) births by unit and year (years (B,)), or None without a births table."""
    b = ws.births
    if b is None or not len(b):
        return None
    years = np.arange(int(b["year"].min()), int(b["year"].max()) + 1)
    out = np.zeros((len(unit_ids), len(years)))
    rows = pd.Index(unit_ids).get_indexer(b["unit_id"].to_numpy(dtype=object))
    ok = rows >= 0
    np.add.at(out, (rows[ok], b["year"].to_numpy()[ok] - years[0]),
              b["births"].to_numpy(dtype=float)[ok])
    return out, years


def _townships(ws: Workspace) -> np.ndarray:
    """Each unit's group for shrinking entry ratios: its township, else its area type."""
    u = ws.units
    if "township" in u.columns:
        t = u["township"].astype(object)
        return np.where(t.notna() & (t.astype(str) != ""), t, u["area_type"]).astype(object)
    return u["area_type"].to_numpy(dtype=object)


def _cohort_births(births: np.ndarray, years: np.ndarray, year: int, std: Standards,
                   change: float) -> np.ndarray:
    """(U,) the births entering in `year` (cut-off mix), extended past the data by `change`."""
    def at(y: int) -> np.ndarray:
        if y < years[0]:
            return births[:, 0]
        if y > years[-1]:
            return births[:, -1] * (1 + change) ** (y - years[-1])
        return births[:, y - years[0]]

    born = year - std.entry_age
    c = std.entry_cutoff_share
    return (1 - c) * at(born) + c * at(born - 1)


def _entry_ratios(r0: np.ndarray, cohort: np.ndarray, groups: np.ndarray, prior: float
                  ) -> np.ndarray:
    """(U,) grade-1 children per birth, each unit shrunk toward its group's ratio."""
    out = np.zeros(len(r0))
    for g in np.unique(groups):
        m = groups == g
        b = cohort[m].sum()
        ratio = r0[m, 0].sum() / b if b > 0 else 1.0
        out[m] = (r0[m, 0] + prior * ratio) / (cohort[m] + prior)
    return out


def _history(ws: Workspace, base: Plan) -> pd.DataFrame | None:
    """Enrolment by year, unit area type and grade: the history and today's enrolment."""
    h = ws.enrolment_history
    if h is None or not len(h):
        return None
    today = base.enrolment.assign(year=base.year)
    both = pd.concat([h[["year", "unit_id", "grade", "students"]],
                      today[["year", "unit_id", "grade", "students"]]], ignore_index=True)
    area = dict(zip(base.units.ids, base.units.area_type, strict=True))
    both["area"] = both["unit_id"].map(area)
    return both.groupby(["year", "area", "grade"], as_index=False)["students"].sum()


def _ratios(table: pd.DataFrame) -> np.ndarray:
    """(9,) pooled ratios of grade g in year y to grade g − 1 in year y − 1 (grade 1: 1)."""
    n = table.pivot_table(index="year", columns="grade", values="students", aggfunc="sum",
                          fill_value=0).reindex(columns=list(GRADES), fill_value=0)
    years = n.index.to_numpy()
    pairs = [(y, y - 1) for y in years if y - 1 in set(years)]
    out = np.ones(9)
    for g in range(2, 10):
        num = sum(n.at[y, g] for y, _ in pairs)
        den = sum(n.at[p, g - 1] for _, p in pairs)
        out[g - 1] = num / den if den > 0 else 1.0
    return out


def _rates(ws: Workspace, base: Plan, r0: np.ndarray, cohort0: np.ndarray | None
           ) -> tuple[Rates, list[str]]:
    std, notes = base.standards, []
    groups = _townships(ws)
    if cohort0 is None:
        entry, entry_src = np.ones(len(r0)), "none"
    else:
        entry, entry_src = _entry_ratios(r0, cohort0, groups, std.entry_ratio_prior_births), \
            "births"
    hist = _history(ws, base)
    progression = np.ones(9) if hist is None else _ratios(hist)
    migration, src = {}, {}
    for area in ("rural", "town"):
        given = getattr(std, f"migration_{area}")
        if given is not None:
            migration[area], src[area] = float(given), "profile"
        elif hist is not None and (hist["area"] == area).any():
            mine = _ratios(hist[hist["area"] == area])[1:]
            migration[area] = float(np.clip(1 - np.mean(mine / progression[1:]), 0.0, 0.5))
            src[area] = "history"
        else:
            migration[area], src[area] = 0.0, "none"
    if hist is None:
        notes.append("no enrolment history: grade-progression ratios are taken as 1.0")
    if any(v == "none" for v in src.values()):
        notes.append("no migration rate given or measurable: none assumed")
    return Rates(entry=entry, progression=progression, migration=migration,
                 sources={"entry": entry_src, "progression": "history" if hist is not None
                          else "none", **{f"migration_{k}": v for k, v in src.items()}}), notes


def _developments(ws: Workspace, base: Plan, years: np.ndarray) -> np.ndarray:
    """(Y, U, 9) children that housing developments bring, from their first year on."""
    out = np.zeros((len(years), len(base.units), 9))
    d = ws.developments
    if d is None or not len(d):
        return out
    std = base.standards
    for rec in d.to_dict("records"):
        unit = _development_unit(ws, base, rec)
        per100 = np.array([rec.get(f"children_per100_g{g}") for g in GRADES],
                          dtype=float)
        per100 = np.where(np.isnan(per100), std.development_children_per100, per100)
        after = years >= int(rec["first_year"])
        out[after, unit] += float(rec["dwellings"]) * per100 / 100
    return out


def _development_unit(ws: Workspace, base: Plan, rec: dict) -> int:
    uid = rec.get("unit_id")
    if isinstance(uid, str) and uid in base.units.index:
        return base.units.index[uid]
    geom = rec.get("geometry")
    if geom is None:
        raise InputError.single("", f"development {rec.get('name') or '?'} names no unit and "
                                "has no polygon", layer="developments", column="unit_id")
    import geopandas as gpd

    units = ws.units.to_crs(ws.meta.crs)
    shape = gpd.GeoSeries([geom], crs=ws.developments.crs).to_crs(ws.meta.crs).iloc[0]
    return int(np.argmax(units.intersection(shape).area.to_numpy()))


def _migrate(r: np.ndarray, area: np.ndarray, migration: dict[str, float]) -> np.ndarray:
    """Move each year's net outflow of villages (and towns) to the receiving units."""
    out = r.copy()
    for sender, receivers in (("rural", ("town", "urban")), ("town", ("urban",))):
        rate = migration.get(sender, 0.0)
        if rate <= 0:
            continue
        send = area == sender
        take = np.isin(area, receivers)
        leaving = out[send] * rate
        out[send] -= leaving
        weight = out[take]
        total = weight.sum(axis=0)
        share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
        out[take] += share * leaving.sum(axis=0)
    return out


# --- the projection ---------------------------------------------------------------------------

def project(base: Plan, to_year: int) -> Projection:
    """Project the children of every unit and grade from the plan's year to `to_year`.

    Parameters
    ----------
    base
        The baseline plan (its workspace gives births, history and developments, its units
        the children of the base year, its profile the settings).
    to_year
        The last year projected.

    Raises
    ------
    InputError
        The workspace does not say which school year it describes, or `to_year` is before it
        or too far.
    """
    ws, std = base.source, base.standards
    if base.year is None:
        raise InputError.single("", "the workspace does not say which school year its "
                                "enrolment describes: set `year` in its meta (设置) table",
                                layer="meta", column="year")
    if not base.year <= to_year <= base.year + MAX_YEARS:
        raise InputError.single("--to", f"expected a year from {base.year} to "
                                f"{base.year + MAX_YEARS}, got {to_year}")
    years = np.arange(base.year, to_year + 1)
    r0 = base.units.children.astype(float)
    births = _births_matrix(ws, base.units.ids)
    cohort0 = None if births is None else _cohort_births(*births, base.year, std, 0.0)
    rates, notes = _rates(ws, base, r0, cohort0)
    if births is None:
        notes.append("no births table: entrants are today's grade 1, changing by the profile's "
                     "births rates")
    dev = _developments(ws, base, years)
    area = base.units.area_type
    children = {}
    for variant in VARIANTS:
        change = getattr(std, f"births_change_{variant}")
        out = np.empty((len(years), len(r0), 9))
        out[0] = r0
        resident = r0.copy()  # without the developments' children, which are added on top
        for k, y in enumerate(years[1:], start=1):
            nxt = np.empty_like(resident)
            nxt[:, 1:] = resident[:, :-1] * rates.progression[1:]
            if births is None:
                nxt[:, 0] = r0[:, 0] * (1 + change) ** (y - base.year)
            else:
                nxt[:, 0] = rates.entry * _cohort_births(*births, int(y), std, change)
            resident = _migrate(nxt, area, rates.migration)
            out[k] = resident + dev[k]
        children[variant] = out
    if births is not None and years[-1] - std.entry_age > births[1][-1]:
        notes.append(f"births after {births[1][-1]} change by {std.births_change_central:+.0%} "
                     f"a year (central; low {std.births_change_low:+.0%}, high "
                     f"{std.births_change_high:+.0%}): this tool's defaults unless the "
                     "profile sets them")
    if ws.developments is not None and len(ws.developments):
        notes.append(f"{len(ws.developments)} housing development(s) add their children from "
                     "their first year")
    return Projection(base_year=base.year, years=years, unit_ids=base.units.ids,
                      children=children, rates=rates, notes=tuple(notes))


# --- pupils: the plan of a year -------------------------------------------------------------------

def _rates_per_child(base: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Today's pupils per resident child by unit, grade and school.

    Returns
    -------
    (U, 9, S) pupils at each school per child of the unit and grade, and (2, U, S) the same
    for the entry grade of each section (what a cohort entering after today follows).
    """
    r, std = base.rows, base.standards
    n_u, n_s = len(base.units), len(base.school_ids)
    pupils = np.zeros((n_u, 9, n_s))
    np.add.at(pupils, (r.eu, r.grade - 1, r.es), r.n)
    kids = base.units.children.astype(float)
    per = np.divide(pupils, kids[:, :, None], out=np.zeros_like(pupils),
                    where=kids[:, :, None] > 0)
    # a unit with no child of a grade today: its section's pupils per child, else its zone
    for k, sec in enumerate(SECTIONS):
        grades = np.array(std.grades(sec)) - 1
        sec_pupils = pupils[:, grades].sum(axis=1)
        sec_kids = kids[:, grades].sum(axis=1)
        fallback = np.divide(sec_pupils, sec_kids[:, None], out=np.zeros_like(sec_pupils),
                             where=sec_kids[:, None] > 0)
        zoned = base.zone[k]
        none = fallback.sum(axis=1) == 0
        rows = np.flatnonzero(none & (zoned >= 0))
        fallback[rows, zoned[rows]] = 1.0
        for g in grades:
            empty = kids[:, g] == 0
            per[empty, g] = fallback[empty]
    entry = np.stack([per[:, std.grades(sec)[0] - 1] for sec in SECTIONS])
    return per, entry


def _whole_rows(pupils: np.ndarray) -> tuple[np.ndarray, ...]:
    """Whole pupils from (U, 9, S) expected pupils: largest remainders per unit and grade.

    Each unit and grade keeps its total rounded to the nearest whole pupil; the schools with
    the largest fractions (the first in the plan's order among equal ones) take the pupils the
    floors leave. Only the non-zero cells are ranked (a unit's children attend a few schools).
    """
    # rounded first: 5/42 × 3.5 + 37/42 × 3.5 sums to 3.4999…, which must round as the
    # unit's 3.5 children do (Projection.whole), or a pupil is lost
    total = np.rint(np.round(pupils.sum(axis=2), 9)).astype(np.int64)
    u, g, s = np.nonzero(pupils)
    value = pupils[u, g, s]
    floor = np.floor(value).astype(np.int64)
    rest = value - floor
    cell = u * 9 + g
    short = total.reshape(-1) - np.bincount(cell, weights=floor, minlength=total.size
                                            ).astype(np.int64)
    order = np.lexsort((s, -rest, cell))  # by cell, largest fraction first, then school
    first = np.searchsorted(cell[order], cell[order], side="left")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - first
    n = floor + (rank < short[cell])
    keep = n > 0
    return u[keep], s[keep], g[keep] + 1, n[keep]


def plan_at(base: Plan, projection: Projection, year: int, *, variant: str = "central"
            ) -> Plan:
    """The baseline plan of a projected year: its pupils, units' children and classes.

    The base year is the baseline itself. Later years: each unit's projected children of a
    grade attend as their cohort does today (or as today's entrants of the section, for
    cohorts that enter after today); every school is re-planned at the class cap within its
    classrooms.
    """
    if year == projection.base_year:
        return base
    k = projection.index(year)
    std = base.standards
    kids = projection.children[variant][k]
    per, entry = base.once(("rates_per_child", base.rows, base.units, base.zone.tobytes()),
                           lambda: _rates_per_child(base))
    shift = year - projection.base_year
    expected = np.zeros_like(per)
    for sec_k, sec in enumerate(SECTIONS):
        first = std.grades(sec)[0]
        for g in std.grades(sec):
            entered = year - (g - first)  # the school year this cohort entered the section
            rate = per[:, g - shift - 1] if entered <= projection.base_year else entry[sec_k]
            expected[:, g - 1] = kids[:, g - 1, None] * rate
    u, s, g, n = _whole_rows(expected)
    junior = std.is_junior(g).astype(np.int64)
    rows = Rows(eu=u.astype(np.int64), es=s.astype(np.int64), grade=g.astype(np.int64),
                n=n.astype(np.int64), ez=base.zone[junior, u].astype(np.int64))
    units = replace(base.units, children=projection.whole(year, variant))
    plan = replace(base, rows=rows, units=units, year=int(year), polygons=None,
                   touched=frozenset())
    from planner.plan.edits import replan

    return replan(plan, set(range(len(base.school_ids))))


# --- year tables -----------------------------------------------------------------------------

SCHOOL_YEAR_COLUMNS = ["year", "school_id", "name", "kind", "section", "pupils",
                       "classes_needed", "classes", "largest_class", "places", "binding",
                       "size", "size_cap", "pupils_low", "pupils_high"]


def school_year_rows(plan: Plan, variants: dict[str, Plan] | None = None) -> pd.DataFrame:
    """Return one row per school section taught in the plan's year.

    Pupils, classes needed at the cap, classes formed in its classrooms, the largest class,
    places and the binding limit, the school's size and size cap (and the low and high
    variants' pupils when given).
    """
    from planner.capacity import section_places
    from planner.checklist import size_over_cap
    from planner.plan.classes import section_classes

    std, s = plan.standards, plan.schools
    by_grade = plan.pupils_by_grade
    multigrade = s["kind"] == "teaching_point"
    places = section_places(s, std)
    size, cap, _ = size_over_cap(s, std)
    out = []
    for k, sec in enumerate(SECTIONS):
        grades = np.array(std.grades(sec)) - 1
        _, needed, _ = section_classes(by_grade[:, grades], std.section(sec).class_size_cap,
                                       multigrade)
        teach = plan.teaches(sec)
        frame = pd.DataFrame({
            "year": plan.year, "school_id": s["school_id"], "name": s["name"],
            "kind": s["kind"], "section": sec, "pupils": s[f"students_{sec}"],
            "classes_needed": needed, "classes": s[f"classes_{sec}"],
            "largest_class": s[f"max_class_size_{sec}"],
            "places": places["places"][:, k].astype(np.int64),
            "binding": places["binding"][:, k], "size": size, "size_cap": cap})
        for name, other in (variants or {}).items():
            frame[f"pupils_{name}"] = other.schools[f"students_{sec}"]
        out.append(frame[teach])
    table = pd.concat(out, ignore_index=True)
    for name in ("low", "high"):
        if f"pupils_{name}" not in table.columns:
            table[f"pupils_{name}"] = table["pupils"]
    return table[SCHOOL_YEAR_COLUMNS].sort_values(["school_id", "section"], kind="stable")


CROSSING_RULES = ("over_size_cap", "class_over_cap", "over_places", "under_100",
                  "under_teaching_point_floor", "very_small")


def crossings(years: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Return the years each school section is over (or under) a line.

    Its size cap (G4), the class cap (G5), its places, 100 pupils (G6's funding floor), the
    teaching-point floor and `very_small_pupils` (20: a candidate to consolidate).

    Returns
    -------
    One row per school, section and rule with any year over the line: school_id, name,
    section, rule, years (the years over it, as "2026–2028, 2031"), first_year, last_year,
    and `ends` (the first year after the last it is over, when before the end).
    """
    from planner.checklist import over_class_cap

    y = years.copy()
    caps = {sec: standards.section(sec).class_size_cap for sec in SECTIONS}
    rules = {
        "over_size_cap": y["size"] > y["size_cap"],
        "class_over_cap": over_class_cap(y["largest_class"], y["pupils"], y["section"].map(caps)),
        "over_places": y["pupils"] > y["places"],
        "under_100": (y["size"] < standards.small_school_funded_as) & (y["size"] > 0),
        "under_teaching_point_floor": (y["kind"] == "teaching_point")
        & (y["pupils"] < standards.teaching_point_min_students),
        "very_small": (y["pupils"] < standards.very_small_pupils) & (y["pupils"] > 0),
    }
    last = int(y["year"].max())
    rows = []
    for rule, mask in rules.items():
        hit = y[mask]
        for (sid, sec), part in hit.groupby(["school_id", "section"], sort=True):
            ys = sorted(int(v) for v in part["year"])
            rows.append({"school_id": sid, "name": part["name"].iloc[0], "section": sec,
                         "rule": rule, "years": _spans(ys), "first_year": ys[0],
                         "last_year": ys[-1],
                         "ends": ys[-1] + 1 if ys[-1] < last else None})
    out = pd.DataFrame(rows, columns=["school_id", "name", "section", "rule", "years",
                                      "first_year", "last_year", "ends"])
    return out.astype({"first_year": "int64", "last_year": "int64", "ends": "Int64"})


def _spans(years: list[int]) -> str:
    parts, start = [], years[0]
    for a, b in zip(years, [*years[1:], None], strict=True):
        if b != a + 1:
            parts.append(str(start) if start == a else f"{start}–{a}")
            start = b
    return ", ".join(parts)


def county_rows(children: dict[str, np.ndarray], years: np.ndarray, standards: Standards
                ) -> pd.DataFrame:
    """Children by section and year, the central variant with its low–high band."""
    rows = []
    for sec in SECTIONS:
        grades = np.array(standards.grades(sec)) - 1
        for k, y in enumerate(years):
            rec = {"year": int(y), "section": sec}
            for v in VARIANTS:
                rec[v if v != "central" else "children"] = float(
                    np.rint(children[v][k][:, grades]).sum())
            rows.append(rec)
    return pd.DataFrame(rows, columns=["year", "section", "children", "low", "high"])
