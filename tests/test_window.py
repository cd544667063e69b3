"""Window arithmetic: which slice of event time a scheduled run, a manual run and a backfill own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from sparkify.window import Window, floor


def w(start: str, end: str) -> Window:
    return Window(datetime.fromisoformat(start), datetime.fromisoformat(end))


@pytest.mark.parametrize(
    ("moment", "interval", "expected"),
    [
        ("2018-11-05T10:00:00", "hour", "2018-11-05T10:00:00"),
        ("2018-11-05T10:59:59.999999", "hour", "2018-11-05T10:00:00"),
        ("2018-11-05T00:00:00", "day", "2018-11-05T00:00:00"),
        ("2018-11-05T23:59:59.999999", "day", "2018-11-05T00:00:00"),
    ],
)
def test_floor_is_the_start_of_the_utc_hour_or_day(moment: str, interval: str, expected: str) -> None:
    assert floor(datetime.fromisoformat(moment), interval) == datetime.fromisoformat(expected)


def test_floor_rejects_an_unknown_interval() -> None:
    with pytest.raises(ValueError, match="unknown interval 'week'"):
        floor(datetime(2018, 11, 5), "week")


@pytest.mark.parametrize(
    ("scheduled_at", "interval", "expected"),
    [
        # the hourly run due at 10:00 loads the hour that just ended, as Airflow's data interval
        (datetime(2018, 11, 5, 10, 0, tzinfo=UTC), "hour", w("2018-11-05T09:00", "2018-11-05T10:00")),
        # a late start (10:07) still owns the hour before the one it falls in
        (datetime(2018, 11, 5, 10, 7, 31, tzinfo=UTC), "hour", w("2018-11-05T09:00", "2018-11-05T10:00")),
        # hour at a day boundary: the midnight run loads 23:00 of the day before
        (datetime(2018, 11, 6, 0, 0, tzinfo=UTC), "hour", w("2018-11-05T23:00", "2018-11-06T00:00")),
        # month change
        (datetime(2018, 12, 1, 0, 0, tzinfo=UTC), "hour", w("2018-11-30T23:00", "2018-12-01T00:00")),
        (datetime(2018, 12, 1, 0, 0, tzinfo=UTC), "day", w("2018-11-30", "2018-12-01")),
        # year change
        (datetime(2019, 1, 1, 0, 0, tzinfo=UTC), "hour", w("2018-12-31T23:00", "2019-01-01T00:00")),
        (datetime(2019, 1, 1, 0, 30, tzinfo=UTC), "day", w("2018-12-31", "2019-01-01")),
        # leap day
        (datetime(2020, 3, 1, 0, 0, tzinfo=UTC), "day", w("2020-02-29", "2020-03-01")),
        # naive datetimes are taken as UTC
        (datetime(2018, 11, 5, 10, 0), "hour", w("2018-11-05T09:00", "2018-11-05T10:00")),
    ],
)
def test_a_scheduled_run_owns_the_interval_completed_at_its_scheduled_time(
    scheduled_at: datetime, interval: str, expected: Window
) -> None:
    assert Window.completed_at(scheduled_at, interval) == expected


def test_aware_non_utc_times_are_converted_to_utc_first() -> None:
    # 01:30 in Kolkata (+05:30) is 20:00 UTC the day before: the hour and the day are UTC ones
    kolkata = datetime(2018, 11, 6, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert Window.completed_at(kolkata, "hour") == w("2018-11-05T19:00", "2018-11-05T20:00")
    assert Window.completed_at(kolkata, "day") == w("2018-11-04", "2018-11-05")
    # a DST-observing zone: 2018-11-04 01:30 EST (after the fall-back) is 06:30 UTC
    new_york = datetime(2018, 11, 4, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    assert Window.completed_at(new_york, "hour") == w("2018-11-04T05:00", "2018-11-04T06:00")


def test_a_window_is_stored_as_naive_utc() -> None:
    window = Window(datetime(2018, 11, 5, 12, tzinfo=timezone(timedelta(hours=2))), datetime(2018, 11, 5, 13))
    assert window == w("2018-11-05T10:00", "2018-11-05T13:00")
    assert window.start.tzinfo is None


def test_a_run_takes_explicit_bounds_else_its_interval_else_everything() -> None:
    scheduled_at = datetime(2018, 11, 5, 10, tzinfo=UTC)
    start, end = datetime(2018, 11, 1), datetime(2018, 11, 3)
    assert Window.for_run(start, end, None, scheduled_at) == Window(start, end)
    assert Window.for_run(None, None, "hour", scheduled_at) == w("2018-11-05T09:00", "2018-11-05T10:00")
    assert Window.for_run(None, None, "day", scheduled_at) == w("2018-11-04", "2018-11-05")
    assert Window.for_run(None, None, None, scheduled_at).is_everything
    with pytest.raises(ValueError, match="not both"):
        Window.for_run(start, end, "hour", scheduled_at)
    with pytest.raises(ValueError, match="both window_start and window_end"):
        Window.for_run(start, None, None, scheduled_at)


def test_a_range_splits_into_whole_days_across_a_month_and_a_year() -> None:
    days = w("2018-12-30", "2019-01-02").split("day")
    assert [(d.start, d.end) for d in days] == [
        (datetime(2018, 12, 30), datetime(2018, 12, 31)),
        (datetime(2018, 12, 31), datetime(2019, 1, 1)),
        (datetime(2019, 1, 1), datetime(2019, 1, 2)),
    ]


def test_a_range_splits_into_hours_and_widens_to_whole_intervals() -> None:
    hours = w("2018-11-30T22:30", "2018-12-01T01:15").split("hour")
    assert [str(h) for h in hours] == [
        "[2018-11-30T22:00:00, 2018-11-30T23:00:00)",
        "[2018-11-30T23:00:00, 2018-12-01T00:00:00)",
        "[2018-12-01T00:00:00, 2018-12-01T01:00:00)",
        "[2018-12-01T01:00:00, 2018-12-01T02:00:00)",
    ]
    # consecutive and gapless: together they cover the range exactly once
    assert all(a.end == b.start for a, b in pairwise(hours))


def test_november_is_thirty_days_and_seven_hundred_twenty_hours() -> None:
    november = w("2018-11-01", "2018-12-01")
    assert len(november.split("day")) == 30
    assert len(november.split("hour")) == 720


def test_a_full_load_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="bounded window"):
        Window.everything().split("day")


def test_an_hour_window_reads_only_its_day_file() -> None:
    assert list(w("2018-11-30T23:00", "2018-12-01T00:00").days()) == [date(2018, 11, 30)]
    assert list(w("2018-11-30T23:00", "2018-12-01T01:00").days()) == [date(2018, 11, 30), date(2018, 12, 1)]
