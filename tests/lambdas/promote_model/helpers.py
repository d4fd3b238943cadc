"""What the promotion tests check again and again, and the crashes they stage."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from promote_model.errors import PromotionError
from promote_model.handler import handler
from promote_model.promotion import Promotion

from devtools.moto_accounts import parameters_of
from tests.moto_road import Road


def sha256(road: Road, stage: str, uri: str) -> str:
    bucket, key = uri[len("s3://") :].split("/", 1)
    body = road.sessions[stage].client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return hashlib.sha256(body).hexdigest()



def assert_untouched(road: Road, stage: str) -> None:
    assert road.packages(stage) == []
    assert road.keys(stage) == []
    assert parameters_of(road.sessions[stage], road.serving_stack(stage))["ModelPackageArn"] == ""



class Crash(BaseException):
    """The process killed (a timeout): no undo runs."""



def crash_between_register_and_rollout(event: dict[str, Any]) -> None:
    """Deliver ``event`` and kill the promotion after it registered the package, before the stack update."""

    def crash(self: Promotion, *args: Any, **kwargs: Any) -> None:
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Promotion, "update_stack", crash)
        patch.setattr(Promotion, "undo", lambda self: None)  # a killed process undoes nothing
        with pytest.raises(Crash):
            handler(event)


def assert_refused(road: Road, outcome: dict[str, Any], stage: str, reason: str) -> dict[str, Any]:
    assert outcome["status"] == "refused" and reason in outcome["reason"]
    assert road.packages(stage) == [] and road.keys(stage) == [], "nothing copied, nothing registered"
    refused = [r for r in road.ledger(stage) if r["outcome"] == "refused"]
    assert len(refused) == 1 and reason in refused[0]["reason"]
    return refused[0]


def queue_properties(road: Road) -> dict[str, Any]:
    queues = road.synth.resources(road.names.stack_name("dev", "promotion"), "AWS::SQS::Queue")
    (work,) = [q["Properties"] for k, q in queues.items() if k.startswith("PromoterWork") and "Dead" not in k]
    return work


def make_queues(road: Road, stage: str = "dev") -> tuple[Any, str, str]:
    """The work queue and its dead letters in the stage's moto account, with the template's FIFO and redrive
    settings."""
    sqs = road.sessions[stage].client("sqs")
    work = queue_properties(road)
    dead = sqs.create_queue(QueueName="work-dead-letters.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": work["RedrivePolicy"]["maxReceiveCount"]}
    url = sqs.create_queue(
        QueueName="work.fifo",
        Attributes={
            "FifoQueue": str(work["FifoQueue"]).lower(),
            "ContentBasedDeduplication": str(work["ContentBasedDeduplication"]).lower(),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return sqs, url, dead


def deliver(sqs: Any, url: str, event: Any, group: str) -> None:
    """What the rule's SQS target does: the event as the body, the project as the message group."""
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event), MessageGroupId=group)


def receive(sqs: Any, url: str) -> dict[str, Any] | None:
    """One poll of the event source mapping (batch size 1)."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
    return messages[0] if messages else None


def settle(sqs: Any, url: str, message: dict[str, Any]) -> tuple[str, Any]:
    """Call the handler with the record Lambda would pass: ("done", outcome) and deleted, or ("failed", error) and
    visible again."""
    record = {"eventSource": "aws:sqs", "body": message["Body"], "messageId": message["MessageId"]}
    try:
        outcome = handler({"Records": [record]})
    except PromotionError as error:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        return "failed", error.step
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return "done", outcome["status"]


def served(road: Road, stage: str) -> str:
    return parameters_of(road.sessions[stage], road.serving_stack(stage))["ModelPackageArn"]
