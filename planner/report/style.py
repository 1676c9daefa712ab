"""Colours shared by the app's maps, the reports' figures and the tables: one place for each."""

from __future__ import annotations

import colorsys

import numpy as np

GOOD, WARN, BAD, NONE = "#2ca02c", "#ff9f1c", "#d62728", "#9e9e9e"
STATUS_COLOURS = {"pass": GOOD, "fail": BAD, "out": NONE}
# light fills of table cells: meets the threshold / reaches 85 % of it / below (Excel, app)
CELL_FILLS = {"pass": "#c6efce", "warn": "#ffeb9c", "fail": "#ffc7ce"}
FLOW = "#7b3294"
ROAD = "#b08850"
TOWNSHIP = "#444444"


def palette(n: int) -> list[str]:
    """Return n distinguishable pastel colours (golden-angle hues), deterministic."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hls_to_rgb((i * 0.618033988749895) % 1.0, 0.72, 0.55)
        out.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return out


def ramp(x: float) -> str:
    """Return the colour of x in [0, 1] on a white → dark blue ramp."""
    x = float(np.clip(x, 0, 1))
    r, g, b = (int(247 - x * (247 - 8)), int(251 - x * (251 - 48)), int(255 - x * (255 - 107)))
    return f"#{r:02x}{g:02x}{b:02x}"
