"""A SageMaker endpoint serving whichever model package CloudFormation is given, or none yet."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnCondition, Duration, Stack, Stage
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from roadway.config import InstanceServing, MonitoringConfig, ServerlessServing, ServingConfig
from stacks.compliance.gate import Reason, acknowledge
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.sagemaker_role import SageMakerRole
from stacks.platform_imports import PlatformImports

VARIANT = "AllTraffic"
# What an instance-backed endpoint's scalable target scales: promotion's deployer may register no other.
SCALED_NAMESPACE = "sagemaker"
SCALED_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
CAPTURE_PREFIX = "data-capture"


@dataclass(frozen=True)
class WatchedEndpoint:
    """What a watch of an endpoint is given: the endpoint, the served package's data-quality baseline (the serving
    stack's parameters, set by promotion), when a watch may run, and how the config says to watch."""

    name: str
    statistics_uri: str
    constraints_uri: str
    has_monitoring: CfnCondition | None  # Model Monitor's schedule only; Roadway's job reads the stack itself
    monitoring: MonitoringConfig
    artifacts_prefix: str  # where the project's promoted copies (and so its baselines) lie in the artifact bucket


class ModelEndpoint(Construct):
    """Model, endpoint config and endpoint exist only while a package ARN is set (``has_model``).

    Instances get blue/green deployments that roll back on the 5XX and latency alarms, and target-tracking
    scaling; serverless gets neither (SageMaker does not offer them there) but keeps the alarms.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_arn: str,
        has_model: CfnCondition,
        endpoint_name: str,
        serving: ServingConfig,
        network: IsolatedNetwork,
        platform: PlatformImports,
        artifacts_prefix: str,
        idle_alarm_name: str,
        role_name: str | None = None,
    ) -> None:
        """``artifacts_prefix``: where this project's promoted copies lie in the artifact bucket; the container
        reads nothing else there (a package's code runs in it, and test's is not network-isolated).
        ``idle_alarm_name``: a contract with promotion's deployer, the one alarm here it may create and delete."""
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self._idle_alarm_name = idle_alarm_name
        self._platform, self._serving = platform, serving
        self.role = self._execution_role(artifacts_prefix, role_name)
        self.model = self._model(model_package_arn, network)
        self.endpoint_config = self._endpoint_config()
        self.alarms = self._alarms(serving, platform.alarm_topic)
        self.endpoint = self._endpoint(has_model)
        endpoint = serving.endpoint
        self.idle_alarm: cloudwatch.Alarm | None = None
        if isinstance(endpoint, InstanceServing):
            self._scaling(endpoint, has_model)
            if endpoint.idle_alarm_hours:
                self.idle_alarm = self._idle_alarm(endpoint.idle_alarm_hours, has_model, platform.alarm_topic)

    def _execution_role(self, artifacts_prefix: str, role_name: str | None) -> SageMakerRole:
        """Reads this project's promoted copies; writes captured requests when capture is on."""
        platform, serving, endpoint_name = self._platform, self._serving, self.endpoint_name
        artifact_bucket, artifact_key = platform.artifact_bucket, platform.artifact_key
        data_bucket, data_key = platform.data_bucket, platform.data_key
        capture = serving.data_capture_percent > 0
        own_artifacts = artifact_bucket.arn_for_objects(f"{artifacts_prefix}/*")
        statements = [
            iam.PolicyStatement(sid="ReadModelArtifacts", actions=["s3:GetObject"], resources=[own_artifacts]),
            iam.PolicyStatement(
                sid="DecryptModelArtifacts",
                actions=["kms:Decrypt"],
                resources=[artifact_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
            ),
        ]
        wildcards: dict[str, Reason] = {
            own_artifacts: Reason(
                "This project's promoted copies only (one folder per version, named at promotion); no other "
                "project's artifacts or evidence."
            )
        }
        if capture:
            captures = data_bucket.arn_for_objects(f"{CAPTURE_PREFIX}/{endpoint_name}/*")  # SageMaker adds the name
            statements += [
                iam.PolicyStatement(sid="WriteCapturedData", actions=["s3:PutObject"], resources=[captures]),
                iam.PolicyStatement(
                    sid="EncryptCapturedData",
                    actions=["kms:GenerateDataKey", "kms:Encrypt"],
                    resources=[data_key.key_arn],
                ),
            ]
            wildcards[captures] = Reason("Data capture writes one object per batch of requests under its own prefix.")
        return SageMakerRole(
            self,
            "ExecutionRole",
            description=f"Roadway: serves {endpoint_name}",
            statements=statements,
            wildcards=wildcards,
            in_vpc=not serving.serverless,
            role_name=role_name,  # data capture writes as this role; the capture bucket's policy names it
        )


    def _model(self, model_package_arn: str, network: IsolatedNetwork) -> sagemaker.CfnModel:
        """The package's model: network-isolated in the VPC where SageMaker can isolate it."""
        endpoint_name, in_vpc = self.endpoint_name, not self._serving.serverless
        vpc_config = None
        if in_vpc:
            vpc_config = sagemaker.CfnModel.VpcConfigProperty(
                security_group_ids=[network.model_containers.security_group_id], subnets=list(network.subnet_ids)
            )
        model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(model_package_name=model_package_arn),
            enable_network_isolation=in_vpc,
            vpc_config=vpc_config,
        )
        model.node.add_dependency(self.role.policy)
        if not in_vpc:
            stage = Stage.of(self)
            where = stage.stage_name.lower() if stage is not None else "this stage"
            acknowledge(
                model,
                {
                    "Roadway-SM1": Reason(
                        f"{where.capitalize()} serves {endpoint_name} serverless, which SageMaker offers no VPC and "
                        f"no network isolation: a package's code runs here with network access. Accepted for {where} "
                        "because only packages approved by a second person reach it (four-eyes check, "
                        "tests/lambdas/promote_model/test_four_eyes.py), their images only from the region's "
                        "SageMaker image accounts or the road's own accounts, the previous stage's and this one's "
                        "(the promotion function's IMAGE_ACCOUNTS, test_images.py), and its role reads only its own "
                        "project's promoted copies (test_each_endpoint_reads_only_its_own_projects_promoted_copies); "
                        "choose kind: instances where that is not enough (docs/threat-model.md)."
                    )
                },
            )
        return model

    def _endpoint_config(self) -> sagemaker.CfnEndpointConfig:
        """One variant (serverless or instances), its storage encrypted, its traffic captured when asked."""
        serving, data_bucket, data_key = self._serving, self._platform.data_bucket, self._platform.data_key
        capture = serving.data_capture_percent > 0
        endpoint = serving.endpoint
        if isinstance(endpoint, ServerlessServing):
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=self.model.attr_model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=endpoint.memory_mb, max_concurrency=endpoint.max_concurrency
                ),
            )
        else:
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=self.model.attr_model_name,
                initial_instance_count=endpoint.instance_count,
                instance_type=endpoint.instance_type,
                initial_variant_weight=1.0,
            )
        data_capture = None
        if capture:
            data_capture = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=serving.data_capture_percent,
                destination_s3_uri=f"s3://{data_bucket.bucket_name}/{CAPTURE_PREFIX}",
                kms_key_id=data_key.key_arn,
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                ],
                capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                    csv_content_types=["text/csv"], json_content_types=["application/json"]
                ),
            )
        config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[variant],
            # Serverless endpoints have no storage volume and reject a KMS key here.
            kms_key_id=None if serving.serverless else data_key.key_arn,
            data_capture_config=data_capture,
        )
        if serving.serverless:
            reason = Reason(
                "A serverless endpoint has no ML storage volume and SageMaker rejects KmsKeyId on its config; the "
                "model artifacts it loads stay encrypted at rest under this account's artifact key."
            )
            acknowledge(
                config,
                {
                    "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured": reason,
                    "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured": reason,
                },
            )
        return config

    def _endpoint(self, has_model: CfnCondition) -> sagemaker.CfnEndpoint:
        """Blue/green on instances, rolled back by the alarms; the three exist only while a package is served."""
        serving, endpoint_name, endpoint = self._serving, self.endpoint_name, self._serving.endpoint
        deployment = None
        if isinstance(endpoint, InstanceServing):
            wait = serving.rollback.wait_minutes * 60
            deployment = sagemaker.CfnEndpoint.DeploymentConfigProperty(
                blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                    traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                        type="ALL_AT_ONCE"
                    ),
                    termination_wait_in_seconds=wait,
                    maximum_execution_timeout_in_seconds=max(1800, wait + 1200),
                ),
                auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                    alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name) for a in self.alarms]
                ),
            )
        made = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=deployment,
        )
        for resource in (self.model, self.endpoint_config, made):
            resource.cfn_options.condition = has_model
        return made

    def _alarms(self, serving: ServingConfig, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        """The alarms a blue/green deployment watches; they also page whoever is on the alarm topic."""
        rollback = serving.rollback
        alarms = [
            self._rollback_alarm(
                "ErrorsAlarm",
                "model returns 5XX errors",
                ("Invocation5XXErrors", "Sum"),
                rollback.max_5xx_errors,
                periods=1,
                at_threshold=True,
            ),
            self._rollback_alarm(
                "LatencyAlarm",
                "model latency too high",
                ("ModelLatency", "Average"),
                rollback.max_model_latency_ms * 1000,  # ModelLatency is in microseconds
                periods=2,
                at_threshold=False,
            ),
        ]
        for alarm in alarms:
            alarm.add_alarm_action(actions.SnsAction(topic))
        return alarms

    def _rollback_alarm(
        self, alarm_id: str, what: str, metric: tuple[str, str], threshold: float, *, periods: int, at_threshold: bool
    ) -> cloudwatch.Alarm:
        """One of the endpoint variant's per-minute metrics past its threshold; no data is no breach."""
        name, statistic = metric
        operator = cloudwatch.ComparisonOperator
        return cloudwatch.Alarm(
            self,
            alarm_id,
            alarm_description=f"{self.endpoint_name}: {what} (rolls a deployment back)",
            metric=cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name=name,
                dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT},
                statistic=statistic,
                period=Duration.minutes(1),
            ),
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=(
                operator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD if at_threshold else operator.GREATER_THAN_THRESHOLD
            ),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _idle_alarm(self, hours: int, has_model: CfnCondition, topic: sns.ITopic) -> cloudwatch.Alarm:
        """Instances cost money whether or not anyone calls them. An endpoint nobody calls emits no Invocations
        datapoints at all, so missing data counts as idle; the alarm exists only while the endpoint does."""
        alarm = cloudwatch.Alarm(
            self,
            "IdleAlarm",
            alarm_name=self._idle_alarm_name,
            alarm_description=(
                f"{self.endpoint_name}: no request served for {hours} h; its instances still cost money "
                "(withdraw it, or scale it down, if it is not needed)"
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="Invocations",
                dimensions_map={"EndpointName": self.endpoint_name, "VariantName": VARIANT},
                statistic="Sum",
                period=Duration.hours(1),
            ),
            threshold=1,
            evaluation_periods=hours,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(topic))
        cfn = alarm.node.default_child
        assert isinstance(cfn, cloudwatch.CfnAlarm)
        cfn.cfn_options.condition = has_model
        return alarm

    def _scaling(self, endpoint: InstanceServing, has_model: CfnCondition) -> None:
        target = autoscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace=SCALED_NAMESPACE,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT}",
            scalable_dimension=SCALED_DIMENSION,
            min_capacity=endpoint.min_capacity,
            max_capacity=endpoint.max_capacity,
        )
        target.node.add_dependency(self.endpoint)
        policy = autoscaling.CfnScalingPolicy(
            self,
            "ScalingPolicy",
            policy_name=f"{self.endpoint_name}-invocations",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=float(endpoint.target_invocations_per_instance),
                predefined_metric_specification=autoscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
            ),
        )
        for resource in (target, policy):
            resource.cfn_options.condition = has_model
