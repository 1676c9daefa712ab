"""A re-zoning solved in a process of its own, as the app runs it.

CP-SAT can abort the whole process (google/or-tools#5288) and a long solve holds two cores:
in its own process, a solve that aborts or is killed ends that solve alone, and the server
and every other session go on. The process reports each better plan (time, objective, bound)
and its end — the result, a located refusal or an infeasibility with its sites — through a
pipe; `cancel` asks it to stop and return the best plan so far (model.set_stop).

The parent keeps the plans it sent; the result comes back whole (the instance and the
zoning), and the parent saves it (session.optimise with `result`), so a killed solve never
leaves half a scenario.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass, field

from planner.errors import InfeasibleError, InputError


def _child(plans, options, conn, stop) -> None:
    """Solve in the child process and send what happened (each message whole, or none)."""
    out = _Sender(conn)
    from planner import optimize as op
    from planner.optimize.model import StoppedError, set_stop

    set_stop(stop.is_set)
    try:
        result = op.optimise(plans, options, report=lambda *rec: out.put(("progress", rec)))
    except StoppedError:
        out.put(("stopped", None))
    except InfeasibleError as exc:
        short = getattr(exc, "shortage", None)
        out.put(("infeasible", (str(exc), None if short is None or short.sites.empty
                                else short.edits())))
    except InputError as exc:
        out.put(("refused", str(exc)))
    else:
        out.put(("result", result))


class _Sender:
    """`put` over the write end of a pipe.

    The parent holds only the read end, so a child that dies, even mid-message, reads there
    as the end of the pipe.
    """

    def __init__(self, conn) -> None:
        self.conn = conn

    def put(self, message) -> None:
        self.conn.send(message)


@dataclass
class SolveJob:
    """One solve running in its own process.

    Attributes
    ----------
    time_limit_s
        The request's time limit (what the progress bar counts against).
    progress
        (seconds, objective, bound) of each better plan reported so far.
    outcome
        None while running; then ("result", Result), ("infeasible", (message, site edits or
        None)), ("refused", message), ("stopped", None) (cancelled before any plan) or
        ("died", exit code).
    """

    time_limit_s: float
    progress: list = field(default_factory=list)
    outcome: tuple | None = None
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, plans, options) -> SolveJob:
        """Start solving `options` over `plans` in a new process ("spawn": nothing shared)."""
        ctx = mp.get_context("spawn")
        job = cls(time_limit_s=float(options.time_limit_s))
        job._reader, writer = ctx.Pipe(duplex=False)
        job._stop = ctx.Event()
        job._process = ctx.Process(target=_child, args=(plans, options, writer, job._stop),
                                   daemon=True)
        job._process.start()
        writer.close()  # the child's alone now: its end is the pipe's end
        return job

    @property
    def pid(self) -> int | None:
        """The solving process's id."""
        return self._process.pid

    @property
    def elapsed(self) -> float:
        """Seconds since the solve started."""
        return time.monotonic() - self.started

    def cancel(self) -> None:
        """Ask the solve to stop and return the best plan found so far."""
        self._stop.set()

    def poll(self, wait_s: float = 0.0) -> bool:
        """Read what the process sent (waiting up to `wait_s`); True once it has ended."""
        deadline = time.monotonic() + wait_s
        while self.outcome is None:
            try:
                if not self._reader.poll(max(deadline - time.monotonic(), 0.0)):
                    return False
                kind, value = self._reader.recv()
            except (EOFError, OSError):  # the process ended without saying how: it died
                self._process.join(timeout=5)
                self.outcome = ("died", self._process.exitcode)
                break
            if kind == "progress":
                self.progress.append(value)
            else:
                self.outcome = (kind, value)
        self._process.join(timeout=5)
        self._reader.close()
        return True


def progress_text(job: SolveJob, lang: str = "zh") -> str:
    """The progress bar's words.

    Time used of the limit, the best plan's travel and pupils changing school, and its gap
    to the proven bound.
    """
    from planner.i18n import t

    if not job.progress:
        return t("opt_running", lang, t=job.elapsed, limit=job.time_limit_s)
    sec, obj, bound, *plan = job.progress[-1]
    gap = max(0.0, (obj - bound) / obj) if obj > 0 else 0.0
    km, moved = plan if plan else (float("nan"), 0)
    return t("opt_running_plan", lang, t=job.elapsed, limit=job.time_limit_s, km=km,
             moved=moved, gap=gap)
