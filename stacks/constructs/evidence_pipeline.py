"""The roles that produce the evidence a promotion gate trusts: the pipeline's, and its jobs'.

Data scientists pass the pipeline role to SageMaker Pipelines (CreatePipeline, UpdatePipeline); Pipelines runs
each step with the job role, which only the pipeline role may pass. The job role is the one principal the
artifact bucket lets write under ``pipelines/`` (PlatformStack's bucket policy), so the metrics, baselines and
model there come from a recorded pipeline execution, never from a hand-written object. A data scientist who
passes the pipeline role to a job of their own gets a job that writes nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from promote_model.artifacts import PIPELINE_PREFIX

from roadway.compliance import acknowledge, nag_resource
from stacks.constructs.encryption_key import through
from stacks.constructs.sagemaker_role import SageMakerRole
from stacks.constructs.studio_domain import (
    instance_types_only,
    isolated_jobs,
    job_arns,
    list_buckets_and_use_keys,
    register_for_approval_only,
)


class EvidencePipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline_role_name: str,
        job_role_name: str,
        subnet_ids: Sequence[str],
        security_group_id: str,
        data_key: kms.IKey,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
        group_arn: str,
        packages_arn: str,
        instance_types: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

        evidence = artifact_bucket.arn_for_objects(f"{PIPELINE_PREFIX}/*")
        objects = [data_bucket.arn_for_objects("*"), artifact_bucket.arn_for_objects("*")]
        self.job_role = SageMakerRole(
            self,
            "JobRole",
            description="Roadway: the pipeline's jobs; the only writer of the evidence prefix",
            statements=[
                iam.PolicyStatement(
                    sid="ReadInputsAndCode",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=objects,
                ),
                iam.PolicyStatement(
                    sid="WriteEvidence",
                    actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                    resources=[evidence],
                ),
                *list_buckets_and_use_keys([data_bucket, artifact_bucket], [data_key, artifact_key]),
            ],
            wildcards={
                **dict.fromkeys(objects, "Read-only, the project's own buckets: inputs and code differ per run."),
                evidence: "The evidence prefix only; one folder per pipeline execution.",
            },
            in_vpc=True,
            role_name=job_role_name,  # a contract: the artifact bucket's policy names it the evidence's one writer
        )

        jobs = job_arns(stack)
        self.pipeline_role = iam.Role(
            self,
            "PipelineRole",
            role_name=pipeline_role_name,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Roadway: SageMaker Pipelines runs the project's pipeline with this role",
        )
        policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            description="Roadway: start the pipeline's jobs (isolated, in the VPC) and register for approval",
            roles=[self.pipeline_role],
            statements=[
                *isolated_jobs(jobs, subnet_ids, security_group_id, data_key.key_arn, tagging=True),
                instance_types_only(instance_types),
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
                    resources=[artifact_key.key_arn],
                    conditions=through("s3", self),
                ),
                iam.PolicyStatement(
                    sid="GrantsOnlyForJobVolumes",
                    actions=["kms:CreateGrant"],
                    resources=[data_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
                iam.PolicyStatement(
                    sid="DescribeTheVolumeKey", actions=["kms:DescribeKey"], resources=[data_key.key_arn]
                ),
            ],
        )
        acknowledge(
            policy,
            {
                **{
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, job)}]": (
                        "Job names are generated per step run; creating one requires network isolation, the "
                        "project's subnets, Studio's security group and the data key."
                    )
                    for job in jobs
                },
                **{
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, arn)}]": (
                        "Every project's group, as pending only (one pipeline role serves every team until pipelines "
                        "are per project); the version is assigned at registration."
                    )
                    for arn in {group_arn, packages_arn}
                    if "*" in arn
                },
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, evidence)}]": (
                    "Read-only, the evidence prefix: the condition step reads the run's evaluation.json."
                ),
            },
        )
