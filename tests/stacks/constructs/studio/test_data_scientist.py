"""DataScientistProfile, in the app: one profile and role per person, passing only itself, managing only their own
spaces, carrying their team and their team's policies."""

from __future__ import annotations

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from tests.stacks.studio import STUDIO, role_statements_of


def test_one_profile_and_role_per_data_scientist(synth: Synth, config: RoadwayConfig) -> None:
    profiles = synth.resources(STUDIO, "AWS::SageMaker::UserProfile")
    by_name = {p["Properties"]["UserProfileName"]: p for p in profiles.values()}
    assert sorted(by_name) == sorted(u.user_name for u in config.data_scientists)
    roles = {p["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0] for p in profiles.values()}
    assert len(roles) == len(profiles), "each data scientist has a role of their own"
    ana = by_name["ana-garcia"]["Properties"]["Tags"]
    assert {"Key": "roadway:team", "Value": "pricing"} in ana
    # The domain propagates a profile's tags into all Studio creates and so into billing data: no address there.
    assert not [t for t in ana if "@" in t["Value"]], ana


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


def test_a_user_manages_only_their_own_spaces(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = role_statements_of(synth, "ana-garcia")
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


def test_each_member_carries_their_team_and_their_teams_policies(synth: Synth, config: RoadwayConfig) -> None:
    roles = synth.resources(STUDIO, "AWS::IAM::Role")
    teams = {
        lid: p["Properties"]["PolicyDocument"]
        for lid, p in synth.resources(STUDIO, "AWS::IAM::ManagedPolicy").items()
        if lid.startswith("StudioTeam")
    }
    assert len(teams) == 2 * len(config.teams), "each team's limits and work"
    for user in config.data_scientists:
        (role,) = [r for lid, r in roles.items() if lid.startswith(f"StudioUser{user.user_name.replace('-', '')}")]
        tags = {t["Key"]: t["Value"] for t in role["Properties"]["Tags"]}
        assert tags["roadway:team"] == user.team and tags["roadway:user"] == user.user_name
        attached = [a["Ref"] for a in role["Properties"]["ManagedPolicyArns"]]
        team_policies = [a for a in attached if a in teams]
        assert len(team_policies) == 2 and all(p.startswith(f"StudioTeam{user.team}") for p in team_policies)
