"""Years: a hand-worked projection, cohorts moving up intact, and scenarios phased by cohort.

The hand case: three 1-km units in a row — U1 (urban, the county seat), U2 and U3 (rural) —
and two nine-year schools, SA in U1 (U1's catchment) and SB in U2 (U2's and U3's). School year
2026. Children per grade today: U1 10, U2 20, U3 30 in every grade; all attend their zoned
school but 5 of U3's 30 first-graders, who attend SA.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import session as ss
from planner.errors import InputError
from planner.evaluation import evaluate
from planner.plan import apply_edits, materialise, plan_from_workspace
from planner.projection import plan_at, project
from planner.standards import NATIONAL_2017
from planner.travel import compute_distances
from planner.workspace import Meta, Workspace, canonical
from tests.helpers import a_school

CRS = "EPSG:4547"
X0, Y0 = 627_000.0, 3_993_000.0
# entrants born in y − 6 alone, no shrinking of entry ratios, the last year's ratios alone,
# 10 % of village children of grades 2–9 leave for the seat every year, births flat in every
# variant after the data (2026), estates full from their first year, all buyers from outside
STD = replace(NATIONAL_2017, entry_cutoff_share=0.0, entry_cutoff_fit=False,
              entry_ratio_prior_births=0.0, township_prior_births=0.0, history_weights=(1.0,),
              migration_rural=0.1, migration_town=0.0, births_change_low=0.0,
              births_change_central=0.0, births_change_high=0.0,
              development_occupancy=(1.0,), development_local_share=0.0)


def _county(kids=None, births=None, history=True, developments=True, schools_extra=None):
    kids = kids or {"U1": [10] * 9, "U2": [20] * 9, "U3": [30] * 9}
    squares = [shapely.box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(3)]
    ids = list(kids)
    units = gpd.GeoDataFrame({"unit_id": ids, "name": ["城东", "甲村", "乙村"][:len(ids)],
                              "area_type": ["urban", "rural", "rural"][:len(ids)],
                              **{f"g{g}": [kids[u][g - 1] for u in ids] for g in range(1, 10)}},
                             geometry=squares[:len(ids)], crs=CRS).to_crs("EPSG:4326")
    rows = []
    for u in ids:
        for g in range(1, 10):
            n = kids[u][g - 1]
            if (u, g) == ("U3", 1) and n >= 5:
                rows.append((u, "SA", g, 5))
                n -= 5
            rows.append((u, "SA" if u == "U1" else "SB", g, n))
    enrol = pd.DataFrame(rows, columns=["unit_id", "school_id", "grade", "students"])
    enrol = enrol[enrol["students"] > 0]
    recs = []
    for sid in ("SA", "SB"):
        at = enrol[enrol["school_id"] == sid]
        p = int(at.loc[at["grade"] <= 6, "students"].sum())
        j = int(at.loc[at["grade"] >= 7, "students"].sum())
        cp, cj = max(1, -(-p // 45)), max(1, -(-j // 50))
        recs.append(a_school(school_id=sid, name=sid, kind="nine_year",
                             area_type="urban" if sid == "SA" else "rural",
                             students_primary=p, students_junior=j, classes_primary=cp,
                             classes_junior=cj, max_class_size_primary=-(-p // cp),
                             max_class_size_junior=-(-j // cj), classrooms=30,
                             teachers_total=60, teachers_certified=60,
                             **(schools_extra or {})))
    schools = gpd.GeoDataFrame(pd.DataFrame(recs), geometry=[
        shapely.Point(X0 + 500, Y0 + 500), shapely.Point(X0 + 1500, Y0 + 500)],
        crs=CRS).to_crs("EPSG:4326")
    catch = gpd.GeoDataFrame(
        {"school_id": ["SA", "SB", "SA", "SB"], "section": ["primary"] * 2 + ["junior"] * 2},
        geometry=[squares[0], shapely.union_all(squares[1:len(ids)])] * 2,
        crs=CRS).to_crs("EPSG:4326")
    b = births or {"U1": [10] * 8, "U2": [20, 20, 18, 16, 14, 12, 10, 8],
                   "U3": [30, 30, 27, 24, 21, 18, 15, 12]}
    births_t = pd.DataFrame([(u, 2019 + k, n) for u, ns in b.items() for k, n in enumerate(ns)],
                            columns=["unit_id", "year", "births"])
    hist = None
    if history:  # 2025 as 2026, but 75 first-graders (U1 15, U2 25, U3 35 at their zoned
        # schools) where 2026 has 60 second-graders: grade 2's progression ratio is 0.8
        h = enrol[enrol["grade"] >= 2].assign(year=2025)
        first = pd.DataFrame({"year": 2025, "unit_id": ["U1", "U2", "U3"],
                              "school_id": ["SA", "SB", "SB"], "grade": 1,
                              "students": [15, 25, 35]})
        hist = pd.concat([h, first], ignore_index=True)[
            ["year", "unit_id", "school_id", "grade", "students"]]
    dev = None
    if developments:  # 200 dwellings in U1 from 2028, 5 first-graders per 100 dwellings
        dev = gpd.GeoDataFrame([{"unit_id": "U1", "name": "新城小区", "first_year": 2028,
                                 "dwellings": 200, "children_per100_g1": 5.0,
                                 **{f"children_per100_g{g}": 0.0 for g in range(2, 10)}}],
                               geometry=[None], crs="EPSG:4326")
    ws = Workspace(schools=gpd.GeoDataFrame(canonical(schools, "schools"), crs="EPSG:4326"),
                   units=gpd.GeoDataFrame(canonical(units, "units"), crs="EPSG:4326"),
                   catchments=gpd.GeoDataFrame(canonical(catch, "catchments"),
                                               crs="EPSG:4326"),
                   enrolment=canonical(enrol, "enrolment"), meta=Meta(crs=CRS, year=2026),
                   births=births_t, enrolment_history=hist, developments=dev)
    return ws


def _plan(ws, std=STD):
    return plan_from_workspace(ws, std, distances=compute_distances(ws, use_network=False))


def test_every_projected_cell_by_hand():
    proj = project(_plan(_county()), 2028)
    r = proj.rates
    # entry ratios: 2026's first-graders ÷ births of 2020: 10/10, 20/20, 30/30
    assert r.entry.tolist() == pytest.approx([1.0, 1.0, 1.0])
    # progression, from 2025 → 2026: 60 second-graders of 75 first-graders; the rest 1
    assert r.progression.tolist() == pytest.approx([1.0, 0.8] + [1.0] * 7)
    assert r.migration == {"rural": 0.1, "town": 0.0}
    c = proj.children["central"]
    # 2027. Entrants born 2021: U1 10, U2 18, U3 27 (their families' moves before school are
    # in the entry ratio: not migrated again). Grade 2 = 0.8 × last year's grade 1; grades
    # 3–9 move up whole. Villages then lose 10 % of grades 2–9 to the seat:
    # U2: 18, 14.4, 18 …; U3: 27, 21.6, 27 …; U1: 10, 8 + 1.6 + 2.4, 10 + 2 + 3 …
    assert c[1, 1].tolist() == pytest.approx([18.0, 14.4] + [18.0] * 7)
    assert c[1, 2].tolist() == pytest.approx([27.0, 21.6] + [27.0] * 7)
    assert c[1, 0].tolist() == pytest.approx([10.0, 12.0] + [15.0] * 7)
    # 2028. Entrants born 2022: 10, 16, 24. U2: 16, 18 × 0.8 = 14.4, 14.4, 18 … then grades
    # 2–9 × 0.9: 16, 12.96, 12.96, 16.2 …; outflow 1.44, 1.44, 1.8. U3: 24, 21.6, 21.6, 27 …
    # → 24, 19.44, 19.44, 24.3 …; outflow 2.16, 2.16, 2.7. U1: 10, 10 × 0.8 = 8, 12, 15 …
    # plus the outflows: 10, 11.6, 15.6, 19.5 …; and the new estate's 200 × 5 / 100 = 10
    # first-graders: 20
    assert c[2, 1].tolist() == pytest.approx([16.0, 12.96, 12.96] + [16.2] * 6)
    assert c[2, 2].tolist() == pytest.approx([24.0, 19.44, 19.44] + [24.3] * 6)
    assert c[2, 0].tolist() == pytest.approx([20.0, 11.6, 15.6] + [19.5] * 6)
    # whole children keep the totals: grade 2's 44.0 → urban 11.6, rural 32.4 → 11 + 32 and
    # the spare child to the larger fraction (urban: 12); grades 4–9: 60 → 19.5 and 40.5,
    # equal fractions, the spare to the first group by name (rural: 41 → U2 16, U3 25)
    assert proj.whole(2028)[0].tolist() == [20, 12, 16, 19, 19, 19, 19, 19, 19]
    assert proj.whole(2028)[:, 3].tolist() == [19, 16, 25]
    # births are flat after 2026 in every variant here and the history has one year, so the
    # band is the back-test's: from 2025 the method sees 75 first-graders of 60 births (ratio
    # 1.25) and no progression yet (1.0), so it projects 2026's primary 75 + 75 + 4 × 60 = 390
    # where 360 were: 30 / 360 = 1/12 one year ahead, 2/12 two years ahead (in proportion);
    # its junior 3 × 60 = 180 as were: no widening
    low, high = proj.children["low"], proj.children["high"]
    for k, e in ((1, 1 / 12), (2, 2 / 12)):
        assert low[k][:, :6] == pytest.approx(c[k][:, :6] * (1 - e))
        assert high[k][:, :6] == pytest.approx(c[k][:, :6] * (1 + e))
        assert np.array_equal(low[k][:, 6:], c[k][:, 6:])
        assert np.array_equal(high[k][:, 6:], c[k][:, 6:])
    assert any("band widened" in n and "primary up to 8.3%" in n for n in proj.notes)


def test_pupils_follow_their_cohort_and_entrants_follow_todays_choice():
    base = _plan(_county())
    proj = project(base, 2028)
    p27 = plan_at(base, proj, 2027)
    e = p27.enrolment.set_index(["unit_id", "school_id", "grade"])["students"]
    # U3's entrants of 2027 (27 children) choose as today's first-graders did: 25 of 30 at
    # SB, 5 at SA → 22.5 and 4.5 → 27 in all, largest remainders: equal fractions, the spare
    # pupil to the first school in the plan's order (SA): 22 and 5
    assert (e[("U3", "SB", 1)], e[("U3", "SA", 1)]) == (22, 5)
    # today's first-graders are 2027's second-graders (21.6 children after progression and
    # migration), still where they are: 21.6 × 5/30 = 3.6 at SA, × 25/30 = 18 at SB → 22 in
    # all, the spare pupil to the larger remainder: 4 and 18
    assert e[("U3", "SA", 2)] == 4 and e[("U3", "SB", 2)] == 18
    # every school re-planned: SB's pupils are the sum of its rows
    sb = p27.ws.schools.set_index("school_id").loc["SB"]
    assert sb["students_primary"] == e.xs("SB", level="school_id").loc[
        pd.IndexSlice[:, 1:6]].sum()
    assert p27.year == 2027 and plan_at(base, proj, 2026) is base


@settings(max_examples=25)
@given(st.data())
def test_with_ratios_one_and_no_migration_cohorts_move_up_intact(data):
    kids = {u: data.draw(st.lists(st.integers(0, 60), min_size=9, max_size=9), label=u)
            for u in ("U1", "U2", "U3")}
    births = {u: data.draw(st.lists(st.integers(1, 80), min_size=8, max_size=8), label=f"b{u}")
              for u in kids}
    _cohorts_move_up_intact(kids, births)


def test_a_half_child_split_between_schools_is_not_lost():
    """Found by the property test: U3's 3.5 entrants of 2027 split 5 : 37 between SA and SB
    sum to 3.4999… pupils; they round as the 3.5 children do (4), not to 3."""
    _cohorts_move_up_intact({"U1": [0] * 9, "U2": [0] * 9, "U3": [42] + [0] * 8},
                            {"U1": [1] * 8, "U2": [1] * 8, "U3": [1, 12] + [1] * 6})


def _cohorts_move_up_intact(kids, births):
    std = replace(STD, migration_rural=0.0)
    base = _plan(_county(kids, births, history=False, developments=False), std)
    proj = project(base, 2031)
    for shift in range(1, 6):
        now = plan_at(base, proj, 2026 + shift)
        for g in range(shift + 1, 10):  # cohorts that were at school in 2026
            assert proj.whole(2026 + shift)[:, g - 1].tolist() == [kids[u][g - 1 - shift]
                                                                    for u in kids]
            # and their pupils sit at the same schools, row for row
            a = base.enrolment[base.enrolment["grade"] == g - shift]
            b = now.enrolment[now.enrolment["grade"] == g]
            assert sorted(zip(a["unit_id"], a["school_id"], a["students"], strict=True)) == \
                sorted(zip(b["unit_id"], b["school_id"], b["students"], strict=True))
        totals = now.enrolment.groupby("grade")["students"].sum()
        assert (totals.reindex(range(1, 10), fill_value=0).to_numpy()
                == proj.whole(2026 + shift).sum(axis=0)).all()


def test_a_catchment_change_dated_2027_moves_one_cohort_a_year():
    base = _plan(_county(history=False, developments=False))
    proj = project(base, 2030)
    move = [{"op": "move_unit", "unit_id": "U2", "section": "primary", "to_school": "SA",
             "year": 2027}]
    for year in range(2026, 2031):
        before = plan_at(base, proj, year)
        after = apply_edits(before, move)
        e0 = before.enrolment.set_index(["unit_id", "school_id", "grade"])["students"]
        e1 = after.enrolment.set_index(["unit_id", "school_id", "grade"])["students"]
        moved = sorted(g for (u, s, g), _ in e1.items() if u == "U2" and s == "SA")
        # 2026: nobody; 2027: the entrants; 2028: grades 1–2; … (one cohort more each year)
        assert moved == list(range(1, year - 2026 + 1)), year
        # every pupil kept, grade by grade, every year
        assert e0.groupby(level="grade").sum().equals(e1.groupby(level="grade").sum())
        # the zone of U2 is SA from 2027 on; the enrolled cohorts left at SB are zoned where
        # they entered, not counted out of their zone
        assert after.zoning.at["U2", "primary"] == ("SA" if year >= 2027 else "SB")
        off = evaluate(after).zoned.out_of_zone
        assert off[(off["unit_id"] == "U2") & (off["section"] == "primary")].empty


def test_evaluating_a_year_equals_evaluating_that_years_workspace(tmp_path):
    ws = _county()
    from planner.io.gpkg import write_workspace

    path = tmp_path / "c.gpkg"
    write_workspace(ws, path)
    s = ss.open_session(path, profile=None)
    s = replace(s, base=ss.Baseline(s.ws, STD))
    plan, ev = ss.evaluate_scenario(s, year=2028)
    # the other road: a workspace whose enrolment and children are 2028's, read like any
    other = evaluate(plan_from_workspace(materialise(plan).replace(
        catchments=ws.catchments), STD, distances=plan.distances))
    pd.testing.assert_frame_equal(ev.checklist, other.checklist)
    pd.testing.assert_frame_equal(ev.indicators, other.indicators)
    with pytest.raises(InputError, match="expected 2026 .* or later, got 2020"):
        ss.evaluate_scenario(s, year=2020)


def test_a_workspace_without_its_year_is_refused():
    ws = _county()
    ws = ws.replace(meta=replace(ws.meta, year=None))
    with pytest.raises(InputError, match="does not say which school year"):
        project(_plan(ws), 2030)


# --- the bundled demo county, through `planner project` -----------------------------------------

DEMO = Path(__file__).resolve().parent.parent / "geodata" / "demo_county.gpkg"
SEAT_ESTATE = "419900100000"  # 芳园新苑小区: 1,100 dwellings from 2027, the profile's 3.5 a grade


@pytest.fixture(scope="module")
def demo_years(tmp_path_factory):
    """`planner project geodata/demo_county.gpkg --to 2035` run once: stdout and its files."""
    import contextlib
    import io
    import json

    from planner.cli import main

    out = tmp_path_factory.mktemp("demo_years")
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = main(["project", str(DEMO), "--to", "2035", "--out", str(out / "years.json"),
                     "--schools", str(out / "schools.csv")])
    assert code == 0
    data = json.loads((out / "years.json").read_text(encoding="utf-8"))
    session = ss.open_session(DEMO)
    return {"stdout": text.getvalue(), "data": data, "ws": session.ws,
            "std": session.standards, "schools_csv": pd.read_csv(out / "schools.csv",
                                                                 dtype={"school_id": str})}


def _demo_hand(ws, std):
    """By hand from the demo's tables: rates, entry ratios and each unit's cohort births."""
    units = ws.units.set_index("unit_id")
    # grade-progression ratios pooled over 2023→2024, 2024→2025 and 2025→2026 (today), county
    # and villages; the villages' shortfall against the county is their yearly net outflow
    past = pd.concat([ws.enrolment_history, ws.enrolment.assign(year=2026)])
    past["area"] = past["unit_id"].map(units["area_type"])

    def ratios(rows):
        n = rows.pivot_table(index="year", columns="grade", values="students", aggfunc="sum")
        return np.array([n.loc[2024:2026, g].sum() / n.loc[2023:2025, g - 1].sum()
                         for g in range(2, 10)])

    progression = ratios(past)
    migration = {a: float(np.clip(1 - np.mean(ratios(past[past["area"] == a]) / progression),
                                  0, 0.5)) for a in ("rural", "town")}
    # entrants of year y: born in y − 6, or in y − 7 for the share born before January; the
    # demo's synthetic cohorts are each born in one calendar year, and the share the history's
    # entrants fit best is 0/12 (the profile's 4/12 is kept only with fewer than 3 years)
    births = ws.births.pivot_table(index="unit_id", columns="year", values="births",
                                   aggfunc="sum").reindex(units.index).fillna(0)
    assert (std.entry_age, std.entry_cutoff_share, std.entry_ratio_prior_births,
            std.township_prior_births, std.history_weights) == (
        6, pytest.approx(1 / 3), 20, 200, (1.0,) * 5)

    def cohort(y):
        return births[y - 6]

    # entry ratios weighted equally over 2023–2026: Σ grade 1 ÷ Σ cohort births by unit, the
    # township's shrunk toward the county's with the weight of 200 births, each unit toward
    # its township's with the weight of 20
    g1 = past[past["grade"] == 1].pivot_table(index="unit_id", columns="year",
                                              values="students", aggfunc="sum")
    g1 = g1.reindex(units.index).fillna(0)
    g1[2026] = units["g1"]  # the base year: the units' children
    num = g1[[2023, 2024, 2025, 2026]].mean(axis=1)
    den = pd.concat([cohort(y) for y in (2023, 2024, 2025, 2026)], axis=1).mean(axis=1)
    county = num.sum() / den.sum()
    town = units["township"]
    t_ratio = (num.groupby(town).sum() + 200 * county) / (den.groupby(town).sum() + 200)
    entry = (num + 20 * town.map(t_ratio)) / (den + 20)

    def entrants(y):  # the county's ratio × its births, shared by the units' ratio × births
        by_unit = entry * cohort(y)
        return by_unit * county * cohort(y).sum() / by_unit.sum()

    return units, progression, migration, entrants, cohort


def test_demo_2027_children_by_hand_unit_by_unit(demo_years):
    units, progression, migration, entrants, _ = _demo_hand(demo_years["ws"],
                                                            demo_years["std"])
    rates = demo_years["data"]["rates"]
    assert rates["progression"] == pytest.approx([1.0, *progression])
    assert rates["migration"] == pytest.approx(migration)
    assert rates["cutoff_share"] == 0.0 and rates["sources"]["cutoff_share"] == "history"
    assert migration["rural"] == pytest.approx(0.0196, abs=1e-4) and migration["town"] == 0
    # 2027: grade 1 from the births, every other grade last year's grade below × its ratio;
    # villages then send 1.96 % of grades 2–9 to the seat and towns, shared in proportion to
    # their children of the grade; the seat's new estate (first year: 40 % occupied) adds
    # 1,100 × 3.5 / 100 × 0.4 = 15.4 a grade, half of them families from the villages, taken
    # from the other town and seat units (in proportion to their children of the grade)
    grades = [f"g{g}" for g in range(1, 10)]
    kids = pd.DataFrame(index=units.index, columns=grades, dtype=float)
    kids["g1"] = entrants(2027)
    for g in range(2, 10):
        kids[f"g{g}"] = units[f"g{g - 1}"] * progression[g - 2]
    rural = (units["area_type"] == "rural").to_numpy()
    gets = units["area_type"].isin(["town", "urban"]).to_numpy()
    older = grades[1:]
    leaving = kids.loc[rural, older] * migration["rural"]
    kids.loc[rural, older] -= leaving
    kids.loc[gets, older] += kids.loc[gets, older] / kids.loc[gets, older].sum() * leaving.sum()
    others = gets & (units.index != SEAT_ESTATE)
    taken = kids[others] / kids[others].sum() * 7.7
    kids.loc[others] -= taken
    kids.loc[SEAT_ESTATE] += 15.4
    children = pd.DataFrame(demo_years["data"]["children"])
    got = children[children["year"] == 2027].pivot(index="unit_id", columns="grade",
                                                   values="children")
    # whole children keep every total: within one child cell by cell, grade totals exact
    assert (np.abs(got.loc[units.index].to_numpy() - kids.to_numpy()) < 1).all()
    assert got.sum().tolist() == np.rint(kids.sum().to_numpy()).tolist()
    # 2026 is the workspace's own children, unchanged
    now = children[children["year"] == 2026].pivot(index="unit_id", columns="grade",
                                                   values="children")
    assert (now.loc[units.index].to_numpy() == units[grades].to_numpy()).all()


def test_demo_entrants_follow_births_six_years_earlier(demo_years):
    units, _, _, entrants, cohort = _demo_hand(demo_years["ws"], demo_years["std"])
    children = pd.DataFrame(demo_years["data"]["children"])
    first = children[children["grade"] == 1].groupby("year")["children"].sum()
    assert first[2026] == 4247 == units["g1"].sum()
    # entrants 2027–2031 (born 2021–2025, all in the births table): the county's entry ratio
    # × its births, plus the estates' first-graders as they fill (芳园新苑 1,100 × 3.5 / 100
    # = 38.5 when full, from 2027; 岚庭学府花园 1,900 × 3.2 / 100 = 60.8, from 2028; 40 %, 70 %,
    # 90 %, then all occupied), half of them from the villages (not added to the county)
    def estates(y):
        ramp = (0.0, 0.4, 0.7, 0.9, 1.0, 1.0, 1.0)
        return 0.5 * (38.5 * ramp[y - 2026] + 60.8 * ramp[y - 2027])

    hand = {y: float(entrants(y).sum()) + estates(y) for y in range(2027, 2032)}
    for y in range(2027, 2032):
        assert first[y] == pytest.approx(hand[y], abs=1), y
    # and they move as the births did: down to 2029, up in 2030 (the dragon year 2024's
    # births are the cohort of 2030), down again in 2031
    for y in range(2027, 2032):
        assert np.sign(first[y] - first[y - 1]) == np.sign(cohort(y).sum() - cohort(y - 1).sum())
    assert [first[y] for y in range(2026, 2032)] == [4247, 3668, 3438, 3263, 3451, 3036]


def test_demo_primary_pupils_fall_from_2026(demo_years):
    ws, data, out = demo_years["ws"], demo_years["data"], demo_years["stdout"]
    county = pd.DataFrame(data["county"])
    primary = county[county["section"] == "primary"].set_index("year")["pupils"]
    # 2026: the schools' primary pupils, the special school's 56 apart (it takes no part)
    s = ws.schools
    today = int(s.loc[s["kind"] != "special", "students_primary"].sum())
    assert today == primary[2026] == 33_370
    assert list(primary.index) == list(range(2026, 2036))
    assert (np.diff(primary.to_numpy()) < 0).all()  # every year fewer than the year before
    assert primary[2035] < 0.55 * primary[2026]
    line = next(x for x in out.splitlines() if x.startswith("  primary: "))
    assert line.startswith("  primary: 2026 33,370 (33,370–33,370), 2027 ")
    assert all(f" {y} {primary[y]:,}" in line for y in range(2026, 2036))


def test_demo_a_size_cap_crossing_ends_and_a_teaching_point_falls_below_20(demo_years):
    ws, data, out = demo_years["ws"], demo_years["data"], demo_years["stdout"]
    schools = pd.DataFrame(data["schools"])
    today = ws.schools.set_index("school_id")

    def rows(sid):
        return schools[(schools["school_id"] == sid) & (schools["section"] == "primary")
                       ].set_index("year")

    def crossing(sid, rule):
        hit = [c for c in data["crossings"] if c["school_id"] == sid and c["rule"] == rule]
        assert len(hit) == 1
        return hit[0]

    # 示范县实验小学: 2,955 pupils today over the primary size cap of 2,000; under it from 2033
    big = rows("4199000001")
    assert today.at["4199000001", "students_primary"] == big.at[2026, "pupils"] == 2955
    assert (big["size_cap"] == 2000).all()
    assert big.loc[2026:2032, "size"].gt(2000).all() and big.loc[2033:, "size"].le(2000).all()
    assert (big.at[2032, "size"], big.at[2033, "size"]) == (2007, 1946)
    c = crossing("4199000001", "over_size_cap")
    assert (c["years"], c["first_year"], c["last_year"], c["ends"]) == ("2026–2032", 2026,
                                                                        2032, 2033)
    assert ("  示范县实验小学 (4199000001) primary: over_size_cap 2026–2032, no longer from "
            "2033") in out.splitlines()
    # 汀畈镇东荇岗教学点: a teaching point of 24 pupils today, 20 in 2027 and under 20 after
    small = rows("4199000097")
    assert today.at["4199000097", "kind"] == "teaching_point"
    assert today.at["4199000097", "students_primary"] == small.at[2026, "pupils"] == 24
    assert small.loc[2027:, "pupils"].tolist() == [20, 17, 14, 13, 10, 10, 9, 8, 7]
    c = crossing("4199000097", "very_small")
    assert (c["years"], c["first_year"], c["ends"]) == ("2028–2035", 2028, None)
    assert "  汀畈镇东荇岗教学点 (4199000097) primary: very_small 2028–2035" in out.splitlines()
    # the --schools file holds the same table
    csv = demo_years["schools_csv"]
    assert csv[(csv["school_id"] == "4199000001") & (csv["year"] == 2032)]["pupils"].tolist() \
        == [2007]


# --- rounding, housing, weights, the cut-off share, the band -------------------------------------

@settings(max_examples=60)
@given(st.data())
def test_whole_children_keep_every_total_by_grade_township_and_county(data):
    from planner.projection import whole_children

    n = data.draw(st.integers(1, 12), label="units")
    cells = np.array(data.draw(st.lists(st.lists(st.floats(0, 80, allow_nan=False),
                                                  min_size=9, max_size=9),
                                         min_size=n, max_size=n), label="children"))
    groups = np.array(data.draw(st.lists(st.sampled_from(["甲镇", "乙乡", "丙乡"]), min_size=n,
                                         max_size=n), label="townships"), dtype=object)
    whole = whole_children(cells, groups)
    assert whole.dtype == np.int64 and (whole >= 0).all()
    # the county total of each grade is the model's, rounded
    assert whole.sum(axis=0).tolist() == np.rint(np.round(cells.sum(axis=0), 9)).tolist()
    for t in np.unique(groups):
        m = groups == t
        # every township within one child of the model, every cell within one
        assert (np.abs(whole[m].sum(axis=0) - cells[m].sum(axis=0)) < 1 + 1e-9).all()
    assert (np.abs(whole - cells) < 1 + 1e-9).all()


def test_whole_children_by_hand():
    from planner.projection import whole_children

    # one grade: 0.6 + 0.6 + 0.6 = 1.8 → 2 in the county; 甲 has 1.2, 乙 0.6: floors 1 + 0,
    # the spare child to the larger fraction (乙's 0.6): 1 and 1; in 甲, 0.6 and 0.6 share 1:
    # the first unit takes it. Cell by cell rounding would have made 3.
    cells = np.zeros((3, 9))
    cells[:, 0] = 0.6
    whole = whole_children(cells, np.array(["甲", "甲", "乙"], dtype=object))
    assert whole[:, 0].tolist() == [1, 0, 1]


def _housing_case(migration):
    from planner.projection import Rates, _Data, run

    # U0 (the estate's unit, seat), U1 (seat), U2 (village); 10, 30 and 50 children a grade
    r0 = np.array([[10.0] * 9, [30.0] * 9, [50.0] * 9])
    full = np.array([20.0, 10.0] + [0.0] * 7)  # the estate's children when all occupied
    data = _Data(area=np.array(["urban", "urban", "rural"], dtype=object),
                 groups=np.array(["a", "a", "b"], dtype=object), births=None,
                 counts={2026: r0}, developments=((0, 2027, full),))
    rates = Rates(entry=np.ones(3), progression=np.ones(9), migration={"rural": migration},
                  sources={})
    std = replace(NATIONAL_2017, births_change_central=0.0, development_occupancy=(0.5, 1.0),
                  development_local_share=0.4)
    return run(data, rates, r0, 2026, 2028, std, ("central",))["central"]


def test_a_housing_estate_fills_and_its_village_buyers_come_from_the_migration():
    c = _housing_case(0.1)
    # 2027: the village sends 10 % of grades 2–9 (5 a grade, 40 in all) to the seat, 1 : 3
    # by its children (U0 +1.25, U1 +3.75). The estate is half occupied: 10 first-graders and
    # 5 second-graders; 40 % of them (4 and 2) are village families the migration moved,
    # taken from the other seat unit U1; only 6 and 3 are new to the county.
    assert c[1, 0].tolist() == pytest.approx([20, 16.25] + [11.25] * 7)
    assert c[1, 1].tolist() == pytest.approx([26, 31.75] + [33.75] * 7)
    assert c[1, 2].tolist() == pytest.approx([50] + [45] * 8)
    assert c[1, :, 0].sum() == pytest.approx(90 + 6)
    # 2028: residents (without the estate) move up: U0 10, 10 + 1.25, 11.25 + 1.125 …;
    # U1 30, 30 + 3.75, 33.75 + 3.375 …; the estate full (20 and 10), 8 and 4 taken from U1
    assert c[2, 0].tolist() == pytest.approx([30, 21.25] + [12.375] * 7)
    assert c[2, 1].tolist() == pytest.approx([22, 29.75] + [37.125] * 7)


def test_without_migration_an_estates_children_are_all_added():
    c = _housing_case(0.0)  # no flow to take the village buyers from: all added
    assert c[1, 0].tolist() == pytest.approx([20, 15] + [10] * 7)
    assert c[1, 1].tolist() == pytest.approx([30] * 9)
    assert c[2, 0].tolist() == pytest.approx([30, 20] + [10] * 7)


def _entry_case(std, g1_by_year):
    """One unit; births 100 a year but 2017 (160) and 2018 (40); grade 1 as given."""
    from planner.projection import _Data, estimate

    births = np.array([[100.0, 160.0, 40.0, 100.0, 100.0, 100.0]]), np.arange(2016, 2022)
    counts = {y: np.array([[g1] + [0.0] * 8]) for y, g1 in g1_by_year.items()}
    data = _Data(area=np.array(["urban"], dtype=object), groups=np.array(["a"], dtype=object),
                 births=births, counts=counts, developments=())
    return estimate(data, max(g1_by_year), std, counts[max(g1_by_year)])[0]


def test_entry_ratios_weigh_the_history_and_fit_the_cut_off_share():
    std = replace(NATIONAL_2017, entry_ratio_prior_births=0.0, township_prior_births=0.0)
    # entrants of 2023–2026 are 0.9 × the births of y − 6 exactly (144, 36, 90, 90): the share
    # born the year before that fits them is 0/12 (4/12 would make 2024's cohort 80 and 2025's
    # 73.3), and the ratio 0.9 in every year: no band
    r = _entry_case(std, {2023: 144.0, 2024: 36.0, 2025: 90.0, 2026: 90.0})
    assert r.cutoff_share == 0.0 and r.sources["cutoff_share"] == "history"
    assert r.entry.tolist() == pytest.approx([0.9]) and r.entry_band == pytest.approx((1, 1))
    # fitting off: the profile's 4/12; cohorts 2023–2026: 2/3 × 160 + 100/3 = 140,
    # 2/3 × 40 + 160/3 = 80, 2/3 × 100 + 40/3 = 80, 100; ratio 360 / 400 = 0.9; single years
    # 144/140, 0.45, 1.125, 0.9: the band's factors 0.45 / 0.9 and 1.125 / 0.9
    r = _entry_case(replace(std, entry_cutoff_fit=False),
                    {2023: 144.0, 2024: 36.0, 2025: 90.0, 2026: 90.0})
    assert r.cutoff_share == pytest.approx(1 / 3) and r.entry.tolist() == pytest.approx([0.9])
    assert r.entry_band == pytest.approx((0.5, 1.25))
    # weights 3, 1 (the last two years; too few to fit): (3 × 90 + 1 × 90) / (3 × 100 + 80)
    r = _entry_case(replace(std, history_weights=(3.0, 1.0)),
                    {2023: 144.0, 2024: 36.0, 2025: 90.0, 2026: 90.0})
    assert r.entry_years == (2026, 2025) and r.sources["cutoff_share"] == "profile"
    assert r.entry.tolist() == pytest.approx([360 / 380])


def test_a_profile_sets_the_history_weights_and_the_housing_ramp(tmp_path):
    from planner.errors import StandardsError
    from planner.standards import load_profile

    p = tmp_path / "p.toml"
    p.write_text("history_weights = [3, 2, 1]\ndevelopment_occupancy = [0.5, 1]\n"
                 "development_local_share = 0.7\nentry_cutoff_fit = false\n", encoding="utf-8")
    std = load_profile(p)
    assert std.history_weights == (3.0, 2.0, 1.0) and std.development_occupancy == (0.5, 1.0)
    assert std.development_local_share == 0.7 and std.entry_cutoff_fit is False
    p.write_text("development_occupancy = [0.5, 1.5]\n", encoding="utf-8")
    with pytest.raises(StandardsError, match=r"development_occupancy must be shares from 0 to 1"):
        load_profile(p)
    p.write_text("history_weights = 3\n", encoding="utf-8")
    with pytest.raises(StandardsError, match=r"history_weights must be a list of numbers"):
        load_profile(p)


def test_band_changes_name_what_differs_at_the_edges():
    from planner.projection import band_changes

    def table(*rows):
        return pd.DataFrame([dict(zip(["school_id", "name", "section", "rule", "years"], r,
                                      strict=True)) for r in rows],
                            columns=["school_id", "name", "section", "rule", "years"])

    central = table(("S1", "实验小学", "primary", "over_size_cap", "2026–2029"),
                    ("S2", "二小", "primary", "over_size_cap", "2026"))
    low = table(("S1", "实验小学", "primary", "over_size_cap", "2026–2029"),
                ("S2", "二小", "primary", "over_size_cap", "2026"))
    high = table(("S1", "实验小学", "primary", "over_size_cap", "2026–2031"),
                 ("S2", "二小", "primary", "over_size_cap", "2026"),
                 ("S3", "三小", "primary", "very_small", "2035"))
    out = band_changes(central, {"low": low, "high": high})
    assert out[["school_id", "years_central", "years_low", "years_high"]].values.tolist() == [
        ["S1", "2026–2029", "2026–2029", "2026–2031"], ["S3", "", "", "2035"]]
