"""Opt-in probes: prove on the real account a path only AWS can answer, with temporary resources of their own.

Each probe says beforehand what it creates and whether anyone is told, names its resources after the road
(``<project>-doctor-…``), deletes them when it ends however it ends, and first deletes any an earlier,
interrupted run left behind. What it cannot delete is named in a line with the command that does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from promote_model.contract import Event

from roadway.doctor.findings import CANNOT, OK, PROBLEM, Clinic, Finding
from roadway.images import SKLEARN_REGISTRIES
from roadway.naming import Exported

PROBE_SOURCE = "roadway.doctor"  # custom events may not use an ``aws.`` source: the real rules cannot be fed
PROBE_DETAIL_TYPE = "Roadway doctor probe"
PROBE_TAG = {"Key": "roadway:doctor-probe", "Value": "true"}
# The serving image the road registers (model_code/registration.py IMAGE_VERSION; a test holds them equal).
IMAGE_TAG = "1.9-0-cpu-py3"


class ProbeInterrupted(Exception):
    """Ctrl-C during a probe: its cleanup ran; ``found`` says what is left behind, if anything."""

    def __init__(self, found: list[Finding]) -> None:
        super().__init__("interrupted")
        self.found = found


@dataclass(frozen=True)
class Temporary:
    """One resource a probe makes: how to tell it exists, delete it, and say how to delete it by hand."""

    kind: str
    name: str

    def exists(self, clinic: Clinic) -> bool:
        try:
            if self.kind == "rule":
                clinic.client("events").describe_rule(Name=self.name)
            elif self.kind == "queue":
                clinic.client("sqs").get_queue_url(QueueName=self.name)
            elif self.kind == "alarm":
                return bool(clinic.client("cloudwatch").describe_alarms(AlarmNames=[self.name])["MetricAlarms"])
            else:
                clinic.client("sagemaker").describe_model_package_group(ModelPackageGroupName=self.name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                return False
            if code == "ValidationException" and "does not exist" in str(error):
                return False
            raise
        return True

    def delete(self, clinic: Clinic) -> None:
        if self.kind == "rule":
            events = clinic.client("events")
            ids = [t["Id"] for t in events.list_targets_by_rule(Rule=self.name)["Targets"]]
            if ids:
                events.remove_targets(Rule=self.name, Ids=ids)
            events.delete_rule(Name=self.name)
        elif self.kind == "queue":
            sqs = clinic.client("sqs")
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=self.name)["QueueUrl"])
        elif self.kind == "alarm":
            clinic.client("cloudwatch").delete_alarms(AlarmNames=[self.name])
        else:
            sagemaker = clinic.client("sagemaker")
            for package in sagemaker.list_model_packages(ModelPackageGroupName=self.name)["ModelPackageSummaryList"]:
                sagemaker.delete_model_package(ModelPackageName=package["ModelPackageArn"])
            sagemaker.delete_model_package_group(ModelPackageGroupName=self.name)

    def by_hand(self) -> str:
        return {
            "rule": f"aws events remove-targets --rule {self.name} --ids probe; "
            f"aws events delete-rule --name {self.name}",
            "queue": f"aws sqs delete-queue --queue-url $(aws sqs get-queue-url --queue-name {self.name} "
            "--query QueueUrl --output text)",
            "alarm": f"aws cloudwatch delete-alarms --alarm-names {self.name}",
            "group": f"delete its packages, then aws sagemaker delete-model-package-group --model-package-group-name "
            f"{self.name}",
        }[self.kind]


def clean(clinic: Clinic, made: list[Temporary]) -> list[Temporary]:
    """Delete whichever of ``made`` exist, last made first; return those that could not be deleted (a second
    Ctrl-C stops the cleanup: what it did not reach is returned too)."""
    left: list[Temporary] = []
    stopped = False
    for temporary in reversed(made):
        if stopped:
            left.append(temporary)
            continue
        try:
            if temporary.exists(clinic):
                temporary.delete(clinic)
        except KeyboardInterrupt:
            stopped = True
            left.append(temporary)
        except (BotoCoreError, ClientError):
            left.append(temporary)
    return left


@dataclass(frozen=True)
class Probe:
    name: str
    creates: str
    notifies: str | None  # who hears of it; None: nobody
    steps: Callable[[Clinic, list[Temporary], float], Finding] = field(repr=False)
    resources: Callable[[Clinic], list[Temporary]] = field(repr=False)

    def announce(self, clinic: Clinic) -> str:
        told = f"; {self.notifies}" if self.notifies else "; nobody is notified"
        made = ", ".join(f"{t.kind} {t.name}" for t in self.resources(clinic))
        return f"{clinic.stage}: probe {self.name} creates {self.creates} ({made}) and deletes them{told}"

    def __call__(self, clinic: Clinic, wait: float = 60.0) -> list[Finding]:
        """Sweep what an earlier run left, run, then delete what this run made whatever happened."""
        check = f"probe {self.name}"
        resources = self.resources(clinic)
        found: list[Finding] = []
        swept = [t for t in resources if _exists(clinic, t)]
        left = clean(clinic, swept)
        if swept:
            removed = [f"{t.kind} {t.name}" for t in swept if t not in left]
            if removed:
                found.append(
                    Finding(clinic.stage, check, OK, f"removed what an interrupted run left: {', '.join(removed)}")
                )
        if left:
            return [*found, *_left_behind(clinic, check, left)]
        made: list[Temporary] = []
        try:
            found.append(self.steps(clinic, made, wait))
        except KeyboardInterrupt:
            left = clean(clinic, made)
            raise ProbeInterrupted(
                [*found, Finding(clinic.stage, check, CANNOT, "interrupted"), *_left_behind(clinic, check, left)]
            ) from None
        except (BotoCoreError, ClientError) as error:
            found.append(Finding(clinic.stage, check, CANNOT, f"stopped: {' '.join(str(error).split())}"))
        found += _left_behind(clinic, check, clean(clinic, made))
        return found


def _exists(clinic: Clinic, temporary: Temporary) -> bool:
    try:
        return temporary.exists(clinic)
    except (BotoCoreError, ClientError):
        return True  # cannot tell: try to delete it, and name it if that fails too


def _left_behind(clinic: Clinic, check: str, left: list[Temporary]) -> list[Finding]:
    return [
        Finding(
            clinic.stage,
            check,
            PROBLEM,
            f"left behind {t.kind} {t.name}: delete it with `{t.by_hand()}`, or run this probe again (it "
            "removes it first)",
        )
        for t in left
    ]


def _prefix(clinic: Clinic) -> str:
    return f"{clinic.config.project}-doctor"


def _queue(clinic: Clinic, made: list[Temporary], temporary: Temporary, attributes: dict[str, str]) -> tuple[str, str]:
    """A queue EventBridge rules of this account may send to (the work queue's policy, no more)."""
    arn = f"arn:aws:sqs:{clinic.region}:{clinic.account}:{temporary.name}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": clinic.account}},
            }
        ],
    }
    made.append(temporary)
    url = clinic.client("sqs").create_queue(
        QueueName=temporary.name,
        Attributes={**attributes, "Policy": json.dumps(policy)},
        tags={PROBE_TAG["Key"]: PROBE_TAG["Value"]},
    )["QueueUrl"]
    return url, arn


def _rule(
    clinic: Clinic, made: list[Temporary], temporary: Temporary, pattern: dict[str, Any], target: dict[str, Any]
) -> None:
    events = clinic.client("events")
    made.append(temporary)
    events.put_rule(Name=temporary.name, EventPattern=json.dumps(pattern), State="ENABLED", Tags=[PROBE_TAG])
    failed = events.put_targets(Rule=temporary.name, Targets=[{"Id": "probe", **target}])
    if failed.get("FailedEntryCount"):
        raise ClientError(
            {"Error": {"Code": "FailedEntry", "Message": json.dumps(failed["FailedEntries"])}}, "PutTargets"
        )


def _receive(clinic: Clinic, url: str, wanted: Callable[[dict[str, Any]], bool], wait: float) -> float | None:
    """Seconds until an event ``wanted`` arrived in the queue, or None within ``wait``."""
    sqs = clinic.client("sqs")
    started = time.monotonic()
    while (left := wait - (time.monotonic() - started)) > 0:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=max(0, min(20, int(left))))
        for message in answer.get("Messages", []):
            try:
                if wanted(json.loads(message["Body"])):
                    return time.monotonic() - started
            except ValueError:
                continue
        if not answer.get("Messages"):
            time.sleep(min(1.0, max(0.0, left)))
    return None


def _event_resources(clinic: Clinic) -> list[Temporary]:
    return [Temporary("queue", f"{_prefix(clinic)}-events.fifo"), Temporary("rule", f"{_prefix(clinic)}-events")]


def _event_delivery(clinic: Clinic, made: list[Temporary], wait: float) -> Finding:
    check = "probe event-delivery"
    key = clinic.export(Exported.OPS_KEY)
    if key is None:
        return Finding(clinic.stage, check, CANNOT, "the platform stack is not deployed (the probe uses its ops key)")
    queue, rule = _event_resources(clinic)
    url, arn = _queue(
        clinic, made, queue, {"FifoQueue": "true", "ContentBasedDeduplication": "true", "KmsMasterKeyId": key}
    )
    run = uuid.uuid4().hex
    pattern = {"source": [PROBE_SOURCE], "detail-type": [PROBE_DETAIL_TYPE], "detail": {"run": [run]}}
    _rule(clinic, made, rule, pattern, {"Arn": arn, "SqsParameters": {"MessageGroupId": "probe"}})
    sent = clinic.client("events").put_events(
        Entries=[{"Source": PROBE_SOURCE, "DetailType": PROBE_DETAIL_TYPE, "Detail": json.dumps({"run": run})}]
    )
    if sent.get("FailedEntryCount"):
        return Finding(clinic.stage, check, PROBLEM, f"EventBridge refused the event: {sent['Entries']}")
    took = _receive(clinic, url, lambda event: event.get("detail", {}).get("run") == run, wait)
    if took is None:
        return Finding(
            clinic.stage,
            check,
            PROBLEM,
            f"no event within {wait:.0f} s in a queue encrypted with the ops key: EventBridge cannot use the key, so "
            "every approval and registration is dropped the same way. The ops key's policy must let "
            "events.amazonaws.com kms:GenerateDataKey* and kms:Decrypt (docs/threat-model.md, the ops key)",
        )
    return Finding(clinic.stage, check, OK, f"EventBridge delivered into a queue under the ops key in {took:.1f} s")


def _alarm_resources(clinic: Clinic) -> list[Temporary]:
    return [Temporary("alarm", f"{_prefix(clinic)}-alarm")]


def _alarm_delivery(clinic: Clinic, made: list[Temporary], wait: float) -> Finding:
    check = "probe alarm-delivery"
    topic = clinic.export(Exported.ALARM_TOPIC)
    if topic is None:
        return Finding(
            clinic.stage, check, CANNOT, "the platform stack is not deployed (the probe uses its alarm topic)"
        )
    (alarm,) = _alarm_resources(clinic)
    cloudwatch = clinic.client("cloudwatch")
    made.append(alarm)
    cloudwatch.put_metric_alarm(
        AlarmName=alarm.name,
        AlarmDescription="roadway doctor probe: a test that alarms reach this topic, not an incident (deleted at once)",
        Namespace="Roadway/Doctor",
        MetricName="Probe",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        Tags=[PROBE_TAG],
    )
    cloudwatch.set_alarm_state(
        AlarmName=alarm.name, StateValue="ALARM", StateReason="roadway doctor probe: testing alarm delivery"
    )
    started = time.monotonic()
    while True:
        history = cloudwatch.describe_alarm_history(AlarmName=alarm.name, HistoryItemType="Action")["AlarmHistoryItems"]
        for item in history:
            summary = str(item.get("HistorySummary", ""))
            if summary.startswith("Successfully executed action"):
                took = time.monotonic() - started
                return Finding(clinic.stage, check, OK, f"CloudWatch published to the alarm topic ({took:.0f} s)")
            if summary.startswith("Failed to execute action"):
                data = " ".join(str(item.get("HistoryData", "")).split())
                return Finding(
                    clinic.stage,
                    check,
                    PROBLEM,
                    f"CloudWatch could not publish to the alarm topic ({data}): the ops key's policy must let "
                    "cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt, and the topic's policy admit it",
                )
        if time.monotonic() - started >= wait:
            return Finding(
                clinic.stage, check, PROBLEM, f"no action in the alarm's history within {wait:.0f} s: see the alarm"
            )
        time.sleep(min(5.0, max(0.0, wait - (time.monotonic() - started))))


def _registry_resources(clinic: Clinic) -> list[Temporary]:
    name = f"{_prefix(clinic)}-registry"
    return [Temporary("queue", name), Temporary("group", name), Temporary("rule", name)]


def _registry_event(clinic: Clinic, made: list[Temporary], wait: float) -> Finding:
    check = "probe registry-event"
    queue, group, rule = _registry_resources(clinic)
    url, arn = _queue(clinic, made, queue, {"SqsManagedSseEnabled": "true"})
    sagemaker = clinic.client("sagemaker")
    made.append(group)
    sagemaker.create_model_package_group(
        ModelPackageGroupName=group.name,
        ModelPackageGroupDescription="roadway doctor probe: deleted at once",
        Tags=[PROBE_TAG],
    )
    pattern = {
        "source": [Event.SAGEMAKER],
        "detail-type": [Event.PACKAGE_STATE_CHANGE],
        "detail": {"ModelPackageGroupName": [group.name]},
    }
    _rule(clinic, made, rule, pattern, {"Arn": arn})
    image = (
        f"{SKLEARN_REGISTRIES[clinic.region]}.dkr.ecr.{clinic.region}.amazonaws.com/sagemaker-scikit-learn:{IMAGE_TAG}"
    )
    sagemaker.create_model_package(
        ModelPackageGroupName=group.name,
        ModelPackageDescription="roadway doctor probe: does this registry emit its state-change events?",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": image}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    took = _receive(clinic, url, lambda event: event.get("detail", {}).get("ModelPackageGroupName") == group.name, wait)
    if took is None:
        return Finding(
            clinic.stage,
            check,
            PROBLEM,
            f"SageMaker emitted no '{Event.PACKAGE_STATE_CHANGE}' event within {wait:.0f} s: registrations would go "
            "unsealed and approvals unseen (try a longer --wait; then ask AWS Support)",
        )
    return Finding(clinic.stage, check, OK, f"a registration's state-change event arrived in {took:.1f} s")


PROBES: dict[str, Probe] = {
    probe.name: probe
    for probe in (
        Probe(
            "event-delivery",
            "a FIFO queue encrypted with the stage's ops key and a rule of a custom source; it sends one event",
            None,
            _event_delivery,
            _event_resources,
        ),
        Probe(
            "alarm-delivery",
            "an alarm on a metric of its own whose action is the alarm topic, set to ALARM once",
            "the alarm topic's subscribers get one message named roadway-doctor (marked as a probe)",
            _alarm_delivery,
            _alarm_resources,
        ),
        Probe(
            "registry-event",
            "a model package group with one pending package, a rule on its state changes and a queue",
            None,
            _registry_event,
            _registry_resources,
        ),
    )
}


def chosen(names: list[str]) -> Iterator[Probe]:
    """The probes ``--probe`` named (``all``: every one), in a fixed order."""
    wanted = set(PROBES) if "all" in names else set(names)
    return (probe for name, probe in PROBES.items() if name in wanted)
