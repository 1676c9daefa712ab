"""Years: children by unit and grade projected year by year, and the plan of any year.

Cohort-component projection of the resident children of every unit (SPEC §7):

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
from planner.workspace import Workspace, largest_remainders

VARIANTS = ("low", "central", "high")
MAX_YEARS = 40
MIN_FIT_YEARS = 3  # entry years the cut-off share is fitted on (two unknowns: ratio and share)


@dataclass(frozen=True, eq=False)
class Rates:
    """The rates a projection used, and the band around them (reported beside it).

    Attributes
    ----------
    entry
        (U,) each unit's entry ratio (grade-1 children per birth of its cohort).
    progression
        (9,) the ratio of each grade to the grade below a year earlier (grade 1: 1).
    migration
        Net yearly outflow by area type ("rural", "town"), as shares.
    sources
        How each was found: "history", "births", "profile" or "none".
    cutoff_share
        The share of an entry cohort born in the calendar year before (the profile's, or
        fitted to the history's entrants).
    entry_years, pair_years
        The years the entry ratios were measured in, and the later years of the year pairs
        the progression and migration ratios were measured over (most recent first).
    county_entry
        The county's weighted entry ratio.
    entry_band
        (low, high) factors on every entry ratio: the lowest and highest county ratio of a
        single history year against the weighted one (1, 1 with fewer than two years).
    progression_band
        (2, 9) the lowest and highest ratio of each grade in a single year pair.
    migration_band
        Area type → (low, high) yearly outflow in a single year pair (a profile's rate: none).
    """

    entry: np.ndarray
    progression: np.ndarray
    migration: dict[str, float]
    sources: dict[str, str]
    cutoff_share: float = 1 / 3
    entry_years: tuple[int, ...] = ()
    pair_years: tuple[int, ...] = ()
    county_entry: float = 1.0
    entry_band: tuple[float, float] = (1.0, 1.0)
    progression_band: np.ndarray | None = None
    migration_band: dict[str, tuple[float, float]] = field(default_factory=dict)

    def variant(self, name: str, std: Standards) -> _Variant:
        """The settings of one variant: low and high take every rate at its band's edge."""
        if name == "central":
            return _Variant(std.births_change_central, 1.0, self.progression, self.migration)
        edge = 0 if name == "low" else 1
        band = self.progression_band
        progression = self.progression if band is None else band[edge]
        migration = {a: self.migration_band.get(a, (v, v))[edge]
                     for a, v in self.migration.items()}
        return _Variant(getattr(std, f"births_change_{name}"), self.entry_band[edge],
                        progression, migration)


@dataclass(frozen=True, eq=False)
class _Variant:
    births_change: float
    entry_factor: float
    progression: np.ndarray
    migration: dict[str, float]


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
    groups
        (U,) each unit's township (else area type): whole children keep its totals.
    """

    base_year: int
    years: np.ndarray
    unit_ids: np.ndarray
    children: dict[str, np.ndarray]
    rates: Rates
    notes: tuple[str, ...] = field(default_factory=tuple)
    groups: np.ndarray | None = None

    def index(self, year: int) -> int:
        """Position of a year (raises a located error outside the projection)."""
        if year not in set(self.years.tolist()):
            msg = (f"year {year} is outside the projection ({self.years[0]}–"
                   f"{self.years[-1]})")
            raise InputError.single("--year", msg)
        return int(year - self.base_year)

    @functools.lru_cache(maxsize=64)  # noqa: B019 (a projection is immutable and few are kept)
    def whole(self, year: int, variant: str = "central") -> np.ndarray:
        """(U, 9) whole children of a year (the base year exactly as given).

        Rounded so that totals keep: each grade's county total is the model's rounded, each
        township's the county's shared out by largest remainders, each unit's its
        township's shared out the same way (:func:`whole_children`).
        """
        c = self.children[variant][self.index(year)]
        if year == self.base_year:
            return np.rint(c).astype(np.int64)
        groups = self.groups if self.groups is not None else np.zeros(len(c), dtype=object)
        return whole_children(c, groups)

    def same_as_central(self, year: int, variant: str) -> bool:
        """Whether a variant's children of a year are the central ones (no band yet)."""
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


def whole_children(children: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """(U, 9) whole children whose totals by grade, township and county keep.

    Each grade's county total is the model's total rounded; the townships (`groups`) share it
    by largest remainders of their model totals, and each township's units share its whole
    total the same way. Every cell is within one of the model, every township within one.
    """
    out = np.zeros(children.shape, dtype=np.int64)
    names, group = np.unique(groups.astype(str), return_inverse=True)
    for g in range(children.shape[1]):
        col = children[:, g]
        sums = np.bincount(group, weights=col, minlength=len(names))
        per_group = largest_remainders(sums, int(np.rint(round(col.sum(), 9))))
        for k in range(len(names)):
            m = group == k
            out[m, g] = largest_remainders(col[m], int(per_group[k]))
    return out


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Data:
    """What a projection is measured on: counts by year, births, units, developments."""

    area: np.ndarray
    groups: np.ndarray
    births: tuple[np.ndarray, np.ndarray] | None
    counts: dict[int, np.ndarray]  # year → (U, 9): the history's pupils, the base's children
    developments: tuple[tuple[int, int, np.ndarray], ...]  # (unit, first year, (9,) full)


def _data(base: Plan) -> _Data:
    ws = base.source
    counts = {int(y): c for y, c in _history_counts(ws, base).items()}
    counts[int(base.year)] = base.units.children.astype(float)
    return _Data(area=base.units.area_type, groups=_townships(ws),
                 births=_births_matrix(ws, base.units.ids), counts=counts,
                 developments=_developments(ws, base))


def _history_counts(ws: Workspace, base: Plan) -> dict[int, np.ndarray]:
    """Year → (U, 9) pupils of the enrolment history by unit and grade."""
    h = ws.enrolment_history
    if h is None or not len(h):
        return {}
    rows = pd.Index(base.units.ids).get_indexer(h["unit_id"].to_numpy(dtype=object))
    ok = rows >= 0
    out = {}
    years = h["year"].to_numpy()[ok]
    for y in np.unique(years):
        m = years == y
        c = np.zeros((len(base.units), 9))
        np.add.at(c, (rows[ok][m], h["grade"].to_numpy()[ok][m] - 1),
                  h["students"].to_numpy(dtype=float)[ok][m])
        out[int(y)] = c
    return out


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
                   change: float, cutoff: float | None = None) -> np.ndarray:
    """(U,) the births entering in `year` (cut-off mix), extended past the data by `change`."""
    def at(y: int) -> np.ndarray:
        if y < years[0]:
            return births[:, 0]
        if y > years[-1]:
            return births[:, -1] * (1 + change) ** (y - years[-1])
        return births[:, y - years[0]]

    born = year - std.entry_age
    c = std.entry_cutoff_share if cutoff is None else cutoff
    return (1 - c) * at(born) + c * at(born - 1)


def _weights(std: Standards, n: int) -> np.ndarray:
    """The first `n` history weights (most recent first), summing to one."""
    w = np.asarray(std.history_weights[:n], dtype=float)
    return w / w.sum() if w.sum() > 0 else np.full(n, 1 / max(n, 1))


# --- rates ---------------------------------------------------------------------------------------

def _entry_years(data: _Data, origin: int, std: Standards) -> list[int]:
    """The years up to `origin` whose grade 1 and cohort births are known, most recent first."""
    if data.births is None:
        return []
    first, last = data.births[1][0], data.births[1][-1]
    ok = [y for y in sorted(data.counts, reverse=True)
          if y <= origin and first <= y - std.entry_age <= last]
    return ok[:len(std.history_weights)]


def _cutoff(data: _Data, years: list[int], w: np.ndarray, std: Standards
            ) -> tuple[float, str]:
    """The cut-off share: the profile's, or the twelfth that best fits the history's entrants."""
    if not std.entry_cutoff_fit or len(years) < MIN_FIT_YEARS:
        return std.entry_cutoff_share, "profile"
    g1 = np.array([data.counts[y][:, 0].sum() for y in years])

    def misfit(c: float) -> float:
        born = np.array([_cohort_births(*data.births, y, std, 0.0, c).sum() for y in years])
        ratio = (w * g1).sum() / (w * born).sum()
        return float((w * (g1 / (ratio * born) - 1) ** 2).sum())

    shares = [k / 12 for k in range(13)]
    return min(shares, key=lambda c: (misfit(c), abs(c - std.entry_cutoff_share))), "history"


def _entry(data: _Data, origin: int, std: Standards, r0: np.ndarray) -> dict:
    """Entry ratios by unit (weighted over the history, shrunk to township and county)."""
    years = _entry_years(data, origin, std)
    if not years:
        return {"entry": np.ones(len(r0)), "source": "none", "cutoff": std.entry_cutoff_share,
                "years": (), "county": 1.0, "band": (1.0, 1.0)}
    w = _weights(std, len(years))
    cutoff, how = _cutoff(data, years, w, std)
    g1 = np.stack([data.counts[y][:, 0] for y in years])  # (E, U)
    born = np.stack([_cohort_births(*data.births, y, std, 0.0, cutoff) for y in years])
    num, den = w @ g1, w @ born
    county = num.sum() / den.sum() if den.sum() > 0 else 1.0
    entry = np.zeros(len(r0))
    for g in np.unique(data.groups.astype(str)):
        m = data.groups.astype(str) == g
        town = (num[m].sum() + std.township_prior_births * county) / (
            den[m].sum() + std.township_prior_births) if den[m].sum() + \
            std.township_prior_births > 0 else county
        prior = std.entry_ratio_prior_births
        entry[m] = np.divide(num[m] + prior * town, den[m] + prior,
                             out=np.full(m.sum(), town), where=den[m] + prior > 0)
    yearly = g1.sum(axis=1) / np.maximum(born.sum(axis=1), 1e-12)
    band = (float(yearly.min() / county), float(yearly.max() / county)) if county > 0 \
        else (1.0, 1.0)
    return {"entry": entry, "source": "births", "cutoff": cutoff, "cutoff_source": how,
            "years": tuple(years), "county": float(county), "band": band}


def _pair_ratios(data: _Data, pairs: list[int], mask: np.ndarray | None = None) -> np.ndarray:
    """(P, 9) ratios of grade g in year y to grade g − 1 in year y − 1 (grade 1: 1)."""
    out = np.ones((len(pairs), 9))
    for i, y in enumerate(pairs):
        now, before = data.counts[y], data.counts[y - 1]
        if mask is not None:
            now, before = now[mask], before[mask]
        num, den = now.sum(axis=0)[1:], before.sum(axis=0)[:-1]
        out[i, 1:] = np.divide(num, den, out=np.ones(8), where=den > 0)
    return out


def _pooled(data: _Data, pairs: list[int], w: np.ndarray, mask: np.ndarray | None = None
            ) -> np.ndarray:
    """(9,) the weighted pooled ratios: Σ w · grade g ÷ Σ w · grade g − 1 a year earlier."""
    num, den = np.zeros(8), np.zeros(8)
    for wi, y in zip(w, pairs, strict=True):
        now, before = data.counts[y], data.counts[y - 1]
        if mask is not None:
            now, before = now[mask], before[mask]
        num += wi * now.sum(axis=0)[1:]
        den += wi * before.sum(axis=0)[:-1]
    return np.concatenate([[1.0], np.divide(num, den, out=np.ones(8), where=den > 0)])


def _outflow(area_ratios: np.ndarray, county: np.ndarray) -> float:
    """The yearly net outflow an area's ratios show against the county's."""
    return float(np.clip(1 - np.mean(area_ratios[1:] / county[1:]), 0.0, 0.5))


def estimate(data: _Data, origin: int, std: Standards, r0: np.ndarray) -> tuple[Rates, list]:
    """Measure the rates from what is known in the school year `origin`.

    Entry ratios over the entry years up to `origin` (:func:`_entry`); progression and
    migration over the year pairs ending by `origin`, the most recent `len(history_weights)`,
    weighted; the band from the single years' spread.
    """
    notes: list[str] = []
    ent = _entry(data, origin, std, r0)
    pairs = [y for y in sorted(data.counts, reverse=True)
             if y <= origin and y - 1 in data.counts][:len(std.history_weights)]
    w = _weights(std, len(pairs))
    progression = _pooled(data, pairs, w) if pairs else np.ones(9)
    yearly = _pair_ratios(data, pairs) if pairs else np.ones((1, 9))
    migration, src, band = {}, {}, {}
    for area in ("rural", "town"):
        mask = data.area == area
        given = getattr(std, f"migration_{area}")
        if given is not None:
            migration[area], src[area] = float(given), "profile"
        elif pairs and mask.any():
            migration[area] = _outflow(_pooled(data, pairs, w, mask), progression)
            each = [_outflow(r, c) for r, c in zip(_pair_ratios(data, pairs, mask), yearly,
                                                    strict=True)]
            band[area], src[area] = (min(each), max(each)), "history"
        else:
            migration[area], src[area] = 0.0, "none"
    if not pairs:
        notes.append("no enrolment history: grade-progression ratios are taken as 1.0")
    if any(v == "none" for v in src.values()):
        notes.append("no migration rate given or measurable: none assumed")
    sources = {"entry": ent["source"], "progression": "history" if pairs else "none",
               **{f"migration_{k}": v for k, v in src.items()}}
    if ent["source"] == "births":
        sources["cutoff_share"] = ent["cutoff_source"]
    return Rates(entry=ent["entry"], progression=progression, migration=migration,
                 sources=sources, cutoff_share=float(ent["cutoff"]),
                 entry_years=ent["years"], pair_years=tuple(pairs),
                 county_entry=ent["county"], entry_band=ent["band"],
                 progression_band=np.stack([yearly.min(axis=0), yearly.max(axis=0)]),
                 migration_band=band), notes


# --- housing and migration ---------------------------------------------------------------------

def _developments(ws: Workspace, base: Plan) -> tuple[tuple[int, int, np.ndarray], ...]:
    """Each housing development: its unit, first year and children by grade when full."""
    d = ws.developments
    if d is None or not len(d):
        return ()
    std = base.standards
    out = []
    for rec in d.to_dict("records"):
        per100 = np.array([rec.get(f"children_per100_g{g}") for g in GRADES], dtype=float)
        per100 = np.where(np.isnan(per100), std.development_children_per100, per100)
        out.append((_development_unit(ws, base, rec), int(rec["first_year"]),
                    float(rec["dwellings"]) * per100 / 100))
    return tuple(out)


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


def occupied(std: Standards, first_year: int, year: int) -> float:
    """The share of a development's dwellings occupied in `year` (0 before its first)."""
    if year < first_year:
        return 0.0
    ramp = std.development_occupancy
    return float(ramp[min(year - first_year, len(ramp) - 1)])


def _housing(data: _Data, std: Standards, year: int, origin: int, resident: np.ndarray,
             flow: float) -> np.ndarray:
    """(U, 9) the children developments add in `year` beyond those living there in `origin`.

    Their families from inside the county (`development_local_share`) are the villages'
    migrants to the towns: they are taken from the other receiving units (in proportion to
    their children of the grade), as much as the migration has moved since `origin`; only
    the rest is added to the county.
    """
    out = np.zeros_like(resident)
    local = np.zeros_like(resident)
    for unit, first, full in data.developments:
        more = full * (occupied(std, first, year) - occupied(std, first, origin))
        out[unit] += more
        local[unit] += std.development_local_share * more
    want = local.sum()
    if want <= 0 or flow <= 0:
        return out
    local *= min(1.0, flow / want)
    towns = np.isin(data.area, ("town", "urban"))
    for unit in {d[0] for d in data.developments}:
        towns[unit] = False
    weight = np.where(towns[:, None], resident, 0.0)
    total = weight.sum(axis=0)
    take = np.minimum(local.sum(axis=0), total)
    share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
    return out - share * take


def _migrate(r: np.ndarray, area: np.ndarray, migration: dict[str, float]
             ) -> tuple[np.ndarray, float]:
    """Move each year's net outflow of villages (and towns) to the receiving units.

    Grades 2–9 only: entrants' families who moved before school are in their unit's entry
    ratio (grade 1 ÷ its births), so migrating them again would count them twice. Returns
    the children and how many moved.
    """
    out, moved = r.copy(), 0.0
    for sender, receivers in (("rural", ("town", "urban")), ("town", ("urban",))):
        rate = migration.get(sender, 0.0)
        if rate <= 0:
            continue
        send = area == sender
        take = np.isin(area, receivers)
        leaving = out[send, 1:] * rate
        out[send, 1:] -= leaving
        weight = out[take, 1:]
        total = weight.sum(axis=0)
        share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
        out[take, 1:] += share * leaving.sum(axis=0)
        moved += float(leaving.sum())
    return out, moved


# --- the projection ---------------------------------------------------------------------------

def _entrants(data: _Data, rates: Rates, std: Standards, year: int, v: _Variant
              ) -> np.ndarray:
    """(U,) grade-1 children of `year`: the county's ratio × its births, shared by the units'.

    The county's total is its entry ratio times its cohort births (the better measured
    figure); the units share it in proportion to their own ratio times their births, so the
    units where families arrive before school keep their higher share without their ratio,
    measured on other years' births, setting the county's total.
    """
    born = _cohort_births(*data.births, year, std, v.births_change, rates.cutoff_share)
    by_unit = rates.entry * born
    total = rates.county_entry * v.entry_factor * born.sum()
    return by_unit * (total / by_unit.sum()) if by_unit.sum() > 0 else by_unit


def run(data: _Data, rates: Rates, r0: np.ndarray, origin: int, to_year: int,
        std: Standards, variants: tuple[str, ...] = VARIANTS) -> dict[str, np.ndarray]:
    """Children by year, unit and grade from `origin`'s `r0` to `to_year`, by variant."""
    years = np.arange(origin, to_year + 1)
    children = {}
    for name in variants:
        v = rates.variant(name, std)
        out = np.empty((len(years), *r0.shape))
        out[0] = r0
        resident, flow = r0.copy(), 0.0  # without the developments' children
        for k, y in enumerate(years[1:], start=1):
            nxt = np.empty_like(resident)
            nxt[:, 1:] = resident[:, :-1] * v.progression[1:]
            if data.births is None:
                nxt[:, 0] = r0[:, 0] * (1 + v.births_change) ** (y - origin)
            else:
                nxt[:, 0] = _entrants(data, rates, std, int(y), v)
            resident, moved = _migrate(nxt, data.area, v.migration)
            flow += moved
            out[k] = resident + _housing(data, std, int(y), origin, resident, flow)
        children[name] = out
    return children


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
    data = _data(base)
    r0 = base.units.children.astype(float)
    rates, notes = estimate(data, int(base.year), std, r0)
    if data.births is None:
        notes.append("no births table: entrants are today's grade 1, changing by the profile's "
                     "births rates")
    children = run(data, rates, r0, int(base.year), to_year, std)
    notes += band_notes(rates, std, data, to_year)
    errors = section_errors(data, int(base.year), std)
    if errors:
        children = _widen(children, errors, int(base.year), std)
        worst = {sec: max(e.values()) for sec, e in errors.items()}
        notes.append("band widened where the back-test erred more: each section at least its "
                     "largest error at that many years ahead ("
                     + ", ".join(f"{sec} up to {v:.1%}" for sec, v in worst.items())
                     + " in the history), growing in proportion beyond the history's horizon")
    if ws.developments is not None and len(ws.developments):
        ramp = ", ".join(f"{v:.0%}" for v in std.development_occupancy)
        notes.append(f"{len(ws.developments)} housing development(s) fill from their first "
                     f"year ({ramp} of dwellings occupied in years 1, 2, …); "
                     f"{std.development_local_share:.0%} of their children come from the "
                     "county's villages (taken from the migration to the towns, not added)")
    return Projection(base_year=base.year, years=np.arange(base.year, to_year + 1),
                      unit_ids=base.units.ids, children=children, rates=rates,
                      notes=tuple(notes), groups=data.groups)


def section_errors(data: _Data, base_year: int, std: Standards) -> dict[str, dict[int, float]]:
    """Section → horizon → the largest relative error of the county's children in a hindcast.

    The method run from each earlier year of the history to `base_year` (as in
    planner/backtest.py, county totals by section only): what the band must at least hold.
    """
    out: dict[str, dict[int, float]] = {sec: {} for sec in SECTIONS}
    for o in sorted(y for y in data.counts if y < base_year):
        rates, _ = estimate(data, o, std, data.counts[o])
        kids = run(data, rates, data.counts[o], o, base_year, std, ("central",))["central"]
        for k in range(1, base_year - o + 1):
            if o + k not in data.counts:
                continue
            for sec in SECTIONS:
                cols = np.array(std.grades(sec)) - 1
                actual = data.counts[o + k][:, cols].sum()
                if actual > 0:
                    e = abs(kids[k][:, cols].sum() / actual - 1)
                    out[sec][k] = max(out[sec].get(k, 0.0), float(e))
    return {sec: e for sec, e in out.items() if e}


def _widen(children: dict[str, np.ndarray], errors: dict[str, dict[int, float]],
           base_year: int, std: Standards) -> dict[str, np.ndarray]:
    """Low and high at least the back-test's largest error away from the central line.

    Horizon h takes the largest error seen h years ahead; beyond the history's longest
    horizon H, that error × h / H. Each cell: low ≤ central × (1 − e), high ≥ central × (1 + e).
    """
    central = children["central"]
    low, high = children["low"].copy(), children["high"].copy()
    for sec, by_h in errors.items():
        cols = np.array(std.grades(sec)) - 1
        top = max(by_h)
        for k in range(1, len(central)):
            e = by_h.get(k, by_h[top] * k / top)
            c = central[k][:, cols]
            low[k][:, cols] = np.minimum(low[k][:, cols], c * (1 - e))
            high[k][:, cols] = np.maximum(high[k][:, cols], c * (1 + e))
    return {"low": low, "central": central, "high": high}


def band_rows(rates: Rates, std: Standards) -> list[dict]:
    """What drives the low–high band: each rate's low, central and high values and source."""
    rows = [{"driver": "births_change", "low": std.births_change_low,
             "central": std.births_change_central, "high": std.births_change_high,
             "source": "profile"}]
    if rates.sources.get("entry") == "births":
        lo, hi = rates.entry_band
        rows.append({"driver": "entry_ratio", "low": rates.county_entry * lo,
                     "central": rates.county_entry, "high": rates.county_entry * hi,
                     "source": "history"})
    band = rates.progression_band
    if band is not None and rates.pair_years:
        lo, hi = np.prod(band[0][1:]), np.prod(band[1][1:])
        rows.append({"driver": "progression", "low": float(lo),
                     "central": float(np.prod(rates.progression[1:])), "high": float(hi),
                     "source": "history"})
    for area, (lo, hi) in rates.migration_band.items():
        if lo == hi == rates.migration[area]:
            continue
        rows.append({"driver": f"migration_{area}", "low": lo,
                     "central": rates.migration[area], "high": hi, "source": "history"})
    return rows


def band_notes(rates: Rates, std: Standards, data: _Data, to_year: int) -> list[str]:
    """The band's drivers and the entry rule, in words (beside every projection)."""
    notes = []
    if rates.sources.get("entry") == "births":
        ys = rates.entry_years
        how = ("fitted to the entrants of " + ", ".join(map(str, sorted(ys)))
               if rates.sources.get("cutoff_share") == "history" else "the profile's")
        notes.append(f"entry ratio {rates.county_entry:.3f} (county; births to grade 1, weighted "
                     f"over {len(ys)} year(s) {min(ys)}–{max(ys)}); share of a cohort born the "
                     f"year before: {round(rates.cutoff_share * 12)}/12 ({how})")
    parts = []
    last = None if data.births is None else int(data.births[1][-1])
    if last is not None and to_year - std.entry_age > last:
        parts.append(f"births after {last} {std.births_change_low:+.0%} / "
                     f"{std.births_change_central:+.0%} / {std.births_change_high:+.0%} a year "
                     "(this tool's defaults unless the profile sets them)")
    for r in band_rows(rates, std)[1:]:
        if r["driver"] == "entry_ratio":
            parts.append(f"entry ratios at the lowest / highest single year "
                         f"({r['low']:.3f}–{r['high']:.3f})")
        elif r["driver"] == "progression":
            parts.append(f"grade-progression ratios at the lowest / highest single year "
                         f"(grades 1→9 together {r['low']:.3f}–{r['high']:.3f})")
        else:
            parts.append(f"{r['driver'].split('_')[1]} outflow at the lowest / highest single "
                         f"year ({r['low']:.2%}–{r['high']:.2%})")
    if parts:
        notes.append("band (low / high): " + "; ".join(parts))
    return notes


# --- pupils: the plan of a year -------------------------------------------------------------------

def _rates_per_child(base: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Today's pupils per resident child by unit, grade and school (:func:`attendance`)."""
    r = base.rows
    pupils = np.zeros((len(base.units), 9, len(base.school_ids)))
    np.add.at(pupils, (r.eu, r.grade - 1, r.es), r.n)
    return attendance(pupils, base.units.children.astype(float), base.zone, base.standards)


def attendance(pupils: np.ndarray, kids: np.ndarray, zone: np.ndarray, std: Standards
               ) -> tuple[np.ndarray, np.ndarray]:
    """Pupils per resident child by unit, grade and school, in the year they were counted.

    Parameters
    ----------
    pupils
        (U, 9, S) pupils by unit, grade and school.
    kids
        (U, 9) resident children.
    zone
        (2, U) each unit's zoned school by section (−1: none).

    Returns
    -------
    (U, 9, S) pupils at each school per child of the unit and grade, and (2, U, S) the same
    for the entry grade of each section (what a cohort entering later follows).
    """
    per = np.divide(pupils, kids[:, :, None], out=np.zeros_like(pupils),
                    where=kids[:, :, None] > 0)
    # a unit with no child of a grade: its section's pupils per child, else its zone
    for k, sec in enumerate(SECTIONS):
        grades = np.array(std.grades(sec)) - 1
        sec_pupils = pupils[:, grades].sum(axis=1)
        sec_kids = kids[:, grades].sum(axis=1)
        fallback = np.divide(sec_pupils, sec_kids[:, None], out=np.zeros_like(sec_pupils),
                             where=sec_kids[:, None] > 0)
        zoned = zone[k]
        none = fallback.sum(axis=1) == 0
        rows = np.flatnonzero(none & (zoned >= 0))
        fallback[rows, zoned[rows]] = 1.0
        for g in grades:
            empty = kids[:, g] == 0
            per[empty, g] = fallback[empty]
    entry = np.stack([per[:, std.grades(sec)[0] - 1] for sec in SECTIONS])
    return per, entry


def expected_pupils(per: np.ndarray, entry: np.ndarray, kids: np.ndarray, shift: int,
                    std: Standards) -> np.ndarray:
    """(U, 9, S) pupils `shift` years after the count `per` was measured in.

    Each cohort at school then keeps its schools (its own pupils per child); cohorts that
    entered a section since follow that year's entrants of the section.
    """
    out = np.zeros_like(per)
    for sec_k, sec in enumerate(SECTIONS):
        first = std.grades(sec)[0]
        for g in std.grades(sec):
            since = shift - (g - first)  # years since this cohort entered the section
            rate = per[:, g - shift - 1] if since <= 0 else entry[sec_k]
            out[:, g - 1] = kids[:, g - 1, None] * rate
    return out


def _whole_rows(pupils: np.ndarray, total: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Whole pupils from (U, 9, S) expected pupils: largest remainders per unit and grade.

    Each unit and grade keeps `total` (its expected pupils rounded, when not given); the
    schools with the largest fractions (the first in the plan's order among equal ones) take
    the pupils the floors leave. Only the non-zero cells are ranked (a unit's children attend
    a few schools).
    """
    if total is None:
        # rounded first: 5/42 × 3.5 + 37/42 × 3.5 sums to 3.4999…, which must round as the
        # unit's 3.5 children do, or a pupil is lost
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
    classrooms. Each unit and grade has as many pupils as its whole children attend (the
    whole children, where all of them attend the county's schools), so totals keep.
    """
    if year == projection.base_year:
        return base
    k = projection.index(year)
    std = base.standards
    kids = projection.children[variant][k]
    per, entry = base.once(("rates_per_child", base.rows, base.units, base.zone.tobytes()),
                           lambda: _rates_per_child(base))
    expected = expected_pupils(per, entry, kids, year - projection.base_year, std)
    whole = projection.whole(year, variant)
    attend = np.divide(expected.sum(axis=2), kids, out=np.zeros(kids.shape), where=kids > 0)
    total = np.rint(np.round(whole * attend, 9)).astype(np.int64)
    u, s, g, n = _whole_rows(expected, total)
    junior = std.is_junior(g).astype(np.int64)
    rows = Rows(eu=u.astype(np.int64), es=s.astype(np.int64), grade=g.astype(np.int64),
                n=n.astype(np.int64), ez=base.zone[junior, u].astype(np.int64))
    units = replace(base.units, children=whole)
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


def county_rows(projection: Projection, standards: Standards) -> pd.DataFrame:
    """Children by section and year (whole, as units carry them), with the low–high band."""
    rows = []
    for sec in SECTIONS:
        grades = np.array(standards.grades(sec)) - 1
        for y in projection.years:
            rec = {"year": int(y), "section": sec}
            for v in VARIANTS:
                rec[v if v != "central" else "children"] = float(
                    projection.whole(int(y), v)[:, grades].sum())
            rows.append(rec)
    return pd.DataFrame(rows, columns=["year", "section", "children", "low", "high"])


def band_changes(central: pd.DataFrame, edges: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the crossings whose years differ at the band's edges.

    `central` and each of `edges` ("low", "high") are :func:`crossings` tables of the same
    scenario in that variant. One row per school section and rule over the line in some
    variant but not in the same years in all: school_id, name, section, rule and the years
    in each variant ("" where it never crosses): "实验小学 is over its cap in 2026–2031 in
    the central and low projections, 2026–2033 in the high".
    """
    key = ["school_id", "name", "section", "rule"]
    out = central[key + ["years"]].rename(columns={"years": "years_central"})
    for v in ("low", "high"):
        part = edges[v][key + ["years"]].rename(columns={"years": f"years_{v}"})
        out = out.merge(part, on=key, how="outer")
    cols = ["years_central", "years_low", "years_high"]
    out[cols] = out[cols].fillna("")
    differ = (out["years_low"] != out["years_central"]) | (
        out["years_high"] != out["years_central"])
    return out[differ].sort_values(key, kind="stable").reset_index(drop=True)[key + cols]
