"""Excel workbooks and CSV files as bureaus keep them, and the fill-in template.

Sheets and files are found by their English or Chinese names (schools/学校, units/居住单元,
enrolment/就读, births/出生, enrolment_history/就读历史, developments/新建住宅, county/县级指标,
settings/设置); headers may be canonical or the Chinese
statistical headers (see planner.schema). Row numbers in messages are the spreadsheet's own
(header on row 1), so a planner can go straight to the cell.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from planner import validate as v
from planner.errors import InputError, Problem
from planner.io.gpkg import atomic_write
from planner.io.raw import RawLayers
from planner.report.escape import csv_frame, write_cell
from planner.schema import (
    APPROVED_CLASS_COLUMNS,
    BIRTHS_COLUMNS,
    COUNTY_COLUMNS,
    DEVELOPMENT_COLUMNS,
    ENROLMENT_COLUMNS,
    ENROLMENT_HISTORY_COLUMNS,
    GRADES,
    LAYER_SHEETS,
    LAYER_ZH,
    LONLAT_COLUMNS,
    NOTICE_SETTINGS,
    SCHOOL_CAPACITY_COLUMNS,
    SCHOOL_COLUMNS,
    SCHOOL_SECTION_COLUMNS,
    UNIT_COLUMNS,
    ZONING_LIST_COLUMNS,
    Column,
    normalise_header,
    section_grades,
)

SETTING_KEYS = {
    "coord_system": "coord_system", "坐标系": "coord_system",
    "name": "name", "县名": "name", "县(市、区)名称": "name",
    "standards_profile": "standards_profile", "评估标准": "standards_profile",
    "crs": "crs", "投影坐标系": "crs",
    "profile": "profile",
    "region": "region", "地区范围": "region", "地区": "region",
    "year": "year", "学年": "year", "统计学年": "year",
    "boundary": "boundary", "县域边界": "boundary", "边界文件": "boundary",
    **{k: k for k in NOTICE_SETTINGS}, **{zh: k for k, (zh, _) in NOTICE_SETTINGS.items()},
}
_SHEET_LOOKUP = {normalise_header(n): layer for layer, names in LAYER_SHEETS.items()
                 for n in names}


def _trim(df: pd.DataFrame) -> pd.DataFrame:
    """Drop trailing rows that are entirely empty (Excel often keeps formatted blank rows)."""
    blank = df.isna().all(axis=1) | df.astype(str).apply(lambda c: c.str.strip() == "").all(axis=1)
    keep = len(df)
    while keep > 0 and blank.iloc[keep - 1]:
        keep -= 1
    return df.iloc[:keep]


def _settings(df: pd.DataFrame, layer: str, raw: RawLayers) -> None:
    """Read key/value rows into `raw.meta`; the sheet has no header, so its first row counts."""
    if df.shape[1] < 2:
        return
    rows = [tuple(df.columns[:2]), *zip(df.iloc[:, 0], df.iloc[:, 1], strict=True)]
    for row, (key, value) in enumerate(rows, start=1):
        name = SETTING_KEYS.get(normalise_header(key)) or SETTING_KEYS.get(str(key).strip())
        if name and not pd.isna(value):
            text = str(value).strip()
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
            raw.meta[name] = text
            raw.meta_where[name] = (layer, row, str(key).strip())


def read_workbook(path: Path) -> RawLayers:
    """Read an Excel workbook's sheets for :func:`planner.io.load.assemble`.

    Cells are read as they are stored: a formula is refused (its cached result may be stale or
    missing, and data is never code), as are error values (#DIV/0!) and values in a column
    without a header. Two sheets of one layer (学校 and schools) are refused as ambiguous.

    Raises
    ------
    InputError
        The file is missing or is not an Excel workbook, or any of the above, located.
    """
    if not path.exists():
        raise InputError.single(path.name, f"file not found: {path}")
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, ValueError, KeyError, OSError,
            TypeError) as exc:
        msg = f"cannot be read as an Excel workbook ({exc}); save it as .xlsx"
        raise InputError.single(path.name, msg) from exc
    raw = RawLayers(file=path.name, from_tables=True)
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    try:
        for sheet in wb.worksheets:
            layer = _SHEET_LOOKUP.get(normalise_header(sheet.title))
            if layer is None:
                continue
            if layer in seen:
                problems.append(Problem(path.name, f"sheet {sheet.title}", None, "",
                                        f"sheets {seen[layer]!r} and {sheet.title!r} both hold "
                                        f"the {layer} ({LAYER_ZH.get(layer, '设置')}); keep one"))
                continue
            seen[layer] = sheet.title
            df, found = _sheet_frame(sheet, path.name, settings=layer == "settings")
            problems += found
            if layer == "settings":
                _settings(df, f"sheet {sheet.title}", raw)
            else:
                raw.layers[layer] = (_trim(df), v.Source(path.name, f"sheet {sheet.title}", 2))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        msg = f"cannot be read as an Excel workbook ({exc}); save it as .xlsx"
        raise InputError.single(path.name, msg) from exc
    finally:
        wb.close()
    if problems:
        raise InputError(problems)
    return raw


def _sheet_frame(sheet, file: str, *, settings: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Return a sheet's values under its first row's headers, and its located problems."""
    layer = f"sheet {sheet.title}"
    rows = [list(r) for r in sheet.iter_rows()]
    problems: list[Problem] = []
    if not rows:
        return pd.DataFrame(), problems
    width = max(len(r) for r in rows)
    grid = [[None] * width for _ in rows]
    header = [None] * width
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            value, kind = getattr(cell, "value", None), getattr(cell, "data_type", None)
            label = (_label(rows[i][0]) if settings else _label(rows[0][j] if j < len(rows[0])
                                                                 else None)) or _letter(j)
            if kind == "f":
                problems.append(Problem(file, layer, i + 1, label, f"formula, not a value: "
                                        f"enter the value (the cell holds {v.show(value)})"))
                value = None
            elif kind == "e":
                problems.append(Problem(file, layer, i + 1, label, f"an error value "
                                        f"{v.show(value)}, not a value: enter the value"))
                value = None
            if i == 0:
                header[j] = value
            else:
                grid[i][j] = value
    data = grid[1:]
    keep, names, first = [], [], {}
    for j, h in enumerate(header):
        has_data = any(r[j] is not None and str(r[j]).strip() != "" for r in data)
        text = None if h is None or str(h).strip() == "" else str(h).strip()
        if text is None:
            if has_data and not settings:
                problems.append(Problem(file, layer, None, _letter(j), "values in a column "
                                        "without a header: give it one of the template's "
                                        "headers, or delete the column"))
            if not settings:
                continue
            text = f"Unnamed: {j}"
        if text in first and not settings:
            problems.append(Problem(file, layer, None, text, f"the header appears twice (columns "
                                    f"{_letter(first[text])} and {_letter(j)}); keep one"))
            continue
        first[text] = j
        keep.append(j)
        names.append(h if settings else text)
    frame = pd.DataFrame([[r[j] for j in keep] for r in data], columns=names, dtype=object)
    return frame, problems


def _label(cell) -> str:
    value = getattr(cell, "value", None)
    return "" if value is None or getattr(cell, "data_type", None) == "f" else str(value).strip()


def _letter(j: int) -> str:
    return get_column_letter(j + 1)


def _read_csv(path: Path) -> pd.DataFrame:
    last: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError as exc:
            raise InputError.single(path.name, "the file is empty; it needs a header row and "
                                    "data rows") from exc
        except pd.errors.ParserError as exc:
            msg = f"cannot be read as CSV ({str(exc).strip()})"
            raise InputError.single(path.name, msg) from exc
    raise InputError.single(path.name, f"cannot decode the file as UTF-8 or GB18030 ({last})")


def read_csv_tables(path: Path) -> RawLayers:
    """Read a schools CSV, or a folder of CSVs named after the layers, for `assemble`."""
    if not path.exists():
        raise InputError.single(path.name, f"file not found: {path}")
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    raw = RawLayers(file=path.name, from_tables=True)
    for f in files:
        layer = _SHEET_LOOKUP.get(normalise_header(f.stem))
        if not path.is_dir():
            layer = "schools"
        if layer == "settings":
            _settings(_read_csv(f), f.name, raw)
        elif layer is not None:
            df = _trim(_read_csv(f).replace("", None))
            raw.layers[layer] = (df, v.Source(f.name, "", 2))
    return raw


# --- the template --------------------------------------------------------------------------

EXAMPLE_SCHOOL = {
    "school_id": "4199230001", "name": "示例县实验小学", "kind": "小学", "area_type": "城区",
    "public": "是", "boarding": "否", "central_school_id": None,
    "address": "示例县城关镇建设路1号", "phone": "000-1234567", "students_primary": 270,
    "students_junior": 0, "students_senior": 0, "classes_primary": 6, "classes_junior": 0,
    "max_class_size_primary": 46, "max_class_size_junior": 0, "classrooms": 8,
    "teachers_total": 18, "teachers_certified": 18, "teachers_above_degree": 15,
    "teachers_backbone": 3, "teachers_pe_art": 3, "teaching_aux_area_m2": 1350.0,
    "sports_area_m2": 2300.0, "equipment_value_yuan": 620000.0, "multimedia_rooms": 8,
    "music_rooms": 1, "music_room_min_area_m2": 96.0, "art_rooms": 1,
    "art_room_min_area_m2": 90.0, "approved_places_primary": 360, "approved_places_junior": None,
    "shrink_only": "否", "computers": 30, "books": 8100, "teachers_intermediate_title": 9,
    "lon": 115.2042, "lat": 36.0751,
}
EXAMPLE_UNIT = {"unit_id": "419923100001", "name": "示例社区", "area_type": "城区",
                "township": "城关镇",
                **{f"g{g}": n for g, n in zip(GRADES, (46, 45, 45, 44, 45, 45, 0, 0, 0),
                                               strict=True)},
                "lon": 115.2060, "lat": 36.0770}
EXAMPLE_LIST = {"school_id": EXAMPLE_SCHOOL["school_id"], "school_name": EXAMPLE_SCHOOL["name"],
                "section": "小学", "units": "示例社区", "township": None}
EXAMPLE_YEAR = 2026
# births six years before each grade's entry: grade 1 of 2026 was born in 2020
EXAMPLE_BIRTHS = [{"unit_id": EXAMPLE_UNIT["unit_id"], "year": y, "births": n}
                  for y, n in ((2018, 52), (2019, 49), (2020, 47), (2021, 41), (2022, 37),
                               (2023, 35), (2024, 36))]
EXAMPLE_HISTORY = [{"year": 2025, "unit_id": EXAMPLE_UNIT["unit_id"],
                    "school_id": EXAMPLE_SCHOOL["school_id"], "grade": 1, "students": 45}]
EXAMPLE_DEVELOPMENT = {"unit_id": EXAMPLE_UNIT["unit_id"], "name": "示例小区二期",
                       "first_year": 2027, "dwellings": 480}
EXAMPLE_COUNTY = {"indicator_id": "G8", "value": 1.02,
                  "evidence": "县财政局、人社局关于教师工资收入的说明（2024年）",
                  "source": "县人社局"}


def _write_sheet(ws, columns: tuple[Column, ...], rows: list[dict]) -> None:
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.zh)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = max(10, len(col.zh) * 2 + 2)
        for i, row in enumerate(rows, start=2):
            write_cell(ws, i, j, row.get(col.name))  # data, never a formula
    ws.freeze_panes = "A2"


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a table as a UTF-8 CSV file, atomically; text that looks like a formula stays text.

    Text cells starting like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) are
    written with a leading ``'`` (planner/report/escape.py), so a spreadsheet program opening
    the file shows them and evaluates nothing. Numbers are written as they are.

    Returns
    -------
    The path written.
    """
    table = csv_frame(frame)
    return atomic_write(Path(path), lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8"))


def write_workbook(path: str | Path, sheets: dict[str, tuple[tuple[Column, ...], list[dict]]],
                   settings: list[tuple[str, object, str]]) -> Path:
    """Write a filled workbook in the template's form: Chinese headers, rows, settings.

    Parameters
    ----------
    path
        The .xlsx file, written atomically.
    sheets
        Sheet name → (its columns, its rows as canonical-name dicts), in order.
    settings
        (key, value, explanation) rows of the sheet 设置.

    Returns
    -------
    The path written.
    """
    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        _write_sheet(wb.create_sheet(name), columns, rows)
    _write_settings(wb.create_sheet("设置"), settings)
    return atomic_write(Path(path), lambda tmp: wb.save(tmp))


def _write_settings(ws, settings: list[tuple[str, object, str]]) -> None:
    for i, (key, value, doc) in enumerate(settings, start=1):
        ws.cell(row=i, column=1, value=key).font = Font(bold=True)
        write_cell(ws, i, 2, value)
        ws.cell(row=i, column=3, value=doc)
    ws.column_dimensions["C"].width = 80


def _dropdown(ws, columns: tuple[Column, ...], name: str, values: str) -> None:
    j = [c.name for c in columns].index(name) + 1
    letter = ws.cell(row=1, column=j).column_letter
    dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
    dv.add(f"{letter}2:{letter}2000")
    ws.add_data_validation(dv)


def write_template(path: str | Path) -> Path:
    """Write the fill-in workbook: Chinese headers, one example row per sheet, an explanation.

    The example rows are consistent with each other (the school's students equal the
    enrolment rows), so the template as written validates clean.

    Returns
    -------
    The path written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError.single(path.name, "the template is an Excel workbook; name it .xlsx")
    school_cols = SCHOOL_COLUMNS + SCHOOL_CAPACITY_COLUMNS + LONLAT_COLUMNS
    unit_cols = UNIT_COLUMNS + LONLAT_COLUMNS
    wb = Workbook()
    ws = wb.active
    ws.title = LAYER_ZH["schools"]
    _write_sheet(ws, school_cols, [EXAMPLE_SCHOOL])
    _dropdown(ws, school_cols, "kind", "小学,初级中学,九年一贯制学校,十二年一贯制学校,完全中学,"
              "教学点,特殊教育学校")
    _dropdown(ws, school_cols, "area_type", "城区,镇区,乡村")
    for name in ("public", "boarding", "shrink_only"):
        _dropdown(ws, school_cols, name, "是,否")
    _write_sheet(wb.create_sheet(LAYER_ZH["units"]), unit_cols, [EXAMPLE_UNIT])
    lists = wb.create_sheet(LAYER_ZH["zoning_lists"])
    _write_sheet(lists, ZONING_LIST_COLUMNS, [EXAMPLE_LIST])
    _dropdown(lists, ZONING_LIST_COLUMNS, "section", "小学,初中")
    lists.column_dimensions["D"].width = 60
    enrol = [{"unit_id": EXAMPLE_UNIT["unit_id"], "school_id": EXAMPLE_SCHOOL["school_id"],
              "grade": g, "students": EXAMPLE_UNIT[f"g{g}"]} for g in section_grades("primary")]
    _write_sheet(wb.create_sheet(LAYER_ZH["enrolment"]), ENROLMENT_COLUMNS, enrol)
    _write_sheet(wb.create_sheet(LAYER_ZH["births"]), BIRTHS_COLUMNS, EXAMPLE_BIRTHS)
    _write_sheet(wb.create_sheet(LAYER_ZH["enrolment_history"]), ENROLMENT_HISTORY_COLUMNS,
                 EXAMPLE_HISTORY)
    _write_sheet(wb.create_sheet(LAYER_ZH["developments"]), DEVELOPMENT_COLUMNS,
                 [EXAMPLE_DEVELOPMENT])
    _write_sheet(wb.create_sheet(LAYER_ZH["county"]), COUNTY_COLUMNS, [EXAMPLE_COUNTY])
    _write_settings(wb.create_sheet("设置"), [
        ("坐标系", "WGS84", "经纬度的坐标系：WGS84（GPS）、CGCS2000、GCJ-02（高德、腾讯）或 "
         "BD-09（百度），导入时统一转换为 WGS84"),
        ("县名", "示例县", "县（市、区）名称"),
        ("评估标准", "national_2017", "评估标准：national_2017（教督〔2017〕6号）或 henan"),
        ("学年", EXAMPLE_YEAR, "在校生数据所属学年（秋季学期所在年份，如 2026 表示 2026—2027 "
         "学年）"),
        ("地区范围", "china", "china：坐标须在中国境内；any：不检查（境外数据，按所在 UTM "
         "带计算距离）"),
        ("县域边界", None, "可选：与本表同一文件夹的县域边界文件名（GeoJSON、Shapefile、"
         "GeoPackage 或 KML）；村社区只给经纬度时，按泰森多边形（Voronoi）划分并裁剪到边界；"
         "不填则裁剪到各点外包多边形的缓冲区"),
        *_notice_settings(),
    ])
    _write_explanations(wb.create_sheet("说明"), school_cols, unit_cols)
    return atomic_write(path, lambda tmp: wb.save(tmp))


def _notice_settings() -> list[tuple[str, object, str]]:
    """The catchment notice's texts, blank: each explained with the default printed instead."""
    from planner.i18n import t

    return [(zh, None, f"可选：招生划片范围公告中的{zh.removeprefix('公告')}；不填时印默认文本"
             "（并标明待核改）："
             f"{t(default, 'zh', county='XX县')}") for zh, default in NOTICE_SETTINGS.values()]


def _write_explanations(ws, school_cols, unit_cols) -> None:
    heads = ("工作表 sheet", "表头 header", "字段 column", "必填 required", "说明", "meaning",
             "其他可用表头 aliases")
    for j, h in enumerate(heads, start=1):
        ws.cell(row=1, column=j, value=h).font = Font(bold=True)
    r = 2
    groups = (("schools", school_cols + SCHOOL_SECTION_COLUMNS + APPROVED_CLASS_COLUMNS),
              ("units", unit_cols), ("zoning_lists", ZONING_LIST_COLUMNS),
              ("enrolment", ENROLMENT_COLUMNS),
              ("births", BIRTHS_COLUMNS), ("enrolment_history", ENROLMENT_HISTORY_COLUMNS),
              ("developments", DEVELOPMENT_COLUMNS), ("county", COUNTY_COLUMNS))
    for layer, cols in groups:
        for col in cols:
            values = (LAYER_ZH[layer], col.zh, col.name, "是" if col.required else "否",
                      col.zh_doc, col.en, "、".join(col.aliases))
            for j, value in enumerate(values, start=1):
                ws.cell(row=r, column=j, value=value)
            r += 1
    for letter, width in zip("ABCDEFG", (10, 24, 28, 8, 50, 50, 40), strict=True):
        ws.column_dimensions[letter].width = width
