"""The ``sparkify-etl`` flow lives in ``flow.py``; ``python -m flows.etl`` runs the command line (``flows.cli``)."""
