"""EncryptionKey: rotated yearly, retained, thirty days to cancel a deletion; and its two statement helpers."""

from __future__ import annotations

from aws_cdk import Stack

from stacks.constructs.foundation.encryption_key import grants_for_aws_resources, through
from tests.stacks.constructs.bare import Parts, bare_stack


def test_rotated_yearly_and_retained(parts: Parts) -> None:
    key = parts.template.to_json()["Resources"][parts.key]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = key["Properties"]
    assert (properties["EnableKeyRotation"], properties["RotationPeriodInDays"]) == (True, 365)
    assert properties["PendingWindowInDays"] == 30 and properties["Description"] == "Roadway: test data"


def test_grants_only_for_aws_resources_and_use_only_through_a_service() -> None:
    stack = bare_stack(packs=False).stack
    from stacks.constructs.foundation.encryption_key import EncryptionKey

    key = EncryptionKey(stack, "Key", purpose="x")
    granted = Stack.of(key).resolve(grants_for_aws_resources("Grants", [key]).to_statement_json())
    assert granted["Action"] == "kms:CreateGrant"
    assert granted["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert through("s3", key) == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
