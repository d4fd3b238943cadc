"""`roadway approve` and `roadway reject`: a person's decision on a package, through the stage's one door.

The approver role (and break-glass's) trusts only a session that carries the person's own name as its source
identity, equal to the name the identity provider asserted for them. Neither botocore nor the AWS CLI reads
``source_identity`` from a profile, so the documented profile could never assume it; this sets it on the
AssumeRole request itself. It records nothing: the ledger is the promotion function's, which reads the decision
from the registry (who, through which role) and judges it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from promote_model.aws import assumed
from promote_model.identity import session_role

from roadway.config import RoadwayConfig, StageName
from roadway.road import CliError, Road, failure

# Who is deciding, when --as is not given: the person's Roadway name (as the identity provider asserts it).
NAME_ENV = "ROADWAY_USER"
APPROVED, REJECTED = "Approved", "Rejected"
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")  # STS's pattern for a role session name and a source identity


@dataclass(frozen=True)
class Door:
    """The role a decision goes through, and the config key that lists who may use it."""

    role: str
    listed_in: str
    break_glass: bool


def who(given: str | None, config: RoadwayConfig, status: str) -> str:
    name = given or os.environ.get(NAME_ENV, "")
    if not name:
        raise CliError(
            f"say who decides: --as NAME or {NAME_ENV}=NAME (your Roadway name, as your identity provider asserts it)"
        )
    if not _SESSION_NAME.match(name):
        raise CliError(f"--as {name!r}: expected 2-64 letters, digits or +=,.@_- (STS's source identity)")
    listed = [n.casefold() for n in config.identity.approver_names]
    if status == APPROVED and listed and name.casefold() not in listed:
        raise CliError(
            f"--as {name!r} is not in identity.approver_names: the next stage's promotion would refuse this approval"
        )
    return name


def door(road: Road, stage: StageName, status: str, break_glass: bool) -> Door:
    """The approver role, or break-glass's: for a rejection in prod (no approver there), when asked, or when the
    caller's own role is one of the stage's break-glass principals and none of its approvers."""
    names, settings = road.names, road.config.stage(stage)
    if status == APPROVED:
        if break_glass:
            raise CliError("--break-glass may only reject (withdraw what a stage serves), never approve")
        if stage == "prod":
            raise CliError("prod has no approver: nothing approved there moves on (reject withdraws a served package)")
        return Door(names.approver_role(stage), f"stages.{stage}.approvers", break_glass=False)
    if stage == "dev":
        if break_glass:
            raise CliError("dev has no break-glass role: it serves nothing; reject as an approver")
        return Door(names.approver_role(stage), "stages.dev.approvers", break_glass=False)
    if not break_glass and stage != "prod":
        caller = _caller_role(road, stage)
        break_glass = (
            caller is not None and _listed(caller, settings.break_glass) and not _listed(caller, settings.approvers)
        )
    if break_glass or stage == "prod":
        return Door(names.break_glass_role(stage), f"stages.{stage}.break_glass", break_glass=True)
    return Door(names.approver_role(stage), f"stages.{stage}.approvers", break_glass=False)


def _caller_role(road: Road, stage: StageName) -> tuple[str, str] | None:
    """(account, role name) of the caller's own session in the stage's account."""
    account = road.config.stage(stage).account
    role = session_role(road.call(stage, "sts", "get_caller_identity")["Arn"], account)
    return (account, role) if role else None


def _listed(caller: tuple[str, str], patterns: list[str]) -> bool:
    """An assumed-role ARN carries the role's name but not its path: compare accounts and names."""
    account, role = caller
    return any(
        pattern.split(":")[4] == account and fnmatch.fnmatchcase(role, pattern.rsplit("/", 1)[-1])
        for pattern in patterns
    )


def _refused(config: RoadwayConfig, stage: StageName, opened: Door, name: str) -> CliError:
    identity = config.identity
    if identity.binding == "session-tag":
        bound = f"the session tag {identity.tag} your identity provider asserts for you (identity.binding: session-tag)"
    else:
        bound = "the source identity your identity provider set at sign-in (identity.binding: source-identity)"
    return CliError(
        f"{stage}: assuming {opened.role} as {name!r} was refused: your sign-in must be one of {opened.listed_in}, "
        f"and {name!r} must equal {bound}"
    )


def decide(
    road: Road,
    arn: str,
    *,
    status: str,
    name: str | None,
    reason: str | None = None,
    break_glass: bool = False,
) -> str:
    """Set ``status`` on the package ``arn`` as the person ``name``, through the stage's door; the one line to print."""
    config = road.config
    stage = road.stage_of_account(arn.split(":")[4])
    person = who(name, config, status)
    opened = door(road, stage, status, break_glass)
    role = road.names.role_arn(config.stage(stage).account, opened.role)
    try:
        session = assumed(
            road.client(stage, "sts"), role, person, config.region, SourceIdentity=person, DurationSeconds=900
        )
    except ClientError as error:
        if error.response["Error"].get("Code") in ("AccessDenied", "AccessDeniedException"):
            raise _refused(config, stage, opened, person) from None
        raise failure(stage, f"assuming {opened.role}", error) from None
    except BotoCoreError as error:
        raise failure(stage, f"assuming {opened.role}", error) from None
    sagemaker = session.client("sagemaker", endpoint_url=road.endpoint_url)
    version = arn.rsplit("/", 1)[-1]
    group = arn.rsplit("/", 2)[-2]
    what = f"{stage} {group} v{version}"
    try:
        package: dict[str, Any] = sagemaker.describe_model_package(ModelPackageName=arn)
        if package.get("ModelApprovalStatus") == status:
            return f"{what} is already {status}; nothing changed"
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=status,
            ApprovalDescription=reason or f"{status} by {person} (roadway {status.lower().removesuffix('d')})",
        )
    except ClientError as error:
        code = error.response["Error"].get("Code", "")
        if code in ("ValidationException", "ResourceNotFound", "ResourceNotFoundException"):
            raise CliError(f"no model package {arn} in {stage}") from None
        raise failure(stage, f"sagemaker as {opened.role}", error) from None
    except BotoCoreError as error:
        raise failure(stage, f"sagemaker as {opened.role}", error) from None
    nxt = config.next_stage(stage)
    if status == APPROVED:
        after = f"{nxt}'s promotion takes it from here (roadway status --project {group})"
    elif opened.break_glass:
        after = f"{stage}'s promotion withdraws it if served and pages the alarm topic"
    else:
        after = "it never moves on"
    return f"{what}: {status} as {person} through {opened.role}; {after}"
