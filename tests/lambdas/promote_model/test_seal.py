"""Sealed evidence on moto: a package's artifacts are sealed (S3 version and SHA-256) when it is registered, and
an approval promotes exactly what was sealed, or nothing."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from promote_model.errors import PromotionError
from promote_model.handler import handler
from promote_model.upstream import Upstream

from devtools.moto_accounts import approval_event
from tests.lambdas.promote_model.helpers import assert_untouched
from tests.moto_road import Road


def seal_of(road: Road, stage: str, arn: str) -> dict[str, dict[str, str]]:
    (record,) = [r for r in road.ledger(stage, seals=True) if r["source_arn"] == arn and r["outcome"] == "sealed"]
    return record["seal"]


def test_registration_seals_every_artifact_once(road: Road) -> None:
    source = road.register("dev", approved=False)
    seal = seal_of(road, "dev", source)
    bucket = road.buckets["dev"]
    assert sorted(uri.rsplit("/", 1)[-1] for uri in seal) == [
        "bias.json",
        "constraints.json",
        "evaluation.json",
        "explainability.json",
        "model.tar.gz",
        "statistics.json",
    ]
    s3 = road.sessions["dev"].client("s3")
    model = f"s3://{bucket}/pipelines/house-price/run-1/model.tar.gz"
    body = s3.get_object(Bucket=bucket, Key="pipelines/house-price/run-1/model.tar.gz")
    assert seal[model] == {"version_id": body["VersionId"], "sha256": hashlib.sha256(body["Body"].read()).hexdigest()}

    s3.put_object(Bucket=bucket, Key="pipelines/house-price/run-1/model.tar.gz", Body=b"something else")
    assert road.seal("dev", source)["status"] == "already-sealed"
    assert seal_of(road, "dev", source) == seal, "the first seal stands: a second one would bless the change"


@pytest.mark.parametrize("artifact", ["evaluation.json", "model.tar.gz"])
def test_an_artifact_changed_after_sealing_is_refused_by_name(road: Road, artifact: str) -> None:
    """The author improves the metrics (or swaps the model) after registration: the approval moves nothing."""
    source = road.register("dev")
    bucket = road.buckets["dev"]
    better = json.dumps({"regression_metrics": {"rmse_log": {"value": 0.01}}}).encode()
    road.sessions["dev"].client("s3").put_object(
        Bucket=bucket, Key=f"pipelines/house-price/run-1/{artifact}", Body=better
    )
    received = road.listen("test")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == (
        f"{artifact} (s3://{bucket}/pipelines/house-price/run-1/{artifact}) changed after the package was sealed "
        "at registration"
    )
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]
    assert artifact in received()[0]["Message"]
    assert_untouched(road, "test")


def test_a_deleted_sealed_version_is_refused(road: Road) -> None:
    source = road.register("dev")
    bucket, key = road.buckets["dev"], "pipelines/house-price/run-1/model.tar.gz"
    s3 = road.sessions["dev"].client("s3")
    s3.delete_object(Bucket=bucket, Key=key, VersionId=s3.head_object(Bucket=bucket, Key=key)["VersionId"])
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and "model.tar.gz" in outcome["reason"]


def test_an_unsealed_package_is_not_promoted_until_its_seal_arrives(road: Road) -> None:
    """Registration and approval events may arrive out of order: the approval fails (and is retried), the seal
    arrives, and the retry promotes."""
    source = road.register("dev", sealed=False)
    road.act_as("test")
    with pytest.raises(PromotionError, match=r"promotion failed at seal: .* has no seal yet"):
        handler(approval_event(source))
    assert_untouched(road, "test")
    road.seal("dev", source)
    road.act_as("test")
    assert handler(approval_event(source))["status"] == "promoted"


def test_an_upstream_change_to_a_promoted_artifact_is_caught_in_test(road: Road) -> None:
    """Whoever holds dev's promotion role rewrites the model in test's bucket after test sealed it."""
    source = road.register("dev")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    road.approve("test", in_test)
    package = road.sessions["test"].client("sagemaker").describe_model_package(ModelPackageName=in_test)
    model = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = model[len("s3://") :].split("/", 1)
    road.sessions["test"].client("s3").put_object(Bucket=bucket, Key=key, Body=b"tampered")
    road.act_as("prod")
    outcome = handler(approval_event(in_test))
    assert outcome["status"] == "refused" and "model.tar.gz" in outcome["reason"] and "sealed" in outcome["reason"]
    assert road.packages("prod") == []


def test_an_approver_rewriting_the_lineage_while_approving_is_refused(road: Road) -> None:
    """UpdateModelPackage with the approver's status condition also accepts CustomerMetadataProperties: the
    lineage Roadway reads is sealed at registration, so a rewrite (here: claiming another origin) is refused."""
    source = road.register("dev", approved=False, CustomerMetadataProperties={"roadway:training-data": "s3://d/x"})
    sm = road.sessions["dev"].client("sagemaker")
    forged = {"roadway:training-data": "s3://d/x", "roadway:origin-arn": "arn:aws:sagemaker:elsewhere"}
    sm.update_model_package(ModelPackageArn=source, ModelApprovalStatus="Approved", CustomerMetadataProperties=forged)
    road.approved_by("dev", source, "maria-lopez")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert (outcome["status"], outcome["reason"]) == (
        "refused",
        "its roadway: lineage changed after it was sealed at registration",
    )
    assert_untouched(road, "test")


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda c: c.update(Image=c["Image"].replace(":1.9-0-cpu-py3", ":latest")), "image"),
        (lambda c: c.update(ImageDigest="sha256:" + "0" * 64), "image digest"),
        (lambda c: c["Environment"].update(SAGEMAKER_PROGRAM="other.py"), "environment"),
    ],
)
def test_an_image_or_environment_changed_after_sealing_is_refused(road: Road, change: Any, what: str) -> None:
    """moto ignores InferenceSpecification in UpdateModelPackage (SageMaker applies it), so the registry's answer
    after such an update is given to the promotion directly: what it reads is what SageMaker would say."""
    source = road.register("dev")
    road.act_as("test")
    real = Upstream.package

    def as_updated(self: Upstream) -> dict[str, Any]:
        package = copy.deepcopy(real(self))
        change(package["InferenceSpecification"]["Containers"][0])
        return package

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Upstream, "package", as_updated)
        outcome = handler(approval_event(source))
    assert outcome["status"] == "refused", what
    assert outcome["reason"] == "its container images or environment changed after it was sealed at registration"
    assert_untouched(road, "test")


def test_a_package_sealed_before_images_and_lineage_were_sealed_is_refused(road: Road) -> None:
    source = road.register("dev")
    ledger = road.sessions["dev"].client("dynamodb")
    table = road.deployed["dev"]["LEDGER_TABLE_NAME"]
    ledger.update_item(
        TableName=table,
        Key={"source_arn": {"S": source}, "entry": {"S": "sealed"}},
        UpdateExpression="REMOVE fingerprint",
    )
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and outcome["reason"].endswith("re-register it")


def test_roadways_lineage_is_roadways_whatever_the_author_registered(road: Road) -> None:
    """An author may name the training data; every other roadway: key of a first-stage package is overwritten
    (sealed as registered, so not a change, but not believed either), and SamplePayloadUrl stays behind."""
    claims = {
        "roadway:training-data": "s3://data/sales.csv",
        "roadway:origin-arn": "arn:aws:sagemaker:us-east-2:999999999999:model-package/elsewhere/1",
        "roadway:approved-by": "nobody",
        "team-note": "kept",
    }
    source = road.register(
        "dev", approved=False, CustomerMetadataProperties=claims, SamplePayloadUrl="s3://somewhere/payload.tar.gz"
    )
    # moto replaces the metadata with what an update passes (SageMaker keeps it): the approval passes it back.
    sm = road.sessions["dev"].client("sagemaker")
    sm.update_model_package(ModelPackageArn=source, ModelApprovalStatus="Approved", CustomerMetadataProperties=claims)
    road.approved_by("dev", source, "maria-lopez")
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "promoted", outcome
    (package,) = road.packages("test")
    lineage = package["CustomerMetadataProperties"]
    assert lineage["roadway:origin-arn"] == source
    assert lineage["roadway:approved-by"] == "maria-lopez"
    assert (lineage["roadway:training-data"], lineage["team-note"]) == ("s3://data/sales.csv", "kept")
    assert "SamplePayloadUrl" not in package
