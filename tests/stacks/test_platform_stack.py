"""Every account's base: isolated network, rotated keys, locked-down buckets, the registry and its reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from devtools.synth import Synth
from roadway.config import STAGE_NAMES, RoadwayConfig, parse_config

PLATFORMS = [f"roadway-{stage}-platform" for stage in STAGE_NAMES]


@pytest.mark.parametrize("stack", PLATFORMS)
def test_network_has_no_route_to_the_internet(synth: Synth, stack: str) -> None:
    template = Template.from_json(synth.templates[stack])
    for forbidden in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"):
        template.resource_count_is(forbidden, 0)
    for subnet in synth.resources(stack, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    routes = synth.resources(stack, "AWS::EC2::Route")
    assert routes == {}, "isolated subnets have only the local route (plus the S3 gateway prefix list)"
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "s3"})


def endpoint_services(synth: Synth, stack: str) -> set[str]:
    services = set()
    for endpoint in synth.resources(stack, "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        text = name if isinstance(name, str) else json.dumps(name)
        services.add(text.split("amazonaws.com.")[-1].split(".")[-1].strip('"]} '))
    return services


def test_dev_has_the_endpoints_studio_needs_offline(synth: Synth) -> None:
    services = endpoint_services(synth, "roadway-dev-platform")
    needed = {"s3", "api", "runtime", "studio", "notebook", "sts", "logs", "monitoring", "dkr", "kms"}
    assert needed <= services, f"missing endpoints: {needed - services}"
    assert "studio" not in endpoint_services(synth, "roadway-prod-platform")


@pytest.mark.parametrize("stack", PLATFORMS)
def test_endpoints_admit_https_from_the_vpc_literal_cidr_only(synth: Synth, config: RoadwayConfig, stack: str) -> None:
    stage = stack.split("-")[1]
    cidr = config.stage(stage).vpc_cidr  # type: ignore[arg-type]
    interface = [
        e
        for e in synth.resources(stack, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
    ]
    assert interface and all(e["Properties"]["PrivateDnsEnabled"] for e in interface)
    groups = {g["Fn::GetAtt"][0] for e in interface for g in e["Properties"]["SecurityGroupIds"]}
    assert len(groups) == 1
    (group,) = groups
    ingress = synth.templates[stack]["Resources"][group]["Properties"]["SecurityGroupIngress"]
    assert ingress == [
        {"CidrIp": cidr, "Description": "HTTPS from the VPC", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}
    ]


@pytest.mark.parametrize("stack", PLATFORMS)
def test_keys_are_customer_managed_rotated_and_retained(synth: Synth, stack: str) -> None:
    keys = synth.resources(stack, "AWS::KMS::Key")
    assert sorted(lid.rstrip("0123456789ABCDEF") for lid in keys) == ["ArtifactKey", "DataKey", "OpsKey"]
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("stack", PLATFORMS)
def test_data_buckets_are_kms_versioned_private_logged_and_retained(synth: Synth, stack: str) -> None:
    buckets = synth.resources(stack, "AWS::S3::Bucket")
    keyed = {lid: b for lid, b in buckets.items() if lid.startswith(("ArtifactBucket", "DataBucket"))}
    assert len(keyed) == 2
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
    for bucket in keyed.values():
        props = bucket["Properties"]
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert "Fn::GetAtt" in rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith("LogArchive")


@pytest.mark.parametrize("stack", PLATFORMS)
def test_every_bucket_refuses_plain_http(synth: Synth, stack: str) -> None:
    buckets = set(synth.resources(stack, "AWS::S3::Bucket"))
    tls_only = set()
    for policy in synth.resources(stack, "AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
                assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
                tls_only.add(policy["Properties"]["Bucket"]["Ref"])
    assert tls_only == buckets


def test_registry_group_is_named_once_and_has_no_cross_account_policy(synth: Synth) -> None:
    """The next account reads the group through this account's reader role (tests/stacks/test_promotion_stack.py),
    so no group grants anything to another account."""
    for stage in ("dev", "test", "prod"):
        (group,) = synth.resources(f"roadway-{stage}-platform", "AWS::SageMaker::ModelPackageGroup").values()
        assert group["Properties"]["ModelPackageGroupName"] == "house-price"
        assert group["DeletionPolicy"] == "Retain"
        assert "ModelPackageGroupPolicy" not in group["Properties"]


def test_next_stage_may_read_artifacts_and_nothing_else(synth: Synth) -> None:
    statements = [
        statement
        for policy in synth.resources("roadway-dev-platform", "AWS::S3::BucketPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "NextStagePromotionCopiesArtifacts"
    ]
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert all(action.startswith("s3:Get") for action in statement["Action"])
    assert statement["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/roadway-test-promoter"}
    }
    assert "333333333333" not in json.dumps(synth.templates["roadway-dev-platform"]), "dev never trusts prod"


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_only_this_accounts_log_services_may_write_the_log_archive(
    synth: Synth, config: RoadwayConfig, stage: str
) -> None:
    """The flow-log statements the feature flags added admit AWS's log delivery for this account's own logs only:
    no person, no other account (an insider cannot write or rewrite the access logs through this policy)."""
    account = config.stage(stage).account  # type: ignore[arg-type]
    (policy,) = [
        r
        for logical_id, r in synth.resources(f"roadway-{stage}-platform", "AWS::S3::BucketPolicy").items()
        if logical_id.startswith("LogArchive")
    ]
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    services = {s["Principal"]["Service"] for s in allows}
    assert services == {"delivery.logs.amazonaws.com", "logging.s3.amazonaws.com"}
    for statement in allows:
        assert set(statement["Principal"]) == {"Service"}
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert set(actions) <= {"s3:PutObject", "s3:GetBucketAcl", "s3:ListBucket"}
    flow = [s for s in allows if s["Principal"]["Service"] == "delivery.logs.amazonaws.com"]
    assert all(s["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":{account}:*") for s in flow)


@pytest.mark.parametrize("stack", PLATFORMS)
def test_old_versions_expire_and_current_objects_stay(synth: Synth, config: RoadwayConfig, stack: str) -> None:
    days = config.buckets.noncurrent_version_days
    for logical_id in ("ArtifactBucket", "DataBucket"):
        (bucket,) = [r for lid, r in synth.resources(stack, "AWS::S3::Bucket").items() if lid.startswith(logical_id)]
        rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if "Id" in r}
        rule = rules["OldVersionsExpire"]
        assert rule["Status"] == "Enabled" and "Prefix" not in rule, "the whole bucket"
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": days}
        assert "ExpirationInDays" not in rule and "ExpirationDate" not in rule, "current objects are never expired"
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_account_budget_alerts_the_alarm_topic_which_budgets_may_use(
    synth: Synth, config: RoadwayConfig, stage: str
) -> None:
    stack = f"roadway-{stage}-platform"
    template = synth.templates[stack]
    budgets = {
        b["Properties"]["Budget"]["BudgetName"]: b for b in synth.resources(stack, "AWS::Budgets::Budget").values()
    }
    account = budgets[f"roadway-{stage}-account"]["Properties"]
    assert account["Budget"]["BudgetLimit"] == {"Amount": config.stage(stage).monthly_budget_usd, "Unit": "USD"}
    assert "CostFilters" not in account["Budget"], "the whole account"
    alerts = [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in account["NotificationsWithSubscribers"]
    ]
    assert alerts == [("ACTUAL", 80), ("FORECASTED", 100), ("ACTUAL", 100)]
    (topic_id,) = synth.resources(stack, "AWS::SNS::Topic")
    for n in account["NotificationsWithSubscribers"]:
        assert n["Subscribers"] == [{"Address": {"Ref": topic_id}, "SubscriptionType": "SNS"}]

    # The topic is encrypted: Budgets needs both its policy (from this account only) and its key's.
    (topic_policy,) = synth.resources(stack, "AWS::SNS::TopicPolicy").values()
    publish = next(
        s for s in topic_policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "BudgetsPublishesAlerts"
    )
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": config.stage(stage).account}
    (key,) = [
        r for lid, r in template["Resources"].items() if lid.startswith("OpsKey") and r["Type"] == "AWS::KMS::Key"
    ]
    grant = next(s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "BudgetsPublishesEncrypted")
    assert grant["Principal"] == {"Service": "budgets.amazonaws.com"}
    # No condition on the key: whether Budgets' request through SNS carries aws:SourceAccount is not documented;
    # the topic's policy scopes the sender (stacks/service_paths.py, tests/stacks/test_service_paths.py).
    assert "Condition" not in grant and set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_each_team_has_a_budget_of_its_tagged_spend_where_it_spends(synth: Synth, config: RoadwayConfig) -> None:
    """In dev, every team with a budget (its notebooks and jobs); in test and prod, the teams that own a project
    there (its serving stacks carry the team's tag)."""
    for stage in ("dev", "test", "prod"):
        budgets = {
            b["Properties"]["Budget"]["BudgetName"]: b["Properties"]
            for b in synth.resources(f"roadway-{stage}-platform", "AWS::Budgets::Budget").values()
        }
        for team in config.teams:
            budget = budgets[f"roadway-{stage}-team-{team.name}"]
            assert budget["Budget"]["CostFilters"] == {"TagKeyValue": [f"user:roadway:team${team.name}"]}
            assert budget["Budget"]["BudgetLimit"]["Amount"] == team.monthly_budget_usd
            for n in budget["NotificationsWithSubscribers"]:
                emails = [s["Address"] for s in n["Subscribers"] if s["SubscriptionType"] == "EMAIL"]
                assert emails == config.budget_emails(team.name) and emails


def test_a_team_that_owns_no_project_has_no_budget_in_test_or_prod(synth_with: Any, config: RoadwayConfig) -> None:
    raw = config.model_dump(mode="json", exclude_unset=True)
    raw["teams"].append({"name": "research", "monthly_budget_usd": 100})
    variant = synth_with(parse_config(raw))
    for stage, expected in (("dev", True), ("test", False), ("prod", False)):
        names = [
            b["Properties"]["Budget"]["BudgetName"]
            for b in variant.resources(f"roadway-{stage}-platform", "AWS::Budgets::Budget").values()
        ]
        assert (f"roadway-{stage}-team-research" in names) is expected, stage
