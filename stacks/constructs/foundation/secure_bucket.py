"""A bucket for data that matters: KMS, versioned, TLS-only, logged and retained."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge


def hardened() -> dict[str, Any]:
    """What every Roadway bucket is, whatever it holds: TLS only, versioned, private, owned by its account (no
    ACLs), and kept when its stack is deleted."""
    return {
        "enforce_ssl": True,
        "versioned": True,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "removal_policy": RemovalPolicy.RETAIN,
    }


class SecureBucket(s3.Bucket):
    """Every Roadway bucket that holds data or models is one of these."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        access_logs: s3.IBucket,
        purpose: str,
        noncurrent_version_days: int,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{purpose}/",
            **hardened(),
            # Versioning keeps every overwritten or deleted object; without this rule it is kept, and paid for,
            # forever. Only noncurrent versions expire: a current object (every artifact a registered package
            # names, whose seal requires the sealed version to be current) is never touched by it.
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="OldVersionsExpire",
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        reason = Reason(
            "Objects are versioned and retained in this region; cross-region replication is a per-adopter "
            "disaster-recovery choice (a second region and key), not part of the reference design."
        )
        acknowledge(
            self,
            {
                "NIST.800.53.R5-S3BucketReplicationEnabled": reason,
                "HIPAA.Security-S3BucketReplicationEnabled": reason,
            },
        )
