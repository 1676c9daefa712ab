"""The `planner` command line: arguments in parser.py, commands in commands.py."""

from planner.cli.commands import main

__all__ = ["main"]
