"""The doctor's tests' helpers on the moto road: a stage's clinic reached as an operator would (``--role-name``),
(botocore's Stubber, validated against the service model) for the calls moto does not implement, and the CDK
bootstrap stack as the pinned CLI's own template makes it."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from botocore.stub import Stubber

from roadway.doctor.findings import Clinic, Finding, examine

ROOT = Path(__file__).resolve().parents[3]
BOOTSTRAP_TEMPLATE = ROOT / "node_modules" / "aws-cdk" / "lib" / "api" / "bootstrap" / "bootstrap-template.yaml"


def lines(clinic: Clinic, check: Callable[[Clinic], Iterator[Finding]]) -> list[tuple[str, str, str]]:
    """A check's lines as (check, verdict, detail)."""
    return [(f.check, f.verdict, f.detail) for f in examine(clinic, check)]


def recorded(clinic: Clinic, service: str, answers: list[tuple[str, dict[str, Any] | str]]) -> Stubber:
    """The stage's ``service`` client answers these, in order (a str answer is that error code); a call not
    recorded fails the test."""
    stubber = Stubber(clinic.client(service))
    for operation, answer in answers:
        if isinstance(answer, str):
            stubber.add_client_error(operation, service_error_code=answer, service_message=f"{answer} (recorded)")
        else:
            stubber.add_response(operation, answer)
    stubber.activate()
    return stubber


@functools.cache
def _bootstrap() -> dict[str, Any]:
    return yaml.safe_load(BOOTSTRAP_TEMPLATE.read_text())


def bootstrap_template(version: str | None = None) -> str:
    """The pinned CLI's bootstrap template as far as the doctor reads it: all its parameters, its version
    parameter and its BootstrapVersion output (``version`` in place of the real one, to stage an old bootstrap).
    Its roles, bucket and repository are left out: moto takes a second to create them, and no check reads them."""
    real = _bootstrap()
    output = dict(real["Outputs"]["BootstrapVersion"])
    if version is not None:
        output["Value"] = version
    template = {
        "Parameters": real["Parameters"],
        "Resources": {"CdkBootstrapVersion": real["Resources"]["CdkBootstrapVersion"]},
        "Outputs": {"BootstrapVersion": output},
    }
    return json.dumps(template)


def bootstrap(clinic: Clinic, version: str | None = None, **parameters: str) -> None:
    """``cdk bootstrap`` into the clinic's account, with these parameters (e.g. TrustedAccounts)."""
    clinic.client("cloudformation").create_stack(
        StackName="CDKToolkit",
        TemplateBody=bootstrap_template(version),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
    )


def substituted(text: str, values: dict[str, str]) -> str:
    """An ``Fn::Sub`` text with its variables filled in, as CloudFormation does (bootstrap role names)."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], text)
