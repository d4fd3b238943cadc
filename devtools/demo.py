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
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from promote_model.events import package_group

from devtools import moto_accounts, speedups
from devtools.moto_road import APPROVERS, AUTHOR, Evidence, MotoRoad, free_port, moto_server
from devtools.synth import synthesize
from devtools.variants import with_second_team, written
from roadway.config import StageName
from roadway.naming import Names

ROOT = Path(__file__).resolve().parents[1]


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
def scoped_environment() -> Iterator[None]:
    """The demo points boto3 at moto_server through the environment; leave it as it was found."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


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
        if templates is None:
            say("Synthesizing the app (the templates and the promotion function's settings come from here)")
            templates = synthesize(config, Path(scratch) / "cdk.out", compliance=False).templates
        return _run(port, config, templates, Path(scratch))


class DemoRoad(MotoRoad):
    """The moto road, its functions' own output kept out of the demo's: their JSON log lines and metrics are
    CloudWatch's to keep, and the demo says what happened."""

    def deliver(self, stage: StageName, event: dict[str, Any]) -> dict[str, Any]:
        from promote_model.observe import logger

        kept, logger.registered_handler.stream = logger.registered_handler.stream, io.StringIO()
        try:
            with quietly():
                return super().deliver(stage, event)
        finally:
            logger.registered_handler.stream = kept


def _run(port: int, config: Any, templates: dict[str, dict[str, Any]], work: Path) -> dict[str, Any]:
    """``work``: the trained models, the CLI's road file; removed when the demo ends."""
    project, second = config.projects[:2]  # house-price of team pricing, and the second team's project
    second_author = next(p.user_name for p in config.data_scientists if p.team == second.team)
    group, names = project.name, Names.of(config)
    serving_of = {p.name: {s: names.model(p).serving_stack(s) for s in ("test", "prod")} for p in config.projects}

    with moto_server(port) as endpoint:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_DEFAULT_REGION=config.region,
            AWS_ACCESS_KEY_ID="demo",
            AWS_SECRET_ACCESS_KEY="demo",
        )
        speedups.apply()  # the demo's many sessions parse botocore's models once, build each client class once
        accounts = {stage: config.stage(stage).account for stage in ("dev", "test", "prod")}
        say(f"moto_server on {endpoint} plays three accounts", ", ".join(f"{k} {v}" for k, v in accounts.items()))
        road = DemoRoad.lay(config, templates, role_name="roadway-demo")
        for stage in ("test", "prod"):
            say(
                f"Deployed {' and '.join(stacks[stage] for stacks in serving_of.values())} (real templates)",
                "ModelPackageArn is empty: no endpoint yet",
            )
        say(
            "Deployed the promotion ledgers of dev, test and prod",
            "each account records what it decided: its seals, and the promotions into it",
        )

        trained: dict[str, Evidence] = {}

        def register(
            run_name: str,
            *,
            sample: int = 0,
            into: str = group,
            author: str = AUTHOR,
            same_as: str | None = None,
            **recorded: Any,
        ) -> tuple[str, dict[str, float]]:
            """``same_as``: the evidence of that earlier run, uploaded again as this one's (no training)."""
            evidence = trained.get(same_as or run_name)
            if evidence is None:
                with quietly(), warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # a small sample leaves some columns empty
                    evidence = trained[run_name] = Evidence.trained(work / run_name, sample)
            metrics = evidence.metrics
            description = f"{into} ridge, rmse_log {metrics['rmse_log']:.4f}"
            arn = road.register(
                "dev", evidence, run=run_name, group=into, author=author, description=description, **recorded
            )
            return arn, metrics

        def seal(stage: StageName, arn: str) -> None:
            sealed = road.seal(stage, arn)
            if sealed["status"] == "seal-refused":
                say(f"{stage}'s promotion function refused to seal it", sealed["reason"])
                return
            say(
                f"Sealed at registration by {names.promoter_role(stage)}",
                f"{sealed['artifacts']} artifacts: S3 version and SHA-256 of each, in {stage}'s ledger",
            )

        def promote(stage: StageName, arn: str, approver: str | None = None) -> dict[str, Any]:
            person = approver or APPROVERS[stage]
            of = package_group(arn)
            each = next(p for p in config.projects if p.name.lower() == of)
            target = config.next_stage(stage)
            outcome = road.promote(stage, arn, person)
            say(
                f"{person} approved in {stage} through {names.approver_role(stage)}",
                f"EventBridge announces it to {target}'s bus; {names.promoter_role(target)} pulls it "
                f"through {names.model(each).reader_role(stage)} (read-only)",
            )
            if outcome["status"] == "refused":
                reason = outcome["reason"]
                which = (
                    "seal check"
                    if "refused to seal" in reason
                    else "four-eyes check"
                    if "approve" in reason
                    else "group gate"
                    if "group_" in reason
                    else "metric gate"
                )
                say(f"Refused at {target}'s {which}: nothing copied, nothing registered", reason)
                return outcome
            # The stack's parameter, not the endpoint: moto 5.2.5 re-creates the model on a second stack update but
            # leaves the endpoint on the first; the end of the demo checks prod's endpoint itself.
            say(
                f"Promoted to {target}: {outcome['target_arn']}",
                f"{len(outcome['copied'])} artifacts copied, SHA-256 verified; {serving_of[each.name][target]} now "
                f"has ModelPackageArn {road.serves(target, each.name)}",
            )
            if config.next_stage(target):  # registered in a stage that approves it on: sealed there, at once
                sealed = road.pulled_in(target, outcome["target_arn"])
                say(
                    f"Sealed by {names.promoter_role(target)} as it registered the package",
                    f"copies' versions, SHA-256 and the author in {target}'s ledger; its registration event finds "
                    f"it {sealed['status']}",
                )
            return outcome

        say("Training the house-price model on data/ames.csv (model_code/train.py, ridge)")
        dev_arn, metrics = register("demo-run")
        say("Registered in dev as PendingManualApproval", f"{dev_arn}  (rmse_log {metrics['rmse_log']:.4f})")
        disparity = governance(trained["demo-run"], project.bias.facets)
        seal("dev", dev_arn)

        say(f"{AUTHOR} is also on dev's approver list, and approves her own model")
        self_approved = promote("dev", dev_arn, approver=AUTHOR)
        in_test = promote("dev", dev_arn)
        in_prod = promote("test", in_test["target_arn"])

        prod = road.sessions["prod"]
        prod_package = prod.client("sagemaker").describe_model_package(ModelPackageName=in_prod["target_arn"])
        lineage = prod_package["CustomerMetadataProperties"]
        served = moto_accounts.endpoint_model_package(prod, serving_of[group]["prod"])
        say(
            "Prod's registry holds the package with its lineage",
            "\n    ".join(f"{k}: {v}" for k, v in sorted(lineage.items())),
        )
        say(
            "Prod's endpoint serves it" if served == in_prod["target_arn"] else "Prod's endpoint does NOT serve it",
            str(served),
        )
        explain_one_house(work / "demo-run" / "model")
        second_names = names.model(second)
        say(
            f"Team {second.team} onboards {second.name}: one config entry; its own group, pipeline, endpoints, gate",
            f"{second_author} trains and registers it in dev",
        )
        second_arn, second_metrics = register(f"{second.name}-run", into=second.name, author=second_author)
        say("Registered in dev", f"{second_arn}  (rmse_log {second_metrics['rmse_log']:.4f})")
        seal("dev", second_arn)
        second_in_test = promote("dev", second_arn)
        second_in_prod = promote("test", second_in_test["target_arn"])
        second_serves = road.serves("prod", second.name)

        studio = names.people_stack(0)  # the Studio stack, where the teams' policies are
        say(
            f"Team {second.team} reaches for {group}, team {project.team}'s group",
            f"IAM refuses its members: {studio}'s policy of team {second.team} lets them register into "
            f"{', '.join(registers_into(templates[studio], second.team))} only. moto checks no IAM, "
            f"so here {second_names.pipeline_role()} registers into {group} as if a policy let it",
        )
        pipeline = moto_accounts.role_session(accounts["dev"], second_names.pipeline_role())
        foreign_arn, _ = register("foreign-run", created_by=pipeline)
        say("Registered in dev", foreign_arn)
        seal("dev", foreign_arn)
        foreign = promote("dev", foreign_arn)

        say("A second model, trained on 150 sales only, is registered and approved in dev")
        worse_arn, worse_metrics = register("small-run", sample=150)
        say("Registered in dev", f"{worse_arn}  (rmse_log {worse_metrics['rmse_log']:.4f})")
        seal("dev", worse_arn)
        worse_in_test = promote("dev", worse_arn)  # within test's rmse_log_max
        refused = worse_in_test
        if worse_in_test["status"] == "promoted":  # prod's gate compares it with the version prod serves
            refused = promote("test", worse_in_test["target_arn"])

        # The platform tightens test's gate below what the shipped model shows (a config change and a deploy of
        # test's serving stack): the same run, registered again, is refused with the group named.
        stricter = {**project.gate("test"), "max_group_rmse_ratio": STRICTER_RATIO}
        road.restate_gate("test", group, stricter)
        say(
            f"The platform sets max_group_rmse_ratio {STRICTER_RATIO:g} in test's gate for {group} and deploys",
            f"{serving_of[group]['test']} now states it to the promotion; facets {', '.join(project.bias.facets)}",
        )
        strict_arn, _ = register("strict-run", same_as="demo-run")
        say("The same model, run again, registered in dev", strict_arn)
        seal("dev", strict_arn)
        strict = promote("dev", strict_arn)

        verdict = watch(road, work / "demo-run" / "model", serving_of[group]["prod"])

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
        "strict": strict,
        "disparity": disparity,
    }


STRICTER_RATIO = 3.0
"""The stricter gate the demo sets in test: below the shipped ridge model's largest group ratio (about 4)."""


def governance(evidence: Evidence, facets: list[str]) -> dict[str, Any]:
    """What the Governance step found: the figures the gate computes from the bias report, and the explanations'
    largest features."""
    from promote_model.bias import figures, shap_summary

    found = figures(evidence.bias or b"")
    if found is None or found.ratio is None or found.residual is None:
        say("The Governance step's bias report has no two judged groups to compare", ", ".join(facets))
        return {}
    ratio, largest, smallest = found.ratio
    worst = found.residual
    top = list((shap_summary(evidence.explainability or b"") or {}).items())[:3]
    say(
        f"Its bias report, by {', '.join(facets)}: the largest group disparity is {largest.facet}'s",
        f"group_rmse_ratio {ratio:.2f}: {largest.name}'s RMSE of log price {largest.rmse_log:.4f} over "
        f"{smallest.name}'s {smallest.rmse_log:.4f}; group_residual {abs(worst.residual):.4f}: {worst.facet} "
        f"{worst.name} valued {worst.valued}\n    explanations (mean |SHAP|, log price): "
        + ", ".join(f"{name} {value:.3f}" for name, value in top),
    )
    return {"ratio": ratio, "facet": largest.facet, "largest": largest.name, "smallest": smallest.name}


def explain_one_house(model_dir: Path) -> None:
    """One held-out house through the serving code as the container runs it, asking for the explained answer."""
    from devtools import traffic
    from model_code import inference

    model = inference.model_fn(str(model_dir))
    house = traffic.held_out(ROOT / "data").head(1)
    body = house[[c for c in house.columns if c != "price"]].to_csv(index=False)
    text, _ = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, "text/csv"), model), inference.EXPLAINED
    )
    (price,), (explained,) = json.loads(text)["predictions"], json.loads(text)["explanations"]
    say(
        f"Prod's model explains one house (Accept: {inference.EXPLAINED})",
        f"priced {price:,.0f} (sold for {float(house['price'].iloc[0]):,.0f}); from the expected "
        f"{math.exp(explained['expected_value']):,.0f}: "
        + ", ".join(
            f"{c['feature']} {c['value'] if isinstance(c['value'], str) else round(c['value'], 2)} "
            f"x{math.exp(c['contribution']):.3f}"
            for c in explained["top_contributions"]
        )
        + f", the rest x{math.exp(explained['other_features']):.3f}",
    )


def watch(road: MotoRoad, model_dir: Path, stack: str) -> dict[str, Any]:
    """An hour of prod traffic, captured as SageMaker captures it, and one run of the real drift job on it."""
    from datetime import UTC, datetime, timedelta

    import pandas
    from drift_monitor import handler as drift
    from drift_monitor.contract import Env
    from drift_monitor.job import Window

    from devtools import traffic
    from model_code import inference

    prod = road.sessions["prod"]
    environment = moto_accounts.drift_environment(prod, road.templates[stack], stack)
    os.environ.update({**road.credentials("prod"), **environment})  # as Lambda runs the drift job
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
    # The job's own JSON lines (one per window) are CloudWatch's to keep; the demo says the verdict.
    kept, drift.logger.registered_handler.stream = drift.logger.registered_handler.stream, io.StringIO()
    try:
        result = drift.handler({"time": now.isoformat(), "detail-type": "Scheduled Event"})
    finally:
        drift.logger.registered_handler.stream = kept
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
    "strict": "the package over test's stricter group gate was {status} instead of refused",
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
