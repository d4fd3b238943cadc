"""Four eyes in the promotion, on moto with three accounts: who created and who approved come from the
registry, never from the event; a self-approval, an approval outside the approver role or an unknown person is
refused, recorded and announced, and nothing moves.

moto records no caller (every package is created by one fake Studio user, and updates copy it into
LastModifiedBy), so each test writes those two fields as SageMaker would (Road.register/approve, through
``record_identities``) and says when it writes something else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from promote_model.errors import PromotionError
from promote_model.handler import handler

from devtools.moto_accounts import approval_event, role_session, studio_user
from devtools.patched.moto import record_identities
from tests.lambdas.promote_model.helpers import assert_untouched
from tests.moto_road import Road


def refused_with(road: Road, stage: str, source: str, reason: str, received: Any) -> None:
    (record,) = [r for r in road.ledger(stage) if r["source_arn"] == source]
    assert record["outcome"] == "refused" and reason in record["reason"]
    (message,) = received()
    assert reason in message["Message"] and "Nothing was copied or registered" in message["Message"]


def test_an_author_approving_through_the_approver_role_is_refused(road: Road) -> None:
    """ana-garcia is also an approver: the role lets her in, the promotion sees her name twice."""
    source = road.register("dev", author="ana-garcia", approver="ana-garcia")
    received = road.listen("test")
    road.act_as("test")
    outcome = handler(approval_event(source, approved_by="someone-else"))  # the event's claim is not read
    assert outcome["status"] == "refused"
    assert outcome["reason"] == "approved by its own author ana-garcia; a second person must approve"
    refused_with(road, "test", source, "approved by its own author ana-garcia", received)
    assert_untouched(road, "test")


def test_names_are_compared_without_case(road: Road) -> None:
    source = road.register("dev", author="ana-garcia", approver="Ana-Garcia")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and "approved by its own author" in outcome["reason"]


def test_an_approver_the_road_does_not_know_is_refused(road: Road) -> None:
    """The identity provider spelled the approver otherwise than the road (an e-mail for ana-garcia): the check
    could not tell an author approving their own package, so it refuses the name itself."""
    source = road.register("dev", author="ana-garcia", approver="ana.garcia@example.com")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert outcome["reason"].startswith("the approver ana.garcia@example.com is not one of the road's approvers")
    assert_untouched(road, "test")


def test_an_approval_outside_the_approver_role_is_refused(road: Road) -> None:
    """A platform administrator's session (another role, with a name on it) approved: not the door."""
    source = road.register("dev")
    road.approved_by("dev", source, "pat-admin", role="platform-admin")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert f"approved outside the approver role {road.names.approver_role('dev')}" in outcome["reason"]
    assert_untouched(road, "test")


def test_an_approval_by_a_studio_user_is_refused(road: Road) -> None:
    source = road.register("dev")
    record_identities(source, last_modified_by=studio_user(source, "ben-okafor"))
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and "by user profile ben-okafor" in outcome["reason"]


@pytest.mark.parametrize(
    ("created_by", "approver", "reason"),
    [
        ({"IamIdentity": {"Arn": "arn:aws:sts::111111111111:assumed-role/ci/1"}}, "maria-lopez", "author is unknown"),
        (None, "maria-lopez", "author is unknown"),
        ({"UserProfileName": "ana-garcia"}, None, "approver is unknown"),
    ],
)
def test_an_unknown_person_is_refused(road: Road, created_by: Any, approver: str | None, reason: str) -> None:
    source = road.register("dev")
    record_identities(source, created_by=created_by or {})
    if approver is None:
        record_identities(source, last_modified_by=role_session(road.accounts["dev"], road.names.approver_role("dev")))
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and reason in outcome["reason"]
    assert_untouched(road, "test")


def test_a_redelivered_refusal_is_recorded_and_announced_once(road: Road) -> None:
    source = road.register("dev", approver="ana-garcia")
    received = road.listen("test")
    road.act_as("test")
    handler(approval_event(source))
    handler(approval_event(source))
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]
    assert len(received()) == 1


def test_the_original_author_cannot_approve_in_test_either(road: Road) -> None:
    """The test package was registered by the promotion (no person on it): its author is the lineage's."""
    source = road.register("dev", author="ana-garcia")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    road.approve("test", in_test, approver="ana-garcia")
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == "approved by its own author ana-garcia; a second person must approve"
    assert road.packages("prod") == []


def test_the_author_travels_and_a_distinct_test_approver_promotes(road: Road) -> None:
    source = road.register("dev", author="ana-garcia", approver="maria-lopez")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    road.approve("test", in_test, approver="li-wei")
    road.act_as("prod")
    assert handler(approval_event(in_test))["status"] == "promoted"
    (package,) = road.packages("prod")
    lineage = package["CustomerMetadataProperties"]
    assert (lineage["roadway:created-by"], lineage["roadway:approved-by"]) == ("ana-garcia", "li-wei")
    (record,) = road.ledger("prod")
    assert (record["created_by"], record["approved_by"]) == ("ana-garcia", "li-wei")


def test_a_test_approver_rewriting_the_lineage_author_changes_nothing(road: Road) -> None:
    """The author of a package test's promoter registered is the one it sealed with it, in test's ledger: an
    approver who rewrites ``roadway:created-by`` while approving (SageMaker lets UpdateModelPackage change the
    metadata) cannot make their own model look like someone else's."""
    source = road.register("dev", author="ana-garcia")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    sm = road.sessions["test"].client("sagemaker")
    lineage = sm.describe_model_package(ModelPackageName=in_test)["CustomerMetadataProperties"]
    sm.update_model_package(
        ModelPackageArn=in_test, CustomerMetadataProperties={**lineage, "roadway:created-by": "someone-else"}
    )
    road.approve("test", in_test, approver="ana-garcia")
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == "approved by its own author ana-garcia; a second person must approve"


def test_a_promoted_package_sealed_without_its_author_is_refused(road: Road) -> None:
    """A seal with no author (one taken from the registration event alone, had the promotion stopped between
    registering and sealing) names nobody: prod refuses rather than guess."""
    from promote_model.ledger import Ledger

    source = road.register("dev")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    ledger = Ledger(road.sessions["test"].client("dynamodb"), road.deployed["test"]["LEDGER_TABLE_NAME"])
    sealed = ledger.get(in_test, "sealed")
    assert sealed is not None and sealed["created_by"] == "ana-garcia", "test's promoter sealed it with its author"
    road.sessions["test"].client("dynamodb").delete_item(
        TableName=road.deployed["test"]["LEDGER_TABLE_NAME"],
        Key={"source_arn": {"S": in_test}, "entry": {"S": "sealed"}},
    )
    road.approve("test", in_test)  # its registration event seals it now, without an author
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "refused" and "author is unknown" in outcome["reason"]


# The event's own shape, as AWS documents it and as it arrives broken.


def test_an_event_with_an_empty_detail_is_malformed_not_ignored(road: Road) -> None:
    event = approval_event(road.register("dev"))
    event["detail"] = {}
    road.act_as("test")
    with pytest.raises(PromotionError, match=r"read-event: detail.ModelPackageGroupName is None"):
        handler(event)


def test_an_event_from_another_account_than_its_package_is_malformed(road: Road) -> None:
    event = approval_event(road.register("dev"))
    event["account"] = road.accounts["test"]
    road.act_as("test")
    with pytest.raises(PromotionError, match=f"event account '{road.accounts['test']}' is not the package's account"):
        handler(event)
    assert_untouched(road, "test")


def test_null_and_oversized_people_in_the_event_change_nothing(road: Road) -> None:
    """CreatedBy null, no LastModifiedBy, or a 300 KB name: the event's people are not read at all."""
    source = road.register("dev")
    event = approval_event(source)
    event["detail"]["CreatedBy"] = None
    del event["detail"]["LastModifiedBy"]
    road.act_as("test")
    assert handler(event)["status"] == "promoted"
    event["detail"]["LastModifiedBy"] = {"UserProfileName": "x" * 300_000}
    assert handler(event)["status"] == "already-promoted"
    assert json.dumps(road.ledger("test")).count("x" * 100) == 0
