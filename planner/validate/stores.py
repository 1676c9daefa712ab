"""What the planner stores in a workspace: the scenarios table and the distances cache."""


from __future__ import annotations

import json
import math

import pandas as pd

from planner.errors import Problem
from planner.plan.store import BASELINE, json_depth, reject_constant
from planner.validate.cells import Source, is_blank, parse_number, show
from planner.validate.layers import duplicates_in

# --- the scenarios table and the distances cache -----------------------------------------

MAX_JSON_DEPTH = 32
_SHOWN_ROWS = 5  # a broken cache of 50 000 rows is reported by its first rows and a count


def check_scenarios(df: pd.DataFrame, file: str) -> list[Problem]:
    """Check the `scenarios` table's structure: columns, names, bases and edits as JSON.

    Each row needs a unique non-empty name, a base that is `baseline` or another scenario
    (no cycle), and edits that are a JSON list of objects with a text `op` (no NaN or
    Infinity, nested at most MAX_JSON_DEPTH deep). What each edit does is checked when the
    scenario is applied.
    """
    from planner.schema import SCENARIO_COLUMNS

    src = Source(file, "layer scenarios", 1)
    missing = [c for c in SCENARIO_COLUMNS if c not in df.columns]
    if missing:
        return [src.at(None, ", ".join(missing), f"the scenarios table lacks column(s) "
                       f"{', '.join(missing)}; it needs {', '.join(SCENARIO_COLUMNS)}")]
    problems: list[Problem] = []
    names = [None if is_blank(n) else str(n) for n in df["name"]]
    problems += duplicates_in(pd.Series(names, dtype=object), src, "name", "scenario name")
    bases: dict[str, str] = {}
    for pos, (name, base, edits) in enumerate(zip(names, df["base"], df["edits"], strict=True)):
        if name is None:
            problems.append(src.at(pos, "name", "a scenario needs a name"))
        base = None if is_blank(base) else str(base)
        if base is None or (base != BASELINE and base not in names):
            problems.append(src.at(pos, "base", f"unknown base {show(base)}; a scenario builds "
                                   f"on `{BASELINE}` or on another saved scenario"))
        elif name is not None:
            bases[name] = base
        if is_blank(edits):
            problems.append(src.at(pos, "edits", "no edits (NULL or empty); a scenario without "
                                   "edits holds []"))
            continue
        try:
            value = json.loads(str(edits), parse_constant=reject_constant)
        except (ValueError, RecursionError) as exc:
            problems.append(src.at(pos, "edits", f"not JSON ({str(exc)[:80]})"))
            continue
        if json_depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            problems.append(src.at(pos, "edits", f"nested deeper than {MAX_JSON_DEPTH} levels"))
        elif not isinstance(value, list):
            problems.append(src.at(pos, "edits", f"expected a JSON list of edits, got "
                                   f"{type(value).__name__}"))
        else:
            for k, edit in enumerate(value, start=1):
                if not isinstance(edit, dict) or not isinstance(edit.get("op"), str):
                    problems.append(src.at(pos, "edits", f"edit {k} is not an object with a "
                                           f"text `op`: {show(edit)}"))
                    break
    for name in bases:
        seen, at = {name}, bases[name]
        while at in bases:
            if at in seen:
                pos = names.index(name)
                problems.append(src.at(pos, "base", f"scenario {name!r} builds on itself "
                                       "through its bases"))
                break
            seen.add(at)
            at = bases[at]
    return problems


def check_distances(df: pd.DataFrame, file: str) -> list[Problem]:
    """Check the cached `distances` table: its columns, and metres that are numbers ≥ 0."""
    src = Source(file, "layer distances", 1)
    cols = ["unit_id", "school_id", "distance_m", "method"]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        return [src.at(None, ", ".join(missing), f"the distances cache lacks column(s) "
                       f"{', '.join(missing)}; delete the table (it is recomputed) or run "
                       "`planner distances`")]
    bad = []
    for pos, value in enumerate(df["distance_m"].tolist()):
        number = parse_number(value)
        if number is None or not math.isfinite(number) or number < 0:
            bad.append((pos, value))
    problems = [src.at(pos, "distance_m", f"expected metres ≥ 0, got {show(value)}; delete "
                       "the table (it is recomputed) or run `planner distances`")
                for pos, value in bad[:_SHOWN_ROWS]]
    if len(bad) > _SHOWN_ROWS:
        problems.append(src.at(None, "distance_m", f"and {len(bad) - _SHOWN_ROWS} more rows "
                               "like these"))
    return problems
