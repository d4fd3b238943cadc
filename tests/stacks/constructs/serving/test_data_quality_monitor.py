"""DataQualityMonitor, in the app (an account that has Model Monitor): the served baseline monitored on schedule,
the drift alarm on the configured features."""

from __future__ import annotations

from devtools.synth import Synth
from tests.stacks.serving import PROD, alarm_ids, one


def test_with_model_monitor_prod_monitors_data_quality_against_the_served_baseline(
    model_monitor_synth: Synth,
) -> None:
    synth = model_monitor_synth
    template = synth.templates[PROD]
    assert set(template["Parameters"]) >= {"BaselineConstraintsUri", "BaselineStatisticsUri"}
    definition = one(synth, PROD, "AWS::SageMaker::DataQualityJobDefinition")
    schedule = one(synth, PROD, "AWS::SageMaker::MonitoringSchedule")
    assert definition["Condition"] == schedule["Condition"] == "HasMonitoring"
    props = definition["Properties"]
    assert props["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert props["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == {
        "Fn::ImportValue": "roadway-prod-platform-data-key-arn"
    }
    assert props["DataQualityJobOutputConfig"]["KmsKeyId"] == {"Fn::ImportValue": "roadway-prod-platform-data-key-arn"}
    baseline = props["DataQualityBaselineConfig"]
    assert baseline["ConstraintsResource"]["S3Uri"] == {"Ref": "BaselineConstraintsUri"}
    assert props["DataQualityAppSpecification"]["ImageUri"].startswith("468650794304.dkr.ecr.eu-west-1.")
    config = schedule["Properties"]["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert config["MonitoringType"] == "DataQuality"
    assert not synth.resources(PROD, "AWS::Lambda::Function"), "one engine at a time"


def test_with_model_monitor_the_drift_alarm_watches_the_configured_features(model_monitor_synth: Synth) -> None:
    synth = model_monitor_synth
    (drift,) = [a["Properties"] for a in alarm_ids(synth, PROD).values() if "Metrics" in a["Properties"]]
    expression = next(m for m in drift["Metrics"] if "Expression" in m)
    assert expression["Expression"] == "MAX([f0, f1, f2, f3])"
    names = sorted(m["MetricStat"]["Metric"]["MetricName"] for m in drift["Metrics"] if "MetricStat" in m)
    assert names == sorted(
        f"feature_baseline_drift_{f}" for f in ("area", "Overall.Qual", "Year.Built", "Total.Bsmt.SF")
    )
    assert drift["Threshold"] == 0.1
