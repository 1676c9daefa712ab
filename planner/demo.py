"""A deterministic synthetic county on the north-China plain, for the demo, tests and benchmarks.

About 0.5 M people: a county seat (城区) of 80 communities in two street offices, 3 towns,
10 township seats and 300 villages as unit polygons tiling the county; 135 schools of every
kind with every SPEC column; about 50 000 pupils in school year 2026; catchments built from
units; enrolment with realistic choice (and the special school's pupils); births by unit
2010–2025 following the national curve; the enrolment of school years 2023–2025; two housing
estates in the seat from 2027; a road network of ≥ 15 k nodes in osmnx's layout.

The baseline fails the way real counties do, for the reasons they do: the seat's famous schools
are over the size cap with classes over the class cap; rural schools have few county-level
backbone teachers (so the backbone CV is over its limit); seat schools have fewer music and art
rooms than their classes need; a tenth of seat children attend outside their catchment. Yet
the county has enough classrooms for a layout within the caps.

Everything is made in a projected CRS (CGCS2000 / 3-degree Gauss-Krüger CM 114°E for the
demo) and stored in WGS84. All of it is invented: the names (see planner.demo_names), the
numbers and the roads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from planner.demo_cohorts import BIRTHS_TABLE_YEARS, Cohorts, simulate
from planner.demo_names import community_names, township_names, village_names
from planner.schema import (
    GRADES,
    KIND_SECTIONS,
    SECTIONS,
    TEACHER_COLUMNS,
    section_grades,
    section_of_grade,
)
from planner.workspace import WGS84, Meta, Workspace, canonical, mend, utm_like_crs

DEMO_CENTRE_LONLAT = (115.17, 36.07)
TILE_PITCH_M = 34_000.0
COUNTY_RADIUS_M = 14_000.0
DEMO_YEAR = 2026  # the school year the enrolment describes (2026–27)
HISTORY_YEARS = (2023, 2024, 2025)  # the enrolment history the demo ships
CLASS_CAP = {"primary": 45, "junior": 50}


@dataclass(frozen=True)
class CountyShape:
    """What makes one synthetic county differ from another (the demo's defaults reproduce it).

    Attributes
    ----------
    name
        The county's name (fictional); the meta name adds "（合成数据）".
    code
        Four digits that start every school and unit id (two for the province, two for a
        prefecture that does not exist: 99).
    seat_communities
        Communities (社区) of the county seat (城区), on a jittered 500 m grid.
    towns
        Towns (镇区 other than the seat), each with `town_communities` communities.
    town_communities
        Communities per town.
    township_seats
        Township seats (乡镇驻地), each with a central primary and a junior school.
    villages
        Villages (村), at least 1 050 m apart.
    village_children
        Mean children per grade of a village at the 2016 birth peak (lognormal across
        villages).
    seat_children
        Factor on the children per grade of each county-seat community (the urban share).
    seat_growth
        Yearly drift of the county seat's births against the national curve (> 0: they fall
        slower than the nation's).
    village_decline
        Yearly drift of the villages' births below the national curve (> 0: they fall faster;
        township seats drift half as much).
    seat_oversize
        Factor on how strongly the county seat's famous schools draw choosers (1 = the demo's;
        larger makes them more oversized).
    rural_backbone
        Factor on the share of county-level backbone teachers in township and village schools
        (below 1 is thinner, which drives the backbone CV further over its limit).
    radius_m
        Mean radius of the county outline, metres.
    centre_offset_deg
        (Δlon, Δlat) in degrees added to the demo's centre, 115.17°E 36.07°N.
    """

    name: str = "示范县"
    code: str = "4199"
    seat_communities: int = 80
    towns: int = 3
    town_communities: int = 6
    township_seats: int = 10
    villages: int = 300
    village_children: float = 9.0
    seat_children: float = 1.0
    seat_growth: float = 0.03
    village_decline: float = 0.035
    seat_oversize: float = 1.0
    rural_backbone: float = 1.0
    radius_m: float = 14_000.0
    centre_offset_deg: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        problems = []
        if not (len(self.code) == 4 and self.code.isdigit()):
            problems.append(f"code must be four digits, got {self.code!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or value < 0):
                problems.append(f"{f.name} must be a whole number ≥ 0, got {value!r}")
        if self.seat_communities < 12:
            problems.append(f"seat_communities must be ≥ 12, got {self.seat_communities}")
        if self.township_seats < 1:
            problems.append(f"township_seats must be ≥ 1, got {self.township_seats}")
        if self.town_communities < 3:
            problems.append(f"town_communities must be ≥ 3, got {self.town_communities}")
        for name in ("village_children", "seat_children", "seat_oversize", "rural_backbone"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        if not 5_000 <= self.radius_m <= 60_000:
            problems.append(f"radius_m must be 5 000–60 000 m, got {self.radius_m}")
        # villages 1 050 m apart need about 1.2 km² each inside the outline
        room = math.pi * (self.radius_m - 400) ** 2 - math.pi * 3000**2
        if self.villages * 1.6e6 > room:
            problems.append(f"{self.villages} villages do not fit in a county of radius "
                            f"{self.radius_m:,.0f} m; raise radius_m")
        if problems:
            raise ValueError("; ".join(problems))


DEFAULT_SHAPE = CountyShape()


@dataclass
class _Tile:
    """One synthetic county's parts, in the projected CRS, before ids are finalised."""

    code: str = "4199"
    county: object = None
    units: list[dict] = field(default_factory=list)
    schools: list[dict] = field(default_factory=list)
    enrolment: list[tuple[str, str, int, int]] = field(default_factory=list)
    history: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    births: list[tuple[str, int, int]] = field(default_factory=list)
    developments: list[dict] = field(default_factory=list)
    catchment_of: dict[tuple[str, str], str] = field(default_factory=dict)
    node_xy: np.ndarray | None = None
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    county_rows: list[dict] = field(default_factory=list)


def make_demo(*, seed: int = 7, scale: int = 1, shape: CountyShape = DEFAULT_SHAPE) -> Workspace:
    """Make the synthetic demo county.

    Parameters
    ----------
    seed
        The random seed; the same seed and shape give the same layers.
    scale
        K copies of the county side by side (units, schools and roads × K), joined by roads,
        for benchmarks. 1 is the demo county.
    shape
        What the county is like (sizes, how strongly it fails, where it lies);
        `DEFAULT_SHAPE` is the bundled demo county.

    Returns
    -------
    The workspace, in WGS84, with `meta.synthetic` set and `meta.year` = DEMO_YEAR.
    """
    if scale < 1:
        msg = f"scale must be a whole number ≥ 1, got {scale}"
        raise ValueError(msg)
    centre = (DEMO_CENTRE_LONLAT[0] + shape.centre_offset_deg[0],
              DEMO_CENTRE_LONLAT[1] + shape.centre_offset_deg[1])
    crs = utm_like_crs(centre[0])
    to_proj = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    x0, y0 = to_proj.transform(*centre)
    cols = math.ceil(math.sqrt(scale))
    pitch = TILE_PITCH_M * shape.radius_m / COUNTY_RADIUS_M
    tiles = []
    for t in range(scale):
        origin = (x0 + (t % cols) * pitch, y0 - (t // cols) * pitch)
        rng = np.random.default_rng([seed, t])
        tiles.append(_make_tile(rng, origin, t, shape))
    return _assemble(tiles, scale, shape, crs)


# --- geometry of one county ------------------------------------------------------------------

def _county_polygon(rng: np.random.Generator, cx: float, cy: float, radius_m: float) -> object:
    theta = np.linspace(0, 2 * np.pi, 181)[:-1]
    p1, p2, p3 = rng.uniform(0, 2 * np.pi, 3)
    r = radius_m * (1 + 0.10 * np.sin(3 * theta + p1) + 0.06 * np.sin(5 * theta + p2)
                           + 0.03 * np.sin(11 * theta + p3))
    return shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _grid_points(cx: float, cy: float, nx: int, ny: int, step: float) -> np.ndarray:
    xs = cx + (np.arange(nx) - (nx - 1) / 2) * step
    ys = cy + (np.arange(ny) - (ny - 1) / 2) * step
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _farthest(points: np.ndarray, k: int, taken: np.ndarray | None = None) -> list[int]:
    """Pick k indices spread out (farthest-point sampling), deterministic."""
    chosen: list[int] = []
    if taken is not None and len(taken):
        d = cKDTree(taken).query(points)[0]
    else:
        centre = points.mean(axis=0)
        chosen.append(int(np.argmin(((points - centre) ** 2).sum(axis=1))))
        d = np.hypot(*(points - points[chosen[0]]).T)
    while len(chosen) < k:
        i = int(np.argmax(d))
        chosen.append(i)
        d = np.minimum(d, np.hypot(*(points - points[i]).T))
    return chosen


def _sites(points: np.ndarray, k: int, centre: np.ndarray) -> list[int]:
    """Pick k distinct points near the centres of k even clusters, nearest `centre` first."""
    centres = points[_farthest(points, k)]
    for _ in range(25):
        label = cKDTree(centres).query(points)[1]
        centres = np.array([points[label == j].mean(axis=0) if (label == j).any() else centres[j]
                            for j in range(k)])
    order = np.argsort(np.hypot(*(centres - centre).T), kind="stable")
    picked: list[int] = []
    for j in order:
        d = np.hypot(*(points - centres[j]).T)
        d[picked] = np.inf
        picked.append(int(np.argmin(d)))
    return picked



def _place_villages(rng: np.random.Generator, inner, avoid: list, n: int) -> np.ndarray:
    """(n, 2) village points inside `inner`, clear of the settlements and 1 050 m apart."""
    villages: list[np.ndarray] = []
    minx, miny, maxx, maxy = inner.bounds
    tries = 0
    while len(villages) < n and tries < 200_000:
        tries += 1
        p = rng.uniform([minx, miny], [maxx, maxy])
        if not inner.contains(shapely.Point(p)):
            continue
        if any(np.hypot(*(p - c)) < r for c, r in avoid):
            continue
        if villages and np.min(np.hypot(*(np.array(villages) - p).T)) < 1050:
            continue
        villages.append(p)
    if len(villages) < n:
        msg = (f"only {len(villages)} of {n} villages fit 1 050 m apart; raise "
               "radius_m or lower villages")
        raise ValueError(msg)
    return np.array(villages).reshape(-1, 2)


def _make_tile(rng: np.random.Generator, origin: tuple[float, float], t: int,
               shape: CountyShape) -> _Tile:
    tile = _Tile(code=shape.code)
    cx, cy = origin
    stretch = shape.radius_m / COUNTY_RADIUS_M
    county = _county_polygon(rng, cx, cy, shape.radius_m)
    tile.county = county
    inner = county.buffer(-400)

    # settlements -------------------------------------------------------------------------
    n_seat, n_town, n_ts = shape.seat_communities, shape.towns, shape.township_seats
    seat_c = np.array([cx + rng.uniform(-800, 800), cy + rng.uniform(-800, 800)])
    side = math.ceil(math.sqrt(n_seat))
    seat_pts = _grid_points(*seat_c, side, side, 500.0)[:n_seat] + rng.uniform(-90, 90,
                                                                            (n_seat, 2))
    base_angle = rng.uniform(0, 2 * np.pi)
    town_c = [seat_c + 8500 * stretch * np.array([math.cos(a), math.sin(a)])
              for a in base_angle + np.arange(n_town) * 2 * np.pi / max(n_town, 1)]
    per_town = shape.town_communities
    town_pts = [_grid_points(*c, 3, math.ceil(per_town / 3), 450.0)[:per_town]
                + rng.uniform(-60, 60, (per_town, 2)) for c in town_c]
    seat_angles = base_angle + np.pi / 3 + np.arange(n_ts) * 2 * np.pi / max(n_ts, 1) + (
        rng.uniform(-0.12, 0.12, n_ts))
    seat_dist = rng.uniform(5200, 10500, n_ts) * stretch
    township_c = [seat_c + d * np.array([math.cos(a), math.sin(a)])
                  for a, d in zip(seat_angles, seat_dist, strict=True)]
    township_c = [c if inner.contains(shapely.Point(c)) else seat_c + 0.6 * (c - seat_c)
                  for c in township_c]
    avoid = [(seat_c, 3000.0)] + [(c, 1500.0) for c in town_c] + [(c, 1100.0)
                                                                  for c in township_c]
    village_pts = _place_villages(rng, inner, avoid, shape.villages)

    # names: two street offices in the seat, towns (镇), townships (乡, some 镇) ---------------
    stems = township_names(rng, 2 + n_town + n_ts, suffix="")
    streets = [f"{s}街道" for s in stems[:2]]
    towns = [f"{s}镇" for s in stems[2:2 + n_town]]
    townships = [f"{s}{'镇' if k % 3 == 1 else '乡'}" for k, s in enumerate(stems[2 + n_town:])]
    seat_street = [streets[int(p[0] > seat_c[0])] for p in seat_pts]
    centres = np.array([seat_c, *town_c, *township_c])
    owner = cKDTree(centres).query(village_pts)[1] if len(village_pts) else np.array([], int)
    seat_tree = cKDTree(seat_pts)
    village_town = [seat_street[seat_tree.query(p)[1]] if k == 0 else
                    towns[k - 1] if k <= n_town else townships[k - 1 - n_town]
                    for p, k in zip(village_pts, owner, strict=True)]

    # units -------------------------------------------------------------------------------
    prefix = f"{shape.code}{t:02d}"
    comm = community_names(rng, n_seat)
    vnames = village_names(rng, len(village_pts), village_town)
    for i, p in enumerate(seat_pts):
        d = np.hypot(*(p - seat_c))
        size = (19 + 24 * math.exp(-d / 1400)) * shape.seat_children  # denser old centre
        tile.units.append(_unit(prefix, "1", i, comm[i], "urban", seat_street[i], p, size,
                                "seat"))
    for k, pts in enumerate(town_pts):
        for i, p in enumerate(pts):
            street = "东西南北中新"[i] if i < 6 else f"第{i + 1}"
            name = f"{towns[k].removesuffix('镇')}{street}街社区"
            tile.units.append(_unit(prefix, "2", k * max(10, per_town) + i, name, "town",
                                    towns[k], p, 21.0, "town"))
    for k, p in enumerate(township_c):
        name = f"{townships[k][:-1]}社区"
        tile.units.append(_unit(prefix, "3", k, name, "town", townships[k], p, 44.0,
                                "township"))
    for i, p in enumerate(village_pts):
        size = float(rng.lognormal(math.log(shape.village_children), 0.45))
        tile.units.append(_unit(prefix, "4", i, vnames[i], "rural", village_town[i], p, size,
                                "village"))
    seeds = np.array([u["xy"] for u in tile.units])
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=county.buffer(2000),
                                     ordered=True)
    for u, cell in zip(tile.units, cells.geoms, strict=True):
        u["geometry"] = shapely.intersection(cell, county)

    # children: births since 2009, cohorts moving to the seat, grades of 2023–2026 ------------
    cohorts = simulate(rng, np.array([u["size"] for u in tile.units]) * _SIZE_TO_BIRTHS,
                       [u["settlement"] for u in tile.units], now=DEMO_YEAR,
                       first_kept=HISTORY_YEARS[0], seat_growth=shape.seat_growth,
                       village_decline=shape.village_decline)
    for g in GRADES:
        for u, n in zip(tile.units, cohorts.grade(DEMO_YEAR, g), strict=True):
            u[f"g{g}"] = int(n)
    for year in BIRTHS_TABLE_YEARS:
        tile.births += [(u["unit_id"], year, int(n))
                        for u, n in zip(tile.units, cohorts.births_of(year), strict=True)]

    # schools -----------------------------------------------------------------------------
    _place_schools(tile, rng, t, shape, seat_pts, town_pts, township_c, village_pts, streets,
                   towns, townships)
    _zone(tile)
    special = _special_children(tile, rng, cohorts)
    tile.enrolment = _enrol(tile, rng, shape, {g: [u[f"g{g}"] for u in tile.units]
                                               for g in GRADES}, special[DEMO_YEAR])
    for year in HISTORY_YEARS:
        kids = {g: cohorts.grade(year, g).tolist() for g in GRADES}
        tile.history += [(year, *row) for row in _enrol(tile, rng, shape, kids,
                                                        special[year])]
    _fill_school_columns(tile, rng, shape)
    tile.county_rows = _county_table(rng, tile) if t == 0 else []
    tile.developments = _developments(tile, rng)

    # roads -------------------------------------------------------------------------------
    _roads(tile, rng, county, seat_c, town_c, township_c, village_pts)
    return tile


# Births per child of a grade at the 2016 peak: cohorts lose children to the cities.
_SIZE_TO_BIRTHS = 1.12


def _unit(prefix: str, group: str, i: int, name: str, area_type: str, township: str,
          xy: np.ndarray, size: float, settlement: str) -> dict:
    """A unit: its id, name, township and its size (children per grade at the 2016 peak)."""
    return {"unit_id": f"{prefix}{group}{i:05d}", "name": name, "area_type": area_type,
            "township": township, "xy": np.asarray(xy, dtype=float), "size": float(size),
            "settlement": settlement}


# --- schools ---------------------------------------------------------------------------------

_SEAT_PRIMARY = [("{county}实验小学", 0.42), ("{county}第二实验小学", 0.34),
                 ("{county}城区第一小学", 0.05), ("{county}城区第二小学", 0.04),
                 ("{county}城区第三小学", 0.03), ("{county}城区第四小学", 0.02),
                 ("{county}城区第五小学", 0.02), ("{county}城区第六小学", 0.02),
                 ("{county}博雅小学", 0.04)]
_PRIVATE = "{county}博雅小学"
_SEAT_MIXED = [("nine_year", "城东九年一贯制学校", 0.0), ("nine_year", "城西九年一贯制学校", 0.0),
               ("twelve_year", "{county}外国语学校", 0.0)]
_SEAT_JUNIOR = [("junior", "{county}实验中学", 0.55), ("junior", "{county}第二初级中学", 0.12),
                ("junior", "{county}第三初级中学", 0.06), ("junior", "{county}城区初级中学", 0.05),
                ("complete_middle", "{county}第一中学", 0.12)]
# Teaching points serve villages whose primary children (grades 1–6) number this many today.
_TEACHING_POINT_CHILDREN = (19, 52)


def _seat_lists(n_seat: int, county: str) -> tuple[list, list, list]:
    """The county seat's primary, mixed and junior schools, scaled with its communities."""
    f = n_seat / 80
    n_p, n_m, n_j = max(2, round(9 * f)), min(3, max(1, round(3 * f))), max(2, round(5 * f))
    prim = _SEAT_PRIMARY[:n_p] + [(f"{{county}}城区第{k - 1}小学", 0.02) for k in range(9, n_p)]
    jun = _SEAT_JUNIOR[:n_j] + [("junior", f"{{county}}城区第{k - 2}初级中学", 0.03)
                                for k in range(5, n_j)]
    prim = [(name.format(county=county), pull) for name, pull in prim]
    mixed = [(kind, name.format(county=county), pull) for kind, name, pull in _SEAT_MIXED[:n_m]]
    jun = [(kind, name.format(county=county), pull) for kind, name, pull in jun]
    return prim, mixed, jun


def _school(tile: _Tile, t: int, kind: str, name: str, xy: np.ndarray, unit: dict, area: str,
            rng: np.random.Generator, *, pull: float = 0.0, public: bool = True,
            boarding: bool = False, central: str | None = None) -> dict:
    sid = f"{tile.code}{t:02d}{len(tile.schools) + 1:04d}"
    offset = rng.uniform(-60, 60, 2)
    school = {"school_id": sid, "name": name, "kind": kind, "area_type": area, "public": public,
              "boarding": boarding, "central_school_id": central, "xy": xy + offset,
              "unit_id": unit["unit_id"], "pull": pull, "settlement": unit["settlement"]}
    tile.schools.append(school)
    return school


def _place_schools(tile: _Tile, rng: np.random.Generator, t: int, shape: CountyShape,
                   seat_pts, town_pts, township_c, village_pts, streets, towns,
                   townships) -> None:
    units = tile.units
    n_seat, per_town, n_town = shape.seat_communities, shape.town_communities, shape.towns
    seat_units = units[:n_seat]
    town_units = [units[n_seat + per_town * k: n_seat + per_town * (k + 1)]
                  for k in range(n_town)]
    n_ts = n_seat + per_town * n_town
    ts_units = units[n_ts: n_ts + shape.township_seats]
    vil_units = units[n_ts + shape.township_seats:]
    seat_primary, seat_mixed, seat_junior = _seat_lists(n_seat, shape.name)
    private = _PRIVATE.format(county=shape.name)

    n_p = len(seat_primary)
    prim = _sites(seat_pts, n_p + len(seat_mixed), seat_pts.mean(axis=0))
    for j, i in enumerate(prim[:n_p]):
        name, pull = seat_primary[j]
        _school(tile, t, "primary", name, seat_pts[i], seat_units[i], "urban", rng, pull=pull,
                public=name != private)
    for j, i in enumerate(prim[n_p:]):
        kind, name, pull = seat_mixed[j]
        _school(tile, t, kind, name, seat_pts[i], seat_units[i], "urban", rng, pull=pull)
    rest = [i for i in range(n_seat) if i not in prim]
    jun = _sites(seat_pts[rest], len(seat_junior), seat_pts.mean(axis=0))
    for j, i in enumerate(jun):
        kind, name, pull = seat_junior[j]
        _school(tile, t, kind, name, seat_pts[rest[i]], seat_units[rest[i]], "urban", rng,
                pull=pull, boarding=kind == "complete_middle")
    special_at = [i for i in range(n_seat) if i not in prim
                  and i not in [rest[k] for k in jun]][0]
    _school(tile, t, "special", f"{shape.name}特殊教育学校", seat_pts[special_at],
            seat_units[special_at], "urban", rng, boarding=True)

    for k in range(n_town):
        pts, us, town = town_pts[k], town_units[k], towns[k]
        order = _farthest(pts, 3)
        if k % 3 < 2:
            _school(tile, t, "primary", f"{town}第一小学", pts[order[0]], us[order[0]], "town",
                    rng, pull=0.02)
            _school(tile, t, "primary", f"{town}第二小学", pts[order[1]], us[order[1]], "town",
                    rng)
            _school(tile, t, "junior", f"{town}初级中学", pts[order[2]], us[order[2]], "town",
                    rng, pull=0.02, boarding=True)
        else:
            _school(tile, t, "primary", f"{town}中心小学", pts[order[0]], us[order[0]], "town",
                    rng, pull=0.02)
            _school(tile, t, "nine_year", f"{town}九年一贯制学校", pts[order[1]], us[order[1]],
                    "town", rng, boarding=True)
    centrals: list[dict] = []
    for k, c in enumerate(township_c):
        name = townships[k]
        centrals.append(_school(tile, t, "primary", f"{name}中心小学", np.asarray(c),
                                ts_units[k], "town", rng, boarding=True))
        _school(tile, t, "junior", f"{name}初级中学", np.asarray(c) + 150, ts_units[k], "town",
                rng, boarding=True)

    n_pick = min(len(village_pts), round(89 * shape.villages / 300))
    if n_pick == 0:
        return
    taken = np.array(list(township_c) + (list(town_pts[0]) if town_pts else [])).reshape(-1, 2)
    picks = _farthest(village_pts, n_pick, taken=taken)
    size = np.array([sum(vil_units[i][f"g{g}"] for g in section_grades("primary"))
                     for i in picks])
    order = np.argsort(size, kind="stable")
    # teaching points serve small villages (19–52 primary children today); the three largest
    # villages picked have nine-year schools
    lo, hi = _TEACHING_POINT_CHILDREN
    fits = [j for j in order.tolist() if lo <= size[j] <= hi]
    n_tp = round(16 / 89 * n_pick)
    small = set(fits[:n_tp - n_tp // 3] + fits[len(fits) - n_tp // 3:]) if fits else set()
    big = set(order[-round(3 / 89 * n_pick):].tolist()) if n_pick >= 30 else set()
    central_xy = np.array([c["xy"] for c in centrals])
    for j, i in enumerate(picks):
        u = vil_units[i]
        place = f"{u['township']}{u['name'].removesuffix('村')}"
        if j in big:
            _school(tile, t, "nine_year", f"{place}九年一贯制学校", village_pts[i], u, "rural",
                    rng, boarding=True)
        elif j in small:
            near = centrals[int(np.argmin(np.hypot(*(central_xy - village_pts[i]).T)))]
            _school(tile, t, "teaching_point", f"{place}教学点", village_pts[i], u, "rural",
                    rng, central=near["school_id"])
        else:
            _school(tile, t, "primary", f"{place}小学", village_pts[i], u, "rural", rng)


def _zone(tile: _Tile) -> None:
    """Zone each unit to its nearest school per section (a teaching point: its own village)."""
    seeds = np.array([u["xy"] for u in tile.units])
    for sec in SECTIONS:
        schools = [s for s in tile.schools if sec in KIND_SECTIONS[s["kind"]]
                   and s["kind"] != "special"]
        full = [s for s in schools if s["kind"] != "teaching_point"]
        nearest = cKDTree(np.array([s["xy"] for s in full])).query(seeds)[1]
        for u, j in zip(tile.units, nearest, strict=True):
            tile.catchment_of[(u["unit_id"], sec)] = full[j]["school_id"]
        # a school's own unit is always in its catchment (it is the nearest by construction)
        for s in schools:
            tile.catchment_of[(s["unit_id"], sec)] = s["school_id"]


def _special_children(tile: _Tile, rng: np.random.Generator, cohorts: Cohorts
                      ) -> dict[int, dict[tuple[int, int], int]]:
    """Pupils of the special school: 7–13 of each cohort, from the units they live in.

    Returns school year → {(unit position, grade): pupils}, consistent across years (a pupil
    of grade g stays at the special school in grade g + 1).
    """
    out: dict[int, dict[tuple[int, int], int]] = {y: {} for y in (*HISTORY_YEARS, DEMO_YEAR)}
    if not any(s["kind"] == "special" for s in tile.schools):
        return out
    for born in sorted(cohorts.residents):
        last = cohorts.residents[born][DEMO_YEAR].astype(float)
        if last.sum() == 0:
            continue
        picks = rng.multinomial(int(rng.integers(7, 14)), last / last.sum())
        for year in out:
            grade = year - 5 - born
            if not 1 <= grade <= 9:
                continue
            here = cohorts.residents[born][year]
            for pos in np.flatnonzero(picks):
                n = int(min(picks[pos], here[pos]))
                if n:
                    out[year][(int(pos), grade)] = n
    return out


def _enrol(tile: _Tile, rng: np.random.Generator, shape: CountyShape,
           kids: dict[int, list[int]], special: dict[tuple[int, int], int]
           ) -> list[tuple[str, str, int, int]]:
    """Where each unit's children of one school year attend (unit, school, grade, pupils)."""
    by_sec = {sec: [s for s in tile.schools if sec in KIND_SECTIONS[s["kind"]]
                    and s["kind"] != "special"] for sec in SECTIONS}
    special_id = next((s["school_id"] for s in tile.schools if s["kind"] == "special"), None)
    model: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
    rows = []
    for pos, u in enumerate(tile.units):
        for g in GRADES:
            n = kids[g][pos]
            sp = special.get((pos, g), 0)
            if sp:
                rows.append((u["unit_id"], special_id, g, sp))
                n -= sp
            if n <= 0:
                continue
            sec = section_of_grade(g)
            key = (u["unit_id"], sec)
            if key not in model:  # the same for every grade of the section
                model[key] = _choice_model(u, sec, by_sec[sec], tile.catchment_of[key],
                                           shape.seat_oversize)
            choices, probs = model[key]
            counts = rng.multinomial(n, probs)
            rows += [(u["unit_id"], sid, g, int(c))
                     for sid, c in zip(choices, counts, strict=True) if c]
    return rows


def _choice_model(unit: dict, sec: str, schools: list[dict], zoned: str, oversize: float
                  ) -> tuple[list[str], np.ndarray]:
    """Where a unit's children attend: mostly zoned, some choose the seat's popular schools."""
    area = unit["area_type"]
    out_share = {"urban": 0.11, "town": 0.07, "rural": 0.07 if sec == "primary" else 0.18}[area]
    out_share = min(0.6, out_share * oversize)
    pulls = np.array([s["pull"] if s["area_type"] == "urban" or area != "urban" else 0.0
                      for s in schools])
    if area != "urban":
        # rural and town families choose county-seat schools above all
        pulls = np.where([s["area_type"] == "urban" for s in schools], pulls + 0.01, pulls)
    ids = [s["school_id"] for s in schools]
    pulls[ids.index(zoned)] = 0.0
    if pulls.sum() == 0:
        return [zoned], np.array([1.0])
    probs = np.concatenate([[1 - out_share], out_share * pulls / pulls.sum()])
    return [zoned, *ids], probs


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _fill_school_columns(tile: _Tile, rng: np.random.Generator, shape: CountyShape) -> None:
    enr = pd.DataFrame(tile.enrolment, columns=["unit_id", "school_id", "grade", "students"])
    by_grade = enr.groupby(["school_id", "grade"])["students"].sum()
    zoned_need: dict[str, int] = {}
    residents = {u["unit_id"]: u for u in tile.units}
    for (uid, sec), sid in tile.catchment_of.items():
        grades = section_grades(sec)
        zoned_need[sid] = zoned_need.get(sid, 0) + sum(residents[uid][f"g{g}"] for g in grades)

    for s in tile.schools:
        kind, area = s["kind"], s["area_type"]
        crowded = s["pull"] >= 0.1
        section_students = {}
        for sec in SECTIONS:
            grades = section_grades(sec)
            counts = [int(by_grade.get((s["school_id"], g), 0)) for g in grades]
            cap = CLASS_CAP[sec]
            if area == "urban" and kind != "special":
                target = cap + (10 if crowded else int(rng.integers(-4, 3)))
            elif kind == "teaching_point":
                target = 12
            elif kind == "special":
                target = 10
            else:
                target = int(rng.integers(32, 44))
            classes = [_ceil_div(c, target) if c else 0 for c in counts]
            sizes = [_ceil_div(c, k) + int(rng.integers(0, 3)) if k else 0
                     for c, k in zip(counts, classes, strict=True)]
            sizes = [min(sz, c) for sz, c in zip(sizes, counts, strict=True)]
            if kind == "teaching_point" and sum(counts):
                # multi-grade classes (复式班): two or three grades share a room
                classes = [max(1, _ceil_div(sum(counts), 20))]
                sizes = [_ceil_div(sum(counts), classes[0])]
            section_students[sec] = sum(counts)
            s[f"students_{sec}"] = sum(counts)
            s[f"classes_{sec}"] = sum(classes)
            s[f"max_class_size_{sec}"] = max(sizes) if sizes else 0
        s["students_senior"] = {"complete_middle": 2400, "twelve_year": 850}.get(kind, 0)
        n = section_students["primary"] + section_students["junior"]
        classes_now = s["classes_primary"] + s["classes_junior"]
        need = zoned_need.get(s["school_id"], 0)
        if area == "urban" and kind != "special":
            design = max(classes_now, math.ceil(1.25 * need / 42))
        else:
            design = classes_now + int(rng.integers(1, 5))  # shrinking schools keep empty rooms
        s["classrooms"] = int(design)
        _resources(s, rng, n, design, section_students, shape)
        _places(s, rng)
    _no_repeats(tile.schools, rng)


def _places(s: dict, rng: np.random.Generator) -> None:
    """Approved places (核定学位): the classrooms at the class cap, for some schools fewer."""
    classes = {sec: s[f"classes_{sec}"] for sec in SECTIONS}
    taught = [sec for sec in SECTIONS if sec in KIND_SECTIONS[s["kind"]]]
    rooms = s["classrooms"]
    share = {sec: classes[sec] / max(1, sum(classes[x] for x in taught)) for sec in taught}
    per_class = {"special": 12, "teaching_point": 30}
    cut = float(rng.uniform(0.8, 0.95)) if rng.random() < 0.3 else 1.0
    for sec in SECTIONS:
        if sec not in taught:
            s[f"approved_places_{sec}"] = None
            continue
        room_sec = max(1, round(rooms * share[sec])) if len(taught) > 1 else rooms
        cap = per_class.get(s["kind"], CLASS_CAP[sec])
        s[f"approved_places_{sec}"] = int(math.floor(room_sec * cut) * cap)
    s["shrink_only"] = s["kind"] == "teaching_point"


# Per-100-student and per-student levels by area type, before noise (primary thresholds:
# 4.2, 1.0, 0.9, 4.5, 7.5, 2000, 2.3), pupils per teacher, and the share of teachers who are
# county-level backbone teachers: the seat 15–20 %, towns 10–14 %, township and village
# schools far fewer (the backbone CV over its limit is a rural gap, as in real counties).
_LEVELS = {
    "urban": {"r1": 5.6, "r3": 1.15, "r6": 3400.0, "r7": 2.8, "str": 18.5},
    "town": {"r1": 5.0, "r3": 1.05, "r6": 2600.0, "r7": 2.6, "str": 15.0},
    "rural": {"r1": 4.8, "r3": 1.0, "r6": 1900.0, "r7": 2.5, "str": 12.5},
}
_BACKBONE_SHARE = {"seat": (0.15, 0.20), "town": (0.10, 0.14), "township": (0.01, 0.05),
                   "village": (0.0, 0.05)}


def _resources(s: dict, rng: np.random.Generator, n: int, design_classes: int,
               section_students: dict[str, int], shape: CountyShape) -> None:
    lv = _LEVELS[s["area_type"]]
    junior_w = 1.0 + (0.25 if section_students["junior"] else 0.0)
    noise = lambda sd: float(rng.lognormal(0.0, sd))  # noqa: E731
    n_all = n + s["students_senior"]
    lo, hi = _BACKBONE_SHARE[s["settlement"]]
    thin = shape.rural_backbone if s["settlement"] in ("township", "village") else 1.0
    backbone_share = min(0.20, float(rng.uniform(lo, hi)) * thin)
    teachers = {}
    for sec in SECTIONS:
        m = section_students[sec]
        if m == 0:
            teachers[sec] = dict.fromkeys(TEACHER_COLUMNS, 0)
            continue
        per = lv["str"] / (1.15 if sec == "junior" else 1.0)
        if s["kind"] == "special":
            per = 3.5  # special schools: about one teacher for three or four pupils
        total = max(2, round(m / per * noise(0.08)))
        weak = s["area_type"] == "rural" and rng.random() < 0.25
        teachers[sec] = {
            "teachers_total": total,
            "teachers_certified": total - (int(rng.integers(1, 3)) if weak and total > 3 else 0),
            "teachers_above_degree": min(total, round(m * lv["r1"] * junior_w / 100 * noise(0.12))),
            "teachers_backbone": min(math.floor(total * 0.2), math.floor(
                total * backbone_share + float(rng.uniform(0, 1)))),
            "teachers_pe_art": min(total, max(0 if m < 60 else 1,
                                              round(m * lv["r3"] / 100 * noise(0.15)))),
        }
    for name in TEACHER_COLUMNS:
        s[f"{name}_primary"] = teachers["primary"][name]
        s[f"{name}_junior"] = teachers["junior"][name]
        s[name] = teachers["primary"][name] + teachers["junior"][name]
    if s["students_senior"]:
        # senior-section teachers count in the school's totals, not in the compulsory pairs
        extra = round(s["students_senior"] / 13)
        for name, share in (("teachers_total", 1.0), ("teachers_certified", 1.0),
                            ("teachers_above_degree", 0.9), ("teachers_backbone", 0.15),
                            ("teachers_pe_art", 0.08)):
            s[name] += round(extra * share)
    if s["area_type"] == "urban":
        cap = design_classes * 45 + s["students_senior"]
        s["teaching_aux_area_m2"] = round(cap * 4.9 * noise(0.08), 1)
        s["sports_area_m2"] = round(cap * 6.8 * noise(0.15), 1)
    else:
        base = max(n_all, 60)
        s["teaching_aux_area_m2"] = round(base * 6.0 * noise(0.2), 1)
        s["sports_area_m2"] = round(base * 11.0 * noise(0.3), 1)
    s["equipment_value_yuan"] = round(max(n_all, 30) * lv["r6"] * noise(0.25), -2)
    classes = s["classes_primary"] + s["classes_junior"]
    required = max(1, _ceil_div(classes, 12))
    if s["kind"] == "teaching_point":
        s["music_rooms"], s["art_rooms"] = 0, 0
    elif s["area_type"] == "urban":
        s["music_rooms"] = max(1, required - int(rng.integers(0, 3)))
        s["art_rooms"] = max(1, required - int(rng.integers(0, 2)))
    else:
        s["music_rooms"], s["art_rooms"] = 1, 1
    # networked multimedia rooms are classrooms or special rooms fitted out: never more
    rooms = s["classrooms"] + s["music_rooms"] + s["art_rooms"]
    s["multimedia_rooms"] = min(rooms, max(1, round(n_all * lv["r7"] / 100 * noise(0.08))))
    small_rooms = s["area_type"] == "rural" and rng.random() < 0.3
    s["music_room_min_area_m2"] = 0.0 if not s["music_rooms"] else round(
        float(rng.uniform(60, 90) if small_rooms else rng.uniform(96, 130)), 1)
    s["art_room_min_area_m2"] = 0.0 if not s["art_rooms"] else round(
        float(rng.uniform(55, 85) if small_rooms else rng.uniform(90, 120)), 1)


# Measured amounts (not counts): no value may repeat on more than three schools (0 = none).
_AMOUNTS = {"teaching_aux_area_m2": 0.1, "sports_area_m2": 0.1, "equipment_value_yuan": 100.0,
            "music_room_min_area_m2": 0.1, "art_room_min_area_m2": 0.1}


def _no_repeats(schools: list[dict], rng: np.random.Generator) -> None:
    """Nudge repeated amounts by one unit of their precision until none occurs 4 times."""
    for col, step in _AMOUNTS.items():
        seen: dict[float, int] = {}
        for s in schools:
            value = s[col]
            while value and seen.get(value, 0) >= 3:
                value = round(value + step * (1 if rng.random() < 0.5 else -1), 1)
            seen[value] = seen.get(value, 0) + 1
            s[col] = value


def _county_table(rng: np.random.Generator, tile: _Tile) -> list[dict]:
    """Entered county-level indicators (synthetic values; sources are invented).

    Q1 (junior retention) is the cohort that entered grade 7 in school year 2023 and
    graduated in summer 2026, counted from the enrolment history: entrants = its grade 7 of
    2023, transfers in − out = its grade 9 of 2025 − its grade 7 of 2023, graduates a few
    fewer than its grade 9 of 2025.
    """
    hist = pd.DataFrame(tile.history, columns=["year", "unit_id", "school_id", "grade",
                                               "students"])
    entrants = int(hist.loc[(hist["year"] == 2023) & (hist["grade"] == 7), "students"].sum())
    finishers = int(hist.loc[(hist["year"] == 2025) & (hist["grade"] == 9), "students"].sum())
    transfers_in = int(round(entrants * float(rng.uniform(0.015, 0.025))))
    transfers_out = transfers_in + entrants - finishers
    graduates = finishers - int(rng.integers(8, 25))
    edu, fin = "县教育局", "县财政局"
    rows = [
        ("G2", None, 1.0, None, "县人民政府关于城乡义务教育学校建设等四个统一的文件", edu),
        ("G6", None, 1.0, None, "公用经费拨付明细（不足100人按100人核定）", fin),
        ("G7", None, 7200.0, None, "特殊教育学校生均公用经费拨付文件", fin),
        ("G8", None, 1.03, None, "教师与公务员平均工资收入对比表", "县人社局"),
        ("G9", None, 0.97, None, "教师5年360学时培训台账", "县教师进修学校"),
        ("G10", None, 1.0, None, "县级统筹分配编制岗位文件", "县委编办"),
        ("G11", None, 0.08, None, "教师交流轮岗名单（交流比例8%）", edu),
        ("G11", "backbone_share", 0.25, None, "交流轮岗教师中骨干教师名单", edu),
        ("G14", None, 0.55, None, "优质高中招生名额分配方案", edu),
        ("G15", None, 0.91, None, "随迁子女就读统计表", edu),
        ("Q1", "graduates", float(graduates), None, "2026届初中毕业生名册", edu),
        ("Q1", "entrants", float(entrants), None, "2023年初一入学名册", edu),
        ("Q1", "transfers_in", float(transfers_in), None, "学籍转入记录（2023—2026）", edu),
        ("Q1", "transfers_out", float(transfers_out), None, "学籍转出记录（2023—2026）", edu),
        ("Q2", None, 0.96, None, "残疾儿童少年入学统计", "县残联"),
        ("Q3", None, 1.0, None, "学校章程与信息化管理检查记录", edu),
        ("Q4", None, 0.05, None, "教师培训经费占公用经费比例统计", edu),
        ("Q5", None, 1.0, None, "信息技术应用督导报告", edu),
        ("Q6", None, 1.0, None, "德育工作评估结果", edu),
        ("Q7", None, 1.0, None, "课程开齐开足检查记录", edu),
        ("Q8", None, 1.0, None, "作业负担专项督查报告", edu),
        ("Q9", None, 0.12, None, "国家义务教育质量监测报告（校际差异率0.12）", "省评估院"),
        ("Q9", "level", 3.0, None, "国家义务教育质量监测报告（等级III）", "省评估院"),
    ]
    survey = {"students": (0.91, 1200), "parents": (0.84, 1500), "teachers": (0.88, 600),
              "principals": (0.95, 60), "deputies": (0.90, 40), "others": (0.83, 300)}
    rows += [("S1", group, share, float(n), "社会认可度问卷调查报告", "第三方机构")
             for group, (share, n) in survey.items()]
    return [{"indicator_id": i, "item": item, "value": v, "count": n, "evidence": e,
             "source": src} for i, item, v, n, e, src in rows]


def _developments(tile: _Tile, rng: np.random.Generator) -> list[dict]:
    """Two housing estates at the edge of the county seat: one by unit, one as a polygon."""
    seat = [u for u in tile.units if u["settlement"] == "seat"]
    if len(seat) < 2:
        return []
    centre = np.mean([u["xy"] for u in seat], axis=0)
    far = sorted(seat, key=lambda u: -float(np.hypot(*(u["xy"] - centre))))
    first, second = far[0], next(u for u in far[1:] if np.hypot(*(u["xy"] - far[0]["xy"]))
                                 > 1500)
    x, y = second["xy"]
    estate = shapely.intersection(shapely.box(x - 250, y - 180, x + 250, y + 180),
                                  second["geometry"])
    return [
        {"unit_id": first["unit_id"], "name": f"{first['name'].removesuffix('社区')}新苑小区",
         "first_year": DEMO_YEAR + 1, "dwellings": int(rng.integers(11, 14)) * 100,
         **{f"children_per100_g{g}": None for g in GRADES}, "geometry": None},
        {"unit_id": None, "name": f"{second['name'].removesuffix('社区')}学府花园",
         "first_year": DEMO_YEAR + 2, "dwellings": int(rng.integers(17, 22)) * 100,
         **{f"children_per100_g{g}": (3.2 if section_of_grade(g) == "primary" else 2.6)
            for g in GRADES},
         "geometry": estate},
    ]


# --- roads ---------------------------------------------------------------------------------

class _Net:
    def __init__(self) -> None:
        self.xy: list[np.ndarray] = []
        self.n = 0
        self.edges: list[tuple[int, int, str]] = []

    def add_nodes(self, pts: np.ndarray) -> np.ndarray:
        ids = np.arange(self.n, self.n + len(pts))
        self.xy.append(np.asarray(pts, dtype=float))
        self.n += len(pts)
        return ids

    def add_grid(self, cx: float, cy: float, nx: int, ny: int, step: float, highway: str,
                 rng: np.random.Generator, jitter: float = 0.0, keep=None) -> np.ndarray:
        pts = _grid_points(cx, cy, nx, ny, step)
        if jitter:
            pts = pts + rng.uniform(-jitter, jitter, pts.shape)
        mask = np.ones(len(pts), bool) if keep is None else keep(pts)
        index = -np.ones(len(pts), dtype=np.int64)
        index[mask] = self.add_nodes(pts[mask])
        grid = index.reshape(ny, nx)
        for a, b in ((grid[:, :-1], grid[:, 1:]), (grid[:-1, :], grid[1:, :])):
            ok = (a >= 0) & (b >= 0)
            self.edges += [(int(u), int(v), highway) for u, v in zip(a[ok], b[ok], strict=True)]
        return index[mask]

    def all_xy(self) -> np.ndarray:
        return np.vstack(self.xy)


def _roads(tile: _Tile, rng: np.random.Generator, county, seat_c, town_c, township_c,
           village_pts) -> None:
    net = _Net()
    clusters: list[tuple[np.ndarray, int]] = []  # (node ids, how many links to rural roads)
    clusters.append((net.add_grid(*seat_c, 51, 51, 100.0, "residential", rng, 8.0), 16))
    for c in town_c:
        clusters.append((net.add_grid(*c, 21, 21, 100.0, "residential", rng, 6.0), 6))
    for c in township_c:
        clusters.append((net.add_grid(*c, 13, 13, 100.0, "residential", rng, 6.0), 4))
    for p in village_pts:
        clusters.append((net.add_grid(*p, 5, 5, 80.0, "service", rng, 10.0), 2))
    exclusions = [(seat_c, 2700.0)] + [(c, 1150.0) for c in town_c] + [(c, 750.0)
                                                                      for c in township_c]
    inside = county.buffer(150)

    def keep(pts: np.ndarray) -> np.ndarray:
        ok = shapely.contains_xy(inside, pts[:, 0], pts[:, 1])
        for c, r in exclusions:
            ok &= np.max(np.abs(pts - c), axis=1) > r
        return ok

    minx, miny, maxx, maxy = county.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    n = int((maxx - minx) // 200) + 3
    rural_start = net.n
    # a rural grid: county and township roads 1.8 km apart, a node every 200 m
    rows = net.add_grid(cx, cy, n, n, 200.0, "tertiary", rng, 0.0, keep=_lines_only(keep, cx,
                                                                                   cy, n))
    del rows
    xy = net.all_xy()
    rural = np.arange(rural_start, net.n)
    tree = cKDTree(xy[rural])
    for ids, links in clusters:
        centre = xy[ids].mean(axis=0)
        k = min(links, len(rural))
        _, near = tree.query(centre, k=k)
        near = np.atleast_1d(near)
        ctree = cKDTree(xy[ids])
        for r in near:
            rid = int(rural[r])
            _, j = ctree.query(xy[rid])
            net.edges.append((rid, int(ids[j]), "unclassified"))
    tile.node_xy = xy
    tile.edges = net.edges


def _lines_only(keep, cx: float, cy: float, n: int):
    """Keep only the grid nodes that lie on every 9th row or column (roads 1.8 km apart)."""

    def inner(pts: np.ndarray) -> np.ndarray:
        col = np.rint((pts[:, 0] - (cx - (n - 1) / 2 * 200.0)) / 200.0).astype(int)
        row = np.rint((pts[:, 1] - (cy - (n - 1) / 2 * 200.0)) / 200.0).astype(int)
        return keep(pts) & ((col % 9 == 0) | (row % 9 == 0))

    return inner




# --- assembly --------------------------------------------------------------------------------

def _assemble(tiles: list[_Tile], scale: int, shape: CountyShape, crs: str) -> Workspace:
    units, schools, enrol, catch, county_rows = [], [], [], [], []
    births, history, devs = [], [], []
    node_xy, edges = [], []
    offset = 0
    for tile in tiles:
        units += tile.units
        schools += tile.schools
        enrol += tile.enrolment
        births += tile.births
        history += tile.history
        devs += tile.developments
        county_rows += tile.county_rows
        for (uid, sec), sid in tile.catchment_of.items():
            catch.append((uid, sec, sid))
        node_xy.append(tile.node_xy)
        edges += [(u + offset, v + offset, h) for u, v, h in tile.edges]
        offset += len(tile.node_xy)
    xy = np.vstack(node_xy)
    # join neighbouring tiles with a road between their closest nodes
    starts = np.cumsum([0] + [len(t.node_xy) for t in tiles])
    for a in range(len(tiles) - 1):
        tree = cKDTree(xy[starts[a + 1]:starts[a + 2]])
        d, j = tree.query(xy[starts[a]:starts[a + 1]])
        i = int(np.argmin(d))
        edges.append((int(starts[a] + i), int(starts[a + 1] + j[i]), "primary"))

    private = ("xy", "geometry", "size", "settlement", "unit_id", "pull")
    unit_gdf = gpd.GeoDataFrame(
        pd.DataFrame([{k: v for k, v in u.items() if k not in private[:4]} for u in units]),
        geometry=[u["geometry"] for u in units], crs=crs).to_crs(WGS84)
    school_rows = [{k: v for k, v in s.items() if k not in private} for s in schools]
    school_gdf = gpd.GeoDataFrame(pd.DataFrame(school_rows),
                                  geometry=shapely.points(np.array([s["xy"] for s in schools])),
                                  crs=crs).to_crs(WGS84)
    school_gdf["central_school_id"] = school_gdf["central_school_id"].astype("str")
    school_gdf["address"], school_gdf["phone"] = _contacts(school_gdf, unit_gdf, label_of(shape))
    cdf = pd.DataFrame(catch, columns=["unit_id", "section", "school_id"])
    geom_by_unit = dict(zip(unit_gdf["unit_id"], unit_gdf.geometry, strict=True))
    cdf["geometry"] = [geom_by_unit[u] for u in cdf["unit_id"]]
    catch_gdf = gpd.GeoDataFrame(cdf, geometry="geometry", crs=WGS84).to_crs(crs)
    catch_gdf = catch_gdf.dissolve(by=["school_id", "section"], as_index=False, sort=True)
    catch_gdf["geometry"] = mend(catch_gdf.geometry)
    catch_gdf = catch_gdf[["school_id", "section", "geometry"]].to_crs(WGS84)
    enr = pd.DataFrame(enrol, columns=["unit_id", "school_id", "grade", "students"])
    enr = enr.sort_values(["unit_id", "school_id", "grade"], kind="stable")
    hist = pd.DataFrame(history, columns=["year", "unit_id", "school_id", "grade", "students"])
    hist = hist.groupby(["year", "unit_id", "school_id", "grade"], as_index=False).sum()
    birth_df = pd.DataFrame(births, columns=["unit_id", "year", "births"])
    dev_gdf = gpd.GeoDataFrame(pd.DataFrame([{k: v for k, v in d.items() if k != "geometry"}
                                             for d in devs]),
                               geometry=[d["geometry"] for d in devs], crs=crs).to_crs(WGS84)
    nodes, edge_gdf = _road_frames(xy, edges, crs)
    label = label_of(shape)
    meta = Meta(crs=crs, name=label if scale == 1 else f"{label} ×{scale}", year=DEMO_YEAR,
                synthetic=True)
    return Workspace(
        schools=canonical(school_gdf, "schools"),
        meta=meta,
        units=canonical(unit_gdf, "units"),
        catchments=canonical(catch_gdf, "catchments"),
        enrolment=canonical(enr, "enrolment"),
        county=canonical(pd.DataFrame(county_rows), "county"),
        births=canonical(birth_df, "births"),
        enrolment_history=canonical(hist, "enrolment_history"),
        developments=gpd.GeoDataFrame(canonical(dev_gdf, "developments"), crs=WGS84),
        nodes=nodes,
        edges=edge_gdf,
    )


def _road_frames(xy: np.ndarray, edges: list[tuple[int, int, str]], crs: str
                 ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node and edge layers as osmnx writes them (both directions of each two-way street)."""
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    hw = np.array([e[2] for e in edges], dtype=object)
    keep = u != v
    u, v, hw = u[keep], v[keep], hw[keep]
    pair = np.unique(np.column_stack([np.minimum(u, v), np.maximum(u, v)]), axis=0,
                     return_index=True)[1]
    pair.sort()
    u, v, hw = u[pair], v[pair], hw[pair]
    to_wgs = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    degree = np.bincount(np.concatenate([u, v]), minlength=len(xy))
    used = degree > 0
    osmid = np.arange(1, len(xy) + 1, dtype=np.int64)
    nodes = gpd.GeoDataFrame(
        {"osmid": osmid[used], "y": np.asarray(lat)[used], "x": np.asarray(lon)[used],
         "street_count": degree[used].astype(np.int64)},
        geometry=shapely.points(np.asarray(lon)[used], np.asarray(lat)[used]), crs=WGS84)
    length = np.hypot(*(xy[u] - xy[v]).T).round(3)
    uu = np.concatenate([u, v])
    vv = np.concatenate([v, u])
    lines = shapely.linestrings(np.stack([np.column_stack([np.asarray(lon)[uu],
                                                          np.asarray(lat)[uu]]),
                                         np.column_stack([np.asarray(lon)[vv],
                                                          np.asarray(lat)[vv]])], axis=1))
    m = len(u)
    edge_gdf = gpd.GeoDataFrame(
        {"u": osmid[uu], "v": osmid[vv], "key": np.zeros(2 * m, dtype=np.int64),
         "osmid": np.concatenate([np.arange(1, m + 1), np.arange(1, m + 1)]).astype(np.int64),
         "highway": pd.array(np.concatenate([hw, hw]), dtype="str"),
         "oneway": np.zeros(2 * m, dtype=bool),
         "reversed": np.concatenate([np.zeros(m, bool), np.ones(m, bool)]),
         "length": np.concatenate([length, length])},
        geometry=lines, crs=WGS84)
    return nodes, edge_gdf


def label_of(shape: CountyShape) -> str:
    """The demo county's name as its files show it (synthetic, and saying so)."""
    return f"{shape.name}（合成数据）"


def _contacts(schools: gpd.GeoDataFrame, units: gpd.GeoDataFrame, county: str
              ) -> tuple[list[str], list[str]]:
    """Each school's address (the township and unit it stands in) and an enquiry phone.

    Invented like everything else: the phone numbers start 000, which no Chinese area code
    does, so no one's real number is printed in a demo notice.
    """
    inside = gpd.sjoin(schools[["school_id", "geometry"]], units[["township", "name", "geometry"]],
                       how="left", predicate="within").drop_duplicates("school_id")
    town = dict(zip(inside["school_id"], inside["township"].fillna(""), strict=True))
    unit = dict(zip(inside["school_id"], inside["name"].fillna(""), strict=True))
    county = county.split("（")[0]
    address = [f"{county}{town[sid]}{unit[sid]}" for sid in schools["school_id"]]
    phone = [f"000-{6100001 + k}" for k in range(len(schools))]
    return address, phone
