"""The compliance gate: cdk-nag rule packs on every stage, and acknowledgements with their reasons.

The packs are validation plugins on the App, so they reach every Stage and every stack; an
unacknowledged finding makes synth fail. Acknowledgements are made next to the resource they excuse,
through :func:`acknowledge`, which refuses an empty or hand-waving reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct

RULE_PACKS: tuple[str, ...] = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "Roadway")
_MIN_REASON = 20


def rule_packs(app: App) -> list[NagPack]:
    """The packs Roadway answers to; suppressions are written to templates for the auditor's report."""
    from roadway.ml_rules import RoadwayChecks  # Roadway's own ML rules (model isolation, images, approval, KMS)

    props = {"verbose": True, "write_suppressions_to_cloud_formation": True}
    return [
        AwsSolutionsChecks(app, **props),
        NIST80053R5Checks(app, **props),
        HIPAASecurityChecks(app, **props),
        RoadwayChecks(app),
    ]


# The CDK CLI (2.1148) passes this flag as false, which turns findings into a report nobody reads.
FAIL_ON_FINDINGS_FLAG = "@aws-cdk/core:failSynthOnValidationErrors"


def add_compliance_gate(app: App) -> None:
    """Run the packs at every synth and make any unacknowledged finding fail it, whoever runs synth."""
    app.node.set_context(FAIL_ON_FINDINGS_FLAG, True)
    Validations.of(app).add_plugins(*rule_packs(app))


def acknowledge(scope: IConstruct | Validations, findings: Mapping[str, str]) -> None:
    """Acknowledge findings on ``scope``: a mapping of finding id to the reason an auditor reads."""
    validations = scope if isinstance(scope, Validations) else Validations.of(scope)
    for finding, reason in findings.items():
        pack = next((p for p in RULE_PACKS if finding.startswith(f"{p}-")), None)
        if pack is None:
            raise ValueError(f"unknown rule pack in finding id {finding!r}")
        if len(reason.strip()) < _MIN_REASON:
            raise ValueError(f"acknowledgement of {finding} needs a reason an auditor can accept")
        # "<pack>::<finding>" is the id the validation framework matches and reports as suppressed.
        validations.acknowledge(Acknowledgment(id=f"{pack}::{finding}", reason=reason))


def nag_resource(scope: IConstruct, value: str) -> str:
    """How cdk-nag writes a (possibly tokenized) resource in a finding id such as ``IAM5[Resource::...]``.

    Resolving the value in its stack, instead of hard-coding the string, keeps acknowledgements correct
    when a logical ID or an account changes.
    """
    from aws_cdk import Stack

    return render_resolved(Stack.of(scope).resolve(value))


def render_resolved(node: object) -> str:
    """A resolved template value (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, imports) as cdk-nag writes it."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(render_resolved(part) for part in parts)
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::ImportValue":
            return render_resolved(arg)
    raise ValueError(f"cannot render {node!r} as cdk-nag does")
