"""PromotionLedger: the audit trail, keyed as lambdas/promote_model/ledger.py writes it, encrypted with the stage's
key, recoverable for 35 days, protected from deletion and retained. That the function's reads and writes fit these
keys is proven on the moto road, whose ledgers are made from this KeySchema (devtools/moto_accounts.py)."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from promote_model.contract import Env

from devtools.synth import Synth
from tests.stacks.constructs.bare import Parts
from tests.stacks.promotion_wiring import (
    ACCOUNTS,
    function_with,
    one,
)


def test_keys_encryption_recovery_and_protection(parts: Parts) -> None:
    parts.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "KeySchema": [
                        {"AttributeName": "source_arn", "KeyType": "HASH"},
                        {"AttributeName": "entry", "KeyType": "RANGE"},
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                    "SSESpecification": {
                        "SSEEnabled": True,
                        "SSEType": "KMS",
                        "KMSMasterKeyId": {"Fn::GetAtt": [parts.key, "Arn"]},
                    },
                    "PointInTimeRecoverySpecification": {
                        "PointInTimeRecoveryEnabled": True,
                        "RecoveryPeriodInDays": 35,
                    },
                    "DeletionProtectionEnabled": True,
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


@pytest.mark.parametrize("stage", list(ACCOUNTS))
def test_the_ledger_is_encrypted_recoverable_and_kept(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    table = one(synth, stack, "AWS::DynamoDB::Table")
    properties = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::ImportValue": f"roadway-{stage}-platform-ops-key-arn"},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    # The keys the Lambda writes (lambdas/promote_model/ledger.py).
    assert [k["AttributeName"] for k in properties["KeySchema"]] == ["source_arn", "entry"]
    (logical_id,) = synth.resources(stack, "AWS::DynamoDB::Table")
    env = function_with(synth, stack, "promote_model.handler.handler")["Environment"]["Variables"]
    assert env[Env.LEDGER_TABLE] == {"Ref": logical_id}
    assert env[Env.ALARM_TOPIC] == {"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"}
    outputs = synth.templates[stack]["Outputs"]
    assert outputs["LedgerTableName"]["Value"] == {"Ref": logical_id}
