"""What every Roadway function shares (vpc_lambda): an encrypted dead-letter queue kept two weeks, an encrypted log
group kept a year, an alarm on the first dead letter, and the network-interface grant a function in a VPC needs."""

from __future__ import annotations

from aws_cdk import Duration

from stacks.constructs.foundation import vpc_lambda
from stacks.constructs.foundation.encryption_key import EncryptionKey
from tests.stacks.constructs.bare import bare_stack


def test_dead_letters_logs_and_the_alarm_on_the_first_dead_letter() -> None:
    built = bare_stack(packs=False, name="Functions")
    key = EncryptionKey(built.stack, "OpsKey", purpose="ops")
    dead = vpc_lambda.dead_letter_queue(built.stack, key)
    vpc_lambda.log_group(built.stack, "Logs", key)
    vpc_lambda.failed_alarm(built.stack, dead, "the job failed", Duration.minutes(5))
    template = built.template()
    key_arn = {"Fn::GetAtt": [built.stack.get_logical_id(key.node.default_child), "Arn"]}  # type: ignore[arg-type]
    (queue,) = template.find_resources("AWS::SQS::Queue").values()
    assert queue["Properties"]["KmsMasterKeyId"] == key_arn
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    (group,) = template.find_resources("AWS::Logs::LogGroup").values()
    assert (group["Properties"]["RetentionInDays"], group["Properties"]["KmsKeyId"]) == (365, key_arn)
    assert group["DeletionPolicy"] == "Retain"
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "Period": 300,
        },
    )


def test_the_vpc_grant_is_the_network_interface_actions_only() -> None:
    statement = vpc_lambda.attach_to_the_vpc().to_statement_json()
    assert statement["Resource"] == "*"
    assert all(
        (action.startswith("ec2:") and "NetworkInterface" in action) or "PrivateIp" in action
        for action in statement["Action"]
    )


def test_every_construct_module_has_its_own_test_file() -> None:
    from devtools.synth import ROOT

    constructs, tests = ROOT / "stacks" / "constructs", ROOT / "tests" / "stacks" / "constructs"
    modules = {p.relative_to(constructs).with_suffix("") for p in constructs.rglob("*.py") if p.stem != "__init__"}
    tested = {p.relative_to(tests).with_name(p.stem.removeprefix("test_")) for p in tests.rglob("test_*.py")}
    assert modules - tested == set(), "a construct module without tests/stacks/constructs/<feature>/test_<module>.py"
    assert all(len(m.parts) == 2 for m in modules), "constructs live in a feature folder"
