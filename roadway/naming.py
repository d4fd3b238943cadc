"""Physical names that are contracts between accounts, derived in this one place.

Everything else lets CloudFormation generate its name. These cannot: another account (or the
promotion Lambda running there) must know them before anything is deployed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from promote_model.contract import PIPELINE_PREFIX

from roadway.config import STAGE_NAMES, ConfigError, Project, RoadwayConfig, StageName

# Cost-allocation and access tags: one spelling for the stacks, the policies that test them and the budgets that
# filter on them (the payer account activates these keys).
PROJECT_TAG = "roadway:project"
STAGE_TAG = "roadway:stage"
TEAM_TAG = "roadway:team"
USER_TAG = "roadway:user"

# AWS's longest names (characters) for the names Roadway sets itself.
IAM_ROLE_NAME = 64
SAGEMAKER_NAME = 63  # endpoints, monitoring schedules, domains, model package groups
STACK_NAME = 128
BUDGET_NAME = 100
ALARM_NAME = 255  # CloudWatch: AlarmName
LAYER_NAME = 140
PIPELINE_NAME = 256


@dataclass(frozen=True)
class Names:
    """The contract names of one road: its accounts' shared roles, stacks and exports."""

    project: str
    region: str
    role_path: str = "/"
    """Every Roadway role's IAM path (``iam.role_path``): part of its ARN, never of its name or of a session's ARN."""

    @classmethod
    def of(cls, config: RoadwayConfig) -> Names:
        return cls(config.project, config.region, config.iam.role_path or "/")

    def model(self, project: Project) -> ModelNames:
        """The names of one model project on this road."""
        return ModelNames(self.project, self.region, project.name, project.original)

    def every_model(self) -> ModelNames:
        """Names with ``*`` where the project's name goes: IAM and S3 patterns that cover every project's resource
        (the ``original`` project's too), for policies that would outgrow their size limit listing each one."""
        return ModelNames(self.project, self.region, WILDCARD, False)

    def model_named(self, group: str) -> ModelNames:
        """Names with ``group`` in the project's place, e.g. a placeholder the promotion function fills in with
        the group of the event it takes (one spelling, these methods, for both sides)."""
        return ModelNames(self.project, self.region, group, False)

    def stage_id(self, stage: StageName) -> str:
        """The CDK Stage id: ``Dev``, ``Test``, ``Prod`` (deploy with ``cdk deploy 'Dev/*'``)."""
        return stage.capitalize()

    def stack_name(self, stage: StageName, part: str) -> str:
        """CloudFormation stack name, e.g. ``roadway-test-promotion``."""
        return f"{self.project}-{stage}-{part}"

    def promoter_role(self, stage: StageName) -> str:
        """The promotion function's role in ``stage``; the previous account's reader roles and artifact bucket
        trust this name, and packages it registers are recognised by it."""
        return f"{self.project}-{stage}-promoter"

    def approver_role(self, stage: StageName) -> str:
        """The only role that may approve packages in ``stage``; the promotion checks approvals came through it."""
        return f"{self.project}-{stage}-approver"

    def break_glass_role(self, stage: StageName) -> str:
        """The emergency role of a serving stage: it may only reject a package; the promotion function then
        withdraws it from serving, records who did it and pages."""
        return f"{self.project}-{stage}-break-glass"

    def people_stack(self, index: int) -> str:
        """The stack of the data scientists whose :func:`people_stack_index` is ``index``; index 0 is the Studio
        stack itself (where everyone lived before people were spread over stacks), so a one-stack road keeps its
        profiles where they are."""
        return self.stack_name("dev", "studio" if index == 0 else f"people-{index}")

    def budget(self, stage: StageName, team: str | None = None) -> str:
        """The AWS Budgets budget of the account (``team`` None) or of one team in it; alert e-mails name it."""
        return self.stack_name(stage, f"team-{team}" if team else "account")

    def studio_export(self, what: str) -> str:
        """A named export of the Studio stack, which people stacks import (CDK's own exports would vanish with
        their last importer, and CloudFormation refuses to delete an export still imported elsewhere)."""
        return f"{self.people_stack(0)}-{what}"

    def studio_domain(self) -> str:
        """SageMaker requires a domain name; one domain per dev account."""
        return f"{self.project}-studio"

    def export(self, stage: StageName, what: str) -> str:
        """A named CloudFormation export: stable, and readable in cdk-nag finding ids."""
        return f"{self.stack_name(stage, 'platform')}-{what}"

    def role_arn(self, account: str, role_name: str) -> str:
        """A role of the road by its ARN, which carries the road's role path: what trust policies, PassRole, resource
        policies' principals and ``aws:PrincipalArn`` conditions name (a role session's ARN carries no path)."""
        return role_arn(account, role_name, self.role_path)

    def team_prefix(self, team: str) -> str:
        """A team's own folder in dev's data and artifact buckets: its members read all of it, and nobody else
        (the team's shared workspace: datasets, code, notebooks' outputs); each writes only their own folder in it."""
        return f"{TEAMS_PREFIX}/{team}"

    def person_prefix(self, team: str, user: str) -> str:
        """A member's own folder in the team's: only they write there, so the code a pipeline run names there is
        theirs (the promotion takes its owner as the run's author)."""
        return f"{self.team_prefix(team)}/{user}"


WILDCARD = "*"
TEAMS_PREFIX = "teams"


# CDK's bootstrap stack (the assembly's DefaultStackSynthesizer default qualifier; a test holds them equal) and its
# roles, cdk-<qualifier>-<kind>-role-<account>-<region>, which the stacks are deployed through.
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_ROLE_KINDS = ("deploy", "cfn-exec", "file-publishing", "image-publishing", "lookup")


def bootstrap_roles(account: str, region: str, kind: str | None = None) -> list[str]:
    """The five bootstrap roles' names, or ``kind``'s alone (``*``: a pattern of all five)."""
    kinds = BOOTSTRAP_ROLE_KINDS if kind is None else (kind,)
    return [f"cdk-{BOOTSTRAP_QUALIFIER}-{k}-role-{account}-{region}" for k in kinds]


def role_arn(account: str, role_name: str, path: str = "/") -> str:
    """An IAM role's ARN: ``path`` (``/`` or ``/a/b/``) sits between ``role`` and the name."""
    return f"arn:aws:iam::{account}:role{path}{role_name}"


class Exported:
    """What a stage's platform stack exports (:meth:`Names.export`): its other stacks import these, and
    ``roadway doctor`` finds the stage's alarm topic and ops key by them."""

    ARTIFACT_BUCKET = "artifact-bucket-arn"
    DATA_BUCKET = "data-bucket-arn"
    ARTIFACT_KEY = "artifact-key-arn"
    DATA_KEY = "data-key-arn"
    OPS_KEY = "ops-key-arn"
    ALARM_TOPIC = "alarm-topic-arn"


def stage_stacks(config: RoadwayConfig, stage: StageName) -> list[str]:
    """Every stack of ``stage``, in deploy order (stacks/stage.py builds exactly these; a test holds the two
    equal): what ``roadway doctor`` expects to find deployed."""
    names = Names.of(config)
    stacks = [names.stack_name(stage, "platform")]
    if stage == "dev":
        stacks += [names.people_stack(index) for index in range(config.studio.people_stacks)]
        stacks.append(names.stack_name(stage, "pipelines"))
    else:
        stacks += [names.model(project).serving_stack(stage) for project in config.projects]
    stacks.append(names.stack_name(stage, "promotion"))
    return stacks


def serving_deployer(serving_stack: str) -> str:
    """The deployer role of a serving stack, by the stack's name (the promotion function derives it the same way,
    from a pattern this writes)."""
    return f"{serving_stack}-deployer"


@dataclass(frozen=True)
class ModelNames:
    """The contract names of one model project: its group in every account, its serving stack, endpoint and roles
    in test and prod, and the reader role through which the next account reads its packages."""

    project: str
    region: str
    model_package_group: str
    original: bool = False

    def serving_stack(self, stage: StageName) -> str:
        """The stack promotion updates; its name is the promotion's contract. The ``original`` project keeps the
        name it had before the road had projects."""
        # The wildcard matches the original's name too.
        middle = WILDCARD if self.model_package_group == WILDCARD else self._middle()
        return f"{self.project}-{stage}-{middle}serving"

    def serving_deploy_role(self, stage: StageName) -> str:
        """CloudFormation service role that applies promotions to the project's serving stack (and nothing else)."""
        return serving_deployer(self.serving_stack(stage))

    def reader_role(self, stage: StageName) -> str:
        """The read-only role in ``stage`` through which the next stage's promoter reads this group's packages
        and seals (one per model package group)."""
        return f"{self.project}-{stage}-{self.model_package_group}-reader"

    # The serving stack's named resources start with its name, like the ones CloudFormation names there.

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

    def watch_role(self, stage: StageName, engine: str) -> str:
        """The role of the job that watches the endpoint under ``engine``: Model Monitor's, or Roadway's drift job."""
        return self.monitor_role(stage) if engine == "model-monitor" else self.drift_role(stage)

    def endpoint(self, stage: StageName) -> str:
        """Applications invoke the endpoint by this name, and the rollback alarms watch it."""
        return f"{self.project}-{stage}-{self.model_package_group}"

    def idle_alarm(self, stage: StageName) -> str:
        """The idle alarm exists only while a model is served, so promotion's deployer creates and deletes it: by
        this name, the only alarm of the serving stack that deployer may touch (not the rollback or drift alarms)."""
        return f"{self.endpoint(stage)}-idle"

    def monitoring_schedule(self, stage: StageName) -> str:
        """Model Monitor's schedule of the endpoint (``engine: model-monitor``)."""
        return f"{self.endpoint(stage)}-data-quality"

    # The project's pipeline in dev: its name, the role Pipelines runs it with, its jobs' role and where they
    # write. The ``original`` project keeps the roles every team shared before pipelines were per project.

    def pipeline(self) -> str:
        """The project's SageMaker pipeline (lower case: SageMaker lower-cases names in pipeline ARNs)."""
        return f"{self.project}-{self.model_package_group}".lower()

    def pipeline_role(self) -> str:
        """The role SageMaker Pipelines runs the project's pipeline with; only the owning team may pass it."""
        return f"{self.project}-dev-{self._middle()}pipeline"

    def pipeline_job_role(self) -> str:
        """The role of the pipeline's jobs: the one writer of the project's evidence prefix. Only the pipeline
        role may pass it."""
        return f"{self.pipeline_role()}-jobs"

    def evidence_prefix(self) -> str:
        """Where the project's pipeline jobs write in dev's artifact bucket, one folder per execution: the only
        place a package's artifacts may come from."""
        return f"{PIPELINE_PREFIX}/{self.model_package_group}"

    def pipeline_arn(self, account: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{account}:pipeline/{self.pipeline()}"

    def pipeline_executions_arn(self, account: str) -> str:
        return f"{self.pipeline_arn(account)}/execution/*"

    def _middle(self) -> str:
        return "" if self.original else f"{self.model_package_group}-"

    def model_package_group_arn(self, account: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{account}:model-package-group/{self.model_package_group}"

    def model_package_arn(self, account: str, version: int | str) -> str:
        """One version in the group (SageMaker lower-cases the group name in package ARNs)."""
        return f"arn:aws:sagemaker:{self.region}:{account}:model-package/{self.model_package_group.lower()}/{version}"

    def model_packages_arn(self, account: str) -> str:
        """Every version in the group."""
        return self.model_package_arn(account, "*")


def people_stack_index(user_name: str, stacks: int) -> int:
    """Which of ``stacks`` people stacks holds this person: a fixed function of the name alone, so adding or
    removing someone never moves anyone else (a moved profile is a deleted home directory). SHA-256, not
    ``hash()``: Python salts string hashes per process."""
    return int.from_bytes(hashlib.sha256(user_name.encode()).digest()[:8], "big") % stacks


def physical_names(config: RoadwayConfig) -> list[tuple[str, str, int, str]]:
    """Every name Roadway sets in AWS, with its kind, AWS's limit and who sets that limit."""
    names = Names.of(config)
    found: list[tuple[str, str, int, str]] = [
        ("Studio domain name", names.studio_domain(), SAGEMAKER_NAME, "SageMaker"),
        ("pipelines stack", names.stack_name("dev", "pipelines"), STACK_NAME, "CloudFormation"),
        *(
            ("people stack", names.people_stack(index), STACK_NAME, "CloudFormation")
            for index in range(config.studio.people_stacks)
        ),
        *(
            ("team budget", names.budget(stage, team.name), BUDGET_NAME, "AWS Budgets")
            for team in config.teams
            for stage in STAGE_NAMES
        ),
    ]
    for stage in STAGE_NAMES:
        found += [
            ("stack name", names.stack_name(stage, part), STACK_NAME, "CloudFormation")
            for part in ("platform", "promotion")
        ]
        found += [
            ("promotion role", names.promoter_role(stage), IAM_ROLE_NAME, "IAM"),
            ("approver role", names.approver_role(stage), IAM_ROLE_NAME, "IAM"),
            ("break-glass role", names.break_glass_role(stage), IAM_ROLE_NAME, "IAM"),
            ("account budget", names.budget(stage), BUDGET_NAME, "AWS Budgets"),
        ]
    for project in config.projects:
        model = names.model(project)
        found += [
            ("model package group", model.model_package_group, SAGEMAKER_NAME, "SageMaker"),
            ("pipeline role", model.pipeline_role(), IAM_ROLE_NAME, "IAM"),
            ("pipeline job role", model.pipeline_job_role(), IAM_ROLE_NAME, "IAM"),
            ("pipeline name", model.pipeline(), PIPELINE_NAME, "SageMaker"),
        ]
        for stage in STAGE_NAMES:
            found.append(("reader role", model.reader_role(stage), IAM_ROLE_NAME, "IAM"))
            if stage == "dev":
                continue
            found += [
                ("serving stack name", model.serving_stack(stage), STACK_NAME, "CloudFormation"),
                ("serving deployer role", model.serving_deploy_role(stage), IAM_ROLE_NAME, "IAM"),
                ("endpoint role", model.serving_role(stage), IAM_ROLE_NAME, "IAM"),
                ("drift job role", model.drift_role(stage), IAM_ROLE_NAME, "IAM"),
                ("Model Monitor role", model.monitor_role(stage), IAM_ROLE_NAME, "IAM"),
                ("drift layer", model.drift_layer(stage), LAYER_NAME, "Lambda"),
                ("endpoint name", model.endpoint(stage), SAGEMAKER_NAME, "SageMaker"),
                ("monitoring schedule name", model.monitoring_schedule(stage), SAGEMAKER_NAME, "SageMaker"),
                ("idle alarm name", model.idle_alarm(stage), ALARM_NAME, "CloudWatch"),
            ]
    return found


def too_long(config: RoadwayConfig) -> list[tuple[str, str, int, str]]:
    """The names that exceed their limit, in :func:`physical_names`' order."""
    return [entry for entry in physical_names(config) if len(entry[1]) > entry[2]]


def check_names(config: RoadwayConfig, source: str = "config") -> RoadwayConfig:
    """Refuse, in one line naming the config file, a config whose names would exceed an AWS limit: CloudFormation
    would fail only at deploy time, in the account, part-way through. Returns the config, checked."""
    for kind, name, limit, authority in too_long(config)[:1]:
        projects = [p.name for p in config.projects if p.name in name]
        made_of = f"project {config.project!r}" + (f", projects[].name {projects[0]!r}" if projects else "")
        raise ConfigError(
            f"{source}: the {kind} {name!r} is {len(name)} characters long and {authority} allows {limit}: shorten the "
            f"names it is made of ({made_of})"
        )
    return config
