"""What a package must pass before anything of it is copied, in the order it is asked. Each check reads the package
as the source registry holds it (and what the source sealed and recorded) and says why it refuses, or "" to pass:
the first refusal is the promotion's reason. The metric gate comes after, as it needs this account's serving stack.

1. ``sealed``: the source sealed it at registration (a package its promoter refused to seal never travels);
2. ``four-eyes``: another person than its author approved it, as the registry and the approver role record them;
3. ``images``: its containers run images of the accounts the road trusts;
4. ``declared-code``: its container's environment is the one a network-isolated endpoint can start;
5. ``evidence``: every artifact lies where only one role writes (the source's pipeline jobs, or its promoter);
6. ``authorship``: a first-stage run's code, start and pipeline are its author's own;
7. ``seal``: every sealed artifact, and the package's description, are as they were sealed;
8. ``entry-point``: the sealed model.tar.gz holds the code its environment names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.artifacts import evidence_of, outside_evidence
from promote_model.authorship import of_run
from promote_model.aws import S3Object
from promote_model.contract import Output
from promote_model.entry_point import Unreadable, declared_problem, missing_code
from promote_model.errors import PromotionError, error_text
from promote_model.events import Approval
from promote_model.identity import FourEyes
from promote_model.identity import check as four_eyes_of
from promote_model.images import foreign_images, refusal
from promote_model.observe import log
from promote_model.seal import artifacts, broken, changed_since
from promote_model.settings import Settings
from promote_model.upstream import Upstream


@dataclass
class Case:
    """One approval as the checks see it; four eyes leaves who the author and the approver are for the rest."""

    approval: Approval
    settings: Settings
    upstream: Upstream
    own: boto3.session.Session
    identities: FourEyes | None = None


def sealed(case: Case, package: dict[str, Any]) -> str:
    return case.upstream.read_seal()


def four_eyes(case: Case, package: dict[str, Any]) -> str:
    """From the registry's own record of who created and who approved the package."""
    origin, upstream = case.upstream.origin, case.upstream
    case.identities = four_eyes_of(
        package,
        approver_role_name=origin.approver_role_name,
        registrar_role_name=origin.registrar_role_name,
        pipeline_starter=lambda arn: upstream.execution(arn).get("CreatedBy"),
        sealed_author=upstream.sealed_author,
        approver_names=origin.approver_names,
    )
    found = case.identities
    log("four-eyes", passed=found.passed, author=found.author, approver=found.approver, reason=found.reason)
    return "" if found.passed else found.reason


def images(case: Case, package: dict[str, Any]) -> str:
    foreign = foreign_images(package, set(case.settings.image_accounts), case.approval.region)
    return refusal(foreign) if foreign else ""


def declared_code(case: Case, package: dict[str, Any]) -> str:
    return declared_problem(package)


def evidence(case: Case, package: dict[str, Any]) -> str:
    outputs = case.upstream.outputs()
    prefix = evidence_of(outputs[Output.EVIDENCE_PREFIX], case.settings.group)
    reason = outside_evidence(artifacts(package), outputs[Output.ARTIFACT_BUCKET], prefix)
    log("evidence", inside=not reason, reason=reason)
    return reason


def authorship(case: Case, package: dict[str, Any]) -> str:
    """A first-stage run's author is the one person whose own folder holds all the code it ran, who also started it
    and last changed its pipeline; and that person is the package's author four eyes compared."""
    origin, upstream = case.upstream.origin, case.upstream
    if not origin.pipeline_name:
        return ""  # the source registered it by promotion: its author was sealed with it
    prefix = evidence_of(upstream.outputs()[Output.EVIDENCE_PREFIX], case.settings.group)
    run = run_of(artifacts(package), prefix)
    if not run:
        return f"its artifacts name no run of {origin.pipeline_name}"
    execution = (
        f"arn:aws:sagemaker:{case.approval.region}:{origin.account}:pipeline/{origin.pipeline_name}/execution/{run}"
    )
    started = upstream.execution(execution).get("CreatedBy")
    sm = upstream.session.client("sagemaker")
    try:
        ran = sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=execution)
        changed = sm.describe_pipeline(PipelineName=origin.pipeline_name).get("LastModifiedBy")
    except ClientError as error:
        raise PromotionError("identity", f"pipeline run {execution}: {error_text(error)}") from None
    verdict = of_run(str(ran.get("PipelineDefinition") or ""), started, changed)
    author = case.identities.author if case.identities else None
    reason = verdict.reason
    if not reason and author is not None and verdict.author and author.casefold() != verdict.author.casefold():
        reason = f"its code is {verdict.author}'s but {author} registered it"
    log("authorship", passed=not reason, author=verdict.author, reason=reason)
    return reason


def seal(case: Case, package: dict[str, Any]) -> str:
    upstream = case.upstream
    reason = changed_since(package, (upstream.seal_record or {}).get("fingerprint")) or broken(
        case.own.client("s3"), package, upstream.seal
    )
    log("seal", intact=not reason, reason=reason, artifacts=len(upstream.seal))
    return reason


def entry_point(case: Case, package: dict[str, Any]) -> str:
    s3 = case.own.client("s3")

    def open_model(uri: str) -> Any:
        source = S3Object.parse(uri)
        version = case.upstream.version(uri)
        extra = {"VersionId": version} if version else {}
        try:
            return s3.get_object(Bucket=source.bucket, Key=source.key, **extra)["Body"]
        except ClientError as error:
            raise PromotionError("entry-point", f"{uri}: {error_text(error)}") from None

    try:
        reason = missing_code(package, open_model)
    except Unreadable as error:
        raise PromotionError("entry-point", str(error)) from None
    log("entry-point", found=not reason, reason=reason)
    return reason


Check = Callable[[Case, dict[str, Any]], str]
CHECKS: tuple[tuple[str, Check], ...] = (
    ("sealed", sealed),
    ("four-eyes", four_eyes),
    ("images", images),
    ("declared-code", declared_code),
    ("evidence", evidence),
    ("authorship", authorship),
    ("seal", seal),
    ("entry-point", entry_point),
)


def first_refusal(case: Case, package: dict[str, Any]) -> str:
    """The first check's refusal, in order; "" when the package passes them all."""
    for _, check in CHECKS:
        reason = check(case, package)
        if reason:
            return reason
    return ""


def run_of(uris: list[str], prefix: str) -> str:
    """The run folder every artifact lies in under ``prefix`` (the evidence check holds them to one), or ""."""
    for uri in uris:
        key = uri.split("/", 3)[3] if uri.count("/") >= 3 else ""
        if key.startswith(f"{prefix}/"):
            return key[len(prefix) + 1 :].split("/", 1)[0]
    return ""
