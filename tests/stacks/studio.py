"""Dev's Studio stack as the app-ring tests read it."""

from __future__ import annotations

from typing import Any

from devtools.synth import Synth

STUDIO = "roadway-dev-studio"


def only(synth: Synth, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(STUDIO, type_).values()
    return resource


def execution_roles(synth: Synth) -> dict[str, str]:
    """Every role Studio starts apps with: the domain's defaults (people's, shared spaces') and each profile's."""
    domain = only(synth, "AWS::SageMaker::Domain")["Properties"]
    roles = {
        "default user": domain["DefaultUserSettings"]["ExecutionRole"],
        "shared spaces": domain["DefaultSpaceSettings"]["ExecutionRole"],
        **{
            p["Properties"]["UserProfileName"]: p["Properties"]["UserSettings"]["ExecutionRole"]
            for p in synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
        },
    }
    return {who: role["Fn::GetAtt"][0] for who, role in roles.items()}


def statements_of(synth: Synth, policy_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, policy in synth.resources(STUDIO, "AWS::IAM::ManagedPolicy").items()
        if logical_id.startswith(policy_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def role_statements_of(synth: Synth, user: str) -> list[dict[str, Any]]:
    """Every identity-policy statement of ``user``'s Studio execution role."""
    from tests import iam

    template = synth.templates[STUDIO]
    (profile,) = [
        p
        for p in synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
        if p["Properties"]["UserProfileName"] == user
    ]
    return iam.role_statements(template, profile["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0])


def inside_the_vpc(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """A request context that meets a role's JobsOnlyInsideTheVpc conditions (its subnets, group, key)."""
    from tests import iam

    (jobs,) = [s for s in statements if s.get("Sid") == "JobsOnlyInsideTheVpc"]
    inside = jobs["Condition"]["ForAllValues:StringEquals"]
    return {
        "sagemaker:VpcSubnets": [iam.render(v) for v in inside["sagemaker:VpcSubnets"]],
        "sagemaker:VpcSecurityGroupIds": [iam.render(v) for v in inside["sagemaker:VpcSecurityGroupIds"]],
        "sagemaker:VolumeKmsKey": iam.render(jobs["Condition"]["ArnEquals"]["sagemaker:VolumeKmsKey"]),
        "sagemaker:NetworkIsolation": "true",
    }
