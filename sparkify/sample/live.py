"""The demo sample as a live feed: the day files an app that never stops would deliver, after the sample's own.

The sample holds its own days (November 2018 by default). A run whose window reaches past them, as every scheduled
run does, asks for the day files of those days: each is generated once, before the run reads the source, and kept.
A day's file is a pure function of its date and the sample's config, whichever run asks first and in whatever order:
its draws are seeded by the date, its users and song catalog are the sample's (plays match the catalog as often),
its session ids are its own, and each user's level at the start of the day follows the switches drawn for that user
from the sample's end on, so a level changes only through a Submit Upgrade/Downgrade event, on the day drawn for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import uuid
from collections.abc import Iterable
from pathlib import Path

from sparkify.sample.generator import FREE, PAID, WEEKDAY_TRAFFIC, GeneratorConfig, replay

__all__ = ["DEMO", "day_events", "ensure_days", "first_live_day", "live_days"]

logger = logging.getLogger(__name__)

#: The demo sample's config: the default one, which ``data/sample`` is generated with.
DEMO = GeneratorConfig()
#: What every live day's seed starts with, followed by the sample's seed and the date.
LIVE_SEED = "sparkify-live"
#: A user's mean time between two level switches: about the sample's rate (52 among its 100 users in 30 days).
MEAN_DAYS_BETWEEN_SWITCHES = 60.0
#: Session ids each live day owns: a day's are ``[first, first + this)``, after every id the sample used.
SESSION_IDS_PER_DAY = 1000


def first_live_day(config: GeneratorConfig = DEMO) -> dt.date:
    """The day after the sample's own days."""
    return config.start + dt.timedelta(days=config.days)


def live_days(days: Iterable[dt.date], config: GeneratorConfig = DEMO, today: dt.date | None = None) -> list[dt.date]:
    """The days among ``days`` a live feed has a file for: after the sample's own, up to tomorrow (UTC)."""
    first = first_live_day(config)
    last = (today or dt.datetime.now(dt.UTC).date()) + dt.timedelta(days=1)
    return [day for day in days if first <= day <= last]


def day_events(day: dt.date, config: GeneratorConfig = DEMO) -> bytes:
    """The content of a live day's event file: the same bytes whoever asks, whenever."""
    first = first_live_day(config)
    if day < first:
        raise ValueError(f"{day} is one of the sample's own days (up to {first - dt.timedelta(days=1)})")
    sample = replay(config)
    rng = random.Random(f"{LIVE_SEED}/{config.seed}/{day.isoformat()}")
    levels, switching = _levels(sample.levels, config, day)
    # ids of whole thousands after the sample's, a block per day
    first_session = -(-sample.next_session_id // SESSION_IDS_PER_DAY) * SESSION_IDS_PER_DAY
    first_session += (day - first).days * SESSION_IDS_PER_DAY
    writer = sample.fork(rng, levels, first_session)
    # a day of the sample's size, with its weekday's traffic and its swing
    usual = config.events / config.days * WEEKDAY_TRAFFIC[day.weekday()] * 7 / sum(WEEKDAY_TRAFFIC)
    lines = writer.live_day(day, round(usual * (0.75 + 0.5 * rng.random())), switching)
    if writer.next_session_id > first_session + SESSION_IDS_PER_DAY:
        raise ValueError(f"{day}: more than {SESSION_IDS_PER_DAY} sessions a day; live days are for small samples")
    return "\n".join(lines).encode("ascii")


def ensure_days(
    root: Path, days: Iterable[dt.date], config: GeneratorConfig = DEMO, today: dt.date | None = None
) -> list[Path]:
    """Writes the missing files of the live days among ``days`` (``live_days``) into the sample at ``root``.

    Each file is written whole under a temporary name beside ``log_data/`` (never listed as a stray), then linked
    to its own name, which fails if a run beside this one got there first: a day file is never rewritten once it
    exists, so its identity (size and modification time) never changes under the ledger. Nothing is written unless
    ``root`` holds a sample (``song_data/`` and ``log_data/``). Returns the files written.
    """
    root = Path(root)
    if not ((root / "song_data").is_dir() and (root / "log_data").is_dir()):
        return []
    written = []
    for day in live_days(days, config, today):
        path = root / "log_data" / f"{day:%Y}" / f"{day:%m}" / f"{day:%Y-%m-%d}-events.json"
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = root / f".{path.name}.{uuid.uuid4().hex}"
        try:
            # created as the sample's files are, with the umask's permissions
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as file:
                file.write(day_events(day, config))
            if _publish(temporary, path):
                written.append(path)
                logger.info("demo sample: wrote the live day %s", path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return written


def _publish(temporary: Path, path: Path) -> bool:
    """The finished file under its own name, unless one is there already; False when another run's won."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:
        # a file system without hard links: a rename, which would replace a file written since the check above
        if path.exists():
            return False
        os.replace(temporary, path)
    return True


def _levels(start: tuple[int, ...], config: GeneratorConfig, day: dt.date) -> tuple[list[int], list[int]]:
    """Each user's level as ``day`` starts, and the users (indexes) who switch during it.

    Each user's switch days are drawn from the day after the sample on, by a generator seeded for that user alone:
    any day's levels are found without generating the days before it.
    """
    first = first_live_day(config)
    levels, switching = [], []
    for index, level in enumerate(start):
        rng = random.Random(f"{LIVE_SEED}/{config.seed}/levels/{index}")
        switch = first + dt.timedelta(days=int(rng.expovariate(1 / MEAN_DAYS_BETWEEN_SWITCHES)))
        while switch < day:
            level = PAID if level == FREE else FREE
            switch += dt.timedelta(days=1 + int(rng.expovariate(1 / MEAN_DAYS_BETWEEN_SWITCHES)))
        levels.append(level)
        if switch == day:
            switching.append(index)
    return levels, switching
