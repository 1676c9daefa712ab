"""Saved scenarios: the workspace's `scenarios` table, written one transaction at a time.

A scenario is a named, ordered list of edits on a base (the baseline or another scenario).
Saving a scenario, an edit or an undo is one SQLite transaction on the GeoPackage: the other
layers, and any table of the bureau's own, are never rewritten. Each scenario carries a
revision number that every write increases; a write based on a revision that is no longer
the saved one is refused ("changed since you opened it: reload"), so two planners never lose
each other's edits.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.io.gpkg import ensure_attribute_table, has_table, reading, touch, transaction

BASELINE = "baseline"
TABLE = "scenarios"
COLUMNS = {"name": "TEXT", "base": "TEXT", "created": "TEXT", "author": "TEXT", "note": "TEXT",
           "edits": "TEXT", "revision": "INTEGER"}
MAX_NAME_CHARS = 80
MAX_EDITS_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 20


@dataclass(frozen=True)
class Scenario:
    """One saved scenario.

    Attributes
    ----------
    name, base
        Its name and the scenario (or "baseline") it builds on.
    created, author, note
        When, by whom and why (free text).
    edits
        Its own edits (its base's come first when it is built).
    revision
        Increased by every write.
    """

    name: str
    base: str = BASELINE
    created: str = ""
    author: str = ""
    note: str = ""
    edits: tuple = field(default_factory=tuple)
    revision: int = 0


def _fail(message: str, *, file: str = "", row: int | None = None, column: str = "name"
          ) -> InputError:
    return InputError([Problem(file, f"layer {TABLE}", row, column, message)])


def reject_constant(name: str) -> float:
    """`json.loads`'s parse_constant: NaN and Infinity are not numbers JSON allows."""
    raise ValueError(f"{name} is not a number JSON allows")


def json_depth(value: object, limit: int = MAX_DEPTH, level: int = 0) -> int:
    """How deep parsed JSON nests (counted only to just past `limit`)."""
    if level > limit:
        return level
    if isinstance(value, dict):
        return max([json_depth(v, limit, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([json_depth(v, limit, level + 1) for v in value] or [level + 1])
    return level


def parse_edits_json(text: str) -> list:
    """Parse an edit (object) or a list of edits from JSON text, strictly.

    NaN and Infinity, nesting deeper than `MAX_DEPTH` and anything but objects and lists of
    objects are refused.

    Raises
    ------
    ValueError
        With what is wrong (callers locate it).
    """
    if len(text.encode("utf-8")) > MAX_EDITS_BYTES:
        raise ValueError(f"more than {MAX_EDITS_BYTES // 2**20} MB of edits")
    try:
        value = json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if json_depth(value) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    edits = [value] if isinstance(value, dict) else value
    if not isinstance(edits, list):
        raise ValueError(f"expected an edit object or a list of them, got {type(value).__name__}")
    return edits


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(
        value)


def check_name(name: object, *, file: str = "") -> str:
    """Return a scenario name if it is one a planner can use, else raise a located error."""
    if not isinstance(name, str) or not name.strip():
        raise _fail("a scenario needs a name", file=file)
    if name == BASELINE:
        raise _fail(f"{BASELINE!r} is the name of today's layout; choose another", file=file)
    if len(name) > MAX_NAME_CHARS or any(ord(ch) < 32 for ch in name):
        raise _fail(f"a scenario name has at most {MAX_NAME_CHARS} printable characters, got "
                    f"{name[:MAX_NAME_CHARS]!r}…" if len(name) > MAX_NAME_CHARS else
                    f"a scenario name has no control characters, got {name!r}", file=file)
    return name


def from_records(records: list[dict], *, file: str = "") -> dict[str, Scenario]:
    """Return scenarios by name from table records, checking each (located errors).

    Raises
    ------
    InputError
        Missing columns, a NULL or unreadable edit list, duplicate names; every problem.
    """
    problems = []
    out: dict[str, Scenario] = {}
    for row, rec in enumerate(records, start=1):
        missing = [c for c in ("name", "edits") if c not in rec]
        if missing:
            problems.append(Problem(file, f"layer {TABLE}", None, missing[0],
                                    f"the scenarios table lacks the column(s) "
                                    f"{', '.join(missing)}"))
            break
        name = _text(rec.get("name"))
        raw = rec.get("edits")
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            problems.append(Problem(file, f"layer {TABLE}", row, "edits",
                                    "no edit list (NULL): expected JSON such as []"))
            continue
        try:
            edits = parse_edits_json(str(raw))
        except ValueError as exc:
            problems.append(Problem(file, f"layer {TABLE}", row, "edits",
                                    f"scenario {name!r}: {exc}"))
            continue
        if not name or name in out:
            problems.append(Problem(file, f"layer {TABLE}", row, "name",
                                    "empty scenario name" if not name else
                                    f"the name {name!r} is used twice"))
            continue
        revision = rec.get("revision")
        out[name] = Scenario(name=name, base=_text(rec.get("base")) or BASELINE,
                             created=_text(rec.get("created")), author=_text(rec.get("author")),
                             note=_text(rec.get("note")), edits=tuple(edits),
                             revision=int(revision) if isinstance(revision, int | float)
                             and revision == revision else 0)
    if problems:
        raise InputError(problems)
    return out


def from_frame(frame: pd.DataFrame | None, *, file: str = "") -> dict[str, Scenario]:
    """Return the scenarios of a workspace's `scenarios` frame (see :func:`from_records`)."""
    if frame is None or frame.empty:
        return {}
    return from_records(frame.to_dict("records"), file=file)


def _read(con, file: str) -> dict[str, Scenario]:
    if not has_table(con, TABLE):
        return {}
    cur = con.execute(f'SELECT * FROM "{TABLE}" ORDER BY fid')
    names = [d[0] for d in cur.description]
    return from_records([dict(zip(names, r, strict=True)) for r in cur.fetchall()], file=file)


def read(path: str | Path) -> dict[str, Scenario]:
    """Return the saved scenarios of a workspace, as they are on disk now."""
    path = Path(path)
    with reading(path) as con:
        return _read(con, path.name)


def chain(scenarios: dict[str, Scenario], name: str, *, file: str = "") -> list[dict]:
    """Return the full edit list of a scenario: its base's edits first, then its own."""
    parts: list[tuple] = []
    seen = set()
    while name != BASELINE:
        if name in seen:
            raise _fail(f"scenario {name!r} is its own base (a cycle)", file=file, column="base")
        seen.add(name)
        parts.append(get(scenarios, name, file=file).edits)
        name = scenarios[name].base
    return [e for edits in reversed(parts) for e in edits]


def get(scenarios: dict[str, Scenario], name: str, *, file: str = "") -> Scenario:
    """Return a scenario, or raise a located error listing the saved ones."""
    if name not in scenarios:
        saved = ", ".join(scenarios) or "none"
        raise _fail(f"no scenario named {name!r} (saved scenarios: {saved})", file=file)
    return scenarios[name]


def _insert(con, s: Scenario) -> None:
    con.execute(f'INSERT INTO "{TABLE}" (name, base, created, author, note, edits, revision) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (s.name, s.base, s.created, s.author, s.note, _dump(s.edits), s.revision))


def _dump(edits) -> str:
    return json.dumps(list(edits), ensure_ascii=False, sort_keys=True, allow_nan=False)


def create(path: str | Path, scenario: Scenario) -> Scenario:
    """Save a new scenario (revision 1); refused if the name is taken or the base unknown."""
    path = Path(path)
    check_name(scenario.name, file=path.name)
    with transaction(path) as con:
        ensure_attribute_table(con, TABLE, COLUMNS)
        saved = _read(con, path.name)
        if scenario.name in saved:
            raise _fail(f"a scenario named {scenario.name!r} exists already", file=path.name)
        if scenario.base != BASELINE:
            get(saved, scenario.base, file=path.name)
        new = replace(scenario, revision=1)
        _insert(con, new)
        touch(con, TABLE)
    return new


def save_edits(path: str | Path, name: str, edits: list, *, revision: int) -> Scenario:
    """Replace a scenario's own edits, if it is still at `revision`; return it as saved.

    Raises
    ------
    InputError
        The scenario is gone or was changed by someone else since `revision` was read.
    """
    path = Path(path)
    with transaction(path) as con:
        ensure_attribute_table(con, TABLE, COLUMNS)
        now = get(_read(con, path.name), name, file=path.name)
        if now.revision != revision:
            raise _fail(f"scenario {name!r} changed since you opened it (revision {revision}, "
                        f"now {now.revision}): reload it and make your change again",
                        file=path.name, column="revision")
        con.execute(f'UPDATE "{TABLE}" SET edits = ?, revision = ? WHERE name = ?',
                    (_dump(edits), now.revision + 1, name))
        touch(con, TABLE)
    return replace(now, edits=tuple(edits), revision=now.revision + 1)


def delete(path: str | Path, name: str, *, revision: int | None = None) -> None:
    """Delete a scenario; refused while another builds on it (or if changed since)."""
    path = Path(path)
    with transaction(path) as con:
        saved = _read(con, path.name)
        now = get(saved, name, file=path.name)
        if revision is not None and now.revision != revision:
            raise _fail(f"scenario {name!r} changed since you opened it: reload it",
                        file=path.name, column="revision")
        users = [s.name for s in saved.values() if s.base == name]
        if users:
            raise _fail(f"scenario {name!r} is the base of {', '.join(users)}; delete those "
                        "first", file=path.name, column="base")
        con.execute(f'DELETE FROM "{TABLE}" WHERE name = ?', (name,))
        touch(con, TABLE)


def to_frame(scenarios: dict[str, Scenario]) -> pd.DataFrame:
    """The scenarios as a table (the workspace's `scenarios` layer)."""
    rows = [{"name": s.name, "base": s.base, "created": s.created, "author": s.author,
             "note": s.note, "edits": _dump(s.edits), "revision": s.revision}
            for s in scenarios.values()]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {c: "str" for c in COLUMNS if c != "revision"} | {"revision": "int64"})
