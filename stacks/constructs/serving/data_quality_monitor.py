"""Model Monitor's data-quality check of an endpoint against the served package's baseline."""

from __future__ import annotations

from aws_cdk import CfnCondition, Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from drift_monitor.contract import REPORTS_PREFIX

from roadway.images import analyzer_image
from stacks.compliance.gate import Reason, acknowledge
from stacks.constructs.foundation.encryption_key import grants_for_aws_resources
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.sagemaker_role import SageMakerRole
from stacks.constructs.serving.model_endpoint import CAPTURE_PREFIX, WatchedEndpoint
from stacks.platform_imports import PlatformImports

_SCHEDULES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}
# Where the built-in analyzer publishes one drift metric per feature (feature_baseline_drift_<name>).
DRIFT_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


class DataQualityMonitor(Construct):
    """Exists while a package with a data-quality baseline is served (``has_monitoring``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        watched: WatchedEndpoint,
        network: IsolatedNetwork,
        platform: PlatformImports,
        region: str,
        schedule_name: str,
        role_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        assert watched.has_monitoring is not None, "Model Monitor runs only while a package with a baseline is served"
        self.schedule_name = schedule_name
        self._watched, self._platform = watched, platform
        self.role = self._role(role_name)
        definition = self._job_definition(network, region)
        self._schedule(definition, watched.has_monitoring)
        self.drift_alarm = self._drift_alarm()

    def _role(self, role_name: str | None) -> SageMakerRole:
        """Reads its own endpoint's captures and the project's baselines, writes its reports."""
        watched, platform = self._watched, self._platform
        endpoint_name = watched.name
        artifact_bucket, artifact_key = platform.artifact_bucket, platform.artifact_key
        data_bucket, data_key = platform.data_bucket, platform.data_key
        # Its own endpoint's captures and reports: another project's captures are not its to read.
        captures = data_bucket.arn_for_objects(f"{CAPTURE_PREFIX}/{endpoint_name}/*")
        reports = data_bucket.arn_for_objects(f"{REPORTS_PREFIX}/{endpoint_name}/*")
        baselines = artifact_bucket.arn_for_objects(f"{watched.artifacts_prefix}/*")
        return SageMakerRole(
            self,
            "Role",
            description=f"Roadway: data-quality monitoring of {endpoint_name}",
            statements=[
                iam.PolicyStatement(sid="ReadCaptures", actions=["s3:GetObject"], resources=[captures]),
                iam.PolicyStatement(sid="ReadBaselines", actions=["s3:GetObject"], resources=[baselines]),
                iam.PolicyStatement(sid="ListCaptures", actions=["s3:ListBucket"], resources=[data_bucket.bucket_arn]),
                iam.PolicyStatement(sid="WriteReports", actions=["s3:PutObject"], resources=[reports]),
                iam.PolicyStatement(
                    sid="UseKeys",
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"],
                    resources=[data_key.key_arn, artifact_key.key_arn],
                ),
                grants_for_aws_resources("GrantsOnlyForAwsResources", [data_key, artifact_key]),
            ],
            wildcards={
                captures: Reason("Captured requests, one object per batch, under the data-capture prefix only."),
                reports: Reason("Monitoring reports, one set per run, under the monitoring-reports prefix only."),
                baselines: Reason(
                    "This project's promoted copies, the served package's baseline statistics and constraints "
                    "among them."
                ),
            },
            in_vpc=True,
            role_name=role_name,  # the capture bucket's policy lets this name read captured requests
        )

    def _job_definition(self, network: IsolatedNetwork, region: str) -> sagemaker.CfnDataQualityJobDefinition:
        """Model Monitor's analyzer on the endpoint's captures against the served baseline, isolated in the VPC."""
        watched, data_bucket, data_key = self._watched, self._platform.data_bucket, self._platform.data_key
        endpoint_name, monitoring = watched.name, watched.monitoring
        statistics_uri, constraints_uri = watched.statistics_uri, watched.constraints_uri
        containers = network.model_containers

        return sagemaker.CfnDataQualityJobDefinition(
            self,
            "JobDefinition",
            endpoint_name=endpoint_name,
            role_arn=self.role.role_arn,
            data_quality_app_specification=sagemaker.CfnDataQualityJobDefinition.DataQualityAppSpecificationProperty(
                image_uri=analyzer_image(region),
            ),
            data_quality_baseline_config=sagemaker.CfnDataQualityJobDefinition.DataQualityBaselineConfigProperty(
                constraints_resource=sagemaker.CfnDataQualityJobDefinition.ConstraintsResourceProperty(
                    s3_uri=constraints_uri
                ),
                statistics_resource=sagemaker.CfnDataQualityJobDefinition.StatisticsResourceProperty(
                    s3_uri=statistics_uri
                ),
            ),
            data_quality_job_input=sagemaker.CfnDataQualityJobDefinition.DataQualityJobInputProperty(
                endpoint_input=sagemaker.CfnDataQualityJobDefinition.EndpointInputProperty(
                    endpoint_name=endpoint_name,
                    local_path="/opt/ml/processing/input",
                    s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated",
                )
            ),
            data_quality_job_output_config=sagemaker.CfnDataQualityJobDefinition.MonitoringOutputConfigProperty(
                kms_key_id=data_key.key_arn,
                monitoring_outputs=[
                    sagemaker.CfnDataQualityJobDefinition.MonitoringOutputProperty(
                        s3_output=sagemaker.CfnDataQualityJobDefinition.S3OutputProperty(
                            local_path="/opt/ml/processing/output",
                            s3_uri=f"s3://{data_bucket.bucket_name}/{REPORTS_PREFIX}/{endpoint_name}",
                            s3_upload_mode="EndOfJob",
                        )
                    )
                ],
            ),
            job_resources=sagemaker.CfnDataQualityJobDefinition.MonitoringResourcesProperty(
                cluster_config=sagemaker.CfnDataQualityJobDefinition.ClusterConfigProperty(
                    instance_count=1,
                    instance_type=monitoring.instance_type,
                    volume_size_in_gb=20,
                    volume_kms_key_id=data_key.key_arn,
                )
            ),
            network_config=sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty(
                enable_inter_container_traffic_encryption=True,
                enable_network_isolation=True,
                vpc_config=sagemaker.CfnDataQualityJobDefinition.VpcConfigProperty(
                    security_group_ids=[containers.security_group_id], subnets=list(network.subnet_ids)
                ),
            ),
            stopping_condition=sagemaker.CfnDataQualityJobDefinition.StoppingConditionProperty(
                max_runtime_in_seconds=3300
            ),
        )

    def _schedule(self, definition: sagemaker.CfnDataQualityJobDefinition, has_monitoring: CfnCondition) -> None:
        """The schedule of the definition; both exist only while a package with a baseline is served."""
        endpoint_name, monitoring = self._watched.name, self._watched.monitoring
        schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=self.schedule_name,
            endpoint_name=endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                # Generated name (a new baseline replaces the definition), read back from its ARN.
                monitoring_job_definition_name=Fn.select(1, Fn.split("/", definition.attr_job_definition_arn)),
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=_SCHEDULES[monitoring.schedule]
                ),
            ),
        )
        acknowledge(
            schedule,
            {
                "Roadway-SM5": Reason(
                    "Config chose monitoring engine model-monitor for this stage: its account must already have "
                    "SageMaker Model Monitor, which AWS closed to new customers. Accounts without it use engine "
                    "roadway (docs/mlops.md, Watching prod for drift)."
                )
            },
        )
        definition.node.add_dependency(self.role.policy)
        for resource in (definition, schedule):
            resource.cfn_options.condition = has_monitoring


    def _drift_alarm(self) -> cloudwatch.Alarm:
        """The largest watched feature's drift, from Model Monitor's own metrics, pages the alarm topic."""
        endpoint_name, monitoring = self._watched.name, self._watched.monitoring
        period = Duration.hours(1 if monitoring.schedule == "hourly" else 24)
        drift = {
            f"f{index}": cloudwatch.Metric(
                namespace=DRIFT_NAMESPACE,
                metric_name=f"feature_baseline_drift_{feature}",
                dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": self.schedule_name},
                statistic="Maximum",
                period=period,
            )
            for index, feature in enumerate(monitoring.watched_features)
        }
        alarm = cloudwatch.Alarm(
            self,
            "DriftAlarm",
            alarm_description=(
                f"{endpoint_name}: a watched feature drifted more than {monitoring.drift_threshold} from the "
                "served package's baseline (see the monitoring report)"
            ),
            metric=cloudwatch.MathExpression(
                expression=f"MAX([{', '.join(drift)}])",
                using_metrics=drift,
                period=period,
                label="largest watched feature drift",
            ),
            threshold=monitoring.drift_threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self._platform.alarm_topic))
        return alarm
