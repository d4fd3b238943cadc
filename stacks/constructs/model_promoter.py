"""The promotion Lambda of a stage with a next stage, started by an approval in this account's registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from roadway.compliance import acknowledge, nag_resource
from stacks.constructs.https_egress_security_group import HttpsEgressSecurityGroup
from stacks.constructs.isolated_network import IsolatedNetwork

LAMBDA_ROOT = Path(__file__).resolve().parents[2] / "lambdas"
APPROVAL_EVENT = "SageMaker Model Package State Change"
STACK_STATUS_EVENT = "CloudFormation Stack Status Change"
ROLLED_BACK = "UPDATE_ROLLBACK_COMPLETE"


def serving_rollback(region: str, account: str, stack_name: str, *, forwarded: bool) -> events.EventPattern:
    """A serving stack's finished rollback. On the bus it is forwarded to, the event still names the serving
    account; matching it there keeps other accounts' events out."""
    return events.EventPattern(
        source=["aws.cloudformation"],
        detail_type=[STACK_STATUS_EVENT],
        account=[account] if forwarded else None,
        detail={
            "stack-id": [{"prefix": f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/"}],
            "status-details": {"status": [ROLLED_BACK]},
        },
    )


class ModelPromoter(Construct):
    """Approval event -> Lambda (one at a time) -> next account; failures land in a KMS queue and page.

    A second function records rollbacks: the next account forwards its serving stack's rollback event here
    (see PromotionTarget), and the recorder writes it to the ledger and the alarm topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        group_name: str,
        packages_arn: str,
        pipeline_executions_arn: str,
        environment: dict[str, str],
        target_role_arn: str,
        network: IsolatedNetwork,
        ops_key: kms.IKey,
        alarm_topic: sns.ITopic,
        ledger: dynamodb.ITable,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
        target_account: str,
        target_stack_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=ops_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.security_group = HttpsEgressSecurityGroup(
            self,
            "SecurityGroup",
            network=network,
            description="Promotion Lambda: HTTPS to VPC endpoints only",
        )

        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,  # the next account trusts this exact name
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Roadway: promotes approved model packages to the next account",
        )
        log_group, rollback_log_group = (
            logs.LogGroup(
                self,
                name,
                encryption_key=ops_key,
                retention=logs.RetentionDays.ONE_YEAR,
                removal_policy=RemovalPolicy.RETAIN,
            )
            for name in ("Logs", "RollbackLogs")
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Roadway: what the promotion Lambda may do in its own account",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadApprovedPackages",
                    actions=["sagemaker:DescribeModelPackage"],
                    resources=[packages_arn],
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
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="FindWhoStartedThePipeline",  # the author of a pipeline-registered package
                    actions=["sagemaker:DescribePipelineExecution"],
                    resources=[pipeline_executions_arn],
                ),
                iam.PolicyStatement(sid="AssumeNextStageRole", actions=["sts:AssumeRole"], resources=[target_role_arn]),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn, rollback_log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="KeepTheLedger",
                    actions=["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Scan"],
                    resources=[ledger.table_arn],
                ),
                iam.PolicyStatement(
                    sid="TellTheAlarmTopic", actions=["sns:Publish"], resources=[alarm_topic.topic_arn]
                ),
                iam.PolicyStatement(
                    sid="ReportFailures", actions=["sqs:SendMessage"], resources=[self.dead_letters.queue_arn]
                ),
                iam.PolicyStatement(
                    sid="EncryptReportsAndLedger",  # the dead-letter queue, the alarm topic and the ledger
                    actions=["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"],
                    resources=[ops_key.key_arn],
                ),
                iam.PolicyStatement(
                    sid="AttachToTheVpc",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=["*"],
                ),
            ],
        )
        acknowledge(
            policy,
            {
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, packages_arn)}]": (
                    "Any version of the project's own group: which version is approved is only known at run time."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, artifact_bucket.arn_for_objects('*'))}]": (
                    "Read-only, this account's artifact bucket: a package's artifacts may lie under any key."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, pipeline_executions_arn)}]": (
                    "Executions of the project's pipelines only; execution ids are generated per run."
                ),
                "AwsSolutions-IAM5[Resource::*]": "Lambda's VPC network-interface actions support no resource scope.",
            },
        )

        code = lambda_.Code.from_asset(str(LAMBDA_ROOT), exclude=["**/__pycache__", "**/*.pyc", "**/tests", "**/*.md"])

        def function(name: str, handler: str, description: str, logs_to: logs.ILogGroup, **extra: Any) -> Any:
            made = lambda_.Function(
                self,
                name,
                runtime=lambda_.Runtime.PYTHON_3_14,
                architecture=lambda_.Architecture.ARM_64,
                handler=handler,
                code=code,
                # Immutable here: every permission is in the managed policy above, none in an inline one.
                role=self.role.without_policy_updates(),
                description=description,
                environment=environment,
                timeout=Duration.minutes(15),
                memory_size=512,
                retry_attempts=2,
                max_event_age=Duration.hours(6),
                # After the retries, the event lands here with ErrorMessage/ErrorCode message attributes.
                dead_letter_queue=self.dead_letters,
                vpc=network.vpc,
                vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                security_groups=[self.security_group],
                log_group=logs_to,
                logging_format=lambda_.LoggingFormat.JSON,
                **extra,
            )
            made.node.add_dependency(policy)
            return made

        self.function = function(
            "Function",
            "promote_model.handler.handler",
            "Roadway: copy, register and roll out an approved model package in the next account",
            log_group,
            # One promotion at a time: a re-delivered event finds the work of the first (see the handler).
            reserved_concurrent_executions=1,
        )
        self.rollback_function = function(
            "RollbackRecorder",
            "promote_model.rollback.handler",
            "Roadway: record a rolled-back serving stack update of the next account in the ledger",
            rollback_log_group,
            reserved_concurrent_executions=1,  # rollbacks are rare; one at a time keeps the ledger simple
        )
        # The next account forwards its serving stack's rollback to this account's default bus.
        events.CfnEventBusPolicy(
            self,
            "AcceptRollbackEvents",
            statement_id=f"roadway-rollbacks-from-{target_account}",
            statement={
                "Sid": f"roadway-rollbacks-from-{target_account}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{target_account}:root"},
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:{Stack.of(self).region}:{Stack.of(self).account}:event-bus/default",
                # Only the stack status changes the forwarding rule sends, never an approval look-alike.
                "Condition": {
                    "StringEquals": {"events:source": "aws.cloudformation", "events:detail-type": STACK_STATUS_EVENT}
                },
            },
        )
        self.rollback_rule = events.Rule(
            self,
            "RollbackRule",
            description=f"{target_stack_name} in {target_account} rolled back: record it and tell the alarm topic",
            event_pattern=serving_rollback(Stack.of(self).region, target_account, target_stack_name, forwarded=True),
            targets=[self._delivery(self.rollback_function)],
        )

        self.rule = events.Rule(
            self,
            "ApprovalRule",
            description=f"Registrations in {group_name} are sealed; approvals promote to the next account",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                account=[Stack.of(self).account],  # this account's own registry only
                detail_type=[APPROVAL_EVENT],
                detail={
                    "ModelPackageGroupName": [group_name],
                    "ModelApprovalStatus": ["Approved", "PendingManualApproval"],
                },
            ),
            targets=[self._delivery(self.function)],
        )

        failed = cloudwatch.Alarm(
            self,
            "FailedAlarm",
            alarm_description="A promotion failed: its event and reason are in the dead-letter queue",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
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
        for alarm in (failed, errors):
            alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        self.alarms = [failed, errors]

    def _delivery(self, function: lambda_.IFunction) -> targets.LambdaFunction:
        """EventBridge's side of delivery: retried for two hours, then into the dead-letter queue."""
        return targets.LambdaFunction(
            function, dead_letter_queue=self.dead_letters, retry_attempts=4, max_event_age=Duration.hours(2)
        )
