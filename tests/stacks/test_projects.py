"""A road of two projects of two teams (house-price of pricing, churn of retention), synthesized with the packs:
onboarding a project is one config entry, changes only that project's resources and the shared plumbing that
routes by project, and each project's people and roles reach only their own project's resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from promote_model.settings import Settings

from devtools.synth import Synth
from devtools.variants import SECOND_TEAM_READER, TEAM_REPOSITORY
from roadway.config import RoadwayConfig
from roadway.naming import ModelNames, Names
from tests import iam
from tests.stacks.studio import role_statements_of

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
    removed = {stack: c["removed"] for stack, c in changes.items() if c["removed"]}
    assert removed == {"roadway-dev-pipelines": {"NoProjectYet"}}, "onboarding removes nothing but a placeholder"
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
    # Its pipeline in dev: a pipeline role and a job role of its own, in the pipelines stack.
    assert {k.rstrip("0123456789ABCDEF") for k in changes["roadway-dev-pipelines"]["added"]} == {
        "PipelinechurnJobRole",
        "PipelinechurnJobRolePolicy",
        "PipelinechurnPipelineRole",
        "PipelinechurnPipelinePolicy",
    }
    # What changes of the shared plumbing: only what routes by project (the function's map of projects, the
    # announcement's list of groups) and what names its writers, never a role or a queue.
    shared = {k.rstrip("0123456789ABCDEF") for stack, c in changes.items() for k in c["changed"]}
    assert shared == {
        "PromoterFunction",
        "PromoterRollbackRecorder",
        "SourceAnnounceApprovals",
        "DataBucket",  # prod: the new endpoint's captures expire (a lifecycle rule)
        "DataBucketPolicy",  # prod: the second team's reader, held to churn's captures
        "ArtifactBucketPolicy",  # dev: churn's job role writes its evidence folder
        "ApproverPolicy",  # dev, test: approvers decide on churn's group, by name
        "BreakGlassPolicy",  # test, prod: break-glass withdraws from churn's group, by name
    }
    # The second team's Studio people and policy are new; no one of the first team changes.
    assert not changes[STUDIO]["changed"]


def test_the_packs_stay_clean_with_two_projects(two_projects_synth: Synth) -> None:
    report = two_projects_synth.report
    assert report is not None
    assert not [v for r in report["pluginReports"] for v in r.get("violations", [])]


def test_a_data_scientist_registers_and_reads_only_in_their_teams_projects(two_projects_synth: Synth) -> None:
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    for user, own, other in (("ana-garcia", "house-price", "churn"), ("chen-wei", "churn", "house-price")):
        statements = role_statements_of(two_projects_synth, user)
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
    suffix = "0a1b2c3d4e5f6a7b"  # an Identity Center role's own 16 characters
    sso = "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-1"
    pricing = f"{sso}/AWSReservedSSO_RoadwayPricing_{suffix}"
    retention = SECOND_TEAM_READER.replace("?" * 16, suffix)
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


def promoter_settings(synth: Synth, stage: str) -> Settings:
    """What the stage's promotion function reads from the environment its template gives it."""
    (function,) = [
        f
        for f in synth.resources(f"roadway-{stage}-promotion", "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "promote_model.handler.handler"
    ]
    variables = {k: v for k, v in function["Properties"]["Environment"]["Variables"].items() if isinstance(v, str)}
    return Settings.from_env({**variables, "LEDGER_TABLE_NAME": "t", "ALARM_TOPIC_ARN": "a"})


def test_the_first_stage_knows_each_projects_pipeline_role_by_the_stacks_names(
    two_projects_synth: Synth, two_projects_config: RoadwayConfig
) -> None:
    """One spelling: the role the dev function expects to register a project's packages is the role the Studio and
    pipelines stacks create for that project, and the later stages expect none."""
    names = Names.of(two_projects_config)
    expected = {p.name: names.model(p).pipeline_role() for p in two_projects_config.projects}
    assert promoter_settings(two_projects_synth, "dev").pipeline_roles_by_group() == expected
    pipelines = {p.name: names.model(p).pipeline() for p in two_projects_config.projects}
    assert promoter_settings(two_projects_synth, "dev").pipelines_by_group() == pipelines
    created = {
        r["Properties"]["RoleName"]
        for stack in (STUDIO, "roadway-dev-pipelines")
        for r in two_projects_synth.resources(stack, "AWS::IAM::Role").values()
        if "RoleName" in r["Properties"]
    }
    assert set(expected.values()) <= created
    assert promoter_settings(two_projects_synth, "test").pipeline_roles_by_group() == {}


def test_the_functions_route_by_project_and_the_rules_keep_one_queue_statement(two_projects_synth: Synth) -> None:
    for stage in ("test", "prod"):
        stack = f"roadway-{stage}-promotion"
        settings = promoter_settings(two_projects_synth, stage)
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


def bucket(name: str) -> str:
    """A dev bucket's ARN as the renderer writes the Studio stack's import of it."""
    return iam.render({"Fn::ImportValue": f"roadway-dev-platform-{name}-bucket-arn"})


def objects_of(key: str) -> list[str]:
    return [f"{bucket(name)}/{key}" for name in ("data", "artifact")]


TEAMS = (("ana-garcia", "pricing", "house-price"), ("chen-wei", "retention", "churn"))


def model(project: str) -> ModelNames:
    """A project's names on the two-project road (house-price is its original project)."""
    return ModelNames("roadway", "eu-west-1", project, original=project == "house-price")


def test_a_member_reads_and_writes_only_their_teams_folder_and_reads_only_its_projects_evidence(
    two_projects_synth: Synth,
) -> None:
    for (user, team, project), (_, other_team, other_project) in (TEAMS, TEAMS[::-1]):
        statements = role_statements_of(two_projects_synth, user)
        me = {"aws:PrincipalTag/roadway:user": user}  # their execution role's tag (DataScientist)
        for obj in objects_of(f"teams/{team}/datasets/ames/train.csv"):
            assert iam.allowed(statements, "s3:GetObject", obj, me), (user, obj)
            for action in ("s3:PutObject", "s3:DeleteObject"):
                assert not iam.allowed(statements, action, obj, me), f"{user} writes outside their own folder"
        for obj in objects_of(f"teams/{team}/{user}/code/train.py"):
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
                assert iam.allowed(statements, action, obj, me), (user, action, obj)
        # A colleague's folder: read, never written (the code a run names there is the colleague's).
        for obj in objects_of(f"teams/{team}/ben-okafor/code/train.py"):
            assert iam.allowed(statements, "s3:GetObject", obj, me)
            assert not iam.allowed(statements, "s3:PutObject", obj, me), (user, obj)
            assert not iam.allowed(statements, "s3:PutObject", obj), "a session without the role's tag"
        for obj in [*objects_of(f"teams/{other_team}/datasets/x.csv"), *objects_of("scratch/x.csv")]:
            assert not iam.allowed(statements, "s3:GetObject", obj), (user, obj)
            assert not iam.allowed(statements, "s3:PutObject", obj), (user, obj)
        own_run, other_run = (
            f"{bucket('artifact')}/pipelines/{p}/run-1/evaluation.json" for p in (project, other_project)
        )
        assert iam.allowed(statements, "s3:GetObject", own_run)
        assert not iam.allowed(statements, "s3:PutObject", own_run), "evidence is written by the job role alone"
        assert not iam.allowed(statements, "s3:GetObject", other_run), (user, other_run)
        # Listing: the keys of the team's folder and its projects' evidence, not another team's.
        for name in ("data", "artifact"):
            assert iam.allowed(statements, "s3:ListBucket", bucket(name), {"s3:prefix": f"teams/{team}/"})
            # The SDK's probe before it uploads code names the folder without its slash.
            assert iam.allowed(statements, "s3:ListBucket", bucket(name), {"s3:prefix": f"teams/{team}"})
            assert not iam.allowed(statements, "s3:ListBucket", bucket(name), {"s3:prefix": f"teams/{other_team}/"})
            assert not iam.allowed(statements, "s3:ListBucket", bucket(name)), "the whole bucket's keys"
        assert iam.allowed(statements, "s3:ListBucket", bucket("artifact"), {"s3:prefix": f"pipelines/{project}/"})


def test_a_member_runs_and_follows_only_their_teams_pipelines_and_jobs(two_projects_synth: Synth) -> None:
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    for (user, team, project), (_, other_team, other_project) in (TEAMS, TEAMS[::-1]):
        statements = role_statements_of(two_projects_synth, user)
        own, other = (model(p) for p in (project, other_project))
        for action in ("sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:StartPipelineExecution"):
            assert iam.allowed(statements, action, own.pipeline_arn(DEV)), (user, action)
            assert not iam.allowed(statements, action, other.pipeline_arn(DEV)), (user, action)
        run = "/execution/abc123"
        assert iam.allowed(statements, "sagemaker:StopPipelineExecution", own.pipeline_arn(DEV) + run)
        assert not iam.allowed(statements, "sagemaker:StopPipelineExecution", other.pipeline_arn(DEV) + run)
        assert not iam.allowed(statements, "sagemaker:DescribePipelineExecution", other.pipeline_arn(DEV) + run)
        # The project's pipeline role, never another team's, and never a job role (it writes evidence).
        own_role, other_role = (f"arn:aws:iam::{DEV}:role/{model(p).pipeline_role()}" for p in (project, other_project))
        assert iam.allowed(statements, "iam:PassRole", own_role, to_sagemaker)
        assert not iam.allowed(statements, "iam:PassRole", other_role, to_sagemaker)
        assert not iam.allowed(
            statements, "iam:PassRole", f"arn:aws:iam::{DEV}:role/{own.pipeline_job_role()}", to_sagemaker
        )
        # Jobs: followed and stopped by the team's tag (the pipeline's jobs carry it too).
        job = f"arn:aws:sagemaker:eu-west-1:{DEV}:training-job/pipelines-abc123-Train-x"
        for action in ("sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"):
            assert iam.allowed(statements, action, job, {"aws:ResourceTag/roadway:team": team}), (user, action)
            assert not iam.allowed(statements, action, job, {"aws:ResourceTag/roadway:team": other_team})
            assert not iam.allowed(statements, action, job), "an untagged job belongs to no team"


def test_a_projects_pipeline_registers_reads_and_writes_only_its_own(two_projects_synth: Synth) -> None:
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    for (_, team, project), (_, other_team, other_project) in (TEAMS, TEAMS[::-1]):
        # The original project's roles stay in the Studio stack; every other project's are in the pipelines stack.
        template = two_projects_synth.templates[STUDIO if project == "house-price" else "roadway-dev-pipelines"]
        names = model(project)
        pipeline = iam.role_statements(template, iam.role_named(template, names.pipeline_role()))
        assert iam.allowed(pipeline, "sagemaker:CreateModelPackage", package(DEV, project), pending)
        assert not iam.allowed(pipeline, "sagemaker:CreateModelPackage", package(DEV, other_project), pending)
        assert not iam.allowed(pipeline, "sagemaker:CreateModelPackage", group_arn(DEV, other_project), pending)
        # The register step describes what it registered; SageMaker Pipelines creates no experiment for it
        # (the definition asks for none: test_the_definition_asks_sagemaker_to_create_no_experiment).
        assert iam.allowed(pipeline, "sagemaker:DescribeModelPackage", package(DEV, project))
        assert not iam.allowed(pipeline, "sagemaker:DescribeModelPackage", package(DEV, other_project))
        experiment = f"arn:aws:sagemaker:eu-west-1:{DEV}:experiment/{project}"
        assert not iam.allowed(pipeline, "sagemaker:CreateExperiment", experiment)
        jobs = iam.role_statements(template, iam.role_named(template, names.pipeline_job_role()))
        own_evidence = f"{bucket('artifact')}/pipelines/{project}/run-1/model.tar.gz"
        assert iam.allowed(jobs, "s3:PutObject", own_evidence)
        assert not iam.allowed(jobs, "s3:PutObject", f"{bucket('artifact')}/pipelines/{other_project}/run-1/m")
        assert not iam.allowed(jobs, "s3:PutObject", f"{bucket('artifact')}/teams/{team}/m"), "inputs are read only"
        for obj in objects_of(f"teams/{team}/datasets/ames/train.csv"):
            assert iam.allowed(jobs, "s3:GetObject", obj)
        for obj in objects_of(f"teams/{other_team}/datasets/x.csv"):
            assert not iam.allowed(jobs, "s3:GetObject", obj), (project, obj)
        assert not iam.allowed(jobs, "s3:GetObject", f"{bucket('artifact')}/pipelines/{other_project}/run-1/m")
        # SageMaker lists an input channel as the job role: the team's folder, never the whole bucket.
        assert iam.allowed(jobs, "s3:ListBucket", bucket("data"), {"s3:prefix": f"teams/{team}/datasets/ames/"})
        assert not iam.allowed(jobs, "s3:ListBucket", bucket("data"), {"s3:prefix": f"teams/{other_team}/"})
        assert not iam.allowed(jobs, "s3:ListBucket", bucket("data"))
        # The pipeline follows and stops its team's jobs, not another team's.
        job = f"arn:aws:sagemaker:eu-west-1:{DEV}:training-job/pipelines-abc123-Train-x"
        assert iam.allowed(pipeline, "sagemaker:StopTrainingJob", job, {"aws:ResourceTag/roadway:team": team})
        assert not iam.allowed(pipeline, "sagemaker:StopTrainingJob", job, {"aws:ResourceTag/roadway:team": other_team})


def test_the_evidence_folders_are_written_only_by_their_projects_job_roles(two_projects_synth: Synth) -> None:
    template = two_projects_synth.templates["roadway-dev-platform"]
    (policy,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
        and any(s.get("Sid") == "OnlyOneWriterOfEvidence" for s in r["Properties"]["PolicyDocument"]["Statement"])
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s.get("Sid") == "OnlyOneWriterOfEvidence"]
    evidence = iam.render(deny["Resource"]).removesuffix("*") + "churn/run-1/model.tar.gz"
    writers = {f"arn:aws:iam::{DEV}:role/{n}" for n in ("roadway-dev-pipeline-jobs", "roadway-dev-churn-pipeline-jobs")}
    for writer in writers:
        assert not iam.bucket_policy_denies(statements, "s3:PutObject", evidence, writer)
    for other in ("roadway-dev-churn-pipeline", "roadway-dev-studio-StudioUserchenweiExecutionRole1A2B", "Admin"):
        assert iam.bucket_policy_denies(statements, "s3:PutObject", evidence, f"arn:aws:iam::{DEV}:role/{other}")


def test_a_shared_space_reads_no_teams_data(two_projects_synth: Synth) -> None:
    """Shared spaces run as the domain's one default role, whoever opens them: it holds no team's policy, so it
    reads no team's folder and no project's evidence (and starts nothing: test_studio_stack)."""
    template = two_projects_synth.templates[STUDIO]
    (domain,) = two_projects_synth.resources(STUDIO, "AWS::SageMaker::Domain").values()
    statements = iam.role_statements(
        template, domain["Properties"]["DefaultSpaceSettings"]["ExecutionRole"]["Fn::GetAtt"][0]
    )
    for _, team, project in TEAMS:
        for obj in [*objects_of(f"teams/{team}/datasets/x.csv"), f"{bucket('artifact')}/pipelines/{project}/r/m"]:
            assert not iam.allowed(statements, "s3:GetObject", obj), obj
        assert not iam.allowed(statements, "s3:ListBucket", bucket("data"), {"s3:prefix": f"teams/{team}/"})
        assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", package(DEV, project))


def test_a_teams_code_repository_is_in_every_members_spaces(
    two_projects_synth: Synth,
) -> None:
    profiles = {
        p["Properties"]["UserProfileName"]: p["Properties"]["UserSettings"]
        for p in two_projects_synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
    }
    # Only the repository: a profile's JupyterLab settings hold no idle shutdown (CloudFormation's schema refuses
    # one), so the domain's stays in force.
    assert profiles["chen-wei"]["JupyterLabAppSettings"] == {"CodeRepositories": [{"RepositoryUrl": TEAM_REPOSITORY}]}
    # A team without a repository: its members' profiles are what they were.
    assert "JupyterLabAppSettings" not in profiles["ana-garcia"]


def test_a_teams_repository_is_reachable_and_only_its_members_pull_it(
    synth: Synth, two_projects_synth: Synth, config: RoadwayConfig
) -> None:
    """Studio's subnets reach CodeCommit through its git-codecommit endpoint, added only where a team has a
    repository; the clone runs as the member's role, which may pull its own team's repository and nothing more."""

    def git_endpoints(made: Synth) -> list[dict[str, Any]]:
        return [
            e
            for e in made.resources("roadway-dev-platform", "AWS::EC2::VPCEndpoint").values()
            if "git-codecommit" in json.dumps(e["Properties"]["ServiceName"])
        ]

    assert git_endpoints(synth) == [], "no team has a repository: no endpoint"
    (endpoint,) = git_endpoints(two_projects_synth)
    props = endpoint["Properties"]
    assert props["PrivateDnsEnabled"] is True and props["VpcEndpointType"] == "Interface"
    repository = f"arn:aws:codecommit:{config.region}:{config.stages.dev.account}:retention-models"
    template = two_projects_synth.templates[STUDIO]
    for user, may in (("chen-wei", True), ("ana-garcia", False)):
        role = next(
            p["Properties"]["UserSettings"]["ExecutionRole"]["Fn::GetAtt"][0]
            for p in two_projects_synth.resources(STUDIO, "AWS::SageMaker::UserProfile").values()
            if p["Properties"]["UserProfileName"] == user
        )
        statements = iam.role_statements(template, role)
        assert iam.allowed(statements, "codecommit:GitPull", repository) is may, user
        assert not iam.allowed(statements, "codecommit:GitPush", repository), user


@pytest.mark.parametrize(("stage", "source"), [("test", DEV), ("prod", TEST)])
def test_each_endpoint_reads_only_its_own_projects_promoted_copies(
    two_projects_synth: Synth, stage: str, source: str
) -> None:
    """A package's code runs in its endpoint's container (test's is not network-isolated): the container's role
    reads its own project's copies through S3 and nothing else of the artifact bucket (another project's models,
    the evidence, the drift reports)."""
    for group, other in (("house-price", "churn"), ("churn", "house-price")):
        stack = f"roadway-{stage}-serving" if group == "house-price" else f"roadway-{stage}-{group}-serving"
        template = two_projects_synth.templates[stack]
        (model,) = two_projects_synth.resources(stack, "AWS::SageMaker::Model").values()
        statements = iam.role_statements(template, model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0])
        bucket = f"roadway-{stage}-platform-artifact-bucket-arn"  # the import, as cdk-nag renders it
        copy = "v3/0a1b2c3d4e5f-model.tar.gz"
        assert iam.allowed(statements, "s3:GetObject", f"{bucket}/promoted/{source}/{group}/{copy}"), stack
        for elsewhere in (f"promoted/{source}/{other}/{copy}", "pipelines/house-price/run/model.tar.gz", "x"):
            assert not iam.allowed(statements, "s3:GetObject", f"{bucket}/{elsewhere}"), (stack, elsewhere)
        keys = [k for s in statements if "kms:Decrypt" in iam.listed(s["Action"]) for k in iam.listed(s["Resource"])]
        (key,) = (iam.render(k) for k in keys)
        via = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        assert iam.allowed(statements, "kms:Decrypt", key, via)
        assert not iam.allowed(statements, "kms:Decrypt", key), "decrypting directly, not through S3"
        assert not iam.allowed(statements, "kms:Decrypt", key, {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"})
