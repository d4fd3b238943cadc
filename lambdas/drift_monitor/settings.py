"""The drift job's settings, read from the environment variables contract.py names.

The CDK construct (stacks/constructs/serving/drift_monitor.py) writes these variables and this module reads them,
both by the names in contract.py; a test checks that the function's template sets exactly what is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from drift_monitor.contract import METRIC_NAMESPACE, Env, StackParameter


class ConfigurationError(ValueError):
    """A variable is missing or malformed: the function was deployed wrongly, not given a bad event."""


@dataclass(frozen=True)
class Settings:
    """What the job is configured with; ``served_package`` and the baselines are what the serving stack serves at
    the time of a run (:meth:`serving`), empty until then."""

    endpoint: str
    stack: str
    capture_bucket: str
    capture_prefix: str
    report_bucket: str
    report_prefix: str
    report_key: str
    namespace: str
    watched: tuple[str, ...]
    threshold: float
    window_minutes: int
    served_package: str = ""
    baseline_statistics: str = ""
    baseline_constraints: str = ""

    def serving(self, cloudformation: Any) -> Settings | None:
        """These settings with what the serving stack serves now (its parameters, which promotion sets), or None
        while it serves no package with a baseline: then there is nothing to compare captures with."""
        (stack,) = cloudformation.describe_stacks(StackName=self.stack)["Stacks"]
        values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
        served = replace(
            self,
            served_package=values.get(StackParameter.MODEL_PACKAGE, ""),
            baseline_statistics=values.get(StackParameter.BASELINE_STATISTICS, ""),
            baseline_constraints=values.get(StackParameter.BASELINE_CONSTRAINTS, ""),
        )
        if not (served.served_package and served.baseline_statistics and served.baseline_constraints):
            return None
        return served

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        required = (
            Env.ENDPOINT, Env.STACK, Env.CAPTURE_BUCKET, Env.CAPTURE_PREFIX, Env.REPORT_BUCKET, Env.REPORT_PREFIX
        )
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
            stack=env[Env.STACK],
            capture_bucket=env[Env.CAPTURE_BUCKET],
            capture_prefix=env[Env.CAPTURE_PREFIX].strip("/"),
            report_bucket=env[Env.REPORT_BUCKET],
            report_prefix=env[Env.REPORT_PREFIX].strip("/"),
            report_key=env.get(Env.REPORT_KEY, ""),
            namespace=env.get(Env.NAMESPACE) or METRIC_NAMESPACE,
            watched=tuple(f for f in (env.get(Env.WATCHED) or "").split(",") if f),
            threshold=threshold,
            window_minutes=window,
        )
