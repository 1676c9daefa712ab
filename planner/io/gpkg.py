"""GeoPackage workspaces through pyogrio: atomic writes, raw layer reads."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyogrio

from planner.errors import InputError
from planner.workspace import Workspace

LAYER_ORDER = ("schools", "units", "catchments", "enrolment", "county", "births",
               "enrolment_history", "developments", "zoning_matches", "nodes", "edges", "meta",
               "scenarios", "distances")


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary sibling, then rename it over `path`.

    `write` receives the temporary path. If it raises, the temporary file is removed and any
    earlier file at `path` is left exactly as it was.

    Returns
    -------
    The final path.
    """
    path = Path(path)
    if not path.parent.exists():
        msg = f"{path}: folder {path.parent} does not exist"
        raise InputError.single(path.name, msg)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                               dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL want to create the file themselves
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def write_workspace(ws: Workspace, path: str | Path) -> Path:
    """Write every layer of a workspace to one GeoPackage, atomically.

    Spatial layers are written in their CRS (WGS84 for a canonical workspace); tables (enrolment,
    county, births, enrolment_history, meta, scenarios) as GeoPackage attribute tables;
    `developments` as a polygon layer when any row has a polygon, else as a table.

    Parameters
    ----------
    ws
        The workspace.
    path
        The .gpkg file to write; an existing file is replaced only once the new one is complete.

    Returns
    -------
    The path written.
    """
    layers = ws.layers()

    def write(tmp: Path) -> None:
        for name in LAYER_ORDER:
            if name in layers:
                frame = layers[name]
                if name == "developments" and frame.geometry.isna().all():
                    frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")

    return atomic_write(path, write)


def write_table(path: str | Path, name: str, table: pd.DataFrame) -> None:
    """Replace one table of an existing GeoPackage, leaving its other layers as they are.

    Used for the small `scenarios` table, saved after every edit in the app; GDAL drops and
    recreates the one layer inside the file.
    """
    pyogrio.write_dataframe(table, Path(path), layer=name, driver="GPKG")


def read_layers(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read every layer of a GeoPackage as (Geo)DataFrames, by layer name.

    Raises
    ------
    InputError
        The file is missing, not a GeoPackage, or corrupt.
    """
    path = Path(path)
    if not path.exists():
        raise InputError.single(path.name, f"file not found: {path}")
    try:
        with warnings.catch_warnings():
            # GDAL's own complaints about a damaged file become the message below
            warnings.simplefilter("ignore", RuntimeWarning)
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            return {name: pyogrio.read_dataframe(path, layer=name) for name in names}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        text = str(exc).splitlines()[0]
        reason = "not a database" if "not a database" in text else text[:120]
        msg = f"cannot be read as a GeoPackage ({reason}); is it a .gpkg file?"
        raise InputError.single(path.name, msg) from exc
