"""StudioDomain, in the app: VPC-only with IAM auth and KMS, idle shutdown, no internet egress, Studio's own UI
calls, the team tag copied into what Studio creates, and each team's and project's jobs held to their types, subnets
and tags."""

from __future__ import annotations

import json

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests.stacks.studio import STUDIO, execution_roles, inside_the_vpc, only, role_statements_of, statements_of


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


def test_studio_copies_the_team_tag_into_what_it_creates(synth: Synth) -> None:
    """A team's budget counts Studio's spend only if the spaces, apps and jobs Studio creates carry the tag."""
    assert only(synth, "AWS::SageMaker::Domain")["Properties"]["TagPropagation"] == "ENABLED"


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


def test_jobs_only_isolated_with_studios_subnets_security_group_and_key(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = role_statements_of(synth, "ben-okafor")
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

    statements = role_statements_of(synth, "ana-garcia")  # team pricing
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


def test_a_projects_pipeline_runs_jobs_only_on_its_teams_types_and_with_its_teams_tag(
    synth: Synth, config: RoadwayConfig
) -> None:
    from tests import iam

    template = synth.templates[STUDIO]
    statements = iam.role_statements(template, iam.role_named(template, "roadway-dev-pipeline"))
    job = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:training-job/pipelines-x-Train"
    team = config.team(config.projects[0].team)
    inside = {**inside_the_vpc(statements), "sagemaker:InstanceTypes": [team.instance_types[0]]}
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
    inside = {**inside_the_vpc(statements), "sagemaker:InstanceTypes": ["ml.m5.large"]}
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
    member = role_statements_of(synth, "ana-garcia")
    own = {
        **inside_the_vpc(member),
        "sagemaker:InstanceTypes": ["ml.m5.large"],
        "aws:RequestTag/roadway:team": "pricing",
    }
    assert iam.allowed(member, "sagemaker:CreateTrainingJob", job, own)


def test_a_team_creates_its_pipelines_from_studio_with_the_tags_studio_adds(
    synth: Synth, config: RoadwayConfig
) -> None:
    """Studio tags a pipeline it creates; SageMaker authorizes those tags as AddTags during CreatePipeline."""
    from tests import iam

    statements = role_statements_of(synth, "ana-garcia")
    sagemaker = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}"
    ours, theirs = f"{sagemaker}:pipeline/roadway-house-price", f"{sagemaker}:pipeline/roadway-churn"
    on_create = {"sagemaker:TaggingAction": "CreatePipeline", "aws:RequestTag/sagemaker:user-profile-arn": "x"}
    assert iam.allowed(statements, "sagemaker:CreatePipeline", ours)
    assert iam.allowed(statements, "sagemaker:AddTags", ours, on_create)
    assert not iam.allowed(statements, "sagemaker:AddTags", ours, {"aws:RequestTag/roadway:team": "other"})
    assert not iam.allowed(statements, "sagemaker:AddTags", theirs, on_create), "another team's pipeline"


def test_a_member_cannot_claim_another_teams_job(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    statements = role_statements_of(synth, "ana-garcia")
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
