"""`roadway`: where every model stands on the road, and where a package came from.

    roadway status [--project P] [--json]        per project and stage: newest approved, served, endpoint,
                                                 last promotion, and the last monitoring verdict
    roadway trace <package ARN | stage:version> [--project P]
                                                 the chain back to the dev package: approvers, digests, metrics

Credentials per stage come from the config's ``aws_profile``; ``--role-name`` instead assumes that role in
each stage's account from the current credentials (a central operations account, or the demo's moto_server,
reached with ``--endpoint-url``). Every error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
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
from promote_model.artifacts import artifact_name
from promote_model.contract import LedgerOutcome, Lineage, Output, Parameter
from promote_model.events import package_group
from promote_model.gate import rmse_log, statistics_uri
from promote_model.ledger import Ledger

from roadway.config import DEFAULT_CONFIG_PATH, STAGE_NAMES, ConfigError, Project, RoadwayConfig, load_config
from roadway.naming import Names
from roadway.timestamps import iso_utc

_REFERENCE = re.compile(r"^(?P<stage>[a-z]+):(?P<version>\d+)$")


class CliError(Exception):
    """One line for the operator; raised for anything they can fix."""


def failure(stage: str, what: str, error: Exception) -> CliError:
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
    _ledgers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _stacks: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    @property
    def names(self) -> Names:
        return Names.of(self.config)

    def stage_of_account(self, account: str) -> str:
        for stage in STAGE_NAMES:
            if self.config.stage(stage).account == account:
                return stage
        raise CliError(f"account {account} is no stage of this road (config: {', '.join(STAGE_NAMES)})")

    def client(self, stage: str, service: str) -> Any:
        return self._session(stage).client(service, endpoint_url=self.endpoint_url)

    def _session(self, stage: str) -> boto3.session.Session:
        if stage not in self._sessions:
            settings = self.config.stage(stage)  # type: ignore[arg-type]
            try:
                if self.role_name:
                    base = boto3.session.Session(region_name=self.config.region)
                    credentials = base.client("sts", endpoint_url=self.endpoint_url).assume_role(
                        RoleArn=self.names.role_arn(settings.account, self.role_name),
                        RoleSessionName="roadway-cli",
                    )["Credentials"]
                    session = boto3.session.Session(
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        region_name=self.config.region,
                    )
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

    def call(self, stage: str, service: str, operation: str, **request: Any) -> Any:
        """One API call; a credentials or access problem becomes one line naming the stage."""
        try:
            return getattr(self.client(stage, service), operation)(**request)
        except (BotoCoreError, ClientError) as error:
            raise failure(stage, f"{service} {operation}", error) from None

    def stack(self, stage: str, name: str) -> dict[str, Any] | None:
        """The stack, or None when it is not deployed; described once per command (status reads the serving
        stack for the endpoint and for the drift reports)."""
        if (stage, name) not in self._stacks:
            self._stacks[(stage, name)] = self._describe_stack(stage, name)
        return self._stacks[(stage, name)]

    def _describe_stack(self, stage: str, name: str) -> dict[str, Any] | None:
        try:
            (stack,) = self.client(stage, "cloudformation").describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise failure(stage, "cloudformation describe_stacks", error) from None
        except BotoCoreError as error:
            raise failure(stage, "cloudformation describe_stacks", error) from None
        return stack

    def ledger(self, stage: str) -> list[dict[str, Any]]:
        """The promotion ledger of ``stage`` (the promotions into it, and the seals of what it registered), oldest
        first; [] without one. Read once per command."""
        if stage not in self._ledgers:
            self._ledgers[stage] = self._read_ledger(stage)
        return self._ledgers[stage]

    def _read_ledger(self, stage: str) -> list[dict[str, Any]]:
        stack = self.stack(stage, self.names.stack_name(stage, "promotion"))  # type: ignore[arg-type]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}
        table = outputs.get(Output.LEDGER_TABLE)
        if not table:
            return []
        try:
            return Ledger(self.client(stage, "dynamodb"), table).entries()
        except (BotoCoreError, ClientError) as error:
            raise failure(stage, f"reading the promotion ledger {table}", error) from None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _version(arn: str) -> int | None:
    return _number(arn.rsplit("/", 1)[-1])


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _number(value: Any) -> int | None:
    """Versions are numbers in every field (the ledger keeps them as strings)."""
    return int(value) if value not in (None, "") and str(value).isdigit() else None


# --- status -------------------------------------------------------------------------------------------------


def projects(road: Road, name: str | None) -> list[Project]:
    """The projects a command covers: the one named, or all of them."""
    if name is None:
        return list(road.config.projects)
    known = [project.name for project in road.config.projects]
    if name not in known:
        raise CliError(f"--project {name!r} is not a project of this road; expected one of {', '.join(known)}")
    return [road.config.project_named(name)]


def status(road: Road, project_name: str | None = None) -> list[dict[str, Any]]:
    """One row per project and stage (all projects, or ``project_name``'s)."""
    rows = []
    for project in projects(road, project_name):
        for stage in STAGE_NAMES:
            rows.append(_status_row(road, project, stage))
    return rows


def _status_row(road: Road, project: Project, stage: str) -> dict[str, Any]:
    row: dict[str, Any] = {"project": project.name, "stage": stage, "account": road.config.stage(stage).account}  # type: ignore[arg-type]
    approved = road.call(
        stage,
        "sagemaker",
        "list_model_packages",
        ModelPackageGroupName=road.names.model(project).model_package_group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    row["approved_version"] = approved[0].get("ModelPackageVersion") if approved else None
    row["served_version"], row["endpoint_status"] = _served(road, stage, project)
    row["monitoring"] = _watch(road, stage, project)
    previous = road.config.previous_stage(stage)  # type: ignore[arg-type]
    row["last_promotion"] = None
    if previous is not None:
        into = [
            e
            for e in road.ledger(stage)
            if e.get("target_stage") == stage
            and e.get("outcome") != LedgerOutcome.SEALED
            and package_group(str(e.get("source_arn", ""))) == project.name.lower()
        ]
        if into:
            last = into[-1]
            row["last_promotion"] = {
                "outcome": last.get("outcome"),
                "at": iso_utc(last.get("at")),
                "source_stage": previous,
                "source_version": _number(last.get("source_version")),
                "target_version": _number(last.get("target_version")),
                "reason": last.get("reason") or None,
            }
    return row


# What ``endpoint_status`` holds besides SageMaker's own EndpointStatus values (InService, Updating, ...).
ENDPOINT_STATES = {
    "none": "no endpoint (dev)",
    "not-deployed": "serving stack not deployed",
    "no-package": "no endpoint (no package yet)",
    "not-created": "endpoint not created",
}


def _served(road: Road, stage: str, project: Project) -> tuple[int | None, str]:
    if project.stage(stage) is None:  # type: ignore[arg-type]
        return None, "none"
    name = road.names.model(project).serving_stack(stage)  # type: ignore[arg-type]
    stack = road.stack(stage, name)
    if stack is None:
        return None, "not-deployed"
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    served = parameters.get(Parameter.MODEL_PACKAGE, "")
    if not served:
        return None, "no-package"
    resources = road.call(stage, "cloudformation", "list_stack_resources", StackName=name)["StackResourceSummaries"]
    endpoints = [
        r for r in resources if r["ResourceType"] == "AWS::SageMaker::Endpoint" and r.get("PhysicalResourceId")
    ]
    if not endpoints:
        return _version(served), "not-created"
    endpoint = road.call(
        stage, "sagemaker", "describe_endpoint", EndpointName=endpoints[0]["PhysicalResourceId"].split("/")[-1]
    )
    return _version(served), str(endpoint["EndpointStatus"])


def _watch(road: Road, stage: str, project: Project) -> dict[str, Any] | None:
    """The last monitoring verdict of a watched endpoint: Roadway's latest.json, or Model Monitor's last run."""
    at = project.stage(stage)  # type: ignore[arg-type]
    if at is None or at.serving.monitoring is None:
        return None
    engine = at.serving.monitoring.engine
    model = road.names.model(project)
    if engine == "model-monitor":
        try:
            schedule = road.client(stage, "sagemaker").describe_monitoring_schedule(
                MonitoringScheduleName=model.monitoring_schedule(stage)  # type: ignore[arg-type]
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
    stack = road.stack(stage, model.serving_stack(stage))  # type: ignore[arg-type]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}
    reports = outputs.get(Output.DRIFT_REPORTS, "")
    if not reports.startswith("s3://"):
        return {"engine": engine, "verdict": "not-deployed"}
    bucket, _, prefix = reports[len("s3://") :].partition("/")
    try:
        body = road.client(stage, "s3").get_object(Bucket=bucket, Key=f"{prefix}/{LATEST_REPORT}")["Body"].read()
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


# How the verdicts that are not drift/no-drift/no-traffic read in the table.
VERDICT_TEXT = {
    "no-schedule": "no schedule (no package with a baseline served yet)",
    "not-deployed": "not deployed",
    "no-run-yet": "no run yet",
}


def _watch_text(watch: dict[str, Any] | None) -> str:
    if watch is None:
        return "-"
    text = VERDICT_TEXT.get(str(watch.get("verdict")), str(watch.get("verdict")))
    if watch.get("paging_features"):
        text += f" ({', '.join(watch['paging_features'])})"
    window = watch.get("window") or {}
    if window.get("end"):
        text += f" to {window['end']}"
    elif watch.get("at"):
        text += f" at {watch['at']}"
    return text


def status_table(rows: list[dict[str, Any]]) -> str:
    header = (
        "project",
        "stage",
        "account",
        "approved",
        "served",
        "endpoint",
        "monitoring",
        "last promotion into this stage",
    )
    lines = []
    for row in rows:
        last = row["last_promotion"]
        if last is None:
            promotion = "-"
        else:
            promotion = f"{last['outcome']} {last['source_stage']} v{last.get('source_version') or '?'}"
            if last.get("target_version"):
                promotion += f" as {row['stage']} v{last['target_version']}"
            promotion += f" at {last.get('at') or '?'}"
            if last.get("reason"):
                promotion += f": {last['reason']}"
        lines.append(
            (
                row["project"],
                row["stage"],
                row["account"],
                f"v{row['approved_version']}" if row["approved_version"] else "-",
                f"v{row['served_version']}" if row["served_version"] else "-",
                ENDPOINT_STATES.get(row["endpoint_status"], row["endpoint_status"]),
                _watch_text(row.get("monitoring")),
                promotion,
            )
        )
    return _table(header, lines)


def _table(header: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header) - 1)]

    def format_row(row: tuple[str, ...]) -> str:
        return "  ".join([*(str(c).ljust(w) for c, w in zip(row, widths, strict=False)), str(row[-1])]).rstrip()

    return "\n".join([format_row(header), format_row(tuple("-" * len(h) for h in header)), *map(format_row, lines)])


# --- trace --------------------------------------------------------------------------------------------------


def resolve(road: Road, reference: str, project_name: str | None = None) -> str:
    """A package ARN from an ARN or ``stage:version`` (of ``project_name``, which a road of many projects needs)."""
    match = _REFERENCE.match(reference)
    if match:
        stage = match["stage"]
        if stage not in STAGE_NAMES:
            raise CliError(f"unknown stage {stage!r}: expected {', '.join(STAGE_NAMES)}")
        chosen = projects(road, project_name)
        if len(chosen) > 1:
            raise CliError(
                f"{reference}: which project's? name one with --project "
                f"({', '.join(project.name for project in chosen)})"
            )
        account = road.config.stage(stage).account  # type: ignore[arg-type]
        return road.names.model(chosen[0]).model_package_arn(account, match["version"])
    if reference.startswith("arn:aws") and ":model-package/" in reference:
        return reference
    raise CliError(f"expected a model package ARN or stage:version (like prod:3), got {reference!r}")


def trace(road: Road, reference: str, project_name: str | None = None) -> list[dict[str, Any]]:
    """From the given package back to the dev package it started as, newest hop first."""
    arn = resolve(road, reference, project_name)
    hops: list[dict[str, Any]] = []
    while arn:
        stage = road.stage_of_account(arn.split(":")[4])
        try:
            package = road.client(stage, "sagemaker").describe_model_package(ModelPackageName=arn)
        except ClientError as error:
            code = error.response["Error"].get("Code", "")
            if code in ("ValidationException", "ResourceNotFound", "ResourceNotFoundException"):
                raise CliError(f"no model package {arn} in {stage}") from None
            raise failure(stage, "sagemaker describe_model_package", error) from None
        except BotoCoreError as error:
            raise failure(stage, "sagemaker describe_model_package", error) from None
        lineage = package.get("CustomerMetadataProperties") or {}
        source = lineage.get(Lineage.SOURCE_ARN, "")
        records = _ledger_of(road, stage, arn)
        digests = {k[len(Lineage.DIGEST) :]: v for k, v in sorted(lineage.items()) if k.startswith(Lineage.DIGEST)}
        if not digests:  # a dev package carries no lineage: its seal has what it was registered with
            seal = next((r for r in records if r["outcome"] == LedgerOutcome.SEALED), None)
            digests = dict(
                sorted((artifact_name(uri), e["sha256"]) for uri, e in ((seal or {}).get("seal") or {}).items())
            )
        hop: dict[str, Any] = {
            "stage": stage,
            "version": _number(package.get("ModelPackageVersion")),
            "arn": arn,
            "status": package.get("ModelApprovalStatus"),
            "created": iso_utc(package.get("CreationTime")),
            "from": source or None,
            "approved_by": lineage.get(Lineage.APPROVED_BY),
            "approved_at": iso_utc(lineage.get(Lineage.APPROVED_AT)),
            "digests": digests,
            "rmse_log": _float(lineage.get(Lineage.RMSE_LOG) or _registered_rmse(road, stage, package)),
            "training_data": lineage.get(Lineage.TRAINING_DATA),
            "model_data": next(
                (c.get("ModelDataUrl") for c in package.get("InferenceSpecification", {}).get("Containers", [])), None
            ),
            "ledger": [
                {
                    "stage": r["stage"],
                    "outcome": r["outcome"],
                    "at": iso_utc(r.get("at")),
                    "target_version": _number(r.get("target_version")),
                    "reason": r.get("reason") or None,
                }
                for r in records
            ],
        }
        hops.append(hop)
        if any(h["arn"] == source for h in hops):
            raise CliError(f"lineage of {arn} loops back to {source}")
        arn = source
    return hops


def _ledger_of(road: Road, stage: str, arn: str) -> list[dict[str, Any]]:
    """Every ledger record about one package, oldest first: what its own stage recorded about it (its seal, a
    break-glass withdrawal) and what the next stage did with it (promoted, refused, failed, rolled back), so no
    outcome is hidden. Records are keyed by the package they are about, so nothing else matches."""
    records = [{**entry, "stage": stage} for entry in road.ledger(stage) if entry.get("source_arn") == arn]
    following = road.config.next_stage(stage)  # type: ignore[arg-type]
    if following is not None:
        try:  # someone without access to the next account still sees the rest, and is told what is missing
            downstream = road.ledger(following)
        except CliError as error:
            records.append({"stage": following, "outcome": "unreadable", "reason": str(error)})
            downstream = []
        records += [{**entry, "stage": following} for entry in downstream if entry.get("source_arn") == arn]
    return sorted(records, key=lambda e: str(e.get("at", "")))


def _registered_rmse(road: Road, stage: str, package: dict[str, Any]) -> str | None:
    """The metric from the package's own model-metrics JSON (dev packages carry no copy in their lineage), read as
    the promotion's gate reads it."""
    uri = statistics_uri(package) or ""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        value = rmse_log(road.client(stage, "s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, BotoCoreError):
        return None
    return None if value is None else f"{value:.6f}"


def trace_text(hops: list[dict[str, Any]]) -> str:
    lines = []
    for hop in hops:
        lines.append(f"{hop['stage']} v{hop['version']}  {hop['status']}  {hop['arn']}")
        lines.append(f"    registered  {hop['created']}")
        if hop.get("from"):
            lines.append(f"    from        {hop['from']}")
            lines.append(f"    approved    by {hop.get('approved_by') or '?'} at {hop.get('approved_at') or '?'}")
        for record in hop.get("ledger", []):
            onward = f" as {record['stage']} v{record['target_version']}" if record.get("target_version") else ""
            reason = f": {record['reason']}" if record.get("reason") else ""
            lines.append(f"    ledger      {record['stage']} {record['outcome']}{onward} at {record['at']}{reason}")
        if hop.get("rmse_log") is not None:
            lines.append(f"    rmse_log    {hop['rmse_log']:.6f}")
        for name, digest in hop["digests"].items():
            lines.append(f"    sha256      {digest}  {name}")
        if hop.get("model_data"):
            lines.append(f"    model       {hop['model_data']}")
        if hop.get("training_data"):
            lines.append(f"    trained on  {hop['training_data']}")
    return "\n".join(lines)


# --- entry point --------------------------------------------------------------------------------------------


def version() -> str:
    try:
        return metadata.version("roadway")
    except metadata.PackageNotFoundError:  # run from a checkout without `pip install -e .`
        return "unknown (not installed)"


def global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The same options before or after the command (``roadway status --config x.yaml`` works too); only the
    top level sets defaults, so a command's parser never overwrites what was given before it."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--config", default=default(str(DEFAULT_CONFIG_PATH)), help="the road's config file")
    parser.add_argument(
        "--endpoint-url", default=default(None), help="send every AWS call here (e.g. the demo's moto_server)"
    )
    parser.add_argument(
        "--role-name", default=default(None), help="assume this role in each stage's account instead of profiles"
    )


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="roadway", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"roadway {version()}")
    global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    global_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", required=True)
    status_parser = commands.add_parser(
        "status", parents=[common], help="per stage: approved, served, endpoint, monitoring verdict, last promotion"
    )
    status_parser.add_argument("--json", action="store_true", help="machine-readable output")
    status_parser.add_argument("--project", default=None, help="one project only (default: every project)")
    trace_parser = commands.add_parser("trace", parents=[common], help="a package's chain back to dev")
    trace_parser.add_argument("package", help="a model package ARN, or stage:version like prod:3")
    trace_parser.add_argument("--json", action="store_true", help="machine-readable output")
    trace_parser.add_argument(
        "--project", default=None, help="whose stage:version (needed when the road carries several projects)"
    )
    args = parser.parse_args(argv)
    config_path = Path(args.config)
    try:
        if not config_path.exists() and args.config == str(DEFAULT_CONFIG_PATH):
            raise CliError(
                f"{config_path}: config file not found in {Path.cwd()} "
                "(run roadway from the project's root, or pass --config PATH)"
            )
        config = load_config(config_path)
        road = Road(config, endpoint_url=args.endpoint_url, role_name=args.role_name)
        if args.command == "status":
            rows = status(road, args.project)
            out(json.dumps(rows, indent=2) if args.json else status_table(rows))
        else:
            hops = trace(road, args.package, args.project)
            out(json.dumps(hops, indent=2) if args.json else trace_text(hops))
    except (CliError, ConfigError) as error:
        print(f"roadway: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
