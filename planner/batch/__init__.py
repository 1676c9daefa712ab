"""Many counties at once on Dask distributed: evaluate, project, optimise and price each county.

Each county workspace is one task. A task runs a list of steps on its county — `evaluate`
always, then `project` (the multi-year projection, `--project --to YEAR`), `optimise:SECTION`
(the catchment optimiser, on a private copy of the workspace: the input is never written) and
`roadmap` (the costed roadmap, of the last optimised scenario or of today's layout) — and
returns one row of plain columns, the county's outline and its files (the county's report,
the roadmap workbook, the optimiser's edits), all through the use-case layer
(:mod:`planner.session`). Nothing a task returns is an exception: a county that fails comes
back with status `failed` and its located message, and the other counties go on.

Tasks run on a Dask distributed cluster: a `LocalCluster` of worker processes by default, or
the cluster of an existing scheduler (`dask scheduler` on one host, `dask worker ADDRESS` on
the others) — the same code on one machine and many. Workers read the workspaces by path (every
worker must see them at the same path, e.g. on a shared folder); results come back to the
machine running the batch, which writes them. `serial=True` runs the same tasks one after
another in this process, without Dask (the reference the distributed runs are compared with).

The output folder holds one folder per county, `counties/<key>/` (`result.json` and the
county's files), published with one rename as each county finishes, and the province tables
(`counties.parquet`, rewritten every few seconds while counties finish and at the end;
`counties.gpkg`, `province.xlsx`, `province.html` at the end). A county whose workspace file
and options have not changed since its stored result (a fingerprint of both) is skipped, so a
re-run resumes a killed batch.

The package by role: `options` (what to run, the file names), `inputs` (the counties and
their fingerprints), `county` (one county's task and its steps), `table` (the province
table), `cluster` (in this process or on Dask), `run` (a whole batch, resumed and logged).
"""

from planner.batch.cluster import dask_client, default_workers
from planner.batch.county import evaluation_columns, projection_columns, run_county
from planner.batch.inputs import County, find_inputs, fingerprint
from planner.batch.options import Options, make_options
from planner.batch.run import BatchRun, run_batch
from planner.batch.table import province_table

__all__ = [
    "BatchRun",
    "County",
    "Options",
    "dask_client",
    "default_workers",
    "evaluation_columns",
    "find_inputs",
    "fingerprint",
    "make_options",
    "projection_columns",
    "province_table",
    "run_batch",
    "run_county",
]
