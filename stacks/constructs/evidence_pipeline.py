"""A project's pipeline roles: the one SageMaker Pipelines runs its pipeline with, and its jobs' role, which
produces the evidence a promotion gate trusts.

Each project has its own pair, and only the owning team may pass the pipeline role (StudioDomain's team policy):
so a team's pipeline registers into its own project's group only, starts jobs on the team's instance types only,
tags every job with the team (what the team's budget counts), and reads only the team's folder. Pipelines runs
each step with the job role, which only the pipeline role may pass. The job role is the only principal that may
write the project's evidence folder, ``pipelines/<group>/`` of dev's artifact bucket (PlatformStack's bucket
policy), so the metrics, baselines and model there come from a recorded execution of that project's pipeline.
The pipeline's code is the team's own: what a run writes is what the team's code wrote (a step could copy a file
from the team's folder), so the evidence binds a package to a run, and the run to the team, not to honest code;
the approver, who is not the author, reviews the run. A data scientist who passes the pipeline role to a job of
their own gets a job that writes nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from roadway.compliance import acknowledge, nag_resource
from roadway.config import Team
from roadway.naming import PROJECT_TAG, TEAM_TAG
from stacks.constructs.encryption_key import through
from stacks.constructs.sagemaker_role import SageMakerRole
from stacks.constructs.studio_domain import (
    instance_types_only,
    isolated_jobs,
    job_arns,
    jobs_carry_the_team,
    list_buckets,
    register_for_approval_only,
    use_keys,
)


@dataclass(frozen=True)
class PipelineStorage:
    """Dev's buckets and keys, as a project's pipeline sees them."""

    data_bucket: s3.IBucket
    artifact_bucket: s3.IBucket
    data_key: kms.IKey
    artifact_key: kms.IKey

    def objects(self, prefix: str) -> list[str]:
        """``prefix``'s objects in both buckets."""
        return [bucket.arn_for_objects(f"{prefix}/*") for bucket in (self.data_bucket, self.artifact_bucket)]


class EvidencePipeline(Construct):
    """One project's pipeline role and job role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: str,
        team: Team,
        pipeline_role_name: str,
        job_role_name: str,
        evidence_prefix: str,
        team_prefix: str,
        subnet_ids: Sequence[str],
        security_group_id: str,
        storage: PipelineStorage,
        group_arn: str,
        packages_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        evidence = storage.artifact_bucket.arn_for_objects(f"{evidence_prefix}/*")
        inputs = storage.objects(team_prefix)
        self.job_role = SageMakerRole(
            self,
            "JobRole",
            description=f"Roadway: the jobs of {project}'s pipeline; the only writer of its evidence folder",
            statements=[
                iam.PolicyStatement(
                    sid="ReadTheTeamsInputsAndCode",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[*inputs, evidence],
                ),
                iam.PolicyStatement(
                    sid="WriteEvidence",
                    actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                    resources=[evidence],
                ),
                # SageMaker lists an S3Prefix channel as this role: the team's folder and the project's evidence only.
                list_buckets([storage.data_bucket, storage.artifact_bucket], [team_prefix, evidence_prefix]),
                iam.PolicyStatement(
                    sid="FindTheBuckets",
                    actions=["s3:GetBucketLocation"],
                    resources=[storage.data_bucket.bucket_arn, storage.artifact_bucket.bucket_arn],
                ),
                use_keys([storage.data_key, storage.artifact_key]),
            ],
            wildcards={
                **dict.fromkeys(inputs, f"Read-only, team {team.name}'s folder: inputs and code differ per run."),
                evidence: f"{project}'s evidence folder only; one folder per pipeline execution.",
            },
            in_vpc=True,
            role_name=job_role_name,  # a contract: the artifact bucket's policy names it an evidence writer
        )

        jobs = job_arns(stack)
        self.pipeline_role = iam.Role(
            self,
            "PipelineRole",
            role_name=pipeline_role_name,  # a contract: the team's members pass it by this name
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Roadway: SageMaker Pipelines runs {project}'s pipeline with this role",
        )
        # Whose role this is, for people reading CloudTrail and for the team's budget (roles are not billed).
        Tags.of(self.pipeline_role).add(TEAM_TAG, team.name)
        Tags.of(self.pipeline_role).add(PROJECT_TAG, project)
        policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            description=f"Roadway: start {project}'s jobs (isolated, in the VPC, team {team.name}'s) and register",
            roles=[self.pipeline_role],
            statements=[
                *isolated_jobs(jobs, subnet_ids, security_group_id, storage.data_key.key_arn, tagging=team.name),
                instance_types_only(team.instance_types),
                *jobs_carry_the_team(team.name),
                iam.PolicyStatement(
                    sid="PassTheJobRole",
                    actions=["iam:PassRole"],
                    resources=[self.job_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                register_for_approval_only([group_arn, packages_arn]),
                iam.PolicyStatement(
                    sid="ReadStepOutputs",  # property files (evaluation.json) the condition step reads
                    actions=["s3:GetObject"],
                    resources=[evidence],
                ),
                iam.PolicyStatement(
                    sid="DecryptStepOutputsThroughS3",
                    actions=["kms:Decrypt"],
                    resources=[storage.artifact_key.key_arn],
                    conditions=through("s3", self),
                ),
                iam.PolicyStatement(
                    sid="GrantsOnlyForJobVolumes",
                    actions=["kms:CreateGrant"],
                    resources=[storage.data_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
                iam.PolicyStatement(
                    sid="DescribeTheVolumeKey", actions=["kms:DescribeKey"], resources=[storage.data_key.key_arn]
                ),
            ],
        )
        acknowledge(
            policy,
            {
                **{
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, job)}]": (
                        "Job names are generated per step run; creating one requires network isolation, the "
                        f"project's subnets, Studio's security group, the data key and team {team.name}'s tag."
                    )
                    for job in jobs
                },
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, packages_arn)}]": (
                    f"Versions of {project}'s own group, as pending only; the version is assigned at registration."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, evidence)}]": (
                    f"Read-only, {project}'s evidence folder: the condition step reads the run's evaluation.json."
                ),
            },
        )
