"""Rendering: folium maps, and later the HTML and Excel reports."""
