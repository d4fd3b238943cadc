"""What each person's own identity needs, per stage: the IAM policies a platform engineer puts in the permission
sets (or roles) of approvers, on-call, operators, whoever runs the doctor, and data scientists. `make synth` writes
them beside the templates (``cdk.out/identity-setup/<stage>.json``), because Roadway's roles trust people by their
permission set's role (``aws:PrincipalArn``), and a trust is only half: the caller's own policy must allow the call.

Everyone's name is one attribute of the identity provider (config ``identity``): a session tag
(``aws:PrincipalTag/<tag>``: IAM Identity Center's "attributes for access control", or a SAML/OIDC session tag)
or the source identity federation sets. An approver may set only that name as the source identity the promotion
compares with the author's (the approver role's trust demands the same, so these policies are not what holds
it), and a data scientist may open only the Studio profile of that name.

Pure: config and naming in, policy documents out (no CDK, no AWS).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from roadway.config import STAGE_NAMES, RoadwayConfig, StageName
from roadway.naming import Names, bootstrap_roles, role_arn

FOLDER = "identity-setup"


def _statement(sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None) -> dict:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    return {**statement, "Condition": condition} if condition else statement


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume_as_oneself(role_arn: str, own_name: str) -> dict[str, Any]:
    """Assume ``role_arn`` naming oneself: the source identity must be the caller's own Roadway name."""
    return _document(
        _statement("AssumeTheRole", ["sts:AssumeRole"], [role_arn]),
        _statement(
            "NameOneselfOnly",
            ["sts:SetSourceIdentity"],
            [role_arn],
            {"StringEquals": {"sts:SourceIdentity": own_name}},
        ),
    )


def operator(config: RoadwayConfig, stage: StageName) -> dict[str, Any]:
    """What `roadway status` and `roadway trace` read in a stage's account: its stacks, ledger, registry groups,
    endpoints, drift reports and evidence, the last two through S3 with the stage's data and artifact keys."""
    names, account, region = Names.of(config), config.stage(stage).account, config.region
    every = names.every_model()
    road = f"{config.project}-{stage}-"
    sagemaker = f"arn:aws:sagemaker:{region}:{account}"
    return _document(
        _statement(
            "TheRoadsStacks",
            ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"],
            [f"arn:aws:cloudformation:{region}:{account}:stack/{road}*/*"],
        ),
        _statement(
            "TheLedger",
            ["dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:DescribeTable"],
            [f"arn:aws:dynamodb:{region}:{account}:table/{road}promotion-*"],
        ),
        _statement(
            "TheRegistry",
            ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
            [every.model_package_group_arn(account), every.model_packages_arn(account)],
        ),
        _statement(
            "TheEndpointsAndWatches",
            ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeMonitoringSchedule"],
            [f"{sagemaker}:endpoint/{road}*", f"{sagemaker}:endpoint-config/*", f"{sagemaker}:monitoring-schedule/*"],
        ),
        _statement(
            "ReportsAndEvidence",
            ["s3:GetObject"],
            [f"arn:aws:s3:::{road}platform-*/*"],
        ),
        _statement(
            "ThroughTheStagesKeys",
            ["kms:Decrypt"],
            [f"arn:aws:kms:{region}:{account}:key/*"],
            {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": account}},
        ),
    )


def doctor(config: RoadwayConfig, stage: StageName) -> dict[str, Any]:
    """What `roadway doctor` reads in a stage's account (its probes create and delete resources: run those with
    the deploy credentials): the operator's reads, plus the account's bootstrap, quotas, region, the permission
    sets' roles it simulates, the teams' repositories, and the stage's topic, queues and alarms (CloudFormation
    names each after its stack, ``<project>-<stage>-…``)."""
    account, region = config.stage(stage).account, config.region
    road = f"{config.project}-{stage}-"
    settings = config.stage(stage)
    statements = [
        *operator(config, stage)["Statement"],
        _statement(
            "TheBootstrapStack",
            ["cloudformation:DescribeStacks"],
            [f"arn:aws:cloudformation:{region}:{account}:stack/CDKToolkit/*"],
        ),
        _statement(
            "QuotasRegionAndRoles",
            [
                "servicequotas:ListServiceQuotas",
                "servicequotas:ListAWSDefaultServiceQuotas",
                "lambda:GetAccountSettings",
                "ec2:DescribeRegions",
                "iam:ListRoles",
            ],
            ["*"],
        ),
        _statement(
            "TheStagesTopicQueuesAndAlarms",
            ["sns:ListSubscriptionsByTopic", "sqs:GetQueueAttributes", "cloudwatch:DescribeAlarms"],
            [
                f"arn:aws:sns:{region}:{account}:{road}*",
                f"arn:aws:sqs:{region}:{account}:{road}*",
                f"arn:aws:cloudwatch:{region}:{account}:alarm:{road}*",
            ],
        ),
    ]
    people = [*settings.approvers, *settings.break_glass]
    if people:
        statements.append(_statement("WhoMayApprove", ["iam:SimulatePrincipalPolicy"], people))
    boundary, path = config.iam.boundary_arn(account), config.iam.role_path
    if boundary is not None:
        statements.append(_statement("TheOrganizationsBoundary", ["iam:GetPolicy"], [boundary]))
    if boundary is not None or path is not None:
        (every,) = bootstrap_roles(account, region, "*")
        # And the promoter role at whatever path it was deployed (a road deployed before the path was set).
        promoter = role_arn(account, f"*{Names.of(config).promoter_role(stage)}")
        roles = [role_arn(account, every, path or "/"), promoter]
        statements.append(_statement("TheBootstrapAndPromoterRoles", ["iam:GetRole"], roles))
    repositories = [t.repository() for t in config.teams if t.repository()] if stage == "dev" else []
    if repositories:
        arns = [f"arn:aws:codecommit:{r}:{account}:{name}" for r, name in repositories]  # type: ignore[misc]
        statements.append(_statement("TheTeamsRepositories", ["codecommit:GetRepository"], arns))
    return _document(*statements)


def data_scientist(config: RoadwayConfig) -> dict[str, Any]:
    """Open Studio as oneself: a presigned URL of the profile of one's own name, nobody else's."""
    account, region = config.stages.dev.account, config.region
    return _document(
        _statement("FindTheDomain", ["sagemaker:ListDomains"], ["*"]),
        _statement(
            "OpenOnlyOnesOwnProfile",
            ["sagemaker:CreatePresignedDomainUrl"],
            [f"arn:aws:sagemaker:{region}:{account}:user-profile/*/{config.identity.own_name}"],
        ),
    )


def documents(config: RoadwayConfig, stage: StageName) -> dict[str, dict[str, Any]]:
    """Each kind of person's policy in ``stage``'s account, by the permission set it belongs in."""
    names, settings, own_name = Names.of(config), config.stage(stage), config.identity.own_name
    made: dict[str, dict[str, Any]] = {}
    if settings.approvers:
        made["approver"] = assume_as_oneself(names.role_arn(settings.account, names.approver_role(stage)), own_name)
    if settings.break_glass:
        made["on-call"] = assume_as_oneself(names.role_arn(settings.account, names.break_glass_role(stage)), own_name)
    made["operator"] = operator(config, stage)
    made["doctor"] = doctor(config, stage)
    if stage == "dev":
        made["data-scientist"] = data_scientist(config)
    return made


def write(outdir: Path, config: RoadwayConfig) -> Path:
    """``<outdir>/identity-setup/<stage>.json`` for every stage: what `make synth` hands the platform engineer."""
    folder = outdir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for stage in STAGE_NAMES:
        record = {
            "stage": stage,
            "account": config.stage(stage).account,
            "identity": config.identity.model_dump(include={"binding", "tag"}),
            "permission_sets": documents(config, stage),
        }
        (folder / f"{stage}.json").write_text(json.dumps(record, indent=2) + "\n")
    return folder
