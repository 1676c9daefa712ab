"""A province of small demo counties: serial in one process against a local Dask cluster.

Makes N small fictional counties (planner/province.py; 24 by default), then runs the batch's
steps on every county (evaluate; the projection too with --project-to YEAR, once the session
layer offers it) twice in the same run:

- serial: one county after another in this process (`run_batch(serial=True)`), and
- dask: a LocalCluster of --workers worker processes (one thread each), through the same
  `run_batch`,

in --repeat alternating rounds (serial, dask, serial, dask, …), so that both see the same
machine. Both start warm (one county run first in this process and on every worker, not
timed), so the ratio is the batch's throughput; the cluster's start and warm-up are printed
beside it. For each round: the wall time, the county tasks' CPU time, how many cores the batch
actually had (CPU ÷ wall: the ratio means little on a machine busy with other work) and the
load average. At the end: the best of the rounds, the peak resident memory of each worker
process and of this process, and whether the serial and dask province tables are equal,
column for column.

    python bench/bench_batch.py [--counties 24] [--workers 2] [--repeat 3] [--reports]
                                [--project-to 2035] [--province DIR]
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
    p.add_argument("--repeat", type=int, default=3, help="rounds of serial then dask")
    p.add_argument("--reports", action="store_true", help="also render each county's report")
    p.add_argument("--project-to", type=int, metavar="YEAR",
                   help="add the projection step")
    p.add_argument("--province", metavar="DIR", help="use these workspaces instead of making "
                   "new ones")
    args = p.parse_args()
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
    with batch.dask_client(workers=args.workers) as client:
        addresses = list(client.scheduler_info()["workers"])
        client.gather([client.submit(_warm, first, options, workers=[a], pure=False)
                       for a in addresses])  # one county on each worker
        t_start = time.perf_counter() - t0
        print(f"dask LocalCluster of {args.workers} workers: started and warm in {t_start:.1f} s")
        serial_s, dask_s = [], []
        for r in range(1, args.repeat + 1):  # alternating, so both see the same machine
            for name in ("serial", "dask"):
                out = tmp / f"{name}{r}"
                t0 = time.perf_counter()
                run = batch.run_batch([province], out, options, serial=name == "serial",
                                      client=None if name == "serial" else client)
                wall = time.perf_counter() - t0
                assert not run.failed, run.failed
                (serial_s if name == "serial" else dask_s).append(wall)
                log = json.loads((out / "batch.json").read_text(encoding="utf-8"))
                cpu = sum(c["cpu_seconds"] or 0.0 for c in log["counties"])
                n = len(log["counties"])
                print(f"round {r} {name:<6} {wall:6.1f} s ({wall / n:.2f} s per county; task "
                      f"CPU {cpu / n:.2f} s per county; cores the batch had {cpu / wall:.2f}); "
                      f"load {_load()}")
            print(f"round {r} speedup {serial_s[-1] / dask_s[-1]:.2f}×")
        peaks = client.run(_peak_mb)
    best_serial, best_dask = min(serial_s), min(dask_s)
    print(f"best of {args.repeat}: serial {best_serial:.1f} s, dask {best_dask:.1f} s, speedup "
          f"{best_serial / best_dask:.2f}×; with the cluster's start and warm-up "
          f"{best_serial / (best_dask + t_start):.2f}×")
    per_worker = ", ".join(f"{addr.rsplit(':', 1)[1]} {mb:,.0f} MB"
                           for addr, mb in sorted(peaks.items()))
    print(f"peak memory per worker process: {per_worker}; this process (serial runs) "
          f"{_peak_mb():,.0f} MB")
    a = pd.read_parquet(tmp / "serial1" / "counties.parquet")
    b = pd.read_parquet(tmp / f"dask{args.repeat}" / "counties.parquet")
    pd.testing.assert_frame_equal(a, b)
    print(f"results equal: yes, every column of counties.parquet ({len(a)} counties, "
          f"{len(a.columns)} columns)")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        main()
