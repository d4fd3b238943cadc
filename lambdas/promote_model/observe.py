"""How the promotion function is seen: Powertools' structured logs and its CloudWatch metrics.

Every log line is one JSON object (the event as ``message``, each field a key of its own, the service, the stage,
the project's group and the EventBridge event's id as ``correlation_id``), so CloudWatch Logs Insights can filter
on any field and follow one approval across the accounts it crosses. Metrics are written as CloudWatch embedded
metric format at the end of each event: one count per outcome (contract.Metric) by stage.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from promote_model.contract import METRICS_NAMESPACE, SERVICE, STAGE_DIMENSION, Env, Metric

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


def log(event: str, **fields: Any) -> None:
    """One line: what happened, and its fields (the caller's file and line as its location)."""
    logger.info(event, stacklevel=3, **fields)


@contextmanager
def taking(event: Any) -> Iterator[None]:
    """One event, from start to end: a new correlation id (EventBridge's event id, carried through the work queue,
    so one approval reads the same in every account), no keys of the last event, a failure counted, and the event's
    counts written at its end, however it ends."""
    logger.clear_state()
    if isinstance(event, dict) and isinstance(event.get("id"), str):
        logger.set_correlation_id(event["id"])
    try:
        yield
    except Exception:
        count(Metric.FAILED)
        raise
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
        else:  # an ignored event counts nothing
            metrics.clear_metrics()


def about(**keys: str) -> None:
    """Keys every further line of this event carries (the stage, the project's group)."""
    logger.append_keys(**keys)


def count(metric: str) -> None:
    """One outcome of this function's stage; written when the event is done."""
    metrics.add_dimension(name=STAGE_DIMENSION, value=os.environ.get(Env.STAGE) or "unknown")
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
