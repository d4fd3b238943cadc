"""AWS's answers read one way, for the promotion and the `roadway` CLI alike: a stack's outputs and parameters, an
``s3://`` URI, and a role assumed into a session of its own. Standard library and boto3 only, so the CLI imports it
without the rest of the function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

# The error code DescribeStacks answers for a stack that is not there: botocore's own StackExists waiter retries on
# it and on nothing else (tests/lambdas/promote_model/test_aws.py reads that from the pinned botocore).
MISSING_STACK = "ValidationError"


def outputs_of(stack: dict[str, Any] | None) -> dict[str, str]:
    """A described stack's outputs by key (none for no stack)."""
    return {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}


def parameters_of(stack: dict[str, Any] | None) -> dict[str, str]:
    """A described stack's parameters by key (an empty value for a parameter described without one)."""
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in (stack or {}).get("Parameters", [])}


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Object:
        """``s3://bucket/key``; a ValueError names what is wrong with anything else."""
        if not uri.startswith("s3://"):
            raise ValueError(f"not an S3 URI: {uri!r}")
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket or not key:
            raise ValueError(f"S3 URI needs a bucket and a key: {uri!r}")
        return cls(bucket, key)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def assumed(
    sts: Any,
    role_arn: str,
    session_name: str,
    region: str,
    *,
    session_class: type[boto3.session.Session] = boto3.session.Session,
    **request: Any,
) -> boto3.session.Session:
    """A session of ``role_arn``, assumed through the ``sts`` client (``request``: AssumeRole's other fields, e.g.
    SourceIdentity). The session name is cut to STS's 64 characters. Errors are the caller's to word."""
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64], **request)["Credentials"]
    return session_class(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
