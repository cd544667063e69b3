"""The demo sample: Sparkify's own source data, generated, never the real bucket's.

``generator`` writes a source folder laid out and formatted like the S3 bucket at any
scale (``python -m sparkify.sample --help``); the pipeline's default source,
``data/sample``, is its default config, generated on first use.
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
