"""Publish a set of files at once: a hidden folder, filled, then renamed into place.

A reader sees either the earlier folder or the new one, never a mix; a writer killed half way
leaves only a hidden folder, which the next publish of the same name removes.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from planner.errors import InputError

MAX_NAME_BYTES = 255  # the longest file name common file systems take


def safe_name(name: str) -> str:
    """A file-system-safe version of a name (letters, digits, CJK, - and _ kept)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return keep or "scenario"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path, prefix: str, suffix: str) -> None:
    """Remove what writers killed half way left in `parent`: `<prefix><pid>.…<suffix>`.

    Only entries whose writer (the process id after the prefix) is gone are removed, with the
    journal files SQLite keeps beside them (`…<suffix>-journal`).
    """
    pattern = f"{glob.escape(prefix)}*{glob.escape(suffix)}"
    for p in [*parent.glob(pattern), *parent.glob(pattern + "-*")]:
        pid = p.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def publish_folder(parent: Path, name: str, writers: dict[str, Callable[[Path], None]]
                   ) -> list[Path]:
    """Write files into `parent/name/` all at once; return their final paths.

    Parameters
    ----------
    parent
        The folder to publish into (made with its parents when missing).
    name
        The published folder's name.
    writers
        File name → a function writing that file at the path it is given.

    Raises
    ------
    InputError
        A file name is longer than the file system allows, or `parent` cannot be made.
    """
    long = [f for f in [name, *writers] if len(f.encode("utf-8")) > MAX_NAME_BYTES - 20]
    if long:
        raise InputError.single(long[0], f"the name is longer than the file system allows "
                                f"({len(long[0].encode('utf-8'))} bytes): choose a shorter one")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.single(str(parent), f"cannot make the output folder ({exc.strerror})"
                                ) from None
    remove_stale(parent, f".{name}.", ".tmp")
    remove_stale(parent, f".{name}.", ".old")
    tmp = parent / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for file, write in writers.items():
            write(tmp / file)
        final = parent / name
        if final.exists():
            old = parent / f".{name}.{os.getpid()}.old"
            os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [parent / name / f for f in writers]
