"""Every S3 object a model package points at, and where its copy lives in the next account.

A package names artifacts in several places (the containers' ``ModelDataUrl``, ``S3Uri`` entries of its model
metrics and drift-check baselines). Walking the description for them, instead of listing fields, keeps new
kinds of metrics and baselines promotable without code changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from promote_model.aws import S3Object
from promote_model.contract import GROUP_PLACEHOLDER, PROMOTED_PREFIX, promoted_prefix

URI_FIELDS = ("ModelDataUrl", "S3Uri")


def evidence_of(prefix: str, group: str) -> str:
    """Where ``group``'s evidence lies under an announced ``prefix``: a project's package comes only from its
    own project's runs."""
    return prefix.replace(GROUP_PLACEHOLDER, group)


def outside_evidence(uris: list[str], bucket: str, prefix: str) -> str:
    """Why these artifacts are not one run's evidence (one line, an artifact named), or "" when they are.

    Every artifact must lie in ``bucket`` under ``prefix/``, and all under the same first folder below it (one
    pipeline run, or one source account's copies): metrics of one run cannot vouch for the model of another.
    """
    runs: set[str] = set()
    for uri in uris:
        location = S3Object.parse(uri)
        folder, _, rest = location.key.removeprefix(f"{prefix}/").partition("/")
        if location.bucket != bucket or not location.key.startswith(f"{prefix}/") or not rest:
            where = f"s3://{bucket}/{prefix}/<run>/"
            return f"{artifact_name(uri)} ({uri}) is not under {where}, where only evidence is written"
        runs.add(folder)
    if len(runs) > 1:
        return f"the artifacts come from {len(runs)} different runs ({', '.join(sorted(runs))}); a package is one run's"
    return ""


def artifact_uris(spec: Any) -> list[str]:
    """All artifact URIs in a (part of a) package description, in a stable order, without repeats."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in URI_FIELDS and isinstance(value, str) and value.startswith("s3://"):
                    if value not in found:
                        found.append(value)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(spec)
    return found


def not_s3(spec: Any) -> str:
    """The first artifact URI in ``spec`` that is not ``s3://<bucket>/<key>``, as a refusal (one line), or "".

    :func:`artifact_uris` collects only S3 URIs; anything else in those fields (an https URL, an access point's
    ARN) would be neither sealed nor checked nor copied, and would be carried downstream as it is.
    """

    def visit(node: Any) -> str:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in URI_FIELDS and isinstance(value, str):
                    try:
                        S3Object.parse(value)
                    except ValueError:
                        return (
                            f"{name} {value!r} is not an s3://<bucket>/<key> URI: artifacts are sealed, checked "
                            "and copied only as S3 objects"
                        )
                else:
                    found = visit(value)
                    if found:
                        return found
        elif isinstance(node, list):
            for item in node:
                found = visit(item)
                if found:
                    return found
        return ""

    return visit(spec)


def rewrite_uris(spec: Any, mapping: Callable[[str], str]) -> Any:
    """A copy of ``spec`` with every artifact URI replaced by ``mapping(uri)``."""
    if isinstance(spec, dict):
        return {
            name: mapping(value)
            if name in URI_FIELDS and isinstance(value, str) and value.startswith("s3://")
            else rewrite_uris(value, mapping)
            for name, value in spec.items()
        }
    if isinstance(spec, list):
        return [rewrite_uris(item, mapping) for item in spec]
    return spec


def target_key(source: S3Object, source_account: str, group: str, version: int) -> str:
    """Deterministic, so a retry copies to the same place; short, so keys do not grow stage after stage."""
    digest = hashlib.sha256(source.uri.encode()).hexdigest()[:12]
    return f"{promoted_prefix(source_account, group)}/v{version}/{digest}-{artifact_name(source.uri)}"


def artifact_name(uri: str) -> str:
    """The artifact's own file name, the same in every account (promoted copies carry a hash prefix)."""
    source = S3Object.parse(uri)
    name = source.key.rsplit("/", 1)[-1]
    if source.key.startswith(f"{PROMOTED_PREFIX}/"):
        prefix, _, rest = name.partition("-")
        if len(prefix) == 12 and rest:
            return rest
    return name
