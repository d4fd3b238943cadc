"""Dev's Studio: VPC-only, IAM auth, KMS, idle shutdown, and one profile and role per data scientist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from roadway.config import DataScientist, RoadwayConfig
from tests.conftest import Synth

STUDIO = "roadway-dev-studio"


def only(synth: Synth, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(STUDIO, type_).values()
    return resource


def test_domain_is_vpc_only_with_iam_auth_and_kms(synth: Synth) -> None:
    domain = only(synth, "AWS::SageMaker::Domain")
    props = domain["Properties"]
    assert props["AppNetworkAccessType"] == "VpcOnly"
    assert props["AuthMode"] == "IAM"
    assert props["DomainName"] == "roadway-studio"
    assert props["KmsKeyId"] == {"Fn::ImportValue": "roadway-dev-platform-data-key-arn"}
    assert len(props["SubnetIds"]) == 2
    assert props["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "DISABLED"}
    assert domain["DeletionPolicy"] == "Retain"


def test_jupyterlab_idle_shutdown_from_config(synth: Synth, config: RoadwayConfig) -> None:
    props = only(synth, "AWS::SageMaker::Domain")["Properties"]
    for settings in (props["DefaultUserSettings"], props["DefaultSpaceSettings"]):
        idle = settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
        assert idle["LifecycleManagement"] == "ENABLED"
        assert idle["IdleTimeoutInMinutes"] == config.studio.idle_shutdown_minutes


def test_studio_security_group_has_no_internet_egress(synth: Synth, config: RoadwayConfig) -> None:
    groups = synth.resources(STUDIO, "AWS::EC2::SecurityGroup")
    (group,) = groups.values()
    egress = group["Properties"]["SecurityGroupEgress"]
    assert {e["CidrIp"] for e in egress} == {config.stages.dev.vpc_cidr}
    assert {e["FromPort"] for e in egress} == {443, 2049}


def test_one_profile_and_role_per_data_scientist(synth: Synth, config: RoadwayConfig) -> None:
    profiles = synth.resources(STUDIO, "AWS::SageMaker::UserProfile")
    by_name = {p["Properties"]["UserProfileName"]: p for p in profiles.values()}
    assert sorted(by_name) == sorted(u.user_name for u in config.data_scientists)
    roles = {p["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0] for p in profiles.values()}
    assert len(roles) == len(profiles), "each data scientist has a role of their own"
    ana = by_name["ana-garcia"]["Properties"]["Tags"]
    assert {"Key": "roadway:team", "Value": "pricing"} in ana
    assert {"Key": "roadway:email", "Value": "ana.garcia@example.com"} in ana


def statements_of(synth: Synth, policy_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, policy in synth.resources(STUDIO, "AWS::IAM::ManagedPolicy").items()
        if logical_id.startswith(policy_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_shared_policy_is_scoped_to_the_project(synth: Synth) -> None:
    statements = statements_of(synth, "StudioDataScientistPolicy")
    text = json.dumps(statements)
    assert "FullAccess" not in text
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if a.endswith(":*")], "no service-wide action wildcards"
    registry = next(s for s in statements if "sagemaker:CreateModelPackage" in s["Action"])
    assert registry["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/house-price",
        "arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/*",
    ]
    jobs = next(s for s in statements if "sagemaker:CreateTrainingJob" in s["Action"])
    assert jobs["Condition"]["Null"] == {
        "sagemaker:VpcSubnets": "false",
        "sagemaker:VpcSecurityGroupIds": "false",
        "sagemaker:VolumeKmsKey": "false",
    }
    (studio_group,) = synth.resources(STUDIO, "AWS::EC2::SecurityGroup")
    assert jobs["Condition"]["ForAllValues:StringEquals"]["sagemaker:VpcSecurityGroupIds"] == [
        {"Fn::GetAtt": [studio_group, "GroupId"]}
    ]
    star = [s for s in statements if s["Resource"] == "*"]
    assert len(star) == 1 and all(
        a.split(":")[1].startswith(("List", "Search", "GetAuthorizationToken")) for a in star[0]["Action"]
    )


def test_each_role_passes_only_itself(synth: Synth) -> None:
    own = [
        (logical_id, policy)
        for logical_id, policy in synth.resources(STUDIO, "AWS::IAM::ManagedPolicy").items()
        if "OwnResourcesPolicy" in logical_id
    ]
    assert len(own) == 2
    for _, policy in own:
        (role,) = policy["Properties"]["Roles"]
        passrole = next(s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "iam:PassRole")
        assert passrole["Resource"] == {"Fn::GetAtt": [role["Ref"], "Arn"]}
        assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_onboarding_adds_exactly_one_profile_role_and_policy(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    newcomer = DataScientist(user_name="chen-li", team="forecasting")
    after = synth_with(config.model_copy(update={"data_scientists": [*config.data_scientists, newcomer]}))

    assert set(before.templates) == set(after.templates)
    for stack in before.templates:
        if stack != STUDIO:
            assert before.templates[stack] == after.templates[stack], f"{stack} must not change"
    old, new = before.resources(STUDIO), after.resources(STUDIO)
    added = {lid: new[lid]["Type"] for lid in set(new) - set(old)}
    assert sorted(added.values()) == ["AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::SageMaker::UserProfile"]
    assert all("chenli" in lid for lid in added)
    assert not set(old) - set(new), "nothing is removed"
    assert {lid: old[lid] for lid in old} == {lid: new[lid] for lid in old}, "nothing else changes"


def _role_statements(synth: Synth, user: str) -> list[dict[str, Any]]:
    from tests import iam

    template = synth.templates[STUDIO]
    (profile,) = [
        p
        for p in synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
        if p["Properties"]["UserProfileName"] == user
    ]
    return iam.role_statements(template, profile["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0])


def test_a_user_manages_only_their_own_spaces(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = _role_statements(synth, "ana-garcia")
    domain = "<StudioDomain" + next(iter(synth.resources(STUDIO, "AWS::SageMaker::Domain")))[len("StudioDomain") :]
    space = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:space/{domain}.DomainId>/ana-space"
    owner = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:user-profile/{domain}.DomainId>/"
    assert iam.allowed(
        statements, "sagemaker:CreateSpace", space, {"sagemaker:OwnerUserProfileArn": owner + "ana-garcia"}
    )
    assert not iam.allowed(
        statements, "sagemaker:DeleteSpace", space, {"sagemaker:OwnerUserProfileArn": owner + "ben-okafor"}
    )
    assert not iam.allowed(statements, "sagemaker:DeleteSpace", space), "a space with no owner is nobody's to take"


def test_jobs_only_isolated_with_studios_subnets_security_group_and_key(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = _role_statements(synth, "ben-okafor")
    (group,) = synth.resources(STUDIO, "AWS::EC2::SecurityGroup")
    (domain,) = synth.resources(STUDIO, "AWS::SageMaker::Domain").values()
    subnets = [iam.render(s) for s in domain["Properties"]["SubnetIds"]]
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/house-price-1"
    inside = {
        "sagemaker:VpcSubnets": subnets,
        "sagemaker:VpcSecurityGroupIds": [f"<{group}.GroupId>"],
        "sagemaker:VolumeKmsKey": iam.render(domain["Properties"]["KmsKeyId"]),  # the platform's data key
        "sagemaker:NetworkIsolation": "true",
    }
    assert iam.allowed(statements, "sagemaker:CreateTrainingJob", job, inside)
    other_key = {**inside, "sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:111111111111:key/mine"}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, other_key)
    connected = {**inside, "sagemaker:NetworkIsolation": "false"}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, connected)
    for missing in ("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds", "sagemaker:VolumeKmsKey"):
        outside = {k: v for k, v in inside.items() if k != missing}
        assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, outside), missing
    open_group = {**inside, "sagemaker:VpcSecurityGroupIds": [f"<{group}.GroupId>", "sg-0wideopen"]}
    assert not iam.allowed(
        statements, "sagemaker:CreateProcessingJob", job.replace("training", "processing"), open_group
    )
