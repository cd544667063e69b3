"""``python -m flows.etl``: the command line, the same as the ``sparkify`` console script."""

from flows.cli import main

raise SystemExit(main(prog="python -m flows.etl"))
