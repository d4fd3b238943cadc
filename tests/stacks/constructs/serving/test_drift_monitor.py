"""Prod's watch by default: Roadway's drift job, its schedule, alarm and perimeter, from the synthesized templates
(moto runs none of it: who may do what and what runs when are read from the templates here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from drift_monitor.contract import ENDPOINT_DIMENSION, METRIC_NAMESPACE, Env

from devtools.synth import Synth
from devtools.variants import ROLE_PATH
from roadway.config import RoadwayConfig
from roadway.naming import ModelNames, Names
from tests import iam

PROD, PLATFORM, PROMOTION = "roadway-prod-serving", "roadway-prod-platform", "roadway-prod-promotion"
ROOT = Path(__file__).resolve().parents[4]
DATA = "roadway-prod-platform-data-bucket-arn"  # how the imported data bucket renders
ARTIFACTS = "roadway-prod-platform-artifact-bucket-arn"
CAPTURES = "data-capture/roadway-prod-house-price/AllTraffic/2026/11/26/10/x.jsonl"


def model_names(config: RoadwayConfig) -> ModelNames:
    return Names.of(config).model(config.projects[0])


def function(synth: Synth) -> dict[str, Any]:
    (made,) = synth.resources(PROD, "AWS::Lambda::Function").values()
    return dict(made["Properties"])


def drift_role(synth: Synth, config: RoadwayConfig) -> list[dict[str, Any]]:
    template = synth.templates[PROD]
    return iam.role_statements(template, iam.role_named(template, model_names(config).drift_role("prod")))


def test_prod_is_watched_by_roadways_drift_job_not_model_monitor(synth: Synth, config: RoadwayConfig) -> None:
    assert config.projects[0].stages.prod.serving.monitoring.engine == "roadway"
    assert not synth.resources(PROD, "AWS::SageMaker::MonitoringSchedule")
    assert not synth.resources(PROD, "AWS::SageMaker::DataQualityJobDefinition")
    props = function(synth)
    assert (props["Runtime"], props["Architectures"], props["Handler"]) == (
        "python3.14",
        ["arm64"],
        "drift_monitor.handler.handler",
    )
    assert "SubnetIds" in props["VpcConfig"] and props["Timeout"] == 900
    layers = list(synth.resources(PROD, "AWS::Lambda::LayerVersion").values())
    for layer in layers:
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.14"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # Its statistics (numpy, scipy), named for the stage; Powertools for its log lines, as the promoter's.
    assert sorted(layer["Properties"].get("LayerName", "") for layer in layers) == [
        "",
        "roadway-prod-serving-drift-statistics",
    ]
    assert len(props["Layers"]) == 2


def test_the_function_gets_exactly_the_variables_the_job_reads(synth: Synth, config: RoadwayConfig) -> None:
    variables = function(synth)["Environment"]["Variables"]
    assert set(variables) == set(Env.ALL)
    # What is served the job reads from its own stack at each run: no variable names a parameter promotion sets.
    assert variables[Env.STACK] == PROD
    assert "Ref" not in json.dumps(variables)
    monitoring = config.projects[0].stages.prod.serving.monitoring
    assert variables[Env.WATCHED].split(",") == monitoring.watched_features
    assert float(variables[Env.THRESHOLD]) == monitoring.drift_threshold and variables[Env.WINDOW_MINUTES] == "60"
    assert variables[Env.NAMESPACE] == METRIC_NAMESPACE


def test_the_schedule_always_runs_and_nothing_of_the_job_depends_on_what_promotion_sets(synth: Synth) -> None:
    """A stack update that only changes the promotion's parameters leaves the job, its schedule and its role as
    they are: nothing of them refers to those parameters or to a condition on them."""
    rules = [r["Properties"] for r in synth.resources(PROD, "AWS::Events::Rule").values()]
    (rule,) = [r for r in rules if "ScheduleExpression" in r]
    assert rule["ScheduleExpression"] == "cron(15 * * * ? *)"  # a quarter past: the last hour's files have landed
    assert rule["State"] == "ENABLED"
    parameters = set(synth.templates[PROD]["Parameters"]) - {"BootstrapVersion"}
    for logical_id, resource in synth.resources(PROD).items():
        if logical_id.startswith("DriftMonitor"):
            text = json.dumps(resource)
            assert "Condition" not in resource and not any(f'"Ref": "{p}"' in text for p in parameters), logical_id
    (target,) = rule["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("DriftMonitorFunction") and "DeadLetterConfig" in target


def test_drift_and_a_failed_run_page_the_alarm_topic(synth: Synth) -> None:
    alarms = [a["Properties"] for a in synth.resources(PROD, "AWS::CloudWatch::Alarm").values()]
    (drift,) = [a for a in alarms if a.get("Namespace") == METRIC_NAMESPACE]
    assert (drift["MetricName"], drift["Statistic"], drift["Threshold"], drift["Period"]) == (
        "Drift",
        "Maximum",
        1,
        3600,
    )
    assert drift["Dimensions"] == [{"Name": ENDPOINT_DIMENSION, "Value": "roadway-prod-house-price"}]
    assert drift["TreatMissingData"] == "notBreaching"  # an idle hour is no traffic, not drift
    failed = [a for a in alarms if "drift job failed" in a.get("AlarmDescription", "")]
    for alarm in (drift, *failed):
        assert alarm["AlarmActions"] == [{"Fn::ImportValue": "roadway-prod-platform-alarm-topic-arn"}]
    assert len(failed) == 1


def test_the_drift_role_reads_captures_and_baselines_and_writes_only_reports_and_its_metrics(
    synth: Synth, config: RoadwayConfig
) -> None:
    role = drift_role(synth, config)
    may = lambda action, resource, **context: iam.allowed(role, action, resource, context)  # noqa: E731
    assert may("s3:GetObject", f"{DATA}/{CAPTURES}")
    assert may("s3:ListBucket", DATA, **{"s3:prefix": "data-capture/roadway-prod-house-price/AllTraffic/2026/"})
    source = config.stages.test.account  # prod's copies come from test
    assert may("s3:GetObject", f"{ARTIFACTS}/promoted/{source}/house-price/v3/abc-statistics.json")
    assert not may("s3:GetObject", f"{ARTIFACTS}/promoted/{source}/churn/v3/abc-statistics.json"), "another project's"
    assert may("s3:PutObject", f"{DATA}/monitoring-reports/roadway-prod-house-price/2026/11/26/10/report.json")
    assert may("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": METRIC_NAMESPACE})
    # ...and nothing else: not another endpoint's captures, not a write to captures, not another namespace.
    assert not may("s3:GetObject", f"{DATA}/data-capture/another-endpoint/AllTraffic/x.jsonl")
    assert not may("s3:ListBucket", DATA, **{"s3:prefix": "datasets/"})
    assert not may("s3:PutObject", f"{DATA}/{CAPTURES}")
    assert not may("s3:DeleteObject", f"{DATA}/{CAPTURES}")
    assert not may("s3:GetObject", f"{ARTIFACTS}/pipelines/x/model.tar.gz")
    assert not may("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "AWS/SageMaker"})
    assert not may("kms:Decrypt", "roadway-prod-platform-data-key-arn")  # only through S3


def test_captured_requests_expire_and_only_the_watch_the_endpoint_and_the_team_touch_them(
    synth: Synth, config: RoadwayConfig
) -> None:
    (bucket,) = [r for k, r in synth.resources(PLATFORM, "AWS::S3::Bucket").items() if k.startswith("DataBucket")]
    prefix = "data-capture/roadway-prod-house-price/"  # SageMaker writes under the endpoint's name
    (rule,) = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == prefix]
    serving = config.projects[0].stages.prod.serving
    assert serving.capture_readers
    assert rule["ExpirationInDays"] == serving.capture_retention_days
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}  # versions of an erased record go too
    (policy,) = [r for k, r in synth.resources(PLATFORM, "AWS::S3::BucketPolicy").items() if k.startswith("DataBucket")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    names, model, account = Names.of(config), model_names(config), config.stages.prod.account
    drift, endpoint = (
        names.role_arn(account, model.drift_role("prod")),
        names.role_arn(account, model.serving_role("prod")),
    )
    team = serving.capture_readers[0].replace("*", "a1b2c3")
    admin = f"arn:aws:iam::{account}:role/Admin"
    capture = f"<DataBucketE3889A50.Arn>/{CAPTURES}"
    denied = lambda action, who: iam.bucket_policy_denies(statements, action, capture, who)  # noqa: E731
    assert not denied("s3:GetObject", drift) and not denied("s3:GetObject", team)
    assert denied("s3:GetObject", admin) and denied("s3:GetObject", endpoint)
    assert not denied("s3:DeleteObjectVersion", team) and denied("s3:DeleteObjectVersion", admin)
    assert not denied("s3:PutObject", endpoint) and not denied("s3:PutObject", team)
    assert denied("s3:PutObject", admin) and denied("s3:PutObject", drift)
    # A replication rule reads as its own role: the captures are not copied out of the bucket that way either.
    replication = f"arn:aws:iam::{account}:role/s3-replication"
    assert denied("s3:GetObjectVersionForReplication", replication)


def test_a_promotion_touches_nothing_of_the_drift_job(synth: Synth, config: RoadwayConfig) -> None:
    """The deployer CloudFormation applies promotions with may neither reconfigure the job nor its schedule, nor
    hand its role to Lambda: the job follows the stack's parameters on its own."""
    template = synth.templates[PROMOTION]
    names, model = Names.of(config), model_names(config)
    deployer = iam.role_statements(template, iam.role_named(template, model.serving_deploy_role("prod")))
    account, region = config.stages.prod.account, config.region
    function_arn = f"arn:aws:lambda:{region}:{account}:function:roadway-prod-serving-DriftMonitorFunction4E3-abc"
    rule_arn = f"arn:aws:events:{region}:{account}:rule/roadway-prod-serving-DriftMonitorSchedule-abc"
    drift = names.role_arn(account, model.drift_role("prod"))
    for action in ("lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode", "lambda:CreateFunction"):
        assert not iam.allowed(deployer, action, function_arn), action
    assert not iam.allowed(deployer, "events:PutRule", rule_arn)
    assert not iam.allowed(deployer, "iam:PassRole", drift, {"iam:PassedToService": "lambda.amazonaws.com"})
    # The endpoint's named role is the serving stack's too: the deployer passes it to SageMaker on a promotion.
    endpoint = names.role_arn(account, model.serving_role("prod"))
    assert iam.allowed(deployer, "iam:PassRole", endpoint, {"iam:PassedToService": "sagemaker.amazonaws.com"})


def test_the_drift_role_reads_only_its_own_stack(synth: Synth, config: RoadwayConfig) -> None:
    role = drift_role(synth, config)
    own = f"arn:aws:cloudformation:{config.region}:{config.stages.prod.account}:stack/{PROD}/abc-123"
    assert iam.allowed(role, "cloudformation:DescribeStacks", own)
    assert not iam.allowed(role, "cloudformation:DescribeStacks", own.replace(PROD, "roadway-prod-platform"))
    assert not iam.allowed(role, "cloudformation:UpdateStack", own)


def test_named_serving_resources_lie_under_the_serving_stacks_prefix_and_fit(config: RoadwayConfig) -> None:
    model = model_names(config)
    for stage in ("test", "prod"):
        for name in (model.serving_role(stage), model.drift_role(stage), model.monitor_role(stage)):
            assert name.startswith(f"{model.serving_stack(stage)}-") and len(name) <= 64  # IAM's limit
        assert len(model.drift_layer(stage)) <= 140  # Lambda's layer-name limit


@pytest.mark.parametrize("engine", ["model-monitor"])
def test_with_model_monitor_its_role_reads_captures_instead(model_monitor_synth: Synth, engine: str) -> None:
    (policy,) = [
        r
        for k, r in model_monitor_synth.resources(PLATFORM, "AWS::S3::BucketPolicy").items()
        if k.startswith("DataBucket")
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    capture = f"<DataBucketE3889A50.Arn>/{CAPTURES}"
    # This road is governed (tests/conftest.py): its roles sit under the path, which the policy names them by.
    monitor = f"arn:aws:iam::333333333333:role{ROLE_PATH}roadway-prod-serving-model-monitor"
    assert not iam.bucket_policy_denies(statements, "s3:GetObject", capture, monitor)
    assert iam.bucket_policy_denies(
        statements, "s3:GetObject", capture, f"arn:aws:iam::333333333333:role{ROLE_PATH}roadway-prod-serving-drift"
    )
    unpathed = "arn:aws:iam::333333333333:role/roadway-prod-serving-model-monitor"
    assert iam.bucket_policy_denies(statements, "s3:GetObject", capture, unpathed)
