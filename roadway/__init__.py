"""Roadway: a SageMaker model's road from a dev notebook to a monitored prod endpoint."""
