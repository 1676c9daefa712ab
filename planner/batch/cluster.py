"""Where the tasks run: in this process, or on a Dask distributed cluster."""


from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence

from planner.batch.county import run_county
from planner.batch.inputs import County
from planner.batch.options import KIND_WORKER, STATUS_FAILED, Options
from planner.errors import InputError


def in_process(todo: Sequence[County], options: Options) -> Iterator[tuple[County, dict]]:
    """Each county's result, run one after another in this process (the reference run)."""
    for c in todo:
        yield c, run_county(str(c.path), options)


def on_cluster(todo: Sequence[County], options: Options, client
                 ) -> Iterator[tuple[County, dict]]:
    """Each county's result as its task comes back from the cluster (a lost one as failed)."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {client.submit(run_county, str(c.path), options, key=f"planner-{c.key}-{token}",
                             pure=False): c for c in todo}
    for fut in as_completed(list(futures), loop=client.loop):
        c = futures.pop(fut)
        try:
            res = fut.result()
        except Exception as exc:  # KilledWorker, a lost connection: the county fails, not all
            res = lost_result(c, exc)
        fut.release()
        yield c, res


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A Dask client on an existing scheduler, or on a local cluster of worker processes.

    The local cluster has `workers` processes (by default one per core) of one thread each,
    without the statistical profiler, and listens on 127.0.0.1 only (its HTTP server on a
    free port); it is closed when the block ends.

    Raises
    ------
    InputError
        The scheduler cannot be reached (located at --scheduler).
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at "
                                    f"{scheduler} ({exc}); start one with `dask scheduler` and "
                                    "workers with `dask worker ADDRESS`") from None
        with client:
            yield client
        return
    import dask

    n = workers or default_workers()
    # the scheduler's HTTP server (health, metrics; the dashboard when bokeh is installed)
    # always starts: on a free port of 127.0.0.1, not on 8787, which another cluster may hold.
    # The workers' statistical profiler (a stack sample every 10 ms, for the dashboard) costs
    # a county about a tenth more CPU: off (the workers take the config as they start).
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.sync(_close_workers, cluster, WORKER_CLOSE_S)
        cluster.close()


WORKER_CLOSE_S = 60.0


async def _close_workers(cluster, timeout_s: float) -> None:
    """Ask every worker process to stop, and wait for it (up to `timeout_s`).

    A worker that has imported the planner takes a second or more to exit, several on a
    loaded machine; the cluster's own close gives it 4 s and then kills it. Closing the
    workers first, with time to finish, shuts the cluster down without a kill.
    """
    import asyncio

    await asyncio.gather(*(w.close(timeout=timeout_s) for w in list(cluster.workers.values())))


def default_workers() -> int:
    """One worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def lost_result(county: County, exc: BaseException) -> dict:
    """The result of a county whose task never came back (its workers died, the link broke)."""
    return {"county": county.path.stem, "status": STATUS_FAILED, "error_kind": KIND_WORKER,
            "message": (f"{county.path.name}: the task was lost ({type(exc).__name__}: {exc}); "
                        "run the batch again to retry it"),
            "outline_wkt": None, "log": "", "columns": {}, "files": {}, "notes": [],
            "seconds": None, "cpu_seconds": None, "worker": "", "peak_rss_mb": None}
