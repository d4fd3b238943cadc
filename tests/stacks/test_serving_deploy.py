"""The real serving template deployed into moto's CloudFormation: first empty, then with a package.

moto 5.2.5 limits, measured: its CloudFormation skips AWS::CloudWatch::Alarm (with a warning), and it names the
endpoint itself instead of using EndpointName, so the endpoint is found through the stack's resources
(tests/stacks/test_serving_stack.py asserts the name in the template).
"""

from __future__ import annotations

from moto import mock_aws

from devtools.moto_accounts import deploy_serving, endpoint_model_package, parameters_of, session_in
from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names


@mock_aws
def test_test_stage_serves_nothing_then_the_promoted_package(synth: Synth, config: RoadwayConfig) -> None:
    names = Names.of(config)
    serving = names.stack_name("test", "serving")
    template = synth.templates[serving]
    assert set(template["Parameters"]) == {"ModelPackageArn"}, "promotion owns every parameter of this stack"
    test = session_in(config.stage("test").account, config.region)
    bucket = deploy_serving(test, template, serving, names.stack_name("test", "platform"))
    cfn, sm = test.client("cloudformation"), test.client("sagemaker")
    (stack,) = cfn.describe_stacks(StackName=serving)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert sm.list_endpoints()["Endpoints"] == [], "no endpoint while the package parameter is empty"
    assert sm.list_models()["Models"] == []
    assert bucket in {b["Name"] for b in test.client("s3").list_buckets()["Buckets"]}

    sm.create_model_package_group(ModelPackageGroupName="house-price")
    package = sm.create_model_package(
        ModelPackageGroupName="house-price",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3",
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
        for key in parameters_of(test, serving)
        if key != "ModelPackageArn"
    ]
    cfn.update_stack(
        StackName=serving,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "ModelPackageArn", "ParameterValue": package}, *others],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert parameters_of(test, serving)["ModelPackageArn"] == package
    assert endpoint_model_package(test, serving) == package
    (endpoint,) = sm.list_endpoints()["Endpoints"]
    assert endpoint["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint["EndpointName"])["EndpointConfigName"]
    )
    assert config["ProductionVariants"][0]["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
