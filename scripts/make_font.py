"""Make planner/report/assets/fonts/PlannerSansSC-Regular.otf, the CJK font of the charts.

A subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1) holding every character of
GB 2312 (the 6 763 hanzi of everyday Chinese and its symbols), ASCII, CJK punctuation and
full-width forms. It is renamed, as the OFL asks of a modified version. matplotlib measures
chart text with it (the SVG leaves text as text for the reader's browser to draw) and draws
with it where a picture is raster. Run once from the repository root with Debian's
fonts-noto-cjk installed: python scripts/make_font.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUT = Path(__file__).resolve().parent.parent / "planner/report/assets/fonts"
FAMILY = "Planner Sans SC"


def characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    chars |= {ord(c) for c in "·—–…‘’“”→←↑↓●○■□▲△★☆※⚠✓✗×÷±≤≥≠≈°²³㎡μ‰€¥"}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars |= {ord(c) for c in bytes([hi, lo]).decode("gb2312")}
            except UnicodeDecodeError:
                pass
    return chars


def main() -> None:
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts
                if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.layout_features = []  # matplotlib neither shapes nor substitutes
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=characters())
    sub.subset(font)
    names = font["name"]
    for rec in names.names:
        if rec.nameID in (1, 16):
            rec.string = FAMILY
        elif rec.nameID == 4:
            rec.string = f"{FAMILY} Regular"
        elif rec.nameID == 6:
            rec.string = "PlannerSansSC-Regular"
        elif rec.nameID == 3:
            rec.string = "PlannerSansSC-Regular subset of NotoSansCJKsc-Regular"
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = ["PlannerSansSC-Regular"]
    OUT.mkdir(parents=True, exist_ok=True)
    font.save(OUT / "PlannerSansSC-Regular.otf")
    print(OUT / "PlannerSansSC-Regular.otf", (OUT / "PlannerSansSC-Regular.otf").stat().st_size)


if __name__ == "__main__":
    main()
