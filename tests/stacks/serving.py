"""The serving stacks as the app-ring tests read them."""

from __future__ import annotations

from typing import Any

from devtools.synth import Synth

TEST, PROD = "roadway-test-serving", "roadway-prod-serving"


ENDPOINT_TYPES = ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint")


def one(synth: Synth, stack: str, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(stack, type_).values()
    return resource


def alarm_ids(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    return synth.resources(stack, "AWS::CloudWatch::Alarm")
