"""A customer-managed KMS key with the settings every Roadway key shares."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def grants_for_aws_resources(sid: str, keys: Sequence[kms.IKey]) -> iam.PolicyStatement:
    """CreateGrant on ``keys`` only for an AWS resource (a job's volume, an endpoint's storage), never a person."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["kms:CreateGrant"],
        resources=[key.key_arn for key in keys],
        conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
    )


def through(service: str, scope: Construct) -> dict[str, dict[str, str]]:
    """A key used only on a service's behalf in this region (``kms:ViaService``): S3 decrypting its objects,
    DynamoDB its items; never the key called directly."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{Stack.of(scope).region}.amazonaws.com"}}


class EncryptionKey(kms.Key):
    """Rotated yearly and retained: data encrypted under a deleted key is lost for good."""

    def __init__(self, scope: Construct, construct_id: str, *, purpose: str) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Roadway: {purpose}",
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
