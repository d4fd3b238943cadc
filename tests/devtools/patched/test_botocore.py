"""botocore's speed-ups (devtools/patched/botocore.py) change how fast clients are made, not what they are."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools import speedups
from devtools.patched.botocore import credentials_of

pytestmark = pytest.mark.skipif(not speedups.enabled(), reason="the speed-ups are switched off (ROADWAY_SPEEDUPS=0)")


def session(account_key: str, region: str) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id=account_key, aws_secret_access_key="x", region_name=region)


def test_clients_of_one_service_share_a_class_and_keep_their_own_place_and_credentials() -> None:
    first, second = (
        session("AKIAFIRST", "eu-west-1").client("sagemaker"),
        session("AKIASECOND", "us-east-2").client("sagemaker"),
    )
    assert type(first) is type(second) and type(first) is not type(session("AKIAFIRST", "eu-west-1").client("s3"))
    assert (first.meta.region_name, second.meta.region_name) == ("eu-west-1", "us-east-2")
    keys = [credentials_of(c).access_key for c in (first, second)]
    assert keys == ["AKIAFIRST", "AKIASECOND"]
    with mock_aws():
        first.create_model_package_group(ModelPackageGroupName="house-price")
        assert second.list_model_package_groups()["ModelPackageGroupSummaryList"] == [], "another region's registry"
        assert [g["ModelPackageGroupName"] for g in first.list_model_package_groups()["ModelPackageGroupSummaryList"]]


def test_a_session_whose_handlers_shape_the_class_otherwise_gets_a_class_of_its_own() -> None:
    plain = session("AKIAFIRST", "eu-west-1")
    shaped = session("AKIAFIRST", "eu-west-1")

    def add_a_method(class_attributes: dict[str, Any], **_: Any) -> None:
        class_attributes["roadway_marker"] = lambda self: "shaped"

    shaped.events.register("creating-client-class.sagemaker", add_a_method)
    made = shaped.client("sagemaker")
    assert made.roadway_marker() == "shaped"
    assert not hasattr(plain.client("sagemaker"), "roadway_marker")
    assert type(session("AKIATHIRD", "eu-west-1").client("sagemaker")) is type(plain.client("sagemaker"))
