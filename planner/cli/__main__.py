"""`python -m planner.cli …` runs the command line."""

from planner.cli.commands import main

raise SystemExit(main())
