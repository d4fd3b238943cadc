"""What a failure leaves: the undo removes only what this attempt created, and a ledger write that fails after
the rollout leaves a state the retry completes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from promote_model.errors import PromotionError
from promote_model.handler import handler
from promote_model.ledger import Ledger
from promote_model.promotion import Promotion

from devtools.moto_accounts import approval_event, parameters_of
from tests.moto_road import Road


def serving(road: Road, stage: str) -> str:
    return parameters_of(road.sessions[stage], road.serving_stack(stage))["ModelPackageArn"]


def test_re_approving_a_version_served_before_changes_nothing(road: Road) -> None:
    """v1 served, v2 served, v1 approved again in dev: v1 was promoted into test once, so its approval is done
    (tests/lambdas/promote_model/test_replays.py); going back is a break-glass withdrawal of v2. Nothing of v1's
    is touched, and nothing is undone, even when the stack is busy."""
    v1 = road.register("dev", run="run-1")
    road.act_as("test")
    v1_in_test = handler(approval_event(v1))["target_arn"]
    v2 = road.register("dev", run="run-2")
    v2_in_test = handler(approval_event(v2))["target_arn"]

    def busy(self: Promotion, *args: Any, **kwargs: Any) -> bool:
        raise PromotionError("update-stack", "ValidationError: stack is in UPDATE_IN_PROGRESS state")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Promotion, "update_stack", busy)
        outcome = handler(approval_event(v1))
    assert (outcome["status"], outcome["target_arn"], outcome["stack_updated"]) == (
        "already-promoted",
        v1_in_test,
        False,
    )
    assert serving(road, "test") == v2_in_test
    model = next(p for p in road.packages("test") if p["ModelPackageArn"] == v1_in_test)
    key = model["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].split("/", 3)[3]
    assert key in road.keys("test"), "v1's artifacts stay with it"


def test_a_ledger_failure_after_the_rollout_is_reported_and_the_retry_records_it(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    real = Ledger.record

    def refuse_promoted(self: Ledger, source_arn: str, outcome: str, **fields: Any) -> bool:
        if outcome == "promoted":
            error = {"Error": {"Code": "ValidationException", "Message": "Item size has exceeded the maximum"}}
            raise ClientError(error, "PutItem")
        return real(self, source_arn, outcome, **fields)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Ledger, "record", refuse_promoted)
        with pytest.raises(PromotionError, match=r"promotion failed at ledger: .* is served, its record failed"):
            handler(approval_event(source))
    (package,) = road.packages("test")
    assert serving(road, "test") == package["ModelPackageArn"], "the rollout stands; nothing is undone"
    assert [r["outcome"] for r in road.ledger("test")] == []

    outcome = handler(approval_event(source))
    assert outcome["status"] == "already-promoted" and outcome["stack_updated"] is False
    assert [r["outcome"] for r in road.ledger("test")] == ["promoted"]


def test_ledger_records_stay_far_below_dynamodbs_item_limit(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    ledger = Ledger(road.sessions["dev"].client("dynamodb"), road.deployed["dev"]["LEDGER_TABLE_NAME"])
    assert ledger.record(source, "failed", reason="r" * 500_000, digests={f"a{i}": "d" * 9000 for i in range(200)})
    (record,) = road.ledger("dev")
    assert len(record["reason"]) <= 2048 and len(record["digests"]) <= 64
