"""Every name the drift job shares with another part of the road, declared once (stdlib only).

The CDK construct writes the job's environment, its report folder's policy and the alarm on its metrics; the
operator's CLI reads the latest verdict. Each side imports its names from here (see promote_model/contract.py).
"""

from __future__ import annotations


class Env:
    """Names of the environment variables (stdlib only: the CDK app imports this too)."""

    ENDPOINT = "ENDPOINT_NAME"
    STACK = "SERVING_STACK_NAME"  # whose parameters say, at each run, what is served and its baseline
    CAPTURE_BUCKET = "CAPTURE_BUCKET_NAME"
    CAPTURE_PREFIX = "CAPTURE_PREFIX"
    REPORT_BUCKET = "REPORT_BUCKET_NAME"
    REPORT_PREFIX = "REPORT_PREFIX"
    REPORT_KEY = "REPORT_KEY_ARN"
    NAMESPACE = "METRIC_NAMESPACE"
    WATCHED = "WATCHED_FEATURES"
    THRESHOLD = "DRIFT_THRESHOLD"
    WINDOW_MINUTES = "WINDOW_MINUTES"

    ALL = (
        ENDPOINT,
        STACK,
        CAPTURE_BUCKET,
        CAPTURE_PREFIX,
        REPORT_BUCKET,
        REPORT_PREFIX,
        REPORT_KEY,
        NAMESPACE,
        WATCHED,
        THRESHOLD,
        WINDOW_MINUTES,
    )


class StackParameter:
    """The serving stack's parameters the job reads at each run: what promotion set (promote_model/contract.py
    Parameter spells them for the promotion; tests/test_contract.py holds the two equal). Reading them at run time
    keeps promotion from touching the job at all."""

    MODEL_PACKAGE = "ModelPackageArn"
    BASELINE_STATISTICS = "BaselineStatisticsUri"
    BASELINE_CONSTRAINTS = "BaselineConstraintsUri"


REPORTS_PREFIX = "monitoring-reports"
"""Where a serving stage's data bucket keeps monitoring reports, a folder per endpoint (both engines)."""
LATEST_REPORT = "latest.json"
"""In the endpoint's report folder: the last run's verdict, window and report (what `roadway status` reads)."""
METRIC_NAMESPACE = "Roadway/DataQuality"
"""Where every endpoint's drift metrics go, told apart by the Endpoint dimension."""
SERVICE = "roadway-drift"
"""The job's service name in its log lines (Powertools' ``service`` key)."""
ENDPOINT_DIMENSION = "Endpoint"
"""Every drift metric's dimension naming the endpoint (the alarm selects its endpoint's by it)."""
FEATURE_DIMENSION = "Feature"
"""FeatureDrift's second dimension: the watched feature (or the prediction) its distance is of."""
# Metric names (the alarm in the CDK construct and the job agree through these).
VERDICT_METRIC = "Drift"
REQUESTS_METRIC = "Requests"
FEATURE_METRIC = "FeatureDrift"
VIOLATIONS_METRIC = "Violations"
