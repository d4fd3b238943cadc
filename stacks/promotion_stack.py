"""A stage's part in promotion: sending packages on (dev, test) and receiving them (test, prod)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from roadway.config import RoadwayConfig, StageName
from roadway.naming import Names
from roadway.sagemaker_images import image_accounts
from stacks.constructs.model_promoter import ModelPromoter
from stacks.constructs.promotion_ledger import PromotionLedger
from stacks.constructs.promotion_target import PromotionTarget
from stacks.platform_imports import PlatformImports
from stacks.platform_stack import PlatformStack


def arrival_status(config: RoadwayConfig, stage: StageName) -> str:
    """How a promoted package arrives in ``stage``: pending where someone approves it on, Approved at the end."""
    return "PendingManualApproval" if config.next_stage(stage) else "Approved"


class PromotionStack(Stack):
    """Role names here are contracts between accounts; both sides derive them from ``Names``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: RoadwayConfig,
        stage: StageName,
        platform: PlatformStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = Names.of(config)
        self.add_stack_dependency(platform)

        shared = PlatformImports.of(self, names, stage)
        account = config.stage(stage).account

        self.promoter: ModelPromoter | None = None
        next_stage = config.next_stage(stage)
        if next_stage is not None:
            target_account = config.stage(next_stage).account
            target_role = names.role_arn(target_account, names.promotion_target_role(next_stage))
            gate = config.stage(next_stage).promotion_gate
            self.ledger = PromotionLedger(self, "Ledger", key=shared.ops_key)
            self.promoter = ModelPromoter(
                self,
                "Promoter",
                role_name=names.promoter_role(stage),
                group_name=names.model_package_group,
                packages_arn=names.model_packages_arn(account),
                pipeline_executions_arn=names.pipeline_executions_arn(account),
                target_role_arn=target_role,
                environment={
                    "PROJECT": config.project,
                    "MODEL_PACKAGE_GROUP_NAME": names.model_package_group,
                    "SOURCE_STAGE": stage,
                    "TARGET_STAGE": next_stage,
                    "TARGET_ACCOUNT_ID": target_account,
                    "TARGET_ROLE_ARN": target_role,
                    "TARGET_STACK_NAME": names.serving_stack(next_stage),
                    "TARGET_DEPLOY_ROLE_ARN": names.role_arn(target_account, names.serving_deploy_role(next_stage)),
                    # The last stage has no one left to approve for; its package arrives approved.
                    "TARGET_APPROVAL_STATUS": arrival_status(config, next_stage),
                    "LEDGER_TABLE_NAME": self.ledger.table.table_name,
                    "ALARM_TOPIC_ARN": shared.alarm_topic.topic_arn,
                    # Approvals count only through this role, and never by the package's author.
                    "APPROVER_ROLE_NAME": names.approver_role(stage),
                    # Packages this role registered here came from the previous stage; their author is in
                    # the lineage that stage wrote.
                    "REGISTRAR_ROLE_NAME": names.promotion_target_role(stage),
                    # Images only from the region's SageMaker registries and the road's own accounts.
                    "IMAGE_ACCOUNTS": ",".join(sorted({*image_accounts(config.region), account, target_account})),
                    "GATE_RMSE_LOG_MAX": "" if gate.rmse_log_max is None else str(gate.rmse_log_max),
                    "GATE_MAX_REGRESSION_PCT": "" if gate.max_regression_pct is None else str(gate.max_regression_pct),
                },
                network=platform.network,
                ops_key=shared.ops_key,
                alarm_topic=shared.alarm_topic,
                ledger=self.ledger.table,
                artifact_bucket=shared.artifact_bucket,
                artifact_key=shared.artifact_key,
                target_account=target_account,
                target_stack_name=names.serving_stack(next_stage),
            )
            CfnOutput(self, "DeadLetterQueueUrl", value=self.promoter.dead_letters.queue_url)
            # `roadway status` and `roadway trace` find the ledger through this output.
            CfnOutput(self, "LedgerTableName", value=self.ledger.table.table_name)
            CfnOutput(self, "PromoterFunctionName", value=self.promoter.function.function_name)

        self.target: PromotionTarget | None = None
        previous = config.previous_stage(stage)
        if previous is not None:
            source_account = config.stage(previous).account
            self.target = PromotionTarget(
                self,
                "Target",
                role_name=names.promotion_target_role(stage),
                deployer_role_name=names.serving_deploy_role(stage),
                source_account=source_account,
                source_role_arn=names.role_arn(source_account, names.promoter_role(previous)),
                group_arn=names.model_package_group_arn(account),
                packages_arn=names.model_packages_arn(account),
                serving_stack_name=names.serving_stack(stage),
                endpoint_name=names.endpoint(stage),
                artifact_bucket=shared.artifact_bucket,
                artifact_key=shared.artifact_key,
                data_key=shared.data_key,
                hardened=None if config.stage(stage).serving.serverless else platform.network,  # type: ignore[union-attr]
                arrival_status=arrival_status(config, stage),
            )
