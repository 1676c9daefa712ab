"""The folium map in the app: rendered once per scenario and settings, then only re-sent.

streamlit-folium's `st_folium` renders the whole map on every rerun (about a second on the demo
county); here the pieces it sends to its component are made once and kept in the session, and
the component is called with them directly. A click returns only the clicked object's tooltip
text, from which the page reads the school or unit id.
"""

from dataclasses import dataclass

import folium
import streamlit_folium as sf


@dataclass(frozen=True)
class MapParts:
    """What the map component needs, made once from a folium map."""

    script: str
    header: str
    html: str
    map_id: str
    css: tuple[str, ...]
    js: tuple[str, ...]
    bounds: dict


def map_parts(m: folium.Map) -> MapParts:
    """Render a folium map into the strings streamlit-folium's component draws."""
    m.get_root().render()
    m.render()
    html, header = sf._get_html(m), sf._get_header(m)
    script = sf._get_map_string(m)
    (s, w), (n, e) = m.get_bounds()
    css, js = [], []
    for href in (h for _, h in m.default_css):
        css.append(href)
    for src in (h for _, h in m.default_js):
        js.append(src)
    return MapParts(script=script, header=header, html=html, map_id=sf.get_full_id(m),
                    css=tuple(dict.fromkeys(css)), js=tuple(dict.fromkeys(js)),
                    bounds={"_southWest": {"lat": s, "lng": w},
                            "_northEast": {"lat": n, "lng": e}})


RETURNED = ["last_object_clicked_tooltip"]


def component_key(parts: MapParts, key: str) -> str:
    """The component's widget key (streamlit-folium's: a hash of the script and `key`)."""
    return sf.generate_js_hash(parts.script, key, False)


def show(parts: MapParts, *, key: str, height: int, on_click=None) -> dict:
    """Draw the map; return the last clicked object's tooltip text (or an empty dict)."""
    default = {"last_object_clicked_tooltip": None}
    return sf._component_func(
        script=parts.script, header=parts.header, html=parts.html, id=parts.map_id,
        key=component_key(parts, key), height=height, width=None, returned_objects=RETURNED,
        default=default, zoom=None, center=None, feature_group=None, return_on_hover=False,
        layer_control=None, pixelated=False, css_links=list(parts.css), js_links=list(parts.js),
        on_change=on_click, wrap_longitude=False) or default
