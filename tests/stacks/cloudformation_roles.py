"""What CloudFormation calls, as the role it acts as, when a promotion updates a serving stack.

A promotion sets the serving stack's parameters and keeps its template: the resources that change are those
conditioned on those parameters or referring to them, and every resource that refers to one of those (a model
replaced takes its endpoint config with it). For each, CloudFormation's handlers call what the resource-provider
schema lists (aws_facts/cloudformation_handlers.json): create on the first promotion, update on the next, delete
when a withdrawal goes back to no model. Each call is asked of the role with the request AWS would make: the ARN
of that resource and the condition keys built from its own properties (isolation, subnets, key, instance types,
the tags the stack puts on it), never a context made up for the test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from promote_model.contract import BASELINE_PARAMETERS, Parameter

from roadway.naming import role_arn
from tests import aws, iam

PROMOTION_PARAMETERS = frozenset({Parameter.MODEL_PACKAGE, *BASELINE_PARAMETERS})
VERBS = ("create", "update", "delete")

# Handler permissions that do not apply to Roadway's resources, each with why (the schema lists what a handler
# may call for any configuration of the type).
NOT_CALLED: dict[tuple[str, str], str] = {
    **{
        ("AWS::ApplicationAutoScaling::ScalableTarget", f"lambda:{verb}ProvisionedConcurrencyConfig"): (
            "Lambda provisioned concurrency is a Lambda target's; Roadway's targets are SageMaker variants"
        )
        for verb in ("Delete", "Get", "Put")
    },
    ("AWS::ApplicationAutoScaling::ScalableTarget", "iam:PassRole"): (
        "passes the target's RoleARN; Roadway's names none, so Application Auto Scaling uses its service-linked role"
    ),
    ("AWS::SageMaker::EndpointConfig", "iam:PassRole"): (
        "passes the config's ExecutionRoleArn (inference components); Roadway's configs name none"
    ),
}

_SAGEMAKER_KINDS = {
    "AWS::SageMaker::Model": ("model", "ModelName"),
    "AWS::SageMaker::EndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "AWS::SageMaker::Endpoint": ("endpoint", "EndpointName"),
    "AWS::SageMaker::DataQualityJobDefinition": ("data-quality-job-definition", "JobDefinitionName"),
    "AWS::SageMaker::MonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
}
_CREATES = {
    "AWS::SageMaker::Model": "CreateModel",
    "AWS::SageMaker::EndpointConfig": "CreateEndpointConfig",
    "AWS::SageMaker::Endpoint": "CreateEndpoint",
    "AWS::SageMaker::DataQualityJobDefinition": "CreateDataQualityJobDefinition",
}


def _refs(node: Any) -> set[str]:
    """Every name a node refers to: Ref, Fn::GetAtt's resource, Fn::If's and a resource's Condition."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::If":
                found.add(value[0])
                found |= _refs(value[1:])
            elif key == "Condition" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def touched(template: Mapping[str, Any]) -> list[str]:
    """The resources a promotion's update can create, update or delete (see the module's docstring)."""
    changed = set(PROMOTION_PARAMETERS) & set(template.get("Parameters", {}))
    conditions = template.get("Conditions", {})
    growing = True
    while growing:
        growing = False
        for name, expression in conditions.items():
            if name not in changed and _refs(expression) & changed:
                changed.add(name)
                growing = True
        for logical_id, resource in template["Resources"].items():
            if logical_id not in changed and _refs(resource) & changed:
                changed.add(logical_id)
                growing = True
    return sorted(changed & set(template["Resources"]))


@dataclass(frozen=True)
class Place:
    """Where a stack lives, and how its tokens become the ARNs AWS would see."""

    region: str
    account: str
    stack_name: str
    template: Mapping[str, Any]
    stack_tags: Mapping[str, str]

    def generated(self, logical_id: str) -> str:
        """A physical name CloudFormation generates: the stack's name, the logical ID, a random suffix."""
        return f"{self.stack_name}-{logical_id}-1A2B3C4D5E6F"

    def concrete(self, node: Any) -> str:
        """A property as AWS would receive it: a named role of the stack as its ARN, else as cdk-nag renders it."""
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            logical_id, attribute = node["Fn::GetAtt"]
            resource = self.template["Resources"].get(logical_id, {})
            properties = resource.get("Properties", {})
            name = properties.get("RoleName")
            if resource.get("Type") == "AWS::IAM::Role" and attribute == "Arn" and isinstance(name, str):
                return role_arn(self.account, name, properties.get("Path", "/"))  # IAM puts the path in the ARN
        return iam.render(node)


def _sagemaker_arn(place: Place, logical_id: str, type_name: str, props: Mapping[str, Any]) -> str:
    kind, name_property = _SAGEMAKER_KINDS[type_name]
    name = props.get(name_property)
    named = name if isinstance(name, str) else place.generated(logical_id)
    return f"arn:aws:sagemaker:{place.region}:{place.account}:{kind}/{named}"


def _tags(place: Place, props: Mapping[str, Any]) -> dict[str, str]:
    """The tags a created resource gets: the stack's (CloudFormation propagates them) and its own."""
    own = props.get("Tags", [])
    return {**place.stack_tags, **({t["Key"]: t["Value"] for t in own} if isinstance(own, list) else {})}


def _properties_context(type_name: str, props: Mapping[str, Any], place: Place) -> dict[str, Any]:
    """The condition keys SageMaker reads from a create request, from the resource's own properties."""
    vpc = props.get("VpcConfig") or props.get("NetworkConfig", {}).get("VpcConfig") or {}
    network = props.get("NetworkConfig", {})
    cluster = props.get("JobResources", {}).get("ClusterConfig", {})
    variants = props.get("ProductionVariants", [])
    context: dict[str, Any] = {
        "sagemaker:NetworkIsolation": str(
            props.get("EnableNetworkIsolation", network.get("EnableNetworkIsolation", False))
        ).lower(),
        "sagemaker:InterContainerTrafficEncryption": str(
            network.get("EnableInterContainerTrafficEncryption", False)
        ).lower(),
    }
    if vpc:
        context["sagemaker:VpcSubnets"] = [place.concrete(s) for s in vpc.get("Subnets", [])]
        context["sagemaker:VpcSecurityGroupIds"] = [place.concrete(s) for s in vpc.get("SecurityGroupIds", [])]
    key = props.get("KmsKeyId") or cluster.get("VolumeKmsKeyId")
    if key:
        context["sagemaker:VolumeKmsKey"] = place.concrete(key)
    types = [v["InstanceType"] for v in variants if "InstanceType" in v] or (
        [cluster["InstanceType"]] if "InstanceType" in cluster else []
    )
    if types:
        context["sagemaker:InstanceTypes"] = types
    if type_name == "AWS::SageMaker::EndpointConfig":
        models = [_refs(v.get("ModelName")) for v in variants]
        context["sagemaker:ModelArn"] = [
            f"arn:aws:sagemaker:{place.region}:{place.account}:model/{place.generated(next(iter(m), 'Model'))}"
            for m in models
        ]
    return context


@dataclass(frozen=True)
class Call:
    """One handler permission of one resource, as AWS would ask it of the role."""

    logical_id: str
    type_name: str
    verb: str
    action: str
    resource: str
    context: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.logical_id} ({self.type_name}) {self.verb}: {self.action} on {self.resource}"


def calls(place: Place, logical_id: str) -> Iterator[Call]:
    """Every handler call of one touched resource, with its ARN and request context."""
    resource = place.template["Resources"][logical_id]
    type_name, props = resource["Type"], resource.get("Properties", {})
    tags = _tags(place, props)
    tagging = {f"aws:RequestTag/{k}": v for k, v in tags.items()} | ({"aws:TagKeys": sorted(tags)} if tags else {})
    from_properties = _properties_context(type_name, props, place)
    for verb in VERBS:
        for action in aws.handler_permissions(type_name, verb):
            if (type_name, action) in NOT_CALLED:
                continue
            found = _target(place, logical_id, type_name, props, action)
            if found is None:
                continue
            target, context = found
            if verb != "delete":
                context = {**from_properties, **tagging, **context}
                if action == "sagemaker:AddTags" and type_name in _CREATES and verb == "create":
                    context["sagemaker:TaggingAction"] = _CREATES[type_name]
            yield Call(logical_id, type_name, verb, action, target, iam.as_carried(action, context))


def _target(
    place: Place, logical_id: str, type_name: str, props: Mapping[str, Any], action: str
) -> tuple[str, dict[str, Any]] | None:
    """The resource a call names and what the call itself adds to the context, or None where this configuration
    makes no such call (a key's description when the resource names no key: a serverless endpoint config)."""
    service = action.split(":")[0]
    region, account = place.region, place.account
    if action == "iam:PassRole":
        role = props.get("ExecutionRoleArn") or props.get("RoleArn") or _job_definition_role(place, props)
        if role is None:
            raise LookupError(f"{type_name} names no role to pass: add ({type_name}, iam:PassRole) to NOT_CALLED")
        return place.concrete(role), {"iam:PassedToService": "sagemaker.amazonaws.com"}
    if action == "iam:CreateServiceLinkedRole":
        principal = f"{props.get('ServiceNamespace', 'sagemaker')}.application-autoscaling.amazonaws.com"
        role = f"arn:aws:iam::{account}:role/aws-service-role/{principal}/AWSServiceRoleForApplicationAutoScaling_"
        return role + "SageMakerEndpoint", {"iam:AWSServiceName": principal}
    if service == "kms":
        return (place.concrete(props["KmsKeyId"]), {}) if "KmsKeyId" in props else None
    if service == "sagemaker" and type_name in _SAGEMAKER_KINDS:
        return _sagemaker_arn(place, logical_id, type_name, props), {}
    if service == "cloudwatch" and action != "cloudwatch:GetMetricData":
        if type_name == "AWS::CloudWatch::Alarm":
            name = props.get("AlarmName")
            alarm = name if isinstance(name, str) else place.generated(logical_id)
        else:  # target tracking makes and removes its own alarms, named after the scalable target's resource id
            alarm = f"TargetTracking-{_scaled_resource(place, props)}-AlarmHigh-0a1b2c3d-4e5f"
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}", {}
    if service == "application-autoscaling":
        # Application Auto Scaling names the target's namespace and dimension in the request (its condition keys;
        # as_carried keeps them only for the actions that carry them).
        target = _scalable_target(place, props)
        scaled = {
            "application-autoscaling:service-namespace": target["ServiceNamespace"],
            "application-autoscaling:scalable-dimension": target["ScalableDimension"],
        }
        return f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/sgm0a1b2c3d4e5f", scaled
    return "*", {}


def _scalable_target(place: Place, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The properties of the scalable target a target or its policy (by ``ScalingTargetId``) is about."""
    if "ScalingTargetId" not in props:
        return props
    (target,) = _refs(props["ScalingTargetId"])
    return place.template["Resources"][target]["Properties"]


def _scaled_resource(place: Place, props: Mapping[str, Any]) -> str:
    """The scalable target's resource id (``endpoint/<name>/variant/<variant>``), from a target or its policy."""
    if "ResourceId" in props:
        return place.concrete(props["ResourceId"])
    (target,) = _refs(props.get("ScalingTargetId"))
    return place.concrete(place.template["Resources"][target]["Properties"]["ResourceId"])


def _job_definition_role(place: Place, props: Mapping[str, Any]) -> Any:
    """A monitoring schedule runs its job definition's role: the role SageMaker is handed when it is created."""
    config = props.get("MonitoringScheduleConfig", {})
    for name in _refs(config.get("MonitoringJobDefinitionName")):
        definition = place.template["Resources"].get(name, {})
        if "RoleArn" in definition.get("Properties", {}):
            return definition["Properties"]["RoleArn"]
    return None
