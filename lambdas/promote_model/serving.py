"""The serving stack as promotion changes it: its parameters, and pointing it at a package (or at none)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.aws import parameters_of
from promote_model.contract import BASELINE_PARAMETERS, Parameter
from promote_model.errors import PromotionError, error_text
from promote_model.observe import log
from promote_model.settings import Settings


def serve(
    own: boto3.session.Session,
    settings: Settings,
    stack: dict[str, Any],
    package_arn: str,
    baselines: dict[str, Any] | None,
) -> bool:
    """Set the serving stack's package and its drift baselines (the package's ``DriftCheckBaselines`` as this
    account registered it, handed over by whoever has the package at hand) through the deployer role;
    CloudFormation rolls the endpoint. ``package_arn`` "" withdraws the endpoint. False when the stack already
    serves it."""
    current = parameters_of(stack)
    wanted = {Parameter.MODEL_PACKAGE: package_arn}
    for parameter, (kind, part) in BASELINE_PARAMETERS.items():
        if parameter in current:
            uri = ((((baselines or {}).get(kind) or {}).get(part)) or {}).get("S3Uri")
            wanted[parameter] = uri or ""
    if all(current.get(k) == v for k, v in wanted.items()):
        log("stack-already-current", stack=settings.serving_stack, package=package_arn)
        return False
    parameters = [
        {"ParameterKey": key, "ParameterValue": wanted[key]}
        if key in wanted
        else {"ParameterKey": key, "UsePreviousValue": True}
        for key in current
    ]
    request: dict[str, Any] = {
        "StackName": settings.serving_stack,
        "UsePreviousTemplate": True,
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }
    if settings.deploy_role_arn:
        request["RoleARN"] = settings.deploy_role_arn
    try:
        own.client("cloudformation").update_stack(**request)
    except ClientError as error:
        raise PromotionError("update-stack", error_text(error)) from None
    log("stack-updated", stack=settings.serving_stack, package=package_arn)
    return True
