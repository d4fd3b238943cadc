"""The auditor's report: every finding with its reason and source line, its provenance, its controls, and a page
that a real browser renders and filters."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devtools.synth import ROOT, Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.compliance.report import CFN_VALIDATE, COVERAGE_NOTE, PACKS, cited_controls, summary_of, write_report
from tests.browser import browser, console_errors  # noqa: F401 - the session fixture
from tests.stacks.compliance.helpers import acknowledgements

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver


@pytest.fixture(scope="module")
def report(synth: Synth) -> dict:  # type: ignore[type-arg]
    """The report `make synth` writes (tests/conftest.py writes it with each synth the packs ran on, once: the
    workers share an assembly, and a second writer would rewrite files the other is reading)."""
    return json.loads((synth.outdir / "compliance" / "report.json").read_text())


def test_report_lists_every_acknowledgement_with_its_reason_and_source_line(synth: Synth, report: dict) -> None:  # type: ignore[type-arg]
    shown = {
        (f["rule"], f["acknowledged_on"], f["reason"]) for f in report["findings"] if f["status"] == "acknowledged"
    }
    made = {(rule.split("::", 1)[1], path, reason) for rule, path, reason in acknowledgements(synth.outdir)}
    assert made and made <= shown, f"missing from the report: {sorted(made - shown)[:3]}"
    assert not any("does not have a cdk-nag rule suppression" in f["summary"] for f in report["findings"])


def test_counts_match_the_validation_report_and_cfn_lint_is_included(synth: Synth, report: dict) -> None:  # type: ignore[type-arg]
    assert synth.report is not None
    for plugin in synth.report["pluginReports"]:
        assert plugin["pluginName"] in PACKS, f"{plugin['pluginName']} would be dropped from the report"
        for status, key in (("open", "violations"), ("acknowledged", "suppressedViolations")):
            expected = sum(len(v["violatingConstructs"]) for v in plugin.get(key, []))
            counted = sum(report["totals"][stage][plugin["pluginName"]][status] for stage in report["totals"])
            assert counted == expected, (plugin["pluginName"], status)
    assert {f["rule"] for f in report["findings"] if f["pack"] == CFN_VALIDATE} == {"W3010"}
    assert list(report["totals"]) == ["Dev", "Test", "Prod"], "stages in the road's order"
    order = [f["stage"] for f in report["findings"]]
    assert order == sorted(order, key=["Dev", "Test", "Prod"].index)
    rows = list(csv.DictReader((Path(synth.outdir) / "compliance" / "report.csv").open()))
    assert len(rows) == len(report["findings"])
    assert len({f["anchor"] for f in report["findings"]}) == len(report["findings"]), "each finding has its link"


def test_provenance_names_the_commit_config_and_tool_versions(report: dict) -> None:  # type: ignore[type-arg]
    provenance = report["provenance"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert provenance["source"]["commit"] == head
    assert isinstance(provenance["source"]["dirty"], bool)
    assert provenance["config"]["path"] == "config/roadway.yaml"
    import hashlib

    assert provenance["config"]["sha256"] == hashlib.sha256((ROOT / "config/roadway.yaml").read_bytes()).hexdigest()
    versions = provenance["versions"]
    assert versions["aws-cdk-lib"] == "2.275.0" and versions["cdk-nag"] == "3.0.2"
    package = json.loads((ROOT / "package.json").read_text())
    assert versions["aws-cdk (CLI)"] == package["devDependencies"]["aws-cdk"]
    assert provenance["generated_at"].endswith("Z") and "T" in provenance["generated_at"]


def test_findings_are_read_by_the_controls_their_rules_cite(report: dict) -> None:  # type: ignore[type-arg]
    nist, hipaa = report["by_control"]["NIST.800.53.R5"], report["by_control"]["HIPAA.Security"]
    assert "SC-28(1)" in nist and "164.312(b)" in hipaa
    for pack, controls in report["by_control"].items():
        for control, rules in controls.items():
            for rule in rules:
                cited = {tuple(f["controls"]) for f in report["findings"] if f["rule"] == rule and f["pack"] == pack}
                assert all(control in c for c in cited), f"{rule} does not cite {control}"
    assert report["coverage"] == COVERAGE_NOTE and "cannot list the rules that passed" in COVERAGE_NOTE


def test_control_ids_are_parsed_as_cdk_nag_writes_them() -> None:
    text = (
        "The S3 Bucket does not have replication enabled - (Control IDs: AU-9(2), CM-6a,\xa0CP-10(2), "
        "164.308(a)(7)(ii)(A)). Amazon S3 Cross-Region Replication supports capacity."
    )
    assert cited_controls(text) == ("AU-9(2)", "CM-6a", "CP-10(2)", "164.308(a)(7)(ii)(A)")
    assert summary_of(text) == "The S3 Bucket does not have replication enabled."
    single = "The Lambda function has no limit - (Control ID: 164.312(b)). More."
    assert cited_controls(single) == ("164.312(b)",)
    assert summary_of(single) == "The Lambda function has no limit."
    assert cited_controls("No controls here.") == ()


def test_html_is_self_contained_and_complete(synth: Synth, report: dict) -> None:  # type: ignore[type-arg]
    page = (Path(synth.outdir) / "compliance" / "index.html").read_text()

    class Collect(HTMLParser):
        external: list[str] = []
        findings = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = dict(attrs)
            if tag in ("link", "img") or names.get("src"):
                self.external.append(tag)
            if tag == "tr" and "finding" in (names.get("class") or "").split():
                self.findings += 1

    parser = Collect()
    parser.feed(page)
    assert parser.external == []
    assert parser.findings == len(report["findings"])
    assert "PASS: no open finding" in page and "FAIL" not in page
    markdown = (Path(synth.outdir) / "compliance" / "report.md").read_text()
    assert "Open findings: **0**" in markdown and report["provenance"]["config"]["sha256"] in markdown


def test_a_failed_gate_still_gets_a_report_that_says_so(tmp_path: Path) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from stacks.app import cli_context
    from stacks.compliance.gate import add_compliance_gate

    app = App(outdir=str(tmp_path), context=cli_context())
    add_compliance_gate(app)
    s3.Bucket(Stack(app, "Careless"), "PlainBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    target = write_report(tmp_path)
    made = json.loads((target / "report.json").read_text())
    open_rules = {f["rule"] for f in made["findings"] if f["status"] == "open"}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= open_rules
    page = (target / "index.html").read_text()
    assert "NOT JUDGED" in page and "PASS" not in page and "provenance" in page and "not recorded" in page


def test_the_report_step_starts_no_jsii_and_says_one_line(synth: Synth, tmp_path: Path) -> None:
    """`make synth` runs the report after the CLI's synth: importing the CDK there printed jsii's Node banner."""
    import shutil

    for name in ("validation-report.json", "roadway-provenance.json"):
        shutil.copy(synth.outdir / name, tmp_path / name)
    script = (
        "import sys\nfrom stacks.compliance import report\ncode = report.main([sys.argv[1]])\n"
        "started = sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'constructs', 'cdk_nag'})\n"
        "sys.exit(f'imported {started}' if started else code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert (
        result.stdout
        == f"Compliance report: {tmp_path}/compliance/index.html (also report.md, report.json, report.csv)\n"
    )


def test_the_page_renders_and_filters_in_a_real_browser(synth: Synth, report: dict, browser: WebDriver) -> None:  # type: ignore[type-arg] # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    console_errors(browser)  # start from an empty log
    browser.get((Path(synth.outdir) / "compliance" / "index.html").as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text == "Roadway compliance report"
    total = len(report["findings"])

    def shown() -> tuple[int, int]:
        """The findings and groups the browser renders, asked of the page in one call (one WebDriver round trip
        per row took 4 s): the DOM's own checkVisibility, which is false under display:none anywhere above."""
        rows, groups = browser.execute_script(
            "const seen = (css) => [...document.querySelectorAll(css)]"
            "  .filter((e) => e.checkVisibility({visibilityProperty: true})).length;"
            "return [seen('tr.finding'), seen('section.group')];"
        )
        assert int(browser.find_element(By.ID, "shown").text) == rows
        return rows, groups

    assert shown()[0] == total
    box = browser.find_element(By.ID, "filter")
    box.send_keys("W3010")
    w3010 = sum(f["rule"] == "W3010" for f in report["findings"])
    assert shown() == (w3010, 3), "the cfn-lint findings, one group per stage"
    box.clear()
    box.send_keys("sagemaker_role.py")
    assert shown()[0] == sum("sagemaker_role.py" in f["source"] for f in report["findings"]) > 0
    box.clear()
    box.send_keys(" ")  # an input event with nothing to match: every finding again
    Select(browser.find_element(By.ID, "status")).select_by_value("open")
    assert shown() == (0, 0), "no open finding: every group hides"
    Select(browser.find_element(By.ID, "status")).select_by_value("acknowledged")
    assert shown()[0] == total
    anchor = report["findings"][0]["anchor"]
    browser.get((Path(synth.outdir) / "compliance" / "index.html").as_uri() + f"#{anchor}")
    assert browser.find_element(By.ID, anchor).get_attribute("data-status") == "acknowledged"
    assert console_errors(browser) == []


def test_the_step_no_template_can_take_is_named_for_the_auditor(synth: Synth, report: dict) -> None:  # type: ignore[type-arg]
    # Team budgets filter on roadway:team, which only the payer account can activate as a cost-allocation tag.
    page = (Path(synth.outdir) / "compliance" / "index.html").read_text()
    markdown = (Path(synth.outdir) / "compliance" / "report.md").read_text()
    for text in (page, markdown):
        assert "Outside the templates: check by hand" in text
        assert "payer (management) account" in text and "roadway:team" in text


def test_each_acknowledgement_names_the_line_of_its_reason_and_each_finding_its_stack(report: dict) -> None:  # type: ignore[type-arg]
    """docs/auditor.md's `git log -L <line>,+1:<file>` must show the reason's own history, not a shared helper's."""
    ours = [f for f in report["findings"] if f["status"] == "acknowledged" and f["pack"] != CFN_VALIDATE]
    assert ours
    for finding in ours:
        file, line = finding["source"].rsplit(":", 1)
        written = (ROOT / file).read_text().splitlines()[int(line) - 1]
        assert "Reason(" in written, f"{finding['rule']} on {finding['resource']} cites {finding['source']}"
    unplaced = [f["resource"] for f in report["findings"] if not (f["stack"] and f["logical_id"] and f["template"])]
    assert unplaced == []


def test_the_report_says_who_may_approve_and_break_glass_in_each_stage_and_where_it_is_proven(
    report: dict,  # type: ignore[type-arg]
    config: RoadwayConfig,
) -> None:
    """Read from the templates' trusts and policies, so a trust that admitted anyone else would show here."""
    names = Names.of(config)
    shown = {(d["stage"], d["role"]): d for d in report["who_decides"]}
    expected = {
        ("Dev", names.approver_role("dev")): (config.stages.dev.approvers, ["Approved", "Rejected"]),
        ("Test", names.approver_role("test")): (config.stages.test.approvers, ["Approved", "Rejected"]),
        ("Test", names.break_glass_role("test")): (config.stages.test.break_glass, ["Rejected"]),
        ("Prod", names.break_glass_role("prod")): (config.stages.prod.break_glass, ["Rejected"]),
    }
    assert set(shown) == set(expected)
    for key, (principals, statuses) in expected.items():
        assert (list(shown[key]["principals"]), list(shown[key]["statuses"])) == (principals, statuses), key
        assert shown[key]["named_as"] == f"${{aws:PrincipalTag/{config.identity.tag}}}"
    assert report["approver_names"] == config.identity.approver_names
    sources = {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "tests").rglob("test_*.py")}
    for proof in report["who_decides_proven_by"]:
        for test in proof["tests"]:
            file, name = test.split("::")
            assert f"def {name}(" in sources[file], test


def test_the_report_shows_each_stages_gate_and_where_its_evidence_lies(
    report: dict,  # type: ignore[type-arg]
    synth: Synth,
    config: RoadwayConfig,
) -> None:
    """The gates as the serving stacks state them to the promotion (the templates, not the config), the reports'
    places, and the tests that prove the evidence sealed and judged; the auditor's section links there."""
    gates = {(g["stage"], g["stack"]): g["gate"] for g in report["gates"]}
    names = Names.of(config)
    project = config.projects[0]
    for stage in ("test", "prod"):
        stated = gates[(stage.capitalize(), names.model(project).serving_stack(stage))]
        assert stated == project.gate(stage)
    assert "Bias.Report (bias.json) and Explainability.Report" in report["evidence_where"]
    assert "roadway trace" in report["evidence_where"]
    sources = {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "tests").rglob("test_*.py")}
    for proof in report["evidence_proven_by"]:
        for test in proof["tests"]:
            file, name = test.split("::")
            assert f"def {name}(" in sources[file], test
    page = (synth.outdir / "compliance" / "index.html").read_text()
    assert '<h2 id="evidence">' in page and "max_group_rmse_ratio" in page
    markdown = (synth.outdir / "compliance" / "report.md").read_text()
    assert "## Evidence each promotion is judged on, and where it lies" in markdown
    assert "Neighborhood, Bldg.Type, MS.Zoning (groups of 20 or more)" in markdown
    auditor = (ROOT / "docs" / "auditor.md").read_text()
    assert "## Bias and explanations" in auditor and "Evidence each promotion is judged on" in auditor
