"""The auditor's report shows every acknowledgement with its reason, and counts that match CDK's report."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser

from roadway.compliance import RULE_PACKS
from roadway.compliance_report import write_report
from tests.conftest import Synth
from tests.stacks.test_compliance import acknowledgements


def test_report_lists_every_acknowledgement_with_its_reason(synth: Synth) -> None:
    target = write_report(synth.outdir)
    report = json.loads((target / "report.json").read_text())
    shown = {
        (f["rule"], f["acknowledged_at"], f["reason"]) for f in report["findings"] if f["status"] == "acknowledged"
    }
    made = {(rule.split("::", 1)[1], path, reason) for rule, path, reason in acknowledgements(synth.outdir)}
    assert made and made <= shown, f"missing from the report: {sorted(made - shown)[:3]}"


def test_counts_match_the_validation_report(synth: Synth) -> None:
    assert synth.report is not None
    target = write_report(synth.outdir)
    report = json.loads((target / "report.json").read_text())
    for plugin in synth.report["pluginReports"]:
        if plugin["pluginName"] not in RULE_PACKS:
            continue
        for status, key in (("open", "violations"), ("acknowledged", "suppressedViolations")):
            expected = sum(len(v["violatingConstructs"]) for v in plugin[key])
            counted = sum(report["totals"][stage][plugin["pluginName"]][status] for stage in report["totals"])
            assert counted == expected, (plugin["pluginName"], status)
    assert list(report["totals"]) == ["Dev", "Test", "Prod"], "stages in the road's order"
    order = [f["stage"] for f in report["findings"]]
    assert order == sorted(order, key=["Dev", "Test", "Prod"].index)
    rows = list(csv.DictReader((target / "report.csv").open()))
    assert len(rows) == len(report["findings"])


def test_html_is_self_contained_and_complete(synth: Synth) -> None:
    target = write_report(synth.outdir)
    page = (target / "index.html").read_text()

    class Collect(HTMLParser):
        external: list[str] = []
        rows = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = dict(attrs)
            if tag in ("script", "link", "img") or (names.get("src") or "").startswith("http"):
                self.external.append(tag)
            if tag == "tr":
                self.rows += 1

    parser = Collect()
    parser.feed(page)
    report = json.loads((target / "report.json").read_text())
    assert parser.external == []
    assert parser.rows == 1 + len(report["totals"]) + 1 + len(report["findings"])
    assert "PASS: no open finding" in page
    markdown = (target / "report.md").read_text()
    assert "Open findings: **0**" in markdown


def test_a_failed_gate_still_gets_a_report_that_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from roadway.compliance import add_compliance_gate
    from tests.conftest import cdk_json_context

    app = App(outdir=str(tmp_path), context=cdk_json_context())
    add_compliance_gate(app)
    s3.Bucket(Stack(app, "Careless"), "PlainBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    target = write_report(tmp_path)
    report = json.loads((target / "report.json").read_text())
    open_rules = {f["rule"] for f in report["findings"] if f["status"] == "open"}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= open_rules
    assert "FAIL:" in (target / "index.html").read_text()
