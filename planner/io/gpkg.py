"""GeoPackage workspaces through pyogrio: atomic writes, raw layer reads."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyogrio

from planner.errors import InputError
from planner.io.publish import remove_stale
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
    # what an earlier writer killed half way left behind goes first
    remove_stale(path.parent, f".{path.stem}.", f".tmp{path.suffix}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.{os.getpid()}.", suffix=f".tmp{path.suffix}",
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


def write_layer(path: str | Path, name: str, frame: pd.DataFrame) -> None:
    """Replace one layer of an existing GeoPackage (GDAL drops and recreates it in place).

    The other layers are left as they are. Used for road layers; small tables that must
    change together go through :func:`transaction` instead.
    """
    try:
        pyogrio.write_dataframe(frame, Path(path), layer=name, driver="GPKG")
    except pyogrio.errors.DataSourceError as exc:
        msg = f"cannot write layer {name} ({str(exc).splitlines()[0][:120]}); try again"
        raise InputError.single(Path(path).name, msg) from exc


BUSY_SECONDS = 15.0  # how long a writer waits for another to finish before giving up


@contextlib.contextmanager
def transaction(path: str | Path) -> Iterator[sqlite3.Connection]:
    """Open a write transaction on a GeoPackage (SQLite ``BEGIN IMMEDIATE``).

    Everything done on the connection is committed together when the block ends, or not at
    all if it raises (or the process dies: SQLite's journal rolls it back on the next open).
    Other writers wait up to `BUSY_SECONDS` for the lock.

    Raises
    ------
    InputError
        The file is not there, not a database, or another writer held it too long.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError.single(path.name, f"file not found: {path}")
    con = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    try:
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise _db_error(path, exc) from None
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        raise _db_error(path, exc) from None
    finally:
        con.close()


@contextlib.contextmanager
def reading(path: str | Path) -> Iterator[sqlite3.Connection]:
    """Open a GeoPackage to read with SQLite (waits for a writer to finish, as writers do)."""
    path = Path(path)
    if not path.is_file():
        raise InputError.single(path.name, f"file not found: {path}")
    con = sqlite3.connect(path, timeout=BUSY_SECONDS)
    try:
        yield con
    except sqlite3.DatabaseError as exc:
        raise _db_error(path, exc) from None
    finally:
        con.close()


def _db_error(path: Path, exc: sqlite3.DatabaseError) -> InputError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        msg = (f"the workspace is busy: another planner has been writing to it for over "
               f"{BUSY_SECONDS:.0f} s; try again")
    elif "not a database" in text:
        msg = "cannot be read as a GeoPackage (not a database); is it a .gpkg file?"
    else:
        msg = f"cannot be written ({text})"
    return InputError.single(path.name, msg)


def has_table(con: sqlite3.Connection, name: str) -> bool:
    """Whether the GeoPackage has a table of that name."""
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (name,)).fetchone() is not None


def ensure_attribute_table(con: sqlite3.Connection, name: str, columns: dict[str, str]) -> None:
    """Create an attribute table (registered in gpkg_contents) or add the columns it lacks.

    `columns` maps column names to SQLite types (TEXT, INTEGER, REAL), as GDAL writes them.
    """
    if not has_table(con, name):
        body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        con.execute(f'CREATE TABLE "{name}" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                    f"{body})")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES (?, 'attributes', ?, '', strftime('%Y-%m-%dT%H:%M:%fZ',"
                    " 'now'))", (name, name))
        return
    have = {r[1] for r in con.execute(f'PRAGMA table_info("{name}")')}
    for c, t in columns.items():
        if c not in have:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {t}')


def touch(con: sqlite3.Connection, name: str) -> None:
    """Record a change of a table in gpkg_contents (its `last_change`)."""
    con.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE table_name = ?", (name,))


def replace_rows(con: sqlite3.Connection, name: str, frame: pd.DataFrame,
                 types: dict[str, str]) -> None:
    """Replace every row of an attribute table by the frame's (inside a transaction)."""
    ensure_attribute_table(con, name, types)
    con.execute(f'DELETE FROM "{name}"')
    cols = list(types)
    marks = ", ".join("?" for _ in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    values = frame[cols].astype(object).where(frame[cols].notna(), None)
    con.executemany(f'INSERT INTO "{name}" ({names}) VALUES ({marks})',
                    [tuple(_plain(v) for v in row) for row in values.itertuples(index=False)])
    touch(con, name)


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


def set_meta(con: sqlite3.Connection, values: dict[str, str]) -> None:
    """Set keys of the `meta` table (inside a transaction)."""
    ensure_attribute_table(con, "meta", {"key": "TEXT", "value": "TEXT"})
    for key, value in values.items():
        if con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key)).rowcount == 0:
            con.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
    touch(con, "meta")


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
    if path.with_name(path.name + "-journal").exists():
        # a writer died mid-transaction: SQLite rolls its journal back on the first open for
        # writing (GDAL may open read-only and could not)
        with reading(path) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
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
