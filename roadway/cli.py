"""`roadway`: where every model stands on the road, and where a package came from.

    roadway status [--project P] [--json]        per project and stage: newest approved, served, endpoint,
                                                 last promotion, and the last monitoring verdict
    roadway trace <package ARN | stage:version> [--project P]
                                                 the chain back to the dev package: approvers, digests, metrics
    roadway doctor (--stage S ... | --all) [--before | --after] [--probe NAME ...] [--yes] [--json]
                                                 ask the real accounts what only AWS can answer (read-only
                                                 unless a probe is named); exit 1 when anything is a problem
    roadway approve <stage:version | ARN> --as NAME [--reason TEXT] [--project P]
    roadway reject  <stage:version | ARN> --as NAME [--reason TEXT] [--project P] [--break-glass]
                                                 decide on a package through the stage's approver (or
                                                 break-glass) role, with NAME as the session's source identity

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
from importlib import metadata
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from promote_model.artifacts import artifact_name
from promote_model.aws import S3Object, parameters_of
from promote_model.bias import figures, report_uri, shap_summary
from promote_model.contract import LedgerOutcome, Lineage, Parameter
from promote_model.events import package_group
from promote_model.gate import rmse_log, statistics_uri

from roadway.config import DEFAULT_CONFIG_PATH, STAGE_NAMES, ConfigError, Project, StageName, load_config
from roadway.decision import APPROVED, NAME_ENV, REJECTED, decide
from roadway.doctor import PROBLEM, ProbeInterrupted, diagnose, summary
from roadway.doctor.probes import PROBES, chosen
from roadway.road import CliError, Road, failure, watch
from roadway.timestamps import iso_utc

_REFERENCE = re.compile(r"^(?P<stage>[A-Za-z]+):(?P<version>\d+)$")


def _version(arn: str) -> int | None:
    return _number(arn.rsplit("/", 1)[-1])


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _metrics(recorded: Any) -> dict[str, float]:
    """The figures a gate decided on and its thresholds (the ledger keeps them as strings), as numbers."""
    if not isinstance(recorded, dict):
        return {}
    return {str(name): number for name, value in recorded.items() if (number := _float(value)) is not None}


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


def _status_row(road: Road, project: Project, stage: StageName) -> dict[str, Any]:
    row: dict[str, Any] = {"project": project.name, "stage": stage, "account": road.config.stage(stage).account}
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
    row["monitoring"] = watch(road, stage, project)
    previous = road.config.previous_stage(stage)
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
                "approved_by": last.get("approved_by") or None,
                "metrics": _metrics(last.get("metrics")),
            }
    return row


# What ``endpoint_status`` holds besides SageMaker's own EndpointStatus values (InService, Updating, ...).
ENDPOINT_STATES = {
    "none": "no endpoint (dev)",
    "not-deployed": "serving stack not deployed",
    "no-package": "no endpoint (no package yet)",
    "not-created": "endpoint not created",
}


def _served(road: Road, stage: StageName, project: Project) -> tuple[int | None, str]:
    if project.stage(stage) is None:
        return None, "none"
    name = road.names.model(project).serving_stack(stage)
    stack = road.stack(stage, name)
    if stack is None:
        return None, "not-deployed"
    served = parameters_of(stack).get(Parameter.MODEL_PACKAGE, "")
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
        stage = match["stage"].lower()  # the config's spelling, and the CDK stage's (Prod:3)
        if stage not in STAGE_NAMES:
            raise CliError(f"unknown stage {stage!r}: expected {', '.join(STAGE_NAMES)}")
        chosen = projects(road, project_name)
        if len(chosen) > 1:
            raise CliError(
                f"{reference}: which project's? name one with --project "
                f"({', '.join(project.name for project in chosen)})"
            )
        account = road.config.stage(stage).account
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
            "bias": _bias_of(road, stage, package),
            "explanations": _explanations_of(road, stage, package),
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
                    "approved_by": r.get("approved_by") or None,
                    "metrics": _metrics(r.get("metrics")),
                }
                for r in records
            ],
        }
        hops.append(hop)
        if any(h["arn"] == source for h in hops):
            raise CliError(f"lineage of {arn} loops back to {source}")
        arn = source
    return hops


def _ledger_of(road: Road, stage: StageName, arn: str) -> list[dict[str, Any]]:
    """Every ledger record about one package, oldest first: what its own stage recorded about it (its seal, a
    break-glass withdrawal) and what the next stage did with it (promoted, refused, failed, rolled back), so no
    outcome is hidden. Records are keyed by the package they are about, so nothing else matches."""
    records = [{**entry, "stage": stage} for entry in road.ledger(stage) if entry.get("source_arn") == arn]
    following = road.config.next_stage(stage)
    if following is not None:
        try:  # someone without access to the next account still sees the rest, and is told what is missing
            downstream = road.ledger(following)
        except CliError as error:
            records.append({"stage": following, "outcome": "unreadable", "reason": str(error)})
            downstream = []
        records += [{**entry, "stage": following} for entry in downstream if entry.get("source_arn") == arn]
    return sorted(records, key=lambda e: str(e.get("at", "")))


def _registered_rmse(road: Road, stage: StageName, package: dict[str, Any]) -> str | None:
    """The metric from the package's own model-metrics JSON (dev packages carry no copy in their lineage), read as
    the promotion's gate reads it."""
    body = _artifact(road, stage, statistics_uri(package))
    value = None if body is None else rmse_log(body)
    return None if value is None else f"{value:.6f}"


def _artifact(road: Road, stage: StageName, uri: str | None) -> bytes | None:
    """One of the package's documents as it is in ``stage``'s bucket; None when it names none or it is unreadable."""
    try:
        where = S3Object.parse(uri or "")
        return bytes(road.client(stage, "s3").get_object(Bucket=where.bucket, Key=where.key)["Body"].read())
    except (ValueError, ClientError, BotoCoreError):
        return None


def _report(road: Road, stage: StageName, package: dict[str, Any], kind: str) -> tuple[str, bytes | None] | None:
    """Where the package's ``kind`` report (``Bias``, ``Explainability``) lies and its body in ``stage``'s bucket
    (None when unreadable); None when the package registered none."""
    uri = report_uri(package, kind)
    return None if uri is None else (uri, _artifact(road, stage, uri))


def _bias_of(road: Road, stage: StageName, package: dict[str, Any]) -> dict[str, Any] | None:
    """The bias report's figures as the gate computes them, with the groups they come from and where it lies."""
    report = _report(road, stage, package, "Bias")
    if report is None:
        return None
    uri, body = report
    found = None if body is None else figures(body)
    shown: dict[str, Any] = {"report": uri, "readable": found is not None}
    if found is not None and found.ratio is not None:
        value, largest, smallest = found.ratio
        shown["group_rmse_ratio"] = {
            "value": value,
            "facet": largest.facet,
            "largest": largest.name,
            "smallest": smallest.name,
        }
    if found is not None and found.residual is not None:
        worst = found.residual
        shown["group_residual"] = {
            "value": worst.residual,
            "facet": worst.facet,
            "group": worst.name,
            "valued": worst.valued,
        }
    return shown


def _explanations_of(road: Road, stage: StageName, package: dict[str, Any]) -> dict[str, Any] | None:
    """Where the explainability report lies, and its three features of largest mean absolute contribution."""
    report = _report(road, stage, package, "Explainability")
    if report is None:
        return None
    uri, body = report
    summary = (None if body is None else shap_summary(body)) or {}
    top = list(summary.items())[:3]
    return {"report": uri, "top": [{"feature": name, "mean_abs_shap": value} for name, value in top]}


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
            approved = f" (approved by {record['approved_by']})" if record.get("approved_by") else ""
            lines.append(
                f"    ledger      {record['stage']} {record['outcome']}{onward} at {record['at']}{approved}{reason}"
            )
        if hop.get("rmse_log") is not None:
            lines.append(f"    rmse_log    {hop['rmse_log']:.6f}")
        lines += _evidence_lines(hop)
        for name, digest in hop["digests"].items():
            lines.append(f"    sha256      {digest}  {name}")
        if hop.get("model_data"):
            lines.append(f"    model       {hop['model_data']}")
        if hop.get("training_data"):
            lines.append(f"    trained on  {hop['training_data']}")
    return "\n".join(lines)


def _evidence_lines(hop: dict[str, Any]) -> list[str]:
    lines = []
    bias = hop.get("bias")
    if bias:
        ratio, residual = bias.get("group_rmse_ratio"), bias.get("group_residual")
        if ratio:
            lines.append(
                f"    bias        group_rmse_ratio {ratio['value']:.2f} ({ratio['facet']}: {ratio['largest']} over "
                f"{ratio['smallest']})"
            )
        if residual:
            lines.append(
                f"    bias        group_residual {abs(residual['value']):.4f} ({residual['facet']}: "
                f"{residual['group']}, valued {residual['valued']})"
            )
        state = "" if bias.get("readable") else " (not a report the gate can read)"
        lines.append(f"    bias report {bias['report']}{state}")
    explanations = hop.get("explanations")
    if explanations:
        top = ", ".join(f"{t['feature']} {t['mean_abs_shap']:.4f}" for t in explanations["top"]) or "unreadable"
        lines.append(f"    explained   {top}")
        lines.append(f"    explanation {explanations['report']}")
    return lines


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
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output (status, trace, doctor)"
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
    status_parser.add_argument("--project", default=None, help="one project only (default: every project)")
    trace_parser = commands.add_parser("trace", parents=[common], help="a package's chain back to dev")
    trace_parser.add_argument("package", help="a model package ARN, or stage:version like prod:3")
    trace_parser.add_argument(
        "--project", default=None, help="whose stage:version (needed when the road carries several projects)"
    )
    doctor_parser = commands.add_parser(
        "doctor", parents=[common], help="check the real accounts: quotas, bootstrap, identity, the deployed stacks"
    )
    doctor_parser.add_argument("--stage", action="append", default=[], help="dev, test or prod (repeatable)")
    doctor_parser.add_argument("--all", action="store_true", help="every stage")
    when = doctor_parser.add_mutually_exclusive_group()
    when.add_argument("--before", action="store_true", help="only what an account needs before its first deploy")
    when.add_argument("--after", action="store_true", help="only what a deploy left")
    doctor_parser.add_argument(
        "--probe",
        action="append",
        default=[],
        help=f"also run a probe with temporary resources: {', '.join(PROBES)} or all (repeatable)",
    )
    doctor_parser.add_argument("--yes", action="store_true", help="run probes that notify people without asking")
    doctor_parser.add_argument("--wait", type=float, default=60.0, help="seconds a probe waits for its event")
    for verb, verdict in (("approve", APPROVED), ("reject", REJECTED)):
        decision = commands.add_parser(
            verb,
            parents=[common],
            help=f"set a package {verdict} through the stage's role, as you (the ledger is the promoter's)",
        )
        decision.set_defaults(status=verdict)
        decision.add_argument("package", help="stage:version like dev:7, or a model package ARN")
        decision.add_argument(
            "--as",
            dest="name",
            default=None,
            help=f"your Roadway name, as your identity provider asserts it ({NAME_ENV})",
        )
        decision.add_argument("--reason", default=None, help="the approval description the registry keeps")
        decision.add_argument("--project", default=None, help="whose stage:version (a road of several projects)")
        if verb == "reject":
            decision.add_argument(
                "--break-glass", action="store_true", help="through the stage's break-glass role (prod: always)"
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
        if args.command == "doctor":
            return doctor(road, args, out)
        if args.command in ("approve", "reject"):
            arn = resolve(road, args.package, args.project)
            out(
                decide(
                    road,
                    arn,
                    status=args.status,
                    name=args.name,
                    reason=args.reason,
                    break_glass=getattr(args, "break_glass", False),
                )
            )
            return 0
        if args.command == "status":
            rows = status(road, args.project)
            out(json.dumps(rows, indent=2) if args.json else status_table(rows))
        else:
            hops = trace(road, args.package, args.project)
            out(json.dumps(hops, indent=2) if args.json else trace_text(hops))
    except (CliError, ConfigError) as error:
        for line in str(error).splitlines():
            print(f"roadway: {line}", file=sys.stderr)
        return 2
    return 0


def doctor(road: Road, args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Exit 0 only when no line is a problem; 1 when one is; an interrupted probe exits 130 after its lines."""
    unknown = [s for s in args.stage if s not in STAGE_NAMES]
    if unknown or not (args.stage or args.all):
        raise CliError(
            f"--stage {unknown[0]!r}: expected dev, test or prod, or --all" if unknown else "name a --stage or --all"
        )
    wrong = [p for p in args.probe if p != "all" and p not in PROBES]
    if wrong:
        raise CliError(f"--probe {wrong[0]!r}: expected one of {', '.join(PROBES)}, or all")
    if args.wait < 0:
        raise CliError(f"--wait {args.wait:g}: expected seconds, 0 or more")
    stages = list(STAGE_NAMES) if args.all else list(dict.fromkeys(args.stage))

    def tell(line: str) -> None:
        print(line, file=sys.stderr)

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    status = 0
    try:
        found = diagnose(
            road,
            stages,
            before_deploy=not args.after,
            after_deploy=not args.before,
            probes=list(chosen(args.probe)),
            wait=args.wait,
            tell=tell,
            confirm=confirm,
        )
    except ProbeInterrupted as interrupted:
        found, status = interrupted.found, 130
    if args.json:
        out(
            json.dumps(
                {"problems": sum(f.verdict == PROBLEM for f in found), "findings": [f.as_dict() for f in found]},
                indent=2,
            )
        )
    else:
        out("\n".join([*(f.line() for f in found), summary(found)]))
    return status or (1 if any(f.verdict == PROBLEM for f in found) else 0)


if __name__ == "__main__":
    sys.exit(main())
