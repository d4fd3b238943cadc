"""Rollback recorder: the next account's serving stack rolled back, so a promotion did not take.

The serving account forwards its stack's UPDATE_ROLLBACK_COMPLETE event (CloudFormation Stack Status Change)
to this account's event bus. This handler reads what the endpoint still serves (through the same target role
promotion uses), records "rolled-back" against the promotion that did not take, and tells the alarm topic.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.ledger import Ledger
from promote_model.promotion import PACKAGE_PARAMETER, PromotionError, Settings, _error, assume, log

EVENT_SOURCE = "aws.cloudformation"
DETAIL_TYPE = "CloudFormation Stack Status Change"
ROLLED_BACK = "UPDATE_ROLLBACK_COMPLETE"


def _stack_event(event: Any, settings: Settings) -> dict[str, str] | None:
    """The rollback this event reports, or None (with a log line) when it is not one of ours."""
    if not isinstance(event, dict) or event.get("source") != EVENT_SOURCE or event.get("detail-type") != DETAIL_TYPE:
        log("ignored", reason="not a CloudFormation stack status change")
        return None
    detail = event.get("detail") or {}
    stack_id = str(detail.get("stack-id", ""))
    status = (detail.get("status-details") or {}).get("status")
    parts = stack_id.split(":")
    if (
        len(parts) < 6
        or parts[4] != settings.target_account
        or not parts[5].startswith(f"stack/{settings.target_stack}/")
    ):
        log("ignored", reason=f"stack {stack_id!r} is not {settings.target_stack} in {settings.target_account}")
        return None
    if status != ROLLED_BACK:
        log("ignored", reason=f"status {status!r} is not {ROLLED_BACK}")
        return None
    return {"stack_id": stack_id, "why": str((detail.get("status-details") or {}).get("status-reason") or "")}


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    rollback = _stack_event(event, settings)
    if rollback is None:
        return {"status": "ignored"}
    source = boto3.session.Session()
    target = assume(source, settings.target_role_arn, f"roadway-{settings.source_stage}-rollback")
    try:
        (stack,) = target.client("cloudformation").describe_stacks(StackName=settings.target_stack)["Stacks"]
    except ClientError as error:
        raise PromotionError("read-target-stack", _error(error)) from None
    served = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}.get(
        PACKAGE_PARAMETER, ""
    )
    served_version = served.rsplit("/", 1)[-1] if served else "none"
    ledger = Ledger(source.client("dynamodb"), settings.ledger_table)
    attempted = [
        e for e in ledger.entries() if e.get("outcome") == "promoted" and e.get("target_stack") == settings.target_stack
    ]
    failed = next((e for e in reversed(attempted) if e.get("target_arn") != served), None)
    source_arn = failed["source_arn"] if failed else f"stack:{rollback['stack_id']}"
    reason = (
        f"{settings.target_stack} rolled back"
        + (f" from v{failed.get('target_version')}" if failed else "")
        + f"; still serving v{served_version}"
        + (f" ({rollback['why']})" if rollback["why"] else "")
    )
    ledger.record(
        source_arn,
        "rolled-back",
        source_stage=settings.source_stage,
        target_stage=settings.target_stage,
        source_version=failed.get("source_version", "") if failed else "",
        target_stack=settings.target_stack,
        target_arn=failed.get("target_arn", "") if failed else "",
        target_version=failed.get("target_version", "") if failed else "",
        served_arn=served,
        served_version=served_version,
        reason=reason,
    )
    source.client("sns").publish(
        TopicArn=settings.alarm_topic_arn,
        Subject=f"Roadway: {settings.target_stage} rolled back, still serving v{served_version}"[:100],
        Message=reason,
    )
    log("rolled-back", stack=settings.target_stack, served=served, reason=reason)
    return {"status": "rolled-back", "served": served, "reason": reason}
