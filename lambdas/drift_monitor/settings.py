"""The drift job's settings, read from the environment variables contract.py names.

The CDK construct (stacks/constructs/drift_monitor.py) writes these variables and this module reads them, both by
the names in contract.py; a test checks that the function's template sets exactly what is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from drift_monitor.contract import METRIC_NAMESPACE, Env


class ConfigurationError(ValueError):
    """A variable is missing or malformed: the function was deployed wrongly, not given a bad event."""


@dataclass(frozen=True)
class Settings:
    endpoint: str
    served_package: str
    capture_bucket: str
    capture_prefix: str
    baseline_statistics: str
    baseline_constraints: str
    report_bucket: str
    report_prefix: str
    report_key: str
    namespace: str
    watched: tuple[str, ...]
    threshold: float
    window_minutes: int

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        required = (Env.ENDPOINT, Env.CAPTURE_BUCKET, Env.CAPTURE_PREFIX, Env.REPORT_BUCKET, Env.REPORT_PREFIX)
        missing = [name for name in required if not env.get(name)]
        if missing:
            raise ConfigurationError(f"environment variable {missing[0]} is not set")
        try:
            threshold = float(env.get(Env.THRESHOLD) or 0.1)
            window = int(env.get(Env.WINDOW_MINUTES) or 60)
        except ValueError:
            raise ConfigurationError(f"{Env.THRESHOLD} must be a number and {Env.WINDOW_MINUTES} a whole one") from None
        if not 0 < threshold <= 1 or window not in (60, 1440):
            raise ConfigurationError(f"expected {Env.THRESHOLD} in (0, 1] and {Env.WINDOW_MINUTES} 60 or 1440")
        return cls(
            endpoint=env[Env.ENDPOINT],
            served_package=env.get(Env.SERVED_PACKAGE, ""),
            capture_bucket=env[Env.CAPTURE_BUCKET],
            capture_prefix=env[Env.CAPTURE_PREFIX].strip("/"),
            baseline_statistics=env.get(Env.BASELINE_STATISTICS, ""),
            baseline_constraints=env.get(Env.BASELINE_CONSTRAINTS, ""),
            report_bucket=env[Env.REPORT_BUCKET],
            report_prefix=env[Env.REPORT_PREFIX].strip("/"),
            report_key=env.get(Env.REPORT_KEY, ""),
            namespace=env.get(Env.NAMESPACE) or METRIC_NAMESPACE,
            watched=tuple(f for f in (env.get(Env.WATCHED) or "").split(",") if f),
            threshold=threshold,
            window_minutes=window,
        )
