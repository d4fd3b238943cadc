"""Lambda entry point of a stage's promotion function.

- A registration in this account (``PendingManualApproval``) is sealed: its artifacts' versions and digests go
  into this account's ledger (seal.py), where the next stage reads them.
- An approval in the previous account, announced to this account's bus, is pulled in: read through the previous
  account's reader role, checked, copied, registered and rolled out here (promotion.py).
- A rejection in this account through its break-glass role withdraws the package from serving (break_glass.py).

The events arrive through the stage's FIFO work queue, one message group per model package group, so a project's
events are taken one at a time and in order, and projects in parallel. One function serves every project of the
stage: the event's group selects the project's serving stack, reader role and deployer role. Events that are not
Roadway's (a group that is no project, not approved, another account) are logged and ignored. Everything else
that goes wrong raises: the message returns to the queue, is tried again, and after the last try moves to the work
dead-letter queue, which pages.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from promote_model.break_glass import withdraw
from promote_model.contract import LedgerOutcome, Metric
from promote_model.errors import PromotionError
from promote_model.events import PENDING, REJECTED, Approval, Ignored, Malformed, parse_approval
from promote_model.observe import about, count, log, taking
from promote_model.promotion import promote
from promote_model.registrations import seal
from promote_model.sessions import own_session
from promote_model.settings import Settings, of_this_function


def route(approval: Approval, settings: Settings) -> str:
    """What to do with the event: "seal", "pull" or "withdraw"; :class:`Ignored` when its account has no business
    with this function.

    The rules deliver only these kinds; checking again here means a widened rule or a forged delivery
    changes nothing: only this account's registrations are sealed, only the previous account's approvals pulled.
    """
    if approval.status == PENDING:
        if approval.account != settings.account:
            raise Ignored(f"registration in account {approval.account}; this function seals {settings.account}'s")
        return "seal"
    if approval.status == REJECTED:
        if approval.account != settings.account or not settings.serving_stack:
            raise Ignored(f"rejection in account {approval.account}; {settings.stage} withdraws only what it serves")
        return "withdraw"
    source = settings.source
    if source is None:
        raise Ignored(f"approval in {approval.account}; {settings.stage} receives from no stage")
    if approval.account != source.account:
        raise Ignored(f"approval in account {approval.account}; {settings.stage} receives from {source.account}")
    return "pull"


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda's entry point: the promoter's FIFO queue delivers one EventBridge event per SQS record (batch size 1;
    a record that raises goes back to the queue and is tried again, then to the work dead letters)."""
    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
        outcomes = [take(_body(record)) for record in records]
        return outcomes[-1]
    return take(event)


def _body(record: dict[str, Any]) -> Any:
    try:
        return json.loads(record.get("body") or "")
    except json.JSONDecodeError:
        log("failed", step="read-event", reason="an SQS record whose body is not JSON")
        raise PromotionError("read-event", "an SQS record whose body is not JSON") from None


def take(event: Any) -> dict[str, Any]:
    """One EventBridge event: seal, pull or withdraw, or ignore it with the reason."""
    with taking(event):
        return _take(event)


def _take(event: Any) -> dict[str, Any]:
    settings = of_this_function()
    about(stage=settings.stage)
    try:
        approval = parse_approval(event, settings.projects)
        settings = settings.for_group(approval.group)  # the event's project: its stack, reader and deployer
        about(group=approval.group)
        action = route(approval, settings)
    except Ignored as reason:
        log("ignored", reason=str(reason))
        return {"status": "ignored", "reason": str(reason)}
    except Malformed as reason:
        log("failed", step="read-event", reason=str(reason))
        raise PromotionError("read-event", str(reason)) from None
    if action == "withdraw":
        log("withdrawing", source=approval.package_arn)
        return withdraw(approval, settings, own_session)
    if action == "seal":
        log("sealing", source=approval.package_arn)
        sealed = seal(approval, settings, own_session)
        log(sealed["status"], **sealed)
        return sealed
    log("promoting", source=approval.package_arn, target_stage=settings.stage)
    outcome = promote(approval, settings, own_session)
    log(outcome.status, **asdict(outcome))
    if outcome.status in OUTCOME_METRICS:
        count(OUTCOME_METRICS[outcome.status])
    return asdict(outcome)


# A promotion's outcomes that count (a retry that finds its work done, "already-promoted", counts nothing again).
OUTCOME_METRICS = {LedgerOutcome.PROMOTED: Metric.PROMOTED, LedgerOutcome.REFUSED: Metric.REFUSED}
