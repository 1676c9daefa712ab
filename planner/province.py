"""A fictional province: many small synthetic counties side by side, for tests and benchmarks.

Each county is the demo county's generator (:func:`planner.demo.make_demo`) with its own
:class:`~planner.demo.CountyShape`: different sizes (villages, county-seat communities, towns,
township seats), urban shares, trends of the cohorts, and how strongly it fails (the pull of
the county seat's famous schools, the rural schools' backbone teachers). The counties lie on a
grid of centre offsets so their outlines sit side by side without overlapping. Every county is
written as its own workspace GeoPackage, with one more layer, `outline`: the county's outline
(the union of its units) with its name and code, which `planner batch` maps.

Names are cyclic (干支) names such as 甲子县 and codes run 4101, 4102, …: all of it is invented
and the workspaces say so (`meta.synthetic`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from planner.demo import CountyShape, make_demo
from planner.errors import InputError
from planner.io.gpkg import atomic_write, write_workspace
from planner.workspace import WGS84, Workspace

OUTLINE_LAYER = "outline"
MAX_COUNTIES = 500
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_NUMERALS = "一二三四五六七八九"
# grid pitch of the county centres: a county of the largest radius below (≈ 7.9 km, with the
# outline's ±19 % wobble ≈ 9.4 km) stays clear of its neighbours
PITCH_DEG = (0.25, 0.2)


@dataclass(frozen=True)
class ProvinceCounty:
    """One county written by :func:`write_province`.

    Attributes
    ----------
    path
        Its workspace GeoPackage.
    shape
        What it was made from.
    seed
        The random seed it was made with.
    schools, units
        How many schools and units it has.
    """

    path: Path
    shape: CountyShape
    seed: int
    schools: int
    units: int


def county_name(k: int) -> str:
    """Return the k-th county's name (0-based): 甲子县, 乙丑县, … then 甲子二县, …."""
    base = _STEMS[k % 10] + _BRANCHES[k % 12]
    round_ = k // 60
    return f"{base}{_NUMERALS[round_] if round_ else ''}县"


def county_code(k: int) -> str:
    """Return the k-th county's four-digit code: 4101 … 4199, then 4201, …."""
    return f"{41 + k // 99}{k % 99 + 1:02d}"


def _radius_for(villages: int) -> float:
    """The smallest outline radius (m) that CountyShape accepts for `villages`, with room."""
    need = math.sqrt(villages * 1.6e6 / math.pi + 3000.0**2) + 400.0
    return float(max(5_000.0, math.ceil(need * 1.12 / 100.0) * 100.0))


def province_shapes(counties: int, *, seed: int = 1) -> list[CountyShape]:
    """Return `counties` different small county shapes, side by side.

    Sizes, urban shares, cohort trends and failure strengths are drawn from ranges around the
    demo's (deterministic for a seed); the centres lie on a grid around the demo's centre.

    Parameters
    ----------
    counties
        How many (1 … MAX_COUNTIES).
    seed
        The random seed.

    Raises
    ------
    ValueError
        `counties` is out of range.
    """
    if not 1 <= counties <= MAX_COUNTIES:
        msg = f"counties must be a whole number 1–{MAX_COUNTIES}, got {counties}"
        raise ValueError(msg)
    rng = np.random.default_rng([seed, 17])
    cols = math.ceil(math.sqrt(counties))
    rows = math.ceil(counties / cols)
    out = []
    for k in range(counties):
        size = float(rng.uniform(0.0, 1.0))
        villages = int(round(14 + 46 * size))
        row, col = divmod(k, cols)
        offset = ((col - (cols - 1) / 2) * PITCH_DEG[0] + float(rng.uniform(-0.02, 0.02)),
                  ((rows - 1) / 2 - row) * PITCH_DEG[1] + float(rng.uniform(-0.02, 0.02)))
        towns = int(rng.integers(0, 3))
        out.append(CountyShape(
            name=county_name(k),
            code=county_code(k),
            seat_communities=int(rng.integers(12, 13 + int(14 * size))),
            towns=towns,
            town_communities=int(rng.integers(3, 6)),
            township_seats=int(rng.integers(1, 3 + int(3 * size))),
            villages=villages,
            village_children=round(float(rng.uniform(6.0, 12.0)), 2),
            seat_children=round(float(rng.uniform(0.6, 1.6)), 2),
            seat_growth=round(float(rng.uniform(-0.01, 0.05)), 3),
            village_decline=round(float(rng.uniform(0.0, 0.06)), 3),
            seat_oversize=round(float(rng.uniform(0.5, 2.5)), 2),
            rural_backbone=round(float(rng.uniform(0.4, 1.8)), 2),
            radius_m=_radius_for(villages),
            centre_offset_deg=(round(offset[0], 4), round(offset[1], 4)),
        ))
    return out


def outline_of(ws: Workspace) -> gpd.GeoDataFrame:
    """Return the county's outline (the union of its units) as a one-row layer in WGS84.

    Without units, the schools' convex hull buffered by 2 km stands in for it.
    """
    crs = ws.meta.crs
    if ws.units is not None and len(ws.units):
        shape = ws.units.to_crs(crs).union_all().buffer(1.0).buffer(-1.0)
    else:
        shape = ws.schools.to_crs(crs).union_all().convex_hull.buffer(2000.0)
    return gpd.GeoDataFrame({"name": [ws.meta.name], "code": [_code_of(ws)]},
                            geometry=[shape], crs=crs).to_crs(WGS84)


def _code_of(ws: Workspace) -> str:
    ids = ws.schools["school_id"].astype(str)
    return ids.iloc[0][:4] if len(ids) else ""


def write_county(ws: Workspace, path: str | Path) -> Path:
    """Write a workspace and its `outline` layer to one GeoPackage, atomically."""
    outline = outline_of(ws)

    def write(tmp: Path) -> None:
        write_workspace(ws, tmp)
        pyogrio.write_dataframe(outline, tmp, layer=OUTLINE_LAYER, driver="GPKG")

    return atomic_write(Path(path), write)


def write_province(out_dir: str | Path, *, counties: int, seed: int = 1,
                   report=None) -> list[ProvinceCounty]:
    """Write `counties` fictional counties, each a workspace GeoPackage in `out_dir`.

    Files are named `<code>_<name>.gpkg` (e.g. `4101_甲子县.gpkg`); `out_dir` is made when
    missing. Each file appears only when complete.

    Parameters
    ----------
    out_dir
        The folder.
    counties
        How many (1 … MAX_COUNTIES).
    seed
        The random seed: the same seed and number give the same files.
    report
        Called with each :class:`ProvinceCounty` as it is written (for progress).

    Raises
    ------
    InputError
        `counties` is out of range, or the folder cannot be made.
    """
    out_dir = Path(out_dir)
    try:
        shapes = province_shapes(counties, seed=seed)
    except ValueError as exc:
        raise InputError.single("--counties", str(exc)) from None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.single(str(out_dir), f"cannot make the folder ({exc.strerror})"
                                ) from None
    written = []
    for k, shape in enumerate(shapes):
        county_seed = seed * 1000 + k
        ws = make_demo(seed=county_seed, shape=shape)
        path = write_county(ws, out_dir / f"{shape.code}_{shape.name}.gpkg")
        item = ProvinceCounty(path=path, shape=shape, seed=county_seed,
                              schools=len(ws.schools), units=len(ws.units))
        written.append(item)
        if report is not None:
            report(item)
    return written
