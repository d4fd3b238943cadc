"""What every Roadway function in a stage's VPC shares: its runtime and placement, its logs, its dead letters (that
page), and the grants those need. The promotion function and the drift job are built from these pieces, so a
change to how Roadway runs Lambda is made once."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.pinned_layer import ARCHITECTURE, RUNTIME

ENI_REASON = Reason(
    "Lambda's VPC network-interface actions are on *, as in AWS's AWSLambdaVPCAccessExecutionRole: Lambda, not "
    "Roadway's code, calls them to place the function's interfaces in its own isolated subnets. "
    "DescribeNetworkInterfaces has no resource type; Create/Delete/Assign/Unassign take a network interface and "
    "could be scoped by ec2:Vpc, not done because whether Lambda's calls meet that key cannot be shown offline "
    "(for roadway doctor on the account)."
)
NO_RESERVATION = (
    "No reserved concurrency: new AWS accounts have a concurrency quota of 10, and Lambda refuses any reservation "
    "below it, so a reservation would fail the deploy where Roadway matters most."
)


def acknowledge_no_reservation(function: lambda_.IFunction, why_it_is_safe: Reason) -> None:
    """The packs ask for reserved concurrency, which a new account cannot give; say what bounds the function
    (written, and so reported, where the function is made)."""
    reason = why_it_is_safe.after(NO_RESERVATION)
    acknowledge(
        function,
        {"NIST.800.53.R5-LambdaConcurrency": reason, "HIPAA.Security-LambdaConcurrency": reason},
    )


def dead_letter_queue(scope: Construct, ops_key: kms.IKey) -> sqs.Queue:
    """``DeadLetters``: a failed event with its reason, kept two weeks under the stage's ops key."""
    return sqs.Queue(
        scope,
        "DeadLetters",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=ops_key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
        removal_policy=RemovalPolicy.RETAIN,
    )


def log_group(scope: Construct, construct_id: str, ops_key: kms.IKey) -> logs.LogGroup:
    return logs.LogGroup(
        scope,
        construct_id,
        encryption_key=ops_key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=RemovalPolicy.RETAIN,
    )


def write_logs(sid: str, logs_to: logs.ILogGroup) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid, actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[logs_to.log_group_arn]
    )


def report_failures(dead_letters: sqs.IQueue) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="ReportFailures", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])


def attach_to_the_vpc() -> iam.PolicyStatement:
    """The network-interface actions a function in a VPC needs, on * as AWS's own policy grants them (ENI_REASON;
    tests/stacks/test_acknowledgements.py ON_STAR_ANYWAY)."""
    return iam.PolicyStatement(
        sid="AttachToTheVpc",
        actions=[
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ],
        resources=["*"],
    )


def in_the_vpc(network: IsolatedNetwork, security_group: ec2.ISecurityGroup, logs_to: logs.ILogGroup) -> dict[str, Any]:
    """``lambda_.Function`` settings every Roadway function shares: Python 3.14 on ARM64, in the isolated
    subnets behind its HTTPS-to-endpoints group, logging JSON to its own encrypted group."""
    return {
        "runtime": RUNTIME,
        "architecture": ARCHITECTURE,
        "vpc": network.vpc,
        "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        "security_groups": [security_group],
        "log_group": logs_to,
        "logging_format": lambda_.LoggingFormat.JSON,
    }


def failed_alarm(
    scope: Construct,
    dead_letters: sqs.IQueue,
    description: str,
    period: Duration,
    construct_id: str = "FailedAlarm",
) -> cloudwatch.Alarm:
    """Something landed in ``dead_letters``."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=dead_letters.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum"),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
