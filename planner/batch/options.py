"""The batch's options and the names of its files and statuses."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.errors import InputError, PlannerError, Problem
from planner.standards import Standards

BATCH_FORMAT = 1  # bump when a result's columns change meaning: stored results are redone
STATUS_OK, STATUS_FAILED = "ok", "failed"
SECTIONS = ("primary", "junior")
RESULT_FILE = "result.json"
COUNTIES_DIR = "counties"
TABLE_FILE = "counties.parquet"
LOG_FILE = "batch.json"
# failures of the county's own input come back the same from the same file and options, so a
# re-run skips them; anything else (a bug, a worker lost) is tried again
KIND_INPUT, KIND_ERROR, KIND_WORKER = "input", "error", "worker"
VERDICT_ORDER = {"pass": 0, "incomplete": 1, "fail": 2}
# counties.parquet is rewritten while the batch runs at most this often (each county's own
# folder is written at once); the machine running the batch then keeps its cores for workers
TABLE_EVERY_S = 5.0


# --- options ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    """What to do with every county.

    Attributes
    ----------
    project_to
        Project pupils to this school year (the `project` step), or None.
    optimise
        Sections whose catchments to optimise, in order (each on the previous one's result).
    time_limit_s
        The optimiser's time limit per section and county, seconds.
    roadmap
        Price the costed roadmap (of the last optimised scenario, else today's layout).
    budget
        The roadmap's annual budget, yuan (None: everything in the first year).
    profile
        The profile as given (a built-in name or a .toml file), or None for each workspace's own.
    standards
        The profile resolved on the machine running the batch (workers need not see the file).
    reports
        Render each county's HTML report (in `lang`).
    lang
        "zh" or "en" for the county reports and the optimiser's files.
    """

    project_to: int | None = None
    optimise: tuple[str, ...] = ()
    time_limit_s: float = 60.0
    roadmap: bool = False
    budget: float | None = None
    profile: str | None = None
    standards: Standards | None = None
    reports: bool = True
    lang: str = "zh"

    def steps(self) -> tuple[str, ...]:
        """The steps each county runs, in order."""
        out = ["evaluate"]
        if self.project_to is not None:
            out.append("project")
        out += [f"optimise:{s}" for s in self.optimise]
        if self.roadmap:
            out.append("roadmap")
        return tuple(out)

    def identity(self) -> dict:
        """Everything that changes a county's result, as plain JSON values."""
        return {"steps": list(self.steps()), "project_to": self.project_to,
                "time_limit_s": self.time_limit_s if self.optimise else None,
                "budget": self.budget if self.roadmap else None,
                "standards": repr(self.standards) if self.standards is not None else None,
                "reports": self.reports, "lang": self.lang}


def make_options(*, project_to: int | None = None, optimise: Sequence[str] = (),
                 time_limit_s: float = 60.0, roadmap: bool = False, budget: float | None = None,
                 profile: str | None = None, reports: bool = True, lang: str = "zh") -> Options:
    """Check the batch's options and resolve the profile; return them.

    Raises
    ------
    InputError
        Located at the flag: a year,
        section, time limit or budget out of range, an unknown profile.
    """
    from planner.standards import resolve

    problems = []
    if project_to is not None:
        if not 2000 <= project_to <= 2100:
            problems.append(Problem("--to", "", None, "", f"expected a school year 2000–2100, "
                                    f"got {project_to}"))
    bad = [s for s in optimise if s not in SECTIONS]
    if bad:
        problems.append(Problem("--optimize", "", None, "", f"expected primary or junior, got "
                                f"{bad[0]!r}"))
    if not time_limit_s > 0:
        problems.append(Problem("--time-limit", "", None, "", f"expected seconds > 0, got "
                                f"{time_limit_s}"))
    if budget is not None and not budget > 0:
        problems.append(Problem("--budget", "", None, "", f"expected yuan > 0, got {budget}"))
    if lang not in ("zh", "en"):
        problems.append(Problem("--lang", "", None, "", f"expected zh or en, got {lang!r}"))
    standards = None
    if profile is not None:
        try:
            standards = resolve(profile)
        except PlannerError as exc:
            problems.append(Problem("--profile", "", None, "", str(exc)))
    if problems:
        raise InputError(problems)
    return Options(project_to=project_to, optimise=tuple(dict.fromkeys(optimise)),
                   time_limit_s=float(time_limit_s), roadmap=roadmap, budget=budget,
                   profile=profile, standards=standards, reports=reports, lang=lang)


