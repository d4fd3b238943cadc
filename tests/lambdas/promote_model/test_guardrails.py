"""Guardrails against moto with three accounts: the metric gate, artifact digests, the ledger, rollbacks."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from promote_model import handler as handler_module
from promote_model import rollback
from promote_model.errors import PromotionError
from promote_model.promotion import Promotion

from devtools.moto_accounts import approval_event, parameters_of, studio_user
from devtools.moto_road import model_tarball
from devtools.patched.moto import record_identities
from tests.lambdas.promote_model.helpers import assert_refused
from tests.moto_road import Road

handler = handler_module.handler


def to_test(road: Road, *, rmse_log: float | None = 0.11, run: str = "run-1") -> tuple[str, dict[str, Any]]:
    source = road.register("dev", rmse_log=rmse_log, run=run)
    road.act_as("test")
    return source, handler(approval_event(source))


def test_a_package_within_the_gate_is_promoted_with_its_digests_and_metric(road: Road) -> None:
    source, outcome = to_test(road, rmse_log=0.11)
    assert outcome["status"] == "promoted"
    (package,) = road.packages("test")
    lineage = package["CustomerMetadataProperties"]
    dev_model = (
        road.sessions["dev"]
        .client("s3")
        .get_object(Bucket=road.buckets["dev"], Key="pipelines/house-price/run-1/model.tar.gz")
    )
    assert lineage["roadway:sha256:model.tar.gz"] == hashlib.sha256(dev_model["Body"].read()).hexdigest()
    assert {k for k in lineage if k.startswith("roadway:sha256:")} == {
        "roadway:sha256:model.tar.gz",
        "roadway:sha256:evaluation.json",
        "roadway:sha256:constraints.json",
        "roadway:sha256:statistics.json",
        "roadway:sha256:bias.json",
        "roadway:sha256:explainability.json",
    }
    assert lineage["roadway:rmse-log"] == "0.110000"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", lineage["roadway:approved-at"]), "ISO 8601, UTC, Z"
    (record,) = road.ledger("test")
    assert (record["outcome"], record["source_arn"], record["target_arn"]) == (
        "promoted",
        source,
        outcome["target_arn"],
    )
    assert (record["source_stage"], record["target_stage"], record["approved_by"]) == ("dev", "test", "maria-lopez")
    assert record["digests"]["model.tar.gz"] == lineage["roadway:sha256:model.tar.gz"]
    assert record["metrics"] == {"rmse_log": "0.110000", "rmse_log_max": "0.125000"}




def test_a_package_above_rmse_log_max_is_refused_recorded_and_announced(road: Road) -> None:
    alarms = road.listen("test")
    _, outcome = to_test(road, rmse_log=0.13)
    record = assert_refused(road, outcome, "test", "rmse_log 0.1300 is above rmse_log_max 0.1250")
    assert record["metrics"] == {"rmse_log": "0.130000", "rmse_log_max": "0.125000"} and "target_arn" not in record
    (message,) = alarms()
    assert message["Subject"] == "Roadway: house-price v1 refused for test"
    assert "rmse_log 0.1300 is above rmse_log_max 0.1250" in message["Message"]
    assert "Nothing was copied or registered" in message["Message"]


def test_a_package_without_the_metric_is_refused(road: Road) -> None:
    _, outcome = to_test(road, rmse_log=None)
    assert_refused(road, outcome, "test", "no rmse_log in the package's registered model metrics")


def test_only_rmse_log_is_read_never_another_rmse() -> None:
    """config/README.md: a package without rmse_log is refused by every gate; an `rmse` beside it is not read."""
    from promote_model.gate import rmse_log

    assert rmse_log(b'{"regression_metrics": {"rmse": {"value": 0.05}}}') is None
    assert rmse_log(b'{"regression_metrics": {"rmse": {"value": 0.05}, "rmse_log": {"value": 0.2}}}') == 0.2


def test_a_package_without_metrics_at_all_is_refused(road: Road) -> None:
    source = road.register("dev", ModelMetrics={})
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", "no rmse_log")


def test_a_refusal_delivered_twice_is_one_record_and_one_alarm(road: Road) -> None:
    alarms = road.listen("test")
    source = road.register("dev", rmse_log=0.2)
    road.act_as("test")
    first, second = handler(approval_event(source)), handler(approval_event(source))
    assert first["status"] == second["status"] == "refused"
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]
    assert len(alarms()) == 1


def through_prod(road: Road, rmse_log: float, run: str) -> dict[str, Any]:
    _, in_test = to_test(road, rmse_log=rmse_log, run=run)
    assert in_test["status"] == "promoted", in_test
    road.approve("test", in_test["target_arn"])
    road.act_as("prod")
    return handler(approval_event(in_test["target_arn"]))


def test_prod_refuses_a_model_worse_than_the_one_it_serves(road: Road) -> None:
    first = through_prod(road, 0.100, "run-1")
    assert first["status"] == "promoted"
    # 0.104 is within prod's rmse_log_max (0.12) but 4% worse than the served 0.100 (max_regression_pct 2).
    second = through_prod(road, 0.104, "run-2")
    assert second["status"] == "refused"
    assert "rmse_log 0.1040 is 4.0% worse than the served version's 0.1000 (max_regression_pct 2)" in second["reason"]
    assert [p["ModelPackageArn"] for p in road.packages("prod")] == [first["target_arn"]]
    assert parameters_of(road.sessions["prod"], road.serving_stack("prod"))["ModelPackageArn"] == first["target_arn"]
    outcomes = [r["outcome"] for r in road.ledger("prod")]
    assert outcomes == ["promoted", "refused"]


def test_prod_takes_a_model_within_the_allowed_regression(road: Road) -> None:
    through_prod(road, 0.100, "run-1")
    assert through_prod(road, 0.101, "run-2")["status"] == "promoted"  # 1% worse: allowed


def test_a_copy_corrupted_before_verification_fails_whole_and_is_recorded(
    road: Road, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copy = Promotion.copy_object

    def copy_then_corrupt(self: Promotion, s3: Any, source: Any, copy: Any, config: Any, version: Any = None) -> None:
        real_copy(self, s3, source, copy, config, version)
        if copy.key.endswith("model.tar.gz"):
            s3.put_object(Bucket=copy.bucket, Key=copy.key, Body=b"not the model")

    monkeypatch.setattr(Promotion, "copy_object", copy_then_corrupt)
    source = road.register("dev")
    road.act_as("test")
    with pytest.raises(PromotionError, match=r"promotion failed at verify: s3://.*model.tar.gz: sha256 \w+ after"):
        handler(approval_event(source))
    assert road.packages("test") == [] and road.keys("test") == []
    (record,) = road.ledger("test")
    assert (record["outcome"], record["step"]) == ("failed", "verify")

    monkeypatch.setattr(Promotion, "copy_object", real_copy)
    assert handler(approval_event(source))["status"] == "promoted"
    assert [r["outcome"] for r in road.ledger("test")] == ["failed", "promoted"]


def swap_model_in_test(road: Road) -> str:
    _, in_test = to_test(road)
    (package,) = road.packages("test")
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = model_url[len("s3://") :].split("/", 1)
    swapped = model_tarball(4096)  # a servable archive, other bytes: only the digests can tell
    road.sessions["test"].client("s3").put_object(Bucket=bucket, Key=key, Body=swapped)
    return str(in_test["target_arn"])


def test_an_artifact_changed_after_an_earlier_hop_is_refused_by_its_seal(road: Road) -> None:
    """Test's promoter sealed its copies as it registered them: a later change is refused, naming the artifact."""
    in_test = swap_model_in_test(road)
    road.approve("test", in_test)
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "refused" and "model.tar.gz" in outcome["reason"] and "sealed" in outcome["reason"]
    assert road.packages("prod") == [] and road.keys("prod") == []


def test_an_artifact_changed_before_a_late_seal_is_still_caught_by_its_upstream_digest(road: Road) -> None:
    """Had the seal been taken only after the change (its registration event alone, the promoter's own seal
    missing), the digest the lineage carries from upstream still catches it."""
    in_test = swap_model_in_test(road)
    road.sessions["test"].client("dynamodb").delete_item(
        TableName=road.deployed["test"]["LEDGER_TABLE_NAME"],
        Key={"source_arn": {"S": in_test}, "entry": {"S": "sealed"}},
    )
    sm = road.sessions["test"].client("sagemaker")
    record_identities(in_test, created_by=studio_user(in_test, "ana-garcia"))  # a person: four eyes pass
    lineage = sm.describe_model_package(ModelPackageName=in_test)["CustomerMetadataProperties"]
    road.seal("test", in_test)
    sm.update_model_package(ModelPackageArn=in_test, ModelApprovalStatus="Approved", CustomerMetadataProperties=lineage)
    road.approved_by("test", in_test, "li-wei")
    road.act_as("prod")
    with pytest.raises(PromotionError, match=r"differs from \w+ recorded upstream"):
        handler(approval_event(in_test))
    assert road.packages("prod") == [] and road.keys("prod") == []


def test_a_redelivered_event_adds_no_second_promoted_record(road: Road) -> None:
    source, _ = to_test(road)
    second = handler(approval_event(source))
    assert second["status"] == "already-promoted"
    (record,) = road.ledger("test")
    assert record["outcome"] == "promoted" and record["digests"]


def rollback_event(road: Road, stage: str, status: str = "UPDATE_ROLLBACK_COMPLETE") -> dict[str, Any]:
    """What the serving account forwards: CloudFormation's stack status change for its serving stack."""
    account = road.accounts[stage]
    return {
        "version": "0",
        "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation",
        "account": account,
        "region": road.region,
        "detail": {
            "stack-id": f"arn:aws:cloudformation:{road.region}:{account}:stack/{road.serving_stack(stage)}/0a1b2c3d",
            "status-details": {"status": status, "status-reason": "Endpoint update failed its alarms"},
        },
    }


def test_a_rolled_back_rollout_is_recorded_and_announced(road: Road) -> None:
    _, first = to_test(road, run="run-1")
    _, second = to_test(road, run="run-2")
    assert second["status"] == "promoted"
    # The endpoint's blue/green deployment failed its alarms; CloudFormation put the previous package back.
    stack = road.sessions["test"].client("cloudformation")
    current = parameters_of(road.sessions["test"], road.serving_stack("test"))
    stack.update_stack(
        StackName=road.serving_stack("test"),
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": k, "ParameterValue": first["target_arn"]}
            if k == "ModelPackageArn"
            else {"ParameterKey": k, "UsePreviousValue": True}
            for k in current
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    alarms = road.listen("test")
    road.act_as("test")
    result = rollback.handler(rollback_event(road, "test"))

    assert result["status"] == "rolled-back" and result["served"] == first["target_arn"]
    record = road.ledger("test")[-1]
    assert record["outcome"] == "rolled-back" and record["source_arn"] == second["source_arn"]
    assert record["target_arn"] == second["target_arn"] and record["served_version"] == "1"
    assert record["reason"].startswith(f"{road.serving_stack('test')} rolled back from v2; still serving v1")
    (message,) = alarms()
    assert message["Subject"] == "Roadway: house-price in test rolled back, still serving v1"


NOT_A_ROLLBACK = {
    "not-rolled-back": lambda road: rollback_event(road, "test", status="UPDATE_COMPLETE"),
    "another-accounts-stack": lambda road: rollback_event(road, "prod"),
    "not-cloudformation": lambda road: {"source": "aws.sagemaker", "detail-type": "x"},
}


@pytest.mark.parametrize("kind", NOT_A_ROLLBACK)
def test_the_rollback_recorder_ignores_what_is_not_a_rollback_of_its_stack(road: Road, kind: str) -> None:
    road.act_as("test")
    assert rollback.handler(NOT_A_ROLLBACK[kind](road)) == {"status": "ignored"}
    assert road.ledger("test") == []


def test_a_served_version_without_a_metric_fails_the_regression_check_closed(road: Road) -> None:
    """Prod serves v1, but v1's metrics no longer name rmse_log: the comparison cannot be made, so it refuses."""
    first = through_prod(road, 0.100, "run-1")
    served = road.sessions["prod"].client("sagemaker").describe_model_package(ModelPackageName=first["target_arn"])
    uri = served["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, key = uri[len("s3://") :].split("/", 1)
    road.sessions["prod"].client("s3").put_object(Bucket=bucket, Key=key, Body=b'{"regression_metrics": {}}')
    second = through_prod(road, 0.099, "run-2")
    assert second["status"] == "refused"
    assert second["reason"] == "the served version has no rmse_log to compare with (max_regression_pct 2)"


def test_judge_without_a_served_version_has_nothing_to_compare() -> None:
    from promote_model.gate import Gate, judge

    gate = Gate(rmse_log_max=0.12, max_regression_pct=2)
    assert judge(gate, 0.11, None, serving=False).passed
    assert not judge(gate, 0.11, None, serving=True).passed
    assert judge(Gate(rmse_log_max=0.12), 0.11, None, serving=True).passed, "no regression check configured"
