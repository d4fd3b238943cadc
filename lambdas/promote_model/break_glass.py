"""Break-glass: withdraw the package a stage serves when no approver is available, by name, recorded and paged.

The emergency path is the registry itself. The stage's break-glass role (``<project>-<stage>-break-glass``) may
only set a package of the stage's group to ``Rejected``, and only people named in config may assume it, with
their name as source identity. The rejection's event reaches this account's promotion function, which:

- reads from the registry who rejected it (``LastModifiedBy``): a rejection not made through the break-glass
  role is a decision, not an emergency, and changes nothing here;
- if the package is the one the serving stack serves, rolls the stack back to the package promoted before it
  that is not rejected (the ledger's ``promoted`` records, newest first), or to no endpoint when there is none;
- writes one ``break-glass`` ledger record (who, what was served before and after) and a message on the alarm
  topic, whether or not the package was served: every use is seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.aws import parameters_of
from promote_model.contract import LedgerOutcome, Parameter
from promote_model.errors import PromotionError, error_text
from promote_model.events import REJECTED, Approval
from promote_model.identity import through_role
from promote_model.ledger import Ledger
from promote_model.observe import log
from promote_model.serving import serve
from promote_model.settings import Settings


def _version(arn: str) -> str:
    return f"v{arn.rsplit('/', 1)[-1]}" if arn else "nothing"


def withdraw(
    approval: Approval, settings: Settings, session_factory: Callable[[], boto3.session.Session]
) -> dict[str, Any]:
    own = session_factory()
    sm = own.client("sagemaker")
    try:
        package = sm.describe_model_package(ModelPackageName=approval.package_arn)
        (stack,) = own.client("cloudformation").describe_stacks(StackName=settings.serving_stack)["Stacks"]
    except ClientError as error:
        raise PromotionError("break-glass", error_text(error)) from None
    if package.get("ModelApprovalStatus") != REJECTED:
        reason = f"{approval.package_arn} is {package.get('ModelApprovalStatus')}, not Rejected"
        log("ignored", reason=reason)
        return {"status": "ignored", "reason": reason}
    person = through_role(package.get("LastModifiedBy"), settings.account, settings.break_glass_role_name)
    if person is None:
        reason = f"rejected outside {settings.break_glass_role_name}: a decision, not a withdrawal"
        log("ignored", reason=reason, source=approval.package_arn)
        return {"status": "ignored", "reason": reason}

    ledger = Ledger(own.client("dynamodb"), settings.ledger_table)
    served = parameters_of(stack).get(Parameter.MODEL_PACKAGE, "")
    serving_it = served == approval.package_arn
    after = _fallback(sm, ledger, settings, approval.package_arn) if serving_it else served
    what = (
        f"{settings.serving_stack} served {_version(served)}; now serves {_version(after)}"
        if serving_it
        else f"{_version(approval.package_arn)} was not served ({settings.serving_stack} serves {_version(served)})"
    )
    withdrawn = f"{settings.group} {_version(approval.package_arn)}"
    reason = f"{person} withdrew {withdrawn} through {settings.break_glass_role_name}: {what}"
    first = ledger.record(
        approval.package_arn,
        LedgerOutcome.BREAK_GLASS,
        source_stage=settings.stage,
        target_stage=settings.stage,
        target_stack=settings.serving_stack,
        by=person,
        served_before=served,
        served_arn=after,
        served_version=_version(after),
        reason=reason,
    )
    # Recorded before the rollout, so a retry after a failed one finishes it and still knows what was served;
    # paged when first recorded or when this attempt changed what is served.
    changed = serve(own, settings, stack, after, _baselines(sm, after)) if serving_it else False
    if first or changed:
        try:
            own.client("sns").publish(
                TopicArn=settings.alarm_topic_arn,
                Subject=f"Roadway: BREAK-GLASS in {settings.stage}: {_version(approval.package_arn)} withdrawn"[:100],
                Message=reason,
            )
        except ClientError as error:
            raise PromotionError("notify", error_text(error)) from None
    log(
        LedgerOutcome.BREAK_GLASS,
        by=person,
        source=approval.package_arn,
        served_before=served,
        served_after=after,
        first=first,
    )
    status = "withdrawn" if first or changed else "already-withdrawn"
    return {"status": status, "by": person, "served": after, "reason": reason}


def _fallback(sm: Any, ledger: Ledger, settings: Settings, withdrawn: str) -> str:
    """The newest package promoted into this stage, other than ``withdrawn``, not rejected since; "" if none."""
    promoted = [e["target_arn"] for e in reversed(ledger.promotions_into(settings.serving_stack))]
    for arn in dict.fromkeys(promoted):  # newest first, each once
        if arn == withdrawn:
            continue
        try:
            status = sm.describe_model_package(ModelPackageName=arn).get("ModelApprovalStatus")
        except ClientError:
            continue  # gone from the registry: not something to serve
        # Test's packages arrive pending and are approved on; prod's arrive Approved. A rejected one never serves.
        if status != REJECTED:
            return str(arn)
    return ""


def _baselines(sm: Any, package_arn: str) -> dict[str, Any] | None:
    """The drift baselines of the package serving falls back to (none when it falls back to no package)."""
    if not package_arn:
        return None
    try:
        return sm.describe_model_package(ModelPackageName=package_arn).get("DriftCheckBaselines")
    except ClientError as error:
        raise PromotionError("break-glass", f"{package_arn}: {error_text(error)}") from None
