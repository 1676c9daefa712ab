"""The one home for the planner's errors.

The CLI and the app catch :class:`PlannerError` alone and show its message plainly; any other
exception is a bug and should surface with its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in the user's input.

    Attributes
    ----------
    file
        The file name as the user gave it (no directories).
    layer
        Where in the file, as shown: "layer schools" (GeoPackage), "sheet 学校" (Excel), or ""
        for a CSV file or the whole file.
    row
        Where in the layer: a spreadsheet row number (header = row 1), a CSV line number or a
        GeoPackage feature number (1-based), or None for the whole layer.
    column
        The column as the user wrote it, or "" when the problem is not in one column.
    message
        The rule, the value found, and how to fix it.
    severity
        "error" (the input cannot be used), "warning" (it was used after a repair that is
        described in the message) or "notice" (it was used as it is; the message says how it
        was read, e.g. region `any`, places from approved classes).
    """

    file: str
    layer: str
    row: int | None
    column: str
    message: str
    severity: str = "error"

    def location(self) -> str:
        """Return "file, layer, row N, column `c`" with the parts that are known."""
        parts = [self.file] if self.file else []
        if self.layer:
            parts.append(self.layer)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column `{self.column}`")
        return ", ".join(parts)

    def __str__(self) -> str:
        prefix = f"{self.severity}: " if self.severity in ("warning", "notice") else ""
        return f"{prefix}{self.location()}: {self.message}"


class PlannerError(Exception):
    """Base of every error the planner raises on purpose."""


class InputError(PlannerError):
    """The user's input cannot be used; carries every located problem found.

    Parameters
    ----------
    problems
        The problems, all of them: validators collect before they raise.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = [p for p in problems]
        if not self.problems:
            msg = "InputError needs at least one problem"
            raise ValueError(msg)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the input:" if len(errors) > 1 else ""
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join([head, *lines]) if head else "\n".join(lines))

    @classmethod
    def single(
        cls, file: str, message: str, *, layer: str = "", row: int | None = None, column: str = ""
    ) -> InputError:
        """Build an error from one problem."""
        return cls([Problem(file, layer, row, column, message)])


class StandardsError(PlannerError):
    """A standards profile is malformed or names an unknown setting."""


class InfeasibleError(PlannerError):
    """A request cannot be met; the message carries the numbers that show why.

    Parameters
    ----------
    message
        What cannot be met and by how much.
    shortage
        Where seats are short and the sites proposed to close the gap
        (planner.optimize.Shortage), when the optimiser found them; else None.
    """

    shortage: object | None

    def __init__(self, message: str, *, shortage: object | None = None):
        super().__init__(message)
        self.shortage = shortage
