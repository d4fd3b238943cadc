"""ModelEndpoint, in the app: the model isolated in the VPC, its storage encrypted and its traffic captured, blue/green
with rollback on errors and latency, scaled on invocations, serverless in test, its role reading only this
account's artifacts, and an idle instance endpoint paged."""

from __future__ import annotations

import json

import pytest

from devtools.synth import Synth
from tests.stacks.reachability import groups_of
from tests.stacks.serving import PROD, TEST, alarm_ids, one


def test_prod_model_is_isolated_in_the_vpc(synth: Synth) -> None:
    props = one(synth, PROD, "AWS::SageMaker::Model")["Properties"]
    assert props["EnableNetworkIsolation"] is True
    assert len(props["VpcConfig"]["Subnets"]) == 2
    where, (group,) = groups_of(synth.templates, "prod", PROD, props["VpcConfig"]["SecurityGroupIds"])
    assert where == "roadway-prod-platform", "the containers' group lives with the network, for the deployer"
    sg = synth.templates[where]["Resources"][group]["Properties"]
    assert "SecurityGroupIngress" not in sg
    # HTTPS only: interface endpoints in the VPC's range, and S3's and DynamoDB's gateways by their prefix
    # lists (a VPC endpoint downloads its model through S3's). Where each leads: tests/stacks/test_reachability.py.
    assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in sg["SecurityGroupEgress"]] == [
        ("10.30.0.0/16", "tcp", 443, 443),
    ]
    rules = synth.resources(where, "AWS::EC2::SecurityGroupEgress").values()
    own = {"Fn::GetAtt": [group, "GroupId"]}
    assert sorted(r["Properties"]["DestinationPrefixListId"] for r in rules if r["Properties"]["GroupId"] == own) == [
        "pl-6da54004",
        "pl-6fa54006",
    ]


def test_prod_endpoint_config_encrypts_storage_and_captures(synth: Synth) -> None:
    props = one(synth, PROD, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert props["KmsKeyId"] == {"Fn::ImportValue": "roadway-prod-platform-data-key-arn"}
    (variant,) = props["ProductionVariants"]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 2)
    capture = props["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 20
    assert capture["KmsKeyId"] == {"Fn::ImportValue": "roadway-prod-platform-data-key-arn"}
    assert sorted(o["CaptureMode"] for o in capture["CaptureOptions"]) == ["Input", "Output"]
    assert json.dumps(capture["DestinationS3Uri"]).endswith('/data-capture"]]}')


def test_prod_blue_green_rolls_back_on_errors_and_latency(synth: Synth) -> None:
    endpoint = one(synth, PROD, "AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["EndpointName"] == "roadway-prod-house-price"
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {"Type": "ALL_AT_ONCE"}
    assert policy["TerminationWaitInSeconds"] == 600
    rollback = {a["AlarmName"]["Ref"] for a in endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]}
    alarms = alarm_ids(synth, PROD)
    by_metric = {alarms[a]["Properties"]["MetricName"]: alarms[a]["Properties"] for a in rollback}
    assert by_metric["Invocation5XXErrors"]["Threshold"] == 5
    assert by_metric["ModelLatency"]["Threshold"] == 500_000  # microseconds
    for alarm in by_metric.values():
        assert {"Name": "EndpointName", "Value": "roadway-prod-house-price"} in alarm["Dimensions"]
        assert alarm["AlarmActions"] == [{"Fn::ImportValue": "roadway-prod-platform-alarm-topic-arn"}]


def test_prod_scales_on_invocations_per_instance(synth: Synth) -> None:
    target = one(synth, PROD, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Condition"] == "HasModel"
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (2, 4)
    assert target["Properties"]["ResourceId"] == "endpoint/roadway-prod-house-price/variant/AllTraffic"
    policy = one(synth, PROD, "AWS::ApplicationAutoScaling::ScalingPolicy")["Properties"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 200
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"


def test_test_stage_is_serverless_without_what_serverless_cannot_do(synth: Synth) -> None:
    (variant,) = one(synth, TEST, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MaxConcurrency": 5, "MemorySizeInMB": 2048}
    assert "InstanceType" not in variant
    config = one(synth, TEST, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert "KmsKeyId" not in config and "DataCaptureConfig" not in config
    model = one(synth, TEST, "AWS::SageMaker::Model")["Properties"]
    assert model["EnableNetworkIsolation"] is False and "VpcConfig" not in model
    endpoint = one(synth, TEST, "AWS::SageMaker::Endpoint")["Properties"]
    assert "DeploymentConfig" not in endpoint
    assert not synth.resources(TEST, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert not synth.resources(TEST, "AWS::SageMaker::MonitoringSchedule")
    assert len(alarm_ids(synth, TEST)) == 2, "errors and latency still page the team"


@pytest.mark.parametrize("stack", [TEST, PROD])
def test_execution_role_reads_only_this_accounts_artifacts(synth: Synth, stack: str) -> None:
    stage = stack.split("-")[1]
    model = one(synth, stack, "AWS::SageMaker::Model")["Properties"]
    role = model["ExecutionRoleArn"]["Fn::GetAtt"][0]
    policies = [
        p["Properties"]
        for p in synth.resources(stack, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role} in p["Properties"].get("Roles", [])
    ]
    (policy,) = policies
    text = json.dumps(policy)
    assert f"roadway-{stage}-platform-artifact-bucket-arn" in text
    assert "s3:PutObject" not in text or stage == "prod"  # only data capture writes
    for statement in policy["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.endswith(":*") for a in actions)


def test_an_idle_instance_endpoint_pages_and_missing_data_counts_as_idle(synth: Synth) -> None:
    from devtools.synth import CONFIG_PATH
    from roadway.config import load_config

    endpoint = load_config(CONFIG_PATH).projects[0].stages.prod.serving.endpoint
    (idle,) = [
        a for lid, a in synth.resources(PROD, "AWS::CloudWatch::Alarm").items() if lid.startswith("EndpointIdleAlarm")
    ]
    props = idle["Properties"]
    assert (props["MetricName"], props["Namespace"], props["Statistic"]) == ("Invocations", "AWS/SageMaker", "Sum")
    assert props["Period"] == 3600 and props["EvaluationPeriods"] == endpoint.idle_alarm_hours
    assert (props["ComparisonOperator"], props["Threshold"]) == ("LessThanThreshold", 1)
    assert props["TreatMissingData"] == "breaching", "an idle endpoint emits no datapoints at all"
    (model,) = synth.resources(PROD, "AWS::SageMaker::Endpoint").values()
    assert idle["Condition"] == model["Condition"], "no endpoint, no idle alarm"
    assert props["AlarmActions"], "it pages"
    # Serverless costs nothing idle: no such alarm.
    assert not [lid for lid in synth.resources(TEST, "AWS::CloudWatch::Alarm") if "Idle" in lid]
