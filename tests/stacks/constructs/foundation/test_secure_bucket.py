"""SecureBucket: every Roadway bucket that holds data or models is KMS-encrypted with its key, versioned, TLS-only,
private, logged into the log archive, retained, and expires only noncurrent versions."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.stacks.constructs.bare import Parts


def test_encrypted_with_its_key_versioned_private_logged_and_retained(parts: Parts) -> None:
    bucket = parts.template.to_json()["Resources"][parts.data]
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    parts.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": [parts.key, "Arn"]},
                        },
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": parts.logs}, "LogFilePrefix": "data/"},
        },
    )


def test_only_noncurrent_versions_expire(parts: Parts) -> None:
    (rule,) = parts.template.to_json()["Resources"][parts.data]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule == {
        "Id": "OldVersionsExpire",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "ExpiredObjectDeleteMarker": True,
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        "Status": "Enabled",
    }, "a current object (what a seal names) never expires"


def test_tls_only(parts: Parts) -> None:
    parts.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": parts.data},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Principal": {"AWS": "*"},
                            }
                        )
                    ]
                )
            },
        },
    )
