"""After a deploy: the stage's stacks as CloudFormation left them, and whether anything is already wrong in
them (an unconfirmed alarm address, events given up on, an alarm firing, a drift job that stopped reporting)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from promote_model.contract import SOURCE_OUTPUTS, Output

from roadway.doctor.findings import OK, PROBLEM, Clinic, Finding
from roadway.naming import Exported, stage_stacks
from roadway.road import watch

# Outputs other parts of the road read from a deployed stack (the promotion function, the CLI, the doctor).
SERVING_OUTPUTS = (Output.ARTIFACT_BUCKET, Output.GATE)
SCHEDULES = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


def contract_outputs(clinic: Clinic) -> dict[str, tuple[str, ...]]:
    """Per stack of the stage, the outputs another part of the road reads (tests hold this to the templates)."""
    names = clinic.names
    expected: dict[str, tuple[str, ...]] = {
        names.stack_name(clinic.stage, "promotion"): (*SOURCE_OUTPUTS, *Output.QUEUES_OF_DEAD_LETTERS),
    }
    for project in clinic.config.projects:
        at = project.stage(clinic.stage)
        if at is None:
            continue
        watched = at.serving.monitoring is not None and at.serving.monitoring.engine == "roadway"
        extra = (Output.DRIFT_REPORTS, Output.DEAD_LETTERS) if watched else ()
        expected[names.model(project).serving_stack(clinic.stage)] = (*SERVING_OUTPUTS, *extra)
    return expected


def stacks(clinic: Clinic) -> Iterator[Finding]:
    """Every stack of the stage deployed and settled, with the outputs the road reads from it."""
    wanted = contract_outputs(clinic)
    for name in stage_stacks(clinic.config, clinic.stage):
        stack = clinic.stack(name)
        if stack is None:
            yield Finding(
                clinic.stage, f"stack {name}", PROBLEM, f"not deployed: make deploy STAGE={clinic.stage.capitalize()}"
            )
            continue
        status = stack["StackStatus"]
        if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
            why = "still in progress" if status.endswith("_IN_PROGRESS") else "its last change failed"
            yield Finding(
                clinic.stage,
                f"stack {name}",
                PROBLEM,
                f"{status} ({why}): aws cloudformation describe-stack-events --stack-name {name}",
            )
            continue
        missing = [key for key in wanted.get(name, ()) if key not in clinic.outputs(name)]
        if missing:
            yield Finding(
                clinic.stage,
                f"stack {name}",
                PROBLEM,
                f"{status} but without the outputs {', '.join(missing)}: deploy this version's assembly again",
            )
            continue
        yield Finding(clinic.stage, f"stack {name}", OK, status)


def alarm_topic(clinic: Clinic) -> Iterator[Finding]:
    """Someone hears the stage's alarms: the topic has subscribers, and each has confirmed."""
    topic = clinic.export(Exported.ALARM_TOPIC)
    if topic is None:
        return  # the platform stack is not deployed: `stacks` says so
    subscriptions = list(clinic.pages("sns", "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic))
    if not subscriptions:
        yield Finding(
            clinic.stage,
            "alarm topic",
            PROBLEM,
            f"nobody subscribes to {topic}: set stages.{clinic.stage}.alarm_emails and deploy",
        )
        return
    pending = sorted(s["Endpoint"] for s in subscriptions if s["SubscriptionArn"] == "PendingConfirmation")
    if pending:
        yield Finding(
            clinic.stage,
            "alarm topic",
            PROBLEM,
            f"{', '.join(pending)} never confirmed: until each follows the link in AWS's 'Subscription "
            "Confirmation' e-mail, alarms do not reach them (a new deploy of the platform stack sends it again)",
        )
        return
    yield Finding(clinic.stage, "alarm topic", OK, f"{len(subscriptions)} confirmed subscriber(s)")


def dead_letters(clinic: Clinic) -> Iterator[Finding]:
    """Events the stage gave up on wait in its dead-letter queues: each is a promotion, a seal or a drift run that
    did not happen."""
    for name in stage_stacks(clinic.config, clinic.stage):
        outputs = clinic.outputs(name)
        for key in Output.QUEUES_OF_DEAD_LETTERS:
            if key not in outputs:
                continue
            url = outputs[key]
            attributes = clinic.ask(
                "sqs",
                "get_queue_attributes",
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            waiting = sum(int(value) for value in attributes.values())
            queue = url.rsplit("/", 1)[-1]
            if waiting:
                yield Finding(
                    clinic.stage,
                    f"dead letters {queue}",
                    PROBLEM,
                    f"{waiting} message(s) given up on: read why in the function's log, then redrive or delete them "
                    "(docs/mlops.md, 'Reading a failed promotion')",
                )
            else:
                yield Finding(clinic.stage, f"dead letters {queue}", OK, "empty")


def alarms(clinic: Clinic) -> Iterator[Finding]:
    """No alarm of the stage is firing. Every alarm of a stage is named after its stack (CloudFormation's names
    start with the stack's; the idle alarm with the endpoint's), so the stage's prefix finds them all."""
    prefix = f"{clinic.config.project}-{clinic.stage}-"
    found = list(clinic.pages("cloudwatch", "describe_alarms", "MetricAlarms", AlarmNamePrefix=prefix))
    firing = [alarm for alarm in found if alarm["StateValue"] == "ALARM"]
    for alarm in firing:
        reason = " ".join(str(alarm.get("StateReason", "")).split())
        yield Finding(clinic.stage, f"alarm {alarm['AlarmName']}", PROBLEM, f"in ALARM: {reason}")
    if found and not firing:
        yield Finding(clinic.stage, "alarms", OK, f"none of {len(found)} in ALARM")


def drift_runs(clinic: Clinic) -> Iterator[Finding]:
    """The last run of each endpoint's watch reported, recently, and found no drift."""
    now = datetime.now(UTC)
    for project in clinic.config.projects:
        at = project.stage(clinic.stage)
        if at is None or at.serving.monitoring is None:
            continue
        period = SCHEDULES[at.serving.monitoring.schedule]
        check = f"drift {project.name}"
        clinic.stack(clinic.names.model(project).serving_stack(clinic.stage))  # read here: a refusal cannot check
        last = watch(clinic.road, clinic.stage, project) or {}
        verdict = str(last.get("verdict"))
        when = (last.get("window") or {}).get("end") or last.get("at")
        if verdict in ("not-deployed", "no-schedule"):
            continue  # `stacks` says the stack is missing; no schedule until a package with a baseline is served
        if verdict == "no-run-yet" or not when:
            yield Finding(clinic.stage, check, OK, f"no run yet (runs {at.serving.monitoring.schedule})")
            continue
        ended = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        if now - ended > 2 * period + timedelta(minutes=15):
            yield Finding(
                clinic.stage,
                check,
                PROBLEM,
                f"last run ended {when}, more than two {at.serving.monitoring.schedule} runs ago: see the job's log "
                "and its dead letters",
            )
        elif verdict in ("drift", "Failed", "CompletedWithViolations"):
            yield Finding(clinic.stage, check, PROBLEM, f"last run ({when}): {verdict}; see {last.get('report')}")
        else:
            yield Finding(clinic.stage, check, OK, f"last run ({when}): {verdict}")


CHECKS = (stacks, alarm_topic, dead_letters, alarms, drift_runs)
