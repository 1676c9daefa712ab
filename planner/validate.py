"""Validation: turn raw tables into canonical layers, collecting every located problem.

Validators never stop at the first problem: they collect all of them and the caller raises one
:class:`~planner.errors.InputError`. A message names the file, layer, row and column (as the user
wrote the header), states the rule, shows the value and suggests the fix.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from planner.errors import Problem
from planner.schema import (
    AREA_ALIASES,
    AREA_TYPES,
    BIRTHS_RE,
    FALSE_WORDS,
    KIND_ALIASES,
    KIND_HAS_SENIOR,
    KIND_SECTIONS,
    KINDS,
    NOTICE_SETTINGS,
    REGIONS,
    SCHEMA_VERSIONS,
    SECTION_ALIASES,
    SECTIONS,
    TEACHER_COLUMNS,
    TRUE_WORDS,
    YEAR_MAX,
    YEAR_MIN,
    Column,
    alias_map,
    columns_of,
    normalise_header,
    section_of_grade,
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


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _parse_number(value: object) -> float | None:
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
    number = _parse_number(value)
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
    number = _parse_number(value)
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
    number = _parse_number(value)
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
            if _is_blank(value):
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
                problems.append(src.at(pos, col.name, f"expected {expected}, got {_show(value)}"))
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


def check_geometries(
    gdf: gpd.GeoDataFrame,
    src: Source,
    *,
    allowed: tuple[str, ...],
    crs_m: str | None,
    optional: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check geometry types and validity; repair with `make_valid` what it can, saying so.

    Null and empty geometries (unless `optional`), and geometries of the wrong type, are errors.
    An invalid polygon
    that `make_valid` turns into a valid polygon is kept repaired, with a warning giving the
    reason and the area before and after (m², in `crs_m`).
    """
    problems: list[Problem] = []
    geoms = gdf.geometry.to_numpy().copy()
    for pos, geom in enumerate(geoms):
        if optional and (geom is None or geom.is_empty):
            geoms[pos] = None
            continue
        if geom is None:
            problems.append(src.at(pos, "geometry", "no geometry; draw or locate this feature"))
            continue
        if geom.is_empty:
            problems.append(src.at(pos, "geometry", "empty geometry; draw or locate this feature"))
            continue
        if geom.geom_type not in allowed:
            problems.append(src.at(pos, "geometry", f"expected {' or '.join(allowed)}, got "
                                   f"{geom.geom_type}"))
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            fixed = shapely.make_valid(geom)
            if fixed.geom_type == "GeometryCollection":
                polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                fixed = shapely.union_all(polys) if polys else fixed
            if fixed.is_empty or fixed.geom_type not in allowed + ("MultiPolygon",):
                problems.append(src.at(pos, "geometry", f"invalid geometry ({reason}) that "
                                       "make_valid cannot repair; redraw it"))
                continue
            area = _area(fixed, gdf.crs, crs_m)
            problems.append(src.at(pos, "geometry", f"invalid geometry ({reason}) repaired with "
                                   f"make_valid: the {geom.geom_type} became a "
                                   f"{fixed.geom_type} of {area}; check the shape",
                                   severity="warning"))
            geoms[pos] = fixed
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, problems


def _area(geom: object, crs: object, crs_m: str | None) -> str:
    if crs is None or crs_m is None:
        return "unknown area"
    return f"{gpd.GeoSeries([geom], crs=crs).to_crs(crs_m).iloc[0].area:,.0f} m²"


def check_lonlat(gdf: gpd.GeoDataFrame, src: Source) -> list[Problem]:
    """Report points (or polygon centres) in WGS84 that lie outside China."""
    problems: list[Problem] = []
    pts = gdf.geometry.representative_point()
    for pos, pt in enumerate(pts):
        if pt is None or pt.is_empty:
            continue
        x, y = pt.x, pt.y
        if not (CHINA_LON[0] <= x <= CHINA_LON[1] and CHINA_LAT[0] <= y <= CHINA_LAT[1]):
            hint = " (are longitude and latitude swapped?)" if (
                CHINA_LON[0] <= y <= CHINA_LON[1] and CHINA_LAT[0] <= x <= CHINA_LAT[1]) else (
                " (is the coordinate system declared right?)")
            problems.append(src.at(pos, "geometry", f"location ({x:.5f}, {y:.5f}) is outside "
                                   f"China{hint}"))
    return problems


def _dupes(series: pd.Series, src: Source, column: str, what: str) -> list[Problem]:
    problems = []
    first: dict[object, int] = {}
    for pos, value in enumerate(series.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if value in first:
            problems.append(src.at(pos, column, f"duplicate {what} {_show(value)} (first on "
                                   f"row {first[value] + src.row_base}); ids must be unique"))
        else:
            first[value] = pos
    return problems


def check_schools(schools: pd.DataFrame, src: Source) -> list[Problem]:
    """Check one school's columns against each other and ids against each other."""
    problems = _dupes(schools["school_id"], src, "school_id", "school_id")
    ids = set(schools["school_id"].dropna())
    cols = set(schools.columns)
    for pos, row in enumerate(schools.to_dict("records")):
        kind = row.get("kind")
        if kind is None or (isinstance(kind, float) and math.isnan(kind)):
            continue
        problems += _check_school_sections(row, pos, kind, src)
        problems += _check_school_teachers(row, pos, kind, cols, src)
        central = row.get("central_school_id")
        if kind == "teaching_point" and isinstance(central, str) and central and (
                central not in ids):
            problems.append(src.at(pos, "central_school_id", f"unknown central school "
                                   f"{_show(central)}; use a school_id of the schools layer"))
    for name in TEACHER_COLUMNS:
        has_p, has_j = f"{name}_primary" in cols, f"{name}_junior" in cols
        if has_p != has_j:
            missing = f"{name}_junior" if has_p else f"{name}_primary"
            problems.append(src.at(None, missing, f"per-section teacher columns come in pairs: "
                                   f"add `{missing}` or remove its partner"))
    return problems


def _check_school_sections(row: dict, pos: int, kind: str, src: Source) -> list[Problem]:
    """A school's students against its kind, and its classes against its students."""
    problems = []
    sections = KIND_SECTIONS[kind]
    for sec in SECTIONS:
        n = row.get(f"students_{sec}")
        if isinstance(n, int) and n > 0 and sec not in sections:
            problems.append(src.at(pos, f"students_{sec}", f"a {kind} school has no {sec} "
                                   f"section, but {n} {sec} students are given; check the "
                                   "kind or move the students"))
        classes, biggest = row.get(f"classes_{sec}"), row.get(f"max_class_size_{sec}")
        if not all(isinstance(v, int) for v in (n, classes, biggest)):
            continue
        if n > 0 and classes == 0:
            problems.append(src.at(pos, f"classes_{sec}", f"{n} {sec} students but 0 classes"))
        elif classes > 0 and biggest * classes < n:
            problems.append(src.at(pos, f"max_class_size_{sec}", f"largest class {biggest} is "
                                   f"smaller than the average class {n / classes:.1f} ({n} "
                                   f"students / {classes} classes)"))
    senior = row.get("students_senior")
    if isinstance(senior, int) and senior > 0 and kind not in KIND_HAS_SENIOR:
        problems.append(src.at(pos, "students_senior", f"a {kind} school has no senior "
                               f"section, but {senior} senior students are given"))
    return problems


def _check_school_teachers(row: dict, pos: int, kind: str, cols: set[str], src: Source
                           ) -> list[Problem]:
    """A school's teacher counts against its total, and per-section pairs against the whole."""
    problems = []
    total = row.get("teachers_total")
    for name in TEACHER_COLUMNS[1:]:
        v = row.get(name)
        if isinstance(v, int) and isinstance(total, int) and v > total:
            problems.append(src.at(pos, name, f"{v} exceeds teachers_total {total}"))
    for name in TEACHER_COLUMNS:
        p, j, whole = row.get(f"{name}_primary"), row.get(f"{name}_junior"), row.get(name)
        if not (f"{name}_primary" in cols and f"{name}_junior" in cols and all(
            isinstance(v, int) for v in (p, j, whole)
        )):
            continue
        # a school with a senior section counts its senior teachers in the total only
        if p + j > whole or (p + j != whole and kind not in KIND_HAS_SENIOR):
            rule = "at most" if kind in KIND_HAS_SENIOR else "equal to"
            problems.append(src.at(pos, f"{name}_primary", f"{name}_primary {p} + "
                                   f"{name}_junior {j} = {p + j} must be {rule} {name} "
                                   f"{whole}"))
    return problems


def check_references(
    *,
    schools: pd.DataFrame,
    units: pd.DataFrame | None,
    catchments: pd.DataFrame | None,
    enrolment: pd.DataFrame | None,
    sources: dict[str, Source],
) -> list[Problem]:
    """Check ids across layers: catchments and enrolment name known schools and units."""
    problems: list[Problem] = []
    kinds = {sid: k for sid, k in zip(schools["school_id"], schools["kind"], strict=True)
             if isinstance(k, str)}
    known = set(schools["school_id"])
    if units is not None:
        problems += _dupes(units["unit_id"], sources["units"], "unit_id", "unit_id")
    if catchments is not None:
        src = sources["catchments"]
        for pos, (sid, sec) in enumerate(zip(catchments["school_id"], catchments["section"],
                                             strict=True)):
            if sid not in known:
                problems.append(src.at(pos, "school_id", f"unknown school {_show(sid)}"))
            elif sid in kinds and isinstance(sec, str) and sec not in KIND_SECTIONS[kinds[sid]]:
                problems.append(src.at(pos, "section", f"school {sid} is a {kinds[sid]} school "
                                       f"and has no {sec} section"))
    if enrolment is not None:
        src = sources["enrolment"]
        unit_ids = set(units["unit_id"]) if units is not None else None
        seen: dict[tuple, int] = {}
        for pos, (uid, sid, grade) in enumerate(zip(enrolment["unit_id"], enrolment["school_id"],
                                                    enrolment["grade"], strict=True)):
            if unit_ids is not None and uid not in unit_ids:
                problems.append(src.at(pos, "unit_id", f"unknown unit {_show(uid)}; add it to "
                                       "the units layer or correct the id"))
            if sid not in known:
                problems.append(src.at(pos, "school_id", f"unknown school {_show(sid)}"))
            elif sid in kinds and isinstance(grade, int):
                sec = section_of_grade(grade)
                if sec not in KIND_SECTIONS[kinds[sid]]:
                    problems.append(src.at(pos, "grade", f"grade {grade} is {sec}, but school "
                                           f"{sid} is a {kinds[sid]} school"))
            key = (uid, sid, grade)
            if key in seen:
                problems.append(src.at(pos, "students", f"repeats unit {uid}, school {sid}, "
                                       f"grade {grade} of row {seen[key] + src.row_base}; add "
                                       "the two rows together"))
            else:
                seen[key] = pos
    return problems


def check_totals(schools: pd.DataFrame, enrolment: pd.DataFrame, src: Source
                 ) -> list[Problem]:
    """Report schools whose student counts disagree with the enrolment table, by section.

    (An enrolment derived from zoning has the statistics spread over it instead: see
    :func:`planner.io.derive.spread_statistics`.)
    """
    problems: list[Problem] = []
    enr = enrolment[[isinstance(g, int | np.integer) for g in enrolment["grade"]]].copy()
    enr = enr[[isinstance(n, int | np.integer) for n in enr["students"]]]
    enr["section"] = [section_of_grade(int(g)) for g in enr["grade"]]
    sums = enr.groupby(["school_id", "section"])["students"].sum()
    for pos, row in enumerate(schools.to_dict("records")):
        if row.get("kind") == "special":
            continue
        for sec in SECTIONS:
            given = row.get(f"students_{sec}")
            counted = int(sums.get((row["school_id"], sec), 0))
            if isinstance(given, int) and given != counted:
                problems.append(src.at(pos, f"students_{sec}", f"{given} {sec} students, but "
                                       f"the enrolment table counts {counted} at this school; "
                                       "make them agree"))
    return problems


def check_inside(
    points: gpd.GeoDataFrame, boundary: object, crs_m: str, src: Source
) -> list[Problem]:
    """Report points further than 500 m outside the county outline."""
    if boundary is None:
        return []
    pts = points.geometry.to_crs(crs_m)
    dist = pts.distance(boundary).to_numpy()
    return [
        src.at(pos, "geometry", f"location lies {dist[pos]:,.0f} m outside the county (the "
               "union of the units); check the coordinates and the coordinate system")
        for pos in np.flatnonzero(dist > OUTSIDE_TOLERANCE_M)
    ]


# --- meta, years and the tables of SPEC §5.2 ------------------------------------------------

@dataclass(frozen=True)
class MetaValues:
    """The meta keys of a workspace, parsed (see :class:`planner.workspace.Meta`)."""

    crs: str = ""
    profile: str = ""
    name: str = ""
    synthetic: bool = False
    region: str = "china"
    year: int | None = None
    enrolment_source: str = "table"
    units_source: str = ""
    catchments_source: str = ""
    distances_key: str = ""
    notice: tuple[tuple[str, str], ...] = ()


META_CHOICES = {
    "region": REGIONS,
    "enrolment_source": ("table", "zoning"),
    "units_source": ("", "voronoi_boundary", "voronoi_hull"),
    "catchments_source": ("", "lists"),
}


def check_meta(
    meta: dict[str, str], where: dict[str, tuple[str, int | None, str]], file: str
) -> tuple[MetaValues, list[Problem]]:
    """Parse and check a workspace's meta keys (or a workbook's settings).

    Parameters
    ----------
    meta
        Key → value as read.
    where
        Key → (layer as shown, row, column as shown), for messages.
    file
        The file name.

    Returns
    -------
    The parsed values and the problems: an unknown or geographic CRS, an unknown profile
    (built-in names only: a .toml profile is given on the command line), a region other than
    china/any, a year outside YEAR_MIN–YEAR_MAX, a schema version this planner does not read,
    two profile keys that disagree.
    """
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        layer, row, column = where.get(key, ("layer meta", None, key))
        if column == "value":  # a meta table's `value` column: say which key
            message = f"key `{key}`: {message}"
        problems.append(Problem(file, layer, row, column, message))

    values: dict[str, object] = {}
    version = meta.get("schema_version", "")
    if version and version not in SCHEMA_VERSIONS:
        bad("schema_version", f"schema version {_show(version)} is not one this planner reads "
            f"({', '.join(SCHEMA_VERSIONS)}); update the planner")
    _meta_profile(meta, values, bad)
    crs = meta.get("crs", "")
    why = crs_problem(crs) if crs else None
    if why:
        bad("crs", why)
    elif crs:
        values["crs"] = crs
    for key, allowed in META_CHOICES.items():
        text = meta.get(key, "")
        if key == "region":
            text = text.strip().lower()
        if text and text not in allowed:
            bad(key, f"expected one of {', '.join(a for a in allowed if a)}, got {_show(text)}")
        elif text:
            values[key] = text
    for key, kind in (("year", "year"), ("synthetic", "bool")):
        _meta_cell(meta, key, kind, values, bad)
    values["name"] = meta.get("name", "")
    values["distances_key"] = meta.get("distances_key", "")
    values["notice"] = tuple((k, meta[k]) for k in NOTICE_SETTINGS if meta.get(k, "").strip())
    return MetaValues(**values), problems


def _meta_profile(meta: dict[str, str], values: dict[str, object], bad) -> None:
    """The profile named by `profile` or `standards_profile` (built-in names only)."""
    from planner.standards import PROFILES

    profile, old = meta.get("profile", ""), meta.get("standards_profile", "")
    if profile and old and profile != old:
        bad("profile", f"`profile` {_show(profile)} and `standards_profile` {_show(old)} "
            "disagree; keep one")
    profile = profile or old
    if profile and profile not in PROFILES:
        key = "profile" if meta.get("profile") else "standards_profile"
        bad(key, f"unknown standards profile {_show(profile)}; built in: "
            f"{', '.join(PROFILES)} (a province's .toml profile is given with --profile)")
    else:
        values["profile"] = profile


def _meta_cell(meta: dict[str, str], key: str, kind: str, values: dict[str, object],
               bad) -> None:
    """A meta value parsed as a cell of `kind` (year, bool), when given."""
    text = meta.get(key, "")
    if not text:
        return
    parsed, expected = parse_cell(text, Column(key, kind, False, "", "", ""), 1.0)
    if expected:
        bad(key, f"expected {expected}, got {_show(text)}")
    else:
        values[key] = parsed


def crs_problem(text: str) -> str | None:
    """Return why a CRS cannot measure distances (unknown, geographic, not in metres), or None."""
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        return (f"unknown coordinate reference system {_show(text)}; give a projected CRS in "
                "metres such as EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114°E), or "
                "delete the key and the planner chooses one")
    if crs.to_epsg() in (3857, 900913):
        return (f"{_show(text)} is Web Mercator: its metres are stretched by 1/cos(latitude) "
                "(+24 % at 36°N), so distances and areas would be wrong; give a local projected "
                "CRS such as EPSG:4547, or delete the key and the planner chooses one")
    if not crs.is_projected:
        return (f"{_show(text)} is a geographic CRS (degrees): distances and areas need a "
                "projected CRS in metres, such as EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger "
                "CM 114°E); or delete the key and the planner chooses one")
    units = {axis.unit_name for axis in crs.axis_info}
    if units - {"metre"}:
        return (f"{_show(text)} measures in {', '.join(sorted(units))}, not metres; give a "
                "projected CRS in metres")
    return None


def check_region_points(gdf: gpd.GeoDataFrame, src: Source, region: str) -> list[Problem]:
    """Check WGS84 locations against China's extent, or skip it for region `any`."""
    if region == "any":
        return []
    return check_lonlat(gdf, src)


def _known(value: object, known: set, src: Source, pos: int, column: str, what: str,
           fix: str) -> list[Problem]:
    if isinstance(value, str) and value not in known:
        near = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return [src.at(pos, column, f"unknown {what} {_show(value)}{hint}; {fix}")]
    return []


def check_births(births: pd.DataFrame, unit_ids: set | None, src: Source,
                 year: int | None) -> list[Problem]:
    """Check the births table: known units, one row per unit and year, no year after `year`."""
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    for pos, (uid, y) in enumerate(zip(births["unit_id"], births["year"], strict=True)):
        if unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "births are counted for the units of the units layer")
        if isinstance(y, int) and year is not None and y > year:
            problems.append(src.at(pos, "year", f"births of {y} lie after the school year "
                                   f"{year} the workspace describes"))
        key = (uid, y)
        if key in seen:
            problems.append(src.at(pos, "year", f"repeats unit {uid}, year {y} of row "
                                   f"{seen[key] + src.row_base}; one row per unit and year"))
        else:
            seen[key] = pos
    return problems


def check_history(history: pd.DataFrame, unit_ids: set | None, kinds: dict[str, str],
                  src: Source, year: int | None) -> list[Problem]:
    """Check the enrolment history: known units, years before `year`, no repeated rows.

    A school id not among today's schools is a warning (it may have closed or been renamed);
    a grade the school does not teach is an error.
    """
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    unknown_schools: dict[str, int] = {}
    cols = zip(history["year"], history["unit_id"], history["school_id"], history["grade"],
               strict=True)
    for pos, (y, uid, sid, grade) in enumerate(cols):
        if unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "history rows name units of the units layer")
        if isinstance(y, int) and year is not None and y >= year:
            problems.append(src.at(pos, "year", f"school year {y} is not before the "
                                   f"workspace's school year {year}; history holds earlier "
                                   "years (today's enrolment is the enrolment layer)"))
        if isinstance(sid, str) and sid not in kinds:
            unknown_schools.setdefault(sid, pos)
        elif isinstance(sid, str) and isinstance(grade, int):
            sec = section_of_grade(grade)
            if sec not in KIND_SECTIONS[kinds[sid]]:
                problems.append(src.at(pos, "grade", f"grade {grade} is {sec}, but school {sid} "
                                       f"is a {kinds[sid]} school"))
        key = (y, uid, sid, grade)
        if key in seen:
            problems.append(src.at(pos, "students", f"repeats year {y}, unit {uid}, school "
                                   f"{sid}, grade {grade} of row {seen[key] + src.row_base}; "
                                   "add the two rows together"))
        else:
            seen[key] = pos
    for sid, pos in unknown_schools.items():
        problems.append(src.at(pos, "school_id", f"school {_show(sid)} is not among today's "
                               "schools (closed or renamed?); its rows count for the units' "
                               "history only", severity="warning"))
    return problems


def check_developments(dev: pd.DataFrame, unit_ids: set | None, src: Source) -> list[Problem]:
    """Check housing developments: each names a known unit or has a polygon (or both)."""
    problems: list[Problem] = []
    geoms = dev.geometry if isinstance(dev, gpd.GeoDataFrame) else [None] * len(dev)
    uids = dev["unit_id"] if "unit_id" in dev.columns else [None] * len(dev)
    for pos, (uid, geom) in enumerate(zip(uids, geoms, strict=True)):
        has_unit = isinstance(uid, str) and uid != ""
        if has_unit and unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "use a unit_id of the units layer")
        if not has_unit and (geom is None or geom.is_empty):
            problems.append(src.at(pos, "unit_id", "a development needs its unit_id or its "
                                   "polygon"))
    return problems


def check_capacity(schools: pd.DataFrame, src: Source) -> list[Problem]:
    """Check approved places: none for a section the school does not teach."""
    problems: list[Problem] = []
    for sec in SECTIONS:
        col = f"approved_places_{sec}"
        if col not in schools.columns:
            continue
        for pos, (kind, places) in enumerate(zip(schools["kind"], schools[col], strict=True)):
            if isinstance(kind, str) and isinstance(places, int) and places > 0 and (
                    sec not in KIND_SECTIONS[kind]):
                problems.append(src.at(pos, col, f"a {kind} school has no {sec} section, but "
                                       f"{places} approved {sec} places are given"))
    return problems


# --- the scenarios table and the distances cache -----------------------------------------

MAX_JSON_DEPTH = 32
_SHOWN_ROWS = 5  # a broken cache of 50 000 rows is reported by its first rows and a count


def _json_constant(name: str) -> float:
    msg = f"{name} is not a number JSON allows"
    raise ValueError(msg)


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def check_scenarios(df: pd.DataFrame, file: str) -> list[Problem]:
    """Check the `scenarios` table's structure: columns, names, bases and edits as JSON.

    Each row needs a unique non-empty name, a base that is `baseline` or another scenario
    (no cycle), and edits that are a JSON list of objects with a text `op` (no NaN or
    Infinity, nested at most MAX_JSON_DEPTH deep). What each edit does is checked when the
    scenario is applied.
    """
    from planner.plan.store import BASELINE
    from planner.schema import SCENARIO_COLUMNS

    src = Source(file, "layer scenarios", 1)
    missing = [c for c in SCENARIO_COLUMNS if c not in df.columns]
    if missing:
        return [src.at(None, ", ".join(missing), f"the scenarios table lacks column(s) "
                       f"{', '.join(missing)}; it needs {', '.join(SCENARIO_COLUMNS)}")]
    problems: list[Problem] = []
    names = [None if _is_blank(n) else str(n) for n in df["name"]]
    problems += _dupes(pd.Series(names, dtype=object), src, "name", "scenario name")
    bases: dict[str, str] = {}
    for pos, (name, base, edits) in enumerate(zip(names, df["base"], df["edits"], strict=True)):
        if name is None:
            problems.append(src.at(pos, "name", "a scenario needs a name"))
        base = None if _is_blank(base) else str(base)
        if base is None or (base != BASELINE and base not in names):
            problems.append(src.at(pos, "base", f"unknown base {_show(base)}; a scenario builds "
                                   f"on `{BASELINE}` or on another saved scenario"))
        elif name is not None:
            bases[name] = base
        if _is_blank(edits):
            problems.append(src.at(pos, "edits", "no edits (NULL or empty); a scenario without "
                                   "edits holds []"))
            continue
        try:
            value = json.loads(str(edits), parse_constant=_json_constant)
        except (ValueError, RecursionError) as exc:
            problems.append(src.at(pos, "edits", f"not JSON ({str(exc)[:80]})"))
            continue
        if _depth(value) > MAX_JSON_DEPTH:
            problems.append(src.at(pos, "edits", f"nested deeper than {MAX_JSON_DEPTH} levels"))
        elif not isinstance(value, list):
            problems.append(src.at(pos, "edits", f"expected a JSON list of edits, got "
                                   f"{type(value).__name__}"))
        else:
            for k, edit in enumerate(value, start=1):
                if not isinstance(edit, dict) or not isinstance(edit.get("op"), str):
                    problems.append(src.at(pos, "edits", f"edit {k} is not an object with a "
                                           f"text `op`: {_show(edit)}"))
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
        number = _parse_number(value)
        if number is None or not math.isfinite(number) or number < 0:
            bad.append((pos, value))
    problems = [src.at(pos, "distance_m", f"expected metres ≥ 0, got {_show(value)}; delete "
                       "the table (it is recomputed) or run `planner distances`")
                for pos, value in bad[:_SHOWN_ROWS]]
    if len(bad) > _SHOWN_ROWS:
        problems.append(src.at(None, "distance_m", f"and {len(bad) - _SHOWN_ROWS} more rows "
                               "like these"))
    return problems
