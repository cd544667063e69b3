"""What a run can be told, each option written once: its name, help and default.

The command line (``flows/cli.py``) builds its options from these. The flows take the same parameters: their
signatures and ``Args:`` docstrings, which the Prefect UI shows and ``prefect deploy`` reads from the source, list
these names, defaults and help (``tests/test_cli.py`` holds them equal). Values are checked in one place,
``sparkify.config``; here they are only described.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sparkify.settings import Settings
from sparkify.sources import EVENTS_FORMATS
from sparkify.window import INTERVALS


def _either(values: tuple[str, ...]) -> str:
    return " or ".join(f'"{value}"' for value in values)


def _default(setting: str) -> Any:
    """A setting's default as the settings declare it (the environment is not read here)."""
    return Settings.model_fields[setting].default


@dataclass(frozen=True)
class Option:
    """A flow parameter, and the command line's option of the same name."""

    name: str
    help: str
    #: How the command line reads the value: str, int, float, datetime (an ISO date or time), bool (a flag), or
    #: date | datetime (a day, or a time) for a range's bounds.
    type: Any = str
    default: Any = None
    required: bool = False
    #: How the command line describes the value, when it reads it otherwise than the flow takes it.
    cli_help: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SOURCE = Option(
    "source",
    "Folder or s3://bucket/prefix holding song_data/ and log_data/ (default: SPARKIFY_SOURCE, else the generated "
    f"sample in {_default('source')}, created on first use).",
)
WAREHOUSE = Option(
    "warehouse",
    "SQLAlchemy URL of the warehouse (default: SPARKIFY_WAREHOUSE, else the DuckDB file "
    f"{_default('warehouse').removeprefix('duckdb:///')}). A flow run refuses a URL holding a password, which it "
    "would store in the clear: the password goes in a WarehouseConnection block or SPARKIFY_WAREHOUSE_PASSWORD "
    "(the command line moves one given in --warehouse there).",
)
WINDOW_START = Option(
    "window_start",
    "The window's start: events at or after this UTC time (2018-11-01 or 2018-11-01T13:00), with window_end "
    "(default: no window, every event).",
    type=datetime,
)
WINDOW_END = Option("window_end", "The window's end: events before this UTC time, with window_start.", type=datetime)
INTERVAL = Option(
    "interval",
    f"{_either(INTERVALS)}, set by the deployment's schedule: load the interval completed at the run's "
    "scheduled start (the run due at 10:00 loads [09:00, 10:00)) instead of a given window.",
)
WAREHOUSE_BLOCK = Option(
    "warehouse_block",
    "Name of a saved WarehouseConnection block, used instead of warehouse: how a password and Redshift's COPY "
    "credentials reach a run.",
)
S3_BLOCK = Option(
    "s3_block",
    "Name of a saved prefect-aws S3Bucket block to read an s3:// source with (default: the standard AWS "
    "credential chain: AWS_* variables, profiles, instance role).",
)
EVENTS_FORMAT = Option(
    "events_format",
    f"How the event logs are written, log_data/YYYY/MM/YYYY-MM-DD-events.<format>: {_either(EVENTS_FORMATS)} "
    "(one object a line, or a header row then one record a line).",
    default="json",
)
MAX_ERRORS = Option(
    "max_errors",
    "Bad records (kept in rejected_records) a feed may have before the run fails; also Redshift COPY's MAXERROR "
    f"(default: the block's copy_max_error, else SPARKIFY_COPY_MAX_ERROR, {_default('copy_max_error')}).",
    type=int,
)
LOOKBACK_DAYS = Option(
    "lookback_days",
    "Late events: the event files of this many UTC days before the window are re-examined, and the earlier "
    f"windows loaded from one that changed since are reloaded (default: SPARKIFY_LOOKBACK_DAYS, "
    f"{_default('lookback_days'):g}; 0 looks at none).",
    type=float,
)
FULL_REFRESH = Option(
    "full_refresh",
    "Ignore the ledger of loaded files (loaded_objects): read the whole catalog again, and reload a changed event "
    "file's windows at any age.",
    type=bool,
    default=False,
)

READ_WAREHOUSE = Option(
    "read_warehouse",
    "Read the warehouse's ledger and catalog (nothing is written), so that the plan shows the files, the earlier "
    "windows and the marts a run into that warehouse would load, reload and replace.",
    type=bool,
    default=False,
)

# -- a backfill's range, cut into windows
START = Option(
    "start",
    "First instant of the range (UTC).",
    type=date | datetime,
    required=True,
    cli_help="First UTC day of the range (2018-11-01), or its first instant (2018-11-01T06:00).",
)
END = Option(
    "end",
    "The range ends before this instant (UTC).",
    type=date | datetime,
    required=True,
    cli_help="Last UTC day of the range, included (2018-11-30), or the instant it ends before (2018-11-30T12:00).",
)
WINDOW_LENGTH = Option("interval", f"{_either(INTERVALS)}: the length of each window.", default="day")
#: How many windows a backfill loads at once unless told otherwise: the deployment's limit of runs in flight.
CONCURRENCY = Option("concurrency", "Windows loading at once, each a flow run of its own.", type=int, default=3)

# -- the days `forget` deletes
FIRST_DAY = Option("start", "First UTC day whose facts are deleted (2018-11-10).", type=date, required=True)
LAST_DAY = Option("end", "Last UTC day whose facts are deleted, included (2018-11-10).", type=date, required=True)

#: What to load and where: a run's, a plan's and each window of a backfill's.
TARGET = (SOURCE, WAREHOUSE, WAREHOUSE_BLOCK, S3_BLOCK, EVENTS_FORMAT, MAX_ERRORS)
#: Where the warehouse is, for the commands that read or change it without loading.
WAREHOUSE_ONLY = (WAREHOUSE, WAREHOUSE_BLOCK)

#: Each flow's parameters, in the order of its signature.
ETL_PARAMETERS = (
    SOURCE,
    WAREHOUSE,
    WINDOW_START,
    WINDOW_END,
    INTERVAL,
    WAREHOUSE_BLOCK,
    S3_BLOCK,
    EVENTS_FORMAT,
    MAX_ERRORS,
    LOOKBACK_DAYS,
    FULL_REFRESH,
)
BACKFILL_PARAMETERS = (START, END, WINDOW_LENGTH, *TARGET)
AUDIT_PARAMETERS = WAREHOUSE_ONLY

#: Each command's options. A run is told what the ETL flow is, but its window, never a schedule's interval.
RUN_OPTIONS = tuple(option for option in ETL_PARAMETERS if option is not INTERVAL)
PLAN_OPTIONS = (*RUN_OPTIONS, READ_WAREHOUSE)
BACKFILL_OPTIONS = (START, END, WINDOW_LENGTH, CONCURRENCY, *TARGET)
REPORT_OPTIONS = (*WAREHOUSE_ONLY, WINDOW_START, WINDOW_END)
FORGET_OPTIONS = (FIRST_DAY, LAST_DAY, *WAREHOUSE_ONLY)

#: Every option, for turning a parameter's name in a message into its option.
ALL = (*ETL_PARAMETERS, *BACKFILL_OPTIONS, *FORGET_OPTIONS, READ_WAREHOUSE)
