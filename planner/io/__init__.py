"""Reading and writing: GeoPackage workspaces, Excel/CSV tables, coordinates, OSM files."""
