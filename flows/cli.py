"""The command line (``sparkify``, or ``python -m flows.etl``): runs the flows, on the embedded defaults unless told.

It imports the flows; they never import it."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime, time, timedelta

from sparkify.errors import PipelineError
from sparkify.settings import MAX_ERROR_BUDGET, Settings, SettingsError, get_settings
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


def build_parser(configured: Settings, prog: str = "sparkify") -> argparse.ArgumentParser:
    """Options given before a command are its defaults too, so ``--source X plan`` plans X."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Load Sparkify's song catalog and event logs into the star schema "
            "(songplays, users, songs, artists, time) and run the quality checks. "
            "With no options it runs on the embedded defaults: the generated sample "
            f"in {configured.source} (created on first use) into {configured.warehouse}."
        ),
    )
    add_target_options(parser, configured)
    add_increment_options(parser, configured)
    commands = parser.add_subparsers(dest="command", title="commands", description="with no command: run")
    run = commands.add_parser(
        "run",
        help="load the star schema and check it (the default)",
        description="Load the star schema from the source and run the quality checks; print a summary.",
    )
    add_target_options(run, configured, in_command=True)
    add_increment_options(run, configured, in_command=True)
    plan = commands.add_parser(
        "plan",
        help="print the SQL a run would execute, without connecting to anything",
        description=(
            "Print to stdout every SQL statement a run with these options would execute on the warehouse, "
            "in order, values inlined and secrets masked, for review before a run. Nothing is connected to: "
            "no database, no S3 (a local source folder is listed). Logs go to stderr."
        ),
    )
    add_target_options(plan, configured, in_command=True)
    add_backfill_command(commands, configured)
    add_report_command(commands, configured)
    return parser


def add_target_options(
    parser: argparse.ArgumentParser, configured: Settings, *, window: bool = True, in_command: bool = False
) -> None:
    """What to load, where, which window (a backfill has its own) and the error budget: a run's and its plan's.

    In a command, an option left out keeps the value given before the command (or the default).
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if in_command else value

    parser.add_argument(
        "--source",
        default=default(configured.source),
        help=f"folder or s3://bucket/prefix holding song_data/ and log_data/ (default: {configured.source}; "
        "env SPARKIFY_SOURCE)",
    )
    parser.add_argument(
        "--warehouse",
        default=default(configured.warehouse),
        help=f"SQLAlchemy URL of the warehouse (default: {configured.warehouse}; env SPARKIFY_WAREHOUSE)",
    )
    if window:
        parser.add_argument(
            "--window-start",
            type=_utc,
            default=default(None),
            help="load only events at or after this UTC time (with --window-end); default: all events",
        )
        parser.add_argument(
            "--window-end",
            type=_utc,
            default=default(None),
            help="load only events before this UTC time (with --window-start)",
        )
    parser.add_argument(
        "--events-format",
        choices=EVENTS_FORMATS,
        default=default("json"),
        help="how the event logs are written: json (one object a line) or csv (a header row, "
        "layout in sparkify/sources.py), log_data/YYYY/MM/YYYY-MM-DD-events.<format> (default: json)",
    )
    parser.add_argument(
        "--warehouse-block",
        default=default(None),
        help="name of a saved WarehouseConnection Prefect block, used instead of --warehouse "
        "(it holds the password and Redshift's COPY credentials)",
    )
    parser.add_argument(
        "--s3-block",
        default=default(None),
        help="name of a saved prefect-aws S3Bucket block whose credentials read an s3:// --source "
        "(default: the standard AWS credential chain: AWS_* environment variables, profiles, instance role)",
    )
    parser.add_argument(
        "--max-errors",
        type=int,
        default=default(None),
        help="bad records (kept in the rejected_records table) a feed may have before the run fails; also "
        "Redshift COPY's MAXERROR (default: the block's copy_max_error, else env SPARKIFY_COPY_MAX_ERROR, "
        f"{configured.copy_max_error})",
    )


def add_increment_options(parser: argparse.ArgumentParser, configured: Settings, *, in_command: bool = False) -> None:
    """How a run treats what it loaded before: late events in the lookback, or everything again."""
    parser.add_argument(
        "--lookback-days",
        type=float,
        default=argparse.SUPPRESS if in_command else None,
        help="late events: reload the earlier windows loaded from an event file of this many UTC days before the "
        f"window that changed since (default: {configured.lookback_days:g}; env SPARKIFY_LOOKBACK_DAYS; "
        "0 looks back at nothing)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        default=argparse.SUPPRESS if in_command else False,
        help="ignore the ledger of loaded files: read the whole song catalog again, and reload every earlier "
        "window whose event file changed, whatever its age",
    )


def add_backfill_command(commands: argparse._SubParsersAction, configured: Settings) -> None:
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
    add_target_options(backfill, configured, window=False, in_command=True)


def add_report_command(commands: argparse._SubParsersAction, configured: Settings) -> None:
    report = commands.add_parser(
        "report",
        help="print the listening report of a window from an existing warehouse",
        description=(
            "Print what users listened to (top songs and artists, plays by hour of day, free and paid, level "
            "switches, plays matched to the catalog), read from the warehouse's marts, as the listening report "
            "each run publishes. Runs nothing: the warehouse must have been loaded (by a run) already."
        ),
    )
    # as in the other commands, an option left out keeps the value given before the command, or the default
    report.add_argument(
        "--warehouse",
        default=argparse.SUPPRESS,
        help=f"SQLAlchemy URL of the warehouse (default: {configured.warehouse}; env SPARKIFY_WAREHOUSE)",
    )
    report.add_argument(
        "--warehouse-block",
        default=argparse.SUPPRESS,
        help="name of a saved WarehouseConnection block, instead of --warehouse",
    )
    report.add_argument(
        "--window-start", type=_utc, default=argparse.SUPPRESS, help="report the hours from this UTC time"
    )
    report.add_argument(
        "--window-end",
        type=_utc,
        default=argparse.SUPPRESS,
        help="report the hours before this UTC time (with --window-start; default: every hour)",
    )


def print_report(args: argparse.Namespace) -> int:
    """The report on stdout; the marts it reads exist once a run has created the tables."""
    import sqlalchemy as sa

    from sparkify import report
    from sparkify.warehouse import connect

    try:
        warehouse = connect(args.warehouse, block=args.warehouse_block)
        with warehouse.exclusive():  # DuckDB: wait for a run writing the file
            listening = report.read(warehouse, Window.from_bounds(args.window_start, args.window_end))
    except sa.exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0]
        print(
            f"sparkify-etl report failed: cannot read the marts ({reason}): "
            "a run (python -m flows.etl) creates them with the tables",
            file=sys.stderr,
        )
        return 1
    except (PipelineError, ValueError) as error:
        print(f"sparkify-etl report failed: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(report.render(listening))
    return 0


#: The options saying what to load and where, as the flows name them: the same for a run and for a backfill.
TARGET_OPTIONS = ("source", "warehouse", "warehouse_block", "s3_block", "events_format", "max_errors")


def _target(args: argparse.Namespace) -> dict[str, str | int | None]:
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


def main(argv: list[str] | None = None, prog: str = "sparkify") -> int:
    """The ``sparkify`` console script and ``python -m flows.etl``: settings are checked before anything runs."""
    try:
        configured = get_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args = build_parser(configured, prog).parse_args(argv)
    if args.max_errors is not None and not 0 <= args.max_errors <= MAX_ERROR_BUDGET:
        print(f"error: --max-errors must be from 0 to {MAX_ERROR_BUDGET:,}", file=sys.stderr)
        return 2
    if args.command == "backfill":
        return run_backfill(args)
    if args.lookback_days is not None and args.lookback_days < 0:
        print("error: --lookback-days must be 0 or more", file=sys.stderr)
        return 2
    if (args.window_start is None) != (args.window_end is None):
        print("error: give both --window-start and --window-end, or neither", file=sys.stderr)
        return 2
    if args.command == "plan":
        return print_plan(args)
    if args.command == "report":
        return print_report(args)

    from flows.etl.flow import sparkify_etl

    try:
        summary = sparkify_etl(
            window_start=args.window_start,
            window_end=args.window_end,
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
    from sparkify.dryrun import plan
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
