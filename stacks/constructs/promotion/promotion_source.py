"""A stage's side of sending: it announces approvals to the next account and lets that account read, never write.

The next account pulls (see PromotionTarget there). What this account grants it is all here and in the platform's
artifact bucket and key policies: a reader role (describe and list the project's group, the pipeline execution
that made a package, the seal in this account's ledger) and read on the artifacts, through S3 only.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation.encryption_key import through
from stacks.constructs.promotion.model_promoter import package_state_change

# Everything the reader role may do: reads only (a test holds every statement to this list).
READER_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
    "sagemaker:DescribePipelineExecution",
    "sagemaker:DescribePipelineDefinitionForExecution",
    "sagemaker:DescribePipeline",
    "dynamodb:GetItem",
    "kms:Decrypt",
    "cloudformation:DescribeStacks",
)


class PromotionSource(Construct):
    """Per project, the reader role the next account's promoter assumes; for the stage, the rule that announces
    approvals of every project to it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        next_account: str,
        next_promoter_role_arn: str,
        group_names: Sequence[str],
        ledger: dynamodb.ITable,
        ops_key: kms.IKey,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        region, account = stack.region, stack.account
        self._next_account = next_account
        self._next_promoter_role_arn = next_promoter_role_arn
        self._ledger = ledger
        self._ops_key = ops_key
        self.readers: dict[str, iam.Role] = {}

        # The announcement: this account's approvals go to the next account's default bus, where its promoter
        # decides whether to take them. PutEvents on that bus is the only thing this account does there.
        next_bus = f"arn:aws:events:{region}:{next_account}:event-bus/default"
        announcer = iam.Role(
            self,
            "AnnouncerRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Roadway: EventBridge announces approvals to the next account's bus",
        )
        iam.ManagedPolicy(
            self,
            "AnnouncerPolicy",
            description="Roadway: put approval events on the next account's default bus, nothing else",
            roles=[announcer],
            statements=[
                iam.PolicyStatement(sid="AnnounceApprovals", actions=["events:PutEvents"], resources=[next_bus])
            ],
        )
        self.announcement = events.Rule(
            self,
            "AnnounceApprovals",
            description=f"Approvals of the road's projects here are announced to {next_account}, which pulls them",
            event_pattern=package_state_change(account, sorted(group_names), "Approved"),
            targets=[
                targets.EventBus(
                    events.EventBus.from_event_bus_arn(self, "NextStageBus", next_bus),
                    role=announcer.without_policy_updates(),  # its one permission is the managed policy above
                    dead_letter_queue=dead_letters,  # an announcement that cannot be delivered pages here
                )
            ],
        )

    def add_reader(
        self,
        scope: Construct,
        *,
        role_name: str,
        group_name: str,
        group_arn: str,
        packages_arn: str,
        pipeline_executions_arn: str,
    ) -> iam.Role:
        """The read-only role through which the next account reads ``group_name``'s packages and their seals:
        one per project, so a reader of one group reads nothing of another's."""
        stack = Stack.of(self)
        reader = iam.Role(
            scope,
            "Reader",
            role_name=role_name,  # a contract: the next account's promoter assumes it by this name
            # The account is the principal and its role a condition, so this trust is valid before that role
            # exists (deploy order between accounts does not matter).
            assumed_by=iam.AccountPrincipal(self._next_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": self._next_promoter_role_arn}}
            ),
            description=f"Roadway: the next account reads {group_name} packages and their seals here, nothing else",
            max_session_duration=Duration.hours(1),
        )
        promotion_stack = f"arn:aws:cloudformation:{stack.region}:{stack.account}:stack/{stack.stack_name}/*"
        policy = iam.ManagedPolicy(
            scope,
            "ReaderPolicy",
            description=f"Roadway: read-only, {group_name} and its seals",
            roles=[reader],
            statements=[
                iam.PolicyStatement(
                    sid="ReadTheGroup",
                    actions=list(READER_ACTIONS[:3]),
                    resources=[group_arn, packages_arn],
                ),
                iam.PolicyStatement(
                    # Who started a run, what it ran (whose folder its code lies in), who last changed the pipeline.
                    sid="FindWhoWroteTheRun",
                    actions=["sagemaker:DescribePipelineExecution", "sagemaker:DescribePipelineDefinitionForExecution"],
                    resources=[pipeline_executions_arn],
                ),
                iam.PolicyStatement(
                    sid="FindWhoLastChangedThePipeline",
                    actions=["sagemaker:DescribePipeline"],
                    resources=[pipeline_executions_arn.removesuffix("/execution/*")],
                ),
                iam.PolicyStatement(
                    sid="ReadTheSeal",  # of this group's packages only: the ledger is keyed by package ARN
                    actions=["dynamodb:GetItem"],
                    resources=[self._ledger.table_arn],
                    conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [packages_arn]}},
                ),
                iam.PolicyStatement(
                    sid="DecryptTheSealThroughDynamoDb",
                    actions=["kms:Decrypt"],
                    resources=[self._ops_key.key_arn],
                    conditions=through("dynamodb", self),
                ),
                iam.PolicyStatement(
                    sid="FindTheLedger",  # its LedgerTableName output; the table's name is generated
                    actions=["cloudformation:DescribeStacks"],
                    resources=[promotion_stack],
                ),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                packages_arn: Reason(
                    "Read-only, any version of the project's own group: the approved version is known at run time."
                ),
                pipeline_executions_arn: Reason(
                    "Read-only, executions of the project's own pipeline; execution ids are generated per run."
                ),
                promotion_stack: Reason("This promotion stack only; its ARN ends in a generated stack id."),
            },
        )
        self.readers[group_name] = reader
        return reader
