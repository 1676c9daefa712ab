"""The 32-row checklist of the national method, and the school-level G checks behind it.

Every row says where its value came from: `computed` (from the layers), `entered` (from the
county table, with its evidence and source) or `missing` — never a silent pass.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.indicators import Columns, FrameColumns, compulsory_teachers, share_arrays
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS, Standards

NAMES: dict[str, tuple[str, str]] = {
    "R1": ("每百名学生拥有高于规定学历教师数", "Teachers above the required degree per 100 students"),
    "R2": ("每百名学生拥有县级以上骨干教师数", "County-level or higher backbone teachers per 100 students"),
    "R3": ("每百名学生拥有体育、艺术（美术、音乐）专任教师数", "PE and art teachers per 100 students"),
    "R4": ("生均教学及辅助用房面积", "Teaching and auxiliary floor area per student"),
    "R5": ("生均体育运动场馆面积", "Sports ground and hall area per student"),
    "R6": ("生均教学仪器设备值", "Teaching equipment value per student"),
    "R7": ("每百名学生拥有网络多媒体教室数", "Networked multimedia classrooms per 100 students"),
    "G1": ("县域内义务教育学校规划布局合理", "School layout is reasonable"),
    "G2": ("城乡义务教育学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准统一",
           "Urban and rural schools share building, staffing, funding and equipment standards"),
    "G3": ("每12个班级配备音乐、美术专用教室1间以上，面积分别不小于96、90平方米",
           "One music and one art room per 12 classes, at least 96 and 90 m²"),
    "G4": ("小学、初中规模不超过2000人，九年一贯制、十二年一贯制学校义务教育阶段不超过2500人",
           "Schools at most 2000 students (nine- and twelve-year: 2500)"),
    "G5": ("小学、初中所有班级学生数分别不超过45人、50人",
           "Every class at most 45 (primary) / 50 (junior) students"),
    "G6": ("不足100名学生的村小学和教学点按100名学生核定公用经费",
           "Village schools and teaching points under 100 students funded as 100"),
    "G7": ("特殊教育学校生均公用经费不低于6000元",
           "Special-education funding at least 6000 yuan per student"),
    "G8": ("教师平均工资收入水平不低于当地公务员", "Teachers' average pay at least civil servants'"),
    "G9": ("教师5年360学时培训完成率达到100%", "Five-year 360-hour training completed by all"),
    "G10": ("县级教育行政部门统筹分配各校教职工编制和岗位数量",
            "County-level allocation of staffing and posts"),
    "G11": ("交流轮岗教师不低于符合条件教师总数的10%，其中骨干教师不低于20%",
            "Teacher exchange at least 10 %, backbone teachers at least 20 % of it"),
    "G12": ("专任教师持有教师资格证上岗率达到100%", "All full-time teachers certified"),
    "G13": ("城区和镇区公办小学、初中就近划片入学比例分别达到100%、95%",
            "Nearby zoned enrolment in urban and town public schools: 100 % / 95 %"),
    "G14": ("优质高中招生名额分配比例不低于50%，并向农村初中倾斜",
            "Quality high-school quota at least 50 %, tilted to rural junior schools"),
    "G15": ("随迁子女在公办学校和政府购买学位就读比例不低于85%",
            "Migrant children in public or purchased places at least 85 %"),
    "Q1": ("初中三年巩固率达到95%以上", "Junior three-year retention at least 95 %"),
    "Q2": ("残疾儿童少年入学率达到95%以上", "Disabled children's enrolment at least 95 %"),
    "Q3": ("所有学校制定章程，实现学校管理与教学信息化",
           "Every school has a charter and information-based management"),
    "Q4": ("教师培训经费占学校年度公用经费预算不低于5%",
           "Teacher training at least 5 % of school public funds"),
    "Q5": ("教师能熟练运用信息化手段组织教学，设施设备利用率达到较高水平",
           "Teachers use ICT; equipment well used"),
    "Q6": ("德育工作、校园文化建设水平达到良好以上", "Moral education and campus culture good or better"),
    "Q7": ("课程开齐开足，教学秩序规范", "Full curriculum, orderly teaching"),
    "Q8": ("无过重课业负担", "No excessive homework burden"),
    "Q9": ("国家义务教育质量监测相关科目达到Ⅲ级以上，且校际差异率低于0.15",
           "National quality monitoring level III or above, inter-school difference rate < 0.15"),
    "S1": ("社会认可度达到85%以上", "Social recognition at least 85 %"),
}
CHECKLIST_IDS = tuple(NAMES)
ENTERED_IDS = ("G2", "G6", "G7", "G8", "G9", "G10", "G11", "G14", "G15",
               "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9")
Q1_ITEMS = ("graduates", "entrants", "transfers_in", "transfers_out")
S1_GROUPS = ("students", "parents", "teachers", "principals", "deputies", "others")
GROUP_ZH = {"students": "学生", "parents": "家长", "teachers": "教师", "principals": "校长",
            "deputies": "人大代表和政协委员", "others": "其他群众"}
NEEDS_LAYERS = ("G1", "G13")


def _row(cid: str, *, status: str, source: str, value: object = None, threshold: object = None,
         evidence: str = "", evidence_zh: str | None = None) -> dict:
    """Build a checklist row.

    `evidence_zh` is the Chinese wording; by default the same text (evidence the county table
    gives is already in the bureau's words).
    """
    zh, en = NAMES[cid]
    return {"id": cid, "name_zh": zh, "name_en": en, "threshold": threshold, "value": value,
            "status": status, "source": source, "evidence": evidence,
            "evidence_zh": evidence if evidence_zh is None else evidence_zh}


SECTION_ZH = {"primary": "小学", "junior": "初中"}


def rooms_check(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """G3: music and art rooms per school: required = max(1, ceil(classes / 12)).

    Each room must have at least 96 m² (music) and 90 m² (art); the smallest room's area is
    what the data gives. Teaching points and special schools are not counted.

    Returns
    -------
    Per school: school_id, name, classes, required, music_rooms, music_room_min_area_m2,
    art_rooms, art_room_min_area_m2, ok.
    """
    return pd.DataFrame(rooms_arrays(FrameColumns(schools), standards))


def rooms_arrays(cols: Columns, standards: Standards) -> dict[str, np.ndarray]:
    """Return :func:`rooms_check` as columns of arrays, from the schools' columns."""
    keep = ~np.isin(cols["kind"], ["special", "teaching_point"])
    classes = (np.asarray(cols["classes_primary"]) + np.asarray(cols["classes_junior"]))[keep]
    required = np.maximum(1, np.ceil(classes / standards.classes_per_art_room)).astype(int)
    out = {"school_id": np.asarray(cols["school_id"], dtype=object)[keep],
           "name": np.asarray(cols["name"], dtype=object)[keep], "classes": classes,
           "required": required}
    for col in ("music_rooms", "music_room_min_area_m2", "art_rooms", "art_room_min_area_m2"):
        out[col] = np.asarray(cols[col])[keep]
    out["ok"] = ((out["music_rooms"] >= required)
                 & (out["music_room_min_area_m2"] >= standards.music_room_min_m2)
                 & (out["art_rooms"] >= required)
                 & (out["art_room_min_area_m2"] >= standards.art_room_min_m2))
    return out


CAP_COLUMNS = ["school_id", "name", "kind", "rule", "value", "cap", "excess"]


def cap_violations(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """G4 and G5: schools over their size cap and sections with a class over its cap.

    Size (:func:`size_over_cap`): compulsory pupils against 2000, nine- and twelve-year
    schools against 2500; a class (:func:`class_over_cap`): largest class against 45
    (primary) or 50 (junior).

    Returns
    -------
    One row per violation: school_id, name, kind, rule ("size" or "class_primary" /
    "class_junior"), value, cap, excess.
    """
    return pd.DataFrame(cap_rows(FrameColumns(schools), standards), columns=CAP_COLUMNS)


def size_over_cap(cols: Columns, standards: Standards
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """G4, the one rule: each school's compulsory pupils, its size cap, and whether over it.

    Primary and junior pupils count (not the senior section); caps by kind from the profile
    (`Standards.size_caps`); special schools have none.
    """
    size = np.asarray(cols["students_primary"]) + np.asarray(cols["students_junior"])
    cap = standards.size_caps(cols["kind"])
    return size, cap, size > cap


def class_over_cap(cols: Columns, section: str, standards: Standards
                   ) -> tuple[np.ndarray, int, np.ndarray]:
    """G5, the one rule: each school's largest class of a section, the cap, and whether over.

    A school counts only where it has pupils of the section.
    """
    biggest = np.asarray(cols[f"max_class_size_{section}"])
    cap = standards.section(section).class_size_cap
    return biggest, cap, over_class_cap(biggest, cols[f"students_{section}"], cap)


def over_class_cap(biggest, pupils, cap) -> np.ndarray:
    """G5's comparison: a school section's largest class is over the cap (where it has pupils).

    Parameters
    ----------
    biggest, pupils
        Each school section's largest class and its pupils.
    cap
        The class-size cap (one number, or one per school section).
    """
    return (np.asarray(pupils) > 0) & (np.asarray(biggest) > np.asarray(cap))


def cap_rows(cols: Columns, standards: Standards) -> list[tuple]:
    """Return the rows of :func:`cap_violations` as tuples, from the schools' columns."""
    keep = np.asarray(cols["kind"]) != "special"
    kind = np.asarray(cols["kind"], dtype=object)[keep]
    ids = np.asarray(cols["school_id"], dtype=object)[keep]
    names = np.asarray(cols["name"], dtype=object)[keep]
    size, cap, over = size_over_cap(cols, standards)
    checks = [("size", size[keep], cap[keep], over[keep])]
    for sec in ("primary", "junior"):
        biggest, limit, over = class_over_cap(cols, sec, standards)
        checks.append((f"class_{sec}", biggest[keep], np.full(len(kind), limit), over[keep]))
    any_over = np.logical_or.reduce([c[3] for c in checks])
    rows = []
    for i in np.flatnonzero(any_over):  # school by school, size before class rules
        for rule, value, limit, over in checks:
            if over[i]:
                rows.append((ids[i], names[i], kind[i], rule, int(value[i]), int(limit[i]),
                             int(value[i] - limit[i])))
    return rows


def _fmt(x: float) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


class CountyTable:
    """The county table indexed by (indicator id, item) for quick look-ups.

    The first row of a key wins; a row without a value counts as absent.
    """

    def __init__(self, county: pd.DataFrame | None):
        self.rows: dict[tuple[str, str], dict] = {}
        if county is None:
            return
        for rec in county.to_dict("records"):
            item = rec.get("item")
            blank = item is None or (isinstance(item, float) and math.isnan(item))
            self.rows.setdefault((str(rec["indicator_id"]).upper(), "" if blank else item), rec)

    def value(self, cid: str, item: str | None = None) -> dict | None:
        """Return the row of an indicator (or of one of its items) with a value, or None."""
        rec = self.rows.get((cid, item or ""))
        if rec is None:
            return None
        v = rec.get("value")
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return rec


def _evidence(rec: dict) -> str:
    parts = [str(rec[k]) for k in ("evidence", "source") if isinstance(rec.get(k), str)
             and rec[k]]
    return "; ".join(parts)


def _compare(value: float, op: str, threshold: float) -> bool:
    return value >= threshold - 1e-12 if op == ">=" else value < threshold


def entered_row(cid: str, county: CountyTable, standards: Standards) -> dict:
    """Return a checklist row from the county table: pass/fail against the profile, or missing."""
    op, threshold = standards.entered_rule(cid)
    rec = county.value(cid)
    if rec is None:
        return _row(cid, status="missing", source="missing", threshold=f"{op} {_fmt(threshold)}",
                    evidence="not in the county table (县级指标): enter its value and evidence",
                    evidence_zh="县级指标表中没有此项：请填报数值和佐证材料")
    value = float(rec["value"])
    ok = _compare(value, op, threshold)
    evidence = _evidence(rec)
    extra_ok, extra_note, extra_zh, extra_missing = True, "", "", False
    sub_zh = {"backbone_share": "骨干教师占比", "level": "监测等级"}
    for sub in {"G11": ("backbone_share",), "Q9": ("level",)}.get(cid, ()):
        sop, sth = standards.entered_rule(f"{cid}.{sub}")
        srec = county.value(cid, sub)
        if srec is None:
            extra_missing = True
            extra_note += f"; {sub} not entered"
            extra_zh += f"；未填报{sub_zh[sub]}"
        else:
            extra_ok &= _compare(float(srec["value"]), sop, sth)
            v = _fmt(float(srec["value"]))
            extra_note += f"; {sub} {v} (needs {sop} {_fmt(sth)})"
            extra_zh += f"；{sub_zh[sub]} {v}（标准 {sop} {_fmt(sth)}）"
    thr = f"{op} {_fmt(threshold)}"
    if not ok or not extra_ok:
        status = "fail"
    elif extra_missing:
        status = "missing"
    else:
        status = "pass"
    return _row(cid, status=status, source="entered", value=value, threshold=thr,
                evidence=(evidence + extra_note).strip("; "),
                evidence_zh=(evidence + extra_zh).strip("；; "))


def q1_row(county: CountyTable, standards: Standards) -> dict:
    """Q1 retention: graduates ÷ (entrants three years earlier + transfers in − out)."""
    op, threshold = standards.entered_rule("Q1")
    parts = {item: county.value("Q1", item) for item in Q1_ITEMS}
    if all(parts.values()):
        v = {k: float(r["value"]) for k, r in parts.items()}
        base = v["entrants"] + v["transfers_in"] - v["transfers_out"]
        if base > 0:
            value = v["graduates"] / base
            return _row("Q1", status="pass" if _compare(value, op, threshold) else "fail",
                        source="computed", value=value, threshold=f"{op} {_fmt(threshold)}",
                        evidence=f"{v['graduates']:.0f} graduates / ({v['entrants']:.0f} "
                                 f"entrants + {v['transfers_in']:.0f} in − "
                                 f"{v['transfers_out']:.0f} out); "
                                 + _evidence(parts["graduates"]),
                        evidence_zh=f"毕业生 {v['graduates']:.0f} ÷（三年前入学 "
                                    f"{v['entrants']:.0f} + 转入 {v['transfers_in']:.0f} − 转出 "
                                    f"{v['transfers_out']:.0f}）；" + _evidence(parts["graduates"]))
    return entered_row("Q1", county, standards)


def s1_row(county: CountyTable, standards: Standards) -> dict:
    """S1 social recognition: respondent-weighted mean of the groups' satisfaction shares."""
    op, threshold = standards.entered_rule("S1")
    groups = {g: county.value("S1", g) for g in S1_GROUPS}
    given = {g: r for g, r in groups.items() if r is not None and r.get("count") == r.get(
        "count") and r.get("count")}
    if given:
        n = sum(float(r["count"]) for r in given.values())
        value = sum(float(r["value"]) * float(r["count"]) for r in given.values()) / n
        detail = ", ".join(f"{g} {float(r['value']):.0%} of {float(r['count']):.0f}"
                           for g, r in given.items())
        absent = [g for g in S1_GROUPS if g not in given]
        note = f"; not surveyed: {', '.join(absent)}" if absent else ""
        detail_zh = "，".join(f"{GROUP_ZH[g]} {float(r['value']):.0%}（{float(r['count']):.0f}人）"
                              for g, r in given.items())
        note_zh = f"；未调查：{'、'.join(GROUP_ZH[g] for g in absent)}" if absent else ""
        low = [g for g, r in given.items() if not _compare(float(r["value"]), op, threshold)]
        if low:  # the county mean may pass while a group is under the line: say so
            note += f"; under {threshold:.0%} in {', '.join(low)}"
            note_zh += f"；低于 {threshold:.0%} 的群体：{'、'.join(GROUP_ZH[g] for g in low)}"
        return _row("S1", status="pass" if _compare(value, op, threshold) else "fail",
                    source="computed", value=value, threshold=f"{op} {_fmt(threshold)}",
                    evidence=f"{detail}{note}", evidence_zh=f"{detail_zh}{note_zh}")
    return entered_row("S1", county, standards)


def resource_rows(indicators: pd.DataFrame | Columns, cvs: pd.DataFrame | list[dict],
                  standards: Standards) -> list[dict]:
    """Return the R1–R7 rows: each section's mean, CV and schools under the threshold.

    A row fails when a section's CV is over its limit or a non-compliant school section
    misses the indicator. `indicators` may be a frame or its columns as arrays, `cvs` the CV
    table or its records.
    """
    cols = FrameColumns(indicators) if isinstance(indicators, pd.DataFrame) else indicators
    records = cvs.to_dict("records") if isinstance(cvs, pd.DataFrame) else cvs
    section = np.asarray(cols["section"])
    masks = {sec: section == sec for sec in ("primary", "junior")}
    compliant = np.asarray(cols["compliant"], dtype=bool)
    cv_of = {(r["section"], r["id"]): r for r in records}
    rows = []
    for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
        value, threshold, notes, notes_zh, failed = {}, {}, [], [], False
        for sec, mask in masks.items():
            n_part = int(mask.sum())
            if not n_part:
                continue
            cv = cv_of[(sec, rid)]
            t = standards.section(sec).threshold(key)
            under = np.asarray(cols[key])[mask] < t * (1 - 1e-9)
            failing = int((~compliant[mask] & under).sum())
            below = int(under.sum())
            value[sec] = {"mean": float(cv["mean"]), "cv": float(cv["cv"]),
                          "cv_limit": float(cv["limit"]), "schools_below": below,
                          "schools_failing": failing}
            threshold[sec] = t
            failed |= (not cv["ok"]) or failing > 0
            notes.append(f"{sec}: CV {cv['cv']:.3f} (limit {cv['limit']:.2f}), {below} of "
                         f"{n_part} school sections below {_fmt(t)}, {failing} of them "
                         "failing the 6-of-7 + 85 % rule")
            notes_zh.append(f"{SECTION_ZH[sec]}：差异系数 {cv['cv']:.3f}（限值 "
                            f"{cv['limit']:.2f}），{n_part} 个学校学段中 {below} 个低于 "
                            f"{_fmt(t)}，其中 {failing} 个未达到“6项达标、余项不低于85%”")
        if not value:
            rows.append(_row(rid, status="missing", source="missing",
                             evidence="no school sections in scope",
                             evidence_zh="没有参评的学校学段"))
            continue
        rows.append(_row(rid, status="fail" if failed else "pass", source="computed",
                         value=value, threshold=threshold, evidence="; ".join(notes),
                         evidence_zh="；".join(notes_zh)))
    return rows


def school_rows(schools: pd.DataFrame | Columns, rooms: pd.DataFrame | Columns,
                caps: pd.DataFrame | list[tuple], standards: Standards) -> dict[str, dict]:
    """G3, G4, G5 and G12 from the schools layer.

    Each input may be a frame or its columns as arrays (`caps` the rows of
    :func:`cap_rows`). The evidence names every school concerned.
    """
    if isinstance(schools, pd.DataFrame):
        schools = FrameColumns(schools)
    if isinstance(rooms, pd.DataFrame):
        rooms = FrameColumns(rooms)
    if isinstance(caps, pd.DataFrame):
        caps = list(caps.itertuples(index=False, name=None))
    out: dict[str, dict] = {}
    ok = np.asarray(rooms["ok"], dtype=bool)
    n_rooms, bad = len(ok), list(np.asarray(rooms["name"])[~ok])
    n_bad = len(bad)
    out["G3"] = _row("G3", status="fail" if n_bad else "pass", source="computed",
                     value=n_rooms - n_bad,
                     threshold=f"all {n_rooms} schools",
                     evidence=f"{n_bad} of {n_rooms} schools short of music or art "
                              f"rooms: " + ", ".join(bad)
                     if n_bad else f"all {n_rooms} schools have their rooms",
                     evidence_zh=f"{n_rooms} 所学校中 {n_bad} 所音乐、美术专用教室不足："
                                 + "、".join(bad)
                     if n_bad else f"{n_rooms} 所学校均配齐")
    size = [(r[1], r[4]) for r in caps if r[3] == "size"]
    caps_text = sorted({standards.primary.school_size_cap, standards.junior.school_size_cap})
    out["G4"] = _row("G4", status="fail" if size else "pass", source="computed",
                     value=len(size),
                     threshold=" / ".join(f"≤ {c}" for c in caps_text)
                               + f" / ≤ {standards.mixed_school_cap}",
                     evidence="over the cap: " + ", ".join(f"{n} ({v})" for n, v in size)
                     if size else "no school over its cap",
                     evidence_zh="超规模：" + "、".join(f"{n}（{v}人）" for n, v in size)
                     if size else "没有超规模学校")
    cls = [(r[1], r[4]) for r in caps if r[3].startswith("class_")]
    out["G5"] = _row("G5", status="fail" if cls else "pass", source="computed",
                     value=len({r[0] for r in caps if r[3].startswith("class_")}),
                     threshold=f"≤ {standards.primary.class_size_cap} / "
                               f"≤ {standards.junior.class_size_cap}",
                     evidence="classes over the class-size standard (largest class): " + ", ".join(
                         f"{n} ({v})" for n, v in cls)
                     if cls else "no class over the class-size standard",
                     evidence_zh="有超标班额（最大班额）：" + "、".join(f"{n}（{v}人）" for n, v in cls)
                     if cls else "没有超标班额")
    out["G12"] = g12_row(schools, standards)
    return out


def certified_shortfall(schools: pd.DataFrame | Columns, standards: Standards
                        ) -> pd.DataFrame:
    """G12 per school: compulsory-section teachers, certified among them, and the shortfall.

    Teachers of the senior section of twelve-year schools and complete middle schools are not
    counted (per-section teacher columns where given, else the student-weighted share:
    :func:`planner.indicators.compulsory_teachers`); special schools are out.
    """
    return pd.DataFrame(_certified_arrays(schools, standards))


def _certified_arrays(schools: pd.DataFrame | Columns, standards: Standards
                      ) -> dict[str, np.ndarray]:
    cols = FrameColumns(schools) if isinstance(schools, pd.DataFrame) else schools
    keep = np.asarray(cols["kind"]) != "special"
    shares = share_arrays(cols, standards)
    teachers = compulsory_teachers(cols, "teachers_total", standards, shares=shares)
    certified = compulsory_teachers(cols, "teachers_certified", standards, shares=shares)
    return {"school_id": np.asarray(cols["school_id"], dtype=object)[keep],
            "name": np.asarray(cols["name"], dtype=object)[keep],
            "teachers": teachers[keep], "certified": certified[keep],
            "short": np.maximum(teachers - certified, 0)[keep]}


def compulsory_teacher_total(schools: pd.DataFrame | Columns, standards: Standards) -> float:
    """Full-time teachers of the compulsory sections in the county (G11's and G12's base)."""
    return float(_certified_arrays(schools, standards)["teachers"].sum())


def g12_row(schools: pd.DataFrame | Columns, standards: Standards) -> dict:
    """G12: every compulsory-section teacher certified (see :func:`certified_shortfall`)."""
    table = _certified_arrays(schools, standards)
    total, certified = float(table["teachers"].sum()), float(table["certified"].sum())
    short = list(table["name"][table["short"] > 1e-9])
    return _row("G12", status="pass" if certified >= total - 1e-9 else "fail",
                source="computed", value=certified / total if total else None,
                threshold="100%",
                evidence=f"{certified:,.0f} of {total:,.0f} compulsory-section teachers "
                         "certified" + (f"; short: {', '.join(short)}" if short else ""),
                evidence_zh=f"义务教育阶段专任教师 {total:,.0f} 名中 {certified:,.0f} 名持证"
                            + (f"；未全部持证：{'、'.join(short)}" if short else ""))


def g11_planned_row(year: int, teachers: int, backbone: int, eligible: float,
                    standards: Standards) -> dict:
    """G11 from a scenario's teacher exchange of the year: share of teachers and of backbone.

    The eligible teachers (those the rules let rotate) are not in the data; all full-time
    teachers of the compulsory sections are taken, the strictest denominator.
    """
    op, threshold = standards.entered_rule("G11")
    sop, sth = standards.entered_rule("G11.backbone_share")
    share = teachers / eligible if eligible else 0.0
    bshare = backbone / teachers if teachers else 0.0
    ok = _compare(share, op, threshold) and _compare(bshare, sop, sth)
    return _row("G11", status="pass" if ok else "fail", source="computed", value=share,
                threshold=f"{op} {_fmt(threshold)}",
                evidence=f"planned exchange {year}: {teachers:,} of {eligible:,.0f} compulsory-"
                         f"section teachers ({share:.1%}), {backbone:,} of them backbone "
                         f"({bshare:.1%}; needs {sop} {_fmt(sth)})",
                evidence_zh=f"{year} 年规划交流轮岗：义务教育阶段专任教师 {eligible:,.0f} 名中 "
                            f"{teachers:,} 名（{share:.1%}），其中骨干教师 {backbone:,} 名"
                            f"（{bshare:.1%}，标准 {sop} {_fmt(sth)}）")


def small_school_note(schools: pd.DataFrame | Columns, standards: Standards
                      ) -> tuple[str, str]:
    """G6 evidence (English, Chinese): how many village schools and points are under 100."""
    cols = FrameColumns(schools) if isinstance(schools, pd.DataFrame) else schools
    rural = (np.asarray(cols["area_type"]) == "rural") & (np.asarray(cols["kind"]) != "special")
    n = np.asarray(cols["students_primary"]) + np.asarray(cols["students_junior"])
    small = int((rural & (n < standards.small_school_funded_as)).sum())
    cap = standards.small_school_funded_as
    return (f"{small} village schools and teaching points under {cap} students",
            f"不足{cap}人的村小和教学点 {small} 所")


def g13_row(zoned) -> dict:
    """G13 from the zoned-enrolment counts: primary ≥ 100 %, junior ≥ 95 % (by default)."""
    return g13_row_from(zoned.by_section.to_dict("records"), zoned.out_students,
                        zoned.out_units, zoned.entry_grades_only)


def g13_row_from(by_section: list[dict], out_students: int, out_units: int,
                 entry_grades_only: bool) -> dict:
    """G13 from the per-section records of zoned enrolment and the out-of-zone counts."""
    by = {r["section"]: r for r in by_section}
    value = {sec: (None if by[sec]["students"] == 0 else float(by[sec]["ratio"]))
             for sec in ("primary", "junior", "all")}
    threshold = {sec: float(by[sec]["minimum"]) for sec in ("primary", "junior")}
    failed = any(by[sec]["ok"] is False for sec in ("primary", "junior"))
    parts = [f"{sec}: {by[sec]['zoned']:,} of {by[sec]['students']:,} zoned"
             + (f" ({by[sec]['ratio']:.1%})" if by[sec]["students"] else "")
             for sec in ("primary", "junior")]
    parts.append(f"out of zone: {out_students:,} students from {out_units} units")
    zh = [f"{SECTION_ZH[sec]}：{by[sec]['students']:,} 人中就近划片入学 "
          f"{by[sec]['zoned']:,} 人" + (f"（{by[sec]['ratio']:.1%}）"
                                        if by[sec]["students"] else "")
          for sec in ("primary", "junior")]
    zh.append(f"片区外就读 {out_students:,} 人，来自 {out_units} 个居住单元")
    if entry_grades_only:
        parts.append("entry grades (1 and 7) only")
        zh.append("仅统计起始年级（一年级、七年级）")
    return _row("G13", status="fail" if failed else "pass", source="computed", value=value,
                threshold=threshold, evidence="; ".join(parts), evidence_zh="；".join(zh))


def g1_row(layout, method: str, standards: Standards) -> dict:
    """G1 from the layout checks: fails on overlaps, gaps or units not in exactly one catchment.

    The shares beyond the service radius and the units nearer another school are reported
    (no national figure makes them pass or fail).
    """
    t = layout.tiling
    return g1_row_from(t.to_dict("records"), int(layout.unit_problems["unit_id"].nunique()),
                       layout.summary.to_dict("records"), method, standards)


def g1_row_from(tiling: list[dict], bad_units: int, summary: list[dict], method: str,
                standards: Standards) -> dict:
    """G1 from the tiling records, the count of units not in one catchment and the summary."""
    overlaps = sum(1 for r in tiling if r["kind"] == "overlap")
    gaps = sum(1 for r in tiling if r["kind"] == "gap")
    summ = {r["section"]: r for r in summary}
    value = {"overlaps": overlaps, "gaps": gaps, "units_not_in_one_catchment": bad_units,
             **{f"share_beyond_radius_{sec}": float(summ[sec]["share_beyond"])
                for sec in ("primary", "junior")}}
    parts, zh = [], []
    over_m2 = sum(r["area_m2"] for r in tiling if r["kind"] == "overlap")
    gap_m2 = sum(r["area_m2"] for r in tiling if r["kind"] == "gap")
    if overlaps or gaps:
        parts.append(f"catchments overlap in {overlaps} place(s) ({over_m2:,.0f} m²) and leave "
                     f"{gaps} gap(s) ({gap_m2:,.0f} m²)")
        zh.append(f"片区重叠 {overlaps} 处（{over_m2:,.0f} 平方米），空白 {gaps} 处"
                  f"（{gap_m2:,.0f} 平方米）")
    else:
        parts.append("catchments tile the county (no overlap or gap over 100 m²)")
        zh.append("片区覆盖全县，无重叠、无空白（100平方米以上）")
    parts.append(f"{bad_units} units not in exactly one catchment" if bad_units
                 else "every unit in exactly one catchment per section")
    zh.append(f"{bad_units} 个居住单元不在唯一片区内" if bad_units
              else "每个居住单元在各学段均只属于一个片区")
    for sec in ("primary", "junior"):
        sec_std = standards.section(sec)
        radii = (f"{sec_std.service_radius_urban_m:.0f}/{sec_std.service_radius_town_m:.0f}/"
                 f"{sec_std.service_radius_rural_m:.0f} m")
        parts.append(f"{sec}: {summ[sec]['share_beyond']:.1%} of students beyond the "
                     f"service radius ({radii} urban/town/rural), "
                     f"{summ[sec]['units_not_nearest']} units nearer another school")
        zh.append(f"{SECTION_ZH[sec]}：{summ[sec]['share_beyond']:.1%} 的学生超出服务半径"
                  f"（城区/镇区/乡村 {radii}），{summ[sec]['units_not_nearest']} 个居住单元"
                  "离其他学校更近")
    parts.append(f"distances: {method}")
    zh.append("距离：" + ("道路距离" if method == "road" else f"直线距离×1.3（{method}）"))
    failed = overlaps or gaps or bad_units
    return _row("G1", status="fail" if failed else "pass", source="computed", value=value,
                threshold="tiling; one catchment per unit", evidence="; ".join(parts),
                evidence_zh="；".join(zh))


def verdict(checklist: pd.DataFrame, profile_checks: pd.DataFrame) -> str:
    """Return "pass", "fail" or "incomplete" (nothing fails but something is missing)."""
    return verdict_of(list(checklist["status"]) + list(profile_checks.get("status", [])))


def verdict_of(statuses: list[str]) -> str:
    """The verdict of row statuses: fail over incomplete (something missing) over pass."""
    if "fail" in statuses:
        return "fail"
    if "missing" in statuses:
        return "incomplete"
    return "pass"
