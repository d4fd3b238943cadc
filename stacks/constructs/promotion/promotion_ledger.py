"""The promotion ledger: one item per promotion attempt, kept for as long as the account exists."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge


class PromotionLedger(Construct):
    """KMS-encrypted, point-in-time recoverable, retained and protected from deletion: it is the audit trail.

    Keys match lambdas/promote_model/ledger.py: ``source_arn`` (the approved package) and ``entry``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="source_arn", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="entry", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True, recovery_period_in_days=35
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        reason = Reason(
            "Point-in-time recovery (35 days) and deletion protection cover this audit table. Roadway lets only the "
            "promoter role (the promotion function and its rollback recorder) write it, with PutItem alone: no "
            "UpdateItem, DeleteItem or table change (test_only_the_promoter_puts_ledger_items). A put can overwrite "
            "an item: once-only outcomes are conditional puts in its code (lambdas/promote_model/ledger.py), not "
            "enforced by IAM. An AWS Backup plan is left to the organisation's central backup policy."
        )
        acknowledge(
            self.table,
            {"NIST.800.53.R5-DynamoDBInBackupPlan": reason, "HIPAA.Security-DynamoDBInBackupPlan": reason},
        )
