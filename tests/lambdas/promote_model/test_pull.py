"""Each account changes only itself: the receiving account pulls, and the source account is only read.

moto checks no IAM, so what the roles may do is proven from the templates (tests/stacks/test_promotion_stack.py);
here the function itself is held to it: what it changes in the source account (nothing), and which events it acts
on (the previous account's approvals, its own account's registrations, nothing else).
"""

from __future__ import annotations

from typing import Any

import pytest
from promote_model import handler as handler_module

from devtools.moto_accounts import approval_event, parameters_of
from tests.moto_road import GROUP, Road

handler = handler_module.handler


def state_of(road: Road, stage: str) -> dict[str, Any]:
    """What an account holds that a promotion could change: packages, artifact versions, ledger, stacks."""
    session = road.sessions[stage]
    s3 = session.client("s3")
    versions = s3.list_object_versions(Bucket=road.buckets[stage]).get("Versions", [])
    packages = [{k: v for k, v in p.items() if k != "ResponseMetadata"} for p in road.packages(stage)]
    return {
        "packages": packages,
        "objects": sorted((v["Key"], v["VersionId"], v["ETag"]) for v in versions),
        "ledger": road.ledger(stage, seals=True),
        "stacks": sorted(s["StackName"] for s in session.client("cloudformation").describe_stacks()["Stacks"]),
    }


def test_a_pull_reads_the_source_and_changes_only_the_receiving_account(road: Road) -> None:
    source = road.register("dev")
    before = state_of(road, "dev")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "promoted"
    assert state_of(road, "dev") == before, "the source account is only read"
    assert [r["outcome"] for r in road.ledger("test")] == ["promoted"], "the decision is recorded where it was made"
    assert parameters_of(road.sessions["test"], road.serving_stack("test"))["ModelPackageArn"] == outcome["target_arn"]


def test_a_refusal_is_recorded_and_announced_in_the_receiving_account(road: Road) -> None:
    source = road.register("dev", rmse_log=0.2)
    before = state_of(road, "dev")
    received = road.listen("test")
    road.act_as("test")
    assert handler(approval_event(source))["status"] == "refused"
    assert state_of(road, "dev") == before
    assert [m["Subject"] for m in received()] == [f"Roadway: {GROUP} v1 refused for test"]


@pytest.mark.parametrize(
    ("stage", "registered_in", "status", "reason"),
    [
        # prod takes packages only from test: a dev approval that reaches prod's bus is not its business.
        ("prod", "dev", "Approved", "prod receives from {test}"),
        # test's own approvals are prod's to pull; test's function does not push them.
        ("test", "test", "Approved", "test receives from {dev}"),
        # dev receives from nobody.
        ("dev", "dev", "Approved", "dev receives from no stage"),
        # a registration is sealed only by its own account's function.
        ("test", "dev", "PendingManualApproval", "this function seals {test}'s"),
    ],
)
def test_only_the_previous_accounts_approvals_and_own_registrations_are_acted_on(
    road: Road, stage: str, registered_in: str, status: str, reason: str
) -> None:
    arn = road.register(registered_in, approved=status == "Approved")
    before = {s: state_of(road, s) for s in road.accounts}
    road.act_as(stage)
    outcome = handler(approval_event(arn, status=status))
    assert outcome["status"] == "ignored" and reason.format(**road.accounts) in outcome["reason"]
    assert {s: state_of(road, s) for s in road.accounts} == before, "nothing changed anywhere"


def test_the_seal_is_read_from_the_sources_ledger_not_the_receivers(road: Road) -> None:
    """A seal the receiving account wrote for itself proves nothing about what the source registered."""
    source = road.register("dev", sealed=False)
    from promote_model.ledger import Ledger

    own = Ledger(road.sessions["test"].client("dynamodb"), road.deployed["test"]["LEDGER_TABLE_NAME"])
    own.record(source, "sealed", seal={})
    road.act_as("test")
    with pytest.raises(handler_module.PromotionError, match=r"promotion failed at seal: .* has no seal yet"):
        handler(approval_event(source))
    assert road.packages("test") == []


def test_the_copy_carries_nothing_that_names_the_sources_object() -> None:
    """DescribeModelPackage returns, beside what serves, fields naming the source's object (its ETag, its S3 data
    source): the target's copy is another object, so only what serves and describes is carried."""
    from promote_model.promotion import carried

    source = "s3://dev-artifacts/pipelines/house-price/r/model.tar.gz"
    container = {
        "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3",
        "ImageDigest": "sha256:" + "a" * 64,
        "ModelDataUrl": source,
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        "Framework": "SKLEARN",
        "ModelDataETag": '"0123456789abcdef-3"',
        "ModelDataSource": {"S3DataSource": {"S3Uri": source, "S3DataType": "S3Object", "ETag": '"0123"'}},
        "AdditionalS3DataSource": {"S3Uri": source, "S3DataType": "S3Object"},
    }
    package = {
        "InferenceSpecification": {"Containers": [container], "SupportedContentTypes": ["text/csv"]},
        "ModelApprovalStatus": "Approved",
    }
    (kept,) = carried(package)["InferenceSpecification"]["Containers"]
    assert set(kept) == {"Image", "ImageDigest", "ModelDataUrl", "Environment", "Framework"}
    assert carried(package)["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    assert "ModelApprovalStatus" not in carried(package)
