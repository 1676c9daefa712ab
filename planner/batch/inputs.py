"""The counties of a batch: finding their workspaces and fingerprinting them with the options."""


from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import planner
from planner.batch.options import BATCH_FORMAT, Options
from planner.errors import InputError, Problem

# --- inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class County:
    """One county of the batch.

    Attributes
    ----------
    key
        Its folder under `counties/` (the workspace's file name without suffix, made safe;
        with a short hash of the path when two inputs share a name).
    path
        The workspace, absolute.
    fingerprint
        A hash of the workspace file's content and the options (see :func:`fingerprint`).
    size
        The file's size in bytes (larger counties are started first).
    """

    key: str
    path: Path
    fingerprint: str
    size: int


def find_inputs(sources: Sequence[str | Path]) -> list[Path]:
    """Return the workspaces named by folders, .gpkg files and list files, in order.

    A folder gives its `*.gpkg` files (sorted by name; hidden files skipped). A file ending
    in .gpkg, .xlsx or .csv is a workspace. Any other file is a list: one workspace per line,
    relative to the list's folder; blank lines and lines starting with # are skipped. A path
    listed twice counts once.

    Raises
    ------
    InputError
        A source given does not exist, a folder holds no .gpkg file, or a list cannot be read.
        (A workspace named in a list but missing is a county that fails, not an error here.)
    """
    found: list[Path] = []
    problems = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files = sorted(f for f in p.glob("*.gpkg") if not f.name.startswith("."))
            if not files:
                problems.append(Problem(str(p), "", None, "", "the folder holds no .gpkg "
                                        "workspace"))
            found += files
        elif p.suffix.lower() in (".gpkg", ".xlsx", ".csv"):
            if not p.is_file():
                problems.append(Problem(p.name, "", None, "", f"file not found: {p}"))
            found.append(p)
        elif p.is_file():
            try:
                lines = p.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(p.name, "", None, "", f"cannot read the list of "
                                        f"workspaces ({exc})"))
                continue
            for line in lines:
                text = line.strip()
                if text and not text.startswith("#"):
                    q = Path(text)
                    found.append(q if q.is_absolute() else p.parent / q)
        else:
            problems.append(Problem(str(p), "", None, "", "not found: expected a folder of "
                                    ".gpkg workspaces, a .gpkg file or a list file"))
    if problems:
        raise InputError(problems)
    out, seen = [], set()
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    if not out:
        raise InputError.single(", ".join(map(str, sources)), "no workspace to run")
    return out


def fingerprint(path: Path, options: Options) -> str:
    """Return a hash of a workspace file's content and the options (and the batch's format).

    A missing or unreadable file hashes its error, so its failure is stored and skipped too
    until the file changes.
    """
    h = hashlib.sha256()
    ident = {"format": BATCH_FORMAT, "planner": planner.__version__, **options.identity()}
    h.update(json.dumps(ident, sort_keys=True).encode())
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        h.update(f"unreadable: {exc.strerror}".encode())
    return h.hexdigest()


def counties_of(paths: Sequence[Path], options: Options) -> list[County]:
    """Key and fingerprint every workspace."""
    from planner.io.publish import safe_name

    stems = [safe_name(p.stem) for p in paths]
    out = []
    for p, stem in zip(paths, stems, strict=True):
        key = stem
        if stems.count(stem) > 1:
            key = f"{stem}-{hashlib.sha1(str(p).encode()).hexdigest()[:6]}"
        size = p.stat().st_size if p.is_file() else 0
        out.append(County(key=key, path=p, fingerprint=fingerprint(p, options), size=size))
    return out


