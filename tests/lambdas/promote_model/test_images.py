"""The promotion takes images only from the region's SageMaker registries and the road's own accounts."""

from __future__ import annotations

import pytest
from promote_model.handler import handler

from devtools.moto_accounts import approval_event
from model_code.registration import CONTAINER_ENVIRONMENT
from tests.lambdas.promote_model.helpers import assert_untouched
from tests.moto_road import Road


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


FOREIGN = {
    "look-alike": lambda road: f"999999999999.dkr.ecr.{road.region}.amazonaws.com/sagemaker-scikit-learn:1.2-1",
    "another-region": lambda road: road.image.replace(f".{road.region}.", ".ap-south-1."),
    "docker-hub": lambda road: "docker.io/library/python:3.12",
}
OURS = {
    "sagemaker": lambda road: road.image,
    "the-roads-own": lambda road: f"{road.accounts['dev']}.dkr.ecr.{road.region}.amazonaws.com/house-price:7",
}


@pytest.mark.parametrize("kind", FOREIGN)
def test_a_package_with_a_foreign_image_is_refused(road: Road, kind: str) -> None:
    image = FOREIGN[kind](road)
    source = road.register("dev", InferenceSpecification=spec(road, image))
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == (
        f"image {image} is not from the region's SageMaker images or the road's own registries"
    )
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]
    assert_untouched(road, "test")


@pytest.mark.parametrize("kind", OURS)
def test_sagemaker_and_road_images_pass(road: Road, kind: str) -> None:
    image = OURS[kind](road)
    source = road.register("dev", InferenceSpecification=spec(road, image))
    road.act_as("test")
    assert handler(approval_event(source))["status"] == "promoted"
