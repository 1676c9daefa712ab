"""The plan of record (时间表和路线图): the actions, year by year, that pass the inspection.

Which actions, in which year, at what cost, make every computable checklist row pass in the
target year and in every projected year after it.

The plan works on the projected pupils of each year (planner/projection.py), through the
ordinary engine: every year is a plan of the projection with the plan's edits applied, and the
plan is accepted only when :func:`planner.evaluation.evaluate` of each year from the target to
the end of the projection passes every computable row (R1–R7 of every school section and the
14 CVs, G3, G4, G5, G11, G12, G13). The steps, each only where a row needs it:

1. Zoning for entrants (G13): out-of-zone entrants go to their zoned school from the plan's
   first year (a dated `enforce_zoning`: enrolled pupils finish where they are, so a section
   is all zoned only when its last out-of-zone cohort has left).
2. Size caps (G4): a school over its cap in a needed year caps its entrants (限额招生); units
   of its catchment, nearest alternative first, are re-zoned for entrants to a neighbour the
   rules of admission allow (planner/admission.py) with places (planner/capacity.py).
   Classrooms (G5): a school whose classes go over the standard for want of rooms in a
   needed year builds the rooms its classes at the cap need (`classroom_build_m2` each,
   counted in R4).
3. Music and art rooms (G3) for the most classes of the needed years, at the profile's room
   size; their floor counts in the teaching floor (R4), so it is not bought twice.
4. R1–R7 and the CVs: the roadmap's choice (planner/roadmap.py :func:`additions`) on each
   needed year's schools, facilities kept once built (the largest need of any year); R2 first
   by designating county-level backbone teachers among a school's own teachers (a yearly
   quota). A teacher need present in every needed year is permanent: a teacher redeployed
   from a school over its staffing norm in all those years (G10's pooled establishment), else
   a hire (招教); the part that comes and goes is met each year by exchange from a school with
   a surplus (交流轮岗), for at most `temporary_max_years` years, else permanently.
5. Certification (G12): uncertified teachers trained and examined.
6. The county's exchange (G11): at least the profile's share of the compulsory teachers a
   year, the backbone share among them; the directed exchanges of step 4 count in it.

A need that the projection removes before the target year is not bought: only the target
year and the years after it are planned for. Lead times (building, fitting, certifying) and
the budget can make the target impossible: the plan then names the row, the place, by how
much and the earliest year, and nothing is saved.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner import admission
from planner import checklist as ck
from planner import roadmap as rm
from planner.capacity import section_places, teachers_over_norm
from planner.evaluation import evaluate
from planner.indicators import section_arrays
from planner.plan.classes import classes_needed
from planner.plan.edits import cohorts_moving
from planner.schema import LAYER_COLUMNS, PROJECTION_END, SECTIONS
from planner.standards import (
    FACILITY_KEYS,
    RESOURCE_COLUMNS,
    RESOURCE_IDS,
    RESOURCE_KEYS,
    TEACHER_KEYS,
)

COMPUTABLE = ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "G3", "G4", "G5", "G11", "G12", "G13")
_KIND = {c.name: c.kind for c in LAYER_COLUMNS["schools"]}
ACTION_COLUMNS = ["year", "spend_year", "lead_years", "until", "action", "row", "school_id", "name",
                  "section", "quantity", "unit", "partner_school_id", "one_off_yuan",
                  "yearly_yuan", "temporary", "why_en", "why_zh"]
_FACILITY_ACTION = {"teaching_aux_area_per_student": ("build_floor", "m2"),
                    "sports_area_per_student": ("build_sports", "m2"),
                    "equipment_value_per_student": ("buy_equipment", "yuan"),
                    "multimedia_rooms_per100": ("fit_multimedia", "rooms")}


@dataclass(frozen=True)
class Block:
    """Why the target year cannot be met: the row, where, by how much, the earliest year."""

    row: str
    where: tuple[str, str]  # (English, Chinese)
    short: tuple[str, str]
    earliest: int | None
    why_en: str
    why_zh: str

    def line(self, lang: str = "zh") -> str:
        """One line for the command line."""
        if lang == "zh":
            when = (f"最早 {self.earliest} 年可达标" if self.earliest is not None
                    else "预测期内无法达标")
            return f"{self.row} {self.where[1]}：{self.short[1]}；{self.why_zh}；{when}"
        when = (f"earliest year possible: {self.earliest}" if self.earliest is not None
                else "not within the projection")
        return f"{self.row} {self.where[0]}: {self.short[0]}; {self.why_en}; {when}"


@dataclass(frozen=True, eq=False)
class Record:
    """A plan of record (see the module docstring).

    Attributes
    ----------
    name, base, target_year, first_year, end_year
        The scenario it is saved as and the scenario it is built on; the year every
        computable row must pass from; the plan's
        first school year (the workspace's + 1); the last projected year.
    actions
        One row per action (ACTION_COLUMNS): the year it takes effect, the last year of a
        temporary one, the action, the checklist row it closes, school, quantity and unit, the
        partner school of a move, one-off and yearly yuan, and why (English, Chinese).
    edits
        The scenario's dated edits.
    checklist
        Year × row of the ordinary evaluation of the plan: year, id, status, source, value.
    sections
        Year × school section: year, school_id, name, section, met, compliant.
    money
        By year: capital (one-off: a work's money spread evenly over the lead years before it
        is in use) and recurrent yuan, their total, the budget.
    teachers
        By year: designated, exchanged (directed) and in the county's exchange, redeployed,
        hired and certified in that year, and the posts added so far.
    to_confirm
        The entered rows the county must still confirm: id, name, status, evidence.
    blocks
        Why the target cannot be met (empty when it can).
    notes
        (English, Chinese) pairs: the costs and lead times used, what was left unbought.
    """

    name: str
    base: str
    target_year: int
    first_year: int
    end_year: int
    actions: pd.DataFrame
    edits: list[dict]
    checklist: pd.DataFrame
    sections: pd.DataFrame
    money: pd.DataFrame
    teachers: pd.DataFrame
    to_confirm: pd.DataFrame
    blocks: tuple[Block, ...]
    notes: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        """Whether every computable row passes from the target year to the end."""
        return not self.blocks

    @property
    def total_yuan(self) -> float:
        """Everything the plan costs over its years (capital and recurrent)."""
        return float(self.money["total_yuan"].sum()) if len(self.money) else 0.0

    def summary_lines(self, lang: str = "zh") -> list[str]:
        """A few lines for the command line."""
        a, m, t = self.actions, self.money, self.teachers
        capital, recurrent = float(m["capital_yuan"].sum()), float(m["recurrent_yuan"].sum())
        passing = self.checklist[(self.checklist["year"] >= self.target_year)
                                 & self.checklist["id"].isin(COMPUTABLE)]
        ok_years = sorted({int(y) for y, g in passing.groupby("year")
                           if (g["status"] == "pass").all()})
        hired, designated = int(t["hired"].sum()), int(t["designated"].sum())
        redeployed, exchanged = int(t["redeployed"].sum()), int(t["exchanged"].sum())
        named = f" {self.name}" if self.name else ""
        if lang == "zh":
            out = [f"规划{named}：{self.first_year}—{self.end_year} 年 {len(a)} 项措施，"
                   f"目标年 {self.target_year}；一次性投入 {capital:,.0f} 元，经常性支出合计 "
                   f"{recurrent:,.0f} 元",
                   f"  教师：认定骨干 {designated} 名、定向交流 {exchanged} 人次、统筹调配 "
                   f"{redeployed} 名、招聘 {hired} 名",
                   f"  可计算指标全部达标的年份：{'、'.join(map(str, ok_years)) or '无'}"]
        else:
            out = [f"plan{named}: {len(a)} action(s) from {self.first_year} to "
                   f"{self.end_year}, target {self.target_year}; capital {capital:,.0f} yuan, "
                   f"recurrent {recurrent:,.0f} yuan in all",
                   f"  teachers: {designated} designated backbone, {exchanged} directed "
                   f"exchange-years, {redeployed} redeployed, {hired} hired",
                   f"  years with every computable row passing: "
                   f"{', '.join(map(str, ok_years)) or 'none'}"]
        tc = self.to_confirm
        not_passing = [r for r in tc.to_dict("records") if r["status"] != "pass"]
        if lang == "zh":
            listed = "、".join(f"{r['id']}（{'未达标' if r['status'] == 'fail' else '缺数据'}）"
                               for r in not_passing)
            out.append(f"  待县级确认的填报指标 {len(tc)} 项"
                       + (f"，其中：{listed}" if listed else ""))
        else:
            listed = ", ".join(f"{r['id']} ({r['status']})" for r in not_passing)
            out.append(f"  entered rows for the county to confirm: {len(tc)}"
                       + (f"; not passing: {listed}" if listed else ""))
        out += [f"  {b.line(lang)}" for b in self.blocks]
        out += [f"  {en if lang == 'en' else zh}" for en, zh in self.notes]
        return out


# --- helpers ---------------------------------------------------------------------------------

class _Delta:
    """What the plan adds to each school column, year by year (negative: teachers leaving)."""

    def __init__(self, years: range):
        self.years = years
        self.by_year: dict[int, dict[tuple[str, str], float]] = {y: defaultdict(float)
                                                                 for y in years}

    def add(self, sid: str, col: str, amount: float, start: int, stop: int | None = None
            ) -> None:
        for y in self.years:
            if y >= start and (stop is None or y <= stop):
                self.by_year[y][sid, col] += amount

    def frame(self, plan, year: int) -> pd.DataFrame:
        """The plan's schools with the year's additions."""
        frame = pd.DataFrame({c: v for c, v in plan.schools.items() if c not in ("lon", "lat")})
        index = plan.school_index
        cols: dict[str, np.ndarray] = {}
        for (sid, col), amount in self.by_year[year].items():
            if amount:
                if col not in cols:
                    cols[col] = frame[col].to_numpy(dtype=float, copy=True)
                cols[col][index[sid]] += amount
        for col, values in cols.items():
            frame[col] = values
        return frame


def _action(year, action, row, school_id="", name="", section="", quantity=0.0, unit="",
            partner="", one_off=0.0, yearly=0.0, until=None, temporary=False, why=("", ""),
            lead=0):
    return {"year": year, "spend_year": year, "lead_years": lead, "until": until,
            "action": action, "row": row, "school_id": school_id, "name": name,
            "section": section, "quantity": float(quantity), "unit": unit,
            "partner_school_id": partner, "one_off_yuan": float(one_off),
            "yearly_yuan": float(yearly), "temporary": temporary, "why_en": why[0],
            "why_zh": why[1]}


def _row_status(ev, cid: str) -> str:
    return str(ev.checklist.set_index("id").loc[cid, "status"])


def _earliest(fails: dict[int, bool], target: int, end: int) -> int | None:
    """The first year from which a row passes in every year to the end."""
    for y in range(target, end + 1):
        if not any(fails.get(z, False) for z in range(y, end + 1)):
            return y
    return None


def _section_of(col: str) -> str | None:
    tail = col.rsplit("_", 1)[-1]
    return tail if tail in SECTIONS else None


# --- the plan --------------------------------------------------------------------------------

def make(session, target: int, *, name: str, base: str = "baseline", base_edits: list = (),
         to_year: int | None = None, budget: float | None = None) -> Record:
    """Build the plan of record of a workspace for a target year (see the module docstring).

    `base` names the scenario the plan starts from and `base_edits` are its edits
    (planner.session reads them from the workspace).

    Raises
    ------
    InputError
        The workspace does not say its school year, or the years are out of order.
    """
    from planner.errors import InputError
    from planner.plan import apply_edits
    from planner.projection import plan_at

    std = session.standards
    root = session.base.plan
    if root.year is None:
        raise InputError.single(session.file, "the workspace does not say its school year "
                                "(meta school_year): a plan needs it")
    first = root.year + 1
    end = to_year if to_year is not None else max(PROJECTION_END, target)
    if not first <= target <= end:
        raise InputError.single("--target-year", f"expected a year from {first} (the year "
                                f"after the workspace's) to {end}, got {target}")
    base_edits = list(base_edits)
    projection = session.base.projection_covering(end)
    span, needed = range(first, end + 1), range(target, end + 1)
    projected = {y: plan_at(root, projection, y) for y in span}

    def plan_in(y: int, edits: list) -> object:
        return apply_edits(projected[y], base_edits + edits)

    actions: list[dict] = []
    blocks: list[Block] = []
    notes: list[tuple[str, str]] = []
    zoning = _zoning(plan_in, std, first, target, end, actions, blocks)
    zoning += _size_caps(plan_in, zoning, std, first, target, end, actions, blocks)
    plans = {y: plan_in(y, zoning) for y in span}
    delta = _Delta(span)
    _classrooms(plans, delta, std, first, target, end, actions, blocks)
    _rooms(plans, delta, std, first, target, end, actions, blocks)
    _resources(plans, delta, std, first, target, end, actions, blocks)
    _certify(plans, delta, std, first, target, end, actions, blocks)
    exchanges = _exchange_programme(plans, delta, std, target, actions, blocks)
    if budget is not None:
        _within_budget(actions, budget, std, first, target, end, blocks)
    edits = zoning + _school_edits(plans, delta, span) + exchanges
    edits.sort(key=lambda e: e.get("year") or 0)  # stable: zoning, schools, exchange
    table, sections = _evaluate_years(plan_in, edits, span)
    for y in needed:
        bad = table[(table["year"] == y) & table["id"].isin(COMPUTABLE)
                    & (table["status"] != "pass")]
        for rec in bad.to_dict("records"):
            if not any(b.row == rec["id"] for b in blocks):
                fails = {int(r["year"]): r["status"] != "pass"
                         for r in table[table["id"] == rec["id"]].to_dict("records")}
                blocks.append(Block(rec["id"], ("", ""), (f"fails in {y}", f"{y} 年未达标"),
                                    _earliest(fails, target, end),
                                    str(rec["evidence"]), str(rec["evidence_zh"])))
    frame = pd.DataFrame(actions, columns=ACTION_COLUMNS)
    frame = frame.sort_values(["year", "action", "school_id"], kind="stable",
                              ignore_index=True)
    money = _money(frame, span, budget)
    teachers = _teachers(frame, span)
    confirm = table[(table["year"] == target) & ~table["id"].isin(COMPUTABLE + ("G1",))]
    to_confirm = confirm.assign(name_zh=[ck.NAMES[i][0] for i in confirm["id"]],
                                name_en=[ck.NAMES[i][1] for i in confirm["id"]])[
        ["id", "name_zh", "name_en", "status", "evidence", "evidence_zh"]]
    notes.insert(0, _cost_note(std))
    return Record(name=name, base=base, target_year=target, first_year=first, end_year=end,
                  actions=frame, edits=edits,
                  checklist=table.drop(columns=["evidence", "evidence_zh"]),
                  sections=sections, money=money, teachers=teachers,
                  to_confirm=to_confirm.reset_index(drop=True), blocks=tuple(blocks),
                  notes=tuple(notes))


def _cost_note(std) -> tuple[str, str]:
    return (f"costs and lead times ({std.name} profile; this tool's defaults unless the profile "
            f"sets them): teacher {std.cost_teacher_year:,.0f} yuan a year, exchange allowance "
            f"{std.cost_exchange_teacher_year:,.0f} a year, backbone designation "
            f"{std.cost_designate_backbone:,.0f} once (at most "
            f"{std.backbone_designations_per_year} a year), certification "
            f"{std.cost_certify_teacher:,.0f} once; building {std.lead_build_years} years, "
            f"multimedia rooms {std.lead_fit_years}, certification {std.lead_certify_years}",
            f"单价与周期（{std.name} 标准配置；未设置时为本工具默认值）：教师每人每年 "
            f"{std.cost_teacher_year:,.0f} 元，交流补助每人每年 "
            f"{std.cost_exchange_teacher_year:,.0f} 元，骨干教师认定培训每人 "
            f"{std.cost_designate_backbone:,.0f} 元（每年至多 "
            f"{std.backbone_designations_per_year} 名），资格培训每人 "
            f"{std.cost_certify_teacher:,.0f} 元；建设周期 {std.lead_build_years} 年，"
            f"多媒体教室 {std.lead_fit_years} 年，"
            f"资格认定 {std.lead_certify_years} 年")


# --- 1. zoning for entrants (G13) ------------------------------------------------------------

def _zoning(plan_in, std, first, target, end, actions, blocks) -> list[dict]:
    before = {y: evaluate(plan_in(y, [])) for y in range(target, end + 1)}
    failing = sorted({r["section"] for ev in before.values() if ev.zoned is not None
                      for r in ev.zoned.sections if r["section"] in SECTIONS
                      and r["ok"] is False}, key=SECTIONS.index)
    if not failing:
        return []
    section = failing[0] if len(failing) == 1 else None
    edit = {"op": "enforce_zoning", "school_id": None, "section": section, "year": first}
    after = {y: evaluate(plan_in(y, [edit])) for y in range(target, end + 1)}
    moved = before[target].zoned.out_students - after[target].zoned.out_students
    actions.append(_action(first, "enforce_zoning", "G13", section=",".join(failing),
                           quantity=moved, unit="pupils",
                           why=(f"entrants from {first} go to their zoned school (G13); by "
                                f"{target}, {moved:,} pupils attend their zoned school instead",
                                f"{first} 年起新生按片区入学（G13）；至 {target} 年 {moved:,} "
                                "名学生改在划片学校就读")))
    fails = {y: _row_status(ev, "G13") != "pass" for y, ev in after.items()}
    if fails.get(target):
        by = {r["section"]: r for r in after[target].zoned.sections}
        for sec in failing:
            if by[sec]["ok"] is not False:
                continue
            n = len(std.grades(sec))
            sec_fails = {y: next(r for r in ev.zoned.sections if r["section"] == sec)["ok"]
                         is False for y, ev in after.items()}
            blocks.append(Block(
                "G13", (sec, "小学" if sec == "primary" else "初中"),
                (f"{by[sec]['ratio']:.1%} zoned in {target}, needs {by[sec]['minimum']:.0%}",
                 f"{target} 年就近划片入学 {by[sec]['ratio']:.1%}，须达到 "
                 f"{by[sec]['minimum']:.0%}"), _earliest(sec_fails, target, end),
                f"zoning enforced for entrants from {first} reaches every {sec} grade only "
                f"after {n} cohorts ({first + n - 1})",
                f"{first} 年起按片区招收新生，{'小学' if sec == 'primary' else '初中'}"
                f"各年级须经 {n} 届新生（{first + n - 1} 年）才全部就近入学"))
    return [edit]


# --- 2. size caps (G4) -----------------------------------------------------------------------

def _pick_units(plans, p0, i, k, need, spare, sizes, first, target, std) -> list[tuple]:
    """Units of school i's catchment whose entrants go to a neighbour, nearest first.

    The neighbour is the nearest school the rules of admission allow that is under its own cap
    in every year and has places for the unit's re-zoned cohorts; `need` and `spare` are
    drawn down as units are picked. Returns (unit, school, section, pupils moved by target,
    those of them with an older sibling at school i: the families the cap splits).
    """
    sec = SECTIONS[k]
    years = list(plans)
    dist = p0.distances.matrix
    ok = admission.allowed(p0, sec)
    ok[:, i] = False
    options = []
    for u in np.flatnonzero(p0.zone[k] == i):
        js = [j for j in np.flatnonzero(ok[u]) if not any(sizes[y][2][j] for y in years)]
        if js:
            j = min(js, key=lambda j: dist[u, j])
            options.append((float(dist[u, j] - dist[u, i]), int(u), int(j)))
    picked = []
    for _extra, u, j in sorted(options):
        if all(v <= 0 for v in need.values()):
            break
        gain, split = {}, 0
        for y, p in plans.items():
            rows = ((p.rows.eu == u) & (p.rows.es == i)
                    & (std.is_junior(p.rows.grade) == (sec == "junior"))
                    & cohorts_moving(p, first, p.rows.grade, sec))  # the re-zoned cohorts
            gain[y] = float(p.rows.n[rows].sum())
            if y == target:  # 多孩同校 kept no sibling here: the families the cap splits
                entered = y - first - (p.rows.grade - std.grades(sec)[0])
                split = int(admission.sibling_pupils(p.rows.n, entered, sec, std)[rows].sum())
        if not any(gain.values()) or any(spare[y][j, k] < gain[y] for y in years):
            continue
        for y in years:
            spare[y][j, k] -= gain[y]
            need[y] = need.get(y, 0.0) - gain[y]
        picked.append((u, j, sec, gain[target], split))
    return picked


def _size_caps(plan_in, zoning, std, first, target, end, actions, blocks) -> list[dict]:
    years = range(target, end + 1)
    plans = {y: plan_in(y, zoning) for y in years}
    excess: dict[int, dict[int, float]] = defaultdict(dict)
    for y, p in plans.items():
        size, cap, over = ck.size_over_cap(p.schools, std)
        for i in np.flatnonzero(over):
            excess[int(i)][y] = float(size[i] - cap[i])
    if not excess:
        return []
    p0 = plan_in(first, zoning)
    spare = {y: section_places(p.schools, std)["spare"].copy() for y, p in plans.items()}
    sizes = {y: ck.size_over_cap(p.schools, std) for y, p in plans.items()}
    edits: list[dict] = []
    dist = p0.distances.matrix if p0.distances is not None else None
    for i, over in sorted(excess.items()):
        need = dict(over)  # pupils still to take off, by year
        sid, sname = str(p0.school_ids[i]), str(p0.schools["name"][i])
        picked = []
        for k, sec in enumerate(SECTIONS):
            if p0.teaches(sec)[i] and dist is not None:
                picked += _pick_units(plans, p0, i, k, need, spare, sizes, first, target, std)
        for u, j, sec, g, split in picked:
            edits.append({"op": "move_unit", "unit_id": str(p0.units.ids[u]), "section": sec,
                          "to_school": str(p0.school_ids[j]), "year": first,
                          "siblings": False})  # 限额招生: the cap admits no sibling over it
            actions.append(_action(first, "rezone_entrants", "G4", str(p0.school_ids[j]),
                                   str(p0.schools["name"][j]), sec, g, "pupils", partner=sid,
                                   why=(f"entrants of {p0.units.names[u]} go to "
                                        f"{p0.schools['name'][j]} (G4 at {sname}; "
                                        f"{split} with an older sibling at {sname} by "
                                        f"{target}: families split)",
                                        f"{p0.units.names[u]} 新生改入 "
                                        f"{p0.schools['name'][j]}（{sname} 规模 G4；至 "
                                        f"{target} 年约 {split} 名新生的兄姐在{sname}，"
                                        "多孩家庭分校）")))
        if picked:
            moved = sum(g for *_, g, _split in picked)
            actions.append(_action(first, "cap_entrants", "G4", sid, sname,
                                   ",".join(sorted({s for _u, _j, s, *_ in picked})),
                                   moved, "pupils",
                                   why=(f"{sname} admits only its remaining catchment's "
                                        f"entrants from {first}: {moved:,.0f} fewer pupils by "
                                        f"{target}",
                                        f"{sname} 自 {first} 年起限额招生，至 {target} 年减少 "
                                        f"{moved:,.0f} 名学生")))
    after = {y: plan_in(y, zoning + edits) for y in years}
    for i in sorted(excess):
        fails = {y: bool(ck.size_over_cap(p.schools, std)[2][i]) for y, p in after.items()}
        if fails.get(target):
            size, cap, _ = ck.size_over_cap(after[target].schools, std)
            sname = str(p0.schools["name"][i])
            blocks.append(Block(
                "G4", (sname, sname), (f"{int(size[i]):,} pupils in {target}, cap {int(cap[i]):,}",
                                       f"{target} 年 {int(size[i]):,} 人，上限 {int(cap[i]):,} 人"),
                _earliest(fails, target, end),
                "re-zoning entrants (the rules of admission, neighbours' places) is not enough "
                "by then: re-zoned entrants replace enrolled cohorts one year at a time, and "
                "only an extension or a new school (`planner sites`) adds places",
                "调整新生划片（须符合招生规则、相邻学校有学位）届时仍不足：新生逐年替换在校"
                "年级；扩建或新建学校（planner sites）才能增加学位"))
    return edits


# --- 3. music and art rooms (G3) -------------------------------------------------------------

def _classrooms(plans, delta, std, first, target, end, actions, blocks) -> None:
    """Ordinary classrooms (G5) where classes go over the standard for want of rooms.

    A school with a class over its section's cap in a needed year builds the rooms its classes
    at the cap need in the year that needs most (both sections; teaching points teach their
    grades together), each `classroom_build_m2` of floor, counted in R4 so that floor is not
    bought twice. A class over the cap with rooms enough blocks with its reason.
    """
    need: dict[str, int] = {}
    stuck: dict[str, int] = {}
    for y in range(target, end + 1):
        p = plans[y]
        over = {str(r[0]) for r in ck.cap_rows(p.schools, std) if r[3].startswith("class_")}
        if not over:
            continue
        wanted = sum(np.where(p.teaches(sec), classes_needed(p, sec), 0) for sec in SECTIONS)
        for sid in sorted(over):
            i = p.school_index[sid]
            short = int(wanted[i] - int(p.schools["classrooms"][i]))
            if short > 0:
                need[sid] = max(need.get(sid, 0), short)
            else:
                stuck.setdefault(sid, y)
    p = plans[target]
    for sid, rooms in sorted(need.items()):
        i = p.school_index[sid]
        area = rooms * std.classroom_build_m2
        delta.add(sid, "classrooms", rooms, target)
        delta.add(sid, "teaching_aux_area_m2", area, target)
        actions.append(_action(target, "build_classrooms", "G5", sid, str(p.schools["name"][i]),
                               _sections_of(p, sid), rooms, "rooms",
                               one_off=area * std.cost_teaching_area_m2,
                               lead=std.lead_build_years,
                               why=(f"classes at the cap need {rooms} more classroom(s) in the "
                                    f"year of most pupils to {end} ({area:,.0f} m², counted in "
                                    "R4)",
                                    f"至 {end} 年学生最多的一年按班额标准编班还差普通教室 "
                                    f"{rooms} 间（{area:,.0f} 平方米，计入 R4）")))
    ready = first + std.lead_build_years
    if need and target < ready:
        blocks.append(Block("G5", (f"{len(need)} school(s)", f"{len(need)} 所学校"),
                            ("classrooms to build for classes over the standard",
                             "需新建普通教室以消除超标班额"), ready,
                            f"building takes {std.lead_build_years} years from {first}",
                            f"建设周期 {std.lead_build_years} 年（自 {first} 年起）"))
    for sid, y in sorted(stuck.items()):
        name = str(p.schools["name"][p.school_index[sid]])
        blocks.append(Block("G5", (name, name),
                            (f"a class over the standard in {y} with classrooms enough",
                             f"{y} 年教室足够但仍有超标班额"), None,
                            "its classes are not formed at the cap: check the school's classes",
                            "未按班额标准编班：请核对该校班级数"))


def _rooms(plans, delta, std, first, target, end, actions, blocks) -> None:
    need = {}
    for y in range(target, end + 1):
        r = ck.rooms_arrays(plans[y].schools, std)
        for sid, req in zip(r["school_id"], r["required"], strict=True):
            need[str(sid)] = max(need.get(str(sid), 0), int(req))
    p = plans[target]
    index = p.school_index
    ready = first + std.lead_build_years
    short = []
    for sid, req in need.items():
        i = index[sid]
        built, lines = 0, []
        for kind, size in (("music", std.music_room_min_m2), ("art", std.art_room_min_m2)):
            have = int(p.schools[f"{kind}_rooms"][i])
            least = float(p.schools[f"{kind}_room_min_area_m2"][i])
            if have >= req and least >= size:
                continue
            new = req if least < size else req - have  # rooms too small are given other uses
            delta.add(sid, f"{kind}_rooms", req - have, target)
            delta.add(sid, f"{kind}_room_min_area_m2", max(size - least, 0.0), target)
            delta.add(sid, "teaching_aux_area_m2", new * size, target)
            built += new
            lines.append((kind, new, new * size))
        if built:
            area = sum(a for *_, a in lines)
            short.append(sid)
            name = str(p.schools["name"][i])
            actions.append(_action(target, "build_rooms", "G3", sid, name,
                                   _sections_of(p, sid), built, "rooms",
                                   one_off=area * std.cost_teaching_area_m2,
                                   lead=std.lead_build_years,
                                   why=(f"{', '.join(f'{n} {k}' for k, n, _ in lines)} room(s) "
                                        f"for {req} per kind ({area:,.0f} m², counted in R4)",
                                        "、".join(f"{'音乐' if k == 'music' else '美术'}教室 {n} 间"
                                                 for k, n, _ in lines)
                                        + f"（每类需 {req} 间，{area:,.0f} 平方米，计入 R4）")))
    if short and target < ready:
        blocks.append(Block("G3", (f"{len(short)} school(s)", f"{len(short)} 所学校"),
                            ("music and art rooms to build", "需新建音乐、美术专用教室"),
                            ready, f"building takes {std.lead_build_years} years from {first}",
                            f"建设周期 {std.lead_build_years} 年（自 {first} 年起）"))


# --- 4. R1–R7 and the CVs --------------------------------------------------------------------

def _resources(plans, delta, std, first, target, end, actions, blocks) -> None:
    needed = range(target, end + 1)
    bought: dict[tuple[str, str, str], float] = defaultdict(float)
    teacher_need: dict[int, list] = {}
    for _ in range(12):  # facilities grow until no year needs more
        grew = False
        for y in needed:
            adds = rm.additions(delta.frame(plans[y], y), std, designate=True)
            teacher_need[y] = [a for a in adds if a.key not in FACILITY_KEYS]
            for a in adds:
                if a.key in FACILITY_KEYS:
                    delta.add(a.school_id, a.column, a.amount, target)
                    bought[a.school_id, a.key, a.column] += a.amount
                    grew = True
        if not grew:
            break
    p = plans[target]
    names = {str(s): str(n) for s, n in zip(p.school_ids, p.schools["name"], strict=True)}
    fits = [k for (_, k, _) in bought if k == "multimedia_rooms_per100"]
    for (sid, key, col), amount in sorted(bought.items()):
        action, unit = _FACILITY_ACTION[key]
        rid = RESOURCE_IDS[RESOURCE_KEYS.index(key)]
        cost = amount * rm.unit_cost(std, key)
        actions.append(_action(target, action, rid, sid, names[sid],
                               _section_of(col) or _sections_of(p, sid), amount, unit,
                               one_off=cost, lead=_lead(std, key),
                               why=(f"{rid} in {target}–{end} (the largest need of those years)",
                                    f"{target}—{end} 年 {rid}（取各年最大需求）")))
    builds = any(k in ("teaching_aux_area_per_student", "sports_area_per_student")
                 for _, k, _ in bought)
    lead = std.lead_build_years if builds else (std.lead_fit_years if fits else 0)
    if bought and target < first + lead:
        rows = sorted({RESOURCE_IDS[RESOURCE_KEYS.index(k)] for _, k, _ in bought})
        n = len({s for s, _, _ in bought})
        blocks.append(Block("/".join(rows), (f"{n} school(s)", f"{n} 所学校"),
                            ("floor, ground or rooms to build", "需新建校舍、场地或教室"),
                            first + lead,
                            f"building takes {lead} year(s) from {first}",
                            f"建设周期 {lead} 年（自 {first} 年起）"))
    _teachers_for(plans, delta, teacher_need, names, std, first, target, end, actions, blocks)
    for _ in range(5):  # what the moves left open: a teacher hired, a facility built
        left = False
        for y in needed:
            for a in rm.additions(delta.frame(plans[y], y), std, designate=True):
                left = True
                rid = RESOURCE_IDS[RESOURCE_KEYS.index(a.key)]
                if a.key in FACILITY_KEYS:
                    action, unit = _FACILITY_ACTION[a.key]
                    delta.add(a.school_id, a.column, a.amount, y)
                    actions.append(_action(y, action, rid, a.school_id, names[a.school_id],
                                           _section_of(a.column)
                                           or _sections_of(plans[y], a.school_id),
                                           a.amount, unit, lead=_lead(std, a.key),
                                           one_off=a.amount * rm.unit_cost(std, a.key),
                                           why=(f"{rid} in {y}", f"{y} 年 {rid}")))
                else:  # a title where the school has teachers to name, else a post
                    sec = _section_of(a.column) or _single_section(plans[y], a.school_id)
                    norm = _norm_note(delta, plans[y], a.school_id, sec, y, std)
                    _post(delta, plans[y], a, y, names, std, actions, end,
                          "designate" if a.mode == "designate" else "hire",
                          (f"{rid} from {y}: no school can spare one on exchange or "
                           f"redeployment" + norm[0],
                           f"{rid}：{y} 年起需要，无学校可交流或调配" + norm[1]))
        if not left:
            break


def _columns(plan_cols, a_key: str, target: str, mode: str) -> list[str]:
    if mode == "designate":
        return sorted({target, RESOURCE_COLUMNS[a_key][0]})
    return rm.columns_changed(plan_cols, target, a_key)


def _post(delta, plan, a, year, names, std, actions, end, action, why, *, partner=None,
          until=None) -> None:
    """A teacher added at a school from `year` (to `until`): hired, redeployed or exchanged."""
    cols = _columns(plan.schools, a.key, a.column, a.mode)
    for col in cols:
        delta.add(a.school_id, col, a.amount, year, until)
    if partner is not None:
        for col in _columns(plan.schools, a.key, partner[1], "add"):
            delta.add(partner[0], col, -a.amount, year, until)
        for key in _also(delta, plan, partner[0], a.key, year, until or end):
            # the teacher who leaves is of this kind too when the school has no other left
            for col in _columns(plan.schools, key, _kind_column(plan, partner, key), "add"):
                if not col.startswith(("teachers_total", "teachers_certified")):
                    delta.add(partner[0], col, -a.amount, year, until)
            for col in _columns(plan.schools, key, _kind_column(plan, (a.school_id, a.column),
                                                                  key), "add"):
                if not col.startswith(("teachers_total", "teachers_certified")):
                    delta.add(a.school_id, col, a.amount, year, until)
    rid = RESOURCE_IDS[RESOURCE_KEYS.index(a.key)]
    yearly = {"hire": std.cost_teacher_year, "exchange": std.cost_exchange_teacher_year
              }.get(action, 0.0) * a.amount
    one_off = std.cost_designate_backbone * a.amount if action == "designate" else 0.0
    actions.append(_action(year, action, rid, a.school_id, names[a.school_id],
                           _section_of(a.column) or "", a.amount, "teachers",
                           partner=partner[0] if partner else "", one_off=one_off,
                           yearly=yearly, until=until, temporary=until is not None, why=why))


def _kind_column(plan, where: tuple[str, str], key: str) -> str:
    """The column of teacher kind `key` matching a school's column `where[1]` (per section)."""
    sec = _section_of(where[1])
    col = RESOURCE_COLUMNS[key][0]
    own = f"{col}_{sec}" if sec else col
    return own if own in plan.schools else col


def _also(delta, plan, sid: str, key: str, start: int, stop: int) -> list[str]:
    """Teacher kinds a school has no teacher outside of (its count equals its teachers)."""
    i = plan.school_index[sid]
    out = []
    for other in TEACHER_KEYS:
        if other == key:
            continue
        col = RESOURCE_COLUMNS[other][0]
        for y in range(start, stop + 1):
            if y not in delta.by_year:
                continue
            d = delta.by_year[y]
            have = float(plan.schools[col][i]) + d.get((sid, col), 0.0)
            total = float(plan.schools["teachers_total"][i]) + d.get((sid, "teachers_total"), 0.0)
            if have > total - 1e-9:
                out.append(other)
                break
    return out


def _donor_column(plan, j: int, key: str, section: str) -> str | None:
    col = RESOURCE_COLUMNS[key][0]
    own = f"{col}_{section}"
    if own in plan.schools and not np.isnan(float(plan.schools[own][j])):
        return own
    kind = str(plan.schools["kind"][j])
    if kind in ("primary", "junior") and plan.teaches(section)[j]:
        return col
    return None


def _donors(delta, plans, years, key, section, receiver, *, over_norm: bool, std):
    """Schools that can give a teacher of `key` in every one of `years`: (school id, column)."""
    best = None
    for y in years:
        frame = delta.frame(plans[y], y)
        rows = section_arrays({c: frame[c].to_numpy() for c in frame.columns}, std)
        col, factor = RESOURCE_COLUMNS[key]
        thr = std.section(section).threshold(key)
        values = {}
        for r in np.flatnonzero(rows["section"] == section):
            sid = str(rows["school_id"][r])
            if sid == receiver:
                continue
            j = plans[y].school_index[sid]
            dcol = _donor_column(plans[y], j, key, section)
            if dcol is None or float(frame[dcol].iloc[j]) < 1:
                continue
            after = (float(rows[col][r]) - 1) * factor / float(rows["students"][r])
            if after < thr * (1 + 1e-9):
                continue
            if over_norm and teachers_over_norm(int(frame["teachers_total"].iloc[j]),
                                                int(rows["students"][r]), section, std) < 1:
                continue
            values[sid] = (after, dcol)
        best = values if best is None else {s: v for s, v in best.items() if s in values}
    if not best:
        return None
    sid = max(best, key=lambda s: (best[s][0], s))
    return sid, best[sid][1]


def _designate(plans, delta, need, names, std, first, target, end, actions, blocks) -> None:
    """Backbone titles: permanent, under the county's yearly quota, earliest years first."""
    quota = std.backbone_designations_per_year
    titles = sorted(((max(v.values()), k) for k, v in need.items() if k[3] == "designate"),
                    key=lambda t: (-t[0], t[1]))
    total = sum(n for n, _ in titles)
    year, left = first, quota
    for n, (sid, key, col, _mode) in titles:
        while n > 0:
            take = min(n, left)
            if take > 0:
                a = rm.Addition(sid, key, col, take, "designate", "pass")
                _post(delta, plans[target], a, min(year, target), names, std, actions, end,
                      "designate", ("R2: a county-level backbone teacher designated among the "
                                    "school's own teachers (training, no new post)",
                                    "R2：从本校教师中认定县级骨干教师（培训，不增编制）"))
            n -= take
            left -= take
            if left == 0:
                year, left = year + 1, quota
    if quota > 0 and total > quota * (target - first + 1):
        blocks.append(Block("R2", (f"{total} backbone teachers", f"骨干教师 {total} 名"),
                            ("designations over the quota", "认定人数超过年度名额"),
                            first + math.ceil(total / quota) - 1,
                            f"the county designates at most {quota} a year",
                            f"全县每年至多认定 {quota} 名"))


def _teachers_for(plans, delta, teacher_need, names, std, first, target, end, actions,
                  blocks) -> None:
    needed = list(range(target, end + 1))
    need: dict[tuple[str, str, str, str], dict[int, float]] = defaultdict(dict)
    for y, adds in teacher_need.items():
        for a in adds:
            k = (a.school_id, a.key, a.column, a.mode)
            need[k][y] = need[k].get(y, 0.0) + a.amount
    _designate(plans, delta, need, names, std, first, target, end, actions, blocks)
    # new teachers: the lasting part a post, the part that comes and goes an exchange
    for (sid, key, col, mode), by_year in sorted(need.items()):
        if mode != "add":
            continue
        amounts = [by_year.get(y, 0.0) for y in needed]
        lasting = min(amounts)
        passing = [(y, a - lasting) for y, a in zip(needed, amounts, strict=True)
                   if a - lasting > 0]
        if len(passing) > std.temporary_max_years:
            lasting, passing = max(amounts), []
        sec = _section_of(col) or _single_section(plans[target], sid)
        rid = RESOURCE_IDS[RESOURCE_KEYS.index(key)]
        for _ in range(int(round(lasting))):
            a = rm.Addition(sid, key, col, 1.0, "add", "pass")
            donor = _donors(delta, plans, needed, key, sec, sid, over_norm=True, std=std) \
                if sec else None
            if donor is not None:
                _post(delta, plans[target], a, target, names, std, actions, end, "redeploy",
                      (f"{rid}: a teacher from {names[donor[0]]}, over its staffing norm in "
                       f"{target}–{end} (G10 pooled establishment)",
                       f"{rid}：从 {names[donor[0]]} 调配（{target}—{end} 年超出编制标准）"),
                      partner=donor)
            else:
                norm = _norm_note(delta, plans[target], sid, sec, target, std)
                _post(delta, plans[target], a, target, names, std, actions, end, "hire",
                      (f"{rid}: needed in every year {target}–{end}, no school can spare one"
                       + norm[0], f"{rid}：{target}—{end} 年每年都需要，无学校可调配" + norm[1]))
        for y, amount in passing:
            for _ in range(int(round(amount))):
                a = rm.Addition(sid, key, col, 1.0, "add", "pass")
                donor = _donors(delta, plans, [y], key, sec, sid, over_norm=False, std=std) \
                    if sec else None
                if donor is None:
                    continue  # the check after the moves hires what is left
                when = "、".join(str(z) for z, _ in passing)
                _post(delta, plans[target], a, y, names, std, actions, end, "exchange",
                      (f"{rid} needed in {when.replace('、', ', ')} only, not a post: in {y} a "
                       f"teacher on exchange from {names[donor[0]]}",
                       f"{rid} 仅 {when} 年需要，不增编制：{y} 年从 {names[donor[0]]} "
                       "交流轮岗"),
                      partner=donor, until=y)


def _norm_note(delta, plan, sid: str, section: str | None, year: int, std) -> tuple[str, str]:
    """What a new post at a single-section school over its staffing norm must say (G10)."""
    if section is None or _single_section(plan, sid) != section:
        return "", ""
    i = plan.school_index[sid]
    teachers = float(plan.schools["teachers_total"][i]) + delta.by_year[year].get(
        (sid, "teachers_total"), 0.0)
    pupils = int(plan.schools[f"students_{section}"][i])
    over = teachers_over_norm(int(round(teachers)), pupils, section, std)
    if over <= 0:
        return "", ""
    return (f"; the section is {over} over its staffing norm in {year}: the post comes from "
            "the county's pooled establishment (G10)",
            f"；{year} 年该学段已超出编制标准 {over} 名，需县级统筹编制（G10）")


def _sections_of(plan, sid: str) -> str:
    i = plan.school_index[sid]
    return ",".join(s for s in SECTIONS if plan.teaches(s)[i])


def _lead(std, key: str) -> int:
    """Years an addition of a resource key takes before it is in use (its money spent then)."""
    if key in ("teaching_aux_area_per_student", "sports_area_per_student"):
        return std.lead_build_years
    return std.lead_fit_years if key == "multimedia_rooms_per100" else 0


def _single_section(plan, sid: str) -> str | None:
    i = plan.school_index[sid]
    taught = [s for s in SECTIONS if plan.teaches(s)[i]]
    return taught[0] if len(taught) == 1 else None


# --- 5. certification (G12) ------------------------------------------------------------------

def _certify(plans, delta, std, first, target, end, actions, blocks) -> None:
    year = first + std.lead_certify_years
    frame = delta.frame(plans[target], target)
    short = ck.certified_shortfall(frame, std)
    short = short[short["short"] > 1e-9]
    for rec in short.to_dict("records"):
        sid = str(rec["school_id"])
        i = plans[target].school_index[sid]
        gaps = {}
        for col in ("teachers_certified", *(f"teachers_certified_{s}" for s in SECTIONS)):
            if col in frame and not np.isnan(float(frame[col].iloc[i])):
                tot = col.replace("certified", "total")
                gap = float(frame[tot].iloc[i]) - float(frame[col].iloc[i])
                if gap > 0:
                    delta.add(sid, col, gap, min(year, target))
                    gaps[col] = gap
        n = gaps.get("teachers_certified", sum(gaps.values()))
        actions.append(_action(min(year, target), "certify", "G12", sid, str(rec["name"]),
                               _sections_of(plans[target], sid), n, "teachers",
                               one_off=n * std.cost_certify_teacher,
                               lead=min(year, target) - first,
                               why=("G12: uncertified teachers trained and examined",
                                    "G12：未持证教师参加培训并取得教师资格")))
    if len(short) and target < year:
        n = short["short"].sum()
        blocks.append(Block("G12", (f"{len(short)} school(s)", f"{len(short)} 所学校"),
                            (f"{n:.0f} teachers uncertified", f"{n:.0f} 名教师未持证"), year,
                            f"certification takes {std.lead_certify_years} year(s)",
                            f"资格认定需 {std.lead_certify_years} 年"))


# --- 6. the county's exchange (G11) ----------------------------------------------------------

def _exchange_programme(plans, delta, std, target, actions, blocks) -> list[dict]:
    _, share = std.entered_rule("G11")
    _, backbone_share = std.entered_rule("G11.backbone_share")
    edits = []
    directed = defaultdict(float)
    for a in actions:
        if a["action"] == "exchange":
            directed[a["year"]] += a["quantity"]
    for y in plans:  # from the first year: the inspection reads the years' exchange record
        frame = delta.frame(plans[y], y)
        eligible = ck.compulsory_teacher_total(frame, std)
        n = math.ceil(share * eligible - 1e-9)
        b = math.ceil(backbone_share * n - 1e-9)
        have = float(np.nansum(frame.loc[frame["kind"] != "special", "teachers_backbone"]))
        if b > have and y >= target:
            blocks.append(Block("G11", (str(y), f"{y} 年"),
                                (f"{b} backbone teachers to exchange, {have:.0f} in the county",
                                 f"须交流骨干教师 {b} 名，全县共 {have:.0f} 名"), None,
                                "too few backbone teachers",
                                "骨干教师总数不足"))
        edits.append({"op": "exchange_teachers", "year": y, "teachers": n, "backbone": b})
        extra = max(n - directed[y], 0.0)
        actions.append(_action(y, "exchange_programme", "G11", quantity=n, unit="teachers",
                               yearly=extra * std.cost_exchange_teacher_year, until=y,
                               temporary=True,
                               why=(f"G11: {n} of {eligible:,.0f} teachers exchanged in {y}, "
                                    f"{b} of them backbone ({directed[y]:.0f} directed "
                                    "exchanges counted in it and priced there)",
                                    f"G11：{y} 年交流 {n} 名（共 {eligible:,.0f} 名），其中骨干 "
                                    f"{b} 名（含定向交流 {directed[y]:.0f} 名，已另计补助）")))
    return edits


# --- the budget ------------------------------------------------------------------------------

def _within_budget(actions, budget, std, first, target, end, blocks) -> None:
    """Check each year's spending; capital may be spent earlier, never after its year."""
    spend = _money(pd.DataFrame(actions, columns=ACTION_COLUMNS), range(first, end + 1), budget)
    over = spend[spend["total_yuan"] > budget + 0.5]
    if len(over):
        capital = float(spend["capital_yuan"].sum())
        recurrent = spend.set_index("year")["recurrent_yuan"]
        room = sum(max(budget - float(recurrent.get(y, 0.0)), 0.0)
                   for y in range(first, target + 1))
        earliest = None
        acc = room
        for y in range(target + 1, end + 1):
            acc += max(budget - float(recurrent.get(y, 0.0)), 0.0)
            if acc >= capital:
                earliest = y
                break
        if room >= capital and (spend["recurrent_yuan"] <= budget).all():
            _spread(actions, budget, recurrent, first)
            again = _money(pd.DataFrame(actions, columns=ACTION_COLUMNS), range(first, end + 1),
                           budget)
            if (again["total_yuan"] <= budget + 0.5).all():
                return
        blocks.append(Block("budget", (f"{budget:,.0f} yuan a year", f"每年 {budget:,.0f} 元"),
                            (f"{capital:,.0f} yuan of building and equipment by {target}, "
                             f"{room:,.0f} left after staff costs",
                             f"至 {target} 年建设和设备需 {capital:,.0f} 元，扣除人员经费后仅余 "
                             f"{room:,.0f} 元"), earliest,
                            "the budget cannot carry the building in time",
                            "年度预算不足以按期完成建设"))


def _spread(actions, budget, recurrent, first) -> None:
    """Spend capital in earlier years (the work done earlier) until each year fits."""
    capital = sorted((a for a in actions if a["one_off_yuan"] > 0),
                     key=lambda a: -a["one_off_yuan"])
    used: dict[int, float] = defaultdict(float)
    for a in capital:
        y = int(a["year"])
        lead = int(a["lead_years"])
        while y - lead >= first and used[y] + a["one_off_yuan"] + float(
                recurrent.get(y, 0.0)) > budget:
            y -= 1
        if y - lead >= first:
            a["spend_year"] = y
            used[y] += a["one_off_yuan"]


# --- the scenario's edits and the years' evaluation ------------------------------------------

def _school_edits(plans, delta, span) -> list[dict]:
    """`set_school` edits: each school's changed columns in each year they change."""
    touched: dict[str, set[str]] = defaultdict(set)
    for y in span:
        for (sid, col), amount in delta.by_year[y].items():
            if abs(amount) > 1e-9:
                touched[sid].add(col)
    edits = []
    for sid in sorted(touched):
        cols = sorted(touched[sid])
        prev = None
        for y in span:
            p = plans[y]
            i = p.school_index[sid]
            cur = {}
            for col in cols:
                v = float(p.schools[col][i]) + delta.by_year[y].get((sid, col), 0.0)
                cur[col] = int(round(v)) if _KIND.get(col) == "int" else round(v, 1)
            base = {col: (int(round(float(p.schools[col][i]))) if _KIND.get(col) == "int"
                          else round(float(p.schools[col][i]), 1)) for col in cols}
            if cur != (prev if prev is not None else base):
                edits.append({"op": "set_school", "school_id": sid, "values": cur, "year": y})
            prev = cur
    return edits


def _evaluate_years(plan_in, edits, span) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, sections = [], []
    for y in span:
        ev = evaluate(plan_in(y, edits))
        for rec in ev.checklist.to_dict("records"):
            value = rec["value"]
            rows.append({"year": y, "id": rec["id"], "status": rec["status"],
                         "source": rec["source"],
                         "value": value if isinstance(value, int | float | str | type(None))
                         else str(value),
                         "evidence": rec["evidence"], "evidence_zh": rec["evidence_zh"]})
        ind = ev.indicators
        sections.append(pd.DataFrame({"year": y, "school_id": ind["school_id"],
                                      "name": ind["name"], "section": ind["section"],
                                      "met": ind["met"], "compliant": ind["compliant"]}))
    return pd.DataFrame(rows), pd.concat(sections, ignore_index=True)


def _in_effect(frame: pd.DataFrame, y: int) -> pd.Series:
    until = frame["until"].astype(float)
    return (frame["year"] <= y) & (until.isna() | (until >= y))


def _money(frame: pd.DataFrame, span, budget) -> pd.DataFrame:
    paid: dict[int, float] = defaultdict(float)  # a work's money over the years it takes
    for r in frame.to_dict("records"):
        last, lead = int(r["spend_year"]), int(r["lead_years"])
        for y in range(last - lead, last) if lead > 0 else (last,):
            paid[y] += r["one_off_yuan"] / max(lead, 1)
    out = []
    for y in span:
        capital = paid.get(y, 0.0)
        recurrent = float(frame.loc[_in_effect(frame, y), "yearly_yuan"].sum())
        out.append({"year": y, "capital_yuan": capital, "recurrent_yuan": recurrent,
                    "total_yuan": capital + recurrent,
                    "budget_yuan": np.nan if budget is None else float(budget)})
    return pd.DataFrame(out)


def _teachers(frame: pd.DataFrame, span) -> pd.DataFrame:
    out = []
    posts = 0.0
    for y in span:
        this = frame[frame["year"] == y]
        hired = float(this.loc[this["action"] == "hire", "quantity"].sum())
        posts += hired
        exchanged = frame[_in_effect(frame, y) & (frame["action"] == "exchange")]
        programme = frame[(frame["year"] == y) & (frame["action"] == "exchange_programme")]
        out.append({"year": y,
                    "designated": float(this.loc[this["action"] == "designate",
                                                 "quantity"].sum()),
                    "exchanged": float(exchanged["quantity"].sum()),
                    "exchange_programme": float(programme["quantity"].sum()),
                    "redeployed": float(this.loc[this["action"] == "redeploy",
                                                 "quantity"].sum()),
                    "hired": hired,
                    "certified": float(this.loc[this["action"] == "certify", "quantity"].sum()),
                    "posts_added": posts})
    return pd.DataFrame(out)
