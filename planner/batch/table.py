"""The province table: one row per county, ranked."""


from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from planner.batch.inputs import County
from planner.batch.options import STATUS_OK, VERDICT_ORDER

# --- the province table ----------------------------------------------------------------------

BASE_COLUMNS = ["rank", "county", "workspace", "key", "status", "message"]


def province_table(counties: Sequence[County], results: dict[str, dict]) -> pd.DataFrame:
    """Return one row per county with a result, in input order, ranked.

    Columns: rank (1 = nearest to the standard among the counties that ran: verdict, then
    failing rows, missing rows, share of failing school sections, CVs over their limits and
    the worst CV against its limit), county, workspace, key, status, message, then the
    columns of the steps in the order they first appear.
    """
    rows = []
    for c in counties:
        res = results.get(c.key)
        if res is None:
            continue
        rows.append({"rank": None, "county": res["county"], "workspace": str(c.path),
                     "key": c.key, "status": res["status"], "message": res["message"],
                     **res["columns"]})
    order = list(BASE_COLUMNS)
    for r in rows:
        order += [k for k in r if k not in order]
    frame = pd.DataFrame(rows, columns=order)
    frame["rank"] = _ranks(frame)
    return frame.reset_index(drop=True)


def _ranks(frame: pd.DataFrame) -> pd.Series:
    ranks = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if frame.empty or "verdict" not in frame:
        return ranks
    ok = frame[(frame["status"] == STATUS_OK) & frame["verdict"].notna()]
    if ok.empty:
        return ranks
    key = pd.DataFrame({
        "v": ok["verdict"].map(VERDICT_ORDER),
        "fail": ok["fail"], "missing": ok["missing"],
        "share": ok["school_sections_failing"] / ok["school_sections"].where(
            ok["school_sections"] > 0),
        "cvs": ok["cvs_over"], "worst": ok["cv_max_ratio"], "name": ok["county"],
    }, index=ok.index)
    order = key.sort_values(list(key.columns), kind="stable", na_position="last").index
    ranks.loc[order] = range(1, len(order) + 1)
    return ranks


