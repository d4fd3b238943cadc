"""Roadway's one configuration file, validated into typed objects before any construct exists.

Everything an adopter may change lives in ``config/roadway.yaml``. It is parsed here, once, and the
resulting :class:`RoadwayConfig` is handed down to stages, stacks and constructs as typed properties,
so no construct reads files or environment variables. Bad input becomes a :class:`ConfigError` whose
message is a single line naming the field and the expected form.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import itertools
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from roadway.images import ANALYZER_REGISTRIES, SKLEARN_REGISTRIES

StageName = Literal["dev", "test", "prod"]
STAGE_NAMES: tuple[StageName, ...] = ("dev", "test", "prod")

# SageMaker's pattern for a Studio code repository's URL (RepositoryUrl, at most 1,024 characters).
# The one Git host isolated subnets reach: CodeCommit's, through its git-codecommit interface endpoint.
_REPOSITORY_URL = re.compile(r"^https://git-codecommit\.([a-z0-9-]+)\.amazonaws\.com/v1/repos/([\w.-]{1,100})$")
# SageMaker's pattern for domain, user profile and model package group names.
_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_AWS_PROFILE = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
# An IAM role or user ARN; `*` may stand for the generated parts of an Identity Center role's path and name.
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/[\w+=,.@/*?-]{1,512}$")

DEFAULT_CONFIG_PATH = Path("config/roadway.yaml")
# IAM Identity Center names a permission set's role AWSReservedSSO_<permission set>_<16-character suffix>.
SSO_SUFFIX = "?" * 16


def _principals(values: list[str]) -> list[str]:
    for value in values:
        if not _PRINCIPAL_ARN.match(value):
            raise ValueError(
                f"expected IAM role or user ARNs like arn:aws:iam::111111111111:role/mlops-approver, got {value!r}"
            )
        name = value.rsplit("/", 1)[-1]
        if name.startswith("AWSReservedSSO_") and name.endswith("*"):
            raise ValueError(
                f"{value!r} ends in *, which also matches other permission sets that begin with the same name "
                f"(RoadwayApprover_ReadOnly for RoadwayApprover); end it with the role's 16-character suffix "
                f"as _{SSO_SUFFIX}"
            )
    if len(set(values)) != len(values):
        raise ValueError("expected each principal once")
    return values


class ConfigError(ValueError):
    """Config problems, each already phrased as the one line a user should read (one line per problem)."""


class _Strict(BaseModel):
    """Unknown keys are typos until proven otherwise, so every model forbids them."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _sagemaker_name(value: str) -> str:
    if not _SAGEMAKER_NAME.match(value):
        raise ValueError(
            f"expected 1-63 letters, digits or hyphens, starting with a letter or digit "
            f"and not ending with a hyphen (SageMaker's name rule), got {value!r}"
        )
    return value


_TEAM_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")


@functools.cache
def _botocore() -> Any:
    """The pinned botocore's data (service models, endpoints), read once: AWS's own lists, offline."""
    from botocore.loaders import Loader

    return Loader()


@functools.cache
def sagemaker_instance_types(shape: str) -> frozenset[str]:
    """The instance types an API of SageMaker takes, from the pinned botocore's service model (the enum of the
    request's shape): a type SageMaker has not is refused at synth, not at deploy. Whether a region offers a type,
    and the account's quota for it, is `roadway doctor`'s check."""
    return frozenset(_botocore().load_service_model("sagemaker", "service-2")["shapes"][shape]["enum"])


@functools.cache
def sagemaker_regions() -> frozenset[str]:
    """The regions of SageMaker's API in every partition, from the pinned botocore's endpoint data."""
    return frozenset(
        region
        for partition in _botocore().load_data("endpoints")["partitions"]
        for region in partition["services"].get("api.sagemaker", {}).get("endpoints", {})
        if region in partition["regions"]
    )


# Where each config field's instance types go: the request shapes whose enum they must be in.
ENDPOINT_TYPES = ("ProductionVariantInstanceType",)  # CreateEndpointConfig's production variants
MONITORING_TYPES = ("ProcessingInstanceType",)  # Model Monitor's jobs are processing jobs
# A team's list is an IAM condition on Studio apps, training and processing jobs: a type for any of them is useful.
TEAM_TYPES = ("AppInstanceType", "TrainingInstanceType", "ProcessingInstanceType")
_USES = {
    "AppInstanceType": "Studio apps",
    "TrainingInstanceType": "training jobs",
    "ProcessingInstanceType": "processing jobs",
    "ProductionVariantInstanceType": "endpoints",
}


def _instance_type(value: str, shapes: tuple[str, ...]) -> str:
    if not any(value in sagemaker_instance_types(shape) for shape in shapes):
        from botocore import __version__ as botocore_version

        uses = " or ".join(", ".join(_USES[shape] for shape in shapes).rsplit(", ", 1))
        raise ValueError(
            f"expected an instance type SageMaker offers for {uses} (botocore {botocore_version}'s list), "
            f"like ml.m5.large, got {value!r}"
        )
    return value


# What a team may run when its entry names nothing: Studio's default JupyterLab size and two general-purpose sizes.
DEFAULT_INSTANCE_TYPES = ("ml.t3.medium", "ml.m5.large", "ml.m5.xlarge")
BUDGET_EMAILS = 10  # AWS Budgets: e-mail subscribers per notification


def _emails(values: list[str]) -> list[str]:
    for value in values:
        if not _EMAIL.match(value):
            raise ValueError(f"expected e-mail addresses like name@example.com, got {value!r}")
    return values


class Team(_Strict):
    """A team of data scientists: the unit of access, instance types and budget."""

    name: str
    """Lower-case letters, digits, hyphens (2-32): it is the ``roadway:team`` tag and the team's S3 prefix."""
    instance_types: Annotated[list[str], Field(min_length=1, max_length=50)] = list(DEFAULT_INSTANCE_TYPES)
    """The only SageMaker instance types the team's notebooks and jobs may run on (an IAM condition)."""
    monthly_budget_usd: Annotated[float, Field(gt=0)] | None = None
    """A monthly AWS Budgets budget of the team's tagged spend: in dev, and in test and prod where the team owns a
    project; empty: none."""
    budget_emails: Annotated[list[str], Field(max_length=BUDGET_EMAILS)] = Field(default_factory=list)
    """Who hears of the team's forecast and actual spend (AWS Budgets e-mails at most 10 per alert);
    empty: the team's members' e-mails."""
    code_repository: str | None = None
    """The team's CodeCommit repository in the dev account and the road's region
    (``https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>``), cloned into every member's JupyterLab
    spaces; empty: none. Studio's subnets reach no Git host but one with a VPC interface endpoint; Roadway adds
    CodeCommit's and lets the team's members pull the repository. Roadway creates no repository, and CodeCommit
    takes no new AWS customers: an account that cannot use it leaves this empty (docs/platform-engineer.md,
    "A team's code repository"; `roadway doctor` checks the repository exists)."""

    @field_validator("code_repository")
    @classmethod
    def _check_repository(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY_URL.match(value):
            raise ValueError(
                "expected a CodeCommit repository URL like https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/"
                f"pricing-models (Studio's isolated subnets reach no other Git host), got {value!r}"
            )
        return value

    def repository(self) -> tuple[str, str] | None:
        """The repository's region and name, when the team has one."""
        found = _REPOSITORY_URL.match(self.code_repository or "")
        return (found.group(1), found.group(2)) if found else None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _TEAM_NAME.match(value):
            raise ValueError(
                f"expected 2-32 lower-case letters, digits or hyphens, starting with a letter, got {value!r}"
            )
        return value

    @field_validator("instance_types")
    @classmethod
    def _check_types(cls, values: list[str]) -> list[str]:
        for value in values:
            _instance_type(value, TEAM_TYPES)
        if len(set(values)) != len(values):
            raise ValueError("expected each instance type once")
        return values

    @field_validator("budget_emails")
    @classmethod
    def _check_emails(cls, values: list[str]) -> list[str]:
        return _emails(values)


class DataScientist(_Strict):
    """One Studio user: onboarding is adding one of these and deploying the dev stage."""

    user_name: str
    team: str
    """The one team this person belongs to (a name from ``teams``): their access, instance types and budget."""
    email: str | None = None

    @field_validator("user_name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _sagemaker_name(value)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"expected an e-mail address like name@example.com, got {value!r}")
        return value


class StudioConfig(_Strict):
    """Studio defaults for every data scientist."""

    idle_shutdown_minutes: Annotated[int, Field(ge=60, le=525600)] = 120
    """JupyterLab spaces stop after this many idle minutes (SageMaker accepts 60 to 525600)."""
    people_stacks: Annotated[int, Field(ge=1, le=64)] = 1
    """How many stacks hold the data scientists' profiles and roles (3 resources each; a stack holds at most 500).
    A person's stack is a fixed function of their user name and this number, so adding someone moves nobody.
    Choose it once, for the platform's expected size: changing it on a deployed road moves profiles between
    stacks, which CloudFormation cannot do in one update (docs/platform-engineer.md). Synth refuses a stack over a
    limit."""


_INSTANCE_ONLY_KEYS = (
    "instance_type",
    "instance_count",
    "min_capacity",
    "max_capacity",
    "target_invocations_per_instance",
    "idle_alarm_hours",
)


class ServerlessServing(_Strict):
    """Serverless inference: no cost when idle, the right default for a staging endpoint.

    SageMaker serverless endpoints support no VPC config, network isolation or data capture; choose
    ``kind: instances`` where those are required.
    """

    kind: Literal["serverless"] = "serverless"
    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: Annotated[int, Field(ge=1, le=200)] = 5

    @model_validator(mode="before")
    @classmethod
    def _no_instance_settings(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in _INSTANCE_ONLY_KEYS:
                if key in data:
                    raise ValueError(f"{key} applies only to kind: instances; serverless scales by max_concurrency")
        return data


class InstanceServing(_Strict):
    """Provisioned instances, for production traffic and blue/green deployments."""

    kind: Literal["instances"] = "instances"
    instance_type: str = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 2
    min_capacity: Annotated[int, Field(ge=1, le=100)] = 2
    max_capacity: Annotated[int, Field(ge=1, le=100)] = 4
    target_invocations_per_instance: Annotated[int, Field(ge=1)] = 200
    idle_alarm_hours: Annotated[int, Field(ge=1, le=168)] | None = 24
    """Page when the endpoint has served no request for this many hours (instances cost money while idle);
    empty: no alarm. CloudWatch evaluates at most 7 days of hourly periods."""

    @field_validator("instance_type")
    @classmethod
    def _check_instance_type(cls, value: str) -> str:
        return _instance_type(value, ENDPOINT_TYPES)

    @model_validator(mode="after")
    def _check_capacity(self) -> InstanceServing:
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity ({self.min_capacity}) must not exceed max_capacity ({self.max_capacity})")
        if not self.min_capacity <= self.instance_count <= self.max_capacity:
            raise ValueError(
                f"instance_count ({self.instance_count}) must lie between min_capacity "
                f"({self.min_capacity}) and max_capacity ({self.max_capacity})"
            )
        return self


class RollbackAlarms(_Strict):
    """Thresholds of the alarms that roll a blue/green deployment back."""

    max_5xx_errors: Annotated[int, Field(ge=1)] = 5
    """Invocation 5XX errors per minute that count as a failed deployment."""
    max_model_latency_ms: Annotated[int, Field(ge=1)] = 500
    """Average model latency in milliseconds that counts as a failed deployment."""
    wait_minutes: Annotated[int, Field(ge=0, le=60)] = 10
    """How long the new fleet must stay healthy before the old one is removed."""


MonitoringEngine = Literal["roadway", "model-monitor"]


class MonitoringConfig(_Strict):
    """The data-quality watch of a serving endpoint: which engine, how often, and which features page."""

    engine: MonitoringEngine = "roadway"
    """``roadway``: Roadway's drift job (a Lambda in the stage's VPC), which works in every account.
    ``model-monitor``: SageMaker Model Monitor's schedule, only for accounts that already have Model Monitor (it is
    closed to new AWS customers)."""
    schedule: Literal["hourly", "daily"] = "hourly"
    instance_type: str = "ml.m5.large"
    """Model Monitor's job instance (``engine: model-monitor`` only)."""

    @field_validator("instance_type")
    @classmethod
    def _check_instance_type(cls, value: str) -> str:
        return _instance_type(value, MONITORING_TYPES)

    watched_features: Annotated[list[str], Field(max_length=10)] = Field(default_factory=list)
    """Features whose drift pages (with the prediction) and gets a metric of its own; every feature is still checked
    and reported. Empty, under ``engine: roadway``: every feature of the served package's baseline statistics, as
    the drift job finds them at run time (the config names no model's columns). ``engine: model-monitor`` alarms on
    named metrics, so it needs them named (CloudWatch alarms on at most 10 metrics)."""
    drift_threshold: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Distribution distance of a feature from the baseline that counts as drift: the largest gap between the two
    cumulative distributions (numbers) or between a category's two shares (strings); 0.1 = a tenth of requests."""

    @model_validator(mode="after")
    def _check_watched(self) -> MonitoringConfig:
        if self.engine == "model-monitor" and not self.watched_features:
            raise ValueError(
                "watched_features: engine model-monitor alarms on the metrics of named features; list up to 10 "
                "(engine roadway watches every feature of the baseline when none is named)"
            )
        return self


class ServingConfig(_Strict):
    """How a serving stage hosts the model it is promoted."""

    endpoint: Annotated[ServerlessServing | InstanceServing, Field(discriminator="kind")]
    data_capture_percent: Annotated[int, Field(ge=0, le=100)] = 0
    rollback: RollbackAlarms = RollbackAlarms()
    monitoring: MonitoringConfig | None = None
    capture_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Captured requests are personal data (buyers' inputs): S3 deletes them, every version, after this many days."""
    capture_readers: list[str] = Field(default_factory=list)
    """IAM principal ARNs of the owning team that may read and delete captured requests (e.g. to erase one
    person's record on request); beside them only the drift job reads them."""

    @field_validator("capture_readers")
    @classmethod
    def _check_readers(cls, values: list[str]) -> list[str]:
        return _principals(values)

    @model_validator(mode="after")
    def _check_serverless_limits(self) -> ServingConfig:
        if isinstance(self.endpoint, ServerlessServing):
            if self.data_capture_percent:
                raise ValueError(
                    "serverless endpoints cannot capture data: set data_capture_percent: 0 or use kind: instances"
                )
            if self.monitoring is not None:
                raise ValueError("monitoring needs data capture, which needs kind: instances")
        elif self.monitoring is not None and not self.data_capture_percent:
            raise ValueError("monitoring needs data_capture_percent above 0 (it analyses captured requests)")
        return self

    @property
    def serverless(self) -> bool:
        return isinstance(self.endpoint, ServerlessServing)


class PromotionGate(_Strict):
    """What a package's registered metrics must show to be promoted into this stage."""

    rmse_log_max: Annotated[float, Field(gt=0)] | None = None
    """Highest RMSE of log(price) the package may have; empty: no absolute limit."""
    max_regression_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    """How much worse (in %) than the version this stage serves now the package may be; empty: no check."""
    max_group_rmse_ratio: Annotated[float, Field(ge=1, le=100)] | None = None
    """Per facet of the project's ``bias``, the largest judged group's RMSE of log price over the smallest's; the
    package's largest may not exceed this. Empty: not judged. Needs ``bias.facets``."""
    max_group_residual: Annotated[float, Field(gt=0, le=1)] | None = None
    """The largest absolute mean signed residual ``log(predicted) - log(sold)`` of any judged group (0.05: a group
    valued about 5 % too high or too low on average). Empty: not judged. Needs ``bias.facets``."""
    require_explanations: bool = False
    """Refuse a package without an explainability report (the pipeline's Governance step writes one)."""

    @property
    def judges_bias(self) -> bool:
        return self.max_group_rmse_ratio is not None or self.max_group_residual is not None


class StageConfig(_Strict):
    """One AWS account on the road."""

    account: str
    vpc_cidr: str
    aws_profile: str | None = None
    """The AWS CLI profile the `roadway` CLI uses for this stage (unset: boto3's default credential chain).
    `make diff` and `make deploy` take theirs from PROFILE=, not from here."""
    alarm_emails: list[str] = Field(default_factory=list)
    """Who is told when this stage's alarms fire (promotion failures, rollbacks, drift)."""
    approvers: list[str] = Field(default_factory=list)
    """IAM principal ARNs (``*`` allowed, e.g. an Identity Center permission set's role) that may assume this
    stage's approver role. Approving here promotes to the next stage, so authors must not be among them."""

    monthly_budget_usd: Annotated[float, Field(gt=0)] | None = None
    """A monthly AWS Budgets budget of the whole account's spend, alerting the alarm topic at 80 % actual and
    100 % forecast; empty: none."""

    break_glass: list[str] = Field(default_factory=list)
    """IAM principal ARNs that may assume this serving stage's break-glass role: withdraw the served package
    (roll back to the one served before it) when no approver is available. Every use is recorded and alarmed."""

    @field_validator("approvers", "break_glass")
    @classmethod
    def _check_principals(cls, values: list[str]) -> list[str]:
        return _principals(values)

    @property
    def approver_accounts(self) -> dict[str, list[str]]:
        """Approver ARN patterns by the account that holds them (one trust statement per account)."""
        return _by_account(self.approvers)

    @property
    def break_glass_accounts(self) -> dict[str, list[str]]:
        return _by_account(self.break_glass)

    @field_validator("alarm_emails")
    @classmethod
    def _check_emails(cls, values: list[str]) -> list[str]:
        return _emails(values)

    @field_validator("account", mode="before")
    @classmethod
    def _check_account(cls, value: Any) -> str:
        text = str(value)
        if not _ACCOUNT.match(text):
            raise ValueError(f"expected a 12-digit AWS account ID (quote it in YAML), got {text!r}")
        return text

    @field_validator("vpc_cidr")
    @classmethod
    def _check_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            raise ValueError(f"expected an IPv4 network like 10.10.0.0/16, got {value!r}") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"expected a prefix between /16 and /24, got {value!r}")
        if not network.is_private:
            raise ValueError(f"expected a private (RFC 1918) range, got {value!r}")
        return str(network)

    @field_validator("aws_profile")
    @classmethod
    def _check_profile(cls, value: str | None) -> str | None:
        if value is not None and not _AWS_PROFILE.match(value):
            raise ValueError(f"expected an AWS CLI profile name, got {value!r}")
        return value


class ProjectStage(_Strict):
    """A project in one receiving account: how it is served there, and what it must show to get there."""

    serving: ServingConfig
    promotion_gate: PromotionGate = PromotionGate()
    """Checked by this stage's promotion before anything is copied from the previous account (a package without
    metrics is always refused)."""


class ProjectStages(_Strict):
    """Where a project is served: test and prod (nothing is served, or promoted into, dev)."""

    test: ProjectStage
    prod: ProjectStage


_FACET_COLUMN = re.compile(r"^[^=,\s][^=,]*$")


class BiasConfig(_Strict):
    """What the pipeline's Governance step groups held-out sales by, and what a group must hold to be judged."""

    facets: list[str] = Field(default_factory=list)
    """Columns of the training data (``Neighborhood``), or bands of a numeric one (``Year.Built=1950,1980,2000``:
    ``< 1950``, ``[1950, 1980)``, ...). The bias report has a section per facet; a gate judges every one."""
    min_group_size: Annotated[int, Field(ge=1, le=100_000)] = 20
    """Groups with fewer held-out sales are pooled into ``other`` and not judged."""

    @field_validator("facets")
    @classmethod
    def _check_facets(cls, values: list[str]) -> list[str]:
        spelled = []
        for value in values:
            column, _, cut = value.partition("=")
            try:
                edges = [float(e) for e in cut.split(",")] if cut else []
            except ValueError:
                edges = [math.nan]
            if not _FACET_COLUMN.match(column.strip()) or not all(math.isfinite(e) for e in edges):
                raise ValueError(
                    f"facet {value!r}: expected a column name, or NAME=EDGE,EDGE,... with numbers for bands"
                )
            if edges != sorted(set(edges)):
                raise ValueError(f"facet {value!r}: the band edges must rise, each once")
            # One spelling, the Governance step's (model_code/bias.py Facet.spelling): the gate finds the report's
            # section by it (tests/test_contract.py holds the two equal).
            spelled.append(column.strip() + ("=" + ",".join(f"{e:g}" for e in edges) if edges else ""))
        twice = sorted({v for v in spelled if spelled.count(v) > 1})
        if twice:
            raise ValueError(f"facets {', '.join(twice)} listed twice")
        return spelled


class Project(_Strict):
    """One model on the road, owned by one team: its registry group in every account, and its endpoint, gate and
    monitoring in test and prod. Onboarding a model is adding one of these."""

    name: str
    """Lower-case letters, digits, hyphens (2-32), not the word ``serving``: the model package group in every
    account; endpoint, stack and role names are derived from it (roadway/naming.py), each checked against its AWS
    limit at synth. The ``original`` project keeps the group it had (SageMaker's rule: 1-63 letters, digits,
    hyphens)."""
    team: str
    """The team (a name from ``teams``) whose members register into this project's group."""
    stages: ProjectStages
    bias: BiasConfig = BiasConfig()
    """The bias report's facets (the pipeline's ``--facet``) and the gates' view of them."""
    original: bool = False
    """The project a road carried before it had projects (Roadway before issue 15): its serving stacks keep their
    names (``<project>-<stage>-serving``), so upgrading replaces nothing. At most one project; a new road sets it on
    none."""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _sagemaker_name(value)  # the stricter rule for new projects needs `original` (RoadwayConfig)

    def stage(self, name: StageName) -> ProjectStage | None:
        """The project in a receiving stage; None in dev, where nothing is served."""
        return None if name == "dev" else getattr(self.stages, name)

    def gate(self, name: StageName) -> dict[str, Any]:
        """The gate as the serving stack states it for the promotion (promote_model/gate.py reads it): the stage's
        thresholds, and the facets and group size the bias report must have been computed with."""
        stage = self.stage(name)
        if stage is None:
            raise ValueError(f"nothing is promoted into {name}")
        return {
            **stage.promotion_gate.model_dump(),
            "bias_facets": self.bias.facets,
            "min_group_size": self.bias.min_group_size,
        }

    @model_validator(mode="after")
    def _check_bias_gates(self) -> Project:
        for name in ("test", "prod"):
            gate = getattr(self.stages, name).promotion_gate
            if gate.judges_bias and not self.bias.facets:
                raise ValueError(
                    f"stages.{name}.promotion_gate judges groups (max_group_rmse_ratio, max_group_residual) but "
                    "bias.facets names none: say which columns group the sales"
                )
        return self


# Keys that moved into projects (issue 15): where each went, for the one line an upgrading user reads.
_MOVED = {
    "model_package_group": "model_package_group: moved: name it as a project (projects: [{name: <group>, team: "
    "<team>, original: true, stages: ...}]); see CHANGELOG.md, issue 15",
}
_MOVED_FROM_STAGES = ("serving", "promotion_gate")


def _by_account(patterns: list[str]) -> dict[str, list[str]]:
    accounts: dict[str, list[str]] = {}
    for value in patterns:
        match = _PRINCIPAL_ARN.match(value)
        assert match is not None  # validated on the field
        accounts.setdefault(match.group(1), []).append(value)
    return accounts


class Stages(_Strict):
    """The road's three accounts, in promotion order."""

    dev: StageConfig
    test: StageConfig
    prod: StageConfig

    @model_validator(mode="after")
    def _check_distinct(self) -> Stages:
        seen: dict[str, str] = {}
        for name in STAGE_NAMES:
            account = getattr(self, name).account
            if account in seen:
                raise ValueError(
                    f"stages {seen[account]} and {name} share account {account}; expected a separate account per stage"
                )
            seen[account] = name
        for name in ("dev", "test"):
            if not getattr(self, name).approvers:
                raise ValueError(
                    f"{name}.approvers: expected at least one IAM principal ARN; approving in {name} "
                    "promotes the package, and authors may not approve their own"
                )
        if self.prod.approvers:
            raise ValueError("prod.approvers: prod is the last stage; nothing approved there moves on")
        for name in ("test", "prod"):
            if not getattr(self, name).break_glass:
                raise ValueError(
                    f"{name}.break_glass: expected at least one IAM principal ARN; someone must be able to withdraw "
                    f"the package {name} serves when no approver is available"
                )
        if self.dev.break_glass:
            raise ValueError("dev.break_glass: dev serves nothing; expected 'break_glass' only under test and prod")
        return self


class PrefixLists(_Strict):
    """The region's AWS-managed prefix lists of the gateway endpoints' services (the same IDs in every account).

    Security groups name them instead of ``0.0.0.0/0``; they are config, not a lookup, so synth stays offline.
    ``aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3``
    prints the S3 one (likewise ``.dynamodb``).
    """

    s3: str
    dynamodb: str

    @field_validator("s3", "dynamodb")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not re.match(r"^pl-[0-9a-f]{8,17}$", value):
            raise ValueError(f"expected a prefix list ID like pl-6da54004, got {value!r}")
        return value


IdentityBinding = Literal["session-tag", "source-identity"]
# IAM's pattern for a tag key (a session tag's key is one).
_TAG_KEY = re.compile(r"^[\w.:/=+@-]{1,128}$")


class IdentityConfig(_Strict):
    """How a person's Roadway name reaches AWS, so an approval and an authorship name the same person.

    A trust can require that a session carry *a* name (``sts:SourceIdentity``) but only the identity provider can
    say *which*: each role a person assumes on the road demands the name the provider asserted for them.
    """

    binding: IdentityBinding
    """``session-tag``: the provider passes the name as a session tag (IAM Identity Center's attributes for access
    control, or a SAML/OIDC ``PrincipalTag``); trusts compare the source identity with ``${aws:PrincipalTag/<tag>}``.
    ``source-identity``: SAML or OIDC federation sets the source identity itself; trusts compare with
    ``${aws:SourceIdentity}``, which no later role assumption can change."""
    tag: str | None = None
    """The session tag's key (``session-tag`` only), e.g. ``roadway-user``; its value is the person's Roadway name."""
    approver_names: list[str] = Field(default_factory=list)
    """The Roadway names of everyone who approves (in any stage), each as the identity provider asserts it; a data
    scientist who also approves is listed here too, under their ``user_name``. The promotion refuses an approval
    by any other name, so an approver's name and an author's are always compared in one namespace. Only the
    receiving stages read it: onboarding a data scientist still deploys dev alone."""
    data_scientist_principals: list[str] = Field(default_factory=list)
    """The data scientists' permission-set roles (ARN patterns, as for ``approvers``); when given, synth refuses an
    approver or break-glass pattern that could also match one of them."""

    @field_validator("approver_names")
    @classmethod
    def _check_names(cls, values: list[str]) -> list[str]:
        for value in values:
            _sagemaker_name(value)
        if len({value.casefold() for value in values}) != len(values):
            raise ValueError("expected each name once (names are compared without case)")
        return values

    @field_validator("data_scientist_principals")
    @classmethod
    def _check_principals(cls, values: list[str]) -> list[str]:
        return _principals(values)

    @model_validator(mode="after")
    def _check_tag(self) -> IdentityConfig:
        if self.binding == "session-tag":
            if not self.tag:
                raise ValueError(
                    "tag: required with binding: session-tag; expected the session tag's key, e.g. roadway-user"
                )
            if not _TAG_KEY.match(self.tag) or self.tag.lower().startswith("aws:"):
                raise ValueError(f"tag: expected a session tag key (1-128 letters, digits, _.:/=+@-), got {self.tag!r}")
        elif self.tag is not None:
            raise ValueError("tag: applies only to binding: session-tag (source-identity carries the name itself)")
        return self

    @property
    def own_name(self) -> str:
        """The IAM policy variable that resolves to the caller's own Roadway name."""
        if self.binding == "session-tag":
            return f"${{aws:PrincipalTag/{self.tag}}}"
        return "${aws:SourceIdentity}"


def _glob_overlap(first: str, second: str) -> bool:
    """Whether some text matches both IAM patterns (``*`` any run, ``?`` one character; ARN-wide, which is wider
    than IAM's per-segment match, so a "no" is safe)."""
    a, b = len(first), len(second)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == a and j == b:
            return True
        x = first[i] if i < a else None
        y = second[j] if j < b else None
        if x == "*":
            stack.append((i + 1, j))
            if y is not None:
                stack.append((i, j + 1))
        if y == "*":
            stack.append((i, j + 1))
            if x is not None:
                stack.append((i + 1, j))
        if x is not None and y is not None and x != "*" and y != "*" and (x == y or "?" in (x, y)):
            stack.append((i + 1, j + 1))
    return False


def _prefix_clash(names: list[str]) -> tuple[str, str] | None:
    """Two names where the first begins the second (``pricing`` and ``pricing-eu``), or None."""
    ordered = sorted(set(names))
    for first, second in itertools.pairwise(ordered):
        if second.startswith(first):
            return first, second
    return None


# IAM's rules for a role's path and a managed policy's name; an account's own policy by ARN names one account.
_ROLE_PATH = re.compile(r"^/(?:[\x21-\x7e]*/)?$")
_POLICY_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/(?:[\x21-\x7e]+/)?[\w+=,.@-]{1,128}$")
# AWS's limits on one resource's tags, the same in the tagging API of every service Roadway tags: 50 tags, keys of
# 1-128 and values of 0-256 letters, digits, spaces and _.:/=+@-, and the aws: prefix reserved.
MAX_TAGS = 50
_ORG_TAG_KEY = re.compile(r"^[\w\s.:/=+@-]{1,128}$")
_ORG_TAG_VALUE = re.compile(r"^[\w\s.:/=+@-]{0,256}$")
# Roadway's own tags (roadway/naming.py spells them) all begin so; at most this many sit on one resource
# (project, stage, team and user on a data scientist's profile and role; a test over every template holds it).
ROADWAY_TAG_PREFIX = "roadway:"
ROADWAY_TAGS_PER_RESOURCE = 4


class IamConfig(_Strict):
    """What an organization's service control policies demand of every role the road creates (CDK's own included):
    a permissions boundary and a path. Neither set: roles as CloudFormation makes them."""

    permissions_boundary: str | None = None
    """A managed policy's name (``org/boundary`` for one under a path), the same name in each account, or the ARN
    of an AWS managed policy."""
    role_path: str | None = None
    """Every role's path, e.g. ``/roadway/``: it is part of each role's ARN, which every policy naming a role
    follows."""

    def boundary_arn(self, account: str) -> str | None:
        """The boundary policy's ARN in ``account`` (a name is looked up there; an AWS managed ARN is the same)."""
        wanted = self.permissions_boundary
        if wanted is None or wanted.startswith("arn:"):
            return wanted
        return f"arn:aws:iam::{account}:policy/{wanted}"

    @field_validator("permissions_boundary")
    @classmethod
    def _check_boundary(cls, value: str | None) -> str | None:
        if value is None or _POLICY_NAME.match(value):
            return value
        arn = _POLICY_ARN.match(value)
        if arn is None:
            raise ValueError(
                "expected a managed policy's name (letters, digits and _+=,.@-, up to 128, e.g. org-boundary) or "
                f"its ARN (arn:aws:iam::aws:policy/...), got {value!r}"
            )
        if arn.group(1) != "aws":
            raise ValueError(
                f"{value!r} is a policy of account {arn.group(1)} alone, and each of the road's three accounts needs "
                "its own: give the policy's name (created under that name in every account)"
            )
        return value

    @field_validator("role_path")
    @classmethod
    def _check_path(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 512 or not _ROLE_PATH.match(value)):
            raise ValueError(
                "expected an IAM path that begins and ends with /, like /roadway/ (at most 512 characters, no "
                f"spaces), got {value!r}"
            )
        return value


def _org_tags(tags: dict[str, str]) -> dict[str, str]:
    """An organization's tags as every resource can carry them beside Roadway's own."""
    room = MAX_TAGS - ROADWAY_TAGS_PER_RESOURCE
    if len(tags) > room:
        raise ValueError(
            f"{len(tags)} tags, and AWS allows {MAX_TAGS} on a resource, {ROADWAY_TAGS_PER_RESOURCE} of which "
            f"Roadway's own take: expected at most {room}"
        )
    folded: dict[str, str] = {}
    for key, value in tags.items():
        if key.lower().startswith(ROADWAY_TAG_PREFIX):
            raise ValueError(f"{key!r}: keys beginning {ROADWAY_TAG_PREFIX} are Roadway's own; choose another key")
        if key.lower().startswith("aws:"):
            raise ValueError(f"{key!r}: keys beginning aws: are reserved by AWS; choose another key")
        if len(key) > 128 or len(value) > 256:
            long, limit = ("key", 128) if len(key) > 128 else ("value", 256)
            raise ValueError(
                f"{key[:40]!r}: the {long} is {len(key if long == 'key' else value)} characters, and AWS allows {limit}"
            )
        if not _ORG_TAG_KEY.match(key):
            raise ValueError(f"{key!r}: expected a key of letters, digits, spaces or _.:/=+@-")
        if not _ORG_TAG_VALUE.match(value):
            raise ValueError(f"{key}: expected a value of letters, digits, spaces or _.:/=+@-, got {value!r}")
        if key.lower() in folded:
            raise ValueError(
                f"{folded[key.lower()]!r} and {key!r} differ only in case, which IAM's tags do not tell apart"
            )
        folded[key.lower()] = key
    return tags


class BucketsConfig(_Strict):
    """What every versioned bucket keeps."""

    noncurrent_version_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """An overwritten or deleted object's old versions are deleted this many days later (current objects, and so
    the artifacts behind registered packages, are never expired by this rule)."""


class RoadwayConfig(_Strict):
    """The whole road, validated."""

    project: str
    region: str
    availability_zones: list[str] = Field(default_factory=list)
    """Zones for every stage's VPC; given here so synth never needs an AWS lookup."""
    prefix_lists: PrefixLists
    stages: Stages
    identity: IdentityConfig
    """How each person's Roadway name reaches AWS (docs/platform-engineer.md, "Identity set-up"): required, because
    four eyes hold only when both halves name people in one namespace."""
    studio: StudioConfig = StudioConfig()
    buckets: BucketsConfig = BucketsConfig()
    teams: Annotated[list[Team], Field(min_length=1)]
    data_scientists: list[DataScientist] = Field(default_factory=list)
    projects: Annotated[list[Project], Field(min_length=1)]
    """The models on the road, each owned by a team; every project travels dev, test, prod."""
    iam: IamConfig = IamConfig()
    tags: dict[str, str] = Field(default_factory=dict)
    """The organization's own tags, on every resource that takes tags and on every stack, beside Roadway's."""

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _org_tags(value)

    @field_validator("project")
    @classmethod
    def _check_project(cls, value: str) -> str:
        if not _PROJECT_NAME.match(value):
            raise ValueError(
                f"expected 3-22 lower-case letters, digits or hyphens, starting with a letter, got {value!r}"
            )
        return value

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        known = sagemaker_regions()
        if not _REGION.match(value) or value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ValueError(
                f"expected an AWS region where SageMaker runs, like eu-west-1 (the pinned botocore's list), "
                f"got {value!r}{hint}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: Any) -> Any:
        """Keys of a road from before projects name where they went, instead of failing as unknown."""
        if not isinstance(data, dict):
            return data
        for key, message in _MOVED.items():
            if key in data:
                raise ValueError(message)
        stages = data.get("stages")
        for stage, settings in stages.items() if isinstance(stages, dict) else ():
            for key in _MOVED_FROM_STAGES:
                if isinstance(settings, dict) and key in settings:
                    raise ValueError(
                        f"stages.{stage}.{key}: moved under projects[].stages.{stage}.{key} (each project has its "
                        "own; a road's model from before projects is one project with original: true); see "
                        "CHANGELOG.md, issue 15"
                    )
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_zones(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("availability_zones") and isinstance(data.get("region"), str):
            data = {**data, "availability_zones": [f"{data['region']}a", f"{data['region']}b"]}
        return data

    @model_validator(mode="after")
    def _check_zones_and_images(self) -> RoadwayConfig:
        """Two zones of the road's region, and the images Roadway runs listed for it."""
        if len(self.availability_zones) < 2:
            raise ValueError("expected at least two availability_zones (Studio and endpoints span two)")
        for zone in self.availability_zones:
            if not re.match(rf"^{re.escape(self.region)}[a-z]$", zone):
                raise ValueError(f"expected zones of region {self.region} like {self.region}a, got {zone!r}")
        if self.region not in SKLEARN_REGISTRIES:
            raise ValueError(
                f"region {self.region}: SageMaker's scikit-learn image is not listed there; add it to roadway/images.py"
            )
        for index, project in enumerate(self.projects):
            for name in ("test", "prod"):
                monitoring = getattr(project.stages, name).serving.monitoring
                if (
                    monitoring is not None
                    and monitoring.engine == "model-monitor"
                    and self.region not in ANALYZER_REGISTRIES
                ):
                    raise ValueError(
                        f"projects[{index}].stages.{name}.serving.monitoring: Model Monitor's analyzer image is not "
                        f"listed for region {self.region}; add it to roadway/images.py or remove "
                        "monitoring"
                    )
        return self

    @model_validator(mode="after")
    def _check_people_and_teams(self) -> RoadwayConfig:
        """Each person and team once, each person in a team, each team's repository and budget reachable."""
        names = [user.user_name for user in self.data_scientists]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(
                    f"data_scientists[{index}].user_name: duplicate user_name {name} (also data_scientists"
                    f"[{names.index(name)}]); expected each data scientist once"
                )
        teams = [team.name for team in self.teams]
        repeated = sorted({name for name in teams if teams.count(name) > 1})
        if repeated:
            raise ValueError(f"teams: {', '.join(repeated)} listed twice; expected each team once")
        for index, team in enumerate(self.teams):
            where = team.repository()
            if where and where[0] != self.region:
                raise ValueError(
                    f"teams[{index}].code_repository: the repository is in {where[0]}, expected the road's region "
                    f"{self.region} (the git-codecommit endpoint serves its own region only)"
                )
        for index, user in enumerate(self.data_scientists):
            if user.team not in teams:
                raise ValueError(
                    f"data_scientists[{index}].team: {user.team!r} is not a team; expected one of {', '.join(teams)}"
                )
        for index, team in enumerate(self.teams):
            addresses = len(self.budget_emails(team.name))
            if team.monthly_budget_usd and addresses > BUDGET_EMAILS:
                raise ValueError(
                    f"teams[{index}].budget_emails: AWS Budgets e-mails at most {BUDGET_EMAILS} addresses per alert "
                    f"and team {team.name}'s members have {addresses}; list up to {BUDGET_EMAILS} (e.g. a team list)"
                )
        return self

    @model_validator(mode="after")
    def _check_projects(self) -> RoadwayConfig:
        """Each project named by the rules its resources' names need, once, of a team, at most one original."""
        teams = [team.name for team in self.teams]
        for index, project in enumerate(self.projects):
            if project.original:
                continue  # it keeps the group it had
            if not _TEAM_NAME.match(project.name):
                raise ValueError(
                    f"projects[{index}].name: expected 2-32 lower-case letters, digits or hyphens, starting with a "
                    f"letter, got {project.name!r} (only the original project keeps a group name outside this rule)"
                )
            if "serving" in project.name.split("-"):
                raise ValueError(
                    f"projects[{index}].name: {project.name!r} holds the word serving, which would make another "
                    "project's serving stack name begin its own (and policies that name one by prefix reach the "
                    "other); choose another name"
                )
        projects = [project.name for project in self.projects]
        twice = sorted({name for name in projects if projects.count(name) > 1})
        if twice:
            raise ValueError(f"projects: {', '.join(twice)} listed twice; expected each project once")
        for kind, listed in (("teams", [team.name for team in self.teams]), ("projects", projects)):
            clash = _prefix_clash(listed)
            if clash:
                raise ValueError(
                    f"{kind}: {clash[0]} begins {clash[1]}; S3 lists every key that begins a prefix, so listing "
                    f"{clash[0]}'s folder would list {clash[1]}'s: choose names where none begins another"
                )
        for index, project in enumerate(self.projects):
            if project.team not in teams:
                raise ValueError(
                    f"projects[{index}].team: {project.team!r} is not a team; expected one of {', '.join(teams)}"
                )
        originals = [project.name for project in self.projects if project.original]
        if len(originals) > 1:
            raise ValueError(
                f"projects: {', '.join(originals)} are all original; expected at most one (the project the road "
                "carried before it had projects)"
            )
        return self

    @model_validator(mode="after")
    def _check_identity(self) -> RoadwayConfig:
        for stage in STAGE_NAMES:
            settings = self.stage(stage)
            for field, patterns in (("approvers", settings.approvers), ("break_glass", settings.break_glass)):
                for index, pattern in enumerate(patterns):
                    author = next(
                        (p for p in self.identity.data_scientist_principals if _glob_overlap(pattern, p)), None
                    )
                    if author is not None:
                        raise ValueError(
                            f"stages.{stage}.{field}[{index}]: {pattern} could also match the data scientists' "
                            f"{author} (identity.data_scientist_principals); an author's session must not reach "
                            "this role"
                        )
        return self

    def team(self, name: str) -> Team:
        return next(team for team in self.teams if team.name == name)

    def members(self, team: str) -> list[DataScientist]:
        return [user for user in self.data_scientists if user.team == team]

    def budget_emails(self, team: str) -> list[str]:
        """Who hears of the team's spend: its ``budget_emails``, else its members' addresses."""
        listed = self.team(team).budget_emails
        return list(listed) if listed else [user.email for user in self.members(team) if user.email]

    def stage(self, name: StageName) -> StageConfig:
        return getattr(self.stages, name)

    def project_named(self, name: str) -> Project:
        return next(project for project in self.projects if project.name == name)

    def projects_of(self, team: str) -> list[Project]:
        return [project for project in self.projects if project.team == team]

    def next_stage(self, name: StageName) -> StageName | None:
        """The stage a package approved in ``name`` is promoted to."""
        index = STAGE_NAMES.index(name)
        return STAGE_NAMES[index + 1] if index + 1 < len(STAGE_NAMES) else None

    def previous_stage(self, name: StageName) -> StageName | None:
        index = STAGE_NAMES.index(name)
        return STAGE_NAMES[index - 1] if index > 0 else None


def _location(loc: tuple[Any, ...], data: Any = None) -> str:
    """Render a pydantic error location as the user wrote it: ``data_scientists[1].user_name``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("serverless", "instances"):
            continue  # the discriminated union's branch name is not a key the user wrote
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _line(detail: Any) -> tuple[str, str]:
    """(where, what) of one pydantic error, in the words config/README.md uses."""
    where = _location(tuple(detail["loc"]), None)
    kind = detail["type"]
    message = str(detail["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "extra_forbidden":
        message = "unknown key; check its spelling against config/README.md"
    elif kind == "missing":
        message = "required but missing"
    elif kind == "union_tag_invalid":
        message = "expected kind: serverless or kind: instances"
    if not detail["loc"] and re.match(r"^[\w.\[\]]+: ", message):
        where, message = message.split(": ", 1)  # a rule across fields that already names the one to change
    return where, message


def errors_of(error: ValidationError) -> list[str]:
    """Every error, once, each naming its field. An unknown key beside a missing one of the same mapping that it
    resembles (``prd`` for ``prod``) is one misspelling, said once."""
    lines = [_line(detail) for detail in error.errors(include_url=False)]
    missing = {where for where, message in lines if message == "required but missing"}
    said: list[str] = []
    meant: set[str] = set()
    for where, message in lines:
        if message.startswith("unknown key"):
            parent, _, key = where.rpartition(".")
            siblings = {m.rpartition(".")[2]: m for m in missing if m.rpartition(".")[0] == parent}
            close = difflib.get_close_matches(key, list(siblings), n=1, cutoff=0.6)
            if close:
                meant.add(siblings[close[0]])
                message = f"unknown key; did you mean {close[0]}?"
        said.append(f"{where}: {message}")
    return list(dict.fromkeys(line for line in said if line.split(": ", 1)[0] not in meant))


def parse_config(data: Any, source: str = "config") -> RoadwayConfig:
    """Validate already-loaded YAML data; raise :class:`ConfigError` with one line per problem on bad input."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        return RoadwayConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError("\n".join(f"{source}: {line}" for line in errors_of(error))) from None


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, first: int, again: int) -> None:
        super().__init__(f"{key} given twice")
        self.key, self.first, self.again = key, first, again


class _ConfigLoader(yaml.SafeLoader):
    """YAML as an adopter means it: a key given twice is refused (YAML keeps the last, so a pasted ``projects:``
    would silently drop every project above it), and a number with a leading zero stays as written (YAML 1.1
    reads ``012345670123`` as an octal number: an account ID no one typed)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<: *defaults`` merges on purpose; keys written beside it override it
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node))
        if re.fullmatch(r"0[0-9_]+", text):
            return text
        return super().construct_yaml_int(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _ConfigLoader.construct_yaml_int)


def _yaml_error(error: yaml.YAMLError, text: str) -> str:
    """What the parser found and where, with the usual cause named."""
    if isinstance(error, _DuplicateKey):
        return (
            f"{error.key!r} is given twice, at line {error.first} and at line {error.again}; YAML would keep only "
            f"the second and drop all the first holds: merge them into one {error.key}:"
        )
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or "not valid YAML"
    if mark is None:
        return f"not valid YAML: {problem}"
    lines = text.splitlines()
    tab = "\t" in (lines[mark.line] if mark.line < len(lines) else "")
    hint = " (a tab: YAML indents with spaces only)" if tab else ""
    return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}{hint}"


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> RoadwayConfig:
    """Read and validate a config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=_ConfigLoader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: {_yaml_error(error, text)}") from None
    return parse_config(data, str(path))
