"""``python -m flows.etl``: run the flow from a terminal, on the embedded defaults unless told otherwise."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime, time, timedelta

from sparkify import settings
from sparkify.errors import PipelineError
from sparkify.sources import EVENTS_FORMATS
from sparkify.window import INTERVALS, Window


def _utc(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date or time: {text!r} (e.g. 2018-11-01 or 2018-11-01T13:00)"
        ) from None


def _day_or_time(text: str) -> date | datetime:
    """A bare date stands for the whole UTC day; anything longer is an instant."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return _utc(text)


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
    add_target_options(parser)
    add_budget_option(parser)
    parser.add_argument(
        "--lookback-days",
        type=float,
        default=settings.LOOKBACK_DAYS,
        help="late events: reload the earlier windows loaded from an event file of this many UTC days before "
        "the window that changed since (default: %(default)s; env SPARKIFY_LOOKBACK_DAYS; 0 looks back at nothing)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore the ledger of loaded files: read the whole song catalog again, and reload every earlier "
        "window whose event file changed, whatever its age",
    )
    parser.add_argument(
        "--s3-block",
        help="name of a saved prefect-aws S3Bucket block whose credentials read an s3:// --source "
        "(default: the standard AWS credential chain: AWS_* environment variables, profiles, instance role)",
    )
    commands = parser.add_subparsers(
        dest="command", title="commands", description="with no command, the flow runs with the options above"
    )
    plan = commands.add_parser(
        "plan",
        help="print the SQL a run would execute, without connecting to anything",
        description=(
            "Print to stdout every SQL statement a run with these options would execute on the warehouse, "
            "in order, values inlined and secrets masked, for review before a run. Nothing is connected to: "
            "no database, no S3 (a local source folder is listed). Logs go to stderr."
        ),
    )
    add_target_options(plan)
    add_budget_option(plan)
    add_backfill_command(commands)
    return parser


def add_budget_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-errors",
        type=int,
        help="bad records (kept in the rejected_records table) a feed may have before the run fails; also "
        "Redshift COPY's MAXERROR (default: the block's copy_max_error, else env SPARKIFY_COPY_MAX_ERROR, "
        f"{settings.COPY_MAX_ERROR})",
    )


def add_target_options(parser: argparse.ArgumentParser, window: bool = True) -> None:
    """What to load, where, and which window (a backfill has its own): the same for a run and for its plan."""
    parser.add_argument(
        "--source",
        default=settings.DEFAULT_SOURCE,
        help="folder or s3://bucket/prefix holding song_data/ and log_data/ "
        "(default: %(default)s; env SPARKIFY_SOURCE)",
    )
    parser.add_argument(
        "--warehouse",
        default=settings.DEFAULT_WAREHOUSE,
        help="SQLAlchemy URL of the warehouse (default: %(default)s; env SPARKIFY_WAREHOUSE)",
    )
    if window:
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
    parser.add_argument(
        "--events-format",
        choices=EVENTS_FORMATS,
        default="json",
        help="how the event logs are written: json (one object a line) or csv (a header row, "
        "layout in sparkify/sources.py), log_data/YYYY/MM/YYYY-MM-DD-events.<format> (default: %(default)s)",
    )
    parser.add_argument(
        "--warehouse-block",
        help="name of a saved WarehouseConnection Prefect block, used instead of --warehouse "
        "(it holds the password and Redshift's COPY credentials)",
    )


def add_backfill_command(commands: argparse._SubParsersAction) -> None:
    backfill = commands.add_parser(
        "backfill",
        help="load every hour or day of a range, each as its own flow run",
        description=(
            "Load every whole hour or day from --start to --end, each window by its own sparkify-etl flow run "
            "(under one sparkify-backfill run in the Prefect UI), a few at a time, then print a summary. "
            "Windows replace their own facts, so running a range again is safe. A window without plays is "
            "reported and does not fail the backfill; a failed window does (exit status 1)."
        ),
    )
    backfill.add_argument(
        "--start", type=_day_or_time, required=True, help="first UTC day (2018-11-01) or time (2018-11-01T06:00)"
    )
    backfill.add_argument(
        "--end",
        type=_day_or_time,
        required=True,
        help="last UTC day, included (2018-11-30), or the time the range ends before (2018-11-30T12:00)",
    )
    backfill.add_argument("--interval", choices=INTERVALS, default="day", help="window length (default: %(default)s)")
    backfill.add_argument("--concurrency", type=int, default=3, help="windows loading at once (default: %(default)s)")
    add_target_options(backfill, window=False)
    backfill.add_argument("--s3-block", help="name of a saved prefect-aws S3Bucket block to read an s3:// --source")


#: The options saying what to load and where (``add_target_options`` and ``--s3-block``), as the flows name them.
TARGET_OPTIONS = ("source", "warehouse", "warehouse_block", "s3_block", "events_format")


def _target(args: argparse.Namespace) -> dict[str, str | None]:
    """What to load and where: the same for a run and for a backfill."""
    return {name: getattr(args, name) for name in TARGET_OPTIONS}


def _range_bound(moment: date | datetime, *, end: bool) -> datetime:
    """A day starts at its midnight and, as an end, is included: it ends at the next midnight."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment + timedelta(days=1) if end else moment, time())


def run_backfill(args: argparse.Namespace) -> int:
    try:
        span = Window(_range_bound(args.start, end=False), _range_bound(args.end, end=True))
    except ValueError as error:
        print(f"error: --end is before --start: {error}", file=sys.stderr)
        return 2
    if args.concurrency < 1:
        print("error: --concurrency must be at least 1", file=sys.stderr)
        return 2

    from flows.backfill import backfill

    try:
        summary = backfill(
            concurrency=args.concurrency, start=span.start, end=span.end, interval=args.interval, **_target(args)
        )
    except (PipelineError, ValueError) as error:
        print(f"sparkify-backfill failed: {error}", file=sys.stderr)
        return 2
    print(f"sparkify-backfill {'succeeded' if summary.ok else 'failed'}: {span}")
    for line in summary.lines():
        print(f"  {line}")
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "backfill":
        return run_backfill(args)
    if (args.window_start is None) != (args.window_end is None):
        print("error: give both --window-start and --window-end, or neither", file=sys.stderr)
        return 2

    if args.max_errors is not None and args.max_errors < 0:
        print("error: --max-errors must be 0 or more", file=sys.stderr)
        return 2
    if args.lookback_days < 0:
        print("error: --lookback-days must be 0 or more", file=sys.stderr)
        return 2
    if args.command == "plan":
        return print_plan(args)

    from flows.etl import sparkify_etl

    try:
        summary = sparkify_etl(
            window_start=args.window_start,
            window_end=args.window_end,
            max_errors=args.max_errors,
            lookback_days=args.lookback_days,
            full_refresh=args.full_refresh,
            **_target(args),
        )
    except PipelineError as error:
        print(f"sparkify-etl failed: {error}", file=sys.stderr)
        return 1
    print("sparkify-etl succeeded")
    for line in summary.lines():
        print(f"  {line}")
    return 0


def print_plan(args: argparse.Namespace) -> int:
    """The plan's SQL on stdout and nothing else there: logs and errors go to stderr."""
    # Prefect, imported with the flow, already owns the root logger: ours get their own stderr handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("sparkify")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    from sparkify.plan import plan
    from sparkify.window import Window

    try:
        result = plan(
            args.source,
            args.warehouse,
            block=args.warehouse_block,
            window=Window.from_bounds(args.window_start, args.window_end),
            events_format=args.events_format,
            max_errors=args.max_errors,
        )
    except (PipelineError, ValueError) as error:
        print(f"sparkify-etl plan failed: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(result.text())
    return 0
