"""An approval delivered again never moves serving on its own: a source this stage promoted once is done, and a
package an earlier delivery registered but never saw served is checked again like a first promotion. Each of the
three ways an old approval arrives again (a redrive from the dead-letter queue, an upstream Rejected -> Approved
toggle, a duplicate outside the FIFO queue's deduplication window) on the moto road."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from promote_model.errors import PromotionError
from promote_model.handler import handler
from promote_model.ledger import Ledger
from promote_model.promotion import Promotion

from devtools.moto_accounts import approval_event
from devtools.moto_road import APPROVERS
from tests.lambdas.promote_model.helpers import crash_between_register_and_rollout, served
from tests.moto_road import Road


def into_test(road: Road, run: str) -> str:
    """Register in dev, promote to test and approve there: test's package (what prod pulls)."""
    source = road.register("dev", run=run)
    road.act_as("test")
    in_test = str(handler(approval_event(source))["target_arn"])
    road.approve("test", in_test)
    return in_test


def into_prod(road: Road, in_test: str) -> str:
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "promoted", outcome
    return str(outcome["target_arn"])


def withdraw(road: Road, in_prod: str) -> None:
    road.reject("prod", in_prod)
    road.act_as("prod")
    assert handler(approval_event(in_prod, status="Rejected"))["status"] == "withdrawn"


def outcomes(road: Road) -> list[str]:
    return [r["outcome"] for r in road.ledger("prod")]


def test_a_redelivered_older_approval_never_rolls_serving_back(road: Road) -> None:
    """A duplicate outside the FIFO window (or a re-approval of the old version upstream): prod serves v2 and
    stays there, whatever v1's approval says again. Before, it re-served v1 past the regression gate."""
    v1_test = into_test(road, "run-1")
    into_prod(road, v1_test)
    v2_prod = into_prod(road, into_test(road, "run-2"))
    recorded = outcomes(road)

    again = handler(approval_event(v1_test))
    assert (again["status"], again["stack_updated"]) == ("already-promoted", False)
    assert served(road, "prod") == v2_prod
    assert outcomes(road) == recorded, "nothing new to record: nothing changed"


def test_an_approval_toggled_upstream_does_not_undo_a_withdrawal(road: Road) -> None:
    """Break-glass took v2 out of prod; someone in test sets v2 Rejected and Approved again. Before, prod
    served the withdrawn (Rejected) v2 again, with no check, record or page."""
    into_prod(road, into_test(road, "run-1"))
    v1_prod = served(road, "prod")
    v2_test = into_test(road, "run-2")
    v2_prod = into_prod(road, v2_test)
    withdraw(road, v2_prod)
    assert served(road, "prod") == v1_prod

    sm = road.sessions["test"].client("sagemaker")
    lineage = sm.describe_model_package(ModelPackageName=v2_test)["CustomerMetadataProperties"]
    for status in ("Rejected", "Approved"):
        sm.update_model_package(ModelPackageArn=v2_test, ModelApprovalStatus=status, CustomerMetadataProperties=lineage)
    road.approved_by("test", v2_test, APPROVERS["test"])
    road.act_as("prod")
    again = handler(approval_event(v2_test))
    assert (again["status"], again["stack_updated"]) == ("already-promoted", False)
    assert served(road, "prod") == v1_prod, "the withdrawal stands"


def fail_the_promoted_record(patch: pytest.MonkeyPatch) -> None:
    real = Ledger.record

    def refuse_promoted(self: Ledger, source_arn: str, outcome: str, **fields: Any) -> bool:
        if outcome == "promoted":
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "try again"}}, "PutItem")
        return real(self, source_arn, outcome, **fields)

    patch.setattr(Ledger, "record", refuse_promoted)


def test_a_redrive_after_a_failed_record_does_not_undo_a_withdrawal(road: Road) -> None:
    """v2 was rolled out but its record failed (the event went to the dead-letter queue); break-glass withdrew
    v2 before anyone redrove it. The redrive finds v2 registered, not served and Rejected: it is refused."""
    into_prod(road, into_test(road, "run-1"))
    v1_prod = served(road, "prod")
    v2_test = into_test(road, "run-2")
    road.act_as("prod")
    with pytest.MonkeyPatch.context() as patch:
        fail_the_promoted_record(patch)
        with pytest.raises(PromotionError, match="its record failed"):
            handler(approval_event(v2_test))
    v2_prod = served(road, "prod")
    assert v2_prod != v1_prod
    withdraw(road, v2_prod)
    assert served(road, "prod") == v1_prod
    alarms = road.listen("prod")

    redriven = handler(approval_event(v2_test))
    assert redriven["status"] == "refused"
    assert redriven["reason"] == f"{v2_prod} was withdrawn (Rejected) in prod; a withdrawal stands"
    assert served(road, "prod") == v1_prod
    assert v2_prod in {p["ModelPackageArn"] for p in road.packages("prod")}, "the withdrawn package stays on record"
    assert [m["Subject"] for m in alarms()] == ["Roadway: house-price v2 refused for prod"]


def test_a_rollout_never_finished_is_checked_again_served_and_paged(road: Road) -> None:
    """The stack never received the package an earlier delivery registered (a crash between register and update):
    the retry checks the gate against what is served now, rolls it out, records it and pages."""
    v2_test = into_test(road, "run-1")
    road.act_as("prod")

    crash_between_register_and_rollout(approval_event(v2_test))
    (registered,) = road.packages("prod")
    alarms = road.listen("prod")
    gate_checks: list[str] = []
    real_gate = Promotion.check_gate

    def watched_gate(self: Promotion, *args: Any) -> Any:
        gate_checks.append(self.approval.package_arn)
        return real_gate(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Promotion, "check_gate", watched_gate)
        outcome = handler(approval_event(v2_test))
    assert (outcome["status"], outcome["stack_updated"]) == ("already-promoted", True)
    assert gate_checks == [v2_test], "the gate judged it against what prod serves now"
    assert served(road, "prod") == registered["ModelPackageArn"]
    assert outcomes(road) == ["promoted"]
    (message,) = alarms()
    assert message["Subject"] == "Roadway: house-price v1 served in prod by a retry"
