"""The Prefect flows.

Importing this package first gives Prefect the project's defaults (``sparkify.prefect_defaults``) before Prefect
reads its settings.
"""

from sparkify import prefect_defaults

prefect_defaults.apply()
