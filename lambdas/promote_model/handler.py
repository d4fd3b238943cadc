"""Lambda entry point: an approval event in, a promoted package in the next account out; a registration event
(``PendingManualApproval``) in, the package's seal in the ledger out.

Events that are not Roadway's (another group, not approved) are logged and ignored. Everything else that goes
wrong raises, so Lambda retries and then puts the event in the dead-letter queue with the error message.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import boto3

from promote_model.events import PENDING, Ignored, Malformed, parse_approval
from promote_model.promotion import PromotionError, Settings, log, promote, seal

logging.getLogger("roadway").setLevel(logging.INFO)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    settings = Settings.from_env()
    try:
        approval = parse_approval(event, settings.group)
    except Ignored as reason:
        log("ignored", reason=str(reason))
        return {"status": "ignored", "reason": str(reason)}
    except Malformed as reason:
        log("failed", step="read-event", reason=str(reason))
        raise PromotionError("read-event", str(reason)) from None
    if approval.status == PENDING:
        log("sealing", source=approval.package_arn)
        sealed = seal(approval, settings, boto3.session.Session)
        log(sealed["status"], **sealed)
        return sealed
    log("promoting", source=approval.package_arn, target_stage=settings.target_stage)
    outcome = promote(approval, settings, boto3.session.Session)
    log(outcome.status, **asdict(outcome))
    return asdict(outcome)
