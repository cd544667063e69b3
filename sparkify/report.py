"""The listening report: what users listened to in a window, read from the marts, drawn in Markdown.

One text serves both readers: Prefect's UI renders it as a Markdown artifact, and a
terminal shows the same tables as they are, bars made of block characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkify.warehouse import Warehouse
from sparkify.window import Window

#: Characters of the longest bar in the hour-of-day chart.
BAR_WIDTH = 30
#: Partial blocks, an eighth of a character each: bars keep their proportions at any count.
_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True)
class RankedSong:
    title: str | None
    artist: str | None
    in_catalog: bool
    plays: int


@dataclass(frozen=True)
class RankedArtist:
    name: str | None
    in_catalog: bool
    plays: int


@dataclass(frozen=True)
class ListeningReport:
    """The window's figures, as the marts count them."""

    window: str
    plays: int = 0
    matched_plays: int = 0
    free_plays: int = 0
    paid_plays: int = 0
    users_upgraded: int = 0
    users_downgraded: int = 0
    top_songs: list[RankedSong] = field(default_factory=list)
    top_artists: list[RankedArtist] = field(default_factory=list)
    #: Plays per hour of day (0-23), hours without plays left out.
    plays_by_hour: dict[int, int] = field(default_factory=dict)


def read(warehouse: Warehouse, window: Window) -> ListeningReport:
    """The report's figures for ``window``: each query under ``sql/report/`` reads the window's facts alone (a range
    on their start time) and looks their songs and artists up by key, counting as the marts count."""
    params = window.params()
    with warehouse.engine.connect() as conn:

        def query(name: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(warehouse.statement(f"report/{name}"), params).all()]

        totals = query("totals")
        songs, artists, hours = query("top_songs"), query("top_artists"), query("plays_by_hour_of_day")
    figures = [int(value or 0) for value in totals[0]] if totals else []  # no row reads as nothing counted
    return ListeningReport(
        str(window),
        *figures,
        top_songs=[RankedSong(title, artist, bool(matched), int(plays)) for title, artist, matched, plays in songs],
        top_artists=[RankedArtist(name, bool(matched), int(plays)) for name, matched, plays in artists],
        plays_by_hour={int(hour): int(plays) for hour, plays in hours},
    )


def render(report: ListeningReport) -> str:
    """The report in Markdown; a window without plays says so instead of drawing empty tables."""
    title = f"# Sparkify listening: {report.window}"
    if not report.plays:
        return f"{title}\n\nNo plays in this window: nothing was listened to, or nothing has been loaded for it.\n"
    paid_share = report.paid_plays / report.plays
    sections = [
        title,
        f"**{report.plays:,} plays**; {report.matched_plays:,} of them ({report.matched_plays / report.plays:.1%}) "
        "matched a song of the catalog (the others are counted by the title and artist the app logged).",
        "## Top 10 songs",
        _table(
            ["#", "song", "artist", "in catalog", "plays"],
            [
                [str(rank), _cell(song.title), _cell(song.artist), _yes_no(song.in_catalog), f"{song.plays:,}"]
                for rank, song in enumerate(report.top_songs, 1)
            ],
            "---:|:---|:---|:---:|---:",
        ),
        "## Top 10 artists",
        _table(
            ["#", "artist", "in catalog", "plays"],
            [
                [str(rank), _cell(artist.name), _yes_no(artist.in_catalog), f"{artist.plays:,}"]
                for rank, artist in enumerate(report.top_artists, 1)
            ],
            "---:|:---|:---:|---:",
        ),
        "## Plays by hour of day (UTC)",
        _hour_chart(report.plays_by_hour),
        "## Free and paid",
        _table(
            ["level", "plays", "share"],
            [
                ["free", f"{report.free_plays:,}", f"{1 - paid_share:.1%}"],
                ["paid", f"{report.paid_plays:,}", f"{paid_share:.1%}"],
            ],
            ":---|---:|---:",
        ),
        f"Level switches: {report.users_upgraded:,} users upgraded to paid, "
        f"{report.users_downgraded:,} downgraded to free.",
    ]
    return "\n\n".join(sections) + "\n"


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar ``value / largest`` of ``width`` characters long, to an eighth of a character."""
    eighths = round(value / largest * width * 8) if largest else 0
    whole, part = divmod(eighths, 8)
    return ("█" * whole + _EIGHTHS[part]).rstrip()


def _hour_chart(plays_by_hour: dict[int, int]) -> str:
    """The hours from the first to the last with plays, quiet ones between too: the day's shape reads at a glance."""
    largest = max(plays_by_hour.values())
    rows = [
        [f"{hour:02d}", f"{plays_by_hour.get(hour, 0):,}", bar(plays_by_hour.get(hour, 0), largest)]
        for hour in range(min(plays_by_hour), max(plays_by_hour) + 1)
    ]
    return _table(["hour", "plays", ""], rows, "---:|---:|:---")


def _table(header: list[str], rows: list[list[str]], alignment: str) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + alignment + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(text: str | None) -> str:
    """Text safe in a Markdown table cell: no pipe ends the cell, no newline ends the row."""
    if text is None:
        return "(unnamed)"
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
