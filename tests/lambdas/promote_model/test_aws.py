"""AWS's answers read one way (promote_model/aws.py), each held to AWS's own description of it."""

from __future__ import annotations

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from promote_model.aws import MISSING_STACK, S3Object, outputs_of, parameters_of

from roadway.road import stack_or_none


def test_a_missing_stack_is_the_error_botocores_stack_exists_waiter_waits_through() -> None:
    """The source of truth is botocore's waiter model (pinned with botocore): StackExists retries on one error."""
    waiter = botocore.session.get_session().get_waiter_model("cloudformation").get_waiter("StackExists")
    assert [a.expected for a in waiter.acceptors if a.matcher == "error" and a.state == "retry"] == [MISSING_STACK]


def test_the_cli_reads_a_missing_stack_as_none_and_any_other_error_as_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="eu-west-1")
        assert stack_or_none(lambda: cfn.describe_stacks(StackName="roadway-nowhere")) is None
        cfn.create_stack(StackName="roadway-here", TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
        assert stack_or_none(lambda: cfn.describe_stacks(StackName="roadway-here"))["StackName"] == "roadway-here"  # type: ignore[index]

    def denied() -> dict[str, object]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeStacks")

    with pytest.raises(ClientError):
        stack_or_none(denied)


def test_outputs_parameters_and_s3_uris() -> None:
    stack = {
        "Outputs": [{"OutputKey": "Bucket", "OutputValue": "b"}],
        "Parameters": [{"ParameterKey": "ModelPackageArn"}, {"ParameterKey": "X", "ParameterValue": "1"}],
    }
    assert outputs_of(stack) == {"Bucket": "b"} and outputs_of(None) == {}
    assert parameters_of(stack) == {"ModelPackageArn": "", "X": "1"}, "a parameter described without a value is empty"
    assert S3Object.parse("s3://b/k/e/y").key == "k/e/y" and S3Object("b", "k").uri == "s3://b/k"
    for bad, said in (("https://b/k", "not an S3 URI"), ("s3://b", "needs a bucket and a key"), ("s3:///k", "needs")):
        with pytest.raises(ValueError, match=said):
            S3Object.parse(bad)
