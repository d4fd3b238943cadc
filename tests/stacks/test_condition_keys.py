"""Every condition in every synthesized policy asks about a key AWS sends with that action.

A condition on a key the action never carries is never true (a grant that never applies) or, negated, always true
(a deny that never bites): IAM accepts the policy either way. The Service Authorization Reference (aws_facts/)
lists what each action carries; this reads every policy document of every stack of the road (identity, trust,
bucket, key, topic, queue and endpoint policies alike), expands wildcard actions and NotAction over it, and
asks for each (action, key) pair.
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools.synth import Synth
from tests import aws
from tests.iam import listed, statements_of


def actions_of(statement: dict[str, Any]) -> list[str]:
    if "NotAction" in statement:
        excluded = {a.lower() for entry in listed(statement["NotAction"]) for a in aws.actions_matching(entry)}
        return [a for a in aws.actions_matching("*") if a.lower() not in excluded]
    return [a for entry in listed(statement.get("Action", [])) for a in aws.actions_matching(entry)]


def keys_of(statement: dict[str, Any]) -> list[str]:
    return [key for tests in statement.get("Condition", {}).values() for key in tests]


def uncarried(templates: dict[str, dict[str, Any]]) -> list[str]:
    """Each statement whose condition names a key one of its actions never carries, or whose action AWS does not
    know (a typo, or an action newer than the extract)."""
    found: list[str] = []
    for stack, template in sorted(templates.items()):
        for logical_id, resource in template["Resources"].items():
            for where, statement in statements_of(resource.get("Properties", {}), f"{stack}/{logical_id}"):
                for entry in listed(statement.get("Action", [])):
                    if not aws.actions_matching(entry):
                        found.append(f"{where}: {entry} names no action of the reference")
                keys = keys_of(statement)
                for action in actions_of(statement) if keys else []:
                    found += [f"{where}: {action} never carries {key}" for key in keys if not aws.carries(action, key)]
    return found


@pytest.mark.parametrize("road", ["synth", "two_projects_synth", "model_monitor_synth"])
def test_every_condition_asks_about_a_key_its_actions_carry(road: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(road)
    assert uncarried(synth.templates) == []


def test_a_condition_on_a_key_the_action_never_carries_is_found() -> None:
    """The proof bites: AddTags under sagemaker:OwnerUserProfileArn (which AddTags never carries), a misspelt
    action, and a NotAction deny on a key only some of the other actions carry."""
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Sid": "Spaces",
                                "Effect": "Allow",
                                "Action": ["sagemaker:CreateSpace", "sagemaker:AddTags"],
                                "Resource": "*",
                                "Condition": {"ArnLike": {"sagemaker:OwnerUserProfileArn": "arn:*"}},
                            },
                            {"Sid": "Typo", "Effect": "Allow", "Action": "sagemaker:DescribeModelPackages",
                             "Resource": "*"},
                            {"Sid": "Tls", "Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*",
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                        ]
                    }
                },
            }
        }
    }
    assert uncarried({"stack": template}) == [
        "stack/Policy.PolicyDocument[Spaces]: sagemaker:AddTags never carries sagemaker:OwnerUserProfileArn",
        "stack/Policy.PolicyDocument[Typo]: sagemaker:DescribeModelPackages names no action of the reference",
    ]


def test_every_exception_is_still_needed(synth: Synth, two_projects_synth: Synth, model_monitor_synth: Synth) -> None:
    """An exception no template uses any longer is an untrue reason waiting to be copied."""
    from unittest import mock

    for pair in aws.EXCEPTIONS:
        without = {p: r for p, r in aws.EXCEPTIONS.items() if p != pair}
        with mock.patch.dict(aws.EXCEPTIONS, without, clear=True):
            found = [*uncarried(synth.templates), *uncarried(two_projects_synth.templates),
                     *uncarried(model_monitor_synth.templates)]
        assert found, f"{pair} is no longer used by any template: remove it from tests/aws.py EXCEPTIONS"
