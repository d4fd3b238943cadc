"""The compliance gate: cdk-nag rule packs on every stage, and acknowledgements with their reasons.

The packs are validation plugins on the App, so they reach every Stage and every stack; an
unacknowledged finding makes synth fail. Acknowledgements are made next to the resource they excuse,
through :func:`acknowledge`, which refuses an empty or hand-waving reason.
"""

from __future__ import annotations

import re
import sys
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct

from stacks.compliance.packs import RULE_PACKS
from stacks.provenance import display_path


class AcknowledgementError(ValueError):
    """An acknowledgement the gate will not take; synth says why in one line, naming the file and line."""


_MIN_REASON = 20


class Reason(str):
    """An acknowledgement's reason that knows the line it is written on: the report's "acknowledged in" and the
    `git log -L` an auditor runs name that line, not the helper that passes the reason on. A helper that adds to a
    reason keeps its line (:meth:`after`)."""

    site: str

    def __new__(cls, text: str, *, site: str | None = None) -> Reason:
        made = super().__new__(cls, text)
        if site is None:
            caller = sys._getframe(1)
            site = f"{display_path(Path(caller.f_code.co_filename))}:{caller.f_lineno}"
        made.site = site
        return made

    def after(self, preface: str) -> Reason:
        """``preface`` and this reason, still written where this one is."""
        return Reason(f"{preface} {self}", site=self.site)


def rule_packs(app: App) -> list[NagPack]:
    """The packs Roadway answers to; suppressions are written to templates for the auditor's report."""
    from stacks.compliance.ml_rules import (
        RoadwayChecks,  # Roadway's own ML rules (model isolation, images, approval, KMS)
    )

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


# Where each acknowledgement was made, per app (the root construct object: every App's node address is the same),
# for the auditor; an app that is gone takes its list with it.
_SOURCES: weakref.WeakKeyDictionary[IConstruct, list[dict[str, Any]]] = weakref.WeakKeyDictionary()


def acknowledge(scope: IConstruct, findings: Mapping[str, Reason]) -> None:
    """Acknowledge findings on ``scope``: a mapping of finding id to the reason an auditor reads.

    A finding id is written as cdk-nag names it (``AwsSolutions-IAM5[Action::s3:List*]``) or as CDK prints it
    in its hint, with the pack in front (``AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]``).
    """
    caller = sys._getframe(1)
    called_at = f"{display_path(Path(caller.f_code.co_filename))}:{caller.f_lineno}"
    for finding, reason in findings.items():
        try:
            full_id = qualified(finding)
            if not isinstance(reason, Reason):
                raise AcknowledgementError(
                    f"the reason for {finding} is a plain string: write it as Reason(...) where its words are, so "
                    "the report names that line"
                )
            if len(reason.strip()) < _MIN_REASON:
                raise AcknowledgementError(f"acknowledgement of {finding} needs a reason an auditor can accept")
        except AcknowledgementError as error:
            raise AcknowledgementError(f"{getattr(reason, 'site', called_at)}: {error}") from None
        # "<pack>::<finding>" is the id the validation framework matches and reports as suppressed.
        Validations.of(scope).acknowledge(Acknowledgment(id=full_id, reason=str(reason)))
        file, line = reason.site.rsplit(":", 1)
        _SOURCES.setdefault(scope.node.root, []).append(
            {"id": full_id, "at": scope.node.path, "file": file, "line": int(line)}
        )


def acknowledge_wildcards(scope: IConstruct, wildcards: Mapping[str, Reason]) -> None:
    """Acknowledge cdk-nag's IAM5 finding of each wildcard resource in ``scope``'s policy, with its reason: the one
    place that spells the finding id, from the resource as the statement names it (tokens, policy variables and
    all, see :func:`nag_resource`), so a renamed resource or logical ID cannot leave a stale acknowledgement."""
    acknowledge(
        scope,
        {f"AwsSolutions-IAM5[Resource::{nag_resource(scope, resource)}]": why for resource, why in wildcards.items()},
    )


def qualified(finding: str) -> str:
    """The id with its pack in front, as the validation framework matches it; refuses an unknown pack."""
    rule = next((finding.removeprefix(f"{p}::") for p in RULE_PACKS if finding.startswith(f"{p}::")), finding)
    pack = next((p for p in RULE_PACKS if rule.startswith(f"{p}-")), None)
    if pack is None or (rule != finding and not finding.startswith(f"{pack}::")):
        expected = ", ".join(RULE_PACKS)
        raise AcknowledgementError(f"unknown rule pack in finding id {finding!r}: expected one of {expected}")
    return f"{pack}::{rule}"


def acknowledgement_sources(app: IConstruct) -> list[dict[str, Any]]:
    """Every acknowledgement made in ``app``'s tree: its id, construct path, source file and line."""
    return list(_SOURCES.get(app.node.root, []))


def nag_resource(scope: IConstruct, value: str) -> str:
    """How cdk-nag writes a (possibly tokenized) resource in a finding id such as ``IAM5[Resource::...]``.

    Resolving the value in its stack, instead of hard-coding the string, keeps acknowledgements correct
    when a logical ID or an account changes.
    """
    from aws_cdk import Stack

    # cdk-nag writes an IAM policy variable (``${aws:PrincipalTag/k}``) the way it writes a token: ``<aws:…>``.
    return re.sub(r"\$\{([^}]+)\}", r"<\1>", render_resolved(Stack.of(scope).resolve(value)))


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
