"""A CDK bootstrap template in which every role carries the organization's permissions boundary (and path).

Why: an organization whose service control policies refuse ``iam:CreateRole`` without a permissions boundary (or
outside an IAM path) cannot run the shipped ``cdk bootstrap``: its template bounds the roles only conditionally, and
puts every role at ``/``. ``governed`` rewrites the CLI's own template (``cdk bootstrap --show-template``) offline;
``make bootstrap-template`` writes the result for ``make bootstrap BOOTSTRAP_TEMPLATE=...``.

Run: ``python -m stacks.bootstrap_template --config config/roadway.yaml --source cdk.yaml --out roadway.yaml``.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from roadway.config import ConfigError, load_config

ROLE_TYPE = "AWS::IAM::Role"
# The CLI refuses to replace a bootstrap stack of another variant (without --force): ours is named so that a plain
# `cdk bootstrap` later does not silently put the roles back unbounded.
VARIANT_PARAMETER = "BootstrapVariant"
VARIANT = "Roadway"


def boundary_value(permissions_boundary: str) -> str | dict[str, str]:
    """The boundary as a role's PermissionsBoundary: an ARN as is, a name as that policy in the deploying account
    (Fn::Sub, so one template serves every account and partition). Config has checked either form."""
    if permissions_boundary.startswith("arn:"):
        return permissions_boundary
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{permissions_boundary}"}


def roles_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every AWS::IAM::Role of the template, by logical id."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return {}
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == ROLE_TYPE
    }


def variant(bounded: bool, role_path: str | None) -> str:
    """The BootstrapVariant this template declares: a path changes every role's ARN, so it is part of it."""
    said = (["every role bounded"] if bounded else []) + ([f"path {role_path}"] if role_path else [])
    return f"{VARIANT}: {', '.join(said)}"


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)


def governed(template: dict[str, Any], *, permissions_boundary: str | None, role_path: str | None) -> dict[str, Any]:
    """A copy of ``template`` whose every role carries ``permissions_boundary`` unconditionally and ``role_path``
    (either may be None: left as the template has it); the input is left as it was. A path moves each role's ARN:
    the pinned CLI's template names its roles only by ``Fn::GetAtt``, which follows; one that spells a role's ARN as
    text is refused rather than left half-moved."""
    result = copy.deepcopy(template)
    roles = roles_of(result)
    if not roles:
        raise ValueError(
            "the template has no AWS::IAM::Role: not a CDK bootstrap template (cdk bootstrap --show-template)"
        )
    for role in roles.values():
        properties = role.setdefault("Properties", {})
        if permissions_boundary is not None:
            properties["PermissionsBoundary"] = boundary_value(permissions_boundary)
        if role_path is not None:
            properties["Path"] = role_path
    if role_path not in (None, "/"):
        spelled = next((text for text in _texts(result) if ":role/" in text), None)
        if spelled is not None:
            raise ValueError(
                f"the template spells a role's ARN as text ({spelled!r}), which a path would not move: a CLI "
                "upgrade brought it; teach stacks/bootstrap_template.py to move it"
            )
    parameters = result.setdefault("Parameters", {})
    parameters.setdefault(
        VARIANT_PARAMETER, {"Type": "String", "Description": "The provenance of this bootstrap stack."}
    )
    parameters[VARIANT_PARAMETER]["Default"] = variant(permissions_boundary is not None, role_path)
    return result


def main(argv: list[str] | None = None) -> int:
    """The command: the road's config says the boundary and path; the CLI's template in, the bounded one out."""
    parser = argparse.ArgumentParser(
        prog="python -m stacks.bootstrap_template",
        description="Write a CDK bootstrap template whose every role carries the config's permissions boundary.",
    )
    parser.add_argument("--config", required=True, type=Path, help="the road's config (config/roadway.yaml)")
    parser.add_argument("--source", required=True, type=Path, help="the CLI's template (cdk bootstrap --show-template)")
    parser.add_argument("--out", required=True, type=Path, help="where to write the bounded template")
    args = parser.parse_args(argv)

    def refuse(message: str) -> int:
        print(f"roadway: {message}", file=sys.stderr)
        return 2

    try:
        config = load_config(args.config)
    except ConfigError as error:
        return refuse("; ".join(str(error).splitlines()))
    boundary, role_path = config.iam.permissions_boundary, config.iam.role_path
    if boundary is None and role_path is None:
        return refuse(
            f"{args.config} sets neither iam.permissions_boundary nor iam.role_path: the shipped `cdk bootstrap` "
            "template is fine (set them where the organization demands a boundary or a path on every role)"
        )
    try:
        source = yaml.safe_load(args.source.read_text(encoding="utf-8"))
    except OSError as error:
        return refuse(f"{args.source}: cannot read the source template ({error.strerror})")
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        return refuse(f"{args.source}: not a template in YAML's long form{line}: {problem}")
    if not isinstance(source, dict):
        return refuse(f"{args.source}: expected a CloudFormation template (a mapping), got {type(source).__name__}")
    try:
        result = governed(source, permissions_boundary=boundary, role_path=role_path)
    except ValueError as error:
        return refuse(f"{args.source}: {error}")
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(yaml.safe_dump(result, sort_keys=False), encoding="utf-8")
    except OSError as error:
        return refuse(f"{args.out}: cannot write the template ({error.strerror})")
    print(f"Wrote {args.out}: {len(roles_of(result))} roles ({variant(boundary is not None, role_path)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
