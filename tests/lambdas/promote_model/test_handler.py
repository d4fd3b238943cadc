"""Promotion against moto with three accounts: whole, once, all-or-nothing, and nothing on bad input."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from promote_model import handler as handler_module
from promote_model.contract import PROMOTED_MARKER
from promote_model.errors import PromotionError
from promote_model.promotion import Promotion

from devtools.moto_accounts import approval_event, endpoint_model_package, parameters_of
from devtools.variants import ORG_TAGS
from tests.lambdas.promote_model.helpers import assert_untouched, crash_between_register_and_rollout, sha256
from tests.moto_road import GROUP, Road

handler = handler_module.handler


def test_dev_to_test_arrives_whole(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    outcome = handler(approval_event(source))

    assert outcome["status"] == "promoted" and outcome["stack_updated"] is True
    (package,) = road.packages("test")
    assert package["ModelPackageArn"] == outcome["target_arn"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageDescription"] == PROMOTED_MARKER + source
    lineage = package["CustomerMetadataProperties"]
    assert lineage["roadway:source-arn"] == lineage["roadway:origin-arn"] == source
    assert lineage["roadway:source-account"] == road.accounts["dev"]
    assert (lineage["roadway:source-stage"], lineage["roadway:source-version"]) == ("dev", "1")
    assert lineage["roadway:approved-by"] == "maria-lopez", "the approver as the registry names them"
    assert lineage["roadway:created-by"] == "ana-garcia"

    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    baseline = package["DriftCheckBaselines"]["ModelDataQuality"]["Constraints"]["S3Uri"]
    metrics = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    for uri in (model_url, baseline, metrics):
        assert uri.startswith(f"s3://{road.buckets['test']}/promoted/{road.accounts['dev']}/{GROUP}/v1/")
    source_model = f"s3://{road.buckets['dev']}/pipelines/house-price/run-1/model.tar.gz"
    assert sha256(road, "test", model_url) == sha256(road, "dev", source_model)
    assert len(road.keys("test")) == 6, "the model, its metrics, baseline (2), bias and explainability reports"
    for kind in ("Bias", "Explainability"):
        report = package["ModelMetrics"][kind]["Report"]["S3Uri"]
        assert report.startswith(f"s3://{road.buckets['test']}/promoted/{road.accounts['dev']}/{GROUP}/v1/")

    serving = road.sessions["test"]
    assert parameters_of(serving, road.serving_stack("test"))["ModelPackageArn"] == package["ModelPackageArn"]
    assert endpoint_model_package(serving, road.serving_stack("test")) == package["ModelPackageArn"]
    # The update names no tags, so CloudFormation keeps the stack's, the organization's included (the road is
    # governed): what it creates for the new model carries them.
    (described,) = serving.client("cloudformation").describe_stacks(StackName=road.serving_stack("test"))["Stacks"]
    assert ORG_TAGS.items() <= {t["Key"]: t["Value"] for t in described["Tags"]}.items()


def test_test_to_prod_keeps_the_dev_origin_and_sets_the_baseline(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    in_test = handler(approval_event(source))["target_arn"]
    road.approve("test", in_test)
    road.act_as("prod")
    outcome = handler(approval_event(in_test))

    (package,) = road.packages("prod")
    assert package["ModelApprovalStatus"] == "Approved", "the last stage has no one left to approve"
    assert package["CustomerMetadataProperties"]["roadway:origin-arn"] == source
    assert package["CustomerMetadataProperties"]["roadway:source-arn"] == in_test
    parameters = parameters_of(road.sessions["prod"], road.serving_stack("prod"))
    assert parameters["ModelPackageArn"] == outcome["target_arn"]
    constraints = package["DriftCheckBaselines"]["ModelDataQuality"]["Constraints"]["S3Uri"]
    assert parameters["BaselineConstraintsUri"] == constraints
    assert constraints.startswith(f"s3://{road.buckets['prod']}/promoted/{road.accounts['test']}/")


def test_the_same_event_twice_gives_one_package_and_one_stack_update(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    first, second = handler(approval_event(source)), handler(approval_event(source))
    assert (first["status"], second["status"]) == ("promoted", "already-promoted")
    assert second["target_arn"] == first["target_arn"]
    assert second["stack_updated"] is False
    assert len(road.packages("test")) == 1


def denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "InternalError", "Message": "injected fault"}}, operation)


@pytest.mark.parametrize(
    ("method", "step"),
    [("copy_object", "copy"), ("register", "register"), ("update_stack", "update-stack")],
)
def test_a_fault_at_any_step_leaves_nothing_and_a_retry_finishes(
    road: Road, monkeypatch: pytest.MonkeyPatch, method: str, step: str
) -> None:
    """The fault is injected into Roadway's own step method (once), around the real boto3 calls to moto."""
    source = road.register("dev")
    road.act_as("test")
    real = getattr(Promotion, method)
    calls = {"n": 0}

    def fail_once(self: Promotion, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            if method == "register":
                real(self, *args, **kwargs)  # the package exists when the next part fails
            raise PromotionError(step, "injected fault")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Promotion, method, fail_once)
    with pytest.raises(PromotionError, match=f"promotion failed at {step}: injected fault"):
        handler(approval_event(source))
    assert_untouched(road, "test")

    outcome = handler(approval_event(source))
    assert outcome["status"] == "promoted"
    assert len(road.packages("test")) == 1
    assert parameters_of(road.sessions["test"], road.serving_stack("test"))["ModelPackageArn"] == outcome["target_arn"]


def test_a_crash_after_registration_is_finished_by_the_retry(road: Road) -> None:
    """A timeout between register and stack update runs no undo; the retry must finish the rollout."""
    source = road.register("dev")
    road.act_as("test")

    crash_between_register_and_rollout(approval_event(source))
    assert len(road.packages("test")) == 1

    outcome = handler(approval_event(source))
    assert outcome["status"] == "already-promoted" and outcome["stack_updated"] is True
    assert len(road.packages("test")) == 1
    assert parameters_of(road.sessions["test"], road.serving_stack("test"))["ModelPackageArn"] == outcome["target_arn"]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (lambda arn: approval_event(arn, group="churn-model"), "package of group 'churn-model'"),
        (lambda arn: approval_event(arn, status="Rejected"), "test withdraws only what it serves"),
        (lambda arn: approval_event(arn, status="InReview"), "status is 'InReview'"),
        (lambda arn: {"source": "aws.s3", "detail-type": "Object Created"}, "not a model package state change"),
    ],
)
def test_events_not_ours_are_ignored_with_a_reason(road: Road, event: Any, reason: str) -> None:
    source = road.register("dev")
    road.act_as("test")
    outcome = handler(event(source))
    assert outcome["status"] == "ignored" and reason in outcome["reason"]
    assert_untouched(road, "test")


@pytest.mark.parametrize(
    "broken",
    [
        "not an event",
        {"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change"},
        {
            "source": "aws.sagemaker",
            "detail-type": "SageMaker Model Package State Change",
            "detail": {"ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved", "ModelPackageArn": "x"},
        },
    ],
)
def test_malformed_events_fail_with_a_reason_and_change_nothing(road: Road, broken: Any) -> None:
    road.act_as("test")
    with pytest.raises(PromotionError, match="promotion failed at read-event"):
        handler(broken)
    assert_untouched(road, "test")


def test_an_unapproved_package_never_moves_even_if_an_event_says_so(road: Road) -> None:
    source = road.register("dev", approved=False)
    road.act_as("test")
    with pytest.raises(PromotionError, match="is PendingManualApproval, not Approved"):
        handler(approval_event(source))
    assert_untouched(road, "test")


def test_a_package_without_artifacts_is_refused(road: Road) -> None:
    source = road.register(
        "dev",
        InferenceSpecification={
            "Containers": [{"Image": road.image}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={},
        DriftCheckBaselines={},
    )
    road.act_as("test")
    with pytest.raises(PromotionError, match="references no model artifact"):
        handler(approval_event(source))
    assert_untouched(road, "test")


def test_a_missing_or_refusing_reader_role_is_a_clear_failure(road: Road) -> None:
    """The previous account has not deployed its reader role, or its trust does not admit this promoter. moto lets
    any role be assumed, so STS's answer is stubbed here, and only here."""
    from botocore.stub import Stubber

    source = road.register("dev")
    road.act_as("test")
    real_client = boto3.session.Session.client

    def client(self: Any, service: str, *args: Any, **kwargs: Any) -> Any:
        made = real_client(self, service, *args, **kwargs)
        if service == "sts":
            stub = Stubber(made)
            stub.add_client_error("assume_role", "AccessDenied", "User is not authorized to perform sts:AssumeRole")
            stub.activate()
        return made

    reader = f"{road.accounts['dev']}:role{road.names.role_path}{road.model(GROUP).reader_role('dev')}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.session.Session, "client", client)
        with pytest.raises(
            PromotionError,
            match=rf"failed at assume-reader: .*:{reader}: AccessDenied",
        ):
            handler(approval_event(source))
    assert_untouched(road, "test")


def test_large_artifacts_take_the_multipart_copy_path(road: Road, monkeypatch: pytest.MonkeyPatch) -> None:
    source = road.register("dev", model_size=6 * 1024 * 1024)
    road.act_as("test", MULTIPART_THRESHOLD_BYTES=str(5 * 1024 * 1024))
    parts: list[int] = []
    from devtools.patched.botocore import on_every_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> None:
        if operation == "UploadPartCopy":
            parts.append(params["PartNumber"])

    on_every_call(monkeypatch, spy)
    outcome = handler(approval_event(source))
    (package,) = road.packages("test")
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert outcome["status"] == "promoted"
    assert sorted(parts) == [1, 2], "a 6 MiB model with a 5 MiB threshold is copied in two server-side parts"
    source_model = f"s3://{road.buckets['dev']}/pipelines/house-price/run-1/model.tar.gz"
    assert sha256(road, "test", model_url) == sha256(road, "dev", source_model)


def test_a_retry_that_fails_again_leaves_nothing_either(road: Road) -> None:
    """Crash after registering, then the retry's rollout fails too: the earlier package goes, not half-served."""
    source = road.register("dev")
    road.act_as("test")

    class Crash(BaseException):
        pass

    def crash(self: Promotion, *args: Any, **kwargs: Any) -> None:
        raise Crash

    def fail(self: Promotion, *args: Any, **kwargs: Any) -> None:
        raise PromotionError("update-stack", "injected fault")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Promotion, "update_stack", crash)
        patch.setattr(Promotion, "undo", lambda self: None)  # a killed process undoes nothing
        with pytest.raises(Crash):
            handler(approval_event(source))
    assert len(road.packages("test")) == 1 and road.keys("test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Promotion, "update_stack", fail)
        with pytest.raises(PromotionError, match="update-stack"):
            handler(approval_event(source))
    assert_untouched(road, "test")

    outcome = handler(approval_event(source))
    assert outcome["status"] == "promoted" and len(road.packages("test")) == 1
