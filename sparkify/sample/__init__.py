"""The demo sample: Sparkify's own source data, generated, never the real bucket's.

``generator`` writes a source folder laid out and formatted like the S3 bucket at any
scale (``python -m sparkify.sample --help``); the pipeline's default source,
``data/sample``, is its default config, generated on first use. ``live`` makes that
sample a live feed: the day files of the days after its own, as runs' windows reach them.
"""

from sparkify.sample.generator import (
    EVENT_KEYS,
    PAGES,
    SONG_KEYS,
    GeneratedSource,
    GeneratorConfig,
    ensure_sample,
    generate,
    main,
)
from sparkify.sample.live import DEMO, day_events, ensure_days

__all__ = [
    "DEMO",
    "EVENT_KEYS",
    "PAGES",
    "SONG_KEYS",
    "GeneratedSource",
    "GeneratorConfig",
    "day_events",
    "ensure_days",
    "ensure_sample",
    "generate",
    "main",
]
