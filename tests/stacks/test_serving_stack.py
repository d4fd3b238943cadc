"""Serving stacks: no endpoint until promotion sets the package; encrypted, isolated and watched once it does."""

from __future__ import annotations

import pytest

from devtools.synth import Synth
from tests.stacks.serving import ENDPOINT_TYPES, PROD, TEST, one


@pytest.mark.parametrize("stack", [TEST, PROD])
def test_empty_package_parameter_means_no_endpoint(synth: Synth, stack: str) -> None:
    template = synth.templates[stack]
    parameter = template["Parameters"]["ModelPackageArn"]
    assert parameter["Default"] == ""
    assert template["Conditions"]["HasModel"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ModelPackageArn"}, ""]}]}
    for type_ in ENDPOINT_TYPES:
        assert one(synth, stack, type_)["Condition"] == "HasModel"
    model = one(synth, stack, "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"] == {"ModelPackageName": {"Ref": "ModelPackageArn"}}
    # Roles, the rollback alarms and outputs do not wait for a model; the idle alarm does (no endpoint is not idle).
    assert all("Condition" not in r for r in synth.resources(stack, "AWS::IAM::Role").values())
    for logical_id, alarm in synth.resources(stack, "AWS::CloudWatch::Alarm").items():
        assert ("Condition" in alarm) == logical_id.startswith("EndpointIdleAlarm"), logical_id


def test_package_parameter_accepts_only_this_accounts_group() -> None:
    import re

    from devtools.synth import CONFIG_PATH
    from roadway.config import load_config

    config = load_config(CONFIG_PATH)
    pattern = (
        rf"^$|^arn:aws[a-z-]*:sagemaker:{config.region}:{config.stages.prod.account}:model-package/house-price/\d+$"
    )
    assert re.match(pattern, "arn:aws:sagemaker:eu-west-1:333333333333:model-package/house-price/7")
    assert not re.match(pattern, "arn:aws:sagemaker:eu-west-1:111111111111:model-package/house-price/7")


def test_synthesized_pattern_is_that_pattern(synth: Synth) -> None:
    pattern = synth.templates[PROD]["Parameters"]["ModelPackageArn"]["AllowedPattern"]
    assert pattern == r"^$|^arn:aws[a-z-]*:sagemaker:eu-west-1:333333333333:model-package/house-price/\d+$"
