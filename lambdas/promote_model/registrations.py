"""A package registered in this account: sealed (its artifacts' versions and digests, once), or refused a seal
when another project's pipeline registered it. The next stage reads either record before it takes the package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.contract import LedgerOutcome
from promote_model.errors import PromotionError, error_text
from promote_model.events import Approval
from promote_model.identity import another_projects_pipeline
from promote_model.ledger import Ledger
from promote_model.observe import log
from promote_model.seal import fingerprint, take
from promote_model.settings import Settings


def seal(
    approval: Approval, settings: Settings, session_factory: Callable[[], boto3.session.Session]
) -> dict[str, Any]:
    """Seal a newly registered package of this account: its artifacts' versions and digests, once."""
    session = session_factory()
    ledger = Ledger(session.client("dynamodb"), settings.ledger_table)
    try:
        package = session.client("sagemaker").describe_model_package(ModelPackageName=approval.package_arn)
        foreign = another_projects_pipeline(
            package, settings.account, settings.group, settings.pipeline_roles_by_group(), settings.pipelines_by_group()
        )
        if foreign:
            return refuse_seal(session, ledger, approval, settings, foreign)
        sealed = take(session.client("s3"), package)
    except ClientError as error:
        raise PromotionError("seal", f"{approval.package_arn}: {error_text(error)}") from None
    except ValueError as error:  # an artifact URI that is not S3
        raise PromotionError("seal", f"{approval.package_arn}: {error}") from None
    record = {uri: s.as_record() for uri, s in sealed.items()}
    first = _record(ledger, approval, settings, LedgerOutcome.SEALED, seal=record, fingerprint=fingerprint(package))
    return {
        "status": "sealed" if first else "already-sealed",
        "source_arn": approval.package_arn,
        "artifacts": len(record),
    }


def refuse_seal(
    session: boto3.session.Session, ledger: Ledger, approval: Approval, settings: Settings, reason: str
) -> dict[str, Any]:
    """Record that ``approval``'s package is never sealed, and why (the next stage refuses it with this reason);
    tell the people who watch this stage (once, unless a retry comes between telling and recording)."""
    if ledger.recorded(approval.package_arn, LedgerOutcome.SEAL_REFUSED):
        first = False
    else:
        # Told before it is recorded: a failed publish is retried with the event, never lost behind the record.
        subject = f"Roadway: {settings.group} v{approval.version} not sealed in {settings.stage}"
        message = f"{approval.package_arn} will not be promoted: {reason}."
        session.client("sns").publish(TopicArn=settings.alarm_topic_arn, Subject=subject[:100], Message=message)
        first = _record(ledger, approval, settings, LedgerOutcome.SEAL_REFUSED, reason=reason)
    log(LedgerOutcome.SEAL_REFUSED, source=approval.package_arn, reason=reason)
    return {
        "status": LedgerOutcome.SEAL_REFUSED if first else f"already-{LedgerOutcome.SEAL_REFUSED}",
        "source_arn": approval.package_arn,
        "reason": reason,
    }


def _record(ledger: Ledger, approval: Approval, settings: Settings, outcome: str, **fields: Any) -> bool:
    """A registration's record, in this stage's ledger; False when it was already there (nothing written)."""
    return ledger.record(
        approval.package_arn, outcome, source_stage=settings.stage, source_version=str(approval.version), **fields
    )
