"""The ledger of loaded source objects, and what it tells a run to (re)load.

A run lists its sources (names and identities, no content) and compares the
listing with ``loaded_objects``: song files new or changed since are staged,
the others are not read; an event file that changed since a window was loaded
from it has that window reloaded, when the file is in the run's lookback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sparkify.sources import SONG_PREFIX, SongListing, SourceObject, event_file_day
from sparkify.window import Window

#: What a song file's ledger row says it was loaded for: the catalog serves every window.
CATALOG_WINDOW = Window.everything()


@dataclass(frozen=True)
class Loaded:
    """A ledger row: the facts of ``window`` (for songs: the catalog) were last loaded from this identity."""

    source_object: str
    identity: str
    window: Window


@dataclass(frozen=True)
class FeedChanges:
    """A feed's listed objects, sorted by what the ledger knows of them.

    The unchanged ones are only counted (a catalog has 100,000 of them, which every task given this
    would carry), unless a full refresh loads them too.
    """

    feed: str
    new: tuple[SourceObject, ...] = ()
    changed: tuple[SourceObject, ...] = ()
    unchanged: int = 0
    #: ``--full-refresh``: the ledger is ignored, and the unchanged objects are loaded again as well.
    full_refresh: bool = False
    refreshed: tuple[SourceObject, ...] = ()
    #: The whole listing's identity (:class:`~sparkify.sources.SongListing`), and whether the ledger holds it already.
    listing: str = ""
    listing_recorded: bool = False

    @classmethod
    def sort(
        cls, feed: str, listing: Iterable[SourceObject], uri: str, seen: Iterable[Loaded], full_refresh: bool = False
    ) -> FeedChanges:
        """New: never loaded; changed: loaded (for some window) as another identity; unchanged: the rest."""
        identities: dict[str, set[str]] = defaultdict(set)
        for row in seen:
            identities[row.source_object].add(row.identity)
        prefix = object_url(uri, "")
        new, changed, unchanged = [], [], []
        for item in listing:
            known = identities.get(prefix + item.key)
            if not known:
                new.append(item)
            elif known == {item.identity}:
                unchanged.append(item)
            else:
                changed.append(item)
        refreshed = tuple(unchanged) if full_refresh else ()
        return cls(feed, tuple(new), tuple(changed), len(unchanged), full_refresh, refreshed)

    @classmethod
    def of_catalog(
        cls, listing: SongListing, uri: str, warehouse: LedgerReader, full_refresh: bool = False
    ) -> FeedChanges:
        """The catalog's changes. When the listing as a whole is the one last recorded, nothing in it is new or
        changed, and neither its files nor the ledger's 100,000 rows are looked at; otherwise each is compared."""
        recorded = warehouse.loaded_identity("songs", object_url(uri, LISTING_KEY)) == listing.identity
        if recorded and not full_refresh:
            return cls("songs", unchanged=listing.count, listing=listing.identity, listing_recorded=True)
        changes = cls.sort("songs", listing.objects(), uri, warehouse.loaded("songs", uri), full_refresh)
        return replace(changes, listing=listing.identity, listing_recorded=recorded)

    @property
    def to_load(self) -> list[SourceObject]:
        """What a run stages: the new and changed objects, and on a full refresh the unchanged ones too."""
        return [*self.new, *self.changed, *self.refreshed]

    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "changed": len(self.changed), "unchanged": self.unchanged}

    def describe(self) -> str:
        refresh = " (full refresh: all loaded)" if self.full_refresh else ""
        return (
            f"{self.feed}: {len(self.new)} new, {len(self.changed)} changed, "
            f"{self.unchanged} unchanged objects{refresh}"
        )


@dataclass(frozen=True)
class Reload:
    """An earlier window to load again, and the listed files that changed since it was loaded."""

    window: Window
    objects: tuple[SourceObject, ...]


@dataclass(frozen=True)
class EventChanges:
    """The event files of a run's window and lookback against the ledger: which earlier windows went stale."""

    events: FeedChanges
    #: The run's own window's event files, as listed before they were read.
    window_objects: tuple[SourceObject, ...] = ()
    reloads: tuple[Reload, ...] = field(default=())
    #: Keys under log_data/ the listings met that are no event file (a README, a .tmp, no real date): skipped.
    skipped: tuple[str, ...] = ()

    def describe(self) -> str:
        reloaded = ", ".join(str(reload.window) for reload in self.reloads) or "none"
        return f"{self.events.describe()}; earlier windows reloaded: {reloaded}"


class LedgerReader(Protocol):
    """What the ledger answers (a warehouse)."""

    def loaded(self, feed: str, uri: str) -> list[Loaded]: ...

    def loaded_identity(self, feed: str, source_object: str) -> str | None: ...


#: The ledger row of the catalog's listing as a whole: the key of the song_data/ folder.
LISTING_KEY = f"{SONG_PREFIX}/"


def object_url(uri: str, key: str) -> str:
    """How the ledger (like ``rejected_records``) names an object: the source's URI, then its key."""
    return f"{uri}/{key}"


def lookback_window(window: Window, lookback_days: float) -> Window | None:
    """The event time before ``window`` whose files a run re-examines; None when there is none to look at."""
    if window.is_everything or lookback_days <= 0:
        return None
    return Window(window.start - timedelta(days=lookback_days), window.start)


def loaded_window(window: Window, key: str) -> Window:
    """The part of ``window`` a day file's events feed: reloading it reads that file alone.

    Each UTC day's events are in that day's file, so a change to the file changes only those facts.
    """
    day = event_file_day(key)
    if day is None:
        return window
    start = datetime(day.year, day.month, day.day)
    return Window(max(window.start, start), min(window.end, start + timedelta(days=1)))


def stale_windows(
    listing: Iterable[SourceObject], uri: str, seen: Iterable[Loaded], current: Window
) -> tuple[Reload, ...]:
    """The windows loaded from a listed file as another identity than its present one, oldest first.

    Windows inside ``current`` are left out (the run loads them anyway), and so is a full load's:
    reloading everything is for ``--full-refresh`` without a window.
    """
    present = {object_url(uri, item.key): item for item in listing}
    stale: dict[Window, set[SourceObject]] = defaultdict(set)
    for row in seen:
        item = present.get(row.source_object)
        if item is None or item.identity == row.identity or row.window.is_everything:
            continue
        if current.start <= row.window.start and row.window.end <= current.end:
            continue
        stale[row.window].add(item)
    return tuple(
        Reload(window, tuple(sorted(objects, key=lambda item: item.key)))
        for window, objects in sorted(stale.items(), key=lambda pair: (pair[0].start, pair[0].end))
    )
