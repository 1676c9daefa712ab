"""Reading cells: where a value came from, headers mapped, each cell parsed to its column's type."""


from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.schema import (
    AREA_ALIASES,
    AREA_TYPES,
    BIRTHS_RE,
    FALSE_WORDS,
    KIND_ALIASES,
    KINDS,
    SECTION_ALIASES,
    SECTIONS,
    TRUE_WORDS,
    YEAR_MAX,
    YEAR_MIN,
    Column,
    alias_map,
    columns_of,
    normalise_header,
)

# China's extent with a margin: a point outside is a swapped or wrongly declared coordinate.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
OUTSIDE_TOLERANCE_M = 500.0
_GRADE_ZH = {f"{zh}年级": g for g, zh in enumerate("一二三四五六七八九", start=1)}


@dataclass(frozen=True)
class Source:
    """Where a layer came from, for messages.

    Attributes
    ----------
    file
        The file name shown to the user.
    layer
        Where in the file, as shown in messages: "layer schools", "sheet 学校", or "" for CSV.
    row_base
        What to add to a 0-based data position to get the row the user sees: 2 for a sheet or
        CSV with its header on row 1, 1 for GeoPackage features.
    headers
        Canonical column → the header as the user wrote it.
    """

    file: str
    layer: str
    row_base: int
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str:
        """Return the user's header for a canonical column (the canonical name if unknown)."""
        return dict(self.headers).get(name, name)

    def at(self, pos: int | None, column: str, message: str, severity: str = "error") -> Problem:
        """Return a problem at a 0-based data position and a canonical column."""
        row = None if pos is None else int(pos) + self.row_base
        col = self.header(column) if column else ""
        return Problem(self.file, self.layer, row, col, message, severity)


def show(value: object) -> str:
    """A value as a message shows it: quoted if text, cut to 40 characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_blank(value: object) -> bool:
    """Whether a cell is empty (None, NaN or only spaces)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def parse_number(value: object) -> float | None:
    """A cell as a number, or None where it is not one (a bool is not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _enum(value: object, allowed: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    text = str(value).strip()
    if text.lower() in allowed:
        return text.lower()
    return aliases.get(text)


def _parse_text(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), None
    return str(value).strip(), None


def _parse_quantity(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    """A count ("int") or amount ("float"): finite, ≥ 0, at most the column's bound."""
    whole = col.kind == "int"
    number = parse_number(value)
    if number is None or math.isnan(number) or math.isinf(number):
        return None, "a whole number ≥ 0" if whole else "a number ≥ 0"
    number *= factor
    if number < 0:
        return None, "a value ≥ 0 (counts and areas cannot be negative)"
    if col.upper is not None and number > col.upper:
        return None, (f"at most {col.upper:,.0f} (a plausible bound for `{col.name}`; a "
                      "larger value is a typo or a unit error)")
    if not whole:
        return float(number), None
    if not float(number).is_integer():
        return None, "a whole number ≥ 0"
    return int(number), None


def _parse_year(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    number = parse_number(value)
    if number is None or not math.isfinite(number) or not float(number).is_integer() or not (
            YEAR_MIN <= number <= YEAR_MAX):
        return None, f"a year from {YEAR_MIN} to {YEAR_MAX}"
    return int(number), None


def _parse_bool(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    text = str(value).strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return None, "true/false (是/否, 1/0)"


def _parse_grade(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    if isinstance(value, str) and value.strip() in _GRADE_ZH:
        return _GRADE_ZH[value.strip()], None
    number = parse_number(value)
    if number is None or not float(number).is_integer() or not 1 <= number <= 9:
        return None, "a grade from 1 to 9"
    return int(number), None


def _enum_parser(allowed: tuple[str, ...], aliases: dict[str, str], expected: str):
    """A parser of one of `allowed` (or an alias), expecting `expected` otherwise."""
    def parse(value: object, col: Column, factor: float) -> tuple[object, str | None]:
        got = _enum(value, allowed, aliases)
        return (got, None) if got else (None, expected)

    return parse


_CELL_PARSERS = {
    "text": _parse_text,
    "int": _parse_quantity,
    "float": _parse_quantity,
    "year": _parse_year,
    "bool": _parse_bool,
    "kind": _enum_parser(KINDS, KIND_ALIASES, "one of " + ", ".join(KINDS)),
    "area_type": _enum_parser(AREA_TYPES, AREA_ALIASES,
                              "one of urban (城区), town (镇区), rural (乡村)"),
    "section": _enum_parser(SECTIONS, SECTION_ALIASES, "primary (小学) or junior (初中)"),
    "grade": _parse_grade,
}


def parse_cell(value: object, col: Column, factor: float) -> tuple[object, str | None]:
    """Parse one cell to its column's type: (value, None), or (None, what was expected).

    Shared by the importer and by scenario edits that set school values. Numbers must be finite,
    ≥ 0 and at most the column's plausible bound (`planner.schema.UPPER_BOUNDS`); years lie in
    YEAR_MIN–YEAR_MAX.
    """
    parser = _CELL_PARSERS.get(col.kind)
    if parser is None:
        msg = f"unknown column kind {col.kind!r}"
        raise ValueError(msg)
    return parser(value, col, factor)


def map_headers(
    raw: pd.DataFrame,
    layer: str,
    src: Source,
    *,
    extra: tuple[Column, ...] = (),
) -> tuple[pd.DataFrame, Source, list[Problem]]:
    """Rename the user's headers to canonical names; report unknown, duplicate and missing ones.

    Returns the renamed frame, the source with the header map, and the problems.
    """
    columns = columns_of(layer) + extra
    amap = alias_map(columns)
    problems: list[Problem] = []
    rename: dict[str, str] = {}
    headers: dict[str, str] = {}
    factors: dict[str, float] = {}
    geometry_name = raw.geometry.name if isinstance(raw, gpd.GeoDataFrame) else None
    for header in raw.columns:
        if header == geometry_name:
            continue
        key = normalise_header(header)
        if key in amap:
            name, factor = amap[key]
            if name in headers:
                problems.append(Problem(src.file, src.layer, None, str(header),
                                        f"column `{name}` is given twice (also as "
                                        f"`{headers[name]}`); keep one of them"))
                continue
            rename[header] = name
            headers[name] = str(header)
            factors[name] = factor
        elif BIRTHS_RE.match(str(header)) and layer == "units":
            rename[header] = str(header)
            headers[str(header)] = str(header)
        else:
            known = [c.name for c in columns] + [c.zh for c in columns]
            near = difflib.get_close_matches(str(header), known, n=1, cutoff=0.6)
            hint = f"; did you mean `{near[0]}`?" if near else (
                "; rename it to one of the template's headers or delete it")
            problems.append(Problem(src.file, src.layer, None, str(header),
                                    f"unknown column{hint}"))
    out = raw[list(rename) + ([geometry_name] if geometry_name else [])].rename(columns=rename)
    src = Source(src.file, src.layer, src.row_base, tuple(headers.items()))
    for col in columns:
        if col.required and col.name not in out.columns:
            problems.append(Problem(src.file, src.layer, None, col.name,
                                    f"required column is missing (Chinese header: {col.zh})"))
    out.attrs["factors"] = factors
    return out, src, problems


def parse_cells(
    df: pd.DataFrame,
    layer: str,
    src: Source,
    *,
    extra: tuple[Column, ...] = (),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse every cell of the known columns to its canonical type; collect what does not parse.

    Optional columns that are absent get their default when they have one. Cells that fail are
    left as NaN in the returned frame.
    """
    problems: list[Problem] = []
    factors = df.attrs.get("factors", {})
    out = df.copy()
    for col in columns_of(layer) + extra:
        if col.name not in out.columns:
            if col.default is not None:
                out[col.name] = col.default
            continue
        series = out[col.name]
        factor = factors.get(col.name, 1.0)
        if _fast_ok(series, col, factor):
            continue
        values: list[object] = []
        for pos, value in enumerate(series.tolist()):
            if is_blank(value):
                if col.nullable:
                    values.append(None)
                    continue
                if col.default is not None:
                    values.append(col.default)
                    continue
                problems.append(src.at(pos, col.name, "empty cell; a value is required"
                                       + (f" ({_expected(col)})" if col.kind != "text" else "")))
                values.append(None)
                continue
            parsed, expected = parse_cell(value, col, factor)
            if expected is not None:
                problems.append(src.at(pos, col.name, f"expected {expected}, got {show(value)}"))
            values.append(parsed)
        out[col.name] = pd.Series(values, index=out.index, dtype="object")
    return out, problems


def _expected(col: Column) -> str:
    return {
        "year": "a year",
        "int": "a whole number ≥ 0",
        "float": "a number ≥ 0",
        "bool": "true/false",
        "kind": "a school kind",
        "area_type": "urban/town/rural",
        "section": "primary/junior",
        "grade": "a grade 1–9",
    }.get(col.kind, "text")


def _fast_ok(series: pd.Series, col: Column, factor: float) -> bool:
    """Return True when a numeric column is already clean (the common GeoPackage case)."""
    if factor != 1.0 or series.isna().any():
        return False
    if col.kind in ("int", "grade", "year") and pd.api.types.is_integer_dtype(series):
        lo, hi = {"grade": (1, 9), "year": (YEAR_MIN, YEAR_MAX)}.get(
            col.kind, (0, col.upper if col.upper is not None else np.iinfo(np.int64).max))
        return bool(((series >= lo) & (series <= hi)).all())
    if col.kind == "float" and pd.api.types.is_float_dtype(series):
        hi = col.upper if col.upper is not None else np.inf
        return bool((series >= 0).all() and (series <= hi).all() and np.isfinite(series).all())
    if col.kind == "bool" and pd.api.types.is_bool_dtype(series):
        return True
    return False


