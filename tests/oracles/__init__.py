"""Reference implementations the planner is checked against (test and bench use only)."""
