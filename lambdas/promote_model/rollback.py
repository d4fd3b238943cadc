"""Rollback recorder: this account's serving stack rolled back, so a promotion did not take.

The stack's UPDATE_ROLLBACK_COMPLETE event (CloudFormation Stack Status Change) reaches this account's own bus.
This handler reads what the endpoint still serves, records "rolled-back" in this account's ledger against the
promotion that did not take, and tells this account's alarm topic. Nothing leaves the account.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from promote_model.aws import parameters_of
from promote_model.contract import Event, LedgerOutcome, Metric, Parameter
from promote_model.errors import PromotionError, error_text
from promote_model.ledger import Ledger
from promote_model.observe import about, count, log, taking
from promote_model.sessions import own_session
from promote_model.settings import Settings, of_this_function


def _stack_event(event: Any, settings: Settings) -> tuple[dict[str, str], Settings] | None:
    """The rollback this event reports and the settings of the project whose serving stack rolled back, or None
    (with a log line) when it is not one of ours."""
    if (
        not isinstance(event, dict)
        or event.get("source") != Event.CLOUDFORMATION
        or event.get("detail-type") != Event.STACK_STATUS_CHANGE
    ):
        log("ignored", reason="not a CloudFormation stack status change")
        return None
    detail = event.get("detail") or {}
    stack_id = str(detail.get("stack-id", ""))
    status = (detail.get("status-details") or {}).get("status")
    parts = stack_id.split(":")
    name = parts[5].split("/")[1] if len(parts) >= 6 and parts[5].count("/") >= 2 else ""
    project = settings.for_stack(name) if len(parts) >= 6 and parts[4] == settings.account else None
    if project is None:
        log("ignored", reason=f"stack {stack_id!r} is no project's serving stack in {settings.account}")
        return None
    if status != Event.ROLLED_BACK:
        log("ignored", reason=f"status {status!r} is not {Event.ROLLED_BACK}")
        return None
    return {"stack_id": stack_id, "why": str((detail.get("status-details") or {}).get("status-reason") or "")}, project


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    with taking(event):
        return _record(event)


def _record(event: Any) -> dict[str, Any]:
    settings = of_this_function()
    about(stage=settings.stage)
    if settings.source is None or not any(settings.projects.values()):
        raise PromotionError("configuration", f"{settings.stage} has no serving stack whose rollbacks to record")
    found = _stack_event(event, settings)
    if found is None:
        return {"status": "ignored"}
    rollback, settings = found
    about(group=settings.group)
    assert settings.source is not None  # checked above; for_stack keeps it
    own = own_session()
    try:
        (stack,) = own.client("cloudformation").describe_stacks(StackName=settings.serving_stack)["Stacks"]
    except ClientError as error:
        raise PromotionError("read-target-stack", error_text(error)) from None
    served = parameters_of(stack).get(Parameter.MODEL_PACKAGE, "")
    served_version = served.rsplit("/", 1)[-1] if served else "none"
    ledger = Ledger(own.client("dynamodb"), settings.ledger_table)
    attempted = ledger.promotions_into(settings.serving_stack)
    failed = next((e for e in reversed(attempted) if e.get("target_arn") != served), None)
    source_arn = failed["source_arn"] if failed else f"stack:{rollback['stack_id']}"
    reason = (
        f"{settings.serving_stack} rolled back"
        + (f" from v{failed.get('target_version')}" if failed else "")
        + f"; still serving v{served_version}"
        + (f" ({rollback['why']})" if rollback["why"] else "")
    )
    ledger.record(
        source_arn,
        LedgerOutcome.ROLLED_BACK,
        source_stage=settings.source.stage,
        target_stage=settings.stage,
        source_version=failed.get("source_version", "") if failed else "",
        target_stack=settings.serving_stack,
        target_arn=failed.get("target_arn", "") if failed else "",
        target_version=failed.get("target_version", "") if failed else "",
        served_arn=served,
        served_version=served_version,
        reason=reason,
    )
    own.client("sns").publish(
        TopicArn=settings.alarm_topic_arn,
        Subject=f"Roadway: {settings.group} in {settings.stage} rolled back, still serving v{served_version}"[:100],
        Message=reason,
    )
    log("rolled-back", stack=settings.serving_stack, served=served, reason=reason)
    count(Metric.ROLLED_BACK)
    return {"status": "rolled-back", "served": served, "reason": reason}
