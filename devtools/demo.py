"""`make demo`: drive the whole road on this machine, with moto_server playing the three accounts.

It synthesizes the app for two projects of two teams (the shipped house-price of team pricing, and rent-price of a
second team, rentals), deploys the real test and prod serving stacks (and the promotion ledgers), trains the
house-price model, registers it in dev, approves it, and runs the real promotion function as EventBridge would
deliver the approval, twice (dev -> test, then test -> prod). The second team's project takes the same road to its
own endpoints; that team's pipeline registering into house-price's group is never sealed, so test refuses it. A
model trained on too little data is then refused at a metric gate. Prod then serves an hour of traffic (held-out
sales, a third of them bigger houses in a neighbourhood never seen), captured as SageMaker captures it, and the real
drift job gives its verdict.
It ends with `roadway status` and `roadway trace` for the prod package, prints each step, and stops the server it
started.

    python -m devtools.demo [--port N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import sys
import tarfile
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from promote_model.contract import Parameter

ROOT = Path(__file__).resolve().parents[1]
AUTHOR = "ana-garcia"  # the data scientist who trains and registers house-price (team pricing)
SECOND_TEAM, SECOND_PROJECT, SECOND_AUTHOR = "rentals", "rent-price", "chen-wei"  # a second team's project
DEV_BUCKET = "roadway-demo-dev-artifacts"
APPROVERS = {"dev": "maria-lopez", "test": "li-wei"}  # a distinct person per stage


BUDGET_SECONDS = 60  # the whole demo on a 2-core machine; bench/README.md records what it takes


def say(step: str, detail: str = "") -> None:
    print(f"==> {step}" + (f"\n    {detail}" if detail else ""), flush=True)


@contextmanager
def quietly() -> Iterator[None]:
    """The jobs' own log lines (training progress, metrics JSON, the profiler's counts): the demo says it better."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextmanager
def moto_server(port: int) -> Iterator[str]:
    """moto_server on 127.0.0.1 for the duration, always stopped, whatever happens inside.

    It runs in a thread of this process (moto's ThreadedMotoServer, the same server `moto_server` starts) so the
    demo can write who created and who approved a package into the registry, which moto does not record (see
    ``moto_accounts.record_identities``). Everything else goes over HTTP like any client.
    """
    import logging

    from moto.server import ThreadedMotoServer

    # One line per request, and moto's notes on resource types its CloudFormation skips (moto 5.2.5 parses no
    # alarms, monitoring schedules or scaling policies), are not the demo's story.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto_server did not start on {endpoint}")
        yield endpoint
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=5)
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def approve(session: Any, arn: str, approver_role: str, person: str) -> None:
    """Approve as ``person`` through the stage's approver role (its trust demands their name as source identity)."""
    from devtools.moto_accounts import record_identities, role_session

    sm = session.client("sagemaker")
    lineage = sm.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties")
    # Passing the lineage back is a no-op on SageMaker; moto 5.2.5 would otherwise drop it on update.
    extra = {"CustomerMetadataProperties": lineage} if lineage else {}
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", **extra)
    record_identities(arn, last_modified_by=role_session(arn.split(":")[4], approver_role, person))


def act_as(session: Any, environment: dict[str, str]) -> None:
    """Run a function of the road in-process as Lambda would: the account's credentials and region (Lambda sets
    AWS_REGION), the function's settings."""
    credentials = session.get_credentials()
    os.environ.update(environment)
    os.environ.update(
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_SESSION_TOKEN=credentials.token,
        AWS_REGION=session.region_name,
        AWS_DEFAULT_REGION=session.region_name,
    )
    import boto3

    boto3.DEFAULT_SESSION = None  # a function of its own: boto3.client() reads these, not an earlier caller's


@contextmanager
def scoped_environment() -> Iterator[None]:
    """The demo points boto3 at moto_server through the environment; leave it as it was found."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def with_team_and_project(
    config: Any,
    *,
    team: dict[str, Any],
    member: dict[str, Any],
    project: str,
    prod_serving: dict[str, Any] | None = None,
) -> Any:
    """``config`` plus a team (one ``member``) and its own ``project``, served like the road's first project (with
    ``prod_serving``'s settings on top), as an adopter onboards them: entries added, validated like the file."""
    import copy

    from roadway.config import parse_config

    raw = config.model_dump(mode="json", exclude_unset=True)
    raw["teams"].append(team)
    raw["data_scientists"].append({**member, "team": team["name"]})
    added = copy.deepcopy(raw["projects"][0])
    added.update(name=project, team=team["name"])
    added.pop("original", None)
    added["stages"]["prod"]["serving"].update(prod_serving or {})
    raw["projects"].append(added)
    return parse_config(raw)


def with_second_team(config: Any) -> Any:
    """The shipped road with the demo's second team and its project: two projects of two teams on one road."""
    team = {"name": SECOND_TEAM, "monthly_budget_usd": 300, "budget_emails": ["rentals@example.com"]}
    return with_team_and_project(config, team=team, member={"user_name": SECOND_AUTHOR}, project=SECOND_PROJECT)


def written(config: Any, path: Path) -> Path:
    """``config`` as a road file at ``path`` (what the CLI reads), validated back as it is read."""
    import yaml

    from roadway.config import load_config

    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_unset=True)))
    assert load_config(path) == config
    return path


def somewhere_else(config: Any) -> Any:
    """``config`` as another adopter would have it: another road name (``project``), another region and other
    account IDs. The moto tests and a run of the demo use it, so anything named outside roadway/naming.py breaks."""
    import json as json_module

    from roadway.config import parse_config

    text = json_module.dumps(config.model_dump(mode="json", exclude_unset=True))
    moved = {config.region: "us-east-2", **{config.stage(s).account: account for s, account in ELSEWHERE.items()}}
    for old, new in moved.items():
        text = text.replace(old, new)
    raw = json_module.loads(text)
    raw["project"] = "harbor"
    return parse_config(raw)


# The other adopter's accounts (somewhere_else).
ELSEWHERE = {"dev": "444444444444", "test": "555555555555", "prod": "666666666666"}


def registers_into(template: dict[str, Any], team: str) -> list[str]:
    """The groups a team's members may register into, as its policy in the template says (what IAM enforces)."""
    (statement,) = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::ManagedPolicy" and r["Properties"].get("Description", "").endswith(f"team {team}")
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "RegisterForApprovalOnly"
    ]
    return [r for r in statement["Resource"] if "model-package-group/" in r]


class NotADemoRoad(ValueError):
    """A road the demo cannot tell its story on; said in one line."""


def road_of(config: Any = None) -> Any:
    """The road the demo drives: ``config`` (default: the shipped config/roadway.yaml), with the demo's second team
    and its project added when it has one project. Its first two projects must be of two teams, the second team
    with a data scientist to register its model; a third project is deployed and left alone."""
    from roadway.config import DEFAULT_CONFIG_PATH, load_config

    road = config or load_config(ROOT / DEFAULT_CONFIG_PATH)
    road = road if len(road.projects) > 1 else with_second_team(road)
    from roadway.naming import check_names

    check_names(road, "the demo's road")  # what synth would refuse, the demo does not play either
    first, second = road.projects[:2]
    if first.team == second.team:
        raise NotADemoRoad(
            f"projects {first.name} and {second.name} are both team {first.team}'s: the demo shows one team "
            "refused another's registry, so its first two projects must be of two teams"
        )
    if not any(person.team == second.team for person in road.data_scientists):
        raise NotADemoRoad(f"team {second.team} has no data scientist to register {second.name}")
    gates = [first.stage(stage).promotion_gate for stage in ("test", "prod")]  # type: ignore[union-attr]
    if not any(g.rmse_log_max is not None or g.max_regression_pct is not None for g in gates):
        raise NotADemoRoad(
            f"{first.name}'s gates in test and prod have no threshold, so the demo's weak model would be promoted: "
            "set promotion_gate.rmse_log_max (test) or max_regression_pct (prod)"
        )
    return road


def run(port: int, road: Any = None, templates: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The demo on ``road_of(road)``. ``templates``: that road's synthesized templates by stack name when the caller
    has them already (the tests share one synth of their road); the demo synthesizes them otherwise."""
    config = road_of(road)
    with scoped_environment(), tempfile.TemporaryDirectory(prefix="roadway-demo-") as scratch:
        return _run(port, config, templates or synthesized(config, Path(scratch) / "cdk.out"), Path(scratch))


def synthesized(config: Any, outdir: Path) -> dict[str, dict[str, Any]]:
    """The road's templates, by stack name, from a synth without the packs into ``outdir``."""
    from stacks.quiet_jsii import quiet_jsii

    quiet_jsii(announce=False)  # the demo runs on whatever Node synth runs on
    from aws_cdk import App

    from stacks.app import build_app, cli_context, templates_by_stack

    say("Synthesizing the app (the templates and the promotion function's settings come from here)")
    app = App(outdir=str(outdir), context=cli_context(stage_assets=False))  # nothing deploys the assets here
    build_app(app, config, compliance=False)
    assembly = app.synth()
    return templates_by_stack(assembly)


def _run(port: int, config: Any, templates: dict[str, dict[str, Any]], work: Path) -> dict[str, Any]:
    """``work``: the trained models, the CLI's road file; removed when the demo ends."""
    from roadway.naming import Names

    project, second = config.projects[:2]  # house-price of team pricing, and the second team's project
    second_author = next(p.user_name for p in config.data_scientists if p.team == second.team)
    region, group = config.region, project.name
    names = Names.of(config)
    model_names = names.model(project)

    with moto_server(port) as endpoint:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION=region, AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo"
        )
        from devtools import moto_accounts as road

        road.share_service_models()  # the demo's many sessions parse botocore's models once
        road.share_client_classes()  # and build each service's client class once
        road.json_templates_first()
        accounts = {name: config.stage(name).account for name in ("dev", "test", "prod")}
        say(f"moto_server on {endpoint} plays three accounts", ", ".join(f"{k} {v}" for k, v in accounts.items()))
        sessions = {name: road.session_in(account, region, "roadway-demo") for name, account in accounts.items()}

        buckets = {}
        stages = ("test", "prod")
        serving_of = {p.name: {s: Names.of(config).model(p).serving_stack(s) for s in stages} for p in config.projects}  # type: ignore[arg-type]
        serving = serving_of[group]
        for stage in stages:
            for stacks in serving_of.values():
                buckets[stage] = road.deploy_serving(
                    sessions[stage], templates[stacks[stage]], stacks[stage], names.stack_name(stage, "platform")
                )
            say(
                f"Deployed {' and '.join(stacks[stage] for stacks in serving_of.values())} (real templates)",
                "ModelPackageArn is empty: no endpoint yet",
            )
        deployed = {
            stage: road.deploy_promotion(
                sessions[stage],
                names.stack_name(stage, "promotion"),
                templates[names.stack_name(stage, "promotion")],
                buckets.get(stage, DEV_BUCKET),
            )
            for stage in ("dev", "test", "prod")
        }
        say(
            "Deployed the promotion ledgers of dev, test and prod",
            "each account records what it decided: its seals, and the promotions into it",
        )
        for session in sessions.values():
            for each in config.projects:
                session.client("sagemaker").create_model_package_group(ModelPackageGroupName=each.name)
        buckets["dev"] = DEV_BUCKET
        dev_s3 = sessions["dev"].client("s3")
        dev_s3.create_bucket(Bucket=buckets["dev"], CreateBucketConfiguration={"LocationConstraint": region})
        dev_s3.put_bucket_versioning(Bucket=buckets["dev"], VersioningConfiguration={"Status": "Enabled"})

        from drift_monitor import profile

        from model_code import evaluate, registration, train

        def train_and_register(
            run_name: str,
            sample: int = 0,
            into: str = group,
            created_by: dict[str, Any] | None = None,
            evidence: str = model_names.evidence_prefix(),
            author: str = AUTHOR,
        ) -> tuple[str, dict[str, float]]:
            model_dir, out_dir = work / run_name / "model", work / run_name / "out"
            with quietly():
                metrics = train.main(
                    ["--train", str(ROOT / "data"), "--model-dir", str(model_dir), "--output-data-dir", str(out_dir)]
                    + (["--sample", str(sample)] if sample else [])
                )
            archive = work / run_name / "model.tar.gz"
            with tarfile.open(archive, "w:gz") as tar:
                for item in model_dir.iterdir():
                    tar.add(item, arcname=item.name)
            prefix = f"{evidence}/{run_name}"
            # The pipeline's Evaluate step writes the baseline's rows (the training inputs and the model's answers;
            # model.tar.gz carries none), and its Baseline step profiles them with Roadway's profiler.
            with quietly():
                rows = out_dir / "predicted-baseline"
                evaluate.main(str(model_dir), str(ROOT / "data"), str(out_dir / "evaluation"), str(rows))
                profile.main(["--input", str(rows / "baseline.csv"), "--output", str(out_dir / "baseline")])
            for name, path in (
                ("model.tar.gz", archive),
                ("evaluation.json", out_dir / "evaluation.json"),
                ("data-quality-baseline/statistics.json", out_dir / "baseline" / "statistics.json"),
                ("data-quality-baseline/constraints.json", out_dir / "baseline" / "constraints.json"),
            ):
                dev_s3.upload_file(str(path), buckets["dev"], f"{prefix}/{name}")

            def at(name: str) -> str:
                return f"s3://{buckets['dev']}/{prefix}/{name}"

            # The same description of a package as the pipeline's Register step (model_code/registration.py).
            request = registration.package_request(
                group=into,
                image=registration.serving_image(region),
                model_data_url=at("model.tar.gz"),
                evaluation_uri=at("evaluation.json"),
                statistics_uri=at("data-quality-baseline/statistics.json"),
                constraints_uri=at("data-quality-baseline/constraints.json"),
                training_data="data/ames.csv",
                description=f"{into} ridge, rmse_log {metrics['rmse_log']:.4f}",
            )
            arn = sessions["dev"].client("sagemaker").create_model_package(**request)["ModelPackageArn"]
            # What SageMaker records when ana-garcia registers from her Studio profile (moto records no caller),
            # and the run her pipeline made: its code in her own folder, started and last changed by her.
            road.record_identities(arn, created_by=created_by or road.studio_user(arn, author))
            ran = names.model(config.project_named(evidence.split("/")[1]))
            road.record_run(
                sessions["dev"],
                ran.pipeline(),
                run_name,
                role_arn=names.role_arn(accounts["dev"], ran.pipeline_role()),
                code=[
                    f"s3://{buckets['dev']}/teams/{config.project_named(ran.model_package_group).team}/{author}/x.py"
                ],
                started_by=road.studio_user(arn, author),
                last_modified_by=road.studio_user(arn, author),
            )
            return str(arn), metrics

        sys.path.insert(0, str(ROOT / "lambdas"))
        from promote_model.events import package_group
        from promote_model.handler import handler
        from promote_model.observe import logger

        def deliver(stage: str, event: dict[str, Any]) -> dict[str, Any]:
            """Run the stage's promotion function on an event, as EventBridge would: its account, its settings."""
            act_as(
                sessions[stage],
                road.function_environment(templates[names.stack_name(stage, "promotion")], deployed[stage]),
            )
            # The function's own JSON lines (its logs, its metrics) are CloudWatch's to keep; the demo says them.
            kept, logger.registered_handler.stream = logger.registered_handler.stream, io.StringIO()
            try:
                with quietly():
                    return handler(event)
            finally:
                logger.registered_handler.stream = kept

        def seal(stage: str, arn: str) -> None:
            sealed = deliver(stage, road.approval_event(arn, status="PendingManualApproval"))
            if sealed["status"] == "seal-refused":
                say(f"{stage}'s promotion function refused to seal it", sealed["reason"])
                return
            say(
                f"Sealed at registration by {names.promoter_role(stage)}",  # type: ignore[arg-type]
                f"{sealed['artifacts']} artifacts: S3 version and SHA-256 of each, in {stage}'s ledger",
            )

        say("Training the house-price model on data/ames.csv (model_code/train.py, ridge)")
        dev_arn, metrics = train_and_register("demo-run")
        say("Registered in dev as PendingManualApproval", f"{dev_arn}  (rmse_log {metrics['rmse_log']:.4f})")
        seal("dev", dev_arn)

        def promote(stage: str, arn: str, approver: str | None = None) -> dict[str, Any]:
            person = approver or APPROVERS[stage]
            of = package_group(arn)
            each = next(p for p in config.projects if p.name.lower() == of)
            serving = serving_of[each.name]
            target = config.next_stage(stage)  # type: ignore[arg-type]
            if stage != "dev":  # registered here by this stage's own promoter when it pulled the package in
                registrar = names.promoter_role(stage)  # type: ignore[arg-type]
                road.record_identities(arn, created_by=road.role_session(accounts[stage], registrar))
            approve(sessions[stage], arn, names.approver_role(stage), person)  # type: ignore[arg-type]
            say(
                f"{person} approved in {stage} through {names.approver_role(stage)}",  # type: ignore[arg-type]
                f"EventBridge announces it to {target}'s bus; {names.promoter_role(target)} pulls it "  # type: ignore[arg-type]
                f"through {Names.of(config).model(each).reader_role(stage)} (read-only)",  # type: ignore[arg-type]
            )
            outcome = deliver(target, road.approval_event(arn, group=each.name, approved_by=person))
            if outcome["status"] == "refused":
                reason = outcome["reason"]
                which = (
                    "seal check"
                    if "refused to seal" in reason
                    else "four-eyes check"
                    if "approve" in reason
                    else "metric gate"
                )
                say(f"Refused at {target}'s {which}: nothing copied, nothing registered", outcome["reason"])
                return outcome
            # The stack's parameter, not the endpoint: moto 5.2.5 re-creates the model on a second stack update but
            # leaves the endpoint on the first; the end of the demo checks prod's endpoint itself.
            served = road.parameters_of(sessions[target], serving[target])[Parameter.MODEL_PACKAGE]
            say(
                f"Promoted to {target}: {outcome['target_arn']}",
                f"{len(outcome['copied'])} artifacts copied, SHA-256 verified; {serving[target]} now has "
                f"ModelPackageArn {served}",
            )
            if config.next_stage(target):  # registered in a stage that approves it on: sealed there, at once
                sealed = deliver(target, road.approval_event(outcome["target_arn"], status="PendingManualApproval"))
                say(
                    f"Sealed by {names.promoter_role(target)} as it registered the package",  # type: ignore[arg-type]
                    f"copies' versions, SHA-256 and the author in {target}'s ledger; its registration event finds "
                    f"it {sealed['status']}",
                )
            return outcome

        say(f"{AUTHOR} is also on dev's approver list, and approves her own model")
        self_approved = promote("dev", dev_arn, approver=AUTHOR)
        in_test = promote("dev", dev_arn)
        in_prod = promote("test", in_test["target_arn"])

        prod_package = (
            sessions["prod"].client("sagemaker").describe_model_package(ModelPackageName=in_prod["target_arn"])
        )
        lineage = prod_package["CustomerMetadataProperties"]
        served = road.endpoint_model_package(sessions["prod"], serving["prod"])
        say(
            "Prod's registry holds the package with its lineage",
            "\n    ".join(f"{k}: {v}" for k, v in sorted(lineage.items())),
        )
        say(
            "Prod's endpoint serves it" if served == in_prod["target_arn"] else "Prod's endpoint does NOT serve it",
            str(served),
        )
        second_names = Names.of(config).model(second)
        say(
            f"Team {second.team} onboards {second.name}: one config entry; its own group, pipeline, endpoints, gate",
            f"{second_author} trains and registers it in dev",
        )
        second_arn, second_metrics = train_and_register(
            f"{second.name}-run",
            into=second.name,
            author=second_author,
            evidence=second_names.evidence_prefix(),
        )
        say("Registered in dev", f"{second_arn}  (rmse_log {second_metrics['rmse_log']:.4f})")
        seal("dev", second_arn)
        second_in_test = promote("dev", second_arn)
        second_in_prod = promote("test", second_in_test["target_arn"])
        second_serves = road.parameters_of(sessions["prod"], serving_of[second.name]["prod"])[Parameter.MODEL_PACKAGE]

        studio = names.people_stack(0)  # the Studio stack, where the teams' policies are
        say(
            f"Team {second.team} reaches for {group}, team {project.team}'s group",
            f"IAM refuses its members: {studio}'s policy of team {second.team} lets them register into "
            f"{', '.join(registers_into(templates[studio], second.team))} only. moto checks no IAM, "
            f"so here {second_names.pipeline_role()} registers into {group} as if a policy let it",
        )
        foreign_arn, _ = train_and_register(
            "foreign-run",
            into=group,
            created_by=road.role_session(accounts["dev"], second_names.pipeline_role()),
        )
        say("Registered in dev", foreign_arn)
        seal("dev", foreign_arn)
        foreign = promote("dev", foreign_arn)

        say("A second model, trained on 150 sales only, is registered and approved in dev")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a small sample leaves some columns empty
            worse_arn, worse_metrics = train_and_register("small-run", sample=150)
        say("Registered in dev", f"{worse_arn}  (rmse_log {worse_metrics['rmse_log']:.4f})")
        seal("dev", worse_arn)
        worse_in_test = promote("dev", worse_arn)  # within test's rmse_log_max
        refused = worse_in_test
        if worse_in_test["status"] == "promoted":  # prod's gate compares it with the version prod serves
            refused = promote("test", worse_in_test["target_arn"])

        verdict = watch(sessions["prod"], templates[serving["prod"]], work / "demo-run" / "model", serving["prod"])

        from roadway import cli

        road_file = written(config, work / "road.yaml")  # the two-project road, as the CLI reads a road
        where = ["--config", str(road_file), "--endpoint-url", endpoint, "--role-name", "roadway-demo"]
        say("roadway status")
        cli.main([*where, "status"])
        for package in (in_prod["target_arn"], foreign_arn):
            stage = next(name for name, account in accounts.items() if f":{account}:" in package)
            which = f"{stage}:{package.rsplit('/', 1)[-1]}"
            say(f"roadway trace {which} --project {group}")
            cli.main([*where, "trace", which, "--project", group])
    say("Stopped moto_server")
    return {
        "dev": dev_arn,
        "test": in_test["target_arn"],
        "prod": in_prod["target_arn"],
        "lineage": lineage,
        "prod_serves": served,
        "status": prod_package["ModelApprovalStatus"],
        "refused": refused,
        "self_approved": self_approved,
        "second": second_in_prod.get("target_arn", ""),
        "second_serves": second_serves,
        "foreign": foreign,
        "monitoring": verdict,
    }


def watch(prod: Any, template: dict[str, Any], model_dir: Path, stack: str) -> dict[str, Any]:
    """An hour of prod traffic, captured as SageMaker captures it, and one run of the real drift job on it."""
    from datetime import UTC, datetime, timedelta

    import pandas
    from drift_monitor import handler as drift
    from drift_monitor.contract import Env
    from drift_monitor.job import Window

    from devtools import moto_accounts as road
    from devtools import traffic
    from model_code import inference

    environment = road.drift_environment(prod, template, stack)
    act_as(prod, environment)
    now = datetime.now(UTC)
    hour = Window.ending(now, int(environment[Env.WINDOW_MINUTES]))
    held_out = traffic.held_out(ROOT / "data")
    bigger = traffic.shifted(held_out.iloc[: len(held_out) // 3])
    houses = pandas.concat([held_out.iloc[len(held_out) // 3 :], bigger], ignore_index=True)
    lines = traffic.capture_lines(inference.model_fn(str(model_dir)), houses, hour.start + timedelta(minutes=1))
    s3 = prod.client("s3")
    for first in range(0, len(lines), 40):  # SageMaker writes a file every few minutes
        key = traffic.capture_key(environment[Env.CAPTURE_PREFIX], hour.start + timedelta(minutes=first // 40))
        s3.put_object(Bucket=environment[Env.CAPTURE_BUCKET], Key=key, Body="\n".join(lines[first : first + 40]))
    say(
        f"Prod served {len(lines)} requests in the hour to {hour.end:%H:%M} UTC, captured as SageMaker captures them",
        f"{len(bigger)} of the {len(houses)} houses are 30% bigger, a third of those in a neighbourhood never seen",
    )
    result = drift.handler({"time": now.isoformat(), "detail-type": "Scheduled Event"})
    last = result["windows"][-1]
    report = json.loads(
        s3.get_object(
            Bucket=environment[Env.REPORT_BUCKET],
            Key=f"{environment[Env.REPORT_PREFIX]}/{hour.label}/report.json",
        )["Body"].read()
    )
    say(
        f"The drift job's verdict on that hour: {last['verdict']}",
        f"paging: {', '.join(report.get('paging_features', [])) or 'nothing'}; drifted: "
        f"{', '.join(report.get('drifted_features', [])) or 'nothing'}\n    report: s3://"
        f"{environment[Env.REPORT_BUCKET]}/{environment[Env.REPORT_PREFIX]}/{hour.label}/summary.md",
    )
    return {"verdict": last["verdict"], "drifted": report.get("drifted_features", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drive the road dev -> test -> prod on moto_server.")
    parser.add_argument("--port", type=int, default=0, help="moto_server port (default: a free one)")
    parser.add_argument("--config", type=Path, default=None, help="the road (default: config/roadway.yaml)")
    args = parser.parse_args(argv)
    from roadway.config import ConfigError, load_config

    try:
        road = road_of(load_config(args.config) if args.config else None)
    except ConfigError as error:
        print(f"roadway: config error: {error}", file=sys.stderr)
        return 2
    except NotADemoRoad as error:
        print(f"roadway: not a road the demo can drive: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    result = run(args.port or free_port(), road)
    took = time.monotonic() - started
    missed = shortfalls(result)
    within = "within" if took <= BUDGET_SECONDS else "OVER"
    say(f"{'Done' if not missed else 'Stopped'} in {took:.0f} s, {within} the demo's budget of {BUDGET_SECONDS} s")
    for reason in missed:
        print(f"roadway: the demo did not show what it should: {reason}", file=sys.stderr)
    return 1 if missed else 0


# What each staged refusal is, for the line that says it did not happen.
STAGED_REFUSALS = {
    "refused": "the weak model (150 sales) was {status} instead of refused at a gate: this road's gates let it "
    "through (tighten promotion_gate.rmse_log_max in test or max_regression_pct in prod)",
    "self_approved": "the self-approved package was {status} instead of refused (four eyes)",
    "foreign": "the other team's registration was {status} instead of refused (no seal)",
}


def shortfalls(result: dict[str, Any]) -> list[str]:
    """Why `make demo` exits 1, one line each; none when both projects are served in prod, every refusal it stages
    is refused and the drift is seen."""
    missed = [
        text.format(status=result[key]["status"])
        for key, text in STAGED_REFUSALS.items()
        if result[key]["status"] != "refused"
    ]
    if result["prod_serves"] != result["prod"]:
        missed.append(f"prod serves {result['prod_serves'] or 'nothing'}, not the promoted {result['prod']}")
    if not result["second"] or result["second_serves"] != result["second"]:
        missed.append("the second project is not served in prod")
    if result["monitoring"]["verdict"] != "drift":
        missed.append(f"the drift job's verdict on the shifted hour was {result['monitoring']['verdict']}, not drift")
    return missed


def succeeded(result: dict[str, Any]) -> bool:
    """What `make demo` exits 0 on (see :func:`shortfalls`)."""
    return not shortfalls(result)


if __name__ == "__main__":
    sys.exit(main())
