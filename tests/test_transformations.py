"""Each rule of the star schema, pinned on a hand-made input small enough to read.

The rules are the SQL's, so each test runs the run's steps themselves on DuckDB, without
Prefect (``tests.support.helpers.run_steps``); several pin a defect of the Airflow DAG this
pipeline replaces. What the flow adds (failing an empty run) is tested on the flow.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from flows.etl.flow import sparkify_etl
from sparkify.errors import EmptySourceError
from tests.support.factories import event, song, write_source
from tests.support.helpers import duckdb_url, rows, run_steps, star_contents

CATALOG = [song("SOMZWCG12A8C13C480", "You Gotta Be", artist_id="ARDESREE", artist_name="Des'ree", duration=246.30812)]


def load(tmp_path: Path, events, songs=CATALOG, **window) -> str:
    source = write_source(tmp_path / "source", events, songs)
    url = duckdb_url(tmp_path)
    run_steps(source, url, **window)
    return url


def test_a_user_who_switches_level_has_one_row_at_the_latest_level(tmp_path: Path) -> None:
    url = load(
        tmp_path,
        [
            event("2018-11-01T10:00:00.100", level="free", item=0),
            event("2018-11-01T10:05:00.200", page="Submit Upgrade", level="free", item=1),
            event("2018-11-01T10:06:00.300", level="paid", item=2),
            event("2018-11-02T09:00:00.400", level="paid", session_id=200, item=0),
        ],
    )
    assert rows(url, "SELECT user_id, first_name, last_name, gender, level FROM users") == [
        (8, "Kaylee", "Summers", "F", "paid"),
    ]
    # the fact keeps the level of each play
    assert rows(url, "SELECT level FROM songplays ORDER BY start_time") == [("free",), ("paid",), ("paid",)]


def test_a_duplicate_catalog_entry_does_not_duplicate_the_play(tmp_path: Path) -> None:
    catalog = [
        *CATALOG,
        song("SOAAAAA12A8C13C480", "You Gotta Be", artist_id="ARDESREE", artist_name="Des'ree", duration=246.30812),
    ]
    url = load(tmp_path, [event("2018-11-01T10:00:00.100")], songs=catalog)
    assert rows(url, "SELECT song_id, artist_id FROM songplays") == [("SOAAAAA12A8C13C480", "ARDESREE")]
    assert rows(url, "SELECT COUNT(*) FROM songs") == [(2,)]


def test_a_play_of_a_song_outside_the_catalog_is_still_one_fact(tmp_path: Path) -> None:
    url = load(
        tmp_path,
        [
            event("2018-11-01T10:00:00.100", song="Unknown Song", artist="Nobody", length=100.5, item=0),
            # same title and artist but another duration: not the catalog's recording
            event("2018-11-01T10:04:00.100", length=246.3081, item=1),
            event("2018-11-01T10:09:00.100", item=2),
        ],
    )
    assert rows(url, "SELECT song_id, artist_id FROM songplays ORDER BY start_time") == [
        (None, None),
        (None, None),
        ("SOMZWCG12A8C13C480", "ARDESREE"),
    ]


def test_timestamps_keep_their_milliseconds_and_time_rows_are_distinct(tmp_path: Path) -> None:
    url = load(
        tmp_path,
        [
            event("2018-11-04T21:01:46.796", user_id="8", session_id=1),
            # another user in the very same millisecond: one time row for both plays
            event("2018-11-04T21:01:46.796", user_id="15", session_id=2),
            event("2018-12-31T23:59:59.999", user_id="15", session_id=3),
        ],
    )
    assert rows(url, "SELECT start_time FROM songplays ORDER BY start_time") == [
        (datetime(2018, 11, 4, 21, 1, 46, 796000),),
        (datetime(2018, 11, 4, 21, 1, 46, 796000),),
        (datetime(2018, 12, 31, 23, 59, 59, 999000),),
    ]
    assert rows(url, "SELECT start_time, hour, day, week, month, year, weekday FROM time ORDER BY start_time") == [
        # 2018-11-04 is a Sunday: weekday 0, ISO week 44
        (datetime(2018, 11, 4, 21, 1, 46, 796000), 21, 4, 44, 11, 2018, 0),
        # 2018-12-31 is a Monday in ISO week 1 of 2019
        (datetime(2018, 12, 31, 23, 59, 59, 999000), 23, 31, 1, 12, 2018, 1),
    ]


def test_logged_out_events_make_no_user_and_no_fact(tmp_path: Path) -> None:
    url = load(
        tmp_path,
        [
            event("2018-11-01T09:59:00.000", user_id="", page="Home", session_id=52),
            event("2018-11-01T09:59:30.000", user_id="", page="Login", session_id=52, item=1),
            event("2018-11-01T10:00:00.100", session_id=52, item=2),
        ],
    )
    assert rows(url, "SELECT user_id FROM users") == [(8,)]
    assert rows(url, "SELECT user_id, session_id FROM songplays") == [(8, 52)]


def test_durations_and_coordinates_keep_every_digit(tmp_path: Path) -> None:
    catalog = [
        song(
            "SOX",
            "Soul Deep",
            artist_id="ARX",
            artist_name="The Box Tops",
            duration=148.03546,
            latitude=35.14968,
            longitude=-90.04892,
            location="Memphis, TN",
            year=1969,
        )
    ]
    url = load(
        tmp_path,
        [event("2018-11-01T10:00:00.100", song="Soul Deep", artist="The Box Tops", length=148.03546)],
        songs=catalog,
    )
    assert rows(url, "SELECT duration, year FROM songs") == [(148.03546, 1969)]
    assert rows(url, "SELECT name, location, latitude, longitude FROM artists") == [
        ("The Box Tops", "Memphis, TN", 35.14968, -90.04892),
    ]
    assert rows(url, "SELECT song_id FROM songplays") == [("SOX",)]


def test_empty_locations_and_unknown_years_become_null(tmp_path: Path) -> None:
    url = load(tmp_path, [event("2018-11-01T10:00:00.100")])
    assert rows(url, "SELECT location, latitude FROM artists") == [(None, None)]
    assert rows(url, "SELECT year FROM songs") == [(None,)]


def test_an_event_delivered_twice_is_one_fact_with_a_stable_id(tmp_path: Path) -> None:
    play = event("2018-11-01T10:00:00.100", session_id=7, item=3)
    url = load(tmp_path, [play, dict(play)])
    ids = rows(url, "SELECT songplay_id FROM songplays")
    assert len(ids) == 1
    assert ids[0][0] == hashlib.md5(b"7-3-8").hexdigest()


def test_running_twice_changes_nothing(tmp_path: Path) -> None:
    events = [
        event("2018-11-01T10:00:00.100", item=0),
        event("2018-11-01T10:05:00.100", level="paid", item=1),
        event("2018-11-02T10:00:00.100", user_id="15", session_id=9),
    ]
    url = load(tmp_path, events)
    first = star_contents(url)
    run_steps(tmp_path / "source", url)
    assert star_contents(url) == first
    assert len(first["songplays"]) == 3


def test_a_window_loads_only_its_events_and_replaces_only_its_facts(tmp_path: Path) -> None:
    events = [
        event("2018-11-01T10:00:00.100", item=0),
        event("2018-11-02T10:00:00.100", item=1, level="paid"),
        event("2018-11-03T10:00:00.100", item=2),
    ]
    url = load(tmp_path, events, window_start=datetime(2018, 11, 2), window_end=datetime(2018, 11, 3))
    assert rows(url, "SELECT start_time FROM songplays") == [(datetime(2018, 11, 2, 10, 0, 0, 100000),)]
    assert rows(url, "SELECT level FROM users") == [("paid",)]
    # an earlier window loaded later does not take the user's level back
    run_steps(tmp_path / "source", url, window_start=datetime(2018, 11, 1), window_end=datetime(2018, 11, 2))
    assert rows(url, "SELECT COUNT(*) FROM songplays") == [(2,)]
    assert rows(url, "SELECT level FROM users") == [("paid",)]


@pytest.mark.usefixtures("prefect_harness")
def test_a_source_without_nextsong_events_fails_the_flow_with_a_clear_message(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", [event("2018-11-01T10:00:00.100", page="Home")], CATALOG)
    with pytest.raises(EmptySourceError, match=r"no NextSong event in .*source for all events"):
        sparkify_etl(source=str(source), warehouse=duckdb_url(tmp_path))
