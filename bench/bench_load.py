"""Opening a workspace: the planner's validated load against a bare pyogrio read.

Prints both times (median of 5) and their ratio, on the demo county and at --scale 5. The ratio
is what validation and canonicalisation cost on top of reading the file.

    python bench/bench_load.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.demo import make_demo  # noqa: E402
from planner.io.gpkg import write_workspace  # noqa: E402
from planner.io.load import open_workspace  # noqa: E402


def _median(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _bare(path: Path) -> None:
    for name in pyogrio.list_layers(path)[:, 0]:
        pyogrio.read_dataframe(path, layer=str(name))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (1, 5):
            path = Path(tmp) / f"demo{scale}.gpkg"
            t0 = time.perf_counter()
            write_workspace(make_demo(seed=7, scale=scale), path)
            made = time.perf_counter() - t0
            bare = _median(lambda p=path: _bare(p))
            full = _median(lambda p=path: open_workspace(p))
            print(f"scale {scale}: make+write {made:.2f} s; bare read {bare:.3f} s; "
                  f"validated open {full:.3f} s; ratio {full / bare:.2f}×")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        main()
