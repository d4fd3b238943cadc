"""Roadway's drift job: captured requests against the served package's data-quality baseline."""
