"""Several AWS accounts inside one moto (in-process or moto_server), and Roadway's real serving stacks in them.

moto switches account by credentials: assuming a role in account N gives a session that acts in N. The platform
stack is not deployed (its template needs CDK's asset bucket and a Lambda-backed custom resource, which moto can
only run with Docker); a small stack creates real moto resources (buckets, keys, topic) and exports them under
the names the serving template imports: the contract between the two stacks, not a stand-in for AWS.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from promote_model.contract import Env, Event, Output
from promote_model.sessions import Session


def share_service_models() -> None:
    """One botocore loader for every session of this process. Each new session parses botocore's service models
    again (json.loads of large files): measured, 1.7 s of a 3.3 s moto road with one promotion. The moto world makes
    sessions freely (one per account, one per function call), as Lambda does once per cold start; the models are
    read-only data, so one parse serves them all."""
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    shared.shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared  # type: ignore[assignment]


def share_client_classes() -> None:
    """One client class per service and set of class-building handlers in this process. botocore builds a new class
    with a method per operation for every client it makes (400 for SageMaker): measured, a tenth of the promotion
    tests' time, as each test starts the functions in a new execution environment and each promotion assumes a
    role. What a client does depends only on the service's model (one loader serves every session here,
    share_service_models) and the handlers that shape its class ('creating-client-class'), the same for every boto3
    session here; a session with other handlers gets a class of its own. The class's methods keep the first
    session's event emitter for their docstrings, which only help() reads; each client has its own for calls."""
    import botocore.client

    creator = botocore.client.ClientCreator
    if getattr(creator._create_client_class, "shared", False):
        return
    build = creator._create_client_class
    made: dict[tuple[Any, ...], type] = {}

    def shared(self: Any, service_name: str, service_model: Any) -> type:
        emitter = getattr(self._event_emitter, "_emitter", self._event_emitter)  # under boto3's EventAliaser
        event = f"creating-client-class.{service_model.service_id.hyphenize()}"
        key = (service_name, service_model.api_version, *map(_shaper, emitter._handlers.prefix_search(event)))
        if key not in made:
            made[key] = build(self, service_name, service_model)
        return made[key]

    shared.shared = True  # type: ignore[attr-defined]
    creator._create_client_class = shared  # type: ignore[method-assign]


def _shaper(handler: Any) -> tuple[str, ...]:
    """A handler by what it does: where it is defined and what it closes over (boto3 registers some handlers as
    closures that import their target on first use). Anything without a name is told apart by its identity."""
    closed = tuple(repr(cell.cell_contents) for cell in getattr(handler, "__closure__", None) or ())
    return (getattr(handler, "__module__", ""), getattr(handler, "__qualname__", None) or repr(handler), *closed)


def json_templates_first() -> None:
    """moto parses every stack template with PyYAML's pure-Python loader, JSON ones too, at every create and
    update: 50 ms for a serving stack, more than the rest of a promotion's stack update. The CDK writes JSON, so
    read it as JSON first and fall back to moto's own parser (YAML, with its tags) for anything else."""
    import json as json_module

    from moto.cloudformation.models import Stack as FakeStack

    if getattr(FakeStack.parse_template, "json_first", False):
        return
    yaml_first = FakeStack.parse_template

    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json_module.loads(template)
        except ValueError:
            return yaml_first(template)
        return parsed if isinstance(parsed, dict) else yaml_first(template)

    parse_template.json_first = True  # type: ignore[attr-defined]
    FakeStack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign,assignment]


def session_in(account: str, region: str, name: str = "roadway-tests") -> boto3.session.Session:
    """A session acting in ``account`` (moto switches account by the assumed role's credentials), making each
    service's client once, as the promotion's own sessions do."""
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{name}", RoleSessionName=name
    )["Credentials"]
    return Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


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


def deploy_serving(session: boto3.session.Session, template: dict[str, Any], stack_name: str, platform: str) -> str:
    """Deploy the stage's platform exports as stack ``platform`` (once per account) and a real serving template
    (less its Lambda code, see :func:`without_asset_code`) as ``stack_name``; return the artifact bucket."""
    template = without_asset_code(template)
    cfn = session.client("cloudformation")
    if not any(s["StackName"] == platform for s in cfn.list_stacks()["StackSummaries"]):
        cfn.create_stack(StackName=platform, TemplateBody=json.dumps(platform_exports_template(imports_of(template))))
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    (stack,) = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    bucket = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == Output.ARTIFACT_BUCKET)
    # The platform's buckets are versioned (seals name versions); moto's CloudFormation ignores
    # VersioningConfiguration, so it is switched on here.
    session.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def parameters_of(session: boto3.session.Session, stack: str) -> dict[str, str]:
    (described,) = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}


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
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
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


def record_identities(
    package_arn: str, *, created_by: dict[str, Any] | None = None, last_modified_by: dict[str, Any] | None = None
) -> None:
    """Write who created and who last changed a package into moto's registry, as SageMaker would have.

    moto 5.2.5 records no caller: every package is created by one fake Studio user, and every update copies that
    into ``LastModifiedBy``, so every package would look self-approved. This sets just those two fields, in the
    in-process backend (in-process moto, or a moto_server thread of this process).
    """
    from moto.sagemaker.models import sagemaker_backends

    _, _, _, region, account, _ = package_arn.split(":", 5)
    backend = sagemaker_backends[account][region]
    package = backend.model_packages[backend.model_package_name_mapping.get(package_arn, package_arn)]
    if created_by is not None:
        package.created_by = created_by
    if last_modified_by is not None:
        package.last_modified_by = last_modified_by


def record_run(
    session: Any,
    pipeline: str,
    run: str,
    *,
    role_arn: str,
    code: list[str],
    started_by: dict[str, Any],
    last_modified_by: dict[str, Any],
) -> str:
    """A run ``run`` of ``pipeline`` (created if absent) whose definition's steps name ``code``, started and last
    changed by whom SageMaker would say; its ARN. moto picks its own execution ids and records a fake caller, so
    the run is written into the in-process backend as SageMaker would have it (like :func:`record_identities`)."""
    from moto.sagemaker.models import FakePipelineExecution, sagemaker_backends

    definition = json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [{"Name": "TrainData", "Type": "String", "DefaultValue": "s3://data/teams/x/datasets/"}],
            "Steps": [
                {
                    "Name": f"Step{i}",
                    "Type": "Processing",
                    "Arguments": {"ProcessingInputs": [{"S3Input": {"S3Uri": uri}}]},
                }
                for i, uri in enumerate(code)
            ],
        }
    )
    from botocore.exceptions import ClientError

    client = session.client("sagemaker")
    try:
        client.describe_pipeline(PipelineName=pipeline)
    except ClientError:  # moto answers an unknown pipeline with a ValidationException
        client.create_pipeline(PipelineName=pipeline, PipelineDefinition=definition, RoleArn=role_arn)
    else:
        client.update_pipeline(PipelineName=pipeline, PipelineDefinition=definition, RoleArn=role_arn)
    account, region = role_arn.split(":")[4], session.region_name
    backend = sagemaker_backends[account][region]
    fake = backend.pipelines[pipeline]
    fake.last_modified_by = last_modified_by
    arn = f"arn:aws:sagemaker:{region}:{account}:pipeline/{pipeline}/execution/{run}"
    execution = FakePipelineExecution(arn, run, [], "", {}, definition, "")
    execution.created_by = started_by
    fake.pipeline_executions[arn] = execution
    return arn


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
