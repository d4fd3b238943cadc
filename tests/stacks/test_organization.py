"""A road in a governed organization (``iam.permissions_boundary``, ``iam.role_path``, ``tags``; devtools/variants.py
``governed``, which the moto road's config and the Model Monitor road's are): every role bounded and pathed, every
taggable resource tagged, no open finding, and every place that names a role by ARN following the path, one proof
per kind, each refusing the ARN without it."""

from __future__ import annotations

import re
from typing import Any

import jsii
import pytest
import yaml
from aws_cdk import App, Aspects, CfnResource, Environment, IAspect, Stack, Stage
from aws_cdk import aws_iam as aws_iam
from constructs import IConstruct
from promote_model.identity import session_role

from devtools.synth import Synth
from devtools.variants import BOUNDARY, ORG_TAGS, ROLE_PATH
from roadway.config import MAX_TAGS, ROADWAY_TAG_PREFIX, ROADWAY_TAGS_PER_RESOURCE, RoadwayConfig
from roadway.naming import BOOTSTRAP_QUALIFIER, PROJECT_TAG, STAGE_TAG, TEAM_TAG, USER_TAG, Names, role_arn
from stacks import organization
from stacks.app import cli_context
from stacks.bootstrap_template import governed, roles_of
from stacks.compliance.ml_rules import RoadwayChecks
from stacks.compliance.verdict import judge
from tests import aws, iam
from tests.roadway.doctor.helpers import BOOTSTRAP_TEMPLATE, substituted

ROLE = "AWS::IAM::Role"


def roles(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        f"{stack}/{logical_id}": resource["Properties"]
        for stack, template in synth.templates.items()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == ROLE
    }


GOVERNED = {"moto_synth": "moto_config", "model_monitor_synth": "model_monitor_config"}


@pytest.mark.parametrize("road", GOVERNED)
def test_every_role_of_every_stage_is_bounded_and_pathed_cdks_own_included(
    road: str, request: pytest.FixtureRequest
) -> None:
    moto_synth: Synth = request.getfixturevalue(road)
    moto_config: RoadwayConfig = request.getfixturevalue(GOVERNED[road])
    found = roles(moto_synth)
    assert {stack.split("-")[1] for stack in found} == {"dev", "test", "prod"}
    assert any("CustomResourceProvider" in role for role in found), "CDK's own custom-resource roles are counted"
    accounts = {stack: moto_config.stage(stack.split("-")[1]).account for stack in moto_synth.templates}  # type: ignore[arg-type]
    bounded = {r: iam.render(p.get("PermissionsBoundary")).replace("<AWS::Partition>", "aws") for r, p in found.items()}
    assert bounded == {r: f"arn:aws:iam::{accounts[r.split('/')[0]]}:policy/{BOUNDARY}" for r in found}
    assert {r: p.get("Path") for r, p in found.items()} == dict.fromkeys(found, ROLE_PATH)


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    tags = properties.get("Tags", properties.get("ResourceTags", []))  # a budget's are ResourceTags
    return {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else dict(tags)


@pytest.mark.parametrize("road", GOVERNED)
def test_every_taggable_resource_and_every_stack_carries_the_organizations_tags_within_awss_limit(
    road: str, request: pytest.FixtureRequest
) -> None:
    """Taggable as AWS's resource-provider schema says (aws_facts/); the stack's tags count, as CloudFormation
    propagates them to each resource it creates."""
    moto_synth: Synth = request.getfixturevalue(road)
    missing, counted = [], 0
    for stack, template in moto_synth.templates.items():
        on_stack = moto_synth.stack_tags(stack)
        assert ORG_TAGS.items() <= on_stack.items(), stack
        for logical_id, resource in template["Resources"].items():
            if resource["Type"].startswith("Custom::") or not aws.tagging(resource["Type"]).get("taggable"):
                continue
            own = _tags(resource.get("Properties", {}))
            counted += 1
            if not ORG_TAGS.items() <= own.items():
                missing.append(f"{stack}/{logical_id} ({resource['Type']})")
            carried = {**on_stack, **own}
            assert len(carried) <= MAX_TAGS, logical_id
            assert len([k for k in carried if k.startswith(ROADWAY_TAG_PREFIX)]) <= ROADWAY_TAGS_PER_RESOURCE
    assert missing == [] and counted > 100


def test_a_governed_road_has_no_open_finding(model_monitor_synth: Synth, model_monitor_config: RoadwayConfig) -> None:
    assert model_monitor_config.iam.role_path == ROLE_PATH and model_monitor_config.tags == ORG_TAGS
    assert judge(model_monitor_synth.report, []).passed


def test_roadways_tags_are_spelt_in_the_namespace_config_keeps_for_them() -> None:
    assert all(tag.startswith(ROADWAY_TAG_PREFIX) for tag in (PROJECT_TAG, STAGE_TAG, TEAM_TAG, USER_TAG))
    assert len({PROJECT_TAG, STAGE_TAG, TEAM_TAG, USER_TAG}) == ROADWAY_TAGS_PER_RESOURCE


# Where a role is named by ARN, one proof per kind: the pathed ARN is admitted, the same name without the path not.


@pytest.fixture(scope="module")
def named(moto_config: RoadwayConfig) -> tuple[Names, dict[str, str]]:
    names = Names.of(moto_config)
    assert names.role_path == ROLE_PATH
    return names, {stage: moto_config.stage(stage).account for stage in ("dev", "test", "prod")}  # type: ignore[misc]


def both(account: str, name: str) -> tuple[str, str]:
    """A role's ARN under the road's path, and as it would be without one."""
    return role_arn(account, name, ROLE_PATH), role_arn(account, name)


def test_a_trust_admits_the_next_promoter_by_its_pathed_arn(
    moto_synth: Synth, moto_config: RoadwayConfig, named: Any
) -> None:
    names, accounts = named
    template = moto_synth.templates[names.stack_name("dev", "promotion")]
    reader = names.model(moto_config.projects[0]).reader_role("dev")
    trust = iam.trust_statements(template, iam.role_named(template, reader))
    pathed, bare = both(accounts["test"], names.promoter_role("test"))
    assert iam.may_assume(trust, pathed, "sts:AssumeRole", {})
    assert not iam.may_assume(trust, bare, "sts:AssumeRole", {})


def test_a_bucket_policy_names_its_readers_and_writers_by_pathed_arns(
    moto_synth: Synth, moto_config: RoadwayConfig, named: Any
) -> None:
    names, accounts = named
    platform = moto_synth.templates[names.stack_name("dev", "platform")]
    statements = [
        s
        for policy in (r for r in platform["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy")
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (copies,) = [s for s in statements if s.get("Sid") == "NextStagePromotionCopiesArtifacts"]
    pathed, bare = both(accounts["test"], names.promoter_role("test"))
    artifact = iam.render(iam.listed(copies["Resource"])[-1])
    assert iam.allowed([copies], "s3:GetObject", artifact, {"aws:PrincipalArn": pathed})
    assert not iam.allowed([copies], "s3:GetObject", artifact, {"aws:PrincipalArn": bare})
    # The evidence folder's only writer is the project's job role: by its pathed ARN (else the Deny stops it).
    jobs = names.model(moto_config.projects[0]).pipeline_job_role()
    evidence = "<ArtifactBucket7410C9EF.Arn>/pipelines/house-price/run-1/model.tar.gz"
    writer, unpathed = both(accounts["dev"], jobs)
    assert not iam.bucket_policy_denies(statements, "s3:PutObject", evidence, writer)
    assert iam.bucket_policy_denies(statements, "s3:PutObject", evidence, unpathed)


def test_passrole_and_the_promoters_patterns_name_pathed_roles(
    moto_synth: Synth, moto_config: RoadwayConfig, named: Any
) -> None:
    names, accounts = named
    model = names.model(moto_config.projects[0])
    studio = moto_synth.templates[names.stack_name("dev", "studio")]
    (passes,) = [s for _, s in iam.statements_of(studio, "") if s.get("Sid") == "PassTheTeamsPipelineRoles"]
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    pipeline, bare_pipeline = both(accounts["dev"], model.pipeline_role())
    assert iam.allowed([passes], "iam:PassRole", pipeline, to_sagemaker)
    assert not iam.allowed([passes], "iam:PassRole", bare_pipeline, to_sagemaker)
    # The promoter's patterns: every previous stage's reader, every serving stack's deployer.
    promotion = moto_synth.templates[names.stack_name("test", "promotion")]
    promoter = iam.role_statements(promotion, iam.role_named(promotion, names.promoter_role("test")))
    reader, bare_reader = both(accounts["dev"], model.reader_role("dev"))
    assert iam.allowed(promoter, "sts:AssumeRole", reader)
    assert not iam.allowed(promoter, "sts:AssumeRole", bare_reader)
    deployer, bare_deployer = both(accounts["test"], model.serving_deploy_role("test"))
    stack = f"arn:aws:cloudformation:{moto_config.region}:{accounts['test']}:stack/{model.serving_stack('test')}/x"
    assert iam.allowed(promoter, "cloudformation:UpdateStack", stack, {"cloudformation:RoleArn": deployer})
    assert not iam.allowed(promoter, "cloudformation:UpdateStack", stack, {"cloudformation:RoleArn": bare_deployer})


def test_a_sessions_arn_never_carries_the_path(named: Any) -> None:
    """AWS writes a role session as assumed-role/<name>/<session>: the approver check reads the name alone."""
    names, accounts = named
    approver = names.approver_role("dev")
    assert session_role(f"arn:aws:sts::{accounts['dev']}:assumed-role/{approver}/maria-lopez", accounts["dev"]) == (
        approver
    )
    pathed = f"arn:aws:sts::{accounts['dev']}:assumed-role{ROLE_PATH}{approver}/maria-lopez"
    assert session_role(pathed, accounts["dev"]) is None, "no session ARN carries a path; one that did is no session"


# Roadway-IAM1: a role that escapes the boundary or the path fails synth.


@jsii.implements(IAspect)
class _Escape:
    """What an override written after CDK's and Roadway's mechanisms would do: one role's boundary or path gone."""

    def __init__(self, prop: str) -> None:
        self._prop = prop

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.node.path.endswith("Escaped/Resource"):
            node.add_property_deletion_override(self._prop)


@pytest.mark.parametrize("prop", ["PermissionsBoundary", "Path"])
def test_a_role_that_escapes_the_boundary_or_path_is_a_finding(moto_config: RoadwayConfig, prop: str) -> None:
    app = App(context=cli_context(stage_assets=False))
    stage = Stage(
        app,
        "Dev",
        env=Environment(account="444444444444", region="us-east-2"),
        permissions_boundary=organization.boundary(moto_config),
    )
    organization.govern(stage, moto_config)
    stack = Stack(stage, "S")
    for name in ("Kept", "Escaped"):
        aws_iam.Role(stack, name, assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"))
    Aspects.of(stack).add(_Escape(prop), priority=1000)  # after the mutating aspects (CDK's boundary, the path)
    (escaped,) = app.synth().nested_assemblies[0].nested_assembly.stacks
    report = RoadwayChecks().validate_scope(stage)
    found = {v.rule_name: sorted(r.construct_path for r in v.violating_resources) for v in report.violations}
    assert found == {"Roadway-IAM1": ["Dev/S/Escaped/Resource"]}
    resources = escaped.template["Resources"]
    assert [k for k, r in resources.items() if prop not in r["Properties"]] == [k for k in resources if "Escaped" in k]


def test_the_stacks_name_the_bootstrap_roles_where_make_bootstrap_template_puts_them(
    moto_synth: Synth, moto_config: RoadwayConfig
) -> None:
    """Under a path the bootstrap roles move too; the assembly (deploy, execution, lookup and asset publishing
    roles, which the CDK CLI assumes) names exactly the ARNs the bounded bootstrap template gives them."""
    pinned = yaml.safe_load(BOOTSTRAP_TEMPLATE.read_text())
    made = roles_of(governed(pinned, permissions_boundary=BOUNDARY, role_path=ROLE_PATH))
    named = set(re.findall(r"arn:\$\{AWS::Partition\}:iam::\d{12}:role/[^\"]*cdk-[^\"]*", _assembly_text(moto_synth)))
    assert named and all(f":role{ROLE_PATH}cdk-" in arn for arn in named)
    for stage in ("dev", "test", "prod"):
        account = moto_config.stage(stage).account  # type: ignore[arg-type]
        values = {"Qualifier": BOOTSTRAP_QUALIFIER, "AWS::AccountId": account, "AWS::Region": moto_config.region}
        bootstrapped = {
            f"arn:${{AWS::Partition}}:iam::{account}:role{role['Properties']['Path']}"
            + substituted(role["Properties"]["RoleName"]["Fn::Sub"], values)
            for role in made.values()
        }
        assert {arn for arn in named if f"::{account}:" in arn} <= bootstrapped


def _assembly_text(synth: Synth) -> str:
    return "".join(
        f.read_text() for f in synth.outdir.glob("assembly-*/*.json") if not f.name.endswith(".template.json")
    )
