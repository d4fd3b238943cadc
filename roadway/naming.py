"""Physical names that are contracts between accounts, derived in this one place.

Everything else lets CloudFormation generate its name. These cannot: another account (or the
promotion Lambda running there) must know them before anything is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass

from roadway.config import RoadwayConfig, StageName


@dataclass(frozen=True)
class Names:
    """The contract names of one project."""

    project: str
    region: str
    model_package_group: str

    @classmethod
    def of(cls, config: RoadwayConfig) -> Names:
        return cls(config.project, config.region, config.model_package_group)

    def stage_id(self, stage: StageName) -> str:
        """The CDK Stage id: ``Dev``, ``Test``, ``Prod`` (deploy with ``cdk deploy 'Dev/*'``)."""
        return stage.capitalize()

    def stack_name(self, stage: StageName, part: str) -> str:
        """CloudFormation stack name, e.g. ``roadway-test-serving``."""
        return f"{self.project}-{stage}-{part}"

    def serving_stack(self, stage: StageName) -> str:
        """The stack promotion updates; its name is the promotion's contract."""
        return self.stack_name(stage, "serving")

    def promoter_role(self, stage: StageName) -> str:
        """The promotion function's role in ``stage``; the previous account's reader role and artifact bucket
        trust this name, and packages it registers are recognised by it."""
        return f"{self.project}-{stage}-promoter"

    def reader_role(self, stage: StageName) -> str:
        """The read-only role in ``stage`` through which the next stage's promoter reads this group's packages
        and seals (one per model package group)."""
        return f"{self.project}-{stage}-{self.model_package_group}-reader"

    def pipeline_role(self) -> str:
        """The role SageMaker Pipelines runs the project's pipeline with (dev); data scientists may pass it."""
        return f"{self.project}-dev-pipeline"

    def pipeline_job_role(self) -> str:
        """The role of the pipeline's jobs: the only principal that may write the evidence prefix of dev's
        artifact bucket. Only the pipeline role may pass it."""
        return f"{self.project}-dev-pipeline-jobs"

    def approver_role(self, stage: StageName) -> str:
        """The only role that may approve packages in ``stage``; the promotion checks approvals came through it."""
        return f"{self.project}-{stage}-approver"

    def break_glass_role(self, stage: StageName) -> str:
        """The emergency role of a serving stage: it may only reject a package; the promotion function then
        withdraws it from serving, records who did it and pages."""
        return f"{self.project}-{stage}-break-glass"

    def serving_deploy_role(self, stage: StageName) -> str:
        """CloudFormation service role that applies promotions to the serving stack."""
        return f"{self.project}-{stage}-serving-deployer"

    # The serving stack's named resources start with its name, like the ones CloudFormation names there: its
    # deployer role may pass and update ``<serving stack>-*`` and nothing else.

    def serving_role(self, stage: StageName) -> str:
        """The endpoint's execution role: data capture writes as it, and the capture bucket policy names it."""
        return f"{self.serving_stack(stage)}-endpoint"

    def drift_role(self, stage: StageName) -> str:
        """Roadway's drift job: with the owning team, the only reader of captured requests."""
        return f"{self.serving_stack(stage)}-drift"

    def drift_layer(self, stage: StageName) -> str:
        """The drift job's statistics layer (numpy, scipy)."""
        return f"{self.serving_stack(stage)}-drift-statistics"

    def monitor_role(self, stage: StageName) -> str:
        """Model Monitor's job role (``engine: model-monitor``): it reads captured requests too."""
        return f"{self.serving_stack(stage)}-model-monitor"

    def endpoint(self, stage: StageName) -> str:
        """Applications invoke the endpoint by this name, and the rollback alarms watch it."""
        return f"{self.project}-{stage}-{self.model_package_group}"

    def studio_domain(self) -> str:
        """SageMaker requires a domain name; one domain per dev account."""
        return f"{self.project}-studio"

    def export(self, stage: StageName, what: str) -> str:
        """A named CloudFormation export: stable, and readable in cdk-nag finding ids."""
        return f"{self.stack_name(stage, 'platform')}-{what}"

    def role_arn(self, account: str, role_name: str) -> str:
        return f"arn:aws:iam::{account}:role/{role_name}"

    def model_package_group_arn(self, account: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{account}:model-package-group/{self.model_package_group}"

    def pipeline_executions_arn(self, account: str) -> str:
        """Executions of the project's pipelines (the Studio policy lets data scientists run ``{project}-*``)."""
        return f"arn:aws:sagemaker:{self.region}:{account}:pipeline/{self.project}-*/execution/*"

    def model_packages_arn(self, account: str) -> str:
        """Every version in the group (SageMaker lower-cases the group name in package ARNs)."""
        return f"arn:aws:sagemaker:{self.region}:{account}:model-package/{self.model_package_group.lower()}/*"
