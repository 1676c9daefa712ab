"""A province of small demo counties: serial in one process against a local Dask cluster.

Makes N small fictional counties (planner/province.py; 24 by default), then runs the batch's
steps on every county (evaluate; the projection too with --project-to YEAR, once the session
layer offers it) twice in the same run:

- serial: one county after another in this process (`run_batch(serial=True)`), and
- dask: a LocalCluster of --workers worker processes (one thread each), through the same
  `run_batch`.

Both start warm (one county run first in this process and on every worker, not timed), so the
ratio is the batch's throughput; the cluster's start and warm-up are printed beside it, with
the end-to-end ratio that includes them. Also printed: the machine's cores and load average
before and after (the ratio means little on a machine busy with other work), the peak resident
memory of each worker process and of this process, and whether the two province tables are
equal, column for column, and the CPU time of the county tasks against the wall time (how
many cores the batch actually had).

    python bench/bench_batch.py [--counties 24] [--workers 2] [--reports] [--project-to 2035]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import batch  # noqa: E402
from planner.province import write_province  # noqa: E402


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm(path: str, options: batch.Options) -> float:
    t0 = time.perf_counter()
    res = batch.run_county(path, options)
    assert res["status"] == "ok", res["message"]
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counties", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reports", action="store_true", help="also render each county's report")
    p.add_argument("--project-to", type=int, metavar="YEAR",
                   help="add the projection step (needs planner.session.project)")
    p.add_argument("--province", metavar="DIR", help="use these workspaces instead of making "
                   "new ones")
    args = p.parse_args()
    if args.project_to is not None and not batch.projection_available():
        sys.exit(f"--project-to: {batch.PROJECTION_MISSING}")
    options = batch.make_options(project_to=args.project_to, reports=args.reports)
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    print(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) before: {_load()}")
    if args.province:
        province = Path(args.province)
    else:
        province = tmp / "province"
        t0 = time.perf_counter()
        made = write_province(province, counties=args.counties, seed=args.seed)
        print(f"province: {len(made)} counties, {sum(c.schools for c in made):,} schools, "
              f"{sum(c.units for c in made):,} units (made in {time.perf_counter() - t0:.0f} s)")
    first = str(sorted(province.glob("*.gpkg"))[0])
    print(f"steps: {', '.join(options.steps())}; county reports "
          f"{'on' if args.reports else 'off'}")

    _warm(first, options)
    t0 = time.perf_counter()
    serial = batch.run_batch([province], tmp / "serial", options, serial=True)
    t_serial = time.perf_counter() - t0
    n = len(serial.counties)
    print(f"serial, one process (warm):          {t_serial:7.1f} s  "
          f"({t_serial / n:.2f} s per county)")

    t0 = time.perf_counter()
    with batch.dask_client(workers=args.workers) as client:
        addresses = list(client.scheduler_info()["workers"])
        client.gather([client.submit(_warm, first, options, workers=[a], pure=False)
                       for a in addresses])  # one county on each worker
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        dist = batch.run_batch([province], tmp / "dask", options, client=client)
        t_dask = time.perf_counter() - t0
        peaks = client.run(_peak_mb)
    print(f"dask LocalCluster, {args.workers} workers (warm): {t_dask:7.1f} s  "
          f"speedup {t_serial / t_dask:.2f}×")
    print(f"  cluster start + warm-up:           {t_start:7.1f} s  end to end "
          f"{t_start + t_dask:.1f} s, {t_serial / (t_start + t_dask):.2f}×")
    per_worker = ", ".join(f"{addr.rsplit(':', 1)[1]} {mb:,.0f} MB"
                           for addr, mb in sorted(peaks.items()))
    print(f"peak memory per worker process: {per_worker}; this process (serial run) "
          f"{_peak_mb():,.0f} MB")
    for name, wall in (("serial", t_serial), ("dask", t_dask)):
        log = json.loads((tmp / name / "batch.json").read_text(encoding="utf-8"))
        cpu = sum(c["cpu_seconds"] or 0.0 for c in log["counties"])
        print(f"CPU of the county tasks ({name}): {cpu:.1f} s, {cpu / len(log['counties']):.2f} s "
              f"per county; cores the batch had: {cpu / wall:.2f}")
    a = pd.read_parquet(tmp / "serial" / "counties.parquet")
    b = pd.read_parquet(tmp / "dask" / "counties.parquet")
    pd.testing.assert_frame_equal(a, b)
    print(f"results equal: yes, every column of counties.parquet ({len(a)} counties, "
          f"{len(a.columns)} columns); failed: {len(serial.failed)} / {len(dist.failed)}")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
