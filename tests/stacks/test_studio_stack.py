"""Dev's Studio: VPC-only, IAM auth, KMS, idle shutdown, and one profile and role per data scientist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from devtools.synth import Synth
from roadway.config import DataScientist, RoadwayConfig, Team
from roadway.naming import Names

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
    # The domain propagates a profile's tags into all Studio creates and so into billing data: no address there.
    assert not [t for t in ana if "@" in t["Value"]], ana


def test_studio_copies_the_team_tag_into_what_it_creates(synth: Synth) -> None:
    """A team's budget counts Studio's spend only if the spaces, apps and jobs Studio creates carry the tag."""
    assert only(synth, "AWS::SageMaker::Domain")["Properties"]["TagPropagation"] == "ENABLED"


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


def test_every_execution_role_trusts_what_the_domains_identity_setting_makes_sagemaker_do(synth: Synth) -> None:
    """With USER_PROFILE_NAME, SageMaker assumes the role and sets the profile's name as the source identity: the
    assume-role fails unless the trust also allows sts:SetSourceIdentity (SageMaker, "Monitoring user resource
    access from Amazon SageMaker Studio")."""
    from tests import iam

    domain = only(synth, "AWS::SageMaker::Domain")["Properties"]
    assert domain["DomainSettings"]["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"
    template = synth.templates[STUDIO]
    roles = execution_roles(synth)
    assert len(roles) == 2 + 2
    for who, role in roles.items():
        trust = iam.trust_statements(template, role)
        for action in ("sts:AssumeRole", "sts:SetSourceIdentity"):
            assert iam.service_may_assume(trust, "sagemaker.amazonaws.com", action), (who, action)
        assert not iam.service_may_assume(trust, "lambda.amazonaws.com", "sts:AssumeRole"), who


def test_studios_own_ui_may_list_describe_and_tag_on_create_with_every_execution_role(
    synth: Synth, config: RoadwayConfig
) -> None:
    """What the UI calls (tests.aws.STUDIO_UI_CALLS, from AWS's documented policy) is granted on this domain's
    profiles, spaces and apps; tagging only as part of a create, never a retag of someone's space."""
    from tests import aws, iam

    template = synth.templates[STUDIO]
    domain_id = f"<{next(iter(synth.resources(STUDIO, 'AWS::SageMaker::Domain')))}.DomainId>"
    sagemaker = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}"
    resource = {
        "Domain": f"{sagemaker}:domain/{domain_id}",
        "UserProfile": f"{sagemaker}:user-profile/{domain_id}/ana-garcia",
        "Space": f"{sagemaker}:space/{domain_id}/ana-space",
        "App": f"{sagemaker}:app/{domain_id}/ana-space/jupyterlab/default",
    }
    for who, role in execution_roles(synth).items():
        statements = iam.role_statements(template, role)
        for call in aws.STUDIO_UI_CALLS:
            kind = call.removeprefix("sagemaker:Describe")
            target = resource.get(kind, "*")
            assert iam.allowed(statements, call, target), (who, call)
        if who == "shared spaces":
            continue
        space = resource["Space"]
        assert iam.allowed(statements, "sagemaker:AddTags", space, {"sagemaker:TaggingAction": "CreateSpace"}), who
        assert not iam.allowed(statements, "sagemaker:AddTags", space), f"{who} retags a space after its create"
        other_domain = space.replace(domain_id, "d-another")
        elsewhere = {"sagemaker:TaggingAction": "CreateSpace"}
        assert not iam.allowed(statements, "sagemaker:AddTags", other_domain, elsewhere), who
        assert not iam.allowed(statements, "sagemaker:DescribeSpace", other_domain), who


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
    assert not [s for s in statements if "sagemaker:CreateModelPackage" in s["Action"]], "registries are per team"
    registry = next(
        s for s in statements_of(synth, "StudioTeampricing") if "sagemaker:CreateModelPackage" in s["Action"]
    )
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
    newcomer = DataScientist(user_name="chen-li", team="pricing")
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


def test_offboarding_removes_exactly_that_persons_profile_role_and_policy(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    leaving = config.data_scientists[0]
    after = synth_with(config.model_copy(update={"data_scientists": config.data_scientists[1:]}))

    for stack in before.templates:
        if stack != STUDIO:
            assert before.templates[stack] == after.templates[stack], f"{stack} must not change"
    old, new = before.resources(STUDIO), after.resources(STUDIO)
    removed = {lid: old[lid]["Type"] for lid in set(old) - set(new)}
    assert sorted(removed.values()) == ["AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::SageMaker::UserProfile"]
    assert all(leaving.user_name.replace("-", "") in lid for lid in removed)
    assert not set(new) - set(old) and {lid: new[lid] for lid in new} == {lid: old[lid] for lid in new}
    # Their home directory is in the domain's EFS, which is retained: the domain itself does not change.
    (domain_id,) = before.resources(STUDIO, "AWS::SageMaker::Domain")
    assert new[domain_id] == old[domain_id] and old[domain_id]["DeletionPolicy"] == "Retain"


def test_removing_a_team_removes_its_policy_and_budget_only(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    extra = Team(name="forecasting", monthly_budget_usd=300, budget_emails=["forecasting@example.com"])
    with_team = synth_with(config.model_copy(update={"teams": [*config.teams, extra]}))
    without = synth_with(config)
    for stack in with_team.templates:
        old, new = with_team.resources(stack), without.resources(stack)
        removed = sorted(old[lid]["Type"] for lid in set(old) - set(new))
        expected = {
            STUDIO: ["AWS::IAM::ManagedPolicy"] * 2,  # its limits and its work
            "roadway-dev-platform": ["AWS::Budgets::Budget"],
        }.get(stack, [])
        assert removed == expected, stack
        assert not set(new) - set(old) and {lid: new[lid] for lid in new} == {lid: old[lid] for lid in new}, stack


def test_onboarding_a_team_adds_its_policy_and_its_budget_only(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    team = Team(name="forecasting", monthly_budget_usd=300, budget_emails=["forecasting@example.com"])
    after = synth_with(config.model_copy(update={"teams": [*config.teams, team]}))

    changed = {stack for stack in before.templates if before.templates[stack] != after.templates[stack]}
    assert changed == {STUDIO, "roadway-dev-platform"}
    for stack in changed:
        old, new = before.resources(stack), after.resources(stack)
        assert not set(old) - set(new), "nothing is removed"
        assert {lid: old[lid] for lid in old} == {lid: new[lid] for lid in old}, "nothing else changes"
    added = {lid: r["Type"] for lid, r in after.resources(STUDIO).items() if lid not in before.resources(STUDIO)}
    assert list(added.values()) == ["AWS::IAM::ManagedPolicy"] * 2 and all("forecasting" in lid for lid in added)
    platform = after.resources("roadway-dev-platform")
    budget = [lid for lid in platform if lid not in before.resources("roadway-dev-platform")]
    assert [platform[lid]["Type"] for lid in budget] == ["AWS::Budgets::Budget"]


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
        "aws:RequestTag/roadway:team": "pricing",  # ben's team (see the team test)
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


def test_a_team_runs_only_its_instance_types_and_tags_every_job_with_itself(
    synth: Synth, config: RoadwayConfig
) -> None:
    from tests import iam

    statements = _role_statements(synth, "ana-garcia")  # team pricing
    (group,) = synth.resources(STUDIO, "AWS::EC2::SecurityGroup")
    (domain,) = synth.resources(STUDIO, "AWS::SageMaker::Domain").values()
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/house-price-1"
    inside = {
        "sagemaker:VpcSubnets": [iam.render(s) for s in domain["Properties"]["SubnetIds"]],
        "sagemaker:VpcSecurityGroupIds": [f"<{group}.GroupId>"],
        "sagemaker:VolumeKmsKey": iam.render(domain["Properties"]["KmsKeyId"]),
        "sagemaker:NetworkIsolation": "true",
        "sagemaker:InstanceTypes": ["ml.m5.large"],
        "aws:RequestTag/roadway:team": "pricing",
    }
    assert iam.allowed(statements, "sagemaker:CreateTrainingJob", job, inside)
    on_create = {"aws:RequestTag/roadway:team": "pricing", "sagemaker:TaggingAction": "CreateTrainingJob"}
    assert iam.allowed(statements, "sagemaker:AddTags", job, on_create)
    gpu = {**inside, "sagemaker:InstanceTypes": ["ml.p4d.24xlarge"]}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, gpu), "not a pricing instance type"
    mixed = {**inside, "sagemaker:InstanceTypes": ["ml.m5.large", "ml.g5.48xlarge"]}
    assert not iam.allowed(statements, "sagemaker:CreateProcessingJob", job.replace("training", "processing"), mixed)
    untagged = {k: v for k, v in inside.items() if k != "aws:RequestTag/roadway:team"}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, untagged), "spend nobody's budget counts"
    elsewhere = {**inside, "aws:RequestTag/roadway:team": "forecasting"}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, elsewhere), "spend on another's budget"
    assert not iam.allowed(statements, "sagemaker:AddTags", job, {"aws:RequestTag/roadway:team": "forecasting"})

    # Notebooks: Studio's default size ("system") or the team's types, nothing bigger.
    domain_id = f"<{next(iter(synth.resources(STUDIO, 'AWS::SageMaker::Domain')))}.DomainId>"
    sagemaker = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}"
    owner = {"sagemaker:OwnerUserProfileArn": f"{sagemaker}:user-profile/{domain_id}/ana-garcia"}
    app = f"{sagemaker}:app/{domain_id}/ana-space/jupyterlab/default"
    for allowed_type in ("system", "ml.t3.medium"):
        assert iam.allowed(statements, "sagemaker:CreateApp", app, {**owner, "sagemaker:InstanceTypes": [allowed_type]})
    assert not iam.allowed(
        statements, "sagemaker:CreateApp", app, {**owner, "sagemaker:InstanceTypes": ["ml.p3.2xlarge"]}
    )


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


def _inside_the_vpc(statements: list[dict[str, Any]]) -> dict[str, Any]:
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


def test_a_projects_pipeline_runs_jobs_only_on_its_teams_types_and_with_its_teams_tag(
    synth: Synth, config: RoadwayConfig
) -> None:
    from tests import iam

    template = synth.templates[STUDIO]
    statements = iam.role_statements(template, iam.role_named(template, "roadway-dev-pipeline"))
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/pipelines-x-Train"
    team = config.team(config.projects[0].team)
    inside = {**_inside_the_vpc(statements), "sagemaker:InstanceTypes": [team.instance_types[0]]}
    tagged = {**inside, "aws:RequestTag/roadway:team": team.name}
    assert iam.allowed(statements, "sagemaker:CreateTrainingJob", job, tagged)
    gpu = {**tagged, "sagemaker:InstanceTypes": ["ml.p4d.24xlarge"]}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, gpu), "not a type of the team's"
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, inside), "an untagged job"
    other = {**inside, "aws:RequestTag/roadway:team": "forecasting"}
    assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, other), "another team's tag"


def test_a_shared_space_belongs_to_no_team_and_starts_nothing(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    template = synth.templates[STUDIO]
    (domain,) = synth.resources(STUDIO, "AWS::SageMaker::Domain").values()
    role = domain["Properties"]["DefaultSpaceSettings"]["ExecutionRole"]["Fn::GetAtt"][0]
    statements = iam.role_statements(template, role)
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/from-a-shared-space"
    inside = {**_inside_the_vpc(statements), "sagemaker:InstanceTypes": ["ml.m5.large"]}
    for team in config.teams:
        tagged = {**inside, "aws:RequestTag/roadway:team": team.name}
        assert not iam.allowed(statements, "sagemaker:CreateTrainingJob", job, tagged)
    pipeline = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:pipeline/roadway-house-price"
    assert not iam.allowed(statements, "sagemaker:StartPipelineExecution", pipeline)
    assert not iam.allowed(
        statements,
        "iam:PassRole",
        f"arn:aws:iam::{config.stages.dev.account}:role/roadway-dev-pipeline",
        {"iam:PassedToService": "sagemaker.amazonaws.com"},
    )
    # The same request from a member's own role goes through: the deny is the shared space's, not everyone's.
    member = _role_statements(synth, "ana-garcia")
    own = {
        **_inside_the_vpc(member),
        "sagemaker:InstanceTypes": ["ml.m5.large"],
        "aws:RequestTag/roadway:team": "pricing",
    }
    assert iam.allowed(member, "sagemaker:CreateTrainingJob", job, own)


def test_a_team_creates_its_pipelines_from_studio_with_the_tags_studio_adds(
    synth: Synth, config: RoadwayConfig
) -> None:
    """Studio tags a pipeline it creates; SageMaker authorizes those tags as AddTags during CreatePipeline."""
    from tests import iam

    statements = _role_statements(synth, "ana-garcia")
    sagemaker = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}"
    ours, theirs = f"{sagemaker}:pipeline/roadway-house-price", f"{sagemaker}:pipeline/roadway-churn"
    on_create = {"sagemaker:TaggingAction": "CreatePipeline", "aws:RequestTag/sagemaker:user-profile-arn": "x"}
    assert iam.allowed(statements, "sagemaker:CreatePipeline", ours)
    assert iam.allowed(statements, "sagemaker:AddTags", ours, on_create)
    assert not iam.allowed(statements, "sagemaker:AddTags", ours, {"aws:RequestTag/roadway:team": "other"})
    assert not iam.allowed(statements, "sagemaker:AddTags", theirs, on_create), "another team's pipeline"


def test_a_member_cannot_claim_another_teams_job(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = _role_statements(synth, "ana-garcia")
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/theirs"
    retag = {"aws:RequestTag/roadway:team": "pricing", "aws:ResourceTag/roadway:team": "forecasting"}
    assert not iam.allowed(statements, "sagemaker:AddTags", job, retag)
    on_create = {"aws:RequestTag/roadway:team": "pricing", "sagemaker:TaggingAction": "CreateTrainingJob"}
    assert iam.allowed(statements, "sagemaker:AddTags", job, on_create)
    # An existing job nobody tagged (started outside the road) cannot be claimed after its create either.
    assert not iam.allowed(statements, "sagemaker:AddTags", job, {"aws:RequestTag/roadway:team": "pricing"})
    # Nor by the team's pipeline role: it tags only jobs no other team tagged.
    template = synth.templates["roadway-dev-studio"]
    pipeline = iam.role_statements(
        template, iam.role_named(template, Names.of(config).model(config.projects[0]).pipeline_role())
    )
    assert not iam.allowed(pipeline, "sagemaker:AddTags", job, {"aws:ResourceTag/roadway:team": "forecasting"})
    assert iam.allowed(pipeline, "sagemaker:AddTags", job, {"aws:ResourceTag/roadway:team": "pricing"})
