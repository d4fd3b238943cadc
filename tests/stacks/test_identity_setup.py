"""What each person's own identity needs (stacks/identity_setup.py), asked together with Roadway's side: the
role's trust and the person's policy must both allow the call, and a person may act only as themselves."""

from __future__ import annotations

import json
import re

import pytest

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks import identity_setup
from tests import iam
from tests.stacks.people import as_person, permission_set


@pytest.mark.parametrize(
    ("stage", "kind", "role_of"),
    [
        ("dev", "RoadwayApprover", "approver_role"),
        ("test", "RoadwayApprover", "approver_role"),
        ("test", "RoadwayOnCall", "break_glass_role"),
        ("prod", "RoadwayOnCall", "break_glass_role"),
    ],
)
def test_an_approver_or_on_call_assumes_the_role_naming_only_themselves(
    synth: Synth, config: RoadwayConfig, stage: str, kind: str, role_of: str
) -> None:
    names, account = Names.of(config), config.stage(stage).account  # type: ignore[arg-type]
    role_name = getattr(names, role_of)(stage)
    role = names.role_arn(account, role_name)
    person = permission_set(config, stage, kind)
    trust = iam.trust_statements(
        synth.templates[f"roadway-{stage}-platform"],
        iam.role_named(synth.templates[f"roadway-{stage}-platform"], role_name),
    )
    (policy,) = [
        doc
        for doc in identity_setup.documents(config, stage).values()  # type: ignore[arg-type]
        if role in json.dumps(doc)
    ]
    own = policy["Statement"]
    assert iam.may_assume(trust, person, "sts:AssumeRole", as_person(config, "li-wei", "li-wei"))
    assert iam.allowed(own, "sts:AssumeRole", role, as_person(config, "li-wei", None))
    assert iam.allowed(own, "sts:SetSourceIdentity", role, as_person(config, "li-wei", "li-wei"))
    # Naming a colleague (an author, say) is refused by the person's own policy; so is a session with no name.
    assert not iam.allowed(own, "sts:SetSourceIdentity", role, as_person(config, "li-wei", "ana-garcia"))
    assert not iam.allowed(own, "sts:SetSourceIdentity", role, {"sts:SourceIdentity": "li-wei"})
    assert not iam.allowed(
        own, "sts:AssumeRole", names.role_arn(account, names.promoter_role(stage)), as_person(config, "li-wei", None)
    )  # type: ignore[arg-type]


def test_a_data_scientist_opens_only_their_own_profile(config: RoadwayConfig) -> None:
    policy = identity_setup.documents(config, "dev")["data-scientist"]["Statement"]
    profile = f"arn:aws:sagemaker:{config.region}:{config.stages.dev.account}:user-profile/d-abc123/"
    assert iam.allowed(
        policy, "sagemaker:CreatePresignedDomainUrl", profile + "ana-garcia", as_person(config, "ana-garcia", None)
    )
    assert not iam.allowed(
        policy, "sagemaker:CreatePresignedDomainUrl", profile + "ben-okafor", as_person(config, "ana-garcia", None)
    )
    assert not iam.allowed(policy, "sagemaker:CreatePresignedDomainUrl", profile + "ana-garcia"), "unnamed session"


def test_each_stage_gets_what_its_people_need_and_synth_writes_it(synth: Synth, config: RoadwayConfig) -> None:
    expected = {
        "dev": {"approver", "operator", "doctor", "data-scientist"},
        "test": {"approver", "on-call", "operator", "doctor"},
        "prod": {"on-call", "operator", "doctor"},
    }
    for stage, kinds in expected.items():
        written = json.loads((synth.outdir / "identity-setup" / f"{stage}.json").read_text())
        assert set(written["permission_sets"]) == kinds, stage
        assert written["account"] == config.stage(stage).account  # type: ignore[arg-type]
        assert written["permission_sets"] == identity_setup.documents(config, stage)  # type: ignore[arg-type]


def test_the_operators_reads_stay_in_the_stages_road(config: RoadwayConfig) -> None:
    policy = identity_setup.operator(config, "prod")["Statement"]
    account, region = config.stages.prod.account, config.region
    stack = f"arn:aws:cloudformation:{region}:{account}:stack/roadway-prod-serving/abc"
    assert iam.allowed(policy, "cloudformation:DescribeStacks", stack)
    assert not iam.allowed(policy, "cloudformation:UpdateStack", stack)
    assert not iam.allowed(policy, "cloudformation:DescribeStacks", stack.replace("roadway-prod", "other-prod"))
    key = f"arn:aws:kms:{region}:{account}:key/k"
    via_s3 = {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": account}
    assert iam.allowed(policy, "kms:Decrypt", key, via_s3)
    assert not iam.allowed(policy, "kms:Decrypt", key, {**via_s3, "kms:ViaService": "sqs.eu-west-1.amazonaws.com"})
    assert not iam.allowed(policy, "s3:PutObject", "arn:aws:s3:::roadway-prod-platform-databucket-x/k")


@pytest.mark.parametrize("stage", ["dev", "test", "prod"])
def test_whoever_runs_the_doctor_can_read_but_change_nothing(config: RoadwayConfig, stage: str) -> None:
    """The doctor's runner is an insider too: its policy names only reads (Describe, List, Get, Scan, Query,
    Decrypt through S3, and IAM's simulator, which evaluates and changes nothing), so it cannot send the alarm
    topic a message or touch a queue."""
    policy = identity_setup.doctor(config, stage)["Statement"]  # type: ignore[arg-type]
    actions = [a for s in policy for a in s["Action"]]
    reads = re.compile(r"[a-z0-9-]+:(Describe|List|Get|Scan|Query|Decrypt|SimulatePrincipalPolicy)")
    assert actions and all(reads.match(action) for action in actions)
    account, region = config.stage(stage).account, config.region  # type: ignore[arg-type]
    topic = f"arn:aws:sns:{region}:{account}:roadway-{stage}-platform-AlarmTopic-X"
    assert iam.allowed(policy, "sns:ListSubscriptionsByTopic", topic)
    assert not iam.allowed(policy, "sns:Publish", topic)
    alarm = f"arn:aws:cloudwatch:{region}:{account}:alarm:roadway-{stage}-serving-Alarm-X"
    assert not iam.allowed(policy, "cloudwatch:PutMetricAlarm", alarm)
    assert not iam.allowed(policy, "cloudwatch:SetAlarmState", alarm)
