"""A costed roadmap that closes the resource gaps (制定补齐短板的时间表和路线图).

For every school section that fails R1–R7 (6 of 7, the seventh at 85 % at least) the roadmap
finds the cheapest additions that make it pass: it tries every choice of the indicator(s) it
may leave below threshold and prices the rest with the profile's unit costs (a teacher-year, a
m² of teaching floor or of sports ground, a yuan of equipment, a multimedia room). Then, for
every CV still over its limit, it raises the school sections lowest in that indicator to a
common level — the lowest level that brings the CV within its limit (bisection, whole
teachers and rooms). As an option, backbone teachers first move from school sections with a
surplus to those short of them (teacher exchange, 交流轮岗), up to the share of teachers the
G11 rule has the county exchange each year.

Additions are whole teachers and rooms, m² to 0.1 and yuan to the yuan; a mixed school's
floor area, equipment and rooms split by student weights, so its section needs the school
total raised by the section's addition ÷ its share. Actions are then scheduled over years
under an annual budget (hired teachers cost every year after), cheapest packages first, and
given as `set_school` edits so the roadmap can be applied and re-evaluated as a scenario.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.indicators import (
    FrameColumns,
    coefficient_of_variation,
    indicator_arrays,
    section_arrays,
)
from planner.schema import SECTIONS
from planner.standards import (
    RESOURCE_COLUMNS,
    RESOURCE_IDS,
    RESOURCE_KEYS,
    TEACHER_KEYS,
    Standards,
)

MAX_YEARS = 30
_EPS = 1e-9
ACTIONS = {  # key → (action, unit)
    "above_degree_teachers_per100": ("hire", "teachers"),
    "backbone_teachers_per100": ("hire", "teachers"),
    "pe_art_teachers_per100": ("hire", "teachers"),
    "teaching_aux_area_per_student": ("build", "m2"),
    "sports_area_per_student": ("build", "m2"),
    "equipment_value_per_student": ("buy", "yuan"),
    "multimedia_rooms_per100": ("equip", "rooms"),
}
WHOLE = {"teachers", "rooms"}


@dataclass(frozen=True)
class Roadmap:
    """The roadmap.

    Attributes
    ----------
    actions
        One row per addition: year, school_id, name, section(s), id, key, action (hire,
        build, buy, equip, exchange_in, exchange_out), quantity, unit, unit_cost,
        one_off_yuan, yearly_yuan, reason ("pass", "cv" or "exchange"), partner_school_id
        (where an exchanged teacher comes from or goes to) and the school column it changes.
    by_year
        year, one_off_yuan, recurring_yuan, total_yuan, budget_yuan, and by the end of the
        year the school sections passing and the CVs (of 14) within their limits.
    edits
        `set_school` edits with each changed school's new totals (a scenario).
    unscheduled
        Actions the budget cannot carry within MAX_YEARS (their year is empty).
    notes
        (English, Chinese) pairs: the unit costs used, the exchange made.
    """

    actions: pd.DataFrame
    by_year: pd.DataFrame
    edits: list[dict]
    notes: tuple[tuple[str, str], ...]

    @property
    def total_cost(self) -> float:
        """One-off costs plus one year of every recurring cost."""
        return float(self.actions["one_off_yuan"].sum() + self.actions["yearly_yuan"].sum())

    @property
    def years(self) -> int:
        """Years the roadmap takes (0 when nothing is needed)."""
        y = self.actions["year"].dropna()
        return int(y.max()) if len(y) else 0

    def summary_lines(self, lang: str = "zh") -> list[str]:
        """A few lines for the command line."""
        a = self.actions
        teachers = int(a.loc[a["action"] == "hire", "quantity"].sum())
        moved = int(a.loc[(a["action"] == "exchange_in") & (a["id"] == "R2"), "quantity"].sum())
        m2 = float(a.loc[a["unit"] == "m2", "quantity"].sum())
        rooms = int(a.loc[a["unit"] == "rooms", "quantity"].sum())
        equip = float(a.loc[a["unit"] == "yuan", "quantity"].sum())
        one_off = float(a["one_off_yuan"].sum())
        yearly = float(a["yearly_yuan"].sum())
        unsched = int(a["year"].isna().sum())
        if lang == "zh":
            out = [f"路线图：{len(a)} 项措施，{self.years} 年完成；新增教师 {teachers} 名、"
                   f"交流骨干教师 {moved} 名、校舍和场地 {m2:,.0f} 平方米、网络多媒体教室 "
                   f"{rooms} 间、设备 {equip:,.0f} 元",
                   f"  一次性投入 {one_off:,.0f} 元，人员经费每年 {yearly:,.0f} 元"]
            if unsched:
                out.append(f"  预算内 {MAX_YEARS} 年仍无法安排的措施 {unsched} 项")
        else:
            out = [f"roadmap: {len(a)} action(s) over {self.years} year(s); {teachers} teachers "
                   f"hired, {moved} backbone teachers exchanged, {m2:,.0f} m² built, {rooms} "
                   f"multimedia rooms, {equip:,.0f} yuan of equipment",
                   f"  one-off {one_off:,.0f} yuan; staff {yearly:,.0f} yuan a year"]
            if unsched:
                out.append(f"  {unsched} action(s) the budget cannot carry within {MAX_YEARS} "
                           "years")
        out += [f"  {en if lang == 'en' else zh}" for en, zh in self.notes]
        return out


@dataclass
class _State:
    """School totals being raised (school index × column) and the section rows over them."""

    cols: dict[str, np.ndarray]
    added: dict[tuple[int, str], float]       # (school, column) → amount added
    # (from, to, section, from column, to column, and the above-degree columns when the
    # exchanged teacher counts there too, else None)
    moved: list[tuple[int, int, str, str, str, str | None, str | None]]
    # every addition as made: (school, key, column, amount, "add" or "designate")
    log: list[tuple[int, str, str, float, str]] = dataclasses.field(default_factory=list)
    designate: bool = False

    def add(self, school: int, col: str, amount: float) -> None:
        """Add to a school's column and record it as an addition (to be paid for)."""
        if amount <= 0:
            return
        self.shift(school, col, amount)
        self.added[school, col] = self.added.get((school, col), 0.0) + amount

    def shift(self, school: int, col: str, amount: float) -> None:
        """Change a school's column (the arrays are copied: earlier states stay as they were)."""
        self.cols[col] = self.cols[col].astype(float, copy=True)
        self.cols[col][school] += amount


def unit_cost(standards: Standards, key: str) -> float:
    """The profile's price of one unit of an addition for a resource key (yuan)."""
    return {
        "above_degree_teachers_per100": standards.cost_teacher_year,
        "backbone_teachers_per100": standards.cost_teacher_year,
        "pe_art_teachers_per100": standards.cost_teacher_year,
        "teaching_aux_area_per_student": standards.cost_teaching_area_m2,
        "sports_area_per_student": standards.cost_sports_area_m2,
        "equipment_value_per_student": standards.cost_equipment_yuan,
        "multimedia_rooms_per100": standards.cost_multimedia_room,
    }[key]


def _target_column(cols: dict, school: int, key: str, section: str) -> tuple[str, bool]:
    """Return the column an addition for (school, key, section) goes to, and if it is own.

    Own: the section's own column (per-section teachers), not a total the student weights
    split between the sections.
    """
    col = RESOURCE_COLUMNS[key][0]
    if key in TEACHER_KEYS:
        pair = f"{col}_{section}"
        other = f"{col}_{'junior' if section == 'primary' else 'primary'}"
        if pair in cols and other in cols and not (np.isnan(float(cols[pair][school]))
                                                   or np.isnan(float(cols[other][school]))):
            return pair, True
    return col, False


def _rows(cols: dict, standards: Standards) -> dict[str, np.ndarray]:
    """School sections with their school index, as arrays."""
    sections = section_arrays(cols, standards)
    index = {s: i for i, s in enumerate(cols["school_id"])}
    sections["school"] = np.array([index[s] for s in sections["school_id"]], dtype=np.int64)
    return sections


def _value(rows: dict, r: int, key: str) -> float:
    col, factor = RESOURCE_COLUMNS[key]
    return float(rows[col][r]) * factor / float(rows["students"][r])


def _need(rows: dict, r: int, key: str, level: float, cols: dict) -> tuple[str, float]:
    """The school column and the amount to add there so row r's value reaches `level`."""
    col, factor = RESOURCE_COLUMNS[key]
    school, sec = int(rows["school"][r]), rows["section"][r]
    target, own = _target_column(cols, school, key, sec)
    have_section = float(rows[col][r])
    want_section = level * float(rows["students"][r]) / factor
    gap = want_section - have_section
    if gap <= 1e-9:
        return target, 0.0
    if not own:  # a facility (or weighted teachers): the school total, through the share
        share = float(rows["share"][r])
        if share <= 0:
            return target, 0.0
        gap = gap / share
    unit = ACTIONS[key][1]
    if unit in WHOLE:
        return target, float(math.ceil(gap - 1e-9))
    return target, (math.ceil(gap * 10 - 1e-6) / 10 if unit == "m2" else float(math.ceil(gap)))


def columns_changed(cols: dict, target: str, key: str) -> list[str]:
    """Return the school columns an addition to `target` changes.

    The target, the total a per-section teacher column is part of, and for teachers the
    headcounts (a hired or moved teacher is a certified teacher).
    """
    col = RESOURCE_COLUMNS[key][0]
    out = [target] + ([col] if target != col else [])
    if key in TEACHER_KEYS:
        sec = target.rsplit("_", 1)[-1] if target != col else None
        for c in ("teachers_total", "teachers_certified"):
            out += [c] + ([f"{c}_{sec}"] if sec in SECTIONS and f"{c}_{sec}" in cols else [])
    return [c for c in out if c in cols]


BACKBONE = "backbone_teachers_per100"


def designation_headroom(cols: dict, school: int, target: str) -> float:
    """Teachers of a school (section) not yet backbone: whom the county may designate."""
    sec = target.rsplit("_", 1)[-1] if target.endswith(("_primary", "_junior")) else None
    total = cols.get(f"teachers_total_{sec}" if sec else "teachers_total")
    if total is None:
        return 0.0
    return max(float(total[school]) - float(cols[target][school]), 0.0)


def _apply_need(state: _State, target: str, school: int, amount: float, key: str) -> None:
    """Add `amount` to a school's column and to the columns that follow it.

    With `state.designate`, backbone teachers are first designated among the school's own
    teachers (the backbone columns alone change); only the rest are new teachers.
    """
    if state.designate and key == BACKBONE:
        named = min(amount, math.floor(designation_headroom(state.cols, school, target)))
        if named > 0:
            for col in {target, RESOURCE_COLUMNS[key][0]}:
                if col in state.cols:
                    state.add(school, col, named)
            state.log.append((school, key, target, float(named), "designate"))
            amount -= named
    if amount <= 0:
        return
    for col in columns_changed(state.cols, target, key):
        state.add(school, col, amount)
    state.log.append((school, key, target, float(amount), "add"))


def _pass_plan(rows: dict, r: int, standards: Standards, cols: dict
               ) -> list[tuple[str, str, float]]:
    """The cheapest additions that make row r comply: (key, column, amount)."""
    sec = standards.section(rows["section"][r])
    values = {k: _value(rows, r, k) for k in RESOURCE_KEYS}
    unmet = [k for k in RESOURCE_KEYS if values[k] < sec.threshold(k) * (1 - _EPS)]
    may_miss = len(RESOURCE_KEYS) - standards.min_indicators_met
    best, best_cost = None, math.inf
    for n in range(0, min(may_miss, len(unmet)) + 1):
        for skip in itertools.combinations(unmet, n):
            plan = []
            for k in unmet:
                level = (standards.floor_share if k in skip else 1.0) * sec.threshold(k)
                target, amount = _need(rows, r, k, level, cols)
                if amount > 0:
                    plan.append((k, target, amount))
            cost = sum(unit_cost(standards, k) * a for k, _, a in plan)
            if cost < best_cost - 1e-6:
                best, best_cost = plan, cost
    return best or []


def _cv(rows: dict, section: str, key: str) -> float:
    mask = rows["section"] == section
    col = RESOURCE_COLUMNS[key][0]
    return coefficient_of_variation(rows["students"][mask], rows[col][mask])


def _fill_to(state: _State, rows: dict, section: str, key: str, level: float, standards
             ) -> list[tuple[int, str, float]]:
    """Additions that raise every row of the section below `level` up to it."""
    out = []
    for r in np.flatnonzero(rows["section"] == section):
        if _value(rows, r, key) < level:
            target, amount = _need(rows, r, key, level, state.cols)
            if amount > 0:
                out.append((int(rows["school"][r]), target, amount))
    return out


def _trial_cv(state: _State, section: str, key: str, adds, standards) -> float:
    """The CV the additions `adds` would give, the state left as it is."""
    trial = _State(cols=dict(state.cols), added={}, moved=[], designate=state.designate)
    for school, target, amount in adds:
        _apply_need(trial, target, school, amount, key)
    return _cv(_rows(trial.cols, standards), section, key)


def _exchange(state: _State, standards: Standards, cap: int
              ) -> list[tuple[int, int, str, str, str]]:
    """Move backbone teachers from surplus school sections to those short of them."""
    key = "backbone_teachers_per100"
    moves = []
    for _ in range(cap):
        rows = _rows(state.cols, standards)
        best = None
        for sec in ("primary", "junior"):
            t = standards.section(sec).threshold(key)
            mask = np.flatnonzero(rows["section"] == sec)
            movable = [r for r in mask if _target_column(state.cols, int(rows["school"][r]), key,
                                                         sec)[1]
                       or rows["teacher_basis"][r] == "whole_school"]
            short = [r for r in movable if _value(rows, r, key) < t * (1 - _EPS)]
            donors = [r for r in movable
                      if (float(rows["teachers_backbone"][r]) - 1) * 100
                      / float(rows["students"][r]) >= t * (1 + _EPS)]
            if short and donors:
                to = min(short, key=lambda r: _value(rows, r, key))
                src = max(donors, key=lambda r: _value(rows, r, key))
                if int(rows["school"][src]) != int(rows["school"][to]):
                    best = (src, to, sec)
                    break
        if best is None:
            break
        src, to, sec = best
        a, b = int(rows["school"][src]), int(rows["school"][to])
        col_a, _ = _target_column(state.cols, a, key, sec)
        col_b, _ = _target_column(state.cols, b, key, sec)
        # the teacher who leaves is above the required degree when the school has no
        # other kind left (its above-degree count may not exceed its teachers)
        degree = "above_degree_teachers_per100"
        with_degree = (float(state.cols[RESOURCE_COLUMNS[degree][0]][a])
                       >= float(state.cols["teachers_total"][a]))
        deg = {school: _target_column(state.cols, school, degree, sec)[0] if with_degree
               else None for school in (a, b)}
        for school, sign in ((a, -1.0), (b, 1.0)):
            moved = [(key, col_a if sign < 0 else col_b)]
            if with_degree:
                moved.append((degree, deg[school]))
            changed = {c for k, t in moved for c in columns_changed(state.cols, t, k)}
            for col in sorted(changed):
                state.shift(school, col, sign)
        moves.append((a, b, sec, col_a, col_b, deg[a], deg[b]))
    return moves



@dataclass(frozen=True)
class Addition:
    """One addition the gaps of a schools layer need (see :func:`additions`)."""

    school_id: str
    key: str
    column: str
    amount: float
    mode: str  # "add" (a new teacher, m², yuan or room) or "designate" (a backbone title)
    reason: str  # "pass" or "cv"


def additions(schools: pd.DataFrame, standards: Standards, *, designate: bool = False
              ) -> list[Addition]:
    """The additions that make every school section pass R1–R7 and every CV fit (no schedule).

    The same choice :func:`roadmap` prices; with `designate`, a backbone teacher short is
    first met by designating one of the school's own teachers (R2 counts county-level
    backbone teachers, a title the county gives), and only the rest by a new teacher.
    """
    if isinstance(schools, gpd.GeoDataFrame):
        schools = pd.DataFrame(schools.drop(columns=schools.geometry.name))
    cols = {c: schools[c].to_numpy() for c in FrameColumns(schools)}
    state = _State(cols=cols, added={}, moved=[], designate=designate)
    reasons: dict[tuple[int, str], str] = {}
    _close_gaps(state, standards, reasons)
    ids = cols["school_id"]
    return [Addition(str(ids[school]), key, col, amount, mode,
                     reasons.get((school, col), "cv"))
            for school, key, col, amount, mode in state.log]


def roadmap(schools: pd.DataFrame, standards: Standards, *, budget: float | None = None,
            exchange: bool = False) -> Roadmap:
    """Plan the additions (and exchanges) that make every section pass and every CV fit.

    Parameters
    ----------
    schools
        The schools layer (of the workspace or of a scenario's plan).
    standards
        Thresholds, CV limits and the unit costs.
    budget
        Yuan per year; None puts everything in the first year.
    exchange
        Move backbone teachers from surplus to short school sections first (G11).
    """
    if isinstance(schools, gpd.GeoDataFrame):
        schools = pd.DataFrame(schools.drop(columns=schools.geometry.name))
    cols = {c: schools[c].to_numpy() for c in FrameColumns(schools)}
    start = {c: v.copy() for c, v in cols.items()}
    state = _State(cols=cols, added={}, moved=[])
    c = standards
    notes = [(f"unit costs ({c.name} profile; this tool's defaults unless the profile sets "
              f"them): teacher {c.cost_teacher_year:,.0f} yuan a year, teaching floor "
              f"{c.cost_teaching_area_m2:,.0f} yuan/m², sports ground "
              f"{c.cost_sports_area_m2:,.0f} yuan/m², equipment {c.cost_equipment_yuan:g} yuan "
              f"per yuan, multimedia room {c.cost_multimedia_room:,.0f} yuan, exchange "
              f"allowance {c.cost_exchange_teacher_year:,.0f} yuan a year",
              f"单价（{c.name} 标准配置；未设置时为本工具默认值）：教师每人每年 "
              f"{c.cost_teacher_year:,.0f} 元，教学及辅助用房每平方米 "
              f"{c.cost_teaching_area_m2:,.0f} 元，体育运动场馆每平方米 "
              f"{c.cost_sports_area_m2:,.0f} 元，设备按值 {c.cost_equipment_yuan:g} 倍，"
              f"网络多媒体教室每间 {c.cost_multimedia_room:,.0f} 元，"
              f"交流教师补助每人每年 {c.cost_exchange_teacher_year:,.0f} 元")]
    reasons: dict[tuple[int, str], str] = {}
    if exchange:
        pool = int(math.floor(standards.exchange_share * float(np.nansum(
            cols["teachers_total"][cols["kind"] != "special"]))))
        state.moved = _exchange(state, standards, pool)
        notes.append((f"teacher exchange: {len(state.moved)} backbone teacher(s) moved of at "
                      f"most {pool} a year ({standards.exchange_share:.0%} of teachers, the G11 "
                      "minimum exchange)",
                      f"交流轮岗：调配骨干教师 {len(state.moved)} 名（每年至多 {pool} 名，"
                      f"即教师总数的 {standards.exchange_share:.0%}，G11 的最低交流比例）"))
    _close_gaps(state, standards, reasons)
    actions = _actions(state, start, reasons, standards)
    actions, by_year = _schedule(actions, budget, standards)
    by_year = _progress(by_year, actions, start, standards)
    edits = _edits(state, start)
    return Roadmap(actions=actions, by_year=by_year, edits=edits, notes=tuple(notes))



def _close_gaps(state: _State, standards: Standards, reasons: dict) -> None:
    """Raise the state until every school section passes and every CV is within its limit."""
    # 1. every failing school section passes, at least cost
    rows = _rows(state.cols, standards)
    for r in range(len(rows["school"])):
        plan = _pass_plan(rows, r, standards, state.cols)
        for key, target, amount in plan:
            school = int(rows["school"][r])
            _apply_need(state, target, school, amount, key)
            reasons.setdefault((school, target), "pass")
        if plan:
            rows = _rows(state.cols, standards)  # a mixed school's other section sees them
    # 2. every CV within its limit: raise the lowest to a common level
    for _ in range(6):
        over = []
        rows = _rows(state.cols, standards)
        for sec in ("primary", "junior"):
            limit = standards.section(sec).cv_limit
            for key in RESOURCE_KEYS:
                cv = _cv(rows, sec, key)
                if cv == cv and cv > limit + _EPS:
                    over.append((sec, key, limit))
        if not over:
            break
        for sec, key, limit in over:
            rows = _rows(state.cols, standards)
            mask = rows["section"] == sec
            vals = [_value(rows, r, key) for r in np.flatnonzero(mask)]
            lo, hi = min(vals), max(vals)
            for _ in range(50):
                mid = (lo + hi) / 2
                if _trial_cv(state, sec, key, _fill_to(state, rows, sec, key, mid, standards),
                             standards) <= limit:
                    hi = mid
                else:
                    lo = mid
            for school, target, amount in _fill_to(state, rows, sec, key, hi, standards):
                _apply_need(state, target, school, amount, key)
                reasons.setdefault((school, target), "cv")


def _key_of(col: str) -> str | None:
    base = col.removesuffix("_primary").removesuffix("_junior")
    for key, (c, _) in RESOURCE_COLUMNS.items():
        if c == base:
            return key
    return None


def _actions(state: _State, start: dict, reasons: dict, standards: Standards) -> pd.DataFrame:
    ids, names = state.cols["school_id"], state.cols["name"]
    rows_now = _rows(start, standards)
    sections: dict[int, list[str]] = {}
    for school, sec in zip(rows_now["school"], rows_now["section"], strict=True):
        sections.setdefault(int(school), []).append(str(sec))
    rows = []
    for (school, col), amount in sorted(state.added.items()):
        key = _key_of(col)
        if key is None or (key in TEACHER_KEYS and col == RESOURCE_COLUMNS[key][0]
                           and any((school, f"{col}_{s}") in state.added
                                   for s in ("primary", "junior"))):
            continue  # totals that follow a per-section column, and teachers_total etc.
        action, unit = ACTIONS[key]
        cost = unit_cost(standards, key)
        yearly = unit == "teachers"
        sec = (col.rsplit("_", 1)[-1] if col.endswith(("_primary", "_junior"))
               else ",".join(sections.get(school, [])))
        rows.append({"school_id": ids[school], "name": names[school], "section": sec,
                     "id": RESOURCE_IDS[RESOURCE_KEYS.index(key)], "key": key,
                     "action": action, "quantity": amount, "unit": unit, "unit_cost": cost,
                     "one_off_yuan": 0.0 if yearly else amount * cost,
                     "yearly_yuan": amount * cost if yearly else 0.0,
                     "reason": reasons.get((school, col), "cv"), "partner_school_id": "",
                     "column": col})
    pairs: dict[tuple, int] = {}
    for move in state.moved:
        pairs[move] = pairs.get(move, 0) + 1
    cost = standards.cost_exchange_teacher_year
    for (a, b, sec, col_a, col_b, deg_a, deg_b), n in pairs.items():
        common = {"section": sec, "id": "R2", "key": "backbone_teachers_per100",
                  "quantity": float(n), "unit": "teachers", "reason": "exchange"}
        rows.append({"school_id": ids[b], "name": names[b], **common, "action": "exchange_in",
                     "unit_cost": cost, "one_off_yuan": 0.0, "yearly_yuan": n * cost,
                     "partner_school_id": ids[a], "column": col_b})
        rows.append({"school_id": ids[a], "name": names[a], **common, "action": "exchange_out",
                     "unit_cost": 0.0, "one_off_yuan": 0.0, "yearly_yuan": 0.0,
                     "partner_school_id": ids[b], "column": col_a})
        if deg_a is not None:  # the same teachers, above the required degree (R1) too
            common.update(id="R1", key="above_degree_teachers_per100")
            for school, partner, action, col in ((b, a, "exchange_in", deg_b),
                                                 (a, b, "exchange_out", deg_a)):
                rows.append({"school_id": ids[school], "name": names[school], **common,
                             "action": action, "unit_cost": 0.0, "one_off_yuan": 0.0,
                             "yearly_yuan": 0.0, "partner_school_id": ids[partner],
                             "column": col})
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


ACTION_COLUMNS = ["school_id", "name", "section", "id", "key", "action", "quantity", "unit",
                  "unit_cost", "one_off_yuan", "yearly_yuan", "reason", "partner_school_id",
                  "column"]


def _progress(by_year: pd.DataFrame, actions: pd.DataFrame, start: dict,
              standards: Standards) -> pd.DataFrame:
    """Add, per year, the school sections passing and the CVs within their limits by then."""
    index = {sid: i for i, sid in enumerate(start["school_id"])}
    passing, within = [], []
    for year in by_year["year"]:
        cols = {c: (v.astype(float) if c in set(actions["column"]) else v)
                for c, v in start.items()}
        done = actions[actions["year"] <= year]
        for r in done.to_dict("records"):
            sign = -1.0 if r["action"] == "exchange_out" else 1.0
            cols[r["column"]][index[r["school_id"]]] += sign * r["quantity"]
        rows = _rows(cols, standards)
        ind = indicator_arrays(rows, standards)
        passing.append(int(ind["compliant"].sum()))
        within.append(sum(1 for sec in ("primary", "junior") for key in RESOURCE_KEYS
                          if (rows["section"] == sec).any()
                          and not _cv(rows, sec, key) > standards.section(sec).cv_limit + _EPS))
    return by_year.assign(sections_passing=passing, cvs_within=within)


def _schedule(actions: pd.DataFrame, budget: float | None, standards: Standards
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each action a year under the budget; a school's actions go together.

    Exchanges first, then what makes sections pass, cheapest schools first; teachers hired
    in earlier years cost again every year.
    """
    actions = actions.copy()
    actions.insert(0, "year", np.nan)
    if actions.empty:
        return actions, pd.DataFrame(columns=["year", "one_off_yuan", "recurring_yuan",
                                              "total_yuan", "budget_yuan"])
    out = actions["action"] == "exchange_out"  # scheduled with the exchange_in it pairs
    cost = actions["one_off_yuan"] + actions["yearly_yuan"]
    order = (actions[~out].assign(cost=cost, first=actions["reason"].map(
        {"exchange": 0, "pass": 1, "cv": 2}))
        .groupby("school_id")[["cost", "first"]].agg({"cost": "sum", "first": "min"})
        .sort_values(["first", "cost"], kind="stable").index)
    one_off_by_year: dict[int, float] = {}
    if budget is None:
        actions["year"] = 1.0
        one_off_by_year[1] = float(actions["one_off_yuan"].sum())
    else:
        year, spent, recurring = 1, 0.0, 0.0  # spent: this year's money used so far
        for school in order:
            idx = actions.index[(actions["school_id"] == school) & ~out]
            one_off = float(actions.loc[idx, "one_off_yuan"].sum())
            yearly = float(actions.loc[idx, "yearly_yuan"].sum())
            room = budget - recurring  # a year's money for new things
            if room <= 0:
                break
            if one_off + yearly > room:  # larger than a year's room: it spreads over years
                if spent > recurring:
                    year, spent = year + 1, recurring
                span = math.ceil((one_off + yearly) / room)
                if year + span - 1 > MAX_YEARS:
                    break
                for k in range(span):
                    part = min(room, max(one_off - k * room, 0.0))
                    one_off_by_year[year + k] = one_off_by_year.get(year + k, 0.0) + part
                actions.loc[idx, "year"] = float(year + span - 1)
                year += span
                recurring += yearly
                spent = recurring
                continue
            if spent + one_off + yearly > budget:
                year, spent = year + 1, recurring
            if year > MAX_YEARS:
                break
            actions.loc[idx, "year"] = float(year)
            one_off_by_year[year] = one_off_by_year.get(year, 0.0) + one_off
            spent += one_off + yearly
            recurring += yearly
    year_in = {(r["school_id"], r["partner_school_id"], r["section"]): r["year"]
               for r in actions[actions["action"] == "exchange_in"].to_dict("records")}
    actions.loc[out, "year"] = [year_in[(r["partner_school_id"], r["school_id"], r["section"])]
                                for r in actions[out].to_dict("records")]
    done = actions.dropna(subset=["year"])
    last = int(done["year"].max()) if len(done) else 0
    by_year = []
    for y in range(1, last + 1):
        rec = float(done.loc[done["year"] <= y, "yearly_yuan"].sum())
        one = one_off_by_year.get(y, 0.0)
        by_year.append({"year": y, "one_off_yuan": one, "recurring_yuan": rec,
                        "total_yuan": one + rec,
                        "budget_yuan": budget if budget is not None else np.nan})
    actions = actions.sort_values(["year", "school_id", "id"], kind="stable",
                                  na_position="last").reset_index(drop=True)
    return actions, pd.DataFrame(by_year, columns=["year", "one_off_yuan", "recurring_yuan",
                                                   "total_yuan", "budget_yuan"])


def _edits(state: _State, start: dict) -> list[dict]:
    """`set_school` edits holding each changed school's new totals."""
    out = []
    ids = state.cols["school_id"]
    changed: dict[int, dict] = {}
    for col, values in state.cols.items():
        if col in ("school_id", "name", "kind") or values.dtype == object:
            continue
        before = start[col].astype(float)
        after = values.astype(float)
        for i in np.flatnonzero(~np.isclose(before, after, equal_nan=True)):
            v = after[i]
            whole = np.issubdtype(start[col].dtype, np.integer) or col.startswith(
                ("teachers_", "multimedia_rooms"))
            changed.setdefault(int(i), {})[col] = int(round(v)) if whole else round(float(v), 1)
    for i in sorted(changed):
        out.append({"op": "set_school", "school_id": str(ids[i]), "values": changed[i]})
    return out

