"""Least disruption: move pupils only for an inspection gain, and say which.

The default objective ("inspection") is lexicographic. First the gaps re-zoning can close, in
every year checked: schools over their size cap (G4), schools whose classes need more rooms
than they have (classes over the cap, G5), school sections failing R1–R7, and each CV's part
over its limit (to the third decimal, as the evaluation shows CVs: a CV lowered by less is no
gain). Then pupils changing school, then travel.

It takes the least-travel zoning within every constraint (which brings pupils under size
caps wherever the places allow, `OVER_CAP_M`) and undoes every move the gaps do not need:
a unit goes back to today's school when the zoning stays within every constraint
(check.violations) and no gap of any year widens (largest movers first, until none can).
What stays moved is tied to what it is needed for: the gaps that widen without it, or the
rule (admission, contiguity, places) that undoing it would break. When no gap narrows, the
command says so in words and moves nobody but the units a rule of admission moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.i18n import t as _t
from planner.optimize.feasible import classes, violations
from planner.optimize.instance import Instance
from planner.standards import RESOURCE_IDS

MEASURES = ("over_size_cap", "short_of_rooms", "failing_r1_r7") + tuple(
    f"cv_{k}" for k in RESOURCE_IDS)
CV_STEP = 0.001  # a CV lowered by less than the third decimal the evaluation shows is no gain

@dataclass(frozen=True)
class Disruption:
    """What the least-disruption zoning gains and why each moved unit moves.

    Attributes
    ----------
    before, after
        (T, M) the gaps (MEASURES) of today's zoning and of the result, by year.
    reasons
        Unit index → what it is needed for (one line each).
    """

    before: np.ndarray
    after: np.ndarray
    reasons: dict[int, str]

    @property
    def gains(self) -> bool:
        """Whether any gap narrows in any year."""
        return bool(narrower(self.after, self.before).any())


def short_of_rooms(inst: Instance, loads: np.ndarray, schools=None) -> np.ndarray:
    """(S', T) whether each school (of `schools`, or all) needs more classes than rooms."""
    rows = range(loads.shape[0]) if schools is None else schools
    return np.array([[bool(loads[s, t].sum()) and classes(inst, s, loads[s, t])
                      > inst.rooms[s, t] for t in range(loads.shape[1])] for s in rows],
                    dtype=bool).reshape(len(rows), loads.shape[1])


def gaps(inst: Instance, assign: np.ndarray, short: np.ndarray | None = None) -> np.ndarray:
    """(T, M) the inspection's gaps re-zoning can move, by year (lower is better).

    `short`: :func:`short_of_rooms` of this zoning, when known (it is the slow part).
    """
    loads = inst.loads(assign)
    pupils = loads.sum(axis=2)
    n_t = pupils.shape[1]
    out = np.zeros((n_t, len(MEASURES)))
    out[:, 0] = (pupils > inst.size_cap).sum(axis=0)
    out[:, 1] = (short_of_rooms(inst, loads) if short is None else short).sum(axis=0)
    if inst.ind is not None:
        from planner.indicators import compliance

        values = inst.ind.values(pupils.astype(float))
        for t in range(n_t):
            v = values[:, t]
            _, _, ok = compliance(v, np.broadcast_to(inst.ind.threshold, v.shape),
                                  inst.ind.standards)
            out[t, 2] = (inst.ind.in_scope[:, t] & ~ok).sum()
        limit = inst.ind.standards.section(inst.section).cv_limit
        cvs = inst.ind.cvs(pupils.astype(float))
        out[:, 3:] = np.maximum(np.nan_to_num(cvs) - limit, 0.0)
    return out


# a CV's part over its limit narrows when it drops by a unit of the third decimal the
# evaluation prints; a move undone may give back less than half of one
_GAIN = np.array([0.5, 0.5, 0.5] + [CV_STEP] * len(RESOURCE_IDS))


def narrower(new: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(T, M) where `new`'s gaps are narrower than `ref`'s by a count or by CV_STEP."""
    return new <= ref - _GAIN


def _wider(new: np.ndarray, ref: np.ndarray) -> bool:
    return bool((new > ref + _GAIN / 2 - 1e-12).any())


def least_disruption(inst: Instance, found: np.ndarray) -> tuple[np.ndarray, Disruption]:
    """Undo the moves of `found` that no gap needs; say why each remaining move is made.

    `found` breaks no constraint; neither does the result, whose gaps are no wider than
    `found`'s in any year.
    """
    today = inst.zoned
    assign = found.copy()
    before, reached = gaps(inst, np.where(today >= 0, today, found)), gaps(inst, found)
    # the gains to keep; elsewhere a gap may go back to today's
    target = np.where(narrower(reached, before), reached, np.maximum(reached, before))

    short = short_of_rooms(inst, inst.loads(assign))

    def undone(units: list[int]) -> bool:
        nonlocal assign, short
        trial = assign.copy()
        trial[units] = today[units]
        # only the schools these units leave and join can break (assign breaks nothing)
        touched = sorted({int(today[u]) for u in units} | {int(assign[u]) for u in units})
        if violations(inst, trial, set(touched)):
            return False
        rows = short.copy()
        rows[touched] = short_of_rooms(inst, inst.loads(trial), touched)
        if _wider(gaps(inst, trial, rows), target):
            return False
        assign, short = trial, rows
        return True

    changed = True
    while changed:
        moved = [u for u in range(len(assign)) if today[u] >= 0 and assign[u] != today[u]]
        moved.sort(key=lambda u: (-inst.pupils_of(u), u))
        changed = any([undone([u]) for u in moved])
        # moves that make room for each other (a chain of schools) go back together
        free = [u for u in range(len(assign)) if today[u] < 0 or inst.reach(u)[today[u]]]
        changed = any([undone(group) for group in _chains(today, assign, free)
                       if len(group) > 1]) or changed
    after = gaps(inst, assign)
    free = [u for u in range(len(assign)) if today[u] < 0 or inst.reach(u)[today[u]]]
    group_of = {u: g for g in _chains(today, assign, free) for u in g}
    claimed = narrower(after, before)
    reasons = {u: _reason(inst, assign, u, after, group_of.get(u, [u]), claimed)
               for u in range(len(assign)) if today[u] >= 0 and assign[u] != today[u]}
    return assign, Disruption(before=before, after=after, reasons=reasons)


def _chains(today: np.ndarray, assign: np.ndarray, free: list[int]) -> list[list[int]]:
    """The moved units of `free` in groups linked by the schools they leave and join."""
    moved = [u for u in free if today[u] >= 0 and assign[u] != today[u]]
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for u in moved:
        parent[root(int(today[u]))] = root(int(assign[u]))
    groups: dict[int, list[int]] = {}
    for u in moved:
        groups.setdefault(root(int(today[u])), []).append(u)
    return list(groups.values())


def _reason(inst: Instance, assign: np.ndarray, u: int, after: np.ndarray,
            group: list[int], claimed: np.ndarray) -> tuple:
    """Why unit u stays moved: ("rule",), ("breaks", what), or ("needed", [(year, measure)]).

    Undone alone, or with the moves it is chained to (`group`) where alone breaks a limit;
    the gains named are those claimed (`claimed`, (T, M)) that undoing it loses.
    """
    if not inst.reach(u)[inst.zoned[u]]:
        return ("rule",)
    trial = assign.copy()
    trial[u] = inst.zoned[u]
    broken = violations(inst, trial, {int(inst.zoned[u]), int(assign[u])})
    if broken:
        trial[group] = inst.zoned[group]
        if violations(inst, trial, {int(inst.zoned[v]) for v in group}
                      | {int(assign[v]) for v in group}):
            return ("breaks", broken[0])
    wider = (gaps(inst, trial) > after + _GAIN / 2 - 1e-12) & claimed
    return ("needed", [(int(inst.years[t]), MEASURES[m])
                       for t, m in zip(*np.nonzero(wider), strict=True)])


def _label(measure: str, lang: str) -> str:
    if measure.startswith("cv_"):
        return _t("gap_cv", lang, k=measure[3:])
    return _t(f"gap_{measure}", lang)


def reason_text(reason: tuple, lang: str = "en") -> str:
    """A moved unit's reason in the reader's language (a limit broken is named in English)."""
    if reason[0] == "rule":
        return _t("why_rule", lang)
    if reason[0] == "breaks":
        return _t("why_breaks", lang, what=reason[1]) if lang == "en" else _t("why_breaks_zh",
                                                                              lang)
    parts = [f"{year}{' 年' if lang == 'zh' else ''} {_label(m, lang)}" for year, m in reason[1]]
    sep = "；" if lang == "zh" else "; "
    return _t("why_needed", lang, what=sep.join(parts[:3]) + (" …" if len(parts) > 3 else ""))


def gain_lines(inst: Instance, d: Disruption, assign: np.ndarray, lang: str = "en"
               ) -> list[str]:
    """Lines to print: each gap that narrows, in the year it does, and why each unit moves.

    Or, when no gap narrows, why nothing moves.
    """
    section = _t(inst.section, lang) if lang == "zh" else inst.section
    if not d.gains:
        return ["  " + _t("gap_none", lang, section=section)]
    out = ["  " + _t("gap_header", lang)]
    for k, m in zip(*np.nonzero(narrower(d.after, d.before)), strict=True):
        name, year = MEASURES[m], int(inst.years[k])
        fmt = "gap_line_cv" if name.startswith("cv_") else "gap_line"
        out.append("  " + _t(fmt, lang, year=year, what=_label(name, lang),
                            before=d.before[k, m], after=d.after[k, m]))
    colon = "：" if lang == "zh" else ": "
    out += [f"    {inst.unit_ids[u]} → {inst.school_ids[assign[u]]}{colon}"
            + reason_text(r, lang) for u, r in sorted(d.reasons.items())]
    return out


__all__ = ["MEASURES", "Disruption", "gain_lines", "gaps", "least_disruption", "narrower",
           "reason_text"]
