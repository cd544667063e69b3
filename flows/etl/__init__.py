"""The ``sparkify-etl`` flow lives in ``flow.py``; ``python -m flows.etl`` runs the command line (``flows.cli``).

Nothing is imported here, so that the command line checks the settings before the flow's modules read them.
"""
