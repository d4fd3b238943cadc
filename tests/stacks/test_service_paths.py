"""Each delivery path of stacks/service_paths.py is admitted by the synthesized templates, with only the keys AWS
sends on that path, and refused from another account.

The resource policies are read as IAM reads them for a service principal: a statement admits the path when it
names the service and the action and its conditions hold for the request context AWS sends. The keys in that
context are the row's (the page the row cites); tests.iam refuses any the action does not carry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from stacks.service_paths import PATHS, Delivery
from tests import aws, iam
from tests.iam import listed, statements_of

OTHER_ACCOUNT = "999999999999"
# Where each kind of target's policy is written.
POLICIES = {"topic": "AWS::SNS::TopicPolicy", "queue": "AWS::SQS::QueuePolicy", "key": "AWS::KMS::Key",
            "bucket": "AWS::S3::BucketPolicy"}


def admitting(synth: Synth, stack: str, path: Delivery, region: str) -> list[dict[str, Any]]:
    """The statements of ``stack`` that name the path's service for one of its actions, in a policy of its kind."""
    found = []
    for logical_id, resource in synth.resources(stack, POLICIES[path.into]).items():
        for _, statement in statements_of(resource["Properties"], logical_id):
            principal = statement.get("Principal")
            services = listed(principal.get("Service", [])) if isinstance(principal, dict) else []
            if path.principal(region) in services and set(listed(statement["Action"])) & set(path.actions):
                found.append(statement)
    return found


def sent(path: Delivery, statement: dict[str, Any], region: str, account: str) -> dict[str, str]:
    """The request context AWS sends on the path: each documented key, with this account's legitimate value (the
    statement's own where it names one exactly, e.g. a source bucket's ARN; else the row's pattern made concrete)."""
    context = {}
    for key, (_operator, pattern) in path.asks.items():
        named = [iam.render(v) for tests in statement.get("Condition", {}).values() for k, v in tests.items()
                 if k == key and not isinstance(v, list)]
        value = named[0] if named and "*" not in named[0] else pattern.format(region=region, account=account)
        context[key] = value.replace("*", "roadway-example")
    return context


def stacks_with(synth: Synth, path: Delivery) -> list[str]:
    return [s for s in synth.templates if synth.resources(s, POLICIES[path.into]) and (
        path.into != "key" or s.endswith("-platform"))]


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_each_path_is_admitted_with_only_what_aws_sends_on_it(
    path: Delivery, synth: Synth, config: RoadwayConfig
) -> None:
    region = config.region
    checked = 0
    for stack in stacks_with(synth, path):
        account = config.stage(_stage(stack)).account  # type: ignore[arg-type]
        statements = admitting(synth, stack, path, region)
        if not statements:
            continue
        for statement in statements:
            asked = {k for tests in statement.get("Condition", {}).values() for k in tests}
            assert asked <= set(path.asks), f"{stack}: {path.name} asks {asked - set(path.asks)}, which AWS never sends"
            named = set(listed(statement["Action"])) & set(path.actions)
            for action in sorted({a for entry in named for a in aws.actions_matching(entry)}):
                resource = "*" if path.into == "key" else iam.render(listed(statement["Resource"])[0])
                context = iam.as_carried(action, sent(path, statement, region, account))
                assert iam.allowed([statement], action, resource, context), f"{stack}: {path.name} ({action})"
                if asked:
                    foreign = {k: p.format(region=region, account=OTHER_ACCOUNT).replace("*", "x")
                               for k, (_, p) in path.asks.items()}
                    elsewhere = iam.as_carried(action, {**context, **foreign})
                    assert not iam.allowed([statement], action, resource, elsewhere), f"{stack}: {path.name}"
        checked += 1
    assert checked, f"no stack admits {path.name}"


def _stage(stack: str) -> str:
    return re.match(r"roadway-(dev|test|prod)-", stack).group(1)  # type: ignore[union-attr]



def test_a_budget_is_created_after_the_topic_policy_that_admits_it(synth: Synth) -> None:
    """Budgets checks that it may publish when a budget is created: a budget made before the policy fails."""
    for stage in ("dev", "test", "prod"):
        stack = f"roadway-{stage}-platform"
        (policy,) = synth.resources(stack, "AWS::SNS::TopicPolicy")
        budgets = synth.resources(stack, "AWS::Budgets::Budget")
        assert budgets
        for logical_id, budget in budgets.items():
            assert policy in budget.get("DependsOn", []), f"{stack}/{logical_id}"
