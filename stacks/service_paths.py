"""Every path by which an AWS service delivers into something of Roadway's, in one table.

A page that nobody receives, an approval that never reaches the promoter: a delivery path fails silently when a
resource policy asks about a key the service does not send on that path. Each row says who delivers, into what,
with which actions, which condition keys AWS documents on that path (and what Roadway asks of each), and the AWS
page that says so. The constructs build their statements from the rows; tests/stacks/test_service_paths.py holds
that each synthesized template admits each path with only those keys, and refuses another account.

Where the sources disagree whether a service's request to KMS carries ``aws:SourceAccount``/``aws:SourceArn``
(EventBridge into an SSE-KMS queue, CloudWatch and Budgets into an SSE-KMS topic), the key's row asks nothing: the
queue's or topic's own policy, which the service documents, scopes the sender. docs/threat-model.md states the
residual risk; ``roadway doctor``'s delivery probe is what proves a path on the real account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import aws_iam as iam

# What Roadway asks of a key AWS sends: the operator and the value (``{region}``, ``{account}`` filled per stack).
Ask = tuple[str, str]


@dataclass(frozen=True)
class Delivery:
    """One path: ``service`` delivers into ``into`` with ``actions``; ``asks`` maps each key AWS sends on it that a
    condition uses to what Roadway requires of it (a key absent here is never asked)."""

    name: str
    service: str  # the service principal; ``{region}`` where it is regional
    into: str
    actions: tuple[str, ...]
    doc: str
    asks: Mapping[str, Ask] = field(default_factory=dict)

    def principal(self, region: str) -> str:
        return self.service.format(region=region)

    def conditions(self, region: str, account: str) -> dict[str, dict[str, str]]:
        conditions: dict[str, dict[str, str]] = {}
        for key, (operator, value) in self.asks.items():
            conditions.setdefault(operator, {})[key] = value.format(region=region, account=account)
        return conditions

    def statement(self, sid: str, resources: list[str], *, region: str, account: str) -> iam.PolicyStatement:
        """The resource-policy statement that admits this path and nothing wider."""
        return iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(self.principal(region))],
            actions=list(self.actions),
            resources=resources,
            conditions=self.conditions(region, account) or None,
        )


FROM_THIS_ACCOUNT: Ask = ("StringEquals", "{account}")


def sent_by(source_arn: str) -> dict[str, Ask]:
    """What a service documents for confused-deputy protection: the sender's account and ARN (this account's)."""
    return {"aws:SourceAccount": FROM_THIS_ACCOUNT, "aws:SourceArn": ("ArnLike", source_arn)}


SNS_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"
# SNS and SQS both decrypt with the key a topic or queue names, on the sender's behalf: the sender needs these two.
THROUGH_A_KEY = ("kms:GenerateDataKey*", "kms:Decrypt")

ALARMS_TO_TOPIC = Delivery(
    "CloudWatch alarms publish to the alarm topic",
    "cloudwatch.amazonaws.com",
    "topic",
    ("sns:Publish",),
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html",
    sent_by("arn:aws:cloudwatch:{region}:{account}:alarm:*"),
)
ALARMS_THROUGH_KEY = Delivery(
    "CloudWatch alarms publish through the ops key", "cloudwatch.amazonaws.com", "key", THROUGH_A_KEY, SNS_DOC
)
BUDGETS_TO_TOPIC = Delivery(
    "Budgets publish alerts to the alarm topic",
    "budgets.amazonaws.com",
    "topic",
    ("sns:Publish",),
    "https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html",
    sent_by("arn:aws:budgets::{account}:*"),
)
BUDGETS_THROUGH_KEY = Delivery(
    "Budgets publish through the ops key", "budgets.amazonaws.com", "key", THROUGH_A_KEY, SNS_DOC
)
RULES_TO_DEAD_LETTERS = Delivery(
    "EventBridge rules put what they cannot deliver in the dead letters",
    "events.amazonaws.com",
    "queue",
    ("sqs:SendMessage",),
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html",
    sent_by("arn:aws:events:{region}:{account}:rule/*"),
)
RULES_TO_WORK = Delivery(
    "EventBridge rules send the promoter's work to its FIFO queue",
    "events.amazonaws.com",
    "queue",
    ("sqs:SendMessage",),
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions",
    sent_by("arn:aws:events:{region}:{account}:rule/*"),
)
RULES_THROUGH_KEY = Delivery(
    "EventBridge rules send through the ops key (SSE-KMS queues)",
    "events.amazonaws.com",
    "key",
    THROUGH_A_KEY,
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"
    "#compatibility-with-aws-services",
)
LOGS_THROUGH_KEY = Delivery(
    "CloudWatch Logs encrypts Roadway's log groups with the ops key",
    "logs.{region}.amazonaws.com",
    "key",
    ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"),
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    {"kms:EncryptionContext:aws:logs:arn": ("ArnLike", "arn:aws:logs:{region}:{account}:*")},
)
FLOW_LOGS_TO_BUCKET = Delivery(
    "VPC flow logs are delivered to the log archive",
    "delivery.logs.amazonaws.com",
    "bucket",
    ("s3:PutObject",),
    "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html",
    {**sent_by("arn:aws:logs:{region}:{account}:*"), "s3:x-amz-acl": ("StringEquals", "bucket-owner-full-control")},
)
ACCESS_LOGS_TO_BUCKET = Delivery(
    "S3 server access logs are delivered to the log archive",
    "logging.s3.amazonaws.com",
    "bucket",
    ("s3:PutObject",),
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
    sent_by("arn:aws:s3:::*"),
)

PATHS = (
    ALARMS_TO_TOPIC,
    ALARMS_THROUGH_KEY,
    BUDGETS_TO_TOPIC,
    BUDGETS_THROUGH_KEY,
    RULES_TO_WORK,
    RULES_TO_DEAD_LETTERS,
    RULES_THROUGH_KEY,
    LOGS_THROUGH_KEY,
    FLOW_LOGS_TO_BUCKET,
    ACCESS_LOGS_TO_BUCKET,
)
