"""The road's accounts as the CLI reaches them: one session per stage with the credentials the options chose,
its stacks and ledger read once per command, and the last monitoring verdict of a watched endpoint. ``roadway
status``, ``trace`` and ``doctor`` share it; every problem it meets is one line naming the stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)
from drift_monitor.contract import LATEST_REPORT
from promote_model.aws import MISSING_STACK, S3Object, assumed, outputs_of
from promote_model.contract import Output
from promote_model.ledger import Ledger

from roadway.config import STAGE_NAMES, Project, RoadwayConfig, StageName
from roadway.naming import Names, role_arn
from roadway.timestamps import iso_utc


class CliError(Exception):
    """One line for the operator; raised for anything they can fix."""


def failure(stage: StageName, what: str, error: Exception) -> CliError:
    """One line that says which kind of problem it is: no credentials, no network path, or AWS said no."""
    if isinstance(error, NoCredentialsError):
        return CliError(f"{stage}: {what}: no credentials ({_one_line(error)})")
    if isinstance(error, ProfileNotFound):
        return CliError(f"{stage}: no credentials: {what} is not configured (aws configure sso, or --role-name)")
    if isinstance(error, EndpointConnectionError):
        return CliError(f"{stage}: {what}: cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}")
    return CliError(f"{stage}: {what} failed: {_one_line(error)}")


@dataclass
class Road:
    """Clients per stage, made on first use, with the credentials the options chose."""

    config: RoadwayConfig
    endpoint_url: str | None = None
    role_name: str | None = None
    _sessions: dict[str, boto3.session.Session] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _ledgers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _stacks: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    @property
    def names(self) -> Names:
        return Names.of(self.config)

    def stage_of_account(self, account: str) -> StageName:
        for stage in STAGE_NAMES:
            if self.config.stage(stage).account == account:
                return stage
        raise CliError(f"account {account} is no stage of this road (config: {', '.join(STAGE_NAMES)})")

    def client(self, stage: StageName, service: str) -> Any:
        """One client per stage and service for the whole command (a test may stub it with botocore's Stubber)."""
        if (stage, service) not in self._clients:
            self._clients[(stage, service)] = self._session(stage).client(service, endpoint_url=self.endpoint_url)
        return self._clients[(stage, service)]

    def _session(self, stage: StageName) -> boto3.session.Session:
        if stage not in self._sessions:
            settings = self.config.stage(stage)
            try:
                if self.role_name:
                    base = boto3.session.Session(region_name=self.config.region)
                    sts = base.client("sts", endpoint_url=self.endpoint_url)
                    role = role_arn(settings.account, self.role_name)  # the operator's own role: not Roadway's path
                    session = assumed(sts, role, "roadway-cli", self.config.region)
                else:
                    session = boto3.session.Session(profile_name=settings.aws_profile, region_name=self.config.region)
            except (BotoCoreError, ClientError) as error:
                how = (
                    f"assuming role {self.role_name}"
                    if self.role_name
                    else f"profile {settings.aws_profile or 'default'}"
                )
                raise failure(stage, how, error) from None
            self._sessions[stage] = session
        return self._sessions[stage]

    def credentials(self, stage: StageName) -> str:
        """How the stage's credentials were chosen, in the words of the options (for one-line errors)."""
        if self.role_name:
            return f"role {self.role_name}"
        return f"profile {self.config.stage(stage).aws_profile or 'default'}"

    def profile_region(self, stage: StageName) -> str | None:
        """The region the stage's profile (or the environment) names, which `aws` commands with it would use;
        this road's sessions use the config's region whatever it says."""
        profile = None if self.role_name else self.config.stage(stage).aws_profile
        try:
            return boto3.session.Session(profile_name=profile).region_name
        except (BotoCoreError, ClientError):
            return None

    def call(self, stage: StageName, service: str, operation: str, **request: Any) -> Any:
        """One API call; a credentials or access problem becomes one line naming the stage."""
        try:
            return getattr(self.client(stage, service), operation)(**request)
        except (BotoCoreError, ClientError) as error:
            raise failure(stage, f"{service} {operation}", error) from None

    def stack(
        self, stage: StageName, name: str, describe: Callable[[], dict[str, Any] | None] | None = None
    ) -> dict[str, Any] | None:
        """The stack, or None when it is not deployed; described once per command (status reads the serving
        stack for the endpoint and for the drift reports), by ``describe`` when the caller reads it its own way."""
        if (stage, name) not in self._stacks:
            self._stacks[(stage, name)] = describe() if describe else self._describe_stack(stage, name)
        return self._stacks[(stage, name)]

    def _describe_stack(self, stage: StageName, name: str) -> dict[str, Any] | None:
        client = self.client(stage, "cloudformation")
        try:
            return stack_or_none(lambda: client.describe_stacks(StackName=name))
        except (BotoCoreError, ClientError) as error:
            raise failure(stage, "cloudformation describe_stacks", error) from None

    def ledger(self, stage: StageName) -> list[dict[str, Any]]:
        """The promotion ledger of ``stage`` (the promotions into it, and the seals of what it registered), oldest
        first; [] without one. Read once per command."""
        if stage not in self._ledgers:
            self._ledgers[stage] = self._read_ledger(stage)
        return self._ledgers[stage]

    def _read_ledger(self, stage: StageName) -> list[dict[str, Any]]:
        stack = self.stack(stage, self.names.stack_name(stage, "promotion"))
        table = outputs_of(stack).get(Output.LEDGER_TABLE)
        if not table:
            return []
        try:
            return Ledger(self.client(stage, "dynamodb"), table).entries()
        except (BotoCoreError, ClientError) as error:
            raise failure(stage, f"reading the promotion ledger {table}", error) from None


def stack_or_none(describe: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The one stack a ``describe_stacks`` call answers, or None where CloudFormation says it is not there (the error
    code botocore's StackExists waiter waits through, MISSING_STACK); any other error is the caller's to word."""
    try:
        (stack,) = describe()["Stacks"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == MISSING_STACK:
            return None
        raise
    return dict(stack)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def watch(road: Road, stage: StageName, project: Project) -> dict[str, Any] | None:
    """The last monitoring verdict of a watched endpoint: Roadway's latest.json, or Model Monitor's last run."""
    at = project.stage(stage)
    if at is None or at.serving.monitoring is None:
        return None
    engine = at.serving.monitoring.engine
    model = road.names.model(project)
    if engine == "model-monitor":
        try:
            schedule = road.client(stage, "sagemaker").describe_monitoring_schedule(
                MonitoringScheduleName=model.monitoring_schedule(stage)
            )
        except ClientError as error:
            if error.response["Error"].get("Code") not in ("ResourceNotFound", "ValidationException"):
                raise failure(stage, "sagemaker describe_monitoring_schedule", error) from None
            return {"engine": engine, "verdict": "no-schedule"}
        except BotoCoreError as error:
            raise failure(stage, "sagemaker describe_monitoring_schedule", error) from None
        last = schedule.get("LastMonitoringExecutionSummary") or {}
        state = last.get("MonitoringExecutionStatus")
        verdict = {"Completed": "no-drift", "CompletedWithViolations": "drift"}.get(state, state or "no-run-yet")
        return {"engine": engine, "verdict": verdict, "at": iso_utc(last.get("ScheduledTime"))}
    stack = road.stack(stage, model.serving_stack(stage))
    try:
        reports = S3Object.parse(f"{outputs_of(stack).get(Output.DRIFT_REPORTS, '')}/{LATEST_REPORT}")
    except ValueError:
        return {"engine": engine, "verdict": "not-deployed"}
    try:
        body = road.client(stage, "s3").get_object(Bucket=reports.bucket, Key=reports.key)["Body"].read()
        latest = json.loads(body)
    except ClientError as error:
        if error.response["Error"].get("Code") in ("NoSuchKey", "404"):
            return {"engine": engine, "verdict": "no-run-yet"}
        raise failure(stage, f"reading the drift job's {LATEST_REPORT}", error) from None
    except (BotoCoreError, ValueError) as error:
        raise failure(stage, f"reading the drift job's {LATEST_REPORT}", error) from None
    return {
        "engine": engine,
        "verdict": latest.get("verdict"),
        "window": latest.get("window"),
        "paging_features": latest.get("paging_features", []),
        "report": latest.get("report"),
    }
