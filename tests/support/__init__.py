"""What the tests share: builders of sources (factories, samples), the Redshift wire recorder, flow-run helpers."""
