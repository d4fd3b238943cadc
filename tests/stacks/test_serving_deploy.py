"""The real serving templates deployed into moto's CloudFormation: first empty, then with a package.

moto plays the target account (assumed-role credentials put it in that account). The platform stack itself is
not deployed here: its template needs CDK's asset bucket and a Lambda-backed custom resource, which moto can
only run with Docker. Instead a small stack creates real moto resources (buckets, key, topic) and exports them
under the names the serving template imports: the contract between the two stacks, not a stand-in for AWS.

Two moto 5.2.5 limits, measured: its CloudFormation skips AWS::CloudWatch::Alarm (with a warning), and it names
the endpoint itself instead of using EndpointName, so the endpoint is found through the stack's resources here
(tests/stacks/test_serving_stack.py asserts the name in the template).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import Synth

REGION = "eu-west-1"


def imports_of(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Fn::ImportValue"} and isinstance(node["Fn::ImportValue"], str):
            return {node["Fn::ImportValue"]}
        return set().union(*(imports_of(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(imports_of(v) for v in node)) if node else set()
    return set()


def platform_exports_template(names: set[str]) -> dict[str, Any]:
    """Real resources for each export the serving stack imports, by the kind its name says."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for index, name in enumerate(sorted(names)):
        logical = f"R{index}"
        if name.endswith("bucket-arn"):
            resources[logical] = {"Type": "AWS::S3::Bucket"}
            value: Any = {"Fn::GetAtt": [logical, "Arn"]}
        elif name.endswith("key-arn"):
            resources[logical] = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17"}}}
            value = {"Fn::GetAtt": [logical, "Arn"]}
        elif name.endswith("topic-arn"):
            resources[logical] = {"Type": "AWS::SNS::Topic"}
            value = {"Ref": logical}
        else:
            raise AssertionError(f"the serving stack imports something unexpected: {name}")
        outputs[f"O{index}"] = {"Value": value, "Export": {"Name": name}}
    return {"Resources": resources, "Outputs": outputs}


@pytest.fixture()
def target_account() -> Iterator[boto3.Session]:
    with mock_aws():
        credentials = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn="arn:aws:iam::222222222222:role/roadway-test-promotion-target", RoleSessionName="deploy"
        )["Credentials"]
        yield boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )


def parameters_of(cfn: Any, stack: str) -> dict[str, str]:
    (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}


def test_test_stage_serves_nothing_then_the_promoted_package(synth: Synth, target_account: boto3.Session) -> None:
    template = synth.templates["roadway-test-serving"]
    cfn = target_account.client("cloudformation")
    sm = target_account.client("sagemaker")
    assert set(template["Parameters"]) == {"ModelPackageArn"}, "promotion owns every parameter of this stack"
    cfn.create_stack(
        StackName="roadway-test-platform",
        TemplateBody=json.dumps(platform_exports_template(imports_of(template))),
    )

    cfn.create_stack(
        StackName="roadway-test-serving", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )
    (stack,) = cfn.describe_stacks(StackName="roadway-test-serving")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert sm.list_endpoints()["Endpoints"] == [], "no endpoint while the package parameter is empty"
    assert sm.list_models()["Models"] == []
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    bucket = outputs["ArtifactBucketName"]
    assert bucket in {b["Name"] for b in target_account.client("s3").list_buckets()["Buckets"]}

    sm.create_model_package_group(ModelPackageGroupName="house-price")
    package = sm.create_model_package(
        ModelPackageGroupName="house-price",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",
                    "ModelDataUrl": f"s3://{bucket}/promoted/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]

    # What promotion does: keep the template and every other parameter, set the package.
    others = [
        {"ParameterKey": key, "UsePreviousValue": True}
        for key in parameters_of(cfn, "roadway-test-serving")
        if key != "ModelPackageArn"
    ]
    cfn.update_stack(
        StackName="roadway-test-serving",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "ModelPackageArn", "ParameterValue": package}, *others],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert parameters_of(cfn, "roadway-test-serving")["ModelPackageArn"] == package

    (endpoint_arn,) = [
        r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="roadway-test-serving")["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::SageMaker::Endpoint"
    ]
    endpoint = sm.describe_endpoint(EndpointName=endpoint_arn.split("/")[-1])
    assert endpoint["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    model = sm.describe_model(ModelName=variant["ModelName"])
    assert model["PrimaryContainer"]["ModelPackageName"] == package
