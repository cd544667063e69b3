"""Prefect settings a run of this project needs, set before Prefect is imported (it reads its settings then).

Each is only a default: a value the operator set in the environment wins.
"""

from __future__ import annotations

import os

#: Seconds Prefect's temporary API server (a run without ``PREFECT_API_URL``) may take to start. Its first start
#: creates and migrates its database: about 19 s on an idle 2-core machine and over 30 s on a busy one, against
#: Prefect's default of 20 s; a warm start takes a few seconds, so the margin costs nothing.
EPHEMERAL_STARTUP_TIMEOUT_SECONDS = 300

DEFAULTS = {
    # these machines have no internet: telemetry would only log errors
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_SECONDS),
}


def apply() -> None:
    """Sets each default the environment does not already set."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
