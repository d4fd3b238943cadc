"""A road of two projects of two teams (house-price of pricing, churn of retention), synthesized with the packs:
onboarding a project is one config entry, changes only that project's resources and the shared plumbing that
routes by project, and each project's people and roles reach only their own project's resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from promote_model.settings import Settings

from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import iam
from tests.conftest import SECOND_TEAM_READER, Synth

DEV, TEST, PROD = "111111111111", "222222222222", "333333333333"
STUDIO = "roadway-dev-studio"


def package(account: str, group: str, version: int = 3) -> str:
    return f"arn:aws:sagemaker:eu-west-1:{account}:model-package/{group}/{version}"


def group_arn(account: str, group: str) -> str:
    return f"arn:aws:sagemaker:eu-west-1:{account}:model-package-group/{group}"


def diff(before: Synth, after: Synth) -> dict[str, dict[str, set[str]]]:
    """Per stack: the logical IDs added, removed and changed from ``before`` to ``after``."""
    found = {}
    for stack in sorted(set(before.templates) | set(after.templates)):
        old = before.templates.get(stack, {}).get("Resources", {})
        new = after.templates.get(stack, {}).get("Resources", {})
        found[stack] = {
            "added": set(new) - set(old),
            "removed": set(old) - set(new),
            "changed": {k for k in set(old) & set(new) if old[k] != new[k]},
        }
    return found


def test_a_project_is_onboarded_by_its_own_resources_and_the_routing_that_names_it(
    synth: Synth, two_projects_synth: Synth
) -> None:
    changes = diff(synth, two_projects_synth)
    assert not any(c["removed"] for c in changes.values()), "onboarding removes nothing"
    # Its own stacks: an endpoint (and in prod its watch) of its own, in test and prod.
    assert changes["roadway-test-churn-serving"]["added"] and changes["roadway-prod-churn-serving"]["added"]
    # Its group in every account, its reader where packages leave, its deployer and rules where they arrive.
    for stage in ("dev", "test", "prod"):
        assert {k for k in changes[f"roadway-{stage}-platform"]["added"] if "Registry" in k} == {
            "RegistrychurnGroup0F90C1E0"
        }
    assert {k.rstrip("0123456789ABCDEF") for k in changes["roadway-test-promotion"]["added"]} == {
        "PromoterRegistrationRulechurn",
        "SourceProjectchurnReader",
        "SourceProjectchurnReaderPolicy",
        "TargetProjectchurnPullApprovals",
        "TargetProjectchurnBreakGlassWithdrawals",
        "TargetProjectchurnServingDeployer",
        "TargetProjectchurnServingDeployerPolicy",
    }
    # What changes of the shared plumbing: only what routes by project (the function's map of projects, the
    # announcement's list of groups), never a policy, a role or a queue.
    shared = {k.rstrip("0123456789ABCDEF") for stack, c in changes.items() for k in c["changed"]}
    assert shared == {
        "PromoterFunction",
        "PromoterRollbackRecorder",
        "SourceAnnounceApprovals",
        "DataBucket",  # prod: the new endpoint's captures expire (a lifecycle rule)
        "DataBucketPolicy",  # prod: the second team's reader, held to churn's captures
    }
    # The second team's Studio people and policy are new; no one of the first team changes.
    assert not changes[STUDIO]["changed"]


def test_the_packs_stay_clean_with_two_projects(two_projects_synth: Synth) -> None:
    report = two_projects_synth.report
    assert report is not None
    assert not [v for r in report["pluginReports"] for v in r.get("violations", [])]


def member_statements(synth: Synth, user: str) -> list[dict[str, Any]]:
    template = synth.templates[STUDIO]
    (profile,) = [
        p
        for p in synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
        if p["Properties"]["UserProfileName"] == user
    ]
    return iam.role_statements(template, profile["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0])


def test_a_data_scientist_registers_and_reads_only_in_their_teams_projects(two_projects_synth: Synth) -> None:
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    for user, own, other in (("ana-garcia", "house-price", "churn"), ("chen-wei", "churn", "house-price")):
        statements = member_statements(two_projects_synth, user)
        for resource in (group_arn(DEV, own), package(DEV, own)):
            assert iam.allowed(statements, "sagemaker:CreateModelPackage", resource, pending), (user, resource)
        assert iam.allowed(statements, "sagemaker:DescribeModelPackage", package(DEV, own))
        for resource in (group_arn(DEV, other), package(DEV, other)):
            assert not iam.allowed(statements, "sagemaker:CreateModelPackage", resource, pending), (user, resource)
            assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", resource), (user, resource)
            assert not iam.allowed(statements, "sagemaker:ListModelPackages", resource), (user, resource)


def test_each_projects_deployer_changes_only_its_own_endpoint(
    two_projects_synth: Synth, two_projects_config: RoadwayConfig
) -> None:
    names = Names.of(two_projects_config)
    template = two_projects_synth.templates["roadway-prod-promotion"]
    for project, other in ((0, 1), (1, 0)):
        mine, theirs = (names.model(two_projects_config.projects[i]) for i in (project, other))
        statements = iam.role_statements(template, iam.role_named(template, mine.serving_deploy_role("prod")))
        endpoint = lambda m: f"arn:aws:sagemaker:eu-west-1:{PROD}:endpoint/{m.endpoint('prod')}"  # noqa: E731
        assert iam.allowed(statements, "sagemaker:UpdateEndpoint", endpoint(mine))
        assert not iam.allowed(statements, "sagemaker:UpdateEndpoint", endpoint(theirs))
        assert not iam.allowed(statements, "sagemaker:DeleteEndpoint", endpoint(theirs))
        role = lambda m: f"arn:aws:iam::{PROD}:role/{m.serving_role('prod')}"  # noqa: E731
        to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
        assert iam.allowed(statements, "iam:PassRole", role(mine), to_sagemaker)
        assert not iam.allowed(statements, "iam:PassRole", role(theirs), to_sagemaker)
        assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", package(PROD, theirs.model_package_group))
        schedule = lambda name: f"arn:aws:sagemaker:eu-west-1:{PROD}:monitoring-schedule/{name}"  # noqa: E731
        assert iam.allowed(statements, "sagemaker:UpdateMonitoringSchedule", schedule(mine.monitoring_schedule("prod")))
        # Another project's schedule, even one whose endpoint name begins with this one's (house-price-eu).
        for other_schedule in (theirs.monitoring_schedule("prod"), f"{mine.endpoint('prod')}-eu-data-quality"):
            assert not iam.allowed(statements, "sagemaker:DeleteMonitoringSchedule", schedule(other_schedule))


def test_each_projects_reader_reads_only_its_own_group(
    two_projects_synth: Synth, two_projects_config: RoadwayConfig
) -> None:
    names = Names.of(two_projects_config)
    template = two_projects_synth.templates["roadway-dev-promotion"]
    for mine, theirs in (("house-price", "churn"), ("churn", "house-price")):
        reader = names.model(two_projects_config.project_named(mine)).reader_role("dev")
        statements = iam.role_statements(template, iam.role_named(template, reader))
        assert iam.allowed(statements, "sagemaker:DescribeModelPackage", package(DEV, mine))
        assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", package(DEV, theirs))
        # Its own packages' seals in the ledger (keyed by package ARN), not another project's.
        ledger = "<LedgerTable9343E4AA.Arn>"
        seal_of = lambda group: {"dynamodb:LeadingKeys": [package(DEV, group)]}  # noqa: E731
        assert iam.allowed(statements, "dynamodb:GetItem", ledger, seal_of(mine))
        assert not iam.allowed(statements, "dynamodb:GetItem", ledger, seal_of(theirs))


def test_a_teams_reader_touches_only_its_own_projects_captures(two_projects_synth: Synth) -> None:
    (policy,) = [
        r
        for k, r in two_projects_synth.resources("roadway-prod-platform", "AWS::S3::BucketPolicy").items()
        if k.startswith("DataBucket")
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    pricing = "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_RoadwayPricing_1"
    retention = SECOND_TEAM_READER.replace("*", "1")
    drift = lambda stack: f"arn:aws:iam::{PROD}:role/{stack}-drift"  # noqa: E731

    def capture(endpoint: str) -> str:
        return f"<DataBucketE3889A50.Arn>/data-capture/{endpoint}/AllTraffic/2026/11/26/10/x.jsonl"

    def denied(action: str, endpoint: str, who: str) -> bool:
        return iam.bucket_policy_denies(statements, action, capture(endpoint), who)

    for reader, own, other in (
        (pricing, "roadway-prod-house-price", "roadway-prod-churn"),
        (retention, "roadway-prod-churn", "roadway-prod-house-price"),
    ):
        assert not denied("s3:GetObject", own, reader) and not denied("s3:DeleteObjectVersion", own, reader)
        assert denied("s3:GetObject", other, reader) and denied("s3:DeleteObject", other, reader)
        assert denied("s3:PutObject", other, reader)
    # Both projects' drift jobs may read (each job's own policy holds it to its endpoint's captures).
    assert not denied("s3:GetObject", "roadway-prod-churn", drift("roadway-prod-churn-serving"))
    assert denied("s3:GetObject", "roadway-prod-churn", f"arn:aws:iam::{PROD}:role/Admin")


def test_the_functions_route_by_project_and_the_rules_keep_one_queue_statement(two_projects_synth: Synth) -> None:
    for stage in ("test", "prod"):
        stack = f"roadway-{stage}-promotion"
        (function,) = [
            f
            for f in two_projects_synth.resources(stack, "AWS::Lambda::Function").values()
            if f["Properties"]["Handler"] == "promote_model.handler.handler"
        ]
        variables = {k: v for k, v in function["Properties"]["Environment"]["Variables"].items() if isinstance(v, str)}
        settings = Settings.from_env({**variables, "LEDGER_TABLE_NAME": "t", "ALARM_TOPIC_ARN": "a"})
        churn = settings.for_group("churn")
        assert churn.serving_stack == f"roadway-{stage}-churn-serving"
        assert churn.deploy_role_arn.endswith(f":role/roadway-{stage}-churn-serving-deployer")
        assert churn.source is not None and churn.source.reader_role_arn.endswith("-churn-reader")
        assert settings.for_group("house-price").serving_stack == f"roadway-{stage}-serving"
        # Each project's events go to the queue in its own message group.
        groups = sorted(
            target["SqsParameters"]["MessageGroupId"]
            for rule in two_projects_synth.resources(stack, "AWS::Events::Rule").values()
            for target in rule["Properties"]["Targets"]
            if "SqsParameters" in target
        )
        assert groups == sorted(["churn", "house-price"] * (2 if stage == "prod" else 3))
        # However many rules, the dead-letter queue's policy is one statement for rules (plus TLS only).
        for logical_id, queue_policy in two_projects_synth.resources(stack, "AWS::SQS::QueuePolicy").items():
            assert len(queue_policy["Properties"]["PolicyDocument"]["Statement"]) <= 2, logical_id


def test_the_announcement_names_every_project_and_nothing_else(two_projects_synth: Synth) -> None:
    (rule,) = [
        r
        for k, r in two_projects_synth.resources("roadway-dev-promotion", "AWS::Events::Rule").items()
        if k.startswith("SourceAnnounceApprovals")
    ]
    assert rule["Properties"]["EventPattern"]["detail"]["ModelPackageGroupName"] == ["churn", "house-price"]
    assert json.dumps(rule["Properties"]["EventPattern"]["account"]) == json.dumps([DEV])


def registry_schema(type_name: str, region: str = "eu-west-1") -> dict[str, Any]:
    """CloudFormation's resource schema of ``type_name`` as cfn-lint ships it (the registry's own description of
    which properties an update may change in place)."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    digest = json.loads((schemas / "providers" / f"{region}.json").read_text())[type_name]
    return dict(json.loads((schemas / "resources" / f"{digest}.json").read_text()))


def test_retagging_the_original_projects_serving_stacks_replaces_nothing(
    synth: Synth, model_monitor_synth: Synth
) -> None:
    """The upgrade gives the original project's serving stacks the tags roadway:project=<model> and roadway:team;
    CloudFormation applies stack tags to every taggable resource. Each resource type there takes a tag change in
    place, but for Model Monitor's job definition, whose tags are create-only and which every promotion replaces
    anyway (its baseline URIs are create-only too)."""
    types = {
        resource["Type"]
        for templates in (synth.templates, model_monitor_synth.templates)
        for stack in ("roadway-test-serving", "roadway-prod-serving")
        for resource in templates[stack]["Resources"].values()
        if resource["Type"].startswith("AWS::")
    }
    replaced_by_tags = set()
    for type_name in sorted(types):
        tagging = registry_schema(type_name).get("tagging") or {}
        if tagging.get("taggable", True) and tagging.get("tagUpdatable") is False:
            replaced_by_tags.add(type_name)
    assert replaced_by_tags == {"AWS::SageMaker::DataQualityJobDefinition"}
    job = registry_schema("AWS::SageMaker::DataQualityJobDefinition")
    assert "/properties/DataQualityBaselineConfig" in job["createOnlyProperties"], "a promotion replaces it anyway"
