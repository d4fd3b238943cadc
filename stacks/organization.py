"""What a governed organization demands of everything the road creates, applied in one place per stage.

Service control policies often refuse a role without the organization's permissions boundary, or outside its
path, and demand the organization's own tags. Config says which (``iam``, ``tags``); this module puts them on every
role and taggable resource of a stage, CDK's own custom-resource roles included, because it works on what the
templates hold (every ``AWS::IAM::Role``), not on the constructs Roadway wrote. The compliance pack's
``Roadway-IAM1`` then checks each role as synthesized, so an escape fails synth.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Aspects, CfnResource, DefaultStackSynthesizer, IAspect, PermissionsBoundary, TagManager, Tags
from constructs import Construct, IConstruct

from roadway.config import RoadwayConfig

# Where the stage's demands are left for Roadway-IAM1 to read (the pack is made before any stage exists).
CONTEXT_KEY = "roadway:organization"
ROLE = "AWS::IAM::Role"


def boundary(config: RoadwayConfig) -> PermissionsBoundary | None:
    """The stage's boundary for CDK's own mechanism (every ``AWS::IAM::Role`` and user of the stage's stacks)."""
    wanted = config.iam.permissions_boundary
    if wanted is None:
        return None
    return PermissionsBoundary.from_arn(wanted) if wanted.startswith("arn:") else PermissionsBoundary.from_name(wanted)


# Resources CDK itself makes as plain ``CfnResource`` (its custom-resource providers' roles and functions), which
# CDK's tags do not reach; both types take tags as a list of Key and Value.
_UNTAGGED_BY_CDK = (ROLE, "AWS::Lambda::Function")


@jsii.implements(IAspect)
class _Demands:
    """Puts every role of the scope under the path, and the organization's tags on what CDK's tags miss. CDK has no
    mechanism for either: a property override on each resource, as CDK's own boundary aspect does, so roles made
    as plain ``CfnResource`` are reached too."""

    def __init__(self, path: str | None, tags: dict[str, str]) -> None:
        self._path, self._tags = path, tags

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        if self._path is not None and node.cfn_resource_type == ROLE:
            node.add_property_override("Path", self._path)
        if self._tags and node.cfn_resource_type in _UNTAGGED_BY_CDK and not TagManager.is_taggable(node):
            node.add_property_override("Tags", [{"Key": k, "Value": v} for k, v in self._tags.items()])


def govern(stage: Construct, config: RoadwayConfig) -> None:
    """Role path, organization tags (on resources and stacks alike), and what Roadway-IAM1 expects."""
    stage.node.set_context(
        CONTEXT_KEY, {"permissions_boundary": config.iam.permissions_boundary, "role_path": config.iam.role_path}
    )
    if config.iam.role_path is not None or config.tags:
        Aspects.of(stage).add(_Demands(config.iam.role_path, config.tags))
    for key, value in config.tags.items():
        Tags.of(stage).add(key, value)


def expected(node: IConstruct) -> dict[str, Any]:
    """What the stage of ``node`` demands of its roles (nothing outside a governed stage)."""
    found = node.node.try_get_context(CONTEXT_KEY)
    return found if isinstance(found, dict) else {}


# The bootstrap stack's roles by the ARNs CDK's default synthesizer names them with, which carry no path.
_BOOTSTRAP_ROLES = {
    "deploy_role_arn": DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN,
    "cloud_formation_execution_role": DefaultStackSynthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN,
    "file_asset_publishing_role_arn": DefaultStackSynthesizer.DEFAULT_FILE_ASSET_PUBLISHING_ROLE_ARN,
    "image_asset_publishing_role_arn": DefaultStackSynthesizer.DEFAULT_IMAGE_ASSET_PUBLISHING_ROLE_ARN,
    "lookup_role_arn": DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN,
}


def synthesizer(config: RoadwayConfig, **options: Any) -> DefaultStackSynthesizer | None:
    """A stack's synthesizer: under a role path the bootstrap roles carry it too (``make bootstrap-template``
    puts them there), so the CLI must assume them by those ARNs. None: CDK's default, as before."""
    path = config.iam.role_path
    if path is None and not options:
        return None
    pathed = {} if path is None else {k: v.replace(":role/", f":role{path}", 1) for k, v in _BOOTSTRAP_ROLES.items()}
    return DefaultStackSynthesizer(**pathed, **options)
