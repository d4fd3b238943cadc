"""Bare apps for construct tests: a construct on a Stack of its own, its collaborators beside it, the compliance
packs on where it owns grants (tests/README.md). conftest.py builds each once per worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from stacks.app import cli_context
from stacks.compliance.gate import add_compliance_gate

ACCOUNT, REGION = "111111111111", "eu-west-1"
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Bare:
    """A bare app with one stack: the construct under test is built into ``stack``, its collaborators beside it."""

    app: App
    stack: Stack

    def template(self) -> Template:
        """The stack's template; with the packs on, synth fails on any finding nobody acknowledged."""
        return Template.from_stack(self.stack)


def bare_stack(packs: bool, name: str = "Bare") -> Bare:
    """A fresh app and stack; ``packs``: Roadway's compliance gate runs at synth, as `make synth` runs it."""
    app = App(context=cli_context(stage_assets=False))  # cdk.json's feature flags, as the app has them
    if packs:
        add_compliance_gate(app)
    return Bare(app, Stack(app, name, env=Environment(account=ACCOUNT, region=REGION)))


@dataclass
class Parts:
    """The platform's simple parts on one bare stack, synthesized once per worker with the packs on: a test file
    per construct reads its own resources from it."""

    template: Template
    key: str  # the logical ids tests refer to
    logs: str
    data: str


def _parts(stack: Stack) -> tuple[dict[str, str], Any, Any]:
    """The platform's simple parts; their logical ids, and the log archive and the ledger the others use."""
    from stacks.constructs.foundation.encryption_key import EncryptionKey
    from stacks.constructs.foundation.log_archive_bucket import LogArchiveBucket
    from stacks.constructs.foundation.secure_bucket import SecureBucket
    from stacks.constructs.promotion.model_registry import ModelRegistry
    from stacks.constructs.promotion.promotion_ledger import PromotionLedger

    key = EncryptionKey(stack, "Key", purpose="test data")
    logs = LogArchiveBucket(stack, "Logs")
    data = SecureBucket(stack, "Data", key=key, access_logs=logs, purpose="data", noncurrent_version_days=30)
    ledger = PromotionLedger(stack, "Ledger", key=key)
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package"
    ModelRegistry(
        stack,
        "Registry",
        group_name="house-price",
        group_arn=f"{arn}-group/house-price",
        packages_arn=f"{arn}/house-price/*",
    )
    ids = {
        name: stack.get_logical_id(c.node.default_child) for name, c in (("key", key), ("logs", logs), ("data", data))
    }  # type: ignore[arg-type]
    return ids, logs, ledger


@dataclass
class Granting:
    """The constructs that own grants, on one bare stack with the packs on (each acknowledges its own wildcards,
    so the stack has no open finding); the IAM evaluator reads their policies (tests/iam.py)."""

    template: Template
    ids: dict[str, str]  # construct name -> the logical id tests look for


def _granting(stack: Stack, ledger: Any) -> dict[str, str]:
    """The constructs that own grants; their logical ids."""
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_sqs as sqs

    from roadway.config import load_config
    from roadway.naming import Names
    from stacks.compliance.gate import Reason, acknowledge
    from stacks.constructs.foundation.encryption_key import EncryptionKey
    from stacks.constructs.foundation.sagemaker_role import SageMakerRole
    from stacks.constructs.foundation.spend_alerts import SpendAlerts
    from stacks.constructs.promotion.approver_role import ApproverRole
    from stacks.constructs.promotion.promotion_source import PromotionSource

    config = load_config(ROOT / "config" / "roadway.yaml")
    names = Names.of(config)
    packages = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package"
    approver = ApproverRole(
        stack,
        "Approver",
        role_name="roadway-test-approver",
        approvers={"222222222222": ["arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*/Approvers_*"]},
        own_name="${aws:PrincipalTag/roadway:user}",
        group_arn=f"{packages}-group/*",
        packages_arn=f"{packages}/*",
        decides_on=[f"{packages}/house-price/*"],
    )
    job = SageMakerRole(
        stack,
        "JobRole",
        description="Roadway: a test job",
        statements=[iam.PolicyStatement(sid="ReadData", actions=["s3:GetObject"], resources=["arn:aws:s3:::d/x/*"])],
        wildcards={"arn:aws:s3:::d/x/*": Reason("The job reads its own folder of the data bucket only, by prefix.")},
        in_vpc=True,
    )
    key = EncryptionKey(stack, "OpsKey", purpose="ops")
    dead = sqs.Queue(stack, "DeadLetters", encryption_master_key=key, enforce_ssl=True)
    acknowledge(dead, {"AwsSolutions-SQS3": Reason("A collaborator of this test: it is the dead-letter queue.")})
    source = PromotionSource(
        stack,
        "Source",
        next_account="333333333333",
        next_promoter_role_arn="arn:aws:iam::333333333333:role/roadway-prod-promoter",
        group_names=["house-price"],
        ledger=ledger,
        ops_key=key,
        dead_letters=dead,
    )
    source.add_reader(
        stack,
        role_name="roadway-test-house-price-reader",
        group_name="house-price",
        group_arn=f"{packages}-group/house-price",
        packages_arn=f"{packages}/house-price/*",
        pipeline_executions_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/roadway-house-price/execution/*",
    )
    topic = sns.Topic(stack, "Alarms", master_key=key, enforce_ssl=True)
    team = config.teams[0]
    SpendAlerts(
        stack,
        "Spend",
        names=names,
        stage="test",
        account_budget_usd=1000,
        teams=[(team, ["pricing@example.com"])],
        topic=topic,
        topic_key=key,
    )
    resolve = stack.get_logical_id
    return dict(
        {
            "approver": resolve(approver.role.node.default_child),  # type: ignore[arg-type]
            "job": resolve(job.node.default_child),  # type: ignore[arg-type]
            "reader": resolve(source.readers["house-price"].node.default_child),  # type: ignore[arg-type]
            "topic": resolve(topic.node.default_child),  # type: ignore[arg-type]
            "key": resolve(key.node.default_child),  # type: ignore[arg-type]
        },
    )


@dataclass
class Network:
    """A serving stage's network (models, no Studio) and one workload's security group, packs on."""

    template: Template
    workload: str  # the HttpsEgressSecurityGroup's logical id


def _network(stack: Stack, archive: Any) -> str:
    """A serving stage's network (models, no Studio) and one workload's group; the group's logical id."""
    from roadway.config import PrefixLists
    from stacks.constructs.foundation.https_egress_security_group import HttpsEgressSecurityGroup
    from stacks.constructs.foundation.isolated_network import IsolatedNetwork

    made = IsolatedNetwork(
        stack,
        "Network",
        cidr="10.20.0.0/16",
        availability_zones=[f"{REGION}a", f"{REGION}b"],
        log_archive=archive,
        with_studio=False,
        with_models=True,
        prefix_lists=PrefixLists(s3="pl-6da54004", dynamodb="pl-b3a742da"),
        road_accounts=[ACCOUNT, "222222222222"],
        image_accounts=["141502667606"],
    )
    group = HttpsEgressSecurityGroup(stack, "Workload", network=made, description="a workload")
    return stack.get_logical_id(group.node.default_child)  # type: ignore[arg-type]


def build_all() -> tuple[Parts, Granting, Network]:
    """Every simple construct on one bare stack, one synth with the packs on (a synth is the cost here): each
    construct's test file reads its own resources from it."""
    built = bare_stack(packs=True)
    ids, logs, ledger = _parts(built.stack)
    granting = _granting(built.stack, ledger.table)
    workload = _network(built.stack, logs)
    template = built.template()
    return Parts(template, **ids), Granting(template, granting), Network(template, workload)
