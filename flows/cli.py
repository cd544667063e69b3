"""The command line (``sparkify``, or ``python -m flows.etl``): runs the flows and reads the warehouse.

Its options are built from ``sparkify.options``, the specification the flows' parameters share; every value is
checked once, by ``sparkify.config``. Each outcome has one exit code, the same in every command (``EXIT_CODES``), and
an error a person can act on is one line on stderr, never a traceback. It imports the flows; they never import it.

Click rather than Typer: Typer builds a command's options from its function's signature, so options shared by seven
commands would be written in seven signatures; click builds them from the specification (Typer is built on click, a
dependency of Prefect's).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import click
import sqlalchemy as sa
from click.core import ParameterSource
from sqlalchemy.engine import make_url

from sparkify import options as spec
from sparkify.config import ConfigError, RunConfig, WarehouseTarget, backfill_windows, day_range, run_window
from sparkify.errors import PipelineError
from sparkify.options import Option
from sparkify.settings import SettingsError
from sparkify.warehouse import Warehouse, WarehouseUnreachable, connect

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_FAILED: "the command ran and failed for a reason in the data, the source or the warehouse (a failed check, "
    "too many bad records, a missing source, a warehouse that refuses the login or is held by another process)",
    EXIT_USAGE: "a usage or configuration mistake, caught before anything ran (a bad option or SPARKIFY_* value, a "
    "reversed window, a warehouse URL that is none or names an engine the pipeline lacks)",
}
#: Where a password given in --warehouse goes for the command's run: never into a flow run's stored parameters.
PASSWORD_VARIABLE = "SPARKIFY_WAREHOUSE_PASSWORD"


class CommandFailed(Exception):
    """The command ran and failed for a reason its message explains: exit code 1, one line."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name} failed: {message}")


# -- options, built from the specification ------------------------------------------------------------------------


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _in_options(message: str) -> str:
    """A configuration message names parameters as the flows do; the command line names its options."""
    for name in sorted({option.name for option in spec.ALL if "_" in option.name}, key=len, reverse=True):
        message = re.sub(rf"\b{name}\b", _flag(name), message)
    return message


class _Moment(click.ParamType):
    """An ISO date or time, UTC: an instant (a date is its midnight), a day, or either (a range's bounds)."""

    def __init__(self, name: str, *, days: bool, times: bool) -> None:
        self.name, self.days, self.times = name, days, times

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date | datetime:
        if isinstance(value, date):
            return value
        try:
            if self.days and len(value) == len("2018-11-01"):
                return date.fromisoformat(value)
            return datetime.fromisoformat(value) if self.times else date.fromisoformat(value)
        except ValueError:
            examples = "2018-11-01" if not self.times else "2018-11-01 or 2018-11-01T13:00"
            self.fail(
                f"{value!r} is not an ISO {'date or time' if self.times else 'date'} (e.g. {examples})", param, ctx
            )


_TYPES: dict[Any, click.ParamType] = {
    str: click.STRING,
    int: click.INT,
    float: click.FLOAT,
    datetime: _Moment("DATE|TIME", days=False, times=True),
    date: _Moment("DAY", days=True, times=False),
    date | datetime: _Moment("DAY|TIME", days=True, times=True),
}


def _option(option: Option) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    text = _in_options(option.cli_help or option.help)
    if option.type is bool:
        return click.option(option.flag, option.name, is_flag=True, default=option.default, help=text)
    # click takes a default of None as one given, which a required option must not have
    default = {} if option.default is None else {"default": option.default, "show_default": True}
    return click.option(
        option.flag, option.name, type=_TYPES[option.type], required=option.required, help=text, **default
    )


def with_options(options: Sequence[Option]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The command's options, as the specification writes them, in its order."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = _option(option)(command)
        return command

    return decorate


def _given(ctx: click.Context) -> dict[str, Any]:
    """The command's options; one it was not given takes the value given before the command (``--source X plan``)."""
    values = dict(ctx.params)
    parent = ctx.parent
    if parent is None:
        return values
    for name, value in parent.params.items():
        if parent.get_parameter_source(name) in (None, ParameterSource.DEFAULT):
            continue
        if name not in values:
            raise click.UsageError(f"{_flag(name)} is no option of {ctx.info_name}", ctx)
        if ctx.get_parameter_source(name) in (None, ParameterSource.DEFAULT):
            values[name] = value
    return values


# -- the commands ----------------------------------------------------------------------------------------------------


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
    epilog="Exit codes, the same for every command: "
    + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
    + ". An error is one line on stderr: '<flow or command> failed: <what to fix>', or 'error: ...' for a mistake.",
)
@with_options(spec.RUN_OPTIONS)
@click.pass_context
def cli(ctx: click.Context, **_: Any) -> int | None:
    """Load Sparkify's song catalog and event logs into the star schema (songplays, users, songs, artists, time) and
    check it. With no command: run, on the embedded defaults unless told (the generated sample in data/sample into
    data/sparkify.duckdb). Options given before a command hold for it too (--source X plan)."""
    if ctx.invoked_subcommand is None:
        return _run(_given(ctx))
    return None


@cli.command()
@with_options(spec.RUN_OPTIONS)
@click.pass_context
def run(ctx: click.Context, **_: Any) -> int:
    """Load the star schema from the source and run the quality checks; print a summary (the default command)."""
    return _run(_given(ctx))


def _run(values: dict[str, Any]) -> int:
    RunConfig.resolve(**values)  # every mistake said before anything runs
    from flows.etl.flow import sparkify_etl  # Prefect is slow to import: --help and mistakes answer without it

    summary = _outcome("sparkify-etl", sparkify_etl(**values, return_state=True))
    print("sparkify-etl succeeded")
    for line in summary.lines():
        print(f"  {line}")
    return EXIT_OK


@cli.command()
@with_options(spec.PLAN_OPTIONS)
@click.pass_context
def plan(ctx: click.Context, **_: Any) -> int:
    """Print every SQL statement a run with these options would execute on the warehouse, in order, values inlined
    and secrets masked, for review before a run. Nothing is connected to but the source's listing (a local folder,
    or S3), and with --read-warehouse the warehouse, read only. Logs go to stderr."""
    values = _given(ctx)
    read_warehouse = values.pop("read_warehouse")
    config = RunConfig.resolve(**values)
    # Prefect, imported with the plan, already owns the root logger: ours get their own stderr handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("sparkify")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    from sparkify.dryrun import plan as plan_run

    try:
        with _failing_as("sparkify plan"), _read_only_failing():
            planned = plan_run(
                config.source,
                values["warehouse"],
                block=values["warehouse_block"],
                window=config.window,
                events_format=config.events_format,
                max_errors=values["max_errors"],
                lookback_days=config.lookback_days,
                full_refresh=config.full_refresh,
                read_warehouse=read_warehouse,
            )
    finally:
        logger.removeHandler(handler)
    sys.stdout.write(planned.text())
    return EXIT_OK


@cli.command()
@with_options(spec.BACKFILL_OPTIONS)
@click.pass_context
def backfill(ctx: click.Context, **_: Any) -> int:
    """Load every whole hour or day from --start to --end, each window by its own sparkify-etl flow run (under one
    sparkify-backfill run in the Prefect UI), a few at a time, then print a summary. Windows replace their own facts,
    so running a range again is safe. A window without plays is reported and does not fail the backfill; a failed
    window does (exit code 1)."""
    values = _given(ctx)
    span = day_range(values.pop("start"), values.pop("end"))
    concurrency = values.pop("concurrency")
    interval = values.pop("interval")
    backfill_windows(span.start, span.end, interval)
    RunConfig.resolve(**values)
    from flows.backfill import backfill as run_backfill

    summary = _outcome(
        "sparkify-backfill",
        run_backfill(concurrency, start=span.start, end=span.end, interval=interval, **values),
    )
    print(f"sparkify-backfill {'succeeded' if summary.ok else 'failed'}: {span}")
    for line in summary.lines():
        print(f"  {line}")
    if not summary.ok:
        raise CommandFailed("sparkify-backfill", f"{summary.count('failed')} of {len(summary.outcomes)} windows failed")
    return EXIT_OK


@cli.command()
@with_options(spec.REPORT_OPTIONS)
@click.pass_context
def report(ctx: click.Context, **_: Any) -> int:
    """Print what users listened to (top songs and artists, plays by hour of day, free and paid, level switches,
    plays matched to the catalog), read from the warehouse's marts, as the listening report each run publishes.
    Runs nothing: the warehouse must have been loaded (by a run) already."""
    from sparkify import report as listening

    values = _given(ctx)
    window = run_window(values["window_start"], values["window_end"], None, datetime.now())
    with _failing_as("sparkify report"), _warehouse(values, "the marts") as warehouse:
        text = listening.render(listening.read(warehouse, window))
    sys.stdout.write(text)
    return EXIT_OK


@cli.command()
@with_options(spec.WAREHOUSE_ONLY)
@click.pass_context
def audit(ctx: click.Context, **_: Any) -> int:
    """Run every whole-table quality check (the sparkify-audit flow), keep each result in check_results, and fail
    when an error-level check fails: what the hourly runs, each checking its own window, cannot see."""
    values = _given(ctx)
    WarehouseTarget.resolve(values["warehouse"], values["warehouse_block"])
    from flows.audit import sparkify_audit

    audited = _outcome("sparkify-audit", sparkify_audit(**values, return_state=True))
    warned = [result.describe() for result in audited.checks if not result.passed]
    passed = sum(result.passed for result in audited.checks)
    print(f"sparkify-audit succeeded: {passed} of {len(audited.checks)} checks passed")
    for line in warned:
        print(f"  warning: {line}")
    return EXIT_OK


@cli.command()
@with_options(spec.WAREHOUSE_ONLY)
@click.pass_context
def health(ctx: click.Context, **_: Any) -> int:
    """Print each quality check's history in brief, the latest checked first: its last result, what it observed and
    expected, when it last failed, and the runs since (the check_health mart)."""
    from sparkify import steps

    with _failing_as("sparkify health"), _warehouse(_given(ctx), "check_health") as warehouse:
        checks = steps.check_health(warehouse)
    print(_table(checks) if checks else "no check has run yet")
    return EXIT_OK


@cli.command()
@with_options(spec.FORGET_OPTIONS)
@click.pass_context
def forget(ctx: click.Context, **_: Any) -> int:
    """Delete the facts (songplays) of the UTC days from --start to --end, included, and the ledger rows of those
    days' event files, so that a run loads a file of those days again when it is delivered. A run never deletes
    the facts of a day whose file is gone; this is how they are deleted on purpose. One locked transaction; prints
    what it deleted."""
    from sparkify import steps

    values = _given(ctx)
    days = day_range(values["start"], values["end"])
    with _failing_as("sparkify forget"), _warehouse(values, "the tables") as warehouse:
        forgotten = steps.forget(warehouse, days)
    for line in forgotten.lines():
        print(line)
    return EXIT_OK


# -- how a command ends ------------------------------------------------------------------------------------------------


def _outcome(name: str, state: Any) -> Any:
    """A flow run's result, or the one line that says why it failed (the run's logs already hold a bug's traceback)."""
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    raise CommandFailed(name, str(error) if isinstance(error, BaseException) else state.message or state.name)


@contextmanager
def _failing_as(name: str) -> Iterator[None]:
    """An error a person can act on, met once the command has started, ends it with exit code 1 and one line."""
    try:
        yield
    except (ConfigError, SettingsError):
        raise
    except PipelineError as error:
        raise CommandFailed(name, str(error)) from None


@contextmanager
def _read_only_failing() -> Iterator[None]:
    """A plan that reads the warehouse (--read-warehouse) and cannot: one line, as a command that reads it says."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        raise _unreadable(error, "the ledger", "check --warehouse, or plan without --read-warehouse") from None


@contextmanager
def _warehouse(values: dict[str, Any], reading: str) -> Iterator[Warehouse]:
    """The warehouse reached (its turn taken, on DuckDB); a statement it refuses is said in a line."""
    target = WarehouseTarget.resolve(values["warehouse"], values["warehouse_block"])
    try:
        warehouse = connect(target)
    except ConfigError:
        raise
    except ValueError as refused:  # an engine refusing its URL (an in-memory DuckDB)
        raise WarehouseUnreachable(str(refused)) from None
    try:
        with warehouse.exclusive():
            warehouse.ping()
            yield warehouse
    except sa.exc.DBAPIError as error:
        raise _unreadable(error, reading, "a run (sparkify run) creates them with the tables") from None
    finally:
        warehouse.engine.dispose()


def _unreadable(error: sa.exc.DBAPIError, reading: str, hint: str) -> WarehouseUnreachable:
    """A warehouse that refused a read, in a line: the driver's first line of why, and what to do."""
    reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    return WarehouseUnreachable(f"cannot read {reading} ({reason}): {hint}")


def _table(rows: list[dict[str, Any]]) -> str:
    """Rows as aligned columns under their names."""
    columns = list(rows[0])
    cells = [[_cell(row[column]) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[i]) for row in cells)) for i, column in enumerate(columns)]
    lines = [columns, ["-" * width for width in widths], *cells]
    return "\n".join("  ".join(map(str.ljust, line, widths)).rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "passed" if value else "FAILED"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


# -- the entry point ---------------------------------------------------------------------------------------------------


@contextmanager
def _password_moved(argv: list[str]) -> Iterator[list[str]]:
    """A password in --warehouse leaves the URL, which becomes a flow run's stored parameter, for this process's
    SPARKIFY_WAREHOUSE_PASSWORD while the command runs (a URL without a password takes it from there)."""
    before = os.environ.get(PASSWORD_VARIABLE)
    try:
        yield _strip_passwords(argv)
    finally:
        if before is None:
            os.environ.pop(PASSWORD_VARIABLE, None)
        else:
            os.environ[PASSWORD_VARIABLE] = before


def _strip_passwords(argv: list[str]) -> list[str]:
    stripped = list(argv)
    for i, arg in enumerate(argv):
        if arg == "--warehouse" and i + 1 < len(argv):
            stripped[i + 1] = _without_password(argv[i + 1])
        elif arg.startswith("--warehouse="):
            stripped[i] = "--warehouse=" + _without_password(arg.removeprefix("--warehouse="))
    return stripped


def _without_password(url: str) -> str:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return url  # not a URL: the configuration says so, naming the option
    if not parsed.password:
        return url
    os.environ[PASSWORD_VARIABLE] = parsed.password
    return parsed._replace(password=None).render_as_string(hide_password=False)


def main(argv: list[str] | None = None, prog: str = "sparkify") -> int:
    """The ``sparkify`` console script and ``python -m flows.etl``: one exit code per outcome (``EXIT_CODES``).

    ``--help`` exits the process (SystemExit 0), as argparse did.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with _password_moved(args) as stripped, cli.make_context(prog, stripped) as ctx:
            return cli.invoke(ctx)
    except click.exceptions.Exit as done:  # --help
        raise SystemExit(done.exit_code) from None
    except click.UsageError as error:
        hint = f" (see {error.ctx.command_path} --help)" if error.ctx is not None else ""
        print(f"error: {error.format_message()}{hint}", file=sys.stderr)
    except ConfigError as error:
        message = _in_options(str(error))
        if error.option is not None and _flag(error.option) not in message:
            message = f"{_flag(error.option)}: {message}"
        print(f"error: {message}", file=sys.stderr)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
    except CommandFailed as failure:
        print(failure, file=sys.stderr)
        return EXIT_FAILED
    except click.Abort:
        print("aborted", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_USAGE


__all__ = ["EXIT_CODES", "cli", "main"]
