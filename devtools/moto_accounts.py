"""Several AWS accounts inside one moto (in-process or moto_server), and Roadway's real serving stacks in them.

moto switches account by credentials: assuming a role in account N gives a session that acts in N. The platform
stack is not deployed (its template needs CDK's asset bucket and a Lambda-backed custom resource, which moto can
only run with Docker); a small stack creates real moto resources (buckets, keys, topic) and exports them under
the names the serving template imports: the contract between the two stacks, not a stand-in for AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3
from promote_model import aws
from promote_model.aws import assumed, outputs_of
from promote_model.contract import Env, Event, Output
from promote_model.sessions import Session


def session_in(account: str, region: str, name: str = "roadway-tests") -> boto3.session.Session:
    """A session acting in ``account`` (moto switches account by the assumed role's credentials), making each
    service's client once, as the promotion's own sessions do."""
    sts = boto3.client("sts", region_name=region)
    return assumed(sts, f"arn:aws:iam::{account}:role/{name}", name, region, session_class=Session)


def imports_of(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Fn::ImportValue"} and isinstance(node["Fn::ImportValue"], str):
            return {node["Fn::ImportValue"]}
        return set().union(set(), *(imports_of(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(set(), *(imports_of(v) for v in node))
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
        elif "Subnet" in name:  # CDK's automatic exports of the platform VPC's subnets
            resources["Vpc"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}}
            resources[logical] = {
                "Type": "AWS::EC2::Subnet",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": f"10.30.{index * 16}.0/20"},
            }
            value = {"Ref": logical}
        elif "Vpc" in name:
            resources["Vpc"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}}
            value = {"Ref": "Vpc"}
        elif "ModelContainers" in name:  # the network's group for model and monitoring containers
            resources["Vpc"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}}
            resources[logical] = {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "model containers", "VpcId": {"Ref": "Vpc"}},
            }
            value = {"Fn::GetAtt": [logical, "GroupId"]}
        else:
            raise AssertionError(f"the serving stack imports something unexpected: {name}")
        outputs[f"O{index}"] = {"Value": value, "Export": {"Name": name}}
    return {"Resources": resources, "Outputs": outputs}


def _references(node: Any) -> set[str]:
    """Logical ids a template fragment names with Ref or Fn::GetAtt."""
    if isinstance(node, dict):
        found: set[str] = set()
        if isinstance(node.get("Ref"), str):
            found.add(node["Ref"])
        attribute = node.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute:
            found.add(attribute[0])
        return found.union(*(_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(set(), *(_references(v) for v in node))
    return set()


def _depends_on(resource: dict[str, Any]) -> set[str]:
    needs = resource.get("DependsOn", [])
    return {needs} if isinstance(needs, str) else set(needs)


def without_asset_code(template: dict[str, Any]) -> dict[str, Any]:
    """The template less its Lambda code and layers (CDK assets, which live in the bootstrap bucket that moto
    lacks) and whatever names them. Their code runs in-process in its own tests."""
    resources = dict(template["Resources"])
    removed: set[str] = set()
    gone = {
        logical
        for logical, resource in resources.items()
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
    }
    while gone:
        removed |= gone
        for logical in gone:
            del resources[logical]
        gone = {logical for logical, resource in resources.items() if _references(resource) & removed}
        gone |= {logical for logical, resource in resources.items() if _depends_on(resource) & removed}
    return {**template, "Resources": resources}


def deploy_serving(
    session: boto3.session.Session,
    template: dict[str, Any],
    stack_name: str,
    platform: str,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Deploy the stage's platform exports as stack ``platform`` (once per account) and a real serving template
    (less its Lambda code, see :func:`without_asset_code`) as ``stack_name``, with the stack ``tags`` the CDK CLI
    deploys it with; return the artifact bucket."""
    template = without_asset_code(template)
    cfn = session.client("cloudformation")
    if not any(s["StackName"] == platform for s in cfn.list_stacks()["StackSummaries"]):
        cfn.create_stack(StackName=platform, TemplateBody=json.dumps(platform_exports_template(imports_of(template))))
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    (stack,) = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    bucket = outputs_of(stack)[Output.ARTIFACT_BUCKET]
    # The platform's buckets are versioned (seals name versions); moto's CloudFormation ignores
    # VersioningConfiguration, so it is switched on here.
    session.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def parameters_of(session: boto3.session.Session, stack: str) -> dict[str, str]:
    (described,) = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return aws.parameters_of(described)


def endpoint_model_package(session: boto3.session.Session, stack: str) -> str | None:
    """The package the stack's endpoint serves (moto names endpoints itself, so go through the stack)."""
    sm = session.client("sagemaker")
    arns = [
        r["PhysicalResourceId"]
        for r in session.client("cloudformation").list_stack_resources(StackName=stack)["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::SageMaker::Endpoint" and r.get("PhysicalResourceId")
    ]
    if not arns:
        return None
    endpoint = sm.describe_endpoint(EndpointName=arns[0].split("/")[-1])
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    return str(model["PrimaryContainer"]["ModelPackageName"])


def function_with(template: dict[str, Any], handler: str) -> dict[str, Any]:
    """The template's one Lambda function that runs ``handler``."""
    (function,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == handler
    ]
    return dict(function)


def function_environment(template: dict[str, Any], deployed: dict[str, str] | None = None) -> dict[str, str]:
    """The environment CDK gives the promotion function of a stage (its promotion stack's ``template``): the
    contract under test.

    Values that CloudFormation resolves at deploy time (the ledger's name, the imported topic ARN) come from
    ``deployed`` (see :func:`deploy_promotion`); every other value is the template's own.
    """
    function = function_with(template, "promote_model.handler.handler")
    variables = dict(function["Properties"]["Environment"]["Variables"])
    resolved = {**variables, **(deployed or {})}
    unresolved = sorted(k for k, v in resolved.items() if not isinstance(v, str))
    if unresolved:
        raise ValueError(f"deploy_promotion() first: {', '.join(unresolved)} are resolved at deploy time")
    return resolved


def _resolve(node: Any, parameters: dict[str, str], exports: dict[str, str]) -> Any:
    """CloudFormation's intrinsic functions the serving template uses in the drift job's environment."""
    if isinstance(node, str):
        return node
    if "Ref" in node:
        return parameters[node["Ref"]]
    if "Fn::ImportValue" in node:
        return exports[_resolve(node["Fn::ImportValue"], parameters, exports)]
    if "Fn::Split" in node:
        separator, text = node["Fn::Split"]
        return str(_resolve(text, parameters, exports)).split(separator)
    if "Fn::Select" in node:
        index, items = node["Fn::Select"]
        return _resolve(items, parameters, exports)[int(index)]
    if "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return separator.join(str(_resolve(part, parameters, exports)) for part in parts)
    raise ValueError(f"cannot resolve {node} here")


def drift_environment(session: boto3.session.Session, template: dict[str, Any], stack: str) -> dict[str, str]:
    """The environment CloudFormation gives the drift job of the deployed serving stack ``stack``: the template's
    own variables, with the stack's current parameters (set by promotion) and the platform's exports filled in."""
    function = function_with(template, "drift_monitor.handler.handler")
    parameters = parameters_of(session, stack)
    exports = {e["Name"]: e["Value"] for e in session.client("cloudformation").list_exports()["Exports"]}
    variables = function["Properties"]["Environment"]["Variables"]
    return {name: str(_resolve(value, parameters, exports)) for name, value in variables.items()}


def deploy_promotion(
    session: boto3.session.Session, stack_name: str, template: dict[str, Any], artifact_bucket: str
) -> dict[str, str]:
    """The promotion stack as far as moto can hold it: its ledger table (keys and billing from the real
    template), the stage's alarm topic, its dead-letter queues, and the outputs the `roadway` CLI and the next
    stage's promoter read (LedgerTableName; ArtifactBucketName, the stage's real bucket; EvidencePrefix, the
    template's own; the dead letters' URLs, which `roadway doctor` reads).

    The real stack also holds Lambda functions whose code is a CDK asset, which moto's CloudFormation cannot
    deploy without CDK's bootstrap bucket; tests run the same code in-process instead.
    """
    (table,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert set(Output.QUEUES_OF_DEAD_LETTERS) <= set(template["Outputs"]), "the stand-in's dead letters are real"
    kept = {k: table["Properties"][k] for k in ("KeySchema", "AttributeDefinitions", "BillingMode")}
    name = stack_name
    cfn = session.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "LedgerTable": {"Type": "AWS::DynamoDB::Table", "Properties": kept},
                    "AlarmTopic": {"Type": "AWS::SNS::Topic"},
                    "DeadLetters": {"Type": "AWS::SQS::Queue"},
                    "WorkDeadLetters": {"Type": "AWS::SQS::Queue"},
                },
                "Outputs": {
                    Output.LEDGER_TABLE: {"Value": {"Ref": "LedgerTable"}},
                    "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},  # the platform's topic, in its place
                    Output.ARTIFACT_BUCKET: {"Value": artifact_bucket},
                    Output.EVIDENCE_PREFIX: {"Value": template["Outputs"][Output.EVIDENCE_PREFIX]["Value"]},
                    Output.DEAD_LETTERS: {"Value": {"Ref": "DeadLetters"}},
                    Output.WORK_DEAD_LETTERS: {"Value": {"Ref": "WorkDeadLetters"}},
                },
            }
        ),
    )
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    outputs = outputs_of(stack)
    return {Env.LEDGER_TABLE: outputs[Output.LEDGER_TABLE], Env.ALARM_TOPIC: outputs["AlarmTopicArn"]}


def studio_user(package_arn: str, name: str, domain_id: str = "d-roadway") -> dict[str, str]:
    """SageMaker's ``UserContext`` for a Studio user of the package's account (what ``CreatedBy`` says when a data
    scientist registers it)."""
    _, _, _, region, account, _ = package_arn.split(":", 5)
    return {
        "UserProfileArn": f"arn:aws:sagemaker:{region}:{account}:user-profile/{domain_id}/{name}",
        "UserProfileName": name,
        "DomainId": domain_id,
    }


def role_session(account: str, role_name: str, source_identity: str | None = None) -> dict[str, Any]:
    """SageMaker's ``UserContext`` for a call made through an assumed role (with the person, if the session
    carries a source identity, as the approver role's trust requires)."""
    identity: dict[str, str] = {
        "Arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{source_identity or 'session'}",
        "PrincipalId": f"AROAROADWAY:{source_identity or 'session'}",
    }
    if source_identity:
        identity["SourceIdentity"] = source_identity
    return {"IamIdentity": identity}


def approval_event(
    package_arn: str, *, group: str | None = None, status: str = "Approved", approved_by: str = "ana-garcia"
) -> dict[str, Any]:
    """The event EventBridge delivers for an approval (shape of 'SageMaker Model Package State Change'); the group
    is the package's own unless ``group`` says otherwise."""
    _, _, _, region, account, _ = package_arn.split(":", 5)
    group = group or package_arn.rsplit("/", 2)[-2]
    return {
        "version": "0",
        "id": "5d6c1f2e-0000-4000-8000-000000000000",
        "detail-type": Event.PACKAGE_STATE_CHANGE,
        "source": Event.SAGEMAKER,
        "account": account,
        "region": region,
        "resources": [package_arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": int(package_arn.rsplit("/", 1)[1]),
            "ModelPackageArn": package_arn,
            "ModelApprovalStatus": status,
            "CreationTime": 1764115200000,
            "LastModifiedTime": 1764118800000,
            # What the event says of people is not trusted: the promotion reads them from the registry.
            "LastModifiedBy": {"UserProfileName": approved_by},
            "CreatedBy": {"UserProfileName": "ana-garcia"},
        },
    }
