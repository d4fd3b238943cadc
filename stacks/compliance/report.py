"""The auditor's compliance report, built from the cloud assembly after every synth.

CDK's ``validation-report.json`` holds, per rule pack, the open findings (``violations``) and the acknowledged
ones with their reasons (``suppressedViolations``); ``roadway-provenance.json`` (see :mod:`stacks.provenance`)
says what the assembly was made from and where in the source each acknowledgement was made. This turns both
into one report per synth, under ``cdk.out/compliance/``: ``index.html`` (self-contained, grouped by stage and
pack, filterable), ``report.md``, ``report.json`` and ``report.csv``.

    python -m stacks.compliance.report cdk.out

cdk-nag 3 reports no list of the rules a pack evaluated, so the report cannot show which rules passed; it shows
every rule with a finding, also by the NIST 800-53 and HIPAA controls the rule's text cites, and says so.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from promote_model.contract import Output

from stacks import provenance as provenance_record
from stacks.assembly_files import stack_files
from stacks.compliance.iam_meaning import listed
from stacks.compliance.packs import CFN_VALIDATE, PACKS
from stacks.compliance.verdict import VALIDATION_REPORT, Verdict

STAGES = ("Dev", "Test", "Prod")
# Packs whose rule texts cite the controls of a framework, and what the report calls that framework.
FRAMEWORKS = {"NIST.800.53.R5": "NIST SP 800-53 rev. 5", "HIPAA.Security": "HIPAA Security Rule (45 CFR)"}
COVERAGE_NOTE = (
    "cdk-nag 3 does not report which rules a pack evaluated, only the rules with findings. This report "
    "therefore lists every rule that found something (open or acknowledged) and cannot list the rules that "
    "passed: a control absent from the table below was either checked and satisfied, or not checked by "
    "these packs."
)
# Controls the road relies on that no template in a member account can set: the auditor checks them by hand.
OUTSIDE_THE_TEMPLATES = (
    (
        "Cost-allocation tags",
        "roadway:team, roadway:project and roadway:stage must be activated as cost-allocation tags in the "
        "organisation's payer (management) account (Billing, Cost allocation tags). Until they are, each team's "
        "AWS Budgets budget, which filters on roadway:team, counts nothing and never alerts; the account budgets "
        "do not depend on it.",
    ),
)
Proofs = tuple[tuple[str, tuple[str, ...]], ...]
"""Claims, each with the tests that prove it (tests/stacks/compliance/test_report.py holds every test to exist)."""
# What proves who may decide on a package (docs/threat-model.md: Approver, Break-glass), each claim with its tests;
# tests/stacks/compliance/test_report.py holds every name to a test that exists.
DECISION_PROOFS: Proofs = (
    (
        "Only the listed sign-ins may assume the role, each only with the name its identity provider asserted",
        (
            "tests/stacks/test_separation_of_duties.py::test_a_configured_approver_may_assume_it_naming_only_themselves",
            "tests/roadway/test_decision.py::test_the_trust_admits_the_request_the_cli_sends_and_no_colleagues_name",
        ),
    ),
    (
        "The approver role sets Approved or Rejected and does nothing else; break-glass only Rejected",
        (
            "tests/stacks/test_separation_of_duties.py::test_the_approver_role_decides_and_does_nothing_else",
            "tests/stacks/test_separation_of_duties.py::test_the_break_glass_role_may_only_withdraw",
        ),
    ),
    (
        "An approval outside the approver role, by its author, or by an unknown name promotes nothing",
        (
            "tests/lambdas/promote_model/test_four_eyes.py::test_an_approval_outside_the_approver_role_is_refused",
            "tests/lambdas/promote_model/test_four_eyes.py::test_an_author_approving_through_the_approver_role_is_refused",
            "tests/lambdas/promote_model/test_four_eyes.py::test_an_approver_the_road_does_not_know_is_refused",
        ),
    ),
    (
        "A rejection outside the break-glass role withdraws nothing",
        (
            "tests/lambdas/promote_model/test_break_glass.py::test_a_rejection_outside_the_break_glass_role_changes_nothing",
        ),
    ),
)
DECIDING_ROLES = {"-approver": "approves (promotes to the next stage)", "-break-glass": "withdraws what is served"}
# What proves the evidence a gate judges is what was registered, and judged as stated; held to existing tests too.
EVIDENCE_PROOFS: Proofs = (
    (
        "Every report a package names (metrics, baselines, bias, explanations) is sealed at registration; a report "
        "changed afterwards is refused",
        (
            "tests/lambdas/promote_model/test_seal.py::test_registration_seals_every_artifact_once",
            "tests/lambdas/promote_model/test_bias.py::test_a_kinder_bias_report_written_after_registration_is_refused_by_the_seal",
        ),
    ),
    (
        "A package over a group threshold is refused with the group named; missing, partial or differently pooled "
        "evidence is refused where a gate asks for it",
        (
            "tests/lambdas/promote_model/test_bias.py::test_a_package_over_both_group_thresholds_is_refused_with_each_group_named",
            "tests/lambdas/promote_model/test_bias.py::test_a_package_without_the_evidence_its_gate_asks_for_is_refused",
            "tests/lambdas/promote_model/test_bias.py::test_evidence_the_gate_cannot_judge_is_refused_not_waved_through",
        ),
    ),
    (
        "Explanations are SHAP values: they add up to each prediction, and the trees' are the Shapley values of "
        "their game",
        (
            "tests/model_code/test_explain.py::test_contributions_add_up_to_the_prediction_minus_the_expected_value",
            "tests/model_code/test_explain.py::test_tree_shap_is_the_shapley_value_of_the_path_dependent_game",
        ),
    ),
)
EVIDENCE_WHERE = (
    "Each package names its evidence in its ModelMetrics: ModelQuality (evaluation.json), ModelDataQuality (the "
    "drift baseline), Bias.Report (bias.json) and Explainability.Report (explainability.json). In dev they lie in "
    "the artifact bucket under pipelines/<project>/<pipeline execution>/, written only by the project's pipeline "
    "jobs; each receiving stage keeps its verified copies under promoted/<source account>/<project>/v<version>/. "
    "The ledger's sealed record holds each report's S3 version and SHA-256; `roadway trace <stage>:<version>` "
    'prints every hop\'s figures and report locations. docs/auditor.md, "Bias and explanations", says how to read '
    "them."
)
GATE_FIELDS = (
    ("rmse_log_max", "rmse_log_max"),
    ("max_regression_pct", "max_regression_pct"),
    ("max_group_rmse_ratio", "max_group_rmse_ratio"),
    ("max_group_residual", "max_group_residual"),
    ("require_explanations", "explanations required"),
)


def _proofs_lines(proofs: Proofs) -> list[str]:
    """Each claim with the tests that prove it, as Markdown list items."""
    return [f"- {claim}: " + ", ".join(f"`{test}`" for test in tests) for claim, tests in proofs]


def _proofs_html(proofs: Proofs) -> str:
    esc = html.escape
    return "".join(
        f"<li>{esc(claim)}: " + ", ".join(f"<code>{esc(t)}</code>" for t in tests) + "</li>" for claim, tests in proofs
    )


@dataclass(frozen=True)
class StatedGate:
    """A project's gate in one stage, as its serving stack states it to the promotion."""

    stage: str
    stack: str
    gate: dict[str, Any]


def stated_gates(cdk_out: Path) -> list[StatedGate]:
    """Every serving stack's gate output, read from the templates (what the promotion will read after deploy)."""
    found = []
    for stack in stack_files(cdk_out):
        value = stack.template().get("Outputs", {}).get(Output.GATE, {}).get("Value")
        if isinstance(value, str):
            found.append(StatedGate(stack.stage, stack.name, json.loads(value)))
    return found


def _gate_cells(stated: StatedGate) -> list[str]:
    gate = stated.gate
    cells = [_shown(gate.get(key)) for key, _ in GATE_FIELDS]
    facets = ", ".join(gate.get("bias_facets") or []) or "none"
    return [*cells, f"{facets} (groups of {gate.get('min_group_size', '?')} or more)"]


def _shown(value: Any) -> str:
    if value is None:
        return "not judged"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _evidence_lines(gates: list[StatedGate]) -> list[str]:
    lines = ["## Evidence each promotion is judged on, and where it lies", "", EVIDENCE_WHERE, ""]
    heads = ["stage", "serving stack", *(label for _, label in GATE_FIELDS), "bias facets"]
    lines += ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    lines += [f"| {g.stage} | `{g.stack}` | " + " | ".join(_gate_cells(g)) + " |" for g in gates]
    lines += ["", "Proven by:", ""]
    lines += _proofs_lines(EVIDENCE_PROOFS)
    return lines


def _evidence_html(gates: list[StatedGate]) -> str:
    esc = html.escape
    heads = ["stage", "serving stack", *(label for _, label in GATE_FIELDS), "bias facets"]
    rows = "".join(
        f"<tr><td>{esc(g.stage)}</td><td><code>{esc(g.stack)}</code></td>"
        + "".join(f"<td>{esc(cell)}</td>" for cell in _gate_cells(g))
        + "</tr>"
        for g in gates
    )
    proofs = _proofs_html(EVIDENCE_PROOFS)
    return (
        '<h2 id="evidence">Evidence each promotion is judged on, and where it lies</h2>'
        f'<p class="note">{esc(EVIDENCE_WHERE)}</p><table><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in heads)
        + f"</tr>{rows}</table><p>Proven by:</p><ul>{proofs}</ul>"
    )


@dataclass(frozen=True)
class Decider:
    """A role that decides on packages in one stage, as its template grants it."""

    stage: str
    role: str
    does: str
    statuses: tuple[str, ...]  # the approval statuses its policy may set
    principals: tuple[str, ...]  # the sign-ins its trust admits (aws:PrincipalArn patterns)
    named_as: str  # what its trust demands the session's source identity equal


def deciders(cdk_out: Path) -> list[Decider]:
    """Every approver and break-glass role of the assembly, read from its templates (not the config): who may
    assume it, bound to which name, to set which statuses."""
    found: list[Decider] = []
    for stack in stack_files(cdk_out):
        stage, resources = stack.stage, stack.template().get("Resources", {})
        for logical_id, role in resources.items():
            name = role.get("Properties", {}).get("RoleName")
            if role.get("Type") != "AWS::IAM::Role" or not isinstance(name, str):
                continue
            does = next((what for suffix, what in DECIDING_ROLES.items() if name.endswith(suffix)), None)
            if does is None:
                continue
            principals: list[str] = []
            named_as = ""
            for statement in role["Properties"]["AssumeRolePolicyDocument"].get("Statement", []):
                condition = statement.get("Condition", {})
                principals += condition.get("ArnLike", {}).get("aws:PrincipalArn", [])
                named_as = condition.get("StringEquals", {}).get("sts:SourceIdentity", named_as)
            statuses = sorted(
                {
                    status
                    for policy in resources.values()
                    if policy.get("Type") == "AWS::IAM::ManagedPolicy"
                    and {"Ref": logical_id} in policy["Properties"].get("Roles", [])
                    for statement in policy["Properties"]["PolicyDocument"].get("Statement", [])
                    for status in listed(
                        statement.get("Condition", {}).get("StringEquals", {}).get("sagemaker:ModelApprovalStatus", [])
                    )
                }
            )
            found.append(Decider(stage, name, does, tuple(statuses), tuple(dict.fromkeys(principals)), named_as))
    return sorted(found, key=lambda d: (_stage_order(d.stage), d.role))


def bound_name(named_as: str) -> str:
    """A trust's ``sts:SourceIdentity`` value in words: whose assertion the name must equal."""
    tag = re.fullmatch(r"\$\{aws:PrincipalTag/(.+)\}", named_as)
    if tag:
        return f"the identity provider's session tag {tag.group(1)}"
    if named_as == "${aws:SourceIdentity}":
        return "the source identity the federated sign-in set"
    return named_as or "no name (the trust demands none)"


def approver_names(provenance: dict[str, Any] | None) -> list[str] | None:
    """identity.approver_names of the config the assembly was made from (the names the promotion accepts)."""
    from roadway.config import ConfigError, load_config

    if provenance is None:
        return None
    path = Path(provenance["config"]["path"])
    path = path if path.is_absolute() else provenance_record.ROOT / path
    try:
        if provenance_record.sha256_of(path) != provenance["config"]["sha256"]:
            return None  # changed since synth: its names are not this assembly's
        return list(load_config(path).identity.approver_names)
    except (ConfigError, OSError):
        return None


def _who_decides_lines(people: list[Decider], names: list[str] | None) -> list[str]:
    lines = ["## Who decides on a package, and where it is proven", ""]
    if not people:
        return [*lines, "No approver or break-glass role in this assembly."]
    lines += [
        "Read from the templates. A role's trust admits the sign-ins listed, and only with a source identity equal to "
        "the name shown (the identity provider's assertion); its policy sets only the statuses listed.",
        "",
        "| stage | role | does | may set | who may assume it | named as |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {d.stage} | `{d.role}` | {d.does} | {', '.join(d.statuses)} | "
        + "<br>".join(f"`{p}`" for p in d.principals)
        + f" | {bound_name(d.named_as)} |"
        for d in people
    ]
    lines += ["", f"Names an approval may carry (`identity.approver_names`): {_names(names)}.", "", "Proven by:", ""]
    lines += _proofs_lines(DECISION_PROOFS)
    return lines


# cdk-nag words an acknowledged IAM5 finding as its failure ("... and does not have a cdk-nag rule
# suppression with evidence ..."); the report states what the rule checks instead.
_CONTROL_CLAUSE = re.compile(r"\(Control IDs?:\s*")
_SUPPRESSION_CLAUSE = re.compile(r"\s+and does not have a cdk-nag rule suppression[^.]*")


@dataclass(frozen=True, order=True)
class Finding:
    """One rule's finding on one resource, open or acknowledged."""

    stage: str
    pack: str
    rule: str
    status: str  # "open" or "acknowledged"
    resource: str  # the construct path
    stack: str  # the CloudFormation stack's name
    logical_id: str  # the resource's logical ID in that stack's template
    template: str  # "<template file>#<logical id>"
    summary: str  # what the rule checks, in one sentence
    controls: tuple[str, ...]  # the framework controls the rule's text cites
    reason: str
    acknowledged_on: str  # the construct path the acknowledgement was made on
    source: str  # "<file>:<line>" of the acknowledgement, when the app recorded it

    @property
    def anchor(self) -> str:
        """Stable across synths while the finding stays, so a link in a ticket keeps pointing at it."""
        key = "\0".join((self.stage, self.pack, self.rule, self.resource))  # not the status: it survives one
        return "f-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _control_clause(description: str) -> tuple[int, int] | None:
    """Where the "(Control IDs: AC-2(4), 164.308(a)(1))" clause of a NIST/HIPAA rule's text starts and ends."""
    found = _CONTROL_CLAUSE.search(description)
    if found is None:
        return None
    start = found.start()
    depth = 0
    for end in range(start, len(description)):
        depth += {"(": 1, ")": -1}.get(description[end], 0)
        if depth == 0:
            return start, end + 1
    return start, len(description)


def cited_controls(description: str) -> tuple[str, ...]:
    span = _control_clause(description)
    if span is None:
        return ()
    inner = _CONTROL_CLAUSE.sub("", description[span[0] : span[1] - 1], count=1)
    return tuple(part.strip() for part in re.split(r",\s*", inner) if part.strip())


def summary_of(description: str) -> str:
    """The rule's first sentence without its control list: the rest of cdk-nag's text is guidance."""
    span = _control_clause(description)
    if span is not None:
        description = description[: span[0]].rstrip(" -") + description[span[1] :]
    sentence = _SUPPRESSION_CLAUSE.sub("", description).split(". ")[0].strip()
    return sentence if sentence.endswith(".") else sentence + "."


Location = tuple[str, str, str]  # stack name, template file (in the assembly), logical ID


def locations(cdk_out: Path) -> dict[str, Location]:
    """Where each construct of the assembly lies: its construct path (as findings name it) to its stack, template
    and logical ID, from the stages' manifests (cdk-nag's findings carry neither)."""
    return {
        path: (stack.name, stack.template_path.relative_to(cdk_out).as_posix(), logical_id)
        for stack in stack_files(cdk_out)
        for path, logical_id in stack.logical_ids().items()
    }


def read_findings(
    report: dict[str, Any], provenance: dict[str, Any] | None = None, places: dict[str, Location] | None = None
) -> list[Finding]:
    places = places or {}
    sources = {
        (item["at"], item["id"]): f"{item['file']}:{item['line']}"
        for item in (provenance or {}).get("acknowledgements", [])
    }
    findings: list[Finding] = []
    for plugin in report.get("pluginReports", []):
        pack = plugin["pluginName"]
        if pack not in PACKS:
            continue
        for status, key in (("open", "violations"), ("acknowledged", "suppressedViolations")):
            for item in plugin.get(key, []):
                description = item.get("description", "")
                at = item.get("acknowledgedAt", "")
                for construct in item["violatingConstructs"]:
                    path = construct["constructPath"]
                    stack, template, logical_id = places.get(path) or places.get(f"{path}/Resource") or ("", "", "")
                    resource = construct.get("cloudFormationResource") or {}
                    logical_id = resource.get("logicalId") or logical_id
                    template = resource.get("templatePath") or template
                    findings.append(
                        Finding(
                            stage=path.split("/")[0],
                            pack=pack,
                            rule=item["ruleName"],
                            status=status,
                            resource=path,
                            stack=stack,
                            logical_id=logical_id,
                            template=f"{template}#{logical_id}" if logical_id else "",
                            summary=summary_of(description),
                            controls=cited_controls(description),
                            reason=item.get("reason", ""),
                            acknowledged_on=at,
                            source=sources.get(
                                (at, item.get("acknowledgedId", "")),
                                "aws-cdk-lib (CDK's own acknowledgement)"
                                if status == "acknowledged" and pack == CFN_VALIDATE
                                else "",
                            ),
                        )
                    )
    return sorted(findings, key=lambda f: (_stage_order(f.stage), PACKS.index(f.pack), f))


def _stage_order(stage: str) -> tuple[int, str]:
    """The road's order (Dev, Test, Prod), then any other stage by name."""
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), stage)


def totals(findings: list[Finding]) -> dict[str, dict[str, dict[str, int]]]:
    """stage -> pack -> {"open": n, "acknowledged": n}, with every stage and pack present."""
    counts = Counter((f.stage, f.pack, f.status) for f in findings)
    stages = sorted({f.stage for f in findings} | set(STAGES), key=_stage_order)
    return {
        stage: {pack: {status: counts[(stage, pack, status)] for status in ("open", "acknowledged")} for pack in PACKS}
        for stage in stages
    }


def by_control(findings: list[Finding]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """framework pack -> control -> rule -> {"open": n, "acknowledged": n}, controls in the order cited."""
    table: dict[str, dict[str, dict[str, dict[str, int]]]] = {pack: {} for pack in FRAMEWORKS}
    for f in findings:
        if f.pack not in FRAMEWORKS:
            continue
        for control in f.controls:
            rules = table[f.pack].setdefault(control, {})
            counts = rules.setdefault(f.rule, {"open": 0, "acknowledged": 0})
            counts[f.status] += 1
    return {pack: dict(sorted(controls.items(), key=lambda c: _control_key(c[0]))) for pack, controls in table.items()}


def _control_key(control: str) -> list[tuple[int, str]]:
    """AC-2 < AC-2(4) < AC-10 and 164.308(a)(1) < 164.312(a): numbers compare as numbers."""
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.findall(r"\d+|[A-Za-z]+", control)]


def _provenance_lines(provenance: dict[str, Any] | None) -> list[tuple[str, str]]:
    if provenance is None:
        return [("provenance", "not recorded: this assembly was not synthesized by Roadway's app (make synth)")]
    source = provenance["source"]
    commit = source["commit"] or "not a git checkout"
    if source["dirty"]:
        commit += " (with uncommitted changes)"
    versions = ", ".join(f"{name} {version or 'unknown'}" for name, version in provenance["versions"].items())
    return [
        ("synthesized", provenance["generated_at"]),
        ("compliance gate", verdict_line(provenance)),
        ("git commit", commit),
        ("config", f"{provenance['config']['path']} (sha256 {provenance['config']['sha256']})"),
        ("versions", versions),
    ]


def verdict_line(provenance: dict[str, Any] | None) -> str:
    """The gate's verdict as synth judged it (stacks.compliance.verdict); the report never judges again."""
    verdict = Verdict.of_record(provenance)
    if verdict is None:
        return "NOT JUDGED: this assembly was not synthesized by `make synth`, which alone judges it"
    if verdict.passed:
        return "PASS: no open finding, and every stack inside CloudFormation's and IAM's limits"
    return "FAIL: " + "; ".join(verdict.reasons)


def render_markdown(
    findings: list[Finding],
    provenance: dict[str, Any] | None,
    people: list[Decider],
    gates: list[StatedGate] | None = None,
) -> str:
    gates = gates or []
    summary = totals(findings)
    open_count = sum(f.status == "open" for f in findings)
    lines = [
        "# Roadway compliance report",
        "",
        f"**{verdict_line(provenance)}**",
        "",
        *(f"- **{label}**: {value}" for label, value in _provenance_lines(provenance)),
        "",
        f"Rule packs: {', '.join(PACKS)}. Open findings: **{open_count}**. "
        f"Acknowledged findings: **{len(findings) - open_count}**.",
        "",
        "| stage | " + " | ".join(PACKS) + " |",
        "| --- |" + " --- |" * len(PACKS),
    ]
    for stage, packs in summary.items():
        cells = [f"{c['open']} open, {c['acknowledged']} acknowledged" for c in packs.values()]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    for status, title in (("open", "Open findings"), ("acknowledged", "Acknowledged findings, with their reasons")):
        lines += ["", f"## {title}", ""]
        rows = [f for f in findings if f.status == status]
        if not rows:
            lines.append("None.")
            continue
        lines += [
            "| stage | pack | rule | resource | reason | acknowledged in |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {f.stage} | {f.pack} | `{f.rule}` | `{f.resource}` | {_cell(f.reason or f.summary)} | "
            f"{f'`{f.source}`' if f.source else ''} |"
            for f in rows
        ]
    lines += ["", *_who_decides_lines(people, approver_names(provenance))]
    lines += ["", *_evidence_lines(gates)]
    lines += ["", "## Outside the templates: check by hand", ""]
    lines += [f"- **{title}**: {text}" for title, text in OUTSIDE_THE_TEMPLATES]
    lines += ["", "## By control", "", COVERAGE_NOTE]
    for pack, controls in by_control(findings).items():
        lines += ["", f"### {FRAMEWORKS[pack]}", "", "| control | rules with findings |", "| --- | --- |"]
        lines += [
            f"| {control} | "
            + "; ".join(f"`{rule}` ({c['open']} open, {c['acknowledged']} acknowledged)" for rule, c in rules.items())
            + " |"
            for control, rules in controls.items()
        ]
        if not controls:
            lines.append("| none cited | |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text inside a Markdown table cell: one line, and a pipe that does not end the cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render_csv(findings: list[Finding]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*Finding.__dataclass_fields__, "anchor"])
    writer.writeheader()
    writer.writerows({**asdict(f), "controls": " ".join(f.controls), "anchor": f.anchor} for f in findings)
    return buffer.getvalue()


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330}h1{margin:0 0 .3rem}h2{margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem}td,th{border:1px solid #d4d8e0;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f4f8}code{font-size:12px;word-break:break-all}
tr.open{background:#fde8e8}.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
.totals td{text-align:center}.meta th{width:9rem}.filters{position:sticky;top:0;background:#fff;padding:.6rem 0;
border-bottom:1px solid #d4d8e0}.filters input{width:28rem;padding:.3rem}.note{color:#4a5263}
tr:target{outline:2px solid #2f6feb}a.anchor{color:#4a5263;text-decoration:none;font-size:12px}
"""

# Hides the findings that do not match the text or status, and groups left empty; no external resource.
_SCRIPT = """
(function () {
  const text = document.getElementById('filter');
  const status = document.getElementById('status');
  const shown = document.getElementById('shown');
  function apply() {
    const words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let count = 0;
    document.querySelectorAll('tr.finding').forEach(function (row) {
      const hay = row.textContent.toLowerCase();
      const ok = (status.value === 'all' || row.dataset.status === status.value) &&
        words.every(function (w) { return hay.includes(w); });
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    document.querySelectorAll('section.group').forEach(function (group) {
      group.hidden = group.querySelector('tr.finding:not([hidden])') === null;
    });
    shown.textContent = count;
  }
  text.addEventListener('input', apply);
  status.addEventListener('change', apply);
  apply();
})();
"""


def render_html(
    findings: list[Finding],
    provenance: dict[str, Any] | None,
    people: list[Decider],
    gates: list[StatedGate] | None = None,
) -> str:
    gates = gates or []
    esc = html.escape
    summary = totals(findings)
    open_count = sum(f.status == "open" for f in findings)
    judged = Verdict.of_record(provenance)
    verdict = f'<span class="{"ok" if judged and judged.passed else "bad"}">{esc(verdict_line(provenance))}</span>'
    meta = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _provenance_lines(provenance))
    head = "".join(f"<th>{esc(p)}</th>" for p in PACKS)
    total_rows = "".join(
        f"<tr><th>{esc(stage)}</th>"
        + "".join(f"<td>{c['open']} open<br>{c['acknowledged']} acknowledged</td>" for c in packs.values())
        + "</tr>"
        for stage, packs in summary.items()
    )
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.stage, f.pack)].append(f)
    sections = []
    for (stage, pack), rows in groups.items():
        body = "".join(
            f'<tr id="{f.anchor}" class="finding {f.status}" data-status="{f.status}">'
            f'<td><a class="anchor" href="#{f.anchor}">#</a> <code>{esc(f.rule)}</code><br>{esc(f.summary)}'
            + (f"<br><small>controls: {esc(', '.join(f.controls))}</small>" if f.controls else "")
            + f"</td><td>{esc(f.status)}</td><td><code>{esc(f.resource)}</code>"
            + (f"<br><small>{esc(f.stack)} · {esc(f.logical_id)}</small>" if f.logical_id else "")
            + f"</td><td>{esc(f.reason)}</td><td>{f'<code>{esc(f.source)}</code>' if f.source else ''}</td></tr>"
            for f in rows
        )
        sections.append(
            f'<section class="group" data-stage="{esc(stage)}" data-pack="{esc(pack)}">'
            f"<h3>{esc(stage)} · {esc(pack)} ({len(rows)})</h3><table><tr><th>rule</th><th>status</th>"
            f"<th>resource</th><th>reason given</th><th>acknowledged in</th></tr>{body}</table></section>"
        )
    control_tables = []
    for pack, controls in by_control(findings).items():
        rows_html = (
            "".join(
                f"<tr><th>{esc(control)}</th><td>"
                + "<br>".join(
                    f"<code>{esc(rule)}</code> ({c['open']} open, {c['acknowledged']} acknowledged)"
                    for rule, c in rules.items()
                )
                + "</td></tr>"
                for control, rules in controls.items()
            )
            or "<tr><td colspan=2>no control cited by a finding</td></tr>"
        )
        control_tables.append(
            f"<h3>{esc(FRAMEWORKS[pack])}</h3><table><tr><th>control</th><th>rules with findings</th></tr>"
            f"{rows_html}</table>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Roadway compliance report</title>'
        f"<style>{_CSS}</style></head><body><h1>Roadway compliance report</h1><p>{verdict}</p>"
        f"<p>{open_count} open and {len(findings) - open_count} acknowledged findings across {len(summary)} stages."
        "</p>"
        f'<table class="meta">{meta}</table>'
        f'<table class="totals"><tr><th>stage</th>{head}</tr>{total_rows}</table>'
        '<h2>Findings by stage and pack</h2><div class="filters"><label>Filter '
        '<input id="filter" type="search" placeholder="rule, resource, reason, control, file…"></label> '
        '<label>Status <select id="status"><option value="all">all</option><option value="open">open</option>'
        '<option value="acknowledged">acknowledged</option></select></label> '
        f'<span class="note"><span id="shown">{len(findings)}</span> of {len(findings)} findings shown</span></div>'
        + "".join(sections)
        + _who_decides_html(people, approver_names(provenance))
        + _evidence_html(gates)
        + "<h2>Outside the templates: check by hand</h2><ul>"
        + "".join(f"<li><strong>{esc(title)}</strong>: {esc(text)}</li>" for title, text in OUTSIDE_THE_TEMPLATES)
        + "</ul>"
        + f'<h2>By control</h2><p class="note">{esc(COVERAGE_NOTE)}</p>'
        + "".join(control_tables)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _names(names: list[str] | None) -> str:
    return ", ".join(names) if names else "not readable from the config this assembly names"


def _who_decides_html(people: list[Decider], names: list[str] | None) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(d.stage)}</td><td><code>{esc(d.role)}</code></td><td>{esc(d.does)}</td>"
        f"<td>{esc(', '.join(d.statuses))}</td><td>"
        + "<br>".join(f"<code>{esc(p)}</code>" for p in d.principals)
        + f"</td><td>{esc(bound_name(d.named_as))}</td></tr>"
        for d in people
    )
    proofs = _proofs_html(DECISION_PROOFS)
    return (
        '<h2 id="who-decides">Who decides on a package, and where it is proven</h2>'
        '<p class="note">Read from the templates: each role\'s trust admits the sign-ins listed, only with a source '
        "identity equal to the name shown; its policy sets only the statuses listed.</p>"
        "<table><tr><th>stage</th><th>role</th><th>does</th><th>may set</th><th>who may assume it</th>"
        f"<th>named as</th></tr>{rows}</table><p>Names an approval may carry (identity.approver_names): "
        f"{esc(_names(names))}.</p><p>Proven by:</p><ul>{proofs}</ul>"
    )


def write_report(cdk_out: Path) -> Path:
    source = cdk_out / VALIDATION_REPORT
    if not source.exists():
        raise FileNotFoundError(f"{source} is missing: run `make synth` first")
    provenance = provenance_record.read(cdk_out)
    findings = read_findings(json.loads(source.read_text()), provenance, locations(cdk_out))
    people = deciders(cdk_out)
    gates = stated_gates(cdk_out)
    target = cdk_out / "compliance"
    target.mkdir(parents=True, exist_ok=True)
    (target / "report.json").write_text(
        json.dumps(
            {
                "provenance": provenance,
                "packs": list(PACKS),
                "coverage": COVERAGE_NOTE,
                "totals": totals(findings),
                "by_control": by_control(findings),
                "findings": [{**asdict(f), "anchor": f.anchor} for f in findings],
                "who_decides": [asdict(d) for d in people],
                "approver_names": approver_names(provenance),
                "who_decides_proven_by": [{"claim": c, "tests": list(t)} for c, t in DECISION_PROOFS],
                "gates": [asdict(g) for g in gates],
                "evidence_where": EVIDENCE_WHERE,
                "evidence_proven_by": [{"claim": c, "tests": list(t)} for c, t in EVIDENCE_PROOFS],
            },
            indent=2,
        )
    )
    (target / "report.csv").write_text(render_csv(findings))
    (target / "report.md").write_text(render_markdown(findings, provenance, people, gates))
    (target / "index.html").write_text(render_html(findings, provenance, people, gates))
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cdk_out = Path(args[0] if args else "cdk.out")
    try:
        target = write_report(cdk_out)
    except FileNotFoundError as error:
        print(f"roadway: {error}", file=sys.stderr)
        return 2
    print(f"Compliance report: {target}/index.html (also report.md, report.json, report.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
