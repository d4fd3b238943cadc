"""The compliance gate: all packs, every stage, no open finding, and every acknowledgement justified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from devtools.synth import Synth
from stacks.app import cli_context
from stacks.compliance.gate import (
    RULE_PACKS,
    AcknowledgementError,
    Reason,
    acknowledge,
    add_compliance_gate,
    nag_resource,
)
from tests.stacks.compliance.helpers import acknowledgements


def test_every_pack_ran_and_passed(synth: Synth) -> None:
    assert synth.report is not None
    reports = {p["pluginName"]: p for p in synth.report["pluginReports"]}
    for pack in RULE_PACKS:
        assert reports[pack]["conclusion"] == "success"
        assert reports[pack]["violations"] == []


def test_packs_reach_every_stage(synth: Synth) -> None:
    assert synth.report is not None
    paths = {
        construct["constructPath"].split("/")[0]
        for plugin in synth.report["pluginReports"]
        if plugin["pluginName"] in RULE_PACKS
        for finding in plugin["suppressedViolations"]
        for construct in finding["violatingConstructs"]
    }
    assert paths == {"Dev", "Test", "Prod"}




def test_every_acknowledgement_excuses_a_real_finding_and_is_reported(synth: Synth) -> None:
    """A stale acknowledgement is an exception nobody needs; the auditor should not have to read it."""
    assert synth.report is not None
    reported = {
        (finding["acknowledgedId"], finding["acknowledgedAt"], finding["reason"])
        for plugin in synth.report["pluginReports"]
        if plugin["pluginName"] in RULE_PACKS
        for finding in plugin["suppressedViolations"]
    }
    made = acknowledgements(synth.outdir)
    assert made, "the app makes acknowledgements; finding none means this test reads the wrong place"
    assert made - reported == set(), "acknowledgements that match no finding"
    assert reported - made == set()
    assert all(len(reason) >= 20 for _, _, reason in made)


def test_an_unacknowledged_finding_fails_synth_even_when_the_cli_says_not_to(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context=cli_context())  # the CLI's flag is false here
    add_compliance_gate(app)
    stack = Stack(app, "Careless")
    s3.Bucket(stack, "PlainBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_acknowledge_takes_the_id_cdk_prints_in_its_hint(tmp_path: Path) -> None:
    """CDK's hint names a finding with its pack in front; pasting it acknowledges the same finding."""
    app = App(outdir=str(tmp_path), context=cli_context())
    add_compliance_gate(app)
    stack = Stack(app, "Logged")
    bucket = s3.Bucket(stack, "Bucket", enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED)
    reason = Reason("This test bucket stands for one whose access logs go elsewhere.")
    acknowledge(bucket, {"AwsSolutions::AwsSolutions-S1": reason})
    with pytest.raises(RuntimeError, match="ValidationFailed"):  # the other packs still find things
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    suppressed = {
        (f.get("acknowledgedId"), f.get("reason"))
        for plugin in report["pluginReports"]
        for f in plugin.get("suppressedViolations", [])
    }
    opened = {f["ruleName"] for plugin in report["pluginReports"] for f in plugin.get("violations", [])}
    assert ("AwsSolutions::AwsSolutions-S1", reason) in suppressed
    assert "AwsSolutions-S1" not in opened


def test_acknowledge_refuses_weak_reasons_and_unknown_packs() -> None:
    stack = Stack(App(), "S")
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge(stack, {"AwsSolutions-S1": Reason("ok")})
    weak = Reason("ok")
    where = rf"^tests/stacks/compliance/test_gate\.py:{weak.site.rsplit(':', 1)[1]}: acknowledgement of AwsS"
    with pytest.raises(AcknowledgementError, match=where):
        acknowledge(stack, {"AwsSolutions-S1": weak})  # synth prints this one line, naming the reason's line
    long_enough = Reason("a perfectly long reason for it")
    with pytest.raises(ValueError, match="unknown rule pack"):
        acknowledge(stack, {"Custom-X1": long_enough})
    with pytest.raises(ValueError, match="unknown rule pack"):
        acknowledge(stack, {"NIST.800.53.R5::AwsSolutions-S1": long_enough})


def test_a_reason_is_written_as_one_that_knows_its_line_and_a_helper_keeps_it() -> None:
    """The report's "acknowledged in" is the line of the reason's words: a helper that passes a reason on (or adds
    a preface to it) would otherwise be what 148 findings cite, and `git log -L` would show its history."""
    stack = Stack(App(), "S")
    with pytest.raises(AcknowledgementError, match=r"is a plain string: write it as Reason\(\.\.\.\)"):
        acknowledge(stack, {"AwsSolutions-S1": "a perfectly long reason, but a plain string"})
    written = Reason("the words of this reason are on this line")
    kept = written.after("A helper's preface.")
    assert (kept, kept.site) == (f"A helper's preface. {written}", written.site)
    assert written.site.startswith("tests/stacks/compliance/test_gate.py:")


def test_nag_resource_renders_tokens_as_cdk_nag_does() -> None:
    stack = Stack(App(), "S")
    bucket = s3.Bucket(stack, "B")
    logical_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    assert nag_resource(stack, bucket.arn_for_objects("*")) == f"<{logical_id}.Arn>/*"
    assert nag_resource(stack, stack.format_arn(service="s3", resource="x")).startswith("arn:<AWS::Partition>:s3:")


def test_the_report_says_when_an_account_must_already_have_model_monitor(
    synth: Synth, model_monitor_synth: Synth
) -> None:
    def model_monitor_notes(made: Synth) -> list[str]:
        assert made.report is not None
        return [
            finding["reason"]
            for plugin in made.report["pluginReports"]
            for finding in plugin["suppressedViolations"]
            if finding["acknowledgedId"] == "Roadway::Roadway-SM5"
        ]

    assert model_monitor_notes(synth) == []  # engine roadway: nothing to say
    (note,) = model_monitor_notes(model_monitor_synth)
    assert "must already have SageMaker Model Monitor" in note
    # ...and it is the acknowledged-then-reported kind of finding, so it also passes the gate.
    assert model_monitor_synth.report is not None
    assert all(p["violations"] == [] for p in model_monitor_synth.report["pluginReports"])
