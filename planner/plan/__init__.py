"""Plans: a county's layout as arrays, the edits that change it, and the saved scenarios."""

from planner.plan.edits import OPS, apply_edit, apply_edits, check_edits, parse_edit
from planner.plan.model import (
    NO_SCHOOL,
    Plan,
    Rows,
    Units,
    catchments_from_zoning,
    materialise,
    plan_from_workspace,
)
from planner.plan.store import BASELINE, Scenario

__all__ = ["BASELINE", "NO_SCHOOL", "OPS", "Plan", "Rows", "Scenario", "Units", "apply_edit",
           "apply_edits", "catchments_from_zoning", "check_edits", "materialise", "parse_edit",
           "plan_from_workspace"]
