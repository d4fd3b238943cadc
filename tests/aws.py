"""AWS's own facts, as the proofs read them: the extract in ``aws_facts/`` (``make aws-facts``), loaded once.

- :func:`keys_of`: the condition keys an action may carry (Service Authorization Reference: the action's keys, its
  resource types' keys, and the global keys), so no test and no template uses a key AWS never sends with it.
- :func:`actions_matching`: the actions a wildcard or ``NotAction`` names, within the services of the extract.
- :func:`handler_permissions`: what CloudFormation's handler calls to create, update or delete a resource type.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

FACTS = Path(__file__).resolve().parent.parent / "aws_facts"

# (action, key) pairs a template may use although the reference does not list the key for the action, each with
# why; tests/stacks/test_condition_keys.py holds that each is still used. None today: AWS's CloudWatch Logs key
# policy puts kms:EncryptionContext:aws:logs:arn on kms:Describe*, which no Describe action carries, so Roadway's
# copy of it leaves Describe* out instead (a grant that could never apply).
EXCEPTIONS: dict[tuple[str, str], str] = {}


# What Studio's UI calls with a person's execution role (SageMaker Developer Guide, "Give your users access to
# private spaces", its policy for a domain's execution role; checked 2026-12-06): it lists and describes the
# domain's profiles, spaces and apps, and tags what it creates.
STUDIO_UI_CALLS = (
    "sagemaker:ListApps",
    "sagemaker:ListDomains",
    "sagemaker:ListUserProfiles",
    "sagemaker:ListSpaces",
    "sagemaker:DescribeApp",
    "sagemaker:DescribeDomain",
    "sagemaker:DescribeUserProfile",
    "sagemaker:DescribeSpace",
)


@cache
def _sar() -> dict[str, Any]:
    return json.loads((FACTS / "service_authorization.json").read_text())


@cache
def _handlers() -> dict[str, Any]:
    return json.loads((FACTS / "cloudformation_handlers.json").read_text())


@cache
def _global_keys() -> tuple[str, ...]:
    return tuple(json.loads((FACTS / "global_condition_keys.json").read_text())["keys"])


def sources() -> dict[str, dict[str, str]]:
    """Where each fact came from (package and version, or document and date): provenance repeats it."""
    return {
        "service_authorization": _sar()["source"],
        "cloudformation_handlers": _handlers()["source"],
        "global_condition_keys": json.loads((FACTS / "global_condition_keys.json").read_text())["source"],
    }


def _pattern(key: str) -> re.Pattern[str]:
    """A listed key as a pattern: ``aws:RequestTag/${TagKey}`` stands for any tag key (keys are case-insensitive)."""
    parts = re.split(r"\$\{[^}]+\}", key.lower())
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


@cache
def _service(prefix: str) -> dict[str, Any]:
    services = _sar()["services"]
    if prefix not in services:
        raise LookupError(f"service {prefix!r} is not in aws_facts/: add it to devtools/aws_facts.py SERVICES, then "
                          "run make aws-facts")
    service = services[prefix]
    return {**service, "actions": {name.lower(): (name, facts) for name, facts in service["actions"].items()}}


def action(name: str) -> tuple[str, dict[str, Any]]:
    """The reference's spelling and facts of ``service:Action`` (IAM reads action names case-insensitively)."""
    prefix, _, verb = name.partition(":")
    actions = _service(prefix.lower())["actions"]
    if verb.lower() not in actions:
        raise LookupError(f"{name} is not an action of the Service Authorization Reference (aws_facts/)")
    return actions[verb.lower()]


def known(name: str) -> bool:
    try:
        action(name)
    except LookupError:
        return False
    return True


@cache
def _key_patterns(name: str) -> tuple[re.Pattern[str], ...]:
    prefix = name.partition(":")[0].lower()
    _, facts = action(name)
    types = _service(prefix)["resource_types"]
    keys = {*facts["keys"], *(k for t in facts["resource_types"] for k in types[t]["keys"]), *_global_keys()}
    return tuple(_pattern(k) for k in sorted(keys))


def carries(name: str, key: str) -> bool:
    """Whether a request for action ``name`` may carry condition key ``key`` (listed, global or an exception)."""
    if (name.lower(), key.lower()) in EXCEPTIONS:
        return True
    return any(p.match(key.lower()) for p in _key_patterns(name))


def keys_of(name: str) -> list[str]:
    """The keys as the reference spells them, for messages."""
    return [p.pattern for p in _key_patterns(name)]


def actions_matching(pattern: str) -> list[str]:
    """Every action of the extract that an Action or NotAction entry names (``*`` and ``?`` wildcards)."""
    if pattern == "*":
        return [f"{p}:{a}" for p in _sar()["services"] for a in _sar()["services"][p]["actions"]]
    prefix, _, verb = pattern.partition(":")
    actions = _service(prefix.lower())["actions"].values()
    return [f"{prefix.lower()}:{name}" for name, _ in actions if fnmatch.fnmatchcase(name.lower(), verb.lower())]


def dependent_actions(name: str) -> list[str]:
    return list(action(name)[1]["dependent_actions"])


def handler_permissions(type_name: str, verb: str) -> list[str]:
    """What CloudFormation's ``verb`` handler (create, update, delete) of ``type_name`` lists as needed."""
    types = _handlers()["types"]
    if type_name not in types:
        raise LookupError(f"{type_name} is not in aws_facts/cloudformation_handlers.json: add its namespace to "
                          "devtools/aws_facts.py CFN_NAMESPACES, then run make aws-facts")
    return list(types[type_name].get(verb, []))


def tagging(type_name: str) -> dict[str, Any]:
    return dict(_handlers()["types"][type_name]["tagging"])
