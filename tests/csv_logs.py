"""Event logs in the CSV layout, written from the same records as the JSON ones: ``bench/csv_logs.py``, which the
CSV staging benchmark uses too."""

from bench.csv_logs import csv_field, csv_log, csv_row, to_csv_source

__all__ = ["csv_field", "csv_log", "csv_row", "to_csv_source"]
