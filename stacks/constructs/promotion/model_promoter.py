"""A stage's promotion function: it seals this account's registrations and takes in the previous account's
approvals; the parts each stage needs are added by PromotionSource and PromotionTarget."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as lambda_event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from promote_model.contract import WORK_CONCURRENCY, Event

from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation import vpc_lambda
from stacks.constructs.foundation.encryption_key import through
from stacks.constructs.foundation.https_egress_security_group import HttpsEgressSecurityGroup
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.pinned_layer import POWERTOOLS
from stacks.platform_imports import PlatformImports
from stacks.service_paths import RULES_TO_DEAD_LETTERS

LAMBDA_ROOT = Path(__file__).resolve().parents[3] / "lambdas"
# A message is taken this many times before it moves to the work dead letters; each try may run the function's
# full 15 minutes, so the message stays invisible a little longer than that.
WORK_ATTEMPTS = 3
WORK_VISIBILITY = Duration.minutes(20)


def package_state_change(account: str, group_name: str | Sequence[str], status: str) -> events.EventPattern:
    """A package of ``group_name`` (or of any of several groups) in ``account``'s registry reaching ``status``:
    registrations (sealed), approvals (announced, pulled) and rejections (break-glass) all match on these three,
    nothing less."""
    groups = [group_name] if isinstance(group_name, str) else list(group_name)
    return events.EventPattern(
        source=[Event.SAGEMAKER],
        account=[account],
        detail_type=[Event.PACKAGE_STATE_CHANGE],
        detail={"ModelPackageGroupName": groups, "ModelApprovalStatus": [status]},
    )


def serving_rollback(region: str, account: str, stack_prefix: str) -> events.EventPattern:
    """A finished rollback of this account's stacks named ``stack_prefix``... (only this account's events, whatever
    reaches the bus); the recorder keeps the serving stacks' and ignores the rest."""
    return events.EventPattern(
        source=[Event.CLOUDFORMATION],
        detail_type=[Event.STACK_STATUS_CHANGE],
        account=[account],
        detail={
            "stack-id": [{"prefix": f"arn:aws:cloudformation:{region}:{account}:stack/{stack_prefix}"}],
            "status-details": {"status": [Event.ROLLED_BACK]},
        },
    )


class ModelPromoter(Construct):
    """One function per stage (fed by a FIFO queue: one event at a time per project), its role, its failures
    (KMS queues that page) and its logs.

    The role starts with what every stage's function needs (logs, ledger, alarm topic, queue, VPC); sealing,
    receiving and rollback recording add their statements to the same managed policy, so the function's whole
    authority is one document.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        environment: dict[str, str],
        network: IsolatedNetwork,
        platform: PlatformImports,
        ledger: dynamodb.ITable,
    ) -> None:
        """``role_name``: the previous account's reader role and bucket policy trust this exact name."""
        super().__init__(scope, construct_id)
        self._network = network
        self._environment = environment
        self._ops_key = platform.ops_key
        self._code = lambda_.Code.from_asset(
            str(LAMBDA_ROOT),
            exclude=["**/__pycache__", "**/*.pyc", "**/tests", "**/*.md", "drift_monitor", "layers"],
        )
        # Powertools (structured logs, metrics), pinned and built from PyPI like the rest of the road's code.
        self._layers = [POWERTOOLS.build(self, "Powertools")]
        self.dead_letters = vpc_lambda.dead_letter_queue(self, self._ops_key)
        self.work_dead_letters, self.work = self._work_queues()
        self.rule_dead_letters = self._rules_report_here()
        self.security_group = HttpsEgressSecurityGroup(
            self,
            "SecurityGroup",
            network=network,
            description="Promotion Lambda: HTTPS to VPC endpoints only",
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Roadway: seals this account's registrations and takes in the previous account's approvals",
        )
        log_group = self._log_group("Logs")
        self.policy = self._policy(log_group, ledger, platform.alarm_topic)
        self.function = self._function(
            "Function",
            "promote_model.handler.handler",
            "Roadway: seal registrations; take approved packages from the previous account into this one",
            log_group,
        )
        # One message at a time per project (the FIFO group); a failure returns it to the queue for another try.
        # At most WORK_CONCURRENCY projects at once, so promotions never take a new account's whole quota of 10.
        self.function.add_event_source(
            lambda_event_sources.SqsEventSource(self.work, batch_size=1, max_concurrency=WORK_CONCURRENCY)
        )
        vpc_lambda.acknowledge_no_reservation(
            self.function,
            Reason(
                f"The FIFO work queue serialises each project's events and its event source runs at most "
                f"{WORK_CONCURRENCY} at once; nothing else invokes the function."
            ),
        )
        self.rollback_function: lambda_.IFunction | None = None
        self.alarms = self._alarms(platform.alarm_topic)

    def _work_queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        """The promoter's work: one FIFO message group per model package group, so each project's events are
        taken one at a time and in order, projects in parallel, and one project's failing event (retried, then
        moved to its own dead letters) never holds up another's. Reserved concurrency did the serialising before;
        new AWS accounts (a concurrency quota of 10) refuse any reservation."""
        encrypted = {
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": self._ops_key,
            "enforce_ssl": True,
            "removal_policy": RemovalPolicy.RETAIN,
        }
        dead_letters = sqs.Queue(self, "WorkDeadLetters", fifo=True, retention_period=Duration.days(14), **encrypted)
        work = sqs.Queue(
            self,
            "Work",
            fifo=True,
            content_based_deduplication=True,  # a re-delivered event (same body) is taken once
            visibility_timeout=WORK_VISIBILITY,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=WORK_ATTEMPTS, queue=dead_letters),
            **encrypted,
        )
        return dead_letters, work

    def _rules_report_here(self) -> sqs.IQueue:
        """Every rule of the stage puts what it cannot deliver in the dead letters. CDK would add one queue-policy
        statement per rule, and SQS allows 20 statements (8 KB) per policy: a road of projects has more rules than
        that. One statement admits EventBridge rules of this account; the rules see the queue as imported (no
        grant)."""
        stack = Stack.of(self)
        self.dead_letters.add_to_resource_policy(
            RULES_TO_DEAD_LETTERS.statement(
                "RulesOfThisAccountReportUndeliveredEvents",
                [self.dead_letters.queue_arn],
                region=stack.region,
                account=stack.account,
            )
        )
        return sqs.Queue.from_queue_arn(self, "RuleDeadLetters", self.dead_letters.queue_arn)

    def _policy(self, log_group: logs.ILogGroup, ledger: dynamodb.ITable, alarm_topic: sns.ITopic) -> iam.ManagedPolicy:
        """What every stage's function needs; sealing, receiving and rollback recording add to it."""
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Roadway: what the promotion function may do",
            roles=[self.role],
            statements=[
                vpc_lambda.write_logs("WriteOwnLogs", log_group),
                iam.PolicyStatement(
                    sid="KeepTheLedger",
                    actions=["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Scan"],
                    resources=[ledger.table_arn],
                ),
                iam.PolicyStatement(
                    sid="TellTheAlarmTopic", actions=["sns:Publish"], resources=[alarm_topic.topic_arn]
                ),
                vpc_lambda.report_failures(self.dead_letters),
                iam.PolicyStatement(
                    sid="TakeWorkFromTheQueue",  # Lambda's event source mapping polls with the function's role
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[self.work.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="EncryptReportsAndLedger",  # the dead-letter queue, the alarm topic and the ledger
                    actions=["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"],
                    resources=[self._ops_key.key_arn],
                ),
                vpc_lambda.attach_to_the_vpc(),
            ],
        )
        acknowledge_wildcards(policy, {"*": vpc_lambda.ENI_REASON})
        return policy

    def _alarms(self, alarm_topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        """A failure of any kind pages: an event in either dead-letter queue, or an error of the function."""
        failed = vpc_lambda.failed_alarm(
            self,
            self.dead_letters,
            "A promotion or seal failed: its event and reason are in the dead-letter queue",
            Duration.minutes(1),
        )
        gave_up = vpc_lambda.failed_alarm(
            self,
            self.work_dead_letters,
            f"A promotion, seal or withdrawal failed {WORK_ATTEMPTS} times: its event is in the work "
            "dead-letter queue (the project's later events go on; its reason is in the function's log)",
            Duration.minutes(1),
            "GaveUpAlarm",
        )
        errors = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_description="The promotion Lambda raised an error (it retries; see its log)",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarms = [failed, gave_up, errors]
        for alarm in alarms:
            alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        return alarms

    def seal_registrations(
        self,
        *,
        packages_arn: str,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
        groups: Sequence[tuple[str, str]],
    ) -> None:
        """A stage with a next stage seals each package registered here (versions and digests, in its ledger),
        so the next stage copies exactly what was evaluated. ``groups``: (group, construct id of its rule)."""
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="ReadRegisteredPackages", actions=["sagemaker:DescribeModelPackage"], resources=[packages_arn]
            ),
            iam.PolicyStatement(
                sid="SealRegisteredArtifacts",  # versions and digests of this account's packages, read-only
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[artifact_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="DecryptArtifactsThroughS3",
                actions=["kms:Decrypt"],
                resources=[artifact_key.key_arn],
                conditions=through("s3", self),
            ),
        )
        acknowledge_wildcards(
            self.policy,
            {
                packages_arn: Reason(
                    "Read-only (DescribeModelPackage), any version of any model package group of this account, not "
                    "only the road's projects' (naming each would outgrow the managed policy on a road of many "
                    "projects): which version is registered is only known at run time."
                ),
                artifact_bucket.arn_for_objects("*"): Reason(
                    "Read-only, this account's artifact bucket: a package's artifacts may lie under any key."
                ),
            },
        )
        # One rule per project: its events go to the queue in the project's own message group.
        self.registrations = [
            events.Rule(
                self,
                construct_id,
                description=f"Registrations in {group_name} here are sealed",
                # This account's own registry only.
                event_pattern=package_state_change(Stack.of(self).account, group_name, "PendingManualApproval"),
                targets=[self.work_for(group_name)],
            )
            for group_name, construct_id in groups
        ]

    def record_rollbacks(self, stack_prefix: str) -> None:
        """A stage that serves records its serving stacks' rollbacks in its own ledger and pages its topic."""
        log_group = self._log_group("RollbackLogs")
        self.policy.add_statements(vpc_lambda.write_logs("WriteRollbackLogs", log_group))
        self.rollback_function = self._function(
            "RollbackRecorder",
            "promote_model.rollback.handler",
            "Roadway: record a rolled-back serving stack update of this account in the ledger",
            log_group,
        )
        vpc_lambda.acknowledge_no_reservation(
            self.rollback_function,
            Reason(
                "CloudFormation rolls a stack back one update at a time, and each rollback is its own ledger record."
            ),
        )
        stack = Stack.of(self)
        self.rollback_rule = events.Rule(
            self,
            "RollbackRule",
            description="A serving stack here rolled back: record it and tell the alarm topic",
            event_pattern=serving_rollback(stack.region, stack.account, stack_prefix),
            targets=[self.delivery(self.rollback_function)],
        )

    def work_for(self, group_name: str) -> targets.SqsQueue:
        """EventBridge's side of the promoter's work: into the FIFO queue, in ``group_name``'s message group;
        what cannot be delivered in two hours goes to the dead-letter queue."""
        return targets.SqsQueue(
            self.work,
            message_group_id=group_name,
            dead_letter_queue=self.rule_dead_letters,
            retry_attempts=4,
            max_event_age=Duration.hours(2),
        )

    def delivery(self, function: lambda_.IFunction) -> targets.LambdaFunction:
        """EventBridge's side of delivery: retried for two hours, then into the dead-letter queue."""
        return targets.LambdaFunction(
            function, dead_letter_queue=self.rule_dead_letters, retry_attempts=4, max_event_age=Duration.hours(2)
        )

    def _log_group(self, construct_id: str) -> logs.LogGroup:
        return vpc_lambda.log_group(self, construct_id, self._ops_key)

    def _function(
        self, construct_id: str, handler: str, description: str, logs_to: logs.ILogGroup, **extra: Any
    ) -> lambda_.Function:
        made = lambda_.Function(
            self,
            construct_id,
            handler=handler,
            code=self._code,
            # Immutable here: every permission is in the managed policy, none in an inline one.
            role=self.role.without_policy_updates(),
            description=description,
            environment=self._environment,
            timeout=Duration.minutes(15),
            memory_size=512,
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            # After the retries, the event lands here with ErrorMessage/ErrorCode message attributes.
            dead_letter_queue=self.dead_letters,
            layers=self._layers,
            **vpc_lambda.in_the_vpc(self._network, self.security_group, logs_to),
            **extra,
        )
        made.node.add_dependency(self.policy)
        return made
