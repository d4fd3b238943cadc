"""Roadway's drift job: the served package's baseline against an endpoint's captured requests, in every account.

SageMaker Model Monitor is closed to new AWS customers, so the default watch of a serving stage is this: a Lambda
in the stage's VPC on a schedule, reading the capture bucket, writing a report per window and metrics that page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
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
from stacks.constructs.foundation import vpc_lambda
from stacks.constructs.foundation.encryption_key import through
from stacks.constructs.foundation.https_egress_security_group import HttpsEgressSecurityGroup
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.pinned_layer import POWERTOOLS, STATISTICS
from stacks.constructs.serving.model_endpoint import CAPTURE_PREFIX, VARIANT, WatchedEndpoint
from stacks.platform_imports import PlatformImports

ROOT = Path(__file__).resolve().parents[3]
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
        self._endpoint, self._monitoring, self._platform = watched.name, watched.monitoring, platform
        places = _Places.of(self, watched, platform)
        self.reports_uri = f"s3://{platform.data_bucket.bucket_name}/{places.report_prefix}"
        self.dead_letters = vpc_lambda.dead_letter_queue(self, platform.ops_key)
        self.security_group = HttpsEgressSecurityGroup(
            self, "SecurityGroup", network=network, description="Drift job: HTTPS to VPC endpoints only"
        )
        log_group = vpc_lambda.log_group(self, "Logs", platform.ops_key)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,  # the capture bucket's policy lets this name read captured requests
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Roadway: the drift job of {self._endpoint}",
        )
        self.policy = self._policy(places, log_group)
        self.function = self._function(places, network, log_group, layer_name)
        self.schedule = self._schedule()
        self.drift_alarm, failed = self._alarms(places)
        self.alarms = [self.drift_alarm, failed]

    def _policy(self, places: _Places, log_group: logs.ILogGroup) -> iam.ManagedPolicy:
        """What the job may do: read its captures, baselines and stack, write its reports and metrics."""
        platform, endpoint_name = self._platform, self._endpoint
        data_bucket, data_key, ops_key = platform.data_bucket, platform.data_key, platform.ops_key
        via_s3 = through("s3", self)
        policy = iam.ManagedPolicy(
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
                iam.PolicyStatement(sid="ReadCaptures", actions=["s3:GetObject"], resources=[places.captures]),
                iam.PolicyStatement(sid="ReadBaselines", actions=["s3:GetObject"], resources=[places.baselines]),
                iam.PolicyStatement(
                    # What is served and its baseline: the parameters promotion set (the VPC's CloudFormation
                    # endpoint carries the call).
                    sid="ReadWhatItsStackServes",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[places.own_stack],
                ),
                iam.PolicyStatement(sid="WriteReports", actions=["s3:PutObject"], resources=[places.reports]),
                iam.PolicyStatement(
                    sid="DecryptCapturesAndBaselines",
                    actions=["kms:Decrypt"],
                    resources=[data_key.key_arn, platform.artifact_key.key_arn],
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
            policy,
            {
                "*": Reason(
                    f"{vpc_lambda.ENI_REASON} PutMetricData has no resource type and is limited to the "
                    f"{METRIC_NAMESPACE} namespace by condition."
                ),
                places.captures: Reason(
                    "Read-only: this endpoint's captured requests, one object per batch, named by SageMaker."
                ),
                places.baselines: Reason(
                    "Read-only: this project's promoted copies (its baselines among them); which is served is set by "
                    "promotion."
                ),
                places.reports: Reason("Write-only: one report folder per window under this endpoint's report prefix."),
                places.own_stack: Reason(
                    "Read-only: its own serving stack, whose ARN ends in an id CloudFormation generates."
                ),
            },
        )
        return policy

    def _function(
        self, places: _Places, network: IsolatedNetwork, log_group: logs.ILogGroup, layer_name: str
    ) -> lambda_.Function:
        """The job: Roadway's own code, its statistics and Powertools layers, in the VPC, told where everything is."""
        endpoint_name, monitoring, platform = self._endpoint, self._monitoring, self._platform
        function = lambda_.Function(
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
                Env.STACK: Stack.of(self).stack_name,
                Env.CAPTURE_BUCKET: platform.data_bucket.bucket_name,
                Env.CAPTURE_PREFIX: places.capture_prefix,
                Env.REPORT_BUCKET: platform.data_bucket.bucket_name,
                Env.REPORT_PREFIX: places.report_prefix,
                Env.REPORT_KEY: platform.data_key.key_arn,
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
        function.node.add_dependency(self.policy)
        vpc_lambda.acknowledge_no_reservation(
            function,
            Reason(
                "A run is idempotent (two runs of a window write the same report), so overlapping runs do no harm; "
                "each still costs its Lambda time."
            ),
        )
        return function

    def _schedule(self) -> events.Rule:
        """It always runs: with nothing served it does nothing (see the class's docstring)."""
        monitoring = self._monitoring
        return events.Rule(
            self,
            "Schedule",
            description=f"Roadway: assess {self._endpoint}'s last {monitoring.schedule} window of captured requests",
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

    def _alarms(self, places: _Places) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        """Drift, and a failed run; both page the stage's alarm topic."""
        endpoint_name, monitoring = self._endpoint, self._monitoring
        period = Duration.hours(1 if monitoring.schedule == "hourly" else 24)
        drift = cloudwatch.Alarm(
            self,
            "DriftAlarm",
            alarm_description=(
                f"{endpoint_name}: a watched feature or the prediction drifted from the served package's baseline "
                f"(distance above {monitoring.drift_threshold}, or a completeness, type or category check failed; "
                f"see s3://.../{places.report_prefix}/{LATEST_REPORT})"
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
        for alarm in (drift, failed):
            alarm.add_alarm_action(actions.SnsAction(self._platform.alarm_topic))
        return drift, failed


@dataclass(frozen=True)
class _Places:
    """Where the job reads and writes: its endpoint's captures and reports, the project's baselines, its stack."""

    capture_prefix: str
    report_prefix: str
    captures: str
    reports: str
    baselines: str
    own_stack: str

    @classmethod
    def of(cls, scope: Construct, watched: WatchedEndpoint, platform: PlatformImports) -> _Places:
        stack = Stack.of(scope)
        endpoint_name, data_bucket = watched.name, platform.data_bucket
        report_prefix = f"{REPORTS_PREFIX}/{endpoint_name}"
        return cls(
            capture_prefix=f"{CAPTURE_PREFIX}/{endpoint_name}/{VARIANT}",
            report_prefix=report_prefix,
            captures=data_bucket.arn_for_objects(f"{CAPTURE_PREFIX}/{endpoint_name}/*"),
            reports=data_bucket.arn_for_objects(f"{report_prefix}/*"),
            baselines=platform.artifact_bucket.arn_for_objects(f"{watched.artifacts_prefix}/*"),
            own_stack=stack.format_arn(
                service="cloudformation", resource="stack", resource_name=f"{stack.stack_name}/*"
            ),
        )
