"""The rules of admission a zoning keeps: where a unit may be zoned, in one place.

Each rule is a profile setting (planner/standards.py), on by default where the rule is national:

- `zone_public_only`: only public schools receive catchments. Since 公民同招 a private school
  admits with the public ones (by lottery when oversubscribed): its pupils are choosers.
- `keep_nine_year_pathway`: a unit zoned to a nine- or twelve-year school for primary is zoned
  to it for junior (直升). Held as a pairing: a primary catchment joins such a school only where
  the unit's junior catchment is that school already, and a unit whose primary and junior
  catchments are the same such school keeps its junior one. A pathway broken today may stay
  so (mending it moves the unit's junior entrants, which the places of a nine-year school
  seldom allow): :func:`broken_pathways` lists them.
- `zoning_max_increase`: a unit's road distance to its zoned school may not grow beyond the
  larger of the section's service radius (for the unit's area type) and today's distance ×
  (1 + max_increase). A unit a private school's catchment holds must move and is not held to
  it, nor to the township line (:func:`displaced`).
- `township_crossing`: false by default: a unit is not newly zoned to a school standing in
  another township (乡镇; the township of the unit holding the school). Units or schools without
  a township are not held to it.

- `siblings_stay` (多孩同校): an entrant of a re-zoned unit whose older sibling is still at the
  school the unit leaves stays there (:func:`sibling_pupils` says how many: `sibling_share` of
  the cohorts entering while an older cohort of the old zoning is there). Not where the school
  stops admitting or caps its entrants: those moves carry ``"siblings": false``.

Today's school is always allowed (the status quo breaks no rule newly), except a private one
under `zone_public_only`. :func:`allowed` gives the optimiser its candidates;
:func:`breaches` re-checks a finished plan against the plan it changed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.schema import SECTIONS
from planner.workspace import WGS84


def choosers_only(schools: dict, std) -> np.ndarray:
    """(S,) schools whose pupils never follow a catchment: private ones (公民同招), by default.

    Their pupils chose them; a catchment moved or a zoning enforced leaves them where they are.
    """
    public = np.asarray(schools["public"]).astype(bool)
    return ~public if std.zone_public_only else np.zeros(len(public), dtype=bool)


def sibling_pupils(n: np.ndarray, entered: np.ndarray, section: str, std) -> np.ndarray:
    """Per row, the re-zoned entrants who have an older sibling at the school their unit left.

    Parameters
    ----------
    n
        Pupils of each row of a re-zoned unit's cohorts.
    entered
        Per row, the years from the re-zoning's first year to the year the row's cohort
        entered (0: the first cohort re-zoned; negative: a cohort of the old zoning).
    section, std
        The section and the profile.

    Returns
    -------
    numpy.ndarray
        `sibling_share` of the row, rounded half up, where the cohort entered while an older
        cohort of the old zoning was still at the school (entered ≤ grades − 2: the last
        cohort of the old zoning is then in its final grade or below); 0 elsewhere. Whether
        they stay is `siblings_stay`'s to say.
    """
    n = np.asarray(n, dtype=np.int64)
    entered = np.asarray(entered)
    some = np.minimum(np.floor(n * std.sibling_share + 0.5).astype(np.int64), n)
    eligible = (entered >= 0) & (entered <= len(std.grades(section)) - 2)
    return np.where(eligible, some, 0)


def school_holders(plan, school_idx: np.ndarray) -> np.ndarray:
    """Return the index of the unit each school stands in (the nearest unit if in none)."""
    crs = plan.source.meta.crs
    units = plan.once(("units_m", crs), lambda: plan.source.units.to_crs(crs).geometry
                      .reset_index(drop=True).to_numpy())
    pts = gpd.GeoSeries(gpd.points_from_xy(plan.schools["lon"][school_idx],
                                           plan.schools["lat"][school_idx]),
                        crs=WGS84).to_crs(crs).to_numpy()
    tree = shapely.STRtree(units)
    out = np.empty(len(pts), dtype=np.int64)
    for k, pt in enumerate(pts):
        hit = tree.query(pt, predicate="intersects")
        out[k] = int(hit.min()) if len(hit) else int(tree.nearest(pt))
    return out


def _holders(plan) -> np.ndarray:
    return school_holders(plan, np.arange(len(plan.school_ids)))


def townships(plan) -> tuple[np.ndarray, np.ndarray]:
    """(U,) each unit's township and (S,) each school's (that of its unit); None where unknown."""
    units = plan.source.units
    if "township" not in units.columns:
        none = np.full(len(plan.units), None, dtype=object)
        return none, np.full(len(plan.school_ids), None, dtype=object)
    town = np.array([t if isinstance(t, str) and t.strip() else None
                     for t in units["township"].tolist()], dtype=object)
    return town, town[_holders(plan)]


def two_sections(plan) -> np.ndarray:
    """(S,) schools teaching both sections (nine- and twelve-year schools)."""
    return plan.teaches("primary") & plan.teaches("junior")


def caps_m(plan, section: str, today: np.ndarray) -> np.ndarray:
    """(U,) the longest road each unit may have to its zoned school of the section, metres.

    The section's service radius for the unit's area type, or today's distance × (1 +
    zoning_max_increase) where that is longer (no unit zoned today: no cap).
    """
    std = plan.standards
    radius = np.array([std.section(section).radius_m(a) for a in plan.units.area_type])
    return np.where(np.isfinite(today), np.maximum(radius, today * (1 + std.zoning_max_increase)),
                    np.inf)


def _today_m(plan, k: int) -> np.ndarray:
    """(U,) road to today's zoned school (inf where none or unreachable)."""
    zone = plan.zone[k]
    d = plan.distances.matrix[np.arange(len(zone)), np.maximum(zone, 0)]
    return np.where((zone >= 0) & ~np.isnan(d), d, np.inf)


def displaced(plan, k: int) -> np.ndarray:
    """(U,) units a private school's catchment holds today, under `zone_public_only`.

    They must go to a public school: neither the distance cap (today's road is to a school
    they may not keep) nor the township line holds them.
    """
    zone = plan.zone[k]
    if not plan.standards.zone_public_only:
        return np.zeros(len(zone), dtype=bool)
    public = plan.schools["public"].astype(bool)
    return (zone >= 0) & ~public[np.maximum(zone, 0)]


def allowed(plan, section: str, *, moves: bool = True) -> np.ndarray:
    """(U, S) whether each unit may be zoned to each school of the plan for a section.

    `moves` false leaves out the distance cap and the township line (a consolidation, whose
    pupils must go further: its own distance limit applies).
    """
    std = plan.standards
    k = SECTIONS.index(section)
    n_u, n_s = len(plan.units), len(plan.school_ids)
    zone = plan.zone[k]
    ok = np.broadcast_to(plan.teaches(section), (n_u, n_s)).copy()
    dist = plan.distances.matrix
    held = ~displaced(plan, k)  # a unit a private school's catchment holds must move: free
    if moves:
        with np.errstate(invalid="ignore"):
            ok[held] &= dist[held] <= caps_m(plan, section, _today_m(plan, k))[held, None]
    if moves and not std.township_crossing:
        unit_town, school_town = townships(plan)
        same = (unit_town[:, None] == school_town[None, :]) | (unit_town[:, None] == None) \
            | (school_town[None, :] == None)  # noqa: E711 (object arrays compare elementwise)
        ok[held] &= same[held]
    both = two_sections(plan)
    if std.keep_nine_year_pathway:
        if section == "primary":  # join such a school only where the junior catchment is it
            junior = plan.zone[1]
            ok[:, both] &= junior[:, None] == np.flatnonzero(both)[None, :]
    zoned = zone >= 0
    ok[np.flatnonzero(zoned), zone[zoned]] = True  # today's school stays allowed
    if std.keep_nine_year_pathway and section == "junior":  # 直升: the primary's school
        primary = plan.zone[0]
        paired = (primary >= 0) & (primary == zone) & both[np.maximum(primary, 0)]
        ok[paired] = False
        ok[np.flatnonzero(paired), zone[paired]] = True
    if std.zone_public_only:
        ok &= plan.schools["public"].astype(bool)[None, :]
    return ok


def breaches(before, after, section: str, *, moves: bool = True) -> list[str]:
    """What `after`'s zoning of a section breaks of the rules that `before`'s kept (empty: none).

    The two plans have the same units; schools are matched by id (a closure drops one).
    `moves` as in :func:`allowed`.
    """
    std = after.standards
    k = SECTIONS.index(section)
    ids = after.units.ids
    out = []
    pos = {sid: j for j, sid in enumerate(before.school_ids)}
    was = np.array([before.school_ids[z] if z >= 0 else None for z in before.zone[k]],
                   dtype=object)
    now = after.zone[k]
    changed = [u for u in range(len(ids)) if now[u] >= 0 and after.school_ids[now[u]] != was[u]]
    public = after.schools["public"].astype(bool)
    caps = caps_m(after, section, _today_m(before, k))
    unit_town, school_town = townships(after)
    both = two_sections(after)
    free = displaced(before, k)
    for u in changed:
        s = int(now[u])
        name = f"{ids[u]}: {after.school_ids[s]}"
        if std.zone_public_only and not public[s]:
            out.append(f"{name} is not a public school")
        d = after.distances.matrix[u, s]
        if moves and not free[u] and not d <= caps[u]:
            out.append(f"{name} at {d:,.0f} m, over its cap of {caps[u]:,.0f} m")
        if (moves and not free[u] and not std.township_crossing and unit_town[u] is not None
                and school_town[s] is not None and unit_town[u] != school_town[s]):
            out.append(f"{name} stands in {school_town[s]}, not the unit's {unit_town[u]}")
    if std.keep_nine_year_pathway:
        for u in range(len(ids)):
            p, j = after.zone[0][u], after.zone[1][u]
            if p < 0 or not both[p] or j == p:
                continue
            b = pos.get(after.school_ids[p])
            kept = b is not None and before.zone[0][u] == b and before.zone[1][u] != b
            if not kept:  # a pathway broken today may stay so (listed by broken_pathways)
                out.append(f"{ids[u]}: primary at nine-year {after.school_ids[p]} but junior "
                           f"at {after.school_ids[j] if j >= 0 else 'none'}")
    return out


def broken_pathways(plan) -> list[str]:
    """Units zoned for primary to a nine- or twelve-year school but for junior elsewhere."""
    both = two_sections(plan)
    p, j = plan.zone
    return [str(plan.units.ids[u]) for u in range(len(p)) if p[u] >= 0 and both[p[u]]
            and j[u] != p[u]]


# --- consolidation (国办发〔2012〕48号): where a closed school's pupils may go ------------------

YOUNG_GRADES = (1, 2, 3)  # pupils who stay near home: walking distance or a short ride


def ride_minutes(dist_m, std) -> np.ndarray:
    """Minutes of a bus ride over a road distance, at the profile's bus speed."""
    return np.asarray(dist_m, dtype=float) / 1000.0 / std.bus_speed_kmh * 60.0


def walk_or_ride(plan, section: str) -> np.ndarray:
    """(U, S) schools grades 1–3 may go to: walking distance or a short ride.

    Within the section's service radius for the unit's area type, or a bus ride of at most
    max_ride_min; any reachable school for a section without grades 1–3.
    """
    std = plan.standards
    dist = np.where(np.isnan(plan.distances.matrix), np.inf, plan.distances.matrix)
    if not set(YOUNG_GRADES) & set(std.grades(section)):
        return np.isfinite(dist)
    radius = np.array([std.section(section).radius_m(a) for a in plan.units.area_type])
    return (dist <= radius[:, None]) | (ride_minutes(dist, std) <= std.max_ride_min)


def own_township_first(plan, ok: np.ndarray) -> np.ndarray:
    """(U, S) `ok`, kept to schools of the unit's own township wherever it has one in `ok`."""
    unit_town, school_town = townships(plan)
    same = (unit_town[:, None] == school_town[None, :]) & (unit_town[:, None] != None)  # noqa: E711
    own = (ok & same).any(axis=1)
    return np.where(own[:, None], ok & same, ok)
