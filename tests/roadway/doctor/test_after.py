"""After a deploy: the moto road's stacks (the real serving templates; stand-ins for what moto cannot hold) read
as the doctor reads a real account, each check's problem staged by doing to moto what goes wrong on AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from drift_monitor.contract import LATEST_REPORT
from promote_model.contract import Output

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.doctor import after
from roadway.doctor.findings import OK, PROBLEM, Clinic
from roadway.naming import Exported, stage_stacks
from roadway.road import Road as CliRoad
from tests.moto_road import Road
from tests.roadway.doctor.helpers import lines, recorded

Clinics = Callable[[str], Clinic]


def test_every_stack_of_the_stage_is_found_settled_with_its_outputs(clinic: Clinics) -> None:
    assert {verdict for _, verdict, _ in lines(clinic("prod"), after.stacks)} == {OK}
    dev = lines(clinic("dev"), after.stacks)
    missing = [check for check, verdict, detail in dev if verdict == PROBLEM and detail.startswith("not deployed")]
    assert missing == ["stack harbor-dev-platform", "stack harbor-dev-studio", "stack harbor-dev-pipelines"]
    assert "make deploy STAGE=Dev" in dev[0][2]


def test_a_stack_without_the_outputs_the_road_reads_or_unsettled_is_a_problem(road: Road, clinic: Clinics) -> None:
    name = road.names.stack_name("dev", "promotion")
    road.sessions["dev"].client("cloudformation").update_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    )
    found = dict((check, (verdict, detail)) for check, verdict, detail in lines(clinic("dev"), after.stacks))
    verdict, detail = found[f"stack {name}"]
    assert verdict == PROBLEM and f"without the outputs {Output.LEDGER_TABLE}" in detail
    test = clinic("test")
    serving = road.serving_stack("test")
    (described,) = test.client("cloudformation").describe_stacks(StackName=serving)["Stacks"]
    # What CloudFormation answers for a stack whose last update failed and was rolled back:
    rolled_back = [
        ("describe_stacks", {"Stacks": [{**described, "StackName": name, "StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]})
        for name in stage_stacks(test.config, "test")
    ]
    recorded(test, "cloudformation", rolled_back)
    found = lines(test, after.stacks)
    assert {verdict for _, verdict, _ in found} == {PROBLEM}
    assert "UPDATE_ROLLBACK_COMPLETE (its last change failed)" in found[0][2]


def test_someone_must_have_confirmed_the_alarm_topic(road: Road, clinic: Clinics) -> None:
    prod = clinic("prod")
    ((_, verdict, detail),) = lines(prod, after.alarm_topic)
    assert verdict == PROBLEM and "nobody subscribes" in detail and "stages.prod.alarm_emails" in detail
    topic = prod.export(Exported.ALARM_TOPIC)
    prod.client("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="mlops@example.com")
    assert lines(prod, after.alarm_topic) == [("alarm topic", OK, "1 confirmed subscriber(s)")]
    # Moto confirms every e-mail at once; AWS lists one not yet confirmed like this:
    pending = {
        "Subscriptions": [
            {
                "SubscriptionArn": "PendingConfirmation",
                "Owner": "666666666666",
                "Protocol": "email",
                "Endpoint": "mlops@example.com",
                "TopicArn": topic,
            }
        ]
    }
    recorded(prod, "sns", [("list_subscriptions_by_topic", pending)])
    ((_, verdict, detail),) = lines(prod, after.alarm_topic)
    assert verdict == PROBLEM and detail.startswith("mlops@example.com never confirmed")


def test_events_given_up_on_are_a_problem(road: Road, clinic: Clinics) -> None:
    prod = clinic("prod")
    assert {verdict for _, verdict, _ in lines(prod, after.dead_letters)} == {OK}
    assert len(lines(prod, after.dead_letters)) == 3  # the promoter's two, and the drift job's
    queue = prod.outputs(road.names.stack_name("prod", "promotion"))[Output.WORK_DEAD_LETTERS]
    prod.client("sqs").send_message(QueueUrl=queue, MessageBody="{}")
    problems = [line for line in lines(prod, after.dead_letters) if line[1] == PROBLEM]
    assert len(problems) == 1 and problems[0][2].startswith("1 message(s) given up on")


def test_an_alarm_of_the_stage_in_alarm_is_a_problem_and_others_are_not_ours(road: Road, clinic: Clinics) -> None:
    prod = clinic("prod")
    cloudwatch = prod.client("cloudwatch")
    # CloudFormation names a stack's alarms after the stack; the idle alarm after the endpoint.
    ours = f"{road.serving_stack('prod')}-EndpointErrorsAlarm-1A2B3C4D5E6F"
    for name in (ours, road.model().idle_alarm("prod"), "someone-elses-alarm"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="Invocation5XXErrors",
            Namespace="AWS/SageMaker",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
    assert lines(prod, after.alarms) == [("alarms", OK, "none of 2 in ALARM")]
    for name in (ours, "someone-elses-alarm"):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 7 errors")
    assert lines(prod, after.alarms) == [(f"alarm {ours}", PROBLEM, "in ALARM: Threshold Crossed: 7 errors")]


def report(road: Road, prod: Clinic, verdict: str, ended: datetime) -> None:
    reports = prod.outputs(road.serving_stack("prod"))[Output.DRIFT_REPORTS]
    bucket, _, prefix = reports.removeprefix("s3://").partition("/")
    body = {"verdict": verdict, "window": {"end": ended.strftime("%Y-%m-%dT%H:%M:%SZ")}, "report": f"{reports}/r.json"}
    prod.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{LATEST_REPORT}", Body=json.dumps(body).encode())


def test_the_drift_job_reported_lately_and_found_nothing(road: Road, clinic: Clinics) -> None:
    prod = clinic("prod")
    assert lines(prod, after.drift_runs) == [("drift house-price", OK, "no run yet (runs hourly)")]
    now = datetime.now(UTC)
    report(road, prod, "no-drift", now - timedelta(minutes=30))
    assert lines(prod, after.drift_runs)[0][1] == OK
    report(road, prod, "drift", now - timedelta(minutes=30))
    assert lines(prod, after.drift_runs)[0][1] == PROBLEM
    report(road, prod, "no-drift", now - timedelta(hours=3))
    ((_, verdict, detail),) = lines(prod, after.drift_runs)
    assert verdict == PROBLEM and "more than two hourly runs ago" in detail


def test_the_outputs_the_doctor_expects_are_the_ones_the_stacks_declare(synth: Synth, config: RoadwayConfig) -> None:
    """Both sides of one spelling: what the doctor calls a contract output is in every template of the shipped
    road, and every stack it expects in a stage is one the app builds there."""
    for stage in ("dev", "test", "prod"):
        reading = Clinic.at(CliRoad(config), stage)
        built = sorted(name for name in synth.templates if name.startswith(f"{config.project}-{stage}-"))
        assert sorted(stage_stacks(config, stage)) == built
        for stack, outputs in after.contract_outputs(reading).items():
            assert set(outputs) <= set(synth.templates[stack]["Outputs"]), stack
