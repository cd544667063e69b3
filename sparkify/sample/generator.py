"""Sparkify's own sample-data generator.

Writes a source folder laid out and formatted like Sparkify's S3 bucket, so the
pipelines can be developed, tested and benchmarked at any scale without the real
data:

* ``song_data/<A>/<B>/<C>/TR<16 chars>.json`` -- one song per file, a single JSON
  object either on one line without a trailing newline or pretty-printed with a
  2-space indent and a trailing newline (both occur in the real bucket);
* ``log_data/YYYY/MM/YYYY-MM-DD-events.json`` -- the app events of one UTC day,
  newline-delimited compact JSON sorted by ``ts``, escaped the way the real logs
  are (ASCII only, ``\\/`` for ``/``), without a trailing newline.

The output is a pure function of :class:`GeneratorConfig`: the same config gives
byte-identical files. Events are produced one day at a time from JSON fragments
pre-encoded per user and per song, and written behind on a background thread, which
keeps memory bounded (one day's events plus a capped write buffer) and the speed
above 200,000 events per second. :func:`replay` and :meth:`_EventWriter.live_day`
continue a sample past its last day, for ``sparkify.sample.live``.
"""

from __future__ import annotations

import argparse
import bisect
import copy
import datetime as dt
import functools
import json
import random
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise
from operator import itemgetter
from pathlib import Path
from types import TracebackType

from sparkify.records import SONG_FIELDS
from sparkify.sources import EVENT_COLUMNS

__all__ = [
    "EVENT_KEYS",
    "PAGES",
    "SONG_KEYS",
    "GeneratedSource",
    "GeneratorConfig",
    "ensure_sample",
    "generate",
    "main",
]

# ---------------------------------------------------------------------------
# Format of the real bucket
# ---------------------------------------------------------------------------

#: Keys of a song file, in file order: the format the pipeline reads.
SONG_KEYS = SONG_FIELDS

#: Keys of an event line, in line order: the format the pipeline reads.
EVENT_KEYS = EVENT_COLUMNS

#: Every page of the app with the HTTP method and status the logs record for it.
PAGES: dict[str, tuple[str, int]] = {
    "NextSong": ("PUT", 200),
    "Home": ("GET", 200),
    "Login": ("PUT", 307),
    "Logout": ("PUT", 307),
    "Settings": ("GET", 200),
    "Save Settings": ("PUT", 307),
    "Upgrade": ("GET", 200),
    "Submit Upgrade": ("PUT", 307),
    "Downgrade": ("GET", 200),
    "Submit Downgrade": ("PUT", 307),
    "Help": ("GET", 200),
    "About": ("GET", 200),
    "Error": ("GET", 404),
}
_PAGE_NAMES = tuple(PAGES)
(
    NEXT_SONG,
    HOME,
    LOGIN,
    LOGOUT,
    SETTINGS,
    SAVE_SETTINGS,
    UPGRADE,
    SUBMIT_UPGRADE,
    DOWNGRADE,
    SUBMIT_DOWNGRADE,
    HELP,
    ABOUT,
    ERROR,
) = range(len(_PAGE_NAMES))
FREE, PAID = 0, 1
_LEVELS = ("free", "paid")

# ---------------------------------------------------------------------------
# Shape of the generated data (tunable here, not per run)
# ---------------------------------------------------------------------------

#: Share of NextSong plays whose (song, artist, length) equals a catalog song's
#: (title, artist_name, duration); the rest are songs missing from the catalog.
MATCHED_SHARE = 0.30
#: Share of catalog entries that repeat another entry's title, artist and
#: duration under a different song_id (the real catalog has such duplicates).
DUPLICATE_SHARE = 0.01
#: Share of song files written pretty-printed instead of on one line.
PRETTY_SONG_SHARE = 0.15
#: Share of songs with an unknown release year (written as 0, as in the MSD).
YEAR_ZERO_SHARE = 0.45
#: Average number of catalog songs per artist.
SONGS_PER_ARTIST = 2.5
#: Size of the pool of songs missing from the catalog, relative to the catalog.
UNMATCHED_POOL_FACTOR = 3
#: Share of unmatched plays that are near misses: a catalog song's title and
#: artist with a different length, which a join on all three must not match.
NEAR_MISS_SHARE = 0.05
#: Share of unmatched plays by a catalog artist (a song of theirs not in the catalog).
CATALOG_ARTIST_SHARE = 0.10
#: Share of logged-in events that are NextSong when no page is forced; with the
#: forced follow-up pages this gives the real bucket's ~80% NextSong events.
NEXT_SONG_SHARE = 0.84
#: Relative weights of the other pages a logged-in user picks freely.
OTHER_PAGE_WEIGHTS = {
    HOME: 62.0,
    SETTINGS: 6.0,
    LOGOUT: 5.0,
    HELP: 5.0,
    ABOUT: 2.0,
    ERROR: 1.5,
    UPGRADE: 6.0,  # free users only
    DOWNGRADE: 8.0,  # paid users only
}
#: Probability that a page is followed by its submit page.
FOLLOW_UPS = {UPGRADE: (SUBMIT_UPGRADE, 0.45), DOWNGRADE: (SUBMIT_DOWNGRADE, 0.40)}
SAVE_SETTINGS_SHARE = 0.35
#: Mean seconds until the next event of the session, per page (NextSong uses the
#: song's duration instead).
GAP_MEAN_S = {
    HOME: 25.0,
    LOGIN: 5.0,
    LOGOUT: 15.0,
    SETTINGS: 30.0,
    SAVE_SETTINGS: 8.0,
    UPGRADE: 20.0,
    SUBMIT_UPGRADE: 2.0,
    DOWNGRADE: 20.0,
    SUBMIT_DOWNGRADE: 2.0,
    HELP: 45.0,
    ABOUT: 30.0,
    ERROR: 3.0,
}
#: Share of plays listened to the end; the others are skipped part-way.
FULL_PLAY_SHARE = 0.85
MEAN_SESSION_EVENTS = 20.0
MAX_SESSION_EVENTS = 300
#: Sessions that start logged out (Home/Login before the first logged-in page).
LOGGED_OUT_START_SHARE = 0.06
#: Share of logged-out events that log in (the others browse Home/About/Help).
LOGIN_SHARE = 0.8
#: Sessions of visitors without an account: only logged-out pages.
GUEST_SESSION_SHARE = 0.02
PAID_USER_SHARE = 0.4
MAX_REGISTRATION_AGE_DAYS = 400
#: Relative traffic per weekday (Monday first).
WEEKDAY_TRAFFIC = (1.0, 1.0, 1.02, 1.05, 1.12, 0.9, 0.85)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: Latest in-day start offset of an event so that ts plus the sub-second part
#: stays inside its UTC day.
_LAST_SECOND_MS = DAY_MS - 1000
_EPOCH = dt.date(1970, 1, 1)

# ---------------------------------------------------------------------------
# Built-in vocabulary (invented; deliberately not taken from the real data)
# ---------------------------------------------------------------------------

# fmt: off
_FIRST_NAMES = {
    "F": (
        "Amara", "Beatriz", "Daphne", "Eloise", "Farrah", "Greta", "Harriet", "Imogen",
        "Juniper", "Keira", "Lorelei", "Marisol", "Noemi", "Odette", "Paloma", "Rosalind",
        "Saoirse", "Tamsin", "Ursula", "Vivienne", "Wren", "Ximena", "Yara", "Zinnia", "Anouk",
        "Brielle", "Coralie", "Delphine", "Esmé", "Maëlle", "Ingrid",
    ),
    "M": (
        "Anselm", "Barnaby", "Cormac", "Dashiell", "Emrys", "Fletcher", "Gideon", "Horatio",
        "Ignatius", "Jasper", "Kieran", "Lysander", "Magnus", "Niall", "Oisín", "Percival",
        "Quentin", "Rafferty", "Silas", "Thaddeus", "Ulric", "Valentin", "Wendell", "Xavier",
        "Yusuf", "Zeke", "Ambrose", "Caspian", "Desmond", "Joaquín", "Leopold", "Matthias",
    ),
}
_LAST_NAMES = (
    "Ashdown", "Blackwood", "Calloway", "Delacroix", "Ellsworth", "Fairweather", "Galloway",
    "Hargreave", "Ingleby", "Jessup", "Kettering", "Lockhart", "Merriweather", "Northcott",
    "Oakley", "Pemberton", "Quimby", "Radcliffe", "Sutherland", "Thistlewood", "Underhill",
    "Vantreight", "Whitlock", "Yardley", "Zeller", "Abernathy", "Brightwater", "Crowther",
    "Dunmore", "Everhart", "Foxworth", "Greenhalgh", "Holloway", "Ibarra", "Jankowski",
    "Kowalczyk", "Lindqvist", "Moreau", "Nakamura", "Okonkwo", "Petrov", "Quintero",
    "Rasmussen", "Sandoval", "Takahashi", "Urquhart", "Villanueva", "Wojcik", "Yilmaz",
    "Zamora", "Núñez", "Søndergaard",
)
_USER_LOCATIONS = (
    "Boise City, ID", "Albuquerque, NM", "Tucson, AZ", "Omaha-Council Bluffs, NE-IA",
    "Spokane-Spokane Valley, WA", "Des Moines-West Des Moines, IA", "Madison, WI",
    "Burlington-South Burlington, VT", "Anchorage, AK", "Urban Honolulu, HI", "Fargo, ND-MN",
    "Savannah, GA", "Tallahassee, FL", "Knoxville, TN",
    "Little Rock-North Little Rock-Conway, AR", "Reno, NV", "Provo-Orem, UT", "Bozeman, MT",
    "Duluth, MN-WI", "Asheville, NC", "Charleston-North Charleston, SC", "Santa Fe, NM",
    "Sioux Falls, SD", "Wichita, KS", "Rochester, NY", "Baltimore-Columbia-Towson, MD",
    "Pittsburgh, PA", "Mayagüez, PR", "Cañon City, CO", "Española, NM",
)
_USER_AGENTS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77"
     " Safari/537.36"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko)"
     " Chrome/69.0.3497.100 Safari/537.36"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0"
     " Safari/605.1.15"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 12_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
     " Version/12.0 Mobile/15E148 Safari/604.1"),
    ("Mozilla/5.0 (Linux; Android 8.1.0; Pixel 2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.64"
     " Mobile Safari/537.36"),
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.67 Safari/537.36",
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102"
     " Safari/537.36 Edge/18.17763"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:63.0) Gecko/20100101 Firefox/63.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:62.0) Gecko/20100101 Firefox/62.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.13; rv:63.0) Gecko/20100101 Firefox/63.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
)
_ARTIST_FIRST = (
    "Mara", "Teodor", "Ines", "Rufus", "Oona", "Caspar", "Lucía", "Søren", "Zoë", "Anaïs",
    "Jürgen", "Ramón", "Noor", "Kalani", "Dario", "Ylva", "Émile", "Björn", "Cleo", "Otis",
    "Hazel", "Felix", "Nadia", "Luca", "Sunny", "Marek", "Aiko", "Renata", "Tobias", "Wanda",
    "Idris", "Petra", "Conrad", "Lilou", "Bram", "Selma", "Hugo", "Tova", "Arlo", "Minna",
)
_ARTIST_LAST = (
    "Vance", "Okafor", "Lindgren", "Moreno", "Castellanos", "Haddad", "Brennan", "Falk",
    "Dubois", "Kovač", "Ødegaard", "Nakashima", "Whitfield", "Ferreira", "Ionescu",
    "Müller-Stahl", "Carrow", "Delgado", "Ekberg", "Fontaine", "Gallo", "Hayward", "Iversen",
    "Jaramillo", "Kinsella", "Lachance", "Maddox", "Novak", "Oduya", "Pryce", "Quaid", "Romero",
    "Strand", "Tremblay", "Ueda", "Varga", "Wexler", "Yanez", "Zorić", "Achterberg",
)
_ADJECTIVES = (
    "Silver", "Velvet", "Hollow", "Electric", "Crimson", "Paper", "Midnight", "Wandering",
    "Neon", "Broken", "Golden", "Quiet", "Wild", "Lonesome", "Cosmic", "Rusty", "Frozen",
    "Little", "Sacred", "Lucky", "Copper", "Distant", "Gentle", "Restless", "Amber", "Northern",
    "Painted", "Secret", "Sleepy", "Burning",
)
_PLURAL_NOUNS = (
    "Lanterns", "Foxes", "Saints", "Rivers", "Pilots", "Ghosts", "Satellites", "Wolves",
    "Strangers", "Horses", "Comets", "Sparrows", "Machines", "Tides", "Kings", "Orchids",
    "Echoes", "Mirrors", "Harbors", "Cowboys", "Dreamers", "Thieves", "Owls", "Engines",
    "Gardens", "Drifters", "Sisters", "Brothers", "Bandits", "Pines",
)
_BAND_NAMES = (
    "Los Caminantes del Sur", "Orquesta Añoranza", "Les Étoiles Filantes", "Die Nachtfalter",
    "Trío Corazón", "Sväng & Söner", "Banda São Jorge", "Ensemble Hélios", "Kvartetten Ljus",
    "Conjunto Peñasco",
)
_ARTIST_SUFFIXES = ("Trio", "Quartet", "Band", "Orchestra", "Project", "Collective")
_TITLE_WORDS = (
    "love", "night", "river", "heart", "city", "fire", "rain", "summer", "shadow", "light",
    "road", "home", "dream", "blue", "gold", "morning", "ocean", "song", "dance", "wind",
    "star", "moon", "train", "window", "letter", "garden", "mountain", "winter", "sugar",
    "ghost", "mirror", "paradise", "highway", "thunder", "silence", "yesterday", "tomorrow",
    "forever", "alone", "together", "lost", "found", "wild", "sweet", "bitter", "slow", "fast",
    "little", "old", "new", "last", "first", "don't", "can't", "lovin'", "waitin'", "mañana",
    "corazón", "été", "fröhlich", "sehnsucht", "saudade", "hjärta", "cielo", "noche", "amour",
    "tempo", "vida",
)
_TITLE_SUFFIXES = (
    "(Album Version)", "(Live)", "(Remastered)", "(Radio Edit)", "(Acoustic)", "(Demo)",
    "(Extended Mix)", "(Instrumental)",
)
_ARTIST_LOCATIONS: tuple[tuple[str, float | None, float | None], ...] = (
    ("Austin, TX", 30.26715, -97.74306),
    ("Seattle, WA", 47.60357, -122.32945),
    ("Nashville, TN", 36.16784, -86.77816),
    ("Detroit, MI", 42.33168, -83.04792),
    ("Minneapolis, MN", 44.97902, -93.26494),
    ("New Orleans, LA", 29.95369, -90.07771),
    ("Athens, GA", 33.95788, -83.37491),
    ("Brooklyn, NY", 40.65002, -73.94958),
    ("Glasgow, Scotland", 55.8578, -4.24251),
    ("Manchester, England", 53.4791, -2.24925),
    ("Dublin, Ireland", 53.34807, -6.24827),
    ("Melbourne, Australia", -37.81753, 144.96715),
    ("Kingston, Jamaica", 17.99702, -76.79358),
    ("Lagos, Nigeria", 6.45306, 3.39583),
    ("São Paulo, Brazil", -23.56287, -46.65468),
    ("Bogotá, Colombia", 4.59804, -74.07616),
    ("Montréal, Québec, Canada", 45.51228, -73.55439),
    ("Zürich, Switzerland", 47.37689, 8.54169),
    ("Malmö, Sweden", 55.60499, 13.00382),
    ("Kraków, Poland", 50.06192, 19.93658),
    ("Düsseldorf, Germany", 51.22172, 6.77616),
    ("Reykjavík, Iceland", 64.14599, -21.94221),
    ("Ciudad de México, México", 19.43195, -99.13315),
    ("Texas", 31.1689, -100.07715),
    ("Oregon", 43.93326, -120.55801),
    ("Québec", None, None),
    ("Scandinavia", None, None),
    ("Bay Area", None, None),
)
# fmt: on


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate; the seed makes the output reproducible byte for byte."""

    events: int = 10_000
    songs: int = 500
    users: int = 100
    days: int = 30
    start: dt.date = dt.date(2018, 11, 1)
    seed: int = 42

    def __post_init__(self) -> None:
        """Reject configs that cannot describe a source folder."""
        if self.events < 0:
            raise ValueError(f"events must be >= 0, got {self.events}")
        for name in ("songs", "users", "days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class GeneratedSource:
    """What :func:`generate` wrote, for logs, benchmarks and assertions."""

    root: Path
    events: int
    song_files: int
    event_files: int
    nextsong_events: int
    bytes_written: int


def generate(root: Path, config: GeneratorConfig = GeneratorConfig()) -> GeneratedSource:
    """Write ``song_data/`` and ``log_data/`` for ``config`` under ``root``.

    ``root`` is created when missing; existing files at the generated paths are
    overwritten, anything else under ``root`` is left alone.
    """
    root = Path(root)
    rng = random.Random(config.seed)
    catalog = _Catalog(rng, config.songs)
    events = _EventWriter(rng, config, catalog)
    with _FileWriter() as writer:
        catalog.write(root / "song_data", rng, writer)
        event_files = events.write(root / "log_data", writer)
    return GeneratedSource(
        root=root,
        events=config.events,
        song_files=len(catalog.songs),
        event_files=event_files,
        nextsong_events=events.nextsong_events,
        bytes_written=writer.bytes_written,
    )


def ensure_sample(root: Path, config: GeneratorConfig = GeneratorConfig()) -> GeneratedSource | None:
    """Generate a sample under ``root`` unless one is already there.

    Returns ``None`` when ``root`` already holds ``song_data/`` and ``log_data/``.
    The sample is generated in a hidden staging directory and renamed into place,
    so an interrupted run never leaves a half-written sample that would later be
    taken for a complete one.

    Raises:
        FileExistsError: ``root`` holds only one of the two folders (an unknown
            or damaged source), which is not touched.
    """
    root = Path(root)
    present = [(root / name).exists() for name in ("song_data", "log_data")]
    if all(present):
        return None
    if any(present):
        raise FileExistsError(
            f"{root} has only one of song_data/ and log_data/; remove it or pass a different directory"
        )
    # Stage next to the final location so the renames stay on one file system:
    # beside ``root`` when it does not exist yet, inside it when it does (it may
    # be a mount point).
    stage_parent = root if root.exists() else root.parent
    stage_parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{root.name}.generating-", dir=stage_parent))
    try:
        result = generate(stage, config)
        try:
            if root.exists():
                # log_data/ last: completeness is judged by both being present.
                (stage / "song_data").rename(root / "song_data")
                (stage / "log_data").rename(root / "log_data")
            else:
                stage.rename(root)
        except OSError:
            # A concurrent caller may have finished first: that sample is as good.
            if (root / "song_data").exists() and (root / "log_data").exists():
                return None
            raise
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return replace(result, root=root)


@functools.lru_cache(maxsize=4)
def replay(config: GeneratorConfig) -> _EventWriter:
    """The event writer as generating ``config`` leaves it: each user at their last level, the next session id.

    The draws of :func:`generate`, in its order, with nothing written: what the live days continue. Never change
    the object returned (it is shared); :meth:`_EventWriter.fork` copies it.
    """
    rng = random.Random(config.seed)
    catalog = _Catalog(rng, config.songs)
    events = _EventWriter(rng, config, catalog)
    catalog.layouts(rng)
    for _ in events.days():
        pass
    return events


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _write_files(files: list[tuple[Path, bytes]]) -> None:
    for path, data in files:
        path.write_bytes(data)


class _FileWriter:
    """Writes files on one background thread, in batches.

    Creating and filling thousands of files costs seconds of kernel time (and
    varies a lot with what else the file system is doing); the write calls release
    the GIL, so on a background thread they overlap with generating the next day
    instead of adding to it. Generation runs at most ``MAX_PENDING_BYTES`` ahead
    of the disk, which bounds memory.
    """

    BATCH_BYTES = 1 << 20
    BATCH_FILES = 256
    MAX_PENDING_BYTES = 64 << 20

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparkify-writer")
        self._pending: deque[tuple[Future[None], int]] = deque()
        self._pending_bytes = 0
        self._batch: list[tuple[Path, bytes]] = []
        self._batch_bytes = 0
        self.bytes_written = 0

    def __enter__(self) -> _FileWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._submit()
            self._wait(limit=-1)  # everything
        self._pool.shutdown(wait=True, cancel_futures=True)

    def write(self, path: Path, data: bytes) -> None:
        """Queue ``data`` to be written to ``path`` (whose folder must exist)."""
        self._batch.append((path, data))
        self._batch_bytes += len(data)
        self.bytes_written += len(data)
        if self._batch_bytes >= self.BATCH_BYTES or len(self._batch) >= self.BATCH_FILES:
            self._submit()

    def _submit(self) -> None:
        if self._batch:
            self._pending.append((self._pool.submit(_write_files, self._batch), self._batch_bytes))
            self._pending_bytes += self._batch_bytes
            self._batch, self._batch_bytes = [], 0
        self._wait(limit=self.MAX_PENDING_BYTES)

    def _wait(self, limit: int) -> None:
        """Wait for the oldest batches until at most ``limit`` bytes are in flight."""
        while self._pending and self._pending_bytes > limit:
            future, size = self._pending.popleft()
            future.result()  # also re-raises a failed write
            self._pending_bytes -= size


# ---------------------------------------------------------------------------
# Catalog (song_data)
# ---------------------------------------------------------------------------

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = _UPPER + "0123456789"
_HEX = "0123456789ABCDEF"


@dataclass(frozen=True)
class _Artist:
    artist_id: str
    name: str
    location: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class _Song:
    track_id: str
    song_id: str
    artist: _Artist
    title: str
    duration: float
    year: int


def _js(value: str) -> str:
    """Encode a string as the real event logs do: JSON, ASCII only, ``/`` as ``\\/``."""
    return json.dumps(value).replace("/", "\\/")


def _duration(rng: random.Random) -> float:
    """A track length in seconds with the catalog's 5 decimals (3-5 min typical)."""
    return round(min(max(rng.lognormvariate(5.45, 0.35), 15.0), 1800.0), 5)


def _title(rng: random.Random) -> str:
    """An invented song title, sometimes with a version suffix or a medley slash."""
    words = [rng.choice(_TITLE_WORDS) for _ in range(1 + int(rng.random() * 4))]
    title = " ".join(word[0].upper() + word[1:] for word in words)
    roll = rng.random()
    if roll < 0.07:
        title = f"{title} {rng.choice(_TITLE_SUFFIXES)}"
    elif roll < 0.09:
        title = f"{title} / {_title(rng)}"
    return title


def _artist_name(rng: random.Random) -> str:
    """An invented artist name in one of the common shapes of band/artist names."""
    roll = rng.random()
    first, last = rng.choice(_ARTIST_FIRST), rng.choice(_ARTIST_LAST)
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_PLURAL_NOUNS)
    if roll < 0.30:
        return f"{first} {last}"
    if roll < 0.55:
        return f"The {adjective} {noun}"
    if roll < 0.70:
        return f"{adjective} {noun}"
    if roll < 0.80:
        return f"{first} {last} & The {noun}"
    if roll < 0.87:
        return f"{first} {last} {rng.choice(_ARTIST_SUFFIXES)}"
    if roll < 0.93:
        return f"DJ {first} {adjective}"
    return f"{rng.choice(_BAND_NAMES)} {rng.choice(_ARTIST_SUFFIXES)}"


class _Catalog:
    """The song catalog plus the pre-encoded plays the event logs draw from."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self._ids: set[str] = set()  # membership only: never iterated
        self._artist_names: set[str] = set()  # membership only
        artists = [self._artist(rng) for _ in range(max(1, round(size / SONGS_PER_ARTIST)))]
        duplicates = min(size - 1, max(1, round(size * DUPLICATE_SHARE)))
        songs: list[_Song] = []
        for _ in range(size - duplicates):
            # Skewed so that some artists have many songs and some only one.
            artist = artists[int(len(artists) * rng.random() ** 1.6)]
            year = 0 if rng.random() < YEAR_ZERO_SHARE else 1955 + int(rng.random() * 64)
            songs.append(self._song(rng, artist, _title(rng), _duration(rng), year))
        for _ in range(duplicates):
            # Same title, artist and duration under another song_id and track.
            original = songs[int(rng.random() * (size - duplicates))]
            songs.append(self._song(rng, original.artist, original.title, original.duration, original.year))
        rng.shuffle(songs)
        self.songs: list[_Song] = songs
        #: (artist JSON, length JSON, title JSON, whole seconds in ms) per catalog song.
        self.matched = [self._play(s.artist.name, s.title, s.duration) for s in songs]
        self.unmatched = self._unmatched(rng, artists, UNMATCHED_POOL_FACTOR * size)

    def _unique_id(self, rng: random.Random, prefix: str, head: str, head_len: int) -> str:
        """An MSD-style id (prefix + letters + hex) not used before in this catalog."""
        while True:
            new = prefix + "".join(rng.choices(head, k=head_len)) + "".join(rng.choices(_HEX, k=11))
            if new not in self._ids:
                self._ids.add(new)
                return new

    def _artist(self, rng: random.Random) -> _Artist:
        roll = rng.random()
        if roll < 0.45:
            location, latitude, longitude = "", None, None
        else:
            location, latitude, longitude = rng.choice(_ARTIST_LOCATIONS)
            if roll < 0.7:  # known place, but no coordinates in the catalog
                latitude = longitude = None
        # Mostly distinct names; once the name space runs thin, homonyms (distinct
        # artist_ids with the same name, as in the MSD) are accepted.
        name = _artist_name(rng)
        for _ in range(10):
            if name not in self._artist_names:
                break
            name = _artist_name(rng)
        self._artist_names.add(name)
        return _Artist(self._unique_id(rng, "AR", _ALNUM, 5), name, location, latitude, longitude)

    def _song(self, rng: random.Random, artist: _Artist, title: str, duration: float, year: int) -> _Song:
        # Track ids keep the real bucket's spread: song_data/A/{A,B}/<A-Z>/.
        track_id = self._unique_id(rng, "TRA" + rng.choice("AB"), _UPPER, 3)
        return _Song(track_id, self._unique_id(rng, "SO", _UPPER, 5), artist, title, duration, year)

    @staticmethod
    def _play(artist: str, title: str, duration: float) -> tuple[str, str, str, int]:
        return (_js(artist), repr(duration), _js(title), int(duration) * 1000)

    def _unmatched(self, rng: random.Random, artists: Sequence[_Artist], size: int) -> list[tuple[str, str, str, int]]:
        """Plays of songs missing from the catalog, never equal to a catalog song."""
        in_catalog = {(s.artist.name, s.title, s.duration) for s in self.songs}
        pool = []
        while len(pool) < size:
            roll = rng.random()
            if roll < NEAR_MISS_SHARE:
                song = self.songs[int(rng.random() * len(self.songs))]
                key = (song.artist.name, song.title, round(song.duration + rng.uniform(-6, 6), 5))
            elif roll < NEAR_MISS_SHARE + CATALOG_ARTIST_SHARE:
                artist = artists[int(rng.random() * len(artists))]
                key = (artist.name, _title(rng), _duration(rng))
            else:
                key = (_artist_name(rng), _title(rng), _duration(rng))
            if key not in in_catalog:
                pool.append(self._play(*key))
        return pool

    def layouts(self, rng: random.Random) -> list[bool]:
        """Whether each song's file is pretty-printed: one draw per song, in catalog order."""
        return [rng.random() < PRETTY_SONG_SHARE for _ in self.songs]

    def write(self, folder: Path, rng: random.Random, writer: _FileWriter) -> None:
        """Write one file per song."""
        directories: dict[str, Path] = {}
        for song, pretty in zip(self.songs, self.layouts(rng), strict=True):
            letters = song.track_id[2:5]
            directory = directories.get(letters)
            if directory is None:
                directory = directories[letters] = folder.joinpath(*letters)
                directory.mkdir(parents=True, exist_ok=True)
            record = {
                "num_songs": 1,
                "artist_id": song.artist.artist_id,
                "artist_latitude": song.artist.latitude,
                "artist_longitude": song.artist.longitude,
                "artist_location": song.artist.location,
                "artist_name": song.artist.name,
                "song_id": song.song_id,
                "title": song.title,
                "duration": song.duration,
                "year": song.year,
            }
            text = json.dumps(record, indent=2) + "\n" if pretty else json.dumps(record)
            writer.write(directory / f"{song.track_id}.json", text.encode("ascii"))


# ---------------------------------------------------------------------------
# Events (log_data)
# ---------------------------------------------------------------------------

#: ``,"status":<status>,"ts":`` per page code.
_STATUS_TS = tuple(f',"status":{status},"ts":' for _, status in PAGES.values())
#: Pages a logged-out visitor browses besides Login.
_LOGGED_OUT_PAGES = (HOME, HOME, HOME, HOME, ABOUT, HELP)


class _Pieces:
    """Pre-encoded JSON fragments of one user's events (or of logged-out ones).

    Encoding each user's constant fields once, instead of calling ``json.dumps``
    per event, is what makes the generator fast. A line is assembled as::

        {"artist":<artist> head <itemInSession> last <length>
        mid[level][page] <sessionId> ,"song":<song> status_ts[page] <ts> tail
    """

    __slots__ = ("head", "last", "mid", "tail")

    def __init__(
        self,
        *,
        auth: str,
        first: str,
        gender: str,
        last: str,
        location: str,
        registration: str,
        user_agent: str,
        user_id: str,
    ) -> None:
        """Arguments are JSON-encoded values (``"null"`` for null)."""
        self.head = f',"auth":"{auth}","firstName":{first},"gender":{gender},"itemInSession":'
        self.last = f',"lastName":{last},"length":'
        self.mid = tuple(
            tuple(
                f',"level":"{level}","location":{location},"method":"{method}",'
                f'"page":"{page}","registration":{registration},"sessionId":'
                for page, (method, _) in PAGES.items()
            )
            for level in _LEVELS
        )
        self.tail = f',"userAgent":{user_agent},"userId":{user_id}}}'


_LOGGED_OUT = _Pieces(
    auth="Logged Out",
    first="null",
    gender="null",
    last="null",
    location="null",
    registration="null",
    user_agent="null",
    user_id='""',
)


class _User:
    """A listener: fragments of their events and their current subscription level."""

    __slots__ = ("level", "pieces")

    def __init__(self, pieces: _Pieces, level: int) -> None:
        self.pieces = pieces
        self.level = level


#: Live days: every user who switches level today has done so by this hour; sessions of one hour's share at
#: least; a user busy past the half hour is passed over at most this many times.
_LAST_SWITCH_HOUR = 20
_TOP_UP_EVENTS = 5
_PICKS = 8
#: How every line but a NextSong's starts.
_NOT_A_PLAY = '{"artist":null'

#: A session as generated: its duration in ms and its events as
#: (ms since session start, line up to ``"ts":``, rest of the line after ts).
_Session = tuple[int, list[tuple[int, str, str]]]


class _EventWriter:
    """Streams the event logs day by day, so memory is bounded by one day."""

    def __init__(self, rng: random.Random, config: GeneratorConfig, catalog: _Catalog) -> None:
        self._rng = rng
        self._config = config
        self._matched = catalog.matched
        self._unmatched = catalog.unmatched
        # One sub-second part for every timestamp, as in the real logs: all ts
        # stay non-zero in their milliseconds and different users can share one.
        self._ms = 1 + int(rng.random() * 999)
        period_start_s = (config.start - _EPOCH).days * 86_400
        ids = rng.sample(range(1, 2 * config.users + 10), config.users)
        self._users = [self._user(rng, user_id, period_start_s) for user_id in ids]
        # Skewed activity: a few heavy listeners, many occasional ones.
        weights = [min(rng.paretovariate(1.3), 30.0) for _ in ids]
        self._cumulative_weights = list(accumulate(weights))
        self._next_session_id = 1 + int(rng.random() * 500)
        self._page_tables = tuple(self._page_table(level) for level in (FREE, PAID))
        # NextSong waits for the song instead; its placeholder rate is never used.
        self._gap_rates = tuple(1.0 / GAP_MEAN_S.get(page, 1.0) for page in range(len(PAGES)))
        self._follow_ups = FOLLOW_UPS
        self.nextsong_events = 0

    @property
    def levels(self) -> tuple[int, ...]:
        """Each user's level now (``FREE`` or ``PAID``), in user order."""
        return tuple(user.level for user in self._users)

    @property
    def next_session_id(self) -> int:
        return self._next_session_id

    def fork(self, rng: random.Random, levels: Sequence[int], first_session_id: int) -> _EventWriter:
        """A copy for one live day: its own draws, the same users at ``levels``, session ids from
        ``first_session_id``, and no level switch but those :meth:`live_day` is given (so that a day ends at the
        levels the next one starts at, whichever is generated first)."""
        day = copy.copy(self)
        day._rng = rng
        day._users = [_User(user.pieces, level) for user, level in zip(self._users, levels, strict=True)]
        day._next_session_id = first_session_id
        day._follow_ups = {page: (follow_up, 0.0) for page, (follow_up, _) in FOLLOW_UPS.items()}
        day.nextsong_events = 0
        return day

    def _user(self, rng: random.Random, user_id: int, period_start_s: int) -> _User:
        gender = "F" if rng.random() < 0.55 else "M"
        agent = rng.choice(_USER_AGENTS)
        # The real logs went through CSV: agents containing a comma kept their quotes.
        agent = f'"{agent}"' if "," in agent else agent
        age_s = 86_400 + int(rng.random() * MAX_REGISTRATION_AGE_DAYS * 86_400)
        registration = repr(float((period_start_s - age_s) * 1000 + self._ms))
        pieces = _Pieces(
            auth="Logged In",
            first=_js(rng.choice(_FIRST_NAMES[gender])),
            gender=_js(gender),
            last=_js(rng.choice(_LAST_NAMES)),
            location=_js(rng.choice(_USER_LOCATIONS)),
            registration=registration,
            user_agent=_js(agent),
            user_id=_js(str(user_id)),
        )
        return _User(pieces, PAID if rng.random() < PAID_USER_SHARE else FREE)

    @staticmethod
    def _page_table(level: int) -> tuple[list[float], list[int]]:
        """Thresholds on a uniform draw >= NEXT_SONG_SHARE, and their pages."""
        excluded = DOWNGRADE if level == FREE else UPGRADE
        pages = [page for page in OTHER_PAGE_WEIGHTS if page != excluded]
        total = sum(OTHER_PAGE_WEIGHTS[page] for page in pages)
        span = 1.0 - NEXT_SONG_SHARE
        thresholds = [
            NEXT_SONG_SHARE + span * acc / total for acc in accumulate(OTHER_PAGE_WEIGHTS[page] for page in pages)
        ]
        thresholds[-1] = 1.0  # no float rounding can fall off the end
        return thresholds, pages

    def _day_counts(self) -> list[int]:
        """Split the exact event total over the days, with weekday and random swings."""
        config, rnd = self._config, self._rng.random
        weights = [
            WEEKDAY_TRAFFIC[(config.start + dt.timedelta(days=day)).weekday()] * (0.75 + 0.5 * rnd())
            for day in range(config.days)
        ]
        floor = 1 if config.events >= config.days else 0  # no empty day when possible
        rest = config.events - floor * config.days
        cumulative = list(accumulate(weights))
        bounds = [int(rest * acc / cumulative[-1]) for acc in cumulative]
        bounds[-1] = rest
        return [floor + high - low for low, high in pairwise([0, *bounds])]

    def days(self) -> Iterator[tuple[dt.date, list[str]]]:
        """Each day with events and its lines, in order."""
        for index, count in enumerate(self._day_counts()):
            if count:
                day = self._config.start + dt.timedelta(days=index)
                yield day, self._day(day, count)

    def write(self, folder: Path, writer: _FileWriter) -> int:
        """Write one file per day with events; returns the number of files."""
        folder.mkdir(parents=True, exist_ok=True)
        files = 0
        for day, lines in self.days():
            directory = folder / f"{day:%Y}" / f"{day:%m}"
            directory.mkdir(parents=True, exist_ok=True)
            writer.write(directory / f"{day:%Y-%m-%d}-events.json", "\n".join(lines).encode("ascii"))
            files += 1
        return files

    def _day(self, day: dt.date, count: int) -> list[str]:
        """Exactly ``count`` event lines of one UTC day, sorted by ts."""
        rng = self._rng
        rnd, expo = rng.random, rng.expovariate
        users, cumulative = self._users, self._cumulative_weights
        last_user, total_weight = len(users) - 1, cumulative[-1]
        by_user: dict[int, list[_Session]] = {}  # insertion-ordered: deterministic
        guests: list[_Session] = []
        left = count
        while left:
            if rnd() < GUEST_SESSION_SHARE:
                size = min(left, 1 + int(rnd() * 3))
                guests.append(self._session(None, size))
            else:
                size = min(left, MAX_SESSION_EVENTS, 1 + int(expo(1.0 / MEAN_SESSION_EVENTS)))
                user = min(bisect.bisect(cumulative, rnd() * total_weight), last_user)
                by_user.setdefault(user, []).append(self._session(users[user], size))
            left -= size

        base = (day - _EPOCH).days * DAY_MS + self._ms
        placed: list[tuple[int, list[tuple[int, str, str]]]] = []  # (start ts, events)
        for sessions in by_user.values():
            # A user's sessions follow each other in generation order (their level
            # changes depend on it), spread over the day at random gaps; a user
            # busier than a day gets the sessions squeezed back to back.
            busy = sum(duration for duration, _ in sessions)
            slack_s = (_LAST_SECOND_MS - busy) // 1000
            if slack_s >= 0:
                cuts = sorted(int(rnd() * (slack_s + 1)) * 1000 for _ in sessions)
                offset = base
                for cut, (duration, events) in zip(cuts, sessions, strict=True):
                    placed.append((offset + cut, events))
                    offset += duration
            else:
                scale = _LAST_SECOND_MS / busy
                start = base
                for duration, events in sessions:
                    squeezed = [(int(rel * scale) // 1000 * 1000, head, tail) for rel, head, tail in events]
                    placed.append((start, squeezed))
                    start += int(duration * scale) // 1000 * 1000
        for duration, events in guests:
            placed.append((base + int(rnd() * ((_LAST_SECOND_MS - duration) // 1000 + 1)) * 1000, events))
        rows = [
            (ts, f"{head}{ts}{tail}") for start, events in placed for rel, head, tail in events for ts in (start + rel,)
        ]
        rows.sort(key=itemgetter(0))  # stable: same-ts events keep session order
        return [line for _, line in rows]

    def live_day(self, day: dt.date, count: int, switching: Sequence[int]) -> list[str]:
        """About ``count`` event lines of a live day (see :meth:`fork`), sorted by ts, with plays in every hour.

        A live feed is read an hour at a time, and a music app has listeners at every hour: each hour gets its
        share of the events in sessions that start inside it, and one more short session until one of them has a
        play inside it. A user's sessions follow each other. The users ``switching`` (their indexes) change level
        today, in their first session of the day, at the latest in an hour drawn for each.
        """
        rng = self._rng
        rnd, expo = rng.random, rng.expovariate
        users, cumulative = self._users, self._cumulative_weights
        last_user, total_weight = len(users) - 1, cumulative[-1]
        pending = {user: int(rnd() * _LAST_SWITCH_HOUR) for user in switching}  # insertion-ordered
        free_at = [0] * len(users)  # ms into the day at which each user's last session ended
        placed: list[tuple[int, list[tuple[int, str, str]]]] = []  # (ms into the day, events)
        for hour in range(24):
            opens, closes = hour * HOUR_MS, (hour + 1) * HOUR_MS
            left = count // 24 + (hour < count % 24)
            covered = False
            due = [user for user, at in pending.items() if at == hour]
            while due or left > 0 or not covered:
                cap = left if left > 0 else _TOP_UP_EVENTS
                if due:
                    user = due.pop(0)
                elif rnd() < GUEST_SESSION_SHARE:
                    size = min(cap, 1 + int(rnd() * 3))
                    placed.append((opens + int(rnd() * (HOUR_MS // 1000)) * 1000, self._session(None, size)[1]))
                    left -= size
                    continue
                else:
                    # weighted as in the sample; one still listening past the half hour is passed over a few times
                    for _ in range(_PICKS):
                        user = min(bisect.bisect(cumulative, rnd() * total_weight), last_user)
                        if free_at[user] <= opens + HOUR_MS // 2:
                            break
                size = min(cap, MAX_SESSION_EVENTS, 1 + int(expo(1.0 / MEAN_SESSION_EVENTS)))
                switch = pending.pop(user, None) is not None
                if switch:
                    size = max(size, 3)  # the page, its submit, and one event on the new level
                duration, events = self._session(users[user], size, switch)
                first_play = next((rel for rel, head, _ in events if not head.startswith(_NOT_A_PLAY)), HOUR_MS)
                reach = HOUR_MS - first_play if first_play < HOUR_MS else HOUR_MS
                start = max(opens + int(rnd() * (reach // 1000)) * 1000, free_at[user])
                covered = covered or start + first_play < closes
                free_at[user] = start + duration + 1000
                placed.append((start, events))
                left -= size
        base = (day - _EPOCH).days * DAY_MS + self._ms
        rows = [
            (base + at, f"{head}{base + at}{tail}")
            for start, events in placed
            for rel, head, tail in events
            if (at := start + rel) <= _LAST_SECOND_MS  # a session still going at midnight is cut there
        ]
        rows.sort(key=itemgetter(0))
        return [line for _, line in rows]

    def _session(self, user: _User | None, size: int, switch: bool = False) -> _Session:
        """Exactly ``size`` events of one session; ``user`` None is a guest visitor.

        Pages follow the app's flow: Upgrade/Downgrade may be submitted (the level
        changes after the submit), Settings may be saved, Logout leads to logged-out
        Home/Login pages (userId "" and null user fields) and Login back in. With
        ``switch`` the user, logged in, opens Upgrade (or Downgrade) first and submits it.
        """
        rng = self._rng
        rnd, expo, gap_rates, follow_ups = rng.random, rng.expovariate, self._gap_rates, self._follow_ups
        matched, unmatched = self._matched, self._unmatched
        n_matched, n_unmatched = len(matched), len(unmatched)
        unmatched_share = 1.0 - MATCHED_SHARE
        session_id = self._next_session_id
        self._next_session_id += 1
        out = _LOGGED_OUT
        guest = user is None
        if user is None:
            level = PAID if rnd() < PAID_USER_SHARE else FREE
            pieces = out
            logged_in = False
        else:
            level = user.level
            pieces = user.pieces
            logged_in = rnd() >= LOGGED_OUT_START_SHARE or switch
        forced = -1 if logged_in or guest else (HOME if rnd() < 0.5 else LOGIN)
        if switch:
            forced = UPGRADE if level == FREE else DOWNGRADE
        head, last, tail = pieces.head, pieces.last, pieces.tail
        mid = pieces.mid[level]
        song_mid = f'{mid[NEXT_SONG]}{session_id},"song":'
        thresholds, choices = self._page_tables[level]
        events: list[tuple[int, str, str]] = []
        append = events.append
        t = plays = 0
        for item in range(size):
            if not logged_in:
                if forced >= 0:
                    page, forced = forced, -1
                elif not guest and rnd() < LOGIN_SHARE:
                    page = LOGIN
                else:
                    page = _LOGGED_OUT_PAGES[int(rnd() * len(_LOGGED_OUT_PAGES))]
                line = (
                    f'{{"artist":null{out.head}{item}{out.last}null{out.mid[level][page]}'
                    f'{session_id},"song":null{_STATUS_TS[page]}'
                )
                append((t, line, out.tail))
                if page == LOGIN:
                    logged_in, forced = True, HOME
                t += 1000 * int(expo(gap_rates[page]))
                continue
            if forced >= 0:
                page, forced = forced, -1
            else:
                r = rnd()
                if r < NEXT_SONG_SHARE:
                    r = rnd()
                    if r < MATCHED_SHARE:  # skewed popularity: u*u favours the head
                        u = r / MATCHED_SHARE
                        artist, length, title, play_ms = matched[int(u * u * n_matched)]
                    else:
                        u = (r - MATCHED_SHARE) / unmatched_share
                        artist, length, title, play_ms = unmatched[int(u * u * n_unmatched)]
                    line = f'{{"artist":{artist}{head}{item}{last}{length}{song_mid}{title},"status":200,"ts":'
                    append((t, line, tail))
                    plays += 1
                    t += play_ms if rnd() < FULL_PLAY_SHARE else int(play_ms * rnd()) // 1000 * 1000
                    continue
                page = choices[bisect.bisect(thresholds, r)]
            line = f'{{"artist":null{head}{item}{last}null{mid[page]}{session_id},"song":null{_STATUS_TS[page]}'
            append((t, line, tail))
            if page == LOGOUT:
                logged_in, forced = False, HOME
            elif page == SETTINGS:
                if rnd() < SAVE_SETTINGS_SHARE:
                    forced = SAVE_SETTINGS
            elif page in FOLLOW_UPS:
                follow_up, share = follow_ups[page]
                if rnd() < share or switch:
                    forced = follow_up
            elif page in (SUBMIT_UPGRADE, SUBMIT_DOWNGRADE):
                level = PAID if page == SUBMIT_UPGRADE else FREE
                if user is not None:
                    user.level = level
                mid = pieces.mid[level]
                song_mid = f'{mid[NEXT_SONG]}{session_id},"song":'
                thresholds, choices = self._page_tables[level]
                forced, switch = HOME, False
            t += 1000 * int(expo(gap_rates[page]))
        self.nextsong_events += plays
        return events[-1][0], events


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a source folder from the command line and print a one-line summary."""
    defaults = GeneratorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sparkify.sample",
        description=(
            "Generate a Sparkify source folder (song_data/ and log_data/ laid out and "
            "formatted like the real S3 bucket). The same options always produce "
            "byte-identical files."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        required=True,
        help="directory to write song_data/ and log_data/ into; it must be missing or empty unless --force is given",
    )
    parser.add_argument(
        "--events",
        type=int,
        metavar="N",
        default=defaults.events,
        help="exact number of events over all days (default: %(default)s)",
    )
    parser.add_argument(
        "--songs",
        type=int,
        metavar="N",
        default=defaults.songs,
        help="number of songs in the catalog, i.e. song files (default: %(default)s)",
    )
    parser.add_argument(
        "--users",
        type=int,
        metavar="N",
        default=defaults.users,
        help="number of registered users producing the events (default: %(default)s)",
    )
    parser.add_argument(
        "--days",
        type=int,
        metavar="N",
        default=defaults.days,
        help="number of consecutive UTC days, one event file per day with events (default: %(default)s)",
    )
    parser.add_argument(
        "--start",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        default=defaults.start,
        help="first UTC day (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        default=defaults.seed,
        help="random seed; another seed gives other, equally shaped data (default: %(default)s)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out (delete it first) if it exists and is not empty",
    )
    args = parser.parse_args(argv)
    try:
        config = GeneratorConfig(
            events=args.events,
            songs=args.songs,
            users=args.users,
            days=args.days,
            start=args.start,
            seed=args.seed,
        )
    except ValueError as exc:
        parser.error(str(exc))
    out: Path = args.out
    is_empty_dir = out.is_dir() and not out.is_symlink() and not any(out.iterdir())
    if (out.exists() or out.is_symlink()) and not is_empty_dir:
        if not args.force:
            parser.error(f"{out} exists and is not empty; pass --force to replace it")
        if out.is_dir() and not out.is_symlink():
            shutil.rmtree(out)
        else:
            out.unlink()
    started = time.perf_counter()
    result = generate(out, config)
    seconds = max(time.perf_counter() - started, 1e-9)
    print(
        f"{result.events} events ({result.nextsong_events} NextSong) in "
        f"{result.event_files} event files + {result.song_files} song files, "
        f"{result.bytes_written} bytes, {seconds:.2f} s, "
        f"{result.events / seconds:,.0f} events/s -> {out}"
    )
    return 0
