"""A plan: one county's schools, units, pupils and zoning as arrays — what the engine reads.

A :class:`Plan` is built once from a workspace (:func:`plan_from_workspace`: the zoning from
the catchment polygons, the distances from the roads) and then changed only by edits
(planner/plan/edits.py), each of which returns a new plan sharing the arrays it did not
change. The evaluation (planner/evaluation.py) reads a plan; frames for maps, reports and
exports are built from it when asked for (:attr:`Plan.ws`, :attr:`Plan.zoning`).

- schools: the school columns of the contract as arrays, plus `lon` and `lat` (WGS84);
- units: ids, names, area types and resident children by grade (fixed by edits);
- enrolment rows: unit, school, grade, pupils, and the school the row's cohort is zoned to
  (`ez`; a catchment change for entrants leaves enrolled cohorts zoned where they entered);
- zone: per section and unit, the school whose catchment takes its entrants (−1: none);
- distances: unit × school in the plan's school order (a new school gets its column).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import travel
from planner.schema import GRADES, SECTIONS
from planner.standards import Standards
from planner.workspace import WGS84, Workspace, canonical, mend

NO_SCHOOL = -1


@dataclass(frozen=True, eq=False)
class Units:
    """The residential units of a plan (no edit changes them).

    Attributes
    ----------
    ids, names, area_type
        Per unit (object arrays).
    children
        (U, 9) resident children by grade.
    """

    ids: np.ndarray
    names: np.ndarray
    area_type: np.ndarray
    children: np.ndarray

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """unit_id → row."""
        return {u: i for i, u in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class Rows:
    """Enrolment rows: who attends where (a row may repeat a key after moves).

    Attributes
    ----------
    eu, es
        Unit index and school index of each row.
    grade, n
        Grade (1–9) and pupils.
    ez
        The school the row's cohort is zoned to (−1: none).
    """

    eu: np.ndarray
    es: np.ndarray
    grade: np.ndarray
    n: np.ndarray
    ez: np.ndarray

    def __len__(self) -> int:
        return len(self.n)

    def with_schools(self, es: np.ndarray | None = None, ez: np.ndarray | None = None) -> Rows:
        """Return rows with new school and zoned-school columns (the rest shared)."""
        return replace(self, es=self.es if es is None else es, ez=self.ez if ez is None else ez)


@dataclass(frozen=True, eq=False)
class PolygonChecks:
    """What the catchment polygons themselves show (a baseline read from a workspace).

    A plan's catchments after any zoning edit are its units dissolved, which tile by
    construction; these checks then no longer apply.

    Attributes
    ----------
    tiling
        Overlaps and gaps over the tolerance: section, kind, school_ids, area_m2.
    several
        Units that lie in several catchments of a section: unit_id, section, school_ids.
    """

    tiling: pd.DataFrame
    several: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Plan:
    """A county being planned (see the module docstring).

    Attributes
    ----------
    source
        The workspace the plan came from: meta, county table, unit geometry, roads (its
        schools and enrolment are today's; :attr:`ws` has the plan's).
    standards
        The profile the plan is evaluated and re-planned against.
    schools
        School columns as arrays, with `lon` and `lat`.
    units, rows, zone
        Units, enrolment rows and each unit's zoned school per section (2, U).
    distances
        Unit × school distances with columns in the plan's school order, or None.
    polygons
        The baseline catchment polygons' own checks, or None for a plan from its units.
    touched
        School ids the last edits changed.
    year
        The school year the enrolment describes (the workspace's), or None.
    has_zoning
        Whether the workspace had units, catchments and enrolment (G1 and G13 computable).
    exchanges
        The teacher exchanges scenario edits give: (school year, teachers, backbone among
        them); G11 of a year with one is computed from it.
    static
        Values no edit changes, made once and shared by the plans edited from this one.
    """

    source: Workspace
    standards: Standards
    schools: dict[str, np.ndarray]
    units: Units
    rows: Rows
    zone: np.ndarray
    distances: travel.Distances | None = None
    polygons: PolygonChecks | None = None
    touched: frozenset[str] = field(default_factory=frozenset)
    year: int | None = None
    has_zoning: bool = False
    exchanges: tuple[tuple[int, int, int], ...] = ()
    static: dict = field(default_factory=dict, repr=False)

    def once(self, key: object, make):
        """Return a value that no edit changes (county rows, unit neighbours…), made once.

        The cache is shared by every plan edited from the same baseline; `key` must name
        everything the value depends on beyond the workspace itself.
        """
        if key not in self.static:
            self.static[key] = make()
        return self.static[key]

    # --- look-ups -------------------------------------------------------------------------

    @property
    def school_ids(self) -> np.ndarray:
        """School ids in the plan's order."""
        return self.schools["school_id"]

    @functools.cached_property
    def school_index(self) -> dict[str, int]:
        """school_id → position."""
        return {s: i for i, s in enumerate(self.schools["school_id"])}

    @functools.cached_property
    def pupils_by_grade(self) -> np.ndarray:
        """(S, 9) pupils per school and grade, from the enrolment rows."""
        r = self.rows
        out = np.zeros(len(self.school_ids) * 9, dtype=np.int64)
        np.add.at(out, r.es * 9 + (r.grade - 1), r.n)
        return out.reshape(len(self.school_ids), 9)

    def teaches(self, section: str) -> np.ndarray:
        """(S,) whether each school teaches `section` (special schools take no catchment)."""
        from planner.schema import KIND_SECTIONS

        return np.array([k != "special" and section in KIND_SECTIONS[k]
                         for k in self.schools["kind"]], dtype=bool)

    # --- frames ---------------------------------------------------------------------------

    @functools.cached_property
    def zoning(self) -> pd.DataFrame:
        """Each unit's zoned school per section: index unit_id, columns primary, junior."""
        ids = self.school_ids
        data = {sec: np.where(self.zone[k] >= 0, ids[np.maximum(self.zone[k], 0)], None)
                if len(ids) else np.full(len(self.units), None, dtype=object)
                for k, sec in enumerate(SECTIONS)}
        out = pd.DataFrame(data, index=pd.Index(self.units.ids, name="unit_id"), dtype=object)
        out.columns.name = "section"
        return out

    @functools.cached_property
    def schools_frame(self) -> gpd.GeoDataFrame:
        """The schools layer of the plan (canonical, WGS84)."""
        cols = {c: v for c, v in self.schools.items() if c not in ("lon", "lat")}
        frame = pd.DataFrame(cols)
        geometry = gpd.points_from_xy(self.schools["lon"], self.schools["lat"], crs=WGS84)
        return gpd.GeoDataFrame(canonical(frame, "schools"), geometry=geometry, crs=WGS84)

    @functools.cached_property
    def enrolment(self) -> pd.DataFrame:
        """The enrolment table (unit_id, school_id, grade, students), rows merged by key."""
        r = self.rows
        frame = pd.DataFrame({"u": r.eu, "s": r.es, "grade": r.grade, "students": r.n})
        frame = frame.groupby(["u", "s", "grade"], as_index=False, sort=True)["students"].sum()
        frame = frame[frame["students"] > 0]
        out = pd.DataFrame({"unit_id": self.units.ids[frame["u"].to_numpy()],
                            "school_id": self.school_ids[frame["s"].to_numpy()],
                            "grade": frame["grade"].to_numpy(),
                            "students": frame["students"].to_numpy()})
        return canonical(out, "enrolment")

    @functools.cached_property
    def ws(self) -> Workspace:
        """The workspace of the plan: its schools, enrolment and units' children.

        The children differ from the source's in a projected year (planner/projection.py).
        Its catchments are as read; :func:`materialise` rebuilds them from the zoning.
        """
        ws = self.source.replace(schools=self.schools_frame)
        if self.has_zoning:
            ws = ws.replace(enrolment=self.enrolment)
            units, grades = ws.units, [f"g{g}" for g in GRADES]
            if not np.array_equal(units[grades].to_numpy(), self.units.children):
                units = units.copy()
                units[grades] = self.units.children
                ws = ws.replace(units=units)
        return ws


def _school_arrays(ws: Workspace) -> dict[str, np.ndarray]:
    frame = pd.DataFrame(ws.schools.drop(columns=ws.schools.geometry.name))
    cols = {c: frame[c].to_numpy(dtype=object if frame[c].dtype == "str" else None)
            for c in frame.columns}
    cols["lon"] = ws.schools.geometry.x.to_numpy(dtype=float)
    cols["lat"] = ws.schools.geometry.y.to_numpy(dtype=float)
    return cols


def _units(ws: Workspace) -> Units:
    if ws.units is None:
        empty = np.array([], dtype=object)
        return Units(empty, empty, empty, np.zeros((0, 9), dtype=np.int64))
    u = ws.units
    return Units(ids=u["unit_id"].to_numpy(dtype=object), names=u["name"].to_numpy(dtype=object),
                 area_type=u["area_type"].to_numpy(dtype=object),
                 children=u[[f"g{g}" for g in GRADES]].to_numpy(dtype=np.int64))


def plan_from_workspace(ws: Workspace, standards: Standards, *,
                        distances: travel.Distances | None | str = "auto",
                        zoning: pd.DataFrame | None = None) -> Plan:
    """Make the plan of a workspace (its baseline).

    Parameters
    ----------
    ws
        The workspace; a schools layer alone is enough (no zoning, G1 and G13 missing).
    standards
        The profile to evaluate and re-plan against.
    distances
        Unit × school distances; "auto" (default) takes the workspace's cached matrix when
        valid, else computes them from its roads (or the straight-line fallback); None: none.
    zoning
        Each unit's zoned school per section (index unit_id); by default read from the
        catchment polygons (the catchment covering most of a unit).
    """
    from planner import zoning as zn

    schools = _school_arrays(ws)
    units = _units(ws)
    sindex = {s: i for i, s in enumerate(schools["school_id"])}
    has_zoning = (ws.units is not None and ws.enrolment is not None
                  and (ws.catchments is not None or zoning is not None))
    polygons = None
    zone = np.full((2, len(units)), NO_SCHOOL, dtype=np.int64)
    if has_zoning:
        if zoning is None:
            holdings = zn.unit_catchments(ws)
            zoning = zn.zoning_table(holdings, ws.units["unit_id"])
            from planner.layout import tiling

            polygons = PolygonChecks(tiling=tiling(ws), several=zn.held_by_several(holdings, ws))
        for k, sec in enumerate(SECTIONS):
            z = zoning[sec].reindex(units.ids).to_numpy(dtype=object)
            zone[k] = [sindex.get(x, NO_SCHOOL) if isinstance(x, str) else NO_SCHOOL for x in z]
    rows = _rows(ws, units, sindex, zone, standards)
    if isinstance(distances, str):
        distances = travel.distances_for(ws) if has_zoning else None
    if distances is not None:
        distances = travel.aligned(distances, units.ids, schools["school_id"])
    year = getattr(ws.meta, "year", None)
    return Plan(source=ws, standards=standards, schools=schools, units=units, rows=rows, zone=zone,
                distances=distances, polygons=polygons, year=year, has_zoning=has_zoning)


def _rows(ws: Workspace, units: Units, sindex: dict[str, int], zone: np.ndarray,
          standards: Standards) -> Rows:
    e = ws.enrolment
    if e is None or not len(e):
        z = np.zeros(0, dtype=np.int64)
        return Rows(z, z, z, z, z)
    eu = pd.Index(units.ids).get_indexer(e["unit_id"].to_numpy(dtype=object)).astype(np.int64)
    es = pd.Index(list(sindex)).get_indexer(e["school_id"].to_numpy(dtype=object))
    grade = e["grade"].to_numpy(dtype=np.int64)
    junior = standards.is_junior(grade).astype(np.int64)
    ez = zone[junior, eu] if len(units) else np.full(len(e), NO_SCHOOL)
    return Rows(eu=eu, es=es.astype(np.int64), grade=grade,
                n=e["students"].to_numpy(dtype=np.int64), ez=ez.astype(np.int64))


def with_rows(plan: Plan, rows: Rows, **changes: object) -> Plan:
    """Return a plan with new enrolment rows (and other fields), its caches dropped."""
    return replace(plan, rows=rows, **changes)


def catchments_from_zoning(units: gpd.GeoDataFrame, zoning: pd.DataFrame, crs_m: str
                           ) -> gpd.GeoDataFrame:
    """Rebuild catchment polygons by dissolving units by their zoned school, per section."""
    u = units[["unit_id", "geometry"]].to_crs(crs_m).set_index("unit_id")
    parts = []
    for sec in SECTIONS:
        z = zoning[sec].dropna()
        g = gpd.GeoDataFrame({"school_id": z.to_numpy(), "section": sec},
                             geometry=u.geometry.reindex(z.index).to_numpy(), crs=crs_m)
        parts.append(g.dissolve(by="school_id", as_index=False, sort=True))
    out = pd.concat(parts, ignore_index=True)[["school_id", "section", "geometry"]]
    out["geometry"] = mend(out.geometry)
    return canonical(gpd.GeoDataFrame(out, crs=crs_m).to_crs(WGS84), "catchments")


def materialise(plan: Plan) -> Workspace:
    """Return the plan as a workspace, with catchments rebuilt from its units.

    Its schools, enrolment and units' children are the plan's: what an export writes and
    maps draw.
    """
    ws = plan.ws
    if not plan.has_zoning:
        return ws
    return ws.replace(catchments=catchments_from_zoning(ws.units, plan.zoning,
                                                        plan.source.meta.crs))
