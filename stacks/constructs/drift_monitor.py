"""Roadway's drift job: the served package's baseline against an endpoint's captured requests, in every account.

SageMaker Model Monitor is closed to new AWS customers, so the default watch of a serving stage is this: a Lambda
in the stage's VPC on a schedule, reading the capture bucket, writing a report per window and metrics that page.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from drift_monitor.contract import (
    ENDPOINT_DIMENSION,
    LATEST_REPORT,
    METRIC_NAMESPACE,
    REPORTS_PREFIX,
    VERDICT_METRIC,
    Env,
)

from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs import vpc_lambda
from stacks.constructs.encryption_key import through
from stacks.constructs.https_egress_security_group import HttpsEgressSecurityGroup
from stacks.constructs.isolated_network import IsolatedNetwork
from stacks.constructs.model_endpoint import CAPTURE_PREFIX, VARIANT, WatchedEndpoint
from stacks.constructs.pinned_layer import POWERTOOLS, STATISTICS
from stacks.platform_imports import PlatformImports

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ROOT = ROOT / "lambdas"
# After the hour (or day) closes, so that the files SageMaker writes for its last minutes have landed.
SCHEDULES = {"hourly": events.Schedule.cron(minute="15"), "daily": events.Schedule.cron(minute="30", hour="0")}
WINDOW_MINUTES = {"hourly": 60, "daily": 1440}


class DriftMonitor(Construct):
    """One endpoint's drift job, its role, schedule, failures and alarms.

    It exists from the first deploy and its schedule always runs: each run reads from its own serving stack what is
    served and its baseline (the parameters promotion sets) and does nothing while nothing is. So a promotion
    changes nothing of the job, and the stack's deployer role needs no right over functions or rules.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        watched: WatchedEndpoint,
        network: IsolatedNetwork,
        platform: PlatformImports,
        role_name: str,
        layer_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        endpoint_name, monitoring = watched.name, watched.monitoring
        stack = Stack.of(self)
        own_stack = stack.format_arn(service="cloudformation", resource="stack", resource_name=f"{stack.stack_name}/*")
        artifact_bucket, artifact_key = platform.artifact_bucket, platform.artifact_key
        data_bucket, data_key, alarm_topic = platform.data_bucket, platform.data_key, platform.alarm_topic
        ops_key = platform.ops_key
        via_s3 = through("s3", self)
        capture_prefix = f"{CAPTURE_PREFIX}/{endpoint_name}/{VARIANT}"
        report_prefix = f"{REPORTS_PREFIX}/{endpoint_name}"
        self.reports_uri = f"s3://{data_bucket.bucket_name}/{report_prefix}"
        captures = data_bucket.arn_for_objects(f"{CAPTURE_PREFIX}/{endpoint_name}/*")
        reports = data_bucket.arn_for_objects(f"{report_prefix}/*")
        baselines = artifact_bucket.arn_for_objects(f"{watched.artifacts_prefix}/*")

        self.dead_letters = vpc_lambda.dead_letter_queue(self, ops_key)
        self.security_group = HttpsEgressSecurityGroup(
            self, "SecurityGroup", network=network, description="Drift job: HTTPS to VPC endpoints only"
        )
        log_group = vpc_lambda.log_group(self, "Logs", ops_key)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,  # the capture bucket's policy lets this name read captured requests
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Roadway: the drift job of {endpoint_name}",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Roadway: what the drift job of {endpoint_name} may do",
            roles=[self.role],
            statements=[
                vpc_lambda.write_logs("WriteOwnLogs", log_group),
                iam.PolicyStatement(
                    sid="ListCaptures",
                    actions=["s3:ListBucket"],
                    resources=[data_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{CAPTURE_PREFIX}/{endpoint_name}/*"]}},
                ),
                iam.PolicyStatement(sid="ReadCaptures", actions=["s3:GetObject"], resources=[captures]),
                iam.PolicyStatement(sid="ReadBaselines", actions=["s3:GetObject"], resources=[baselines]),
                iam.PolicyStatement(
                    # What is served and its baseline: the parameters promotion set (the VPC's CloudFormation
                    # endpoint carries the call).
                    sid="ReadWhatItsStackServes",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[own_stack],
                ),
                iam.PolicyStatement(sid="WriteReports", actions=["s3:PutObject"], resources=[reports]),
                iam.PolicyStatement(
                    sid="DecryptCapturesAndBaselines",
                    actions=["kms:Decrypt"],
                    resources=[data_key.key_arn, artifact_key.key_arn],
                    conditions=via_s3,
                ),
                iam.PolicyStatement(
                    sid="EncryptReports",
                    actions=["kms:GenerateDataKey"],
                    resources=[data_key.key_arn],
                    conditions=via_s3,
                ),
                iam.PolicyStatement(
                    sid="PublishDriftMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
                ),
                vpc_lambda.report_failures(self.dead_letters),
                iam.PolicyStatement(
                    sid="EncryptFailures",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[ops_key.key_arn],
                ),
                vpc_lambda.attach_to_the_vpc(),
            ],
        )
        acknowledge_wildcards(
            self.policy,
            {
                "*": Reason(
                    f"{vpc_lambda.ENI_REASON} PutMetricData has no resource type and is limited to the "
                    f"{METRIC_NAMESPACE} namespace by condition."
                ),
                captures: Reason(
                    "Read-only: this endpoint's captured requests, one object per batch, named by SageMaker."
                ),
                baselines: Reason(
                    "Read-only: this project's promoted copies (its baselines among them); which is served is set by "
                    "promotion."
                ),
                reports: Reason("Write-only: one report folder per window under this endpoint's report prefix."),
                own_stack: Reason(
                    "Read-only: its own serving stack, whose ARN ends in an id CloudFormation generates."
                ),
            },
        )

        self.function = lambda_.Function(
            self,
            "Function",
            handler="drift_monitor.handler.handler",
            code=lambda_.Code.from_asset(
                str(LAMBDA_ROOT), exclude=["*", "!drift_monitor", "!drift_monitor/**", "**/__pycache__", "**/*.pyc"]
            ),
            # Powertools for its log lines (one per window's verdict, the scheduled event's id as correlation id).
            layers=[STATISTICS.build(self, "Statistics", layer_name), POWERTOOLS.build(self, "Powertools")],
            role=self.role.without_policy_updates(),
            description=f"Roadway: drift of {endpoint_name}'s captured requests from the served baseline",
            environment={
                Env.ENDPOINT: endpoint_name,
                Env.STACK: stack.stack_name,
                Env.CAPTURE_BUCKET: data_bucket.bucket_name,
                Env.CAPTURE_PREFIX: capture_prefix,
                Env.REPORT_BUCKET: data_bucket.bucket_name,
                Env.REPORT_PREFIX: report_prefix,
                Env.REPORT_KEY: data_key.key_arn,
                Env.NAMESPACE: METRIC_NAMESPACE,
                Env.WATCHED: ",".join(monitoring.watched_features),
                Env.THRESHOLD: str(monitoring.drift_threshold),
                Env.WINDOW_MINUTES: str(WINDOW_MINUTES[monitoring.schedule]),
            },
            # A day of a million single-house requests: 60 s and 685 MiB on a 2-core x86 machine (bench/README.md).
            timeout=Duration.minutes(15),
            memory_size=2048,
            retry_attempts=1,  # then the dead-letter queue, which pages
            dead_letter_queue=self.dead_letters,
            **vpc_lambda.in_the_vpc(network, self.security_group, log_group),
        )
        self.function.node.add_dependency(self.policy)
        vpc_lambda.acknowledge_no_reservation(
            self.function,
            Reason(
                "A run is idempotent (two runs of a window write the same report), so overlapping runs do no harm; "
                "each still costs its Lambda time."
            ),
        )

        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"Roadway: assess {endpoint_name}'s last {monitoring.schedule} window of captured requests",
            schedule=SCHEDULES[monitoring.schedule],
            targets=[
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                )
            ],
        )

        period = Duration.hours(1 if monitoring.schedule == "hourly" else 24)
        self.drift_alarm = cloudwatch.Alarm(
            self,
            "DriftAlarm",
            alarm_description=(
                f"{endpoint_name}: a watched feature or the prediction drifted from the served package's baseline "
                f"(distance above {monitoring.drift_threshold}, or a completeness, type or category check failed; "
                f"see s3://.../{report_prefix}/{LATEST_REPORT})"
            ),
            metric=cloudwatch.Metric(
                namespace=METRIC_NAMESPACE,
                metric_name=VERDICT_METRIC,
                dimensions_map={ENDPOINT_DIMENSION: endpoint_name},
                statistic="Maximum",
                period=period,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        failed = vpc_lambda.failed_alarm(
            self,
            self.dead_letters,
            f"{endpoint_name}: the drift job failed (its event is in the dead-letter queue)",
            Duration.minutes(5),
        )
        for alarm in (self.drift_alarm, failed):
            alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        self.alarms = [self.drift_alarm, failed]
