"""LogArchiveBucket: the stage's access and flow logs, kept a year, SSE-S3 (log delivery takes no SSE-KMS)."""

from __future__ import annotations

from tests.stacks.constructs.bare import Parts


def test_kept_a_year_private_and_retained_with_s3_managed_encryption(parts: Parts) -> None:
    bucket = parts.template.to_json()["Resources"][parts.logs]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert (rule["ExpirationInDays"], rule["NoncurrentVersionExpiration"]) == (365, {"NoncurrentDays": 30})
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}


def test_acknowledges_only_what_log_delivery_cannot_meet(parts: Parts) -> None:
    """The packs ran on the bare stack (no open finding); what it acknowledges is SSE-KMS and replication only."""
    suppressed = parts.template.to_json()["Resources"][parts.logs]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    packs = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security")  # the network's flow logs add cfn-lint's own
    assert sorted(i for s in suppressed if (i := s["id"].split("::")[-1]).startswith(packs)) == [
        "HIPAA.Security-S3BucketReplicationEnabled",
        "HIPAA.Security-S3DefaultEncryptionKMS",
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
    ]
