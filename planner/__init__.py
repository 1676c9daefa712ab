"""School-layout planner for county education bureaus."""

__version__ = "0.1.0"
