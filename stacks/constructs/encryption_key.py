"""A customer-managed KMS key with the settings every Roadway key shares."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


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
