"""The bench output the method pages include: what a bench prints, kept in docs/measured/.

A bench run as a script copies everything it prints to `docs/measured/<bench>.md` (with its
arguments in the name when it has any), headed by the command, the date and the machine, and
only once it has finished: a page never includes half a run. The method pages include these
files, so a number in the documentation is always the last one measured.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "measured"


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


def machine() -> str:
    """The machine in a line: cores, memory, Python and the platform."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
        memory = f", {mem:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = ""
    return (f"{cores} cores{memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def output_path(script: str, args: list[str]) -> Path:
    """docs/measured/<bench>.md, or <bench>_<args>.md for a run with arguments."""
    name = Path(script).stem
    if args:
        name += "_" + re.sub(r"[^0-9A-Za-z]+", "_", "_".join(args)).strip("_")
    return OUT / f"{name}.md"


@contextlib.contextmanager
def measured(script: str) -> Iterator[None]:
    """Print as usual and, when the bench finishes, write what it printed for the docs."""
    args = sys.argv[1:]
    buf = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
        yield
    command = " ".join(["python", f"bench/{Path(script).name}", *args])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    OUT.mkdir(parents=True, exist_ok=True)
    path = output_path(script, args)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"Measured by `{command}` on {when}; machine: {machine()}.\n\n"
                   f"```text\n{buf.getvalue().rstrip()}\n```\n", encoding="utf-8")
    tmp.replace(path)
