"""The probes on the moto road's prod account: each proves its path where moto carries it (EventBridge into an
encrypted queue), says so when nothing arrives (moto's registry emits no events: that is the failing path), reads
alarm history from AWS's recorded answers (moto has none), and cleans up after an interruption at every step."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from promote_model.contract import Event

from roadway.doctor import diagnose
from roadway.doctor.findings import CANNOT, OK, PROBLEM, Clinic, Finding
from roadway.doctor.probes import IMAGE_TAG, PROBES, ProbeInterrupted, Temporary
from tests.moto_road import Road
from tests.roadway.doctor.helpers import recorded

Clinics = Callable[[str], Clinic]


def left(clinic: Clinic) -> list[str]:
    """Every temporary resource of every probe that still exists."""
    return [t.name for probe in PROBES.values() for t in probe.resources(clinic) if t.exists(clinic)]


def verdicts(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.verdict, f.detail) for f in found]


def test_eventbridge_delivers_into_a_queue_under_the_ops_key_and_the_probe_leaves_nothing(clinic: Clinics) -> None:
    prod = clinic("prod")
    ((verdict, detail),) = verdicts(PROBES["event-delivery"](prod, wait=5))
    assert verdict == OK and detail.startswith("EventBridge delivered into a queue under the ops key")
    assert left(prod) == []


def test_a_stage_without_its_platform_cannot_run_the_key_probe(clinic: Clinics) -> None:
    ((verdict, detail),) = verdicts(PROBES["event-delivery"](clinic("dev"), wait=1))
    assert (verdict, detail) == (CANNOT, "the platform stack is not deployed (the probe uses its ops key)")


def on_call(clinic: Clinic, services: tuple[str, ...], act: Callable[[str], Any]) -> None:
    """``act(operation)`` before every call the clinic's clients of ``services`` make."""
    for service in services:
        clinic.client(service).meta.events.register("before-call", lambda model, **_: act(model.name))


def test_no_registry_event_is_a_problem_and_one_sagemaker_emits_is_ok(clinic: Clinics) -> None:
    prod = clinic("prod")
    ((verdict, detail),) = verdicts(PROBES["registry-event"](prod, wait=0.05))
    assert verdict == PROBLEM and "SageMaker emitted no 'SageMaker Model Package State Change' event" in detail
    assert left(prod) == []

    def emit(operation: str) -> None:
        """What SageMaker does on AWS after a registration (moto does not): the state-change event."""
        if operation == "CreateModelPackage":
            (group,) = [t.name for t in PROBES["registry-event"].resources(prod) if t.kind == "group"]
            detail = {"ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval"}
            prod.client("events").put_events(
                Entries=[
                    {"Source": Event.SAGEMAKER, "DetailType": Event.PACKAGE_STATE_CHANGE, "Detail": json.dumps(detail)}
                ]
            )

    sagemaker = prod.client("sagemaker")
    sagemaker.meta.events.register("after-call.sagemaker.CreateModelPackage", lambda **_: emit("CreateModelPackage"))
    ((verdict, detail),) = verdicts(PROBES["registry-event"](prod, wait=5))
    assert verdict == OK and detail.startswith("a registration's state-change event arrived")
    assert left(prod) == []


ALARM = "harbor-doctor-alarm"


def alarm_answers(history: str) -> list[tuple[str, dict[str, Any]]]:
    """CloudWatch's answers to the alarm probe, as AWS gives them (moto keeps no alarm history)."""
    from datetime import UTC, datetime

    return [
        ("describe_alarms", {"MetricAlarms": []}),  # nothing left by an earlier run
        ("put_metric_alarm", {}),
        ("set_alarm_state", {}),
        (
            "describe_alarm_history",
            {
                "AlarmHistoryItems": [
                    {
                        "AlarmName": ALARM,
                        "AlarmType": "MetricAlarm",
                        "Timestamp": datetime(2026, 12, 6, tzinfo=UTC),
                        "HistoryItemType": "Action",
                        "HistorySummary": history,
                        "HistoryData": '{"actionState":"Failed","notificationResource":"arn:aws:sns:…",'
                        '"error":"KMS.AccessDeniedException"}',
                    }
                ]
            },
        ),
        ("describe_alarms", {"MetricAlarms": [{"AlarmName": ALARM}]}),
        ("delete_alarms", {}),
    ]


@pytest.mark.parametrize(
    ("history", "verdict"),
    [
        ("Successfully executed action arn:aws:sns:us-east-2:666666666666:alarms", OK),
        ("Failed to execute action arn:aws:sns:us-east-2:666666666666:alarms", PROBLEM),
    ],
)
def test_the_alarm_probe_reads_the_actions_outcome(clinic: Clinics, history: str, verdict: str) -> None:
    prod = clinic("prod")
    stubber = recorded(prod, "cloudwatch", alarm_answers(history))
    ((found, detail),) = verdicts(PROBES["alarm-delivery"](prod, wait=1))
    assert found == verdict
    assert verdict == OK or "KMS.AccessDeniedException" in detail
    stubber.assert_no_pending_responses()  # and it deleted its alarm


def test_the_alarm_probe_runs_only_when_accepted(road: Road) -> None:
    from roadway.road import Road as CliRoad

    asked: list[str] = []
    told: list[str] = []
    found = diagnose(
        CliRoad(road.config, role_name="roadway-doctor"),
        ["prod"],
        before_deploy=False,
        after_deploy=False,
        probes=[PROBES["alarm-delivery"]],
        tell=told.append,
        confirm=lambda question: asked.append(question) is not None,
    )
    assert told == [
        "prod: probe alarm-delivery creates an alarm on a metric of its own whose action is the alarm topic, set to "
        "ALARM once (alarm harbor-doctor-alarm) and deletes them; the alarm topic's subscribers get one message "
        "named roadway-doctor (marked as a probe)"
    ]
    assert (
        asked and found[-1].verdict == CANNOT and found[-1].detail.startswith("not run: the alarm topic's subscribers")
    )


MAKING = ("CreateQueue", "PutRule", "PutTargets", "PutEvents", "ReceiveMessage")
# Every call each probe makes on its way, in order: an interruption before any of them is cleaned up.
STEPS = {
    "event-delivery": MAKING,
    "registry-event": (
        "CreateQueue",
        "CreateModelPackageGroup",
        "PutRule",
        "PutTargets",
        "CreateModelPackage",
        "ReceiveMessage",
    ),
    "alarm-delivery": ("PutMetricAlarm", "SetAlarmState", "DescribeAlarmHistory"),
}
SERVICES = ("sqs", "events", "sagemaker", "cloudwatch")


@pytest.mark.parametrize(
    ("probe", "step"), [(probe, step) for probe, steps in STEPS.items() for step in steps], ids=str
)
def test_an_interruption_at_any_step_is_cleaned_up(clinic: Clinics, probe: str, step: str) -> None:
    prod = clinic("prod")
    seen: list[str] = []

    def interrupt(operation: str) -> None:
        seen.append(operation)
        if operation == step:
            raise KeyboardInterrupt

    on_call(prod, SERVICES, interrupt)
    with pytest.raises(ProbeInterrupted) as interrupted:
        PROBES[probe](prod, wait=1)
    assert step in seen and verdicts(interrupted.value.found) == [(CANNOT, "interrupted")]
    assert left(prod) == []


@pytest.mark.parametrize("step", MAKING[1:])
def test_what_an_interrupted_run_could_not_delete_is_named_and_the_next_run_removes_it(
    clinic: Clinics, step: str
) -> None:
    prod = clinic("prod")
    broken = {"on": False, "interrupted": False}

    def interrupt_then_fail(operation: str) -> None:
        if operation == step and not broken["interrupted"]:
            broken["on"] = broken["interrupted"] = True
            raise KeyboardInterrupt
        if broken["on"] and operation in ("DeleteQueue", "DeleteRule"):
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, operation)

    on_call(prod, ("sqs", "events"), interrupt_then_fail)
    with pytest.raises(ProbeInterrupted) as interrupted:
        PROBES["event-delivery"](prod, wait=1)
    behind = [detail for verdict, detail in verdicts(interrupted.value.found) if verdict == PROBLEM]
    made = left(prod)
    assert made and len(behind) == len(made)
    for name, detail in zip(reversed(made), behind, strict=True):
        assert name in detail and "run this probe again" in detail
    broken["on"] = False  # the service is back; nothing interrupts the next run
    found = verdicts(PROBES["event-delivery"](prod, wait=5))
    assert found[0][0] == OK and found[0][1].startswith("removed what an interrupted run left")
    assert found[1][0] == OK and left(prod) == []


def test_the_registry_probe_registers_the_roads_own_serving_image() -> None:
    from model_code.registration import IMAGE_VERSION

    assert f"{IMAGE_VERSION}-cpu-py3" == IMAGE_TAG


def test_every_temporary_resource_has_a_command_that_deletes_it() -> None:
    for kind in ("rule", "queue", "alarm", "group"):
        assert Temporary(kind, "x").by_hand()


def test_a_probe_the_account_refuses_cannot_check_and_leaves_nothing(clinic: Clinics) -> None:
    prod = clinic("prod")

    def refuse(operation: str) -> None:
        if operation == "PutRule":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, operation)

    on_call(prod, ("events",), refuse)
    ((verdict, detail),) = verdicts(PROBES["event-delivery"](prod, wait=1))
    assert verdict == CANNOT and detail.startswith("stopped: An error occurred (AccessDeniedException)")
    assert left(prod) == []


def test_an_event_the_key_keeps_out_is_a_problem_naming_the_key_policy(clinic: Clinics) -> None:
    """On AWS, EventBridge drops an event it cannot encrypt for the queue, silently; moto enforces no key policy,
    so the event is dropped here as AWS would drop it (the queue emptied as the event lands)."""
    prod = clinic("prod")
    (queue, _) = PROBES["event-delivery"].resources(prod)

    def dropped(**_: Any) -> None:
        sqs = prod.client("sqs")
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=queue.name)["QueueUrl"])

    prod.client("events").meta.events.register("after-call.events.PutEvents", dropped)
    ((verdict, detail),) = verdicts(PROBES["event-delivery"](prod, wait=0.05))
    assert verdict == PROBLEM and "EventBridge cannot use the key" in detail and "events.amazonaws.com" in detail
    assert left(prod) == []


def test_no_alarm_action_in_time_is_a_problem(clinic: Clinics) -> None:
    prod = clinic("prod")
    answers = alarm_answers("unused")
    answers[3] = ("describe_alarm_history", {"AlarmHistoryItems": []})
    recorded(prod, "cloudwatch", answers)
    ((verdict, detail),) = verdicts(PROBES["alarm-delivery"](prod, wait=0))
    assert verdict == PROBLEM and detail.startswith("no action in the alarm's history within 0 s")
