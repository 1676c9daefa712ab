"""Running a batch: stored results reused, each county published as it finishes, the log."""


from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.batch.cluster import dask_client, in_process, on_cluster
from planner.batch.inputs import County, counties_of, find_inputs
from planner.batch.options import (
    BATCH_FORMAT,
    COUNTIES_DIR,
    KIND_INPUT,
    LOG_FILE,
    RESULT_FILE,
    STATUS_OK,
    TABLE_EVERY_S,
    Options,
)
from planner.batch.table import province_table
from planner.errors import InputError

# --- running ---------------------------------------------------------------------------------

@dataclass
class BatchRun:
    """What a batch did.

    Attributes
    ----------
    out_dir
        The output folder.
    counties
        Every county of the batch, in input order.
    ran, skipped
        Keys of the counties run now, and of those whose stored result was kept.
    failed
        Key → message of every county whose result is a failure (now or stored).
    table
        The province table (see :func:`province_table`).
    files
        The province files written.
    """

    out_dir: Path
    counties: list[County]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)


def stored_results(out_dir: Path, counties: Sequence[County]) -> dict[str, dict]:
    """Read the stored result of each county (those that have one and can be read)."""
    out = {}
    for c in counties:
        f = out_dir / COUNTIES_DIR / c.key / RESULT_FILE
        try:
            res = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(res, dict) and res.get("format") == BATCH_FORMAT:
            out[c.key] = res
    return out


def reusable(stored: dict | None, county: County) -> bool:
    """Whether a stored result stands: same fingerprint, and ok or a failure of the input."""
    return (stored is not None and stored.get("fingerprint") == county.fingerprint
            and (stored["status"] == STATUS_OK or stored.get("error_kind") == KIND_INPUT))


def save_county(out_dir: Path, county: County, result: dict) -> None:
    """Publish a county's folder (its files, then `result.json`) with one rename."""
    from planner.io.publish import publish_folder

    files = dict(result.pop("files", {}) or {})
    record = {**result, "format": BATCH_FORMAT, "key": county.key,
              "fingerprint": county.fingerprint, "workspace": str(county.path),
              "files": sorted(files)}
    text = json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False)
    writers = {name: (lambda tmp, b=data: tmp.write_bytes(b)) for name, data in files.items()}
    writers[RESULT_FILE] = lambda tmp: tmp.write_text(text, encoding="utf-8")
    publish_folder(out_dir / COUNTIES_DIR, county.key, writers)
    result.update(record)


def run_batch(sources: Sequence[str | Path], out_dir: str | Path, options: Options, *,
              scheduler: str | None = None, workers: int | None = None, serial: bool = False,
              force: bool = False, client=None,
              on_start: Callable[[int, int], None] | None = None,
              on_result: Callable[[County, dict], None] | None = None) -> BatchRun:
    """Run the batch: every county not yet done, on Dask; write results as they come.

    Parameters
    ----------
    sources
        Folders of workspaces, workspace files and list files (see :func:`find_inputs`).
    out_dir
        The output folder (made when missing).
    options
        What to do with each county (see :func:`make_options`).
    scheduler
        The address of a running Dask scheduler; None for a local cluster.
    workers
        The local cluster's worker processes (default: one per core).
    serial
        Run in this process, one county after another, without Dask.
    force
        Run every county again, even those whose stored result stands.
    client
        A Dask client to use as it is (benchmarks keep one across runs).
    on_start
        Called with (counties to run, counties skipped) before the first task.
    on_result
        Called with each county and its result as it finishes.

    Returns
    -------
    What ran, what was skipped, what failed, the table and the files.

    Raises
    ------
    InputError
        The inputs or the output folder cannot be used, or the scheduler cannot be reached.
    """
    from planner.report import province as render
    from planner.report.province import GPKG_FILE

    out_dir = Path(out_dir)
    ours = (out_dir / GPKG_FILE).resolve()  # an earlier run's output is not a county
    counties = counties_of([p for p in find_inputs(sources) if p != ours], options)
    if not counties:
        raise InputError.single(str(out_dir), "no workspace to run: the inputs hold only this "
                                "batch's own counties.gpkg")
    stored = stored_results(out_dir, counties)
    results: dict[str, dict] = {}
    run = BatchRun(out_dir=out_dir, counties=counties)
    todo = []
    for c in counties:
        if not force and reusable(stored.get(c.key), c):
            results[c.key] = stored[c.key]
            run.skipped.append(c.key)
        else:
            todo.append(c)
    todo.sort(key=lambda c: -c.size)  # the largest first: the last tasks are short
    started = time.time()
    with contextlib.ExitStack() as stack:
        if todo and not serial and client is None and scheduler is not None:
            # an unreachable scheduler is refused before anything is written
            client = stack.enter_context(dask_client(scheduler, workers))
        try:
            (out_dir / COUNTIES_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError.single(str(out_dir), f"cannot make the output folder "
                                    f"({exc.strerror})") from None
        if on_start is not None:
            on_start(len(todo), len(run.skipped))
        if todo:
            if serial:
                stream = in_process(todo, options)
            else:
                if client is None:
                    client = stack.enter_context(dask_client(scheduler, workers))
                stream = on_cluster(todo, options, client)
            last_table = time.monotonic()
            for c, res in stream:
                save_county(out_dir, c, res)
                results[c.key] = res
                run.ran.append(c.key)
                if time.monotonic() - last_table >= TABLE_EVERY_S:
                    render.write_table(out_dir, province_table(counties, results))
                    last_table = time.monotonic()
                if on_result is not None:
                    on_result(c, res)
    run.failed = {c.key: results[c.key]["message"] for c in counties
                  if results[c.key]["status"] != STATUS_OK}
    run.table = province_table(counties, results)
    run.files = render.write_province(out_dir, run.table, results, lang=options.lang)
    _write_log(out_dir, run, results, started, scheduler=scheduler, serial=serial,
               options=options)
    return run


def _write_log(out_dir: Path, run: BatchRun, results: dict[str, dict], started: float, *,
               scheduler: str | None, serial: bool, options: Options) -> None:
    from planner.io.gpkg import atomic_write

    log = {"started": started, "finished": time.time(),
           "cluster": "serial" if serial else (scheduler or "local"),
           "options": options.identity(),
           "counties": [{"key": c.key, "status": results[c.key]["status"],
                         "skipped": c.key in run.skipped,
                         "seconds": results[c.key].get("seconds"),
                         "cpu_seconds": results[c.key].get("cpu_seconds"),
                         "worker": results[c.key].get("worker"),
                         "peak_rss_mb": results[c.key].get("peak_rss_mb")}
                        for c in run.counties]}
    text = json.dumps(log, ensure_ascii=False, indent=1)
    atomic_write(out_dir / LOG_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
