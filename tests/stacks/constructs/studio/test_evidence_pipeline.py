"""Who may write the evidence a gate trusts: one role per account, and nobody else — proven from the templates.

dev: only the projects' pipeline job roles write ``pipelines/`` of the artifact bucket (each its own project's
folder, ``pipelines/<group>/``), and only the project's pipeline role may pass its job role; the owning team's data
scientists may pass the pipeline role, never the job role. test, prod: only the stage's own promoter
writes ``promoted/``. The bucket policy's Deny binds every principal of the account, administrators included.
"""

from __future__ import annotations

from typing import Any

import pytest
from promote_model.artifacts import evidence_of
from promote_model.contract import PIPELINE_PREFIX, PROMOTED_PREFIX, evidence_prefix

from devtools.synth import Synth
from devtools.variants import somewhere_else
from model_code import pipeline
from roadway.config import RoadwayConfig
from roadway.naming import PROJECT_TAG, TEAM_TAG, ModelNames, Names
from tests import iam

ACCOUNTS = {"dev": "111111111111", "test": "222222222222", "prod": "333333333333"}
PIPELINE_WRITES = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion")


def bucket_statements(synth: Synth, stage: str) -> list[dict[str, Any]]:
    template = synth.templates[f"roadway-{stage}-platform"]
    (bucket_id,) = [
        k
        for k in template["Resources"]
        if k.startswith("ArtifactBucket") and template["Resources"][k]["Type"] == "AWS::S3::Bucket"
    ]
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy


def artifact_object(synth: Synth, stage: str, key: str) -> str:
    """An object ARN of the stage's artifact bucket, as the renderer writes the bucket's own ARN."""
    statements = bucket_statements(synth, stage)
    (deny,) = [s for s in statements if s.get("Sid") == "OnlyOneWriterOfEvidence"]
    bucket = iam.render(deny["Resource"]).split("/", 1)[0]
    return f"{bucket}/{key}"


def house_price(config: RoadwayConfig) -> ModelNames:
    """The shipped road's one project (the original: its pipeline roles keep their names from before projects)."""
    return Names.of(config).model(config.projects[0])


def role(config: RoadwayConfig, stage: str, name: str) -> str:
    return f"arn:aws:iam::{config.stage(stage).account}:role/{name}"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stage", "prefix"), [("dev", PIPELINE_PREFIX), ("test", PROMOTED_PREFIX), ("prod", PROMOTED_PREFIX)]
)
def test_one_role_alone_writes_the_evidence_prefix(
    synth: Synth, config: RoadwayConfig, stage: str, prefix: str
) -> None:
    names, model = Names.of(config), house_price(config)
    writer = model.pipeline_job_role() if stage == "dev" else names.promoter_role(stage)  # type: ignore[arg-type]
    statements = bucket_statements(synth, stage)
    evidence = artifact_object(synth, stage, f"{prefix}/house-price/run-1/evaluation.json")
    others = [
        role(config, stage, "Admin"),
        role(config, stage, names.approver_role(stage)),  # type: ignore[arg-type]
        role(config, stage, "roadway-dev-studio-StudioUseranagarciaExecutionRole1A2B3C"),
        role(config, stage, model.pipeline_role()),
    ]
    if stage != "dev":
        others.append(role(config, stage, model.pipeline_job_role()))
    for action in PIPELINE_WRITES:
        assert not iam.bucket_policy_denies(statements, action, evidence, role(config, stage, writer)), action
        for other in others:
            assert iam.bucket_policy_denies(statements, action, evidence, other), (action, other)
    # Outside the prefix the Deny does not apply: a team's folder stays its members'.
    scratch = artifact_object(synth, stage, "teams/pricing/notes.json")
    assert not iam.bucket_policy_denies(statements, "s3:PutObject", scratch, others[0])


def test_data_scientists_pass_the_pipeline_role_and_never_the_job_role(synth: Synth, config: RoadwayConfig) -> None:
    model = house_price(config)
    template = synth.templates["roadway-dev-studio"]
    (profile_role,) = [
        k
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and k.startswith("StudioUseranagarcia")
    ]
    statements = iam.role_statements(template, profile_role)
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    job_arn = render_role(template, model.pipeline_job_role())
    assert not iam.allowed(statements, "iam:PassRole", job_arn, to_sagemaker)
    assert not iam.allowed(statements, "iam:PassRole", role(config, "dev", model.pipeline_job_role()), to_sagemaker)
    # The team policy names the pipeline role by its contract name, the same role.
    assert iam.allowed(statements, "iam:PassRole", role(config, "dev", model.pipeline_role()), to_sagemaker)

    pipeline_role = iam.role_named(template, model.pipeline_role())
    pipeline_statements = iam.role_statements(template, pipeline_role)
    assert iam.allowed(
        pipeline_statements, "iam:PassRole", render_role(template, model.pipeline_job_role()), to_sagemaker
    )
    evidence = "arn:aws:s3:::any-bucket/pipelines/x"
    assert not [s for s in pipeline_statements if "s3:PutObject" in iam.listed(s["Action"])], (
        "the pipeline role writes nothing"
    )
    assert not iam.allowed(pipeline_statements, "s3:PutObject", evidence)


def render_role(template: dict[str, Any], name: str) -> str:
    """A role's ARN as the renderer writes a GetAtt of it (the pipeline policy names the job role by reference)."""
    return iam.render({"Fn::GetAtt": [iam.role_named(template, name), "Arn"]})


def test_the_job_role_writes_the_evidence_prefix_and_nothing_else(synth: Synth, config: RoadwayConfig) -> None:
    template = synth.templates["roadway-dev-studio"]
    model = house_price(config)
    statements = iam.role_statements(template, iam.role_named(template, model.pipeline_job_role()))
    writes = [s for s in statements if {"s3:PutObject"} & set(iam.listed(s["Action"]))]
    (write,) = writes
    assert iam.render(write["Resource"]).endswith(f"/{PIPELINE_PREFIX}/house-price/*")


def test_the_next_stage_may_read_only_the_evidence(synth: Synth) -> None:
    for stage, prefix in (("dev", PIPELINE_PREFIX), ("test", PROMOTED_PREFIX)):
        (grant,) = [s for s in bucket_statements(synth, stage) if s.get("Sid") == "NextStagePromotionCopiesArtifacts"]
        assert iam.render(grant["Resource"]).endswith(f"/{prefix}/*")


def test_the_pipeline_writes_where_the_promotion_looks(synth: Synth, config: RoadwayConfig) -> None:
    """One spelling across the boundary: the pipeline's prefix, the promotion stack's output and the runtime's."""
    assert pipeline.EVIDENCE_PREFIX == PIPELINE_PREFIX
    outputs = {s: synth.templates[f"roadway-{s}-promotion"]["Outputs"]["EvidencePrefix"]["Value"] for s in ACCOUNTS}
    assert outputs == {"dev": evidence_prefix(True), "test": PROMOTED_PREFIX, "prod": PROMOTED_PREFIX}
    # The stacks' per-project folder is the one the runtime looks in for the project's group.
    model = house_price(config)
    assert evidence_of(outputs["dev"], model.model_package_group) == model.evidence_prefix() == "pipelines/house-price"
    assert pipeline.PipelineSettings().evidence_prefix == model.evidence_prefix()
    # And the team's folder, the tags and the pipeline's name, which model_code spells without importing roadway.
    settings = pipeline.PipelineSettings(group="churn", team="retention")
    assert settings.team_folder == Names.of(config).team_prefix("retention") == "teams/retention"
    mine = pipeline.PipelineSettings(group="churn", team="retention", user="chen-wei")
    assert mine.own_folder == Names.of(config).person_prefix("retention", "chen-wei") == "teams/retention/chen-wei"
    # The promotion finds a run's author by that folder: it spells the teams' prefix as naming does.
    from promote_model import authorship

    from roadway.naming import TEAMS_PREFIX

    assert authorship.TEAMS_PREFIX == TEAMS_PREFIX == pipeline.TEAMS_PREFIX
    assert (pipeline.TEAM_TAG, pipeline.PROJECT_TAG) == (TEAM_TAG, PROJECT_TAG)
    assert settings.name == Names.of(config).model_named("churn").pipeline()
    elsewhere = somewhere_else(config)  # another road's name: the pipeline follows --road
    harbor = pipeline.PipelineSettings(group="churn", team="retention", road=elsewhere.project)
    assert harbor.name == Names.of(elsewhere).model_named("churn").pipeline() != settings.name
    assert pipeline.PipelineSettings.role_arn.endswith("/roadway-dev-pipeline")
    assert pipeline.PipelineSettings.job_role_arn.endswith("/roadway-dev-pipeline-jobs")


def _job_requests(definition: dict[str, Any], region: str, account: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Each job step of a pipeline definition as the request Pipelines sends for it: step, action, job ARN, and the
    condition keys the request carries, read from the step's own arguments."""
    requests = []
    for step in definition["Steps"]:
        arguments = step["Arguments"]
        if step["Type"] == "Training":
            action, kind = "sagemaker:CreateTrainingJob", "training-job"
            resources, network = arguments["ResourceConfig"], arguments
            instance, volume_key = resources["InstanceType"], resources.get("VolumeKmsKeyId")
        elif step["Type"] in ("Processing", "QualityCheck"):
            action, kind = "sagemaker:CreateProcessingJob", "processing-job"
            cluster, network = arguments["ProcessingResources"]["ClusterConfig"], arguments.get("NetworkConfig", {})
            instance, volume_key = cluster["InstanceType"], cluster.get("VolumeKmsKeyId")
        else:
            continue
        vpc = network.get("VpcConfig") or {}
        context: dict[str, Any] = {
            "sagemaker:InstanceTypes": [instance],
            "sagemaker:NetworkIsolation": str(bool(network.get("EnableNetworkIsolation"))).lower(),
            "aws:TagKeys": [tag["Key"] for tag in arguments.get("Tags", [])],
            **{f"aws:RequestTag/{tag['Key']}": tag["Value"] for tag in arguments.get("Tags", [])},
        }
        for key, value in (
            ("sagemaker:VpcSubnets", vpc.get("Subnets")),
            ("sagemaker:VpcSecurityGroupIds", vpc.get("SecurityGroupIds")),
            ("sagemaker:VolumeKmsKey", volume_key),
        ):
            if value:
                context[key] = value
        job = f"arn:aws:sagemaker:{region}:{account}:{kind}/pipelines-{step['Name'].lower()}"
        requests.append((step["Name"], action, job, context))
    return requests


@pytest.mark.parametrize("engine", pipeline.ENGINES)
def test_every_job_the_pipeline_definition_starts_is_one_its_role_may_start(
    synth: Synth, config: RoadwayConfig, engine: str
) -> None:
    """The definition model_code builds (offline), given the values the README has a data scientist copy from the
    stacks' outputs, asked of the pipeline role as SageMaker asks: each job's condition keys read from the step's
    arguments, keys CreateProcessingJob/CreateTrainingJob really carry (iam.request refuses any other). A step added
    without the VPC, the key, the team's tag or on another instance type fails here, not in a first run on AWS."""
    template = synth.templates["roadway-dev-studio"]
    model = house_price(config)
    statements = iam.role_statements(template, iam.role_named(template, model.pipeline_role()))
    (jobs,) = [s for s in statements if s.get("Sid") == "JobsOnlyInsideTheVpc"]
    inside = jobs["Condition"]["ForAllValues:StringEquals"]
    settings = pipeline.PipelineSettings(
        region=config.region,
        group=model.model_package_group,
        team=config.projects[0].team,
        subnets=[iam.render(s) for s in inside["sagemaker:VpcSubnets"]],
        security_groups=[iam.render(s) for s in inside["sagemaker:VpcSecurityGroupIds"]],
        volume_kms_key=iam.render(jobs["Condition"]["ArnEquals"]["sagemaker:VolumeKmsKey"]),
        monitoring_engine=engine,
        facets=list(config.projects[0].bias.facets),
    )
    requests = _job_requests(pipeline.definition(settings), config.region, config.stages.dev.account)
    expected = {"Prepare", "Train", "Evaluate", "Baseline", "Governance"}
    assert {name for name, *_ in requests} == expected
    for name, _, _, context in requests:  # each job where the settings put it: the VPC, the data key, isolated
        assert context["sagemaker:VpcSubnets"] == settings.subnets, name
        assert context["sagemaker:VpcSecurityGroupIds"] == settings.security_groups, name
        assert context["sagemaker:VolumeKmsKey"] == settings.volume_kms_key, name
        assert context["sagemaker:NetworkIsolation"] == "true", name
    for name, action, job, context in requests:
        assert iam.allowed(statements, action, job, context), f"{name}: {action} {context}"
    # The same steps outside the VPC, or on an instance type the team does not have, are refused.
    for name, action, job, context in requests:
        outside = {k: v for k, v in context.items() if not k.startswith("sagemaker:Vpc")}
        assert not iam.allowed(statements, action, job, outside), name
        bigger = {**context, "sagemaker:InstanceTypes": ["ml.p4d.24xlarge"]}
        assert not iam.allowed(statements, action, job, bigger), name
