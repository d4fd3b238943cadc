"""The promoter's FIFO work queue, as the template makes it, on moto's SQS: a project's events one at a time and in
order, a poison event set aside after its tries, and another project's events never held up by it.

Lambda's event source mapping is played by ``take_one``: receive one message, call the handler with the record
Lambda would pass, delete it when the handler returns, and make it visible again at once when it raises (on AWS
the visibility timeout expires; here the test does not wait 20 minutes).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from promote_model.errors import PromotionError
from promote_model.handler import handler

from devtools.moto_accounts import approval_event
from tests.lambdas.promote_model.helpers import deliver, make_queues, queue_properties, receive, settle
from tests.moto_road import GROUP, Road


def take_one(sqs: Any, url: str) -> tuple[str, Any] | None:
    message = receive(sqs, url)
    return settle(sqs, url, message) if message else None


@pytest.fixture()
def queues(road: Road) -> tuple[Any, str, str]:
    road.act_as("dev")
    return make_queues(road)


def test_a_record_from_the_queue_is_taken_like_the_event_itself(road: Road, queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    arn = road.register("dev", approved=False, sealed=False)
    deliver(sqs, url, approval_event(arn, status="PendingManualApproval"), GROUP)
    assert take_one(sqs, url) == ("done", "sealed")
    assert take_one(sqs, url) is None, "taken once, then deleted"


def test_a_poison_event_holds_up_only_its_own_project_and_is_set_aside_after_its_tries(
    road: Road, queues: tuple[Any, str, str]
) -> None:
    sqs, url, dead = queues
    attempts = queue_properties(road)["RedrivePolicy"]["maxReceiveCount"]
    arn = road.register("dev", approved=False, sealed=False)
    poison = {"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change", "detail": {}}
    deliver(sqs, url, poison, GROUP)
    deliver(sqs, url, approval_event(arn, status="PendingManualApproval"), GROUP)
    # Another project's event, sent after both, in its own message group.
    elsewhere = approval_event(arn.replace(GROUP, "churn"), status="PendingManualApproval")
    elsewhere["detail"]["ModelPackageGroupName"] = "churn"
    deliver(sqs, url, elsewhere, "churn")

    # While the poison is being tried, its project's next event waits, and the other project's is taken.
    first = receive(sqs, url)
    assert first is not None and json.loads(first["Body"]) == poison
    second = receive(sqs, url)
    assert second is not None and json.loads(second["Body"]) == elsewhere, "another project is not held up"
    assert settle(sqs, url, second) == ("done", "ignored")  # this road has no project "churn" yet
    assert receive(sqs, url) is None, "the poison's project waits for it"
    assert settle(sqs, url, first) == ("failed", "read-event")

    # The poison is tried `attempts` times in all, then set aside; the project's next event is sealed.
    outcomes = [take_one(sqs, url) for _ in range(attempts)]
    assert outcomes == [("failed", "read-event")] * (attempts - 1) + [("done", "sealed")]
    assert take_one(sqs, url) is None
    assert [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=dead).get("Messages", [])] == [poison]


def test_a_body_that_is_not_json_is_a_failure_with_a_reason(road: Road) -> None:
    road.act_as("dev")
    with pytest.raises(PromotionError) as failed:
        handler({"Records": [{"eventSource": "aws:sqs", "body": "{not json"}]})
    assert failed.value.step == "read-event"
