"""Rewrite the data-format tables of docs/reference/data-format.md from planner.schema.

The tables stand between the markers, one per layer, each column with its Chinese header.

python scripts/doc_columns.py
"""

from __future__ import annotations

from pathlib import Path

from planner.io.load import WKT_COLUMN
from planner.schema import (
    APPROVED_CLASS_COLUMNS,
    IMPORT_COLUMNS,
    LAYER_COLUMNS,
    LONLAT_COLUMNS,
    YEAR_MAX,
    YEAR_MIN,
)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "data-format.md"
START, END = "<!-- columns: made by scripts/doc_columns.py -->", "<!-- /columns -->"


def tables() -> str:
    out = []
    for layer, cols in {**LAYER_COLUMNS, **IMPORT_COLUMNS}.items():
        title = f"**`{layer}`**" + (" (sheet 划片, import only)" if layer in IMPORT_COLUMNS
                                    else "")
        out += [title, "",
                "| column | Chinese header | other accepted headers | required | at most | "
                "meaning |",
                "|---|---|---|---|---|---|"]
        extra = {"schools": LONLAT_COLUMNS + APPROVED_CLASS_COLUMNS,
                 "units": LONLAT_COLUMNS + (WKT_COLUMN,),
                 "developments": (WKT_COLUMN,)}.get(layer, ())
        for c in cols + extra:
            req = "yes" if c.required else "no"
            if c.name in ("lon", "lat", "wkt"):
                req = {"schools": "tables only", "units": "tables: lon/lat or wkt"}.get(
                    layer, "tables: unit_id or wkt")
            if c.name.startswith("approved_classes"):
                req = "import only"
            most = (f"{c.upper:,.0f}" if c.upper is not None else
                    f"{YEAR_MIN}–{YEAR_MAX}" if c.kind == "year" else "")
            out.append(f"| `{c.name}` | {c.zh} | {'、'.join(c.aliases)} | {req} | {most} | "
                       f"{c.en} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    PAGE.write_text(f"{head}{START}\n\n{tables()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
