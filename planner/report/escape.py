"""Escape a data string for the place it is written: HTML, JavaScript, Markdown, spreadsheets.

Data (school and unit names, ids, notes, evidence, scenario names) is never code. Every string
that comes from a workspace or a user and is written into a page, a script, a map or a workbook
goes through one of these functions, chosen by where it lands:

- :func:`html_text` — HTML text or a quoted attribute value. It is also safe where folium and
  branca put text: their elements are rendered by Jinja and the result is compiled *again* as a
  Jinja template (``branca.element.MacroElement.render`` wraps each rendered macro in
  ``Element(text)``, whose text is template source), and Leaflet writes tooltips, popups, layer
  names and GeoJSON properties shown by ``GeoJsonTooltip`` with ``innerHTML``, some of them
  inside JavaScript template literals. So besides ``& < > " '`` it encodes ``{ }`` (no ``{{``,
  ``{%`` or ``{#`` survives to be evaluated), the backtick, ``$`` and the backslash (no way out
  of a template literal) and line breaks, all as numeric character references that the browser
  shows as the original characters.
- :func:`js_string` — a JavaScript string literal (with its quotes) for a ``<script>``.
- :func:`markdown_text` — text in Streamlit Markdown (headers, captions, messages).
- :func:`cell_value` and :func:`csv_frame` — spreadsheet cells: a text that Excel or
  LibreOffice would take as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage
  return; OWASP's CSV-injection guidance) is written as text; numbers stay numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# HTML's own five plus what Jinja, JavaScript template literals and line terminators need.
_HTML = {ord(c): f"&#{ord(c)};" for c in "'`${}\\\r\n\u2028\u2029"} | {
    ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
_JS = {ord(c): f"\\u{ord(c):04x}" for c in "<>&'`${}\u2028\u2029"}
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>~:$|^])")
_MARKDOWN_LINE = re.compile(r"^(\s*|\s*\d+)([-+#=]|(?<=\d)[.)])", flags=re.M)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def html_text(value: object) -> str:
    """Return `value` as HTML text, safe in element content and quoted attributes.

    Also safe where the HTML is later compiled as a Jinja template (folium, branca) or placed
    in a JavaScript template literal, as Leaflet's tooltips and popups are. None and NaN give
    an empty string.

    Parameters
    ----------
    value
        Any value; it is shown as ``str(value)``.

    Returns
    -------
    The escaped text.
    """
    return _text(value).translate(_HTML)


html_attr = html_text  # the same guarantees hold inside a quoted attribute value


def js_string(value: object) -> str:
    r"""Return `value` as a JavaScript string literal (quotes included) for a ``<script>``.

    ``<``, ``>``, ``&`` and the quote characters are written as ``\u`` escapes, so
    ``</script>`` cannot close the script and the literal cannot be left; braces too, so the
    script survives being compiled as a Jinja template.
    """
    return json.dumps(_text(value), ensure_ascii=False).translate(_JS)


def js_value(value: object) -> str:
    """Return `value` (numbers, strings, lists, dicts) as a JavaScript literal for a ``<script>``.

    JSON with the escapes of :func:`js_string` in every string: safe inside ``<script>`` and
    through Jinja. Strings meant to be shown as HTML must be :func:`html_text` first.
    """
    if isinstance(value, str):
        return js_string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{js_string(k)}: {js_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(js_value(v) for v in value) + "]"
    return json.dumps(value, allow_nan=False)  # numbers, booleans, None


def markdown_text(value: object) -> str:
    """Return `value` escaped for Streamlit Markdown: shown as written, never as markup.

    The characters that make emphasis, code, links, images, HTML, tables, Streamlit's colour
    directives (``:red[…]``), icons (``:material/…:``) and LaTeX (``$…$``) are
    backslash-escaped everywhere, and those that make headings, lists and rules only at the
    start of a line, so "junior-opt-2" stays as it is.
    """
    text = _MARKDOWN.sub(r"\\\1", _text(value))
    return _MARKDOWN_LINE.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def html_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Return a copy of `frame` whose text columns (or `columns`) are :func:`html_text`-escaped.

    For tables and GeoJSON properties written into folium maps. Numbers are left as they are.
    """
    out = frame.copy()
    names = list(columns) if columns is not None else [
        c for c in out.columns if c != "geometry" and (
            pd.api.types.is_object_dtype(out[c]) or pd.api.types.is_string_dtype(out[c]))]
    for c in names:
        out[c] = [html_text(v) if isinstance(v, str) else v for v in out[c]]
    return out


def is_formula_like(value: object) -> bool:
    """Return whether a spreadsheet program would read `value` as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cell_value(value: object) -> object:
    """Return `value` ready for an openpyxl cell: NaN as empty, everything else unchanged.

    Text that looks like a formula must also be stored as text; :func:`write_cell` does both.
    """
    if isinstance(value, float) and value != value:
        return None
    return value


def write_cell(sheet, row: int, column: int, value: object):
    """Write one value into an openpyxl sheet, never as a formula; return the cell.

    Text is always stored as a string cell (``data_type`` ``s``) with Excel's quote prefix
    when it starts like a formula, so the program shows the text and does not evaluate it.
    """
    value = cell_value(value)
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        # assigning `cell.value` would make any text starting with "=" a formula; characters
        # that XML cannot hold are shown as U+FFFD, as openpyxl would otherwise refuse them
        cell._value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def csv_value(value: object) -> object:
    """Return `value` for a CSV file: formula-like text prefixed with ``'``; numbers unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` whose formula-like text cells are prefixed with ``'``."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_object_dtype(out[c]) or pd.api.types.is_string_dtype(out[c]):
            out[c] = [csv_value(v) for v in out[c]]
    return out
