"""``python -m flows.etl``: run the flow from a terminal, on the embedded defaults unless told otherwise."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from sparkify import settings
from sparkify.errors import PipelineError


def _utc(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date or time: {text!r} (e.g. 2018-11-01 or 2018-11-01T13:00)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.etl",
        description=(
            "Load Sparkify's song catalog and event logs into the star schema "
            "(songplays, users, songs, artists, time) and run the quality checks. "
            "With no options it runs on the embedded defaults: the generated sample "
            f"in {settings.DEFAULT_SOURCE} (created on first use) into {settings.DEFAULT_WAREHOUSE}."
        ),
    )
    parser.add_argument(
        "--source",
        default=settings.DEFAULT_SOURCE,
        help="folder holding song_data/ and log_data/ as in the S3 bucket (default: %(default)s; env SPARKIFY_SOURCE)",
    )
    parser.add_argument(
        "--warehouse",
        default=settings.DEFAULT_WAREHOUSE,
        help="SQLAlchemy URL of the warehouse (default: %(default)s; env SPARKIFY_WAREHOUSE)",
    )
    parser.add_argument(
        "--window-start",
        type=_utc,
        help="load only events at or after this UTC time (with --window-end); default: all events",
    )
    parser.add_argument(
        "--window-end",
        type=_utc,
        help="load only events before this UTC time (with --window-start)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (args.window_start is None) != (args.window_end is None):
        print("error: give both --window-start and --window-end, or neither", file=sys.stderr)
        return 2

    from flows.etl import sparkify_etl

    try:
        summary = sparkify_etl(
            source=args.source,
            warehouse=args.warehouse,
            window_start=args.window_start,
            window_end=args.window_end,
        )
    except PipelineError as error:
        print(f"sparkify-etl failed: {error}", file=sys.stderr)
        return 1
    print("sparkify-etl succeeded")
    for line in summary.lines():
        print(f"  {line}")
    return 0
