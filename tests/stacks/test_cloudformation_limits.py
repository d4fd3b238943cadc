"""The limits check: every CloudFormation and IAM limit that bites at enterprise size, said in one line."""

from __future__ import annotations

import json
from typing import Any

from devtools.synth import Synth
from stacks.app import fix_for
from stacks.cloudformation_limits import (
    MAX_BUCKET_POLICY,
    MAX_MANAGED_POLICY,
    MAX_RESOURCES,
    MAX_ROLE_INLINE_POLICIES,
    Excess,
    excesses,
    policy_size,
    resolved_length,
)
from stacks.compliance.verdict import judge


def _topic(n: int) -> dict[str, Any]:
    return {f"Topic{i}": {"Type": "AWS::SNS::Topic"} for i in range(n)}


def _statement(i: int) -> dict[str, Any]:
    return {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"}


def _policy(statements: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [_statement(i) for i in range(statements)]}


def test_the_limits_of_a_stack_are_its_counts() -> None:
    assert excesses("s", {"Resources": _topic(MAX_RESOURCES)}, 1000) == []
    (over,) = excesses("s", {"Resources": _topic(MAX_RESOURCES + 1)}, 1000)
    assert over.line() == "stack s: 501 resources, CloudFormation allows 500"
    many = {f"P{i}": {"Type": "String"} for i in range(201)}
    assert [e.what for e in excesses("s", {"Parameters": many, "Outputs": many}, 1000)] == ["parameters", "outputs"]
    assert [e.what for e in excesses("s", {}, 1_000_001)] == ["bytes of template"]


def test_policy_sizes_count_like_iam_and_resolve_names_generously() -> None:
    document = {"Statement": [{"Effect": "Allow", "Resource": {"Fn::GetAtt": ["Role", "Arn"]}}]}
    assert policy_size(document) == len('{"Statement":[{"Effect":"Allow","Resource":""}]}') + 100
    joined = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]}
    assert len(resolved_length(joined)) == len("arn::s3:::/*") + 10 + 100
    assert policy_size({"A": ["x", "y"]}) == len('{"A":["x","y"]}'), "layout does not count"


def _sized(statements: int) -> int:
    return policy_size(_policy(statements))


def test_each_kind_of_policy_is_held_to_its_own_limit() -> None:
    fits = next(n for n in range(1, 400) if _sized(n + 1) > MAX_MANAGED_POLICY)
    managed = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": _policy(fits)}}
    assert excesses("s", {"Resources": {"P": managed}}, 10) == []
    managed["Properties"]["PolicyDocument"] = _policy(fits + 1)
    (over,) = excesses("s", {"Resources": {"P": managed}}, 10)
    assert over.line().startswith("stack s, managed policy P: ") and over.line().endswith("IAM allows 6144")

    # The same document fits a bucket policy (20 KB) ...
    bucket = {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": _policy(fits + 1)}}
    assert excesses("s", {"Resources": {"B": bucket}}, 10) == []
    bucket["Properties"]["PolicyDocument"] = _policy(4 * fits)
    assert [e.limit for e in excesses("s", {"Resources": {"B": bucket}}, 10)] == [MAX_BUCKET_POLICY]

    # ... and inline policies count together, per role: two of these fit, three do not.
    third = _policy(next(n for n in range(1, 400) if _sized(n) > MAX_ROLE_INLINE_POLICIES // 3 + 200))
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [{"PolicyDocument": third}]},
    }
    inline = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": third, "Roles": [{"Ref": "R"}]}}
    assert excesses("s", {"Resources": {"R": role, "I": inline}}, 10) == []
    twice = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": third, "Roles": [{"Ref": "R"}]}}
    (over,) = excesses("s", {"Resources": {"R": role, "I": inline, "J": twice}}, 10)
    assert over.where == "stack s, inline policies of role R" and over.limit == MAX_ROLE_INLINE_POLICIES


def test_the_road_as_configured_is_inside_every_limit(synth: Synth) -> None:
    for name, template in synth.templates.items():
        written = len(json.dumps(template, indent=1))
        assert excesses(name, template, written) == [], name


def test_the_refusal_is_one_line_naming_where_the_count_and_the_limit() -> None:
    found = [Excess("stack roadway-dev-studio", "resources", 542, 500), Excess("stack x", "outputs", 201, 200)]
    (line,) = judge({}, found, fix_for(found)).reasons
    assert "\n" not in line
    assert line.startswith("too big to deploy: stack roadway-dev-studio: 542 resources, CloudFormation allows 500")
    assert "(and 1 more); spread the people over more stacks (studio.people_stacks)" in line


def test_a_roles_managed_policies_and_a_functions_environment_are_counted() -> None:
    arns = [{"Ref": f"P{i}"} for i in range(11)]
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "ManagedPolicyArns": arns}}
    (over,) = excesses("s", {"Resources": {"R": role}}, 10)
    assert (over.what, over.count, over.limit) == ("managed policies", 11, 10)
    role["Properties"]["ManagedPolicyArns"] = arns[:10]
    assert excesses("s", {"Resources": {"R": role}}, 10) == []

    def function(variables: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": variables}}}

    fits = {"A": "x" * 4095}
    assert excesses("s", {"Resources": {"F": function(fits)}}, 10) == []
    (over,) = excesses("s", {"Resources": {"F": function({**fits, "B": ""})}}, 10)
    assert over.line() == "stack s, environment of function F: 4097 bytes, Lambda allows 4096"
    # A value CloudFormation fills in counts at its generous length.
    (over,) = excesses("s", {"Resources": {"F": function({"A": "x" * 4000, "T": {"Ref": "Topic"}})}}, 10)
    assert over.count == 1 + 4000 + 1 + 100


def test_a_queue_policy_is_held_to_sqs_twenty_statements_and_8_kb() -> None:
    """CDK adds a queue-policy statement for every rule that targets a queue; SQS refuses the 21st."""

    def queue(statements: int) -> dict[str, Any]:
        return {"Q": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"PolicyDocument": _policy(statements)}}}

    assert excesses("s", {"Resources": queue(20)}, 1000) == []
    (over,) = excesses("s", {"Resources": queue(21)}, 1000)
    assert over.line() == "stack s, queue policy Q: 21 statements, SQS allows 20"
    assert "queue policy Q" in excesses("s", {"Resources": queue(200)}, 1000)[0].where
    assert {e.what for e in excesses("s", {"Resources": queue(200)}, 1000)} == {"characters", "statements"}
