"""One section's re-zoning problem, in arrays: who moves, what stays, what must hold, by year.

Catchment changes apply to entrants (SPEC §7): in the k-th year of the phase-in the k + 1
youngest cohorts of the section follow the new catchments and the older ones finish where they
are, so a primary re-zoning is checked in each of 6 years (junior: 3), with the pupils of each
year as projected (planner/projection.py). `all_grades` re-zones everyone today instead.

For each school of the section and year the instance holds its room under the size cap (G4)
— pupils over it weigh in the objective where the zoning decides G4 — and its classrooms (G5,
classes per grade at the cap), neither allowed beyond the baseline's; its places (approved
places, classrooms and teachers at the staffing norm; teaching points and `shrink_only`
schools never gain) and, for the indicator constraints, what its R1–R7 values are as a
function of its pupils P:

    value_k(P) = c_k / (a_k · P + o_k)

(a single-section school or per-section teachers: c = resource, a = 1, o = 0; a mixed
school's shared resources: a = the section's student weight, o = the other sections' weighted
pupils), so "indicator k met" is the linear limit a_k · P + o_k ≤ c_k / threshold_k.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely

from planner.admission import allowed, choosers_only, school_holders, sibling_pupils
from planner.errors import InputError
from planner.indicators import (
    _EPS,
    coefficient_of_variation,
    coefficients_of_variation,
    cv_parts,
    section_part,
    share_arrays,
)
from planner.plan import Plan
from planner.schema import SECTIONS
from planner.standards import RESOURCE_COLUMNS, RESOURCE_KEYS, TEACHER_KEYS, Standards
from planner.workspace import MEND_M, mend
from planner.zoning import outside_catchments

DEFAULT_CANDIDATES = 8
DEFAULT_CHANGE_WEIGHT_M = 500.0  # one pupil changing school costs as much as 500 m of travel
OVER_CAP_M = 50_000  # a pupil over a school's size cap for a year weighs as 50 km of travel
OBJECTIVES = ("inspection", "travel", "cv", "balanced")


@dataclass(frozen=True)
class Options:
    """What the planner asks of the optimiser.

    Attributes
    ----------
    section
        "primary" or "junior".
    time_limit_s
        Wall-clock limit for each CP-SAT solve.
    max_distance_m
        No child is zoned further than this by road (None: no limit).
    locks
        Units that keep their current school.
    keep_choosers
        Out-of-zone choosers stay at their schools (they still count against its caps): the
        default, so that a re-zoning changes catchments and nothing else; False brings them
        back to their zoned schools (G13), which may cost those schools their indicators.
    change_weight_m
        Metres of travel one pupil changing school is worth.
    candidates
        How many nearest schools each unit may be zoned to (more: slower, never worse).
    all_grades
        Re-zone every grade today (the catchments of today's pupils change at once); by
        default the new catchments take entrants from `first_year` on.
    first_year
        The school year the new catchments take their first entrants (default: the one after
        the workspace's year).
    indicators, cvs, capacity, scope
        Keep the indicator constraints on (sections passing keep passing, failing ones meet
        no fewer indicators), the CV limits (within the limit or not above the baseline's),
        the places, and the set of evaluated school sections.
    objective
        "inspection" (least disruption: the gaps re-zoning can close, then pupils changing
        school, then travel; optimize/disruption.py), "travel" (least pupil travel), "cv"
        (the least largest CV of the section, then travel) or "balanced" (travel with the
        largest CV held halfway).
    cv_target
        Hold every CV of the section at or below this in the last year checked, once every
        cohort follows the new catchments (the frontier's steps), or None.
    """

    section: str
    time_limit_s: float = 60.0
    max_distance_m: float | None = None
    locks: tuple[str, ...] = ()
    keep_choosers: bool = True
    change_weight_m: float = DEFAULT_CHANGE_WEIGHT_M
    candidates: int = DEFAULT_CANDIDATES
    all_grades: bool = False
    first_year: int | None = None
    indicators: bool = True
    cvs: bool = True
    capacity: bool = True
    scope: bool = True
    objective: str = "inspection"
    cv_target: float | None = None


@dataclass(frozen=True, eq=False)
class Indicators:
    """The indicator and CV data of an instance (schools S, years T, indicators K = 7).

    Attributes
    ----------
    c, a, o
        (S, K), (S, K), (S, T, K): value_k(P) = c / (a P + o) for the section's pupils P.
    threshold
        (K,) the section's thresholds.
    standards
        The profile (its 6-of-7 + 85 % rule).
    in_scope
        (S, T) the section is evaluated that year (unchanged by a plan).
    passing
        (S, T) it complies in the baseline that year: it must keep complying.
    met
        (S, T) how many it meets in the baseline: a failing one must meet as many.
    at_floor
        (S, T, K) the indicator reaches 85 % in the baseline: it must keep reaching it.
    resource
        (S, T, K) the section's resource at its baseline pupils, for the CVs.
    cv_limit
        (T, K) the largest CV allowed: the limit, or the baseline's where that is higher.
    baseline_cv
        (T, K) the baseline's CVs.
    """

    c: np.ndarray
    a: np.ndarray
    o: np.ndarray
    threshold: np.ndarray
    standards: Standards
    in_scope: np.ndarray
    passing: np.ndarray
    met: np.ndarray
    at_floor: np.ndarray
    resource: np.ndarray
    cv_limit: np.ndarray
    baseline_cv: np.ndarray

    def limit(self, level: float) -> np.ndarray:
        """(S, T, K) the most pupils with which the value still reaches `level` × threshold.

        A threshold of 0 is reached at any size (inf); a value of missing data never (NaN).
        """
        zero = np.broadcast_to(level * self.threshold[None, None, :] == 0, self.o.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = self.c[:, None, :] / (level * self.threshold[None, None, :] * (1 - _EPS))
            a = self.a[:, None, :]
            return np.where(zero, np.inf, np.floor((bound - self.o) / a * (1 + 1e-12)))

    def values(self, pupils: np.ndarray, year: int | None = None,
               schools: np.ndarray | None = None) -> np.ndarray:
        """(S, T, K) the indicator values at pupils (S, T).

        With `year`: (M, S, K) that year's values at M vectors of pupils (M, S); with
        `schools` too, (M, J, K) those of the schools (M, J) at their pupils (M, J).
        """
        if year is None:
            if schools is not None:
                raise ValueError("the values of some schools are those of one year")
            c, a, o = self.c[:, None, :], self.a[:, None, :], self.o
        elif schools is not None:
            c, a, o = self.c[schools], self.a[schools], self.o[schools, year]
        else:
            c, a, o = self.c[None], self.a[None], self.o[None, :, year]
        with np.errstate(divide="ignore", invalid="ignore"):
            return c / (a * pupils[:, :, None] + o)

    def resources(self, pupils: np.ndarray, year: int | None = None,
                  schools: np.ndarray | None = None) -> np.ndarray:
        """(S, T, K) each section's resource at pupils (S, T): value × pupils.

        A section's own resources stay what they are; a school's shared ones are split
        between its sections by their weighted pupils, so they move with the pupils.
        With `year` (and `schools`): as :meth:`values`.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num(self.values(pupils, year, schools) * pupils[..., None],
                                 posinf=0.0)

    def cvs(self, pupils: np.ndarray) -> np.ndarray:
        """(T, K) the section's CVs at pupils (S, T), exactly as the evaluation computes them."""
        return np.stack([self.year_cvs(pupils[None, :, t], t)[0]
                         for t in range(self.cv_limit.shape[0])])

    def year_cvs(self, pupils: np.ndarray, year: int) -> np.ndarray:
        """(M, K) one year's CVs at M vectors of pupils (M, S) at once, as :meth:`cvs`.

        Only evaluated sections count; an emptied one has no value.
        """
        p = np.where(self.in_scope[None, :, year], pupils.astype(float), 0.0)
        return coefficients_of_variation(p, self.resources(p, year))

    def cv_parts(self, schools: np.ndarray, pupils: np.ndarray, year: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The parts (:func:`cv_parts`) of the schools (M, J) at pupils (M, J) in `year`.

        Summed over every school, :func:`cv_of_sums` of them is :meth:`year_cvs`; a zoning
        that changes a few schools changes the sums by their parts (only evaluated sections
        count).
        """
        p = np.where(self.in_scope[schools, year], pupils.astype(float), 0.0)
        return cv_parts(p, self.resources(p, year, schools))

    def without_cv_limits(self) -> Indicators:
        """These indicators with no CV bound (every CV left free)."""
        return replace(self, cv_limit=np.full(self.cv_limit.shape, np.inf))

    def shared(self) -> np.ndarray:
        """(T, K) whether an evaluated section shares the resource with another section.

        Such a resource is split between the sections by their weighted pupils: it moves with
        the pupils, so its CV is no fixed-resource function of them.
        """
        return ((self.o != 0) & self.in_scope[:, :, None]).any(axis=0)

    def linear_cvs(self) -> bool:
        """Whether the CV cuts are exact bounds.

        So they are when every resource is fixed (no shared ones split by pupils) and the
        evaluated set's pupils are fixed in number (no section outside it).
        """
        return bool(not self.shared().any() and self.in_scope.all())


@dataclass(frozen=True)
class Instance:
    """One section's assignment problem, in arrays (units U, schools S, years T, grades G).

    Attributes
    ----------
    section, unit_ids, school_ids, years
        Labels: the schools teaching the section, and the school years checked.
    demand
        (U, T, G) pupils who follow the unit's new catchment, by year and grade.
    fixed
        (S, T, G) pupils who stay where they are whatever the zoning (older cohorts,
        choosers kept), by year and grade.
    present
        (U, S) the unit's pupils who follow the new catchment, at the school the baseline has
        them at, in the last year (a pupil elsewhere under the plan changes school).
    zoned
        (U,) the current zoned school, −1 if none.
    dist
        (U, S) road distance, metres (inf where unreachable).
    size_cap, rooms
        (S, T) room under G4 and classrooms for the section: every pupil over the cap weighs
        in the objective (`OVER_CAP_M`) in the years the zoning decides whether the school
        is within it (`cap_decided`), so the optimiser brings schools within their caps
        (G4) wherever the places around allow.
    size_limit, rooms_limit, places
        (S, T) hard limits: never more pupils or classes than the cap and rooms, or the
        baseline's where it is already over them (a plan is never worse than doing nothing);
        places (capacity) likewise.
    floor
        (S, T) pupils a section must keep to stay as it is evaluated (the teaching-point
        threshold; 1 for an evaluated section), 0 where none.
    class_cap, multigrade, holder, neighbours, candidates, locked
        The class-size cap, teaching points (one class for several grades), the unit each
        school stands in, the units each unit touches, each unit's candidate schools, and
        unit → school for locked units.
    today_in_reach
        A unit may keep today's school whatever the distance limit (a consolidation: the
        limit applies to the units it re-zones).
    admitted
        (U, S) the schools each unit may be zoned to under the rules of admission
        (planner/admission.py), or None: every school.
    siblings, siblings_stay
        (U, T, G) the entrants who follow the unit's catchment with an older sibling at
        today's school (admission.sibling_pupils), and whether they stay there whatever the
        zoning (then they are in `fixed`, not `demand`), as the profile's `siblings_stay`.
    ind
        The indicator and CV data, or None when those constraints are off.
    secants_at
        (S, T) pupils the safe CV bounds are laid around and always admit (the baseline's
        when None; the least-CV search's current zoning).
    """

    section: str
    unit_ids: np.ndarray
    school_ids: np.ndarray
    years: np.ndarray
    demand: np.ndarray
    fixed: np.ndarray
    present: np.ndarray
    zoned: np.ndarray
    dist: np.ndarray
    size_cap: np.ndarray
    rooms: np.ndarray
    size_limit: np.ndarray
    rooms_limit: np.ndarray
    places: np.ndarray
    floor: np.ndarray
    class_cap: int
    multigrade: np.ndarray
    holder: np.ndarray
    neighbours: list[list[int]]
    candidates: list[list[int]]
    locked: dict[int, int]
    change_weight_m: float = DEFAULT_CHANGE_WEIGHT_M
    max_distance_m: float | None = None
    key: np.ndarray | None = None
    keep_choosers: bool = True
    ind: Indicators | None = None
    grandfathered: bool = False
    cv_target: float | None = None
    exempt: frozenset = frozenset()
    today_in_reach: bool = False
    secants_at: np.ndarray | None = None
    admitted: np.ndarray | None = None
    siblings: np.ndarray | None = None
    siblings_stay: bool = True

    def anchored(self, u: int, s: int) -> bool:
        """Whether unit u may be in school s's catchment without a nearer neighbour in it.

        The school's own unit, or a unit today's catchment already holds so: an exclave
        today may stay one; no new one is made.
        """
        return self.holder[s] == u or (u, s) in self.exempt

    def reach(self, u: int) -> np.ndarray:
        """(S,) the schools unit u may be zoned to by distance (and today's, if so set)."""
        d = self.dist[u]
        ok = np.isfinite(d) & (d <= (np.inf if self.max_distance_m is None
                                     else self.max_distance_m))
        if self.admitted is not None:
            ok &= self.admitted[u]
        today = self.zoned[u]
        if self.today_in_reach and today >= 0 and np.isfinite(d[today]):
            ok[today] = True
        if u in self.locked:
            ok[self.locked[u]] = True
        return ok

    def last(self) -> int:
        """The last year's index (every cohort follows the new catchments by then)."""
        return self.demand.shape[1] - 1

    def pupils_of(self, u: int) -> int:
        """Pupils of unit u who follow the new catchment in the last year."""
        return int(self.demand[u, self.last()].sum())

    def cost(self, u: int, s: int) -> int:
        """Objective coefficient of zoning unit u to school s (metres × pupils, integer)."""
        n = self.pupils_of(u)
        return int(round(n * self.dist[u, s] + self.change_weight_m * self.changes(u, s)))

    def changes(self, u: int, s: int) -> int:
        """Pupils of unit u (last year) at another school than the baseline's if u goes to s."""
        n = self.pupils_of(u)
        return int(n - min(self.present[u, s], n))

    def loads(self, assign: np.ndarray) -> np.ndarray:
        """(S, T, G) pupils per school, year and grade under an assignment."""
        out = self.fixed.copy()
        np.add.at(out, assign, self.demand)
        return out

    def objective(self, assign: np.ndarray) -> int:
        """The objective of an assignment: travel, changes, and the pupils over size caps."""
        return sum(self.cost(u, int(s)) for u, s in enumerate(assign)) + self.excess_cost(
            self.loads(assign))

    @cached_property
    def room(self) -> np.ndarray:
        """(S, T) the most pupils each school may have: its size limit and its places."""
        return np.minimum(self.size_limit, self.places)

    @cached_property
    def cap_decided(self) -> np.ndarray:
        """(S, T) where the zoning decides whether a school is within its size cap (G4).

        Where the pupils who stay whatever the zoning (older cohorts, choosers kept), and
        the pupils the other schools have no room for, leave the school room to be within
        its cap. Where those alone are over it, it fails G4 that year whatever the zoning,
        and the hard limits keep it no fuller than doing nothing.
        """
        fixed = self.fixed.sum(axis=2)
        room = np.minimum(self.room, upper_bounds(self).sum(axis=2))  # the most each can take
        total = fixed.sum(axis=0) + self.demand.sum(axis=(0, 2))
        least = np.maximum(fixed, total - (room.sum(axis=0) - room))
        return least <= self.size_cap

    def excess_cost(self, loads: np.ndarray) -> int:
        """What the pupils over the size cap cost where the zoning decides G4."""
        over = np.maximum(loads.sum(axis=2) - self.size_cap, 0)
        return int(OVER_CAP_M * over[self.cap_decided].sum())

    def travel(self, assign: np.ndarray) -> float:
        """Pupil-metres of the last year's following pupils under an assignment."""
        n = self.demand[:, self.last()].sum(axis=1)
        return float(sum(n[u] * self.dist[u, s] for u, s in enumerate(assign)))

    def cv_bound(self) -> np.ndarray | None:
        """(T, K) the CV each indicator must keep to (with the target, if any)."""
        if self.ind is None:
            return None
        bound = self.ind.cv_limit
        if self.cv_target is None:
            return bound
        bound = bound.copy()  # the target holds once every cohort follows the new catchments
        bound[-1] = np.minimum(bound[-1], self.cv_target)
        return bound


# --- geometry: neighbours, the unit a school stands in ---------------------------------------

def unit_neighbours(units: gpd.GeoDataFrame, crs_m: str) -> list[list[int]]:
    """Return, per unit, the units it touches (polygons) or its Delaunay neighbours (points).

    Two polygon units touch when their catchment would have fewer pieces than the two apart:
    dissolved and mended as an exported catchment is (`workspace.mend`), so a catchment the
    contiguity rules call connected is printed as one polygon, and one whose units lie apart
    (by 2 × MEND_M or more, as 0.99 m) is neither contiguous nor printed as one.
    """
    g = units.to_crs(crs_m).geometry.reset_index(drop=True)
    n = len(g)
    out: list[set[int]] = [set() for _ in range(n)]
    polys = g.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if polys.all():
        geoms = g.to_numpy()
        near = shapely.buffer(geoms, MEND_M)
        left, right = shapely.STRtree(near).query(near, predicate="intersects")
        left, right = left[left < right], right[left < right]
        pieces = shapely.get_num_geometries(mend(geoms))
        joined = shapely.get_num_geometries(mend(shapely.union(geoms[left], geoms[right])))
        touch = joined < pieces[left] + pieces[right]
        pairs = zip(left[touch], right[touch], strict=True)
    else:
        pts = g.representative_point()
        xy = np.column_stack([pts.x, pts.y])
        edges = shapely.delaunay_triangles(shapely.multipoints(xy), only_edges=True)
        index = {(round(x, 3), round(y, 3)): i for i, (x, y) in enumerate(xy)}
        pairs = []
        for line in getattr(edges, "geoms", []):
            (x0, y0), (x1, y1) = line.coords
            pairs.append((index[(round(x0, 3), round(y0, 3))],
                          index[(round(x1, 3), round(y1, 3))]))
    for i, j in pairs:
        if i != j:
            out[int(i)].add(int(j))
            out[int(j)].add(int(i))
    return [sorted(s) for s in out]


def upper_bounds(inst: Instance) -> np.ndarray:
    """(S, T, G) the most pupils each school could have: what stays, and every candidate."""
    out = inst.fixed.astype(np.int64).copy()
    for u, cand in enumerate(inst.candidates):
        for s in cand:
            out[s] += inst.demand[u]
    return out


def neighbours_of(plan: Plan) -> list[list[int]]:
    """The units each unit touches (made once per workspace)."""
    return plan.once(("neighbours",),
                     lambda: unit_neighbours(plan.source.units, plan.source.meta.crs))


# --- building the instance --------------------------------------------------------------------

def _section_rows(plan: Plan, k: int, local: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the section's enrolment rows, special schools' pupils left out.

    Unit, local school, grade index, pupils, and whether they attend their zoned school.
    """
    std, r = plan.standards, plan.rows
    sel = (std.is_junior(r.grade) == bool(k)) & ~outside_catchments(plan)
    es = local[r.es[sel]]
    if (es < 0).any():
        bad = plan.school_ids[r.es[sel][es < 0][0]]
        raise InputError.single("", f"pupils of the {SECTIONS[k]} section attend {bad}, which "
                                f"has no {SECTIONS[k]} section", layer="enrolment",
                                column="school_id")
    first = std.grades(SECTIONS[k])[0]
    at_zone = (r.es[sel] == r.ez[sel]) & (r.ez[sel] >= 0)
    return r.eu[sel], es, r.grade[sel] - first, r.n[sel].astype(np.int64), at_zone


def build_instance(plans: list[Plan], options: Options, *, places: bool = True,
                   release: frozenset[str] = frozenset(),
                   today_in_reach: bool = False) -> Instance:
    """Set up one section's problem from the plans of the years it is checked in.

    Parameters
    ----------
    plans
        The baseline plan of each year of the phase-in (one plan, today's, for
        `all_grades`): the same schools and units, each year's pupils.
    options
        The request.
    places
        Keep schools within their places (off for the plain travel optimum).
    release
        Schools whose choosers follow their unit's zone even when choosers are kept (the
        schools a consolidation may close).
    today_in_reach
        Units may keep today's school beyond the distance limit (see `Instance`).

    Raises
    ------
    InputError
        Unknown section or locked unit, or the plan has no distances.
    """
    sec = options.section
    if sec not in SECTIONS:
        raise InputError.single("", f"expected primary or junior, got {sec!r}",
                                column="section")
    plan = plans[0]
    if plan.distances is None or not plan.has_zoning:
        raise InputError.single("", "optimising catchments needs units, catchments, enrolment "
                                "and unit × school distances")
    std = plan.standards
    k = SECTIONS.index(sec)
    idx = np.flatnonzero(plan.teaches(sec))
    local = np.full(len(plan.school_ids), -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    n_u, n_s, n_t = len(plan.units), len(idx), len(plans)
    n_g = len(std.grades(sec))
    demand = np.zeros((n_u, n_t, n_g), dtype=np.int64)
    fixed = np.zeros((n_s, n_t, n_g), dtype=np.int64)
    present = np.zeros((n_u, n_s), dtype=np.int64)
    freed = np.isin(plan.school_ids[idx], list(release))
    # 公民同招: a private school's pupils are choosers, wherever the catchments go
    private = choosers_only(plan.schools, std)[idx]
    siblings = np.zeros((n_u, n_t, n_g), dtype=np.int64)
    for t, p in enumerate(plans):
        eu, es, eg, en, at_zone = _section_rows(p, k, local)
        new = eg <= t if not options.all_grades else np.ones(len(eg), dtype=bool)
        follows = new & (at_zone | (not options.keep_choosers) | freed[es]) & ~private[es]
        # 多孩同校: entrants with an older sibling at today's school (not one that may close)
        sib = np.where(follows & at_zone & ~freed[es], sibling_pupils(en, t - eg, sec, std), 0) \
            if not options.all_grades else np.zeros(len(en), dtype=np.int64)
        np.add.at(siblings, (eu, t, eg), sib)
        stay = sib if std.siblings_stay else np.zeros_like(sib)
        np.add.at(demand, (eu[follows], t, eg[follows]), (en - stay)[follows])
        np.add.at(fixed, (es[~follows], t, eg[~follows]), en[~follows])
        np.add.at(fixed, (es[follows], t, eg[follows]), stay[follows])
        if t == n_t - 1:
            np.add.at(present, (eu[follows], es[follows]), (en - stay)[follows])
    zoned = np.where(plan.zone[k] >= 0, local[np.maximum(plan.zone[k], 0)], -1)
    dist = plan.distances.matrix[:, idx]
    dist = np.where(np.isnan(dist), np.inf, dist)
    other = SECTIONS[1 - k]
    kind = plan.schools["kind"][idx]
    size_cap = np.stack([std.size_caps(kind) - p.schools[f"students_{other}"][idx]
                         for p in plans], axis=1)
    rooms = np.stack([p.schools["classrooms"][idx].astype(np.int64)
                      - p.schools[f"classes_{other}"][idx].astype(np.int64) for p in plans],
                     axis=1)
    baseline = np.stack([p.schools[f"students_{sec}"][idx] for p in plans], axis=1)
    size_limit, rooms_limit = _no_worse(plans, idx, sec, size_cap, rooms, baseline)
    cap_places = _places(plans, idx, k, baseline) if places and options.capacity else \
        np.full((n_s, n_t), np.iinfo(np.int64).max // 4)
    locked = {}
    for u in options.locks:
        if u not in plan.units.index:
            raise InputError.single("", f"unknown unit {u!r}", column="lock")
        ui = plan.units.index[u]
        if zoned[ui] < 0:
            raise InputError.single("", f"unit {u} has no {sec} school to keep", column="lock")
        locked[ui] = int(zoned[ui])
    ind = _indicators(plans, idx, k, freed) if options.indicators or options.cvs else None
    if ind is not None and not options.cvs:
        ind = ind.without_cv_limits()
    if ind is not None and not options.indicators:
        ind = replace(ind, passing=np.zeros_like(ind.passing), met=np.zeros_like(ind.met),
                      at_floor=np.zeros_like(ind.at_floor))
    floor = _floors(plans, idx, k, baseline) if options.scope else np.zeros((n_s, n_t), int)
    floor[freed] = 0  # a school a consolidation may close may leave the evaluated set
    inst = Instance(section=sec, unit_ids=plan.units.ids, school_ids=plan.school_ids[idx],
                    years=np.array([p.year if p.year is not None else 0 for p in plans]),
                    demand=demand, fixed=fixed, present=present, zoned=zoned, dist=dist,
                    size_cap=size_cap.astype(np.int64), rooms=rooms.astype(np.int64),
                    size_limit=size_limit, rooms_limit=rooms_limit, places=cap_places,
                    floor=floor,
                    class_cap=std.section(sec).class_size_cap,
                    multigrade=kind == "teaching_point", holder=school_holders(plan, idx),
                    neighbours=neighbours_of(plan), candidates=[], locked=locked,
                    change_weight_m=options.change_weight_m,
                    max_distance_m=options.max_distance_m, keep_choosers=options.keep_choosers,
                    ind=ind, grandfathered=not options.all_grades,
                    cv_target=options.cv_target, today_in_reach=today_in_reach,
                    admitted=allowed(plan, sec, moves=not today_in_reach)[:, idx],
                    siblings=siblings, siblings_stay=std.siblings_stay)
    return with_candidates(inst, options)


def _no_worse(plans: list[Plan], idx: np.ndarray, sec: str, size_cap: np.ndarray,
              rooms: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, T) hard limits: the size cap and rooms, or the baseline's where it is over them."""
    from planner.plan.classes import classes_needed

    needed = np.stack([classes_needed(p, sec)[idx] for p in plans], axis=1)
    return (np.maximum(size_cap, baseline).astype(np.int64),
            np.maximum(rooms, needed).astype(np.int64))


def _places(plans: list[Plan], idx: np.ndarray, k: int, baseline: np.ndarray) -> np.ndarray:
    """Return (S, T): the most pupils each section may have.

    Its places, or the baseline's pupils where it is already over them (a plan may not add
    to a school over its places); schools that only shrink keep to the baseline's.
    """
    from planner.capacity import section_places, shrink_only

    out = []
    for t, p in enumerate(plans):
        cap = section_places(p.schools, p.standards)["places"][idx, k]
        never = shrink_only(p.schools)[idx]
        out.append(np.where(never, baseline[:, t], np.maximum(cap, baseline[:, t])))
    return np.stack(out, axis=1).astype(np.int64)


def _floors(plans: list[Plan], idx: np.ndarray, k: int, baseline: np.ndarray) -> np.ndarray:
    """(S, T) pupils a section keeps to stay evaluated as in the baseline (else 0)."""
    from planner.indicators import exclusion_reasons

    out = np.zeros((len(idx), len(plans)), dtype=np.int64)
    for t, p in enumerate(plans):
        std = p.standards
        evaluated = (exclusion_reasons(p.schools, std) == None)[idx]  # noqa: E711
        tp = p.schools["kind"][idx] == "teaching_point"
        out[:, t] = np.where(evaluated & (baseline[:, t] > 0),
                             np.where(tp, std.teaching_point_min_students, 1), 0)
    return out


def _indicators(plans: list[Plan], idx: np.ndarray, k: int,
                freed: np.ndarray | None = None) -> Indicators:
    """The value functions, baseline compliance and CVs of the section's schools, by year.

    Schools `freed` (those a consolidation may close) are held out of the indicator rules
    and the CVs; a CV's limit is then the larger of its baseline with and without them.
    """
    from planner.indicators import compliance, exclusion_reasons, threshold_matrix

    sec = SECTIONS[k]
    plan = plans[0]
    std = plan.standards
    n_s, n_t, n_k = len(idx), len(plans), len(RESOURCE_KEYS)
    c = np.zeros((n_s, n_k))
    a = np.ones((n_s, n_k))
    o = np.zeros((n_s, n_t, n_k))
    for t, p in enumerate(plans):
        cols = p.schools
        shares = share_arrays(cols, std)
        w_total = _weighted(cols, std)[idx]
        own_w = _section_weight(cols, std, k)[idx]
        pupils = cols[f"students_{sec}"][idx].astype(float)
        for j, key in enumerate(RESOURCE_KEYS):
            col, factor = RESOURCE_COLUMNS[key]
            _, own = section_part(cols, col, sec, shares[k], teacher=key in TEACHER_KEYS)
            own = own[idx]
            if t == 0:
                total = np.asarray(cols[col], dtype=float)[idx]
                pair = np.asarray(cols.get(f"{col}_{sec}", np.full(len(cols[col]), np.nan)),
                                  dtype=float)[idx]
                c[:, j] = np.where(own, pair * factor, own_w * total * factor)
                a[:, j] = np.where(own, 1.0, own_w)
            o[:, t, j] = np.where(own, 0.0, w_total - own_w * pupils)
    thresholds = np.array([std.section(sec).threshold(key) for key in RESOURCE_KEYS])
    in_scope = np.zeros((n_s, n_t), dtype=bool)
    passing = np.zeros((n_s, n_t), dtype=bool)
    met = np.zeros((n_s, n_t), dtype=np.int64)
    at_floor = np.zeros((n_s, n_t, n_k), dtype=bool)
    resource = np.zeros((n_s, n_t, n_k))
    base_cv = np.full((n_t, n_k), np.nan)
    with_freed = np.full((n_t, n_k), np.nan)
    freed = np.zeros(n_s, dtype=bool) if freed is None else freed
    for t, p in enumerate(plans):
        pupils = p.schools[f"students_{sec}"][idx].astype(float)
        evaluated = (exclusion_reasons(p.schools, std) == None)[idx] & (  # noqa: E711
            pupils > 0)
        in_scope[:, t] = evaluated & ~freed
        with np.errstate(divide="ignore", invalid="ignore"):
            values = c / (a * pupils[:, None] + o[:, t])
        ok, floor_ok, compliant = compliance(
            values, threshold_matrix(np.full(n_s, k == 1), std), std)
        passing[:, t] = compliant & in_scope[:, t]
        met[:, t] = np.where(in_scope[:, t], ok.sum(axis=1), 0)
        at_floor[:, t] = floor_ok & in_scope[:, t, None]
        resource[:, t] = np.nan_to_num(values * pupils[:, None])
        m = in_scope[:, t]
        for j in range(n_k):
            base_cv[t, j] = coefficient_of_variation(pupils[m], resource[m, t, j])
            with_freed[t, j] = coefficient_of_variation(pupils[evaluated], resource[evaluated,
                                                                                   t, j])
    limit = std.section(sec).cv_limit
    top = np.fmax(base_cv, with_freed) if freed.any() else base_cv
    cv_limit = np.where(np.isnan(base_cv), np.inf, np.maximum(limit, top + 1e-12))
    return Indicators(c=c, a=a, o=o, threshold=thresholds, standards=std,
                      in_scope=in_scope, passing=passing,
                      met=met, at_floor=at_floor, resource=resource, cv_limit=cv_limit,
                      baseline_cv=base_cv)


def _weighted(cols, std) -> np.ndarray:
    """(S,) a school's students weighted as its shared resources split (A + 1.1B + 1.32C…)."""
    a = np.asarray(cols["students_primary"], dtype=float)
    b = np.asarray(cols["students_junior"], dtype=float)
    c = np.asarray(cols.get("students_senior", np.zeros(len(a))), dtype=float)
    kind = cols["kind"]
    cm = kind == "complete_middle"
    senior = np.where(kind == "twelve_year", std.senior_weight_twelve_year * c,
                      np.where(cm, std.senior_weight_complete_middle * c, 0.0))
    return np.where(cm, b + senior, a + std.junior_weight * b + senior)


def _section_weight(cols, std, k: int) -> np.ndarray:
    """(S,) the weight of one pupil of section k in :func:`_weighted`."""
    kind = cols["kind"]
    if k == 0:
        return np.ones(len(kind))
    return np.where(kind == "complete_middle", 1.0, std.junior_weight)


# --- candidates and contiguity ----------------------------------------------------------------

def with_candidates(inst: Instance, options: Options) -> Instance:
    """Give each unit its candidate schools and drop those contiguity can never allow."""
    if inst.key is None:
        inst = replace(inst, key=contiguity_keys(inst.dist, inst.neighbours, inst.holder))
        inst = replace(inst, exempt=frozenset(
            (u, int(s)) for u, s in enumerate(inst.zoned) if s >= 0 and inst.holder[s] != u
            and not any(inst.zoned[v] == s and nearer(inst, v, u, s)
                        for v in inst.neighbours[u])))
    limit = np.inf if options.max_distance_m is None else options.max_distance_m
    cand = _nearest_candidates(inst, options.candidates, limit)
    _grow_candidates(inst, cand, options.candidates, limit)
    # contiguity: x[u,s] needs a neighbour nearer to s with s among its candidates
    changed = True
    while changed:
        changed = False
        for u in range(len(inst.unit_ids)):
            for s in list(cand[u]):
                if inst.anchored(u, s):
                    continue
                if not any(s in cand[v] and nearer(inst, v, u, s) for v in inst.neighbours[u]):
                    cand[u].discard(s)
                    changed = True
    return replace(inst, candidates=[sorted(c) for c in cand])


def _nearest_candidates(inst: Instance, n: int, limit: float) -> list[set[int]]:
    cand: list[set[int]] = []
    for u in range(len(inst.unit_ids)):
        ok = np.flatnonzero(inst.reach(u))
        near = ok[np.argsort(inst.dist[u, ok], kind="stable")][:n]
        c = set(near.tolist())
        if inst.zoned[u] in ok:
            c.add(int(inst.zoned[u]))
        if u in inst.locked:
            c = {inst.locked[u]}
        cand.append(c)
    for s, h in enumerate(inst.holder):
        if (np.isfinite(inst.dist[h, s]) and inst.dist[h, s] <= limit and h not in inst.locked
                and inst.reach(h)[s]):
            cand[h].add(s)
    return cand


def _grow_candidates(inst: Instance, cand: list[set[int]], n: int, limit: float) -> None:
    """Add to a unit the schools its neighbours may join (it may lie on their way).

    Those within the limit and at most three times as far as its nearest, up to 3n in all.
    """
    for _ in range(3):
        grown = False
        for u in range(len(inst.unit_ids)):
            if u in inst.locked or not cand[u]:
                continue
            far = min(limit, 3 * min(inst.dist[u, k] for k in cand[u]))
            ok = inst.reach(u)
            for v in inst.neighbours[u]:
                for s in sorted(cand[v] - cand[u]):
                    if inst.dist[u, s] <= far and len(cand[u]) < 3 * n and ok[s]:
                        cand[u].add(s)
                        grown = True
        if not grown:
            break


def nearer(inst: Instance, v: int, u: int, s: int) -> bool:
    """Whether unit v is nearer to school s than unit u (ties broken by unit index)."""
    return (inst.key[v, s], v) < (inst.key[u, s], u)


def contiguity_keys(dist: np.ndarray, neighbours: list[list[int]], holder: np.ndarray
                    ) -> np.ndarray:
    """Return (U, S): how near each unit is to each school, for the contiguity rule.

    The road distance, except for a unit none of whose neighbours is nearer by road (its road
    to the school runs past them): it counts 1 m further than its nearest neighbour, so that
    every unit connected to the school's unit by neighbours can join it, and a chain of ever
    nearer neighbours always ends at the school's unit (key(u) = max(d(u), min over
    neighbours key(v) + 1), the holder's key its distance; a Dijkstra over the units).
    """
    n_u, n_s = dist.shape
    key = np.full((n_u, n_s), np.inf)
    for s in range(n_s):
        h = int(holder[s])
        if not np.isfinite(dist[h, s]):
            continue
        k, done = key[:, s], np.zeros(n_u, dtype=bool)
        k[h] = dist[h, s]
        heap = [(k[h], h)]
        while heap:
            kv, v = heapq.heappop(heap)
            if done[v]:
                continue
            done[v] = True
            for u in neighbours[v]:
                if done[u] or not np.isfinite(dist[u, s]):
                    continue
                cand = max(dist[u, s], kv + 1.0)
                if cand < k[u]:
                    k[u] = cand
                    heapq.heappush(heap, (cand, u))
    return key
