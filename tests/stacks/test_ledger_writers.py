"""The promotion ledger's acknowledgement (stacks/constructs/promotion/promotion_ledger.py) says who may change it
and how: asked of IAM's rules, for every DynamoDB action that is not a read."""

from __future__ import annotations

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests import aws, iam

READS = ("Describe", "Get", "List", "Query", "Scan", "BatchGetItem", "ConditionCheckItem", "PartiQLSelect")


@pytest.mark.parametrize("stage", ["dev", "test", "prod"])
def test_only_the_promoter_puts_ledger_items(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    """The ledger's reason: of the roles Roadway makes, only the promoter role changes the ledger, with PutItem
    alone (no UpdateItem, DeleteItem, table, backup, TTL or policy change)."""
    stack = f"roadway-{stage}-promotion"
    (table,) = synth.resources(stack, "AWS::DynamoDB::Table")
    ledger = f"<{table}.Arn>"
    changes = [a for a in aws.actions_matching("dynamodb:*") if not a.split(":")[1].startswith(READS)]
    assert "dynamodb:UpdateContinuousBackups" in changes and "dynamodb:GetItem" not in changes
    template = synth.templates[stack]
    writers = {}
    for role_id, resource in synth.resources(stack, "AWS::IAM::Role").items():
        statements = iam.role_statements(template, role_id)
        allowed = [a for a in changes if iam.allowed(statements, a, ledger)]
        if allowed:
            writers[resource["Properties"].get("RoleName", role_id)] = allowed
    assert writers == {Names.of(config).promoter_role(stage): ["dynamodb:PutItem"]}  # type: ignore[arg-type]
