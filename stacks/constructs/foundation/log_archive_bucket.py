"""The stage's log archive: S3 server access logs of its buckets and its VPC flow logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge
from stacks.constructs.foundation.secure_bucket import hardened


class LogArchiveBucket(s3.Bucket):
    """Retained, versioned, TLS-only; S3-managed encryption because log delivery cannot use SSE-KMS."""

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int = 365) -> None:
        super().__init__(
            scope,
            construct_id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            **hardened(),
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        acknowledge(
            self,
            {
                "NIST.800.53.R5-S3DefaultEncryptionKMS": Reason(
                    "S3 server access log delivery supports only SSE-S3 on the destination bucket."
                ),
                "HIPAA.Security-S3DefaultEncryptionKMS": Reason(
                    "S3 server access log delivery supports only SSE-S3 on the destination bucket."
                ),
                "NIST.800.53.R5-S3BucketReplicationEnabled": Reason(
                    "Logs are kept in-region for a year; cross-region replication is not required for them."
                ),
                "HIPAA.Security-S3BucketReplicationEnabled": Reason(
                    "Logs are kept in-region for a year; cross-region replication is not required for them."
                ),
            },
        )
