"""What an approval event must say for Roadway to act on it."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from promote_model.contract import Event

_PACKAGE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package/([^/]+)/(\d+)$")


APPROVED, PENDING, REJECTED = "Approved", "PendingManualApproval", "Rejected"
ACTED_ON = (APPROVED, PENDING, REJECTED)


class Ignored(Exception):
    """An event that is not Roadway's to act on; logged with its reason, nothing changes."""


class Malformed(Exception):
    """An event that claims to be an approval but cannot be read; it goes to the dead-letter queue."""


def package_group(arn: str) -> str | None:
    """The (lower-case) group of a versioned model package ARN; None for anything else."""
    match = _PACKAGE_ARN.match(arn)
    return match.group(3) if match else None


@dataclass(frozen=True)
class Approval:
    """What the event claims. Who approved is read from the registry, never from here (see identity.py)."""

    package_arn: str
    group: str
    version: int
    region: str
    account: str
    status: str = "Approved"  # PendingManualApproval: sealed (seal.py); Rejected: withdrawn (break_glass.py)


def parse_approval(event: Any, groups: Collection[str]) -> Approval:
    """The approval in ``event`` of one of ``groups`` (the projects this function serves); :class:`Ignored` or
    :class:`Malformed` with a one-line reason otherwise."""
    if not isinstance(event, dict):
        raise Malformed(f"event is {type(event).__name__}, expected an EventBridge event object")
    if event.get("source") != Event.SAGEMAKER or event.get("detail-type") != Event.PACKAGE_STATE_CHANGE:
        raise Ignored(f"not a model package state change (source={event.get('source')!r})")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise Malformed("event has no detail object")
    for required in ("ModelPackageGroupName", "ModelApprovalStatus", "ModelPackageArn"):
        if not isinstance(detail.get(required), str) or not detail[required]:
            raise Malformed(f"detail.{required} is {detail.get(required)!r}, expected a non-empty string")
    group = detail["ModelPackageGroupName"]
    if group not in groups:
        raise Ignored(f"package of group {group!r}, which is no project of this road ({', '.join(sorted(groups))})")
    status = detail["ModelApprovalStatus"]
    if status not in ACTED_ON:
        raise Ignored(
            f"status is {status!r}; only Approved packages are promoted (pending ones sealed, rejected ones withdrawn)"
        )
    arn = detail["ModelPackageArn"]
    match = _PACKAGE_ARN.match(arn)
    if match is None:
        raise Malformed(f"detail.ModelPackageArn is {arn!r}, expected a versioned model package ARN")
    region, account, arn_group, version = match.groups()
    if arn_group.lower() != group.lower():
        raise Malformed(f"detail.ModelPackageArn {arn} is not in group {group}")
    if event.get("account") != account:
        raise Malformed(f"event account {event.get('account')!r} is not the package's account {account}")
    return Approval(arn, group, int(version), region, account, status)
