"""The promotion takes images only from the region's SageMaker registries and the road's own accounts."""

from __future__ import annotations

import pytest
from promote_model.handler import handler

from devtools.moto_accounts import ACCOUNTS, approval_event
from model_code.registration import CONTAINER_ENVIRONMENT
from tests.lambdas.promote_model.conftest import IMAGE, Road
from tests.lambdas.promote_model.test_handler import assert_untouched


def spec(road: Road, image: str) -> dict[str, object]:
    return {
        "Containers": [
            {
                "Image": image,
                "ModelDataUrl": f"s3://{road.buckets['dev']}/pipelines/house-price/run-1/model.tar.gz",
                "Environment": CONTAINER_ENVIRONMENT,
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


@pytest.mark.parametrize(
    "image",
    [
        "999999999999.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",  # a look-alike repository
        "141502667606.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",  # another region
        "docker.io/library/python:3.12",
    ],
)
def test_a_package_with_a_foreign_image_is_refused(road: Road, image: str) -> None:
    source = road.register("dev", InferenceSpecification=spec(road, image))
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == (
        f"image {image} is not from the region's SageMaker images or the road's own registries"
    )
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]
    assert_untouched(road, "test")


@pytest.mark.parametrize("image", [IMAGE, f"{ACCOUNTS['dev']}.dkr.ecr.eu-west-1.amazonaws.com/house-price:7"])
def test_sagemaker_and_road_images_pass(road: Road, image: str) -> None:
    source = road.register("dev", InferenceSpecification=spec(road, image))
    road.act_as("test")
    assert handler(approval_event(source))["status"] == "promoted"
