"""The serving stack of test and prod: CloudFormation owns the endpoint, promotion owns one parameter."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, Fn, Stack
from constructs import Construct
from promote_model.contract import Output, Parameter, promoted_prefix

from roadway.config import Project
from roadway.stage_view import StageView
from stacks.constructs.serving.data_quality_monitor import DataQualityMonitor
from stacks.constructs.serving.drift_monitor import DriftMonitor
from stacks.constructs.serving.model_endpoint import ModelEndpoint, WatchedEndpoint
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack

_S3_URI = r"^$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$"


class ServingStack(Stack):
    """Deployable before any model exists: with an empty package parameter there is no endpoint.

    Promotion sets the parameters (keeping the template and every other parameter), so the endpoint never
    drifts from its stack and a later ``cdk deploy`` keeps the promoted model (the CLI reuses parameters).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        view: StageView,
        project: Project,
        platform: PlatformStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        stage, names = view.stage, view.names
        model = names.model(project)
        at = project.stage(stage)
        if at is None:
            raise ValueError(f"nothing is served in {stage}")
        serving = at.serving
        source_account = view.previous_account
        if source_account is None:
            raise ValueError(f"{stage} receives from no stage")
        self.add_stack_dependency(platform)

        shared = PlatformImports.of(self, names, stage)
        artifact_bucket = shared.artifact_bucket

        package = CfnParameter(
            self,
            Parameter.MODEL_PACKAGE,
            type="String",
            default="",
            allowed_pattern=(
                rf"^$|^arn:aws[a-z-]*:sagemaker:{view.region}:{view.account}"
                rf":model-package/{model.model_package_group.lower()}/\d+$"
            ),
            constraint_description="empty, or a version of this account's model package group",
            description="The model package version the endpoint serves; empty deploys no endpoint. Set by promotion.",
        )
        has_model = CfnCondition(self, "HasModel", expression=Fn.condition_not(Fn.condition_equals(package, "")))

        endpoint_name = model.endpoint(stage)
        self.endpoint = ModelEndpoint(
            self,
            "Endpoint",
            model_package_arn=package.value_as_string,
            has_model=has_model,
            endpoint_name=endpoint_name,
            serving=serving,
            role_name=model.serving_role(stage),
            network=platform.network,
            platform=shared,
            artifacts_prefix=promoted_prefix(source_account, model.model_package_group),
            idle_alarm_name=model.idle_alarm(stage),
        )

        self.monitor: DataQualityMonitor | DriftMonitor | None = None
        monitoring = serving.monitoring
        if monitoring is not None:
            constraints, statistics = (
                CfnParameter(
                    self,
                    parameter,
                    type="String",
                    default="",
                    allowed_pattern=_S3_URI,
                    description=f"{document} of the served package's data-quality baseline. Set by promotion.",
                )
                for parameter, document in (
                    (Parameter.BASELINE_CONSTRAINTS, "constraints.json"),
                    (Parameter.BASELINE_STATISTICS, "statistics.json"),
                )
            )
            # Model Monitor's schedule exists only while a package with a baseline is served; Roadway's drift job
            # reads the parameters itself at each run, so nothing of it is conditioned.
            has_monitoring = (
                CfnCondition(
                    self,
                    "HasMonitoring",
                    expression=Fn.condition_and(
                        has_model,
                        Fn.condition_not(Fn.condition_equals(constraints, "")),
                        Fn.condition_not(Fn.condition_equals(statistics, "")),
                    ),
                )
                if monitoring.engine == "model-monitor"
                else None
            )
            watched = WatchedEndpoint(
                endpoint_name,
                statistics.value_as_string,
                constraints.value_as_string,
                has_monitoring,
                monitoring,
                promoted_prefix(source_account, model.model_package_group),
            )
            common = {"watched": watched, "network": platform.network, "platform": shared}
            if monitoring.engine == "model-monitor":
                self.monitor = DataQualityMonitor(
                    self,
                    "Monitor",
                    region=view.region,
                    role_name=model.watch_role(stage, monitoring.engine),
                    schedule_name=model.monitoring_schedule(stage),
                    **common,
                )
            else:
                self.monitor = DriftMonitor(
                    self,
                    "DriftMonitor",
                    role_name=model.watch_role(stage, monitoring.engine),
                    layer_name=model.drift_layer(stage),
                    **common,
                )

        # The promotion reads these from the stack it updates (the stack name is its contract).
        CfnOutput(self, Output.ARTIFACT_BUCKET, value=artifact_bucket.bucket_name)
        CfnOutput(self, "EndpointName", value=endpoint_name)
        # The project's gate in this stage: the promotion reads it here, before anything is copied.
        CfnOutput(self, Output.GATE, value=json.dumps(project.gate(stage), separators=(",", ":")))
        if isinstance(self.monitor, DriftMonitor):
            # `roadway status` reads the last verdict from here (latest.json).
            CfnOutput(self, Output.DRIFT_REPORTS, value=self.monitor.reports_uri)
            # What the drift job could not finish: `roadway doctor` expects it empty.
            CfnOutput(self, Output.DEAD_LETTERS, value=self.monitor.dead_letters.queue_url)
            # The baseline the drift job compares with: it reads these parameters at each run, and an operator
            # reads them here (nothing else in this template depends on them, so a promotion changes no resource
            # of the job).
            CfnOutput(self, "ServedBaselineStatistics", value=statistics.value_as_string)
            CfnOutput(self, "ServedBaselineConstraints", value=constraints.value_as_string)
