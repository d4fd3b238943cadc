"""The auditor's compliance report, built from the cloud assembly after every synth.

CDK's ``validation-report.json`` holds, per rule pack, the open findings (``violations``) and the acknowledged
ones with their reasons (``suppressedViolations``). This turns it into one report per synth, under
``cdk.out/compliance/``: ``index.html`` (self-contained), ``report.md``, ``report.json`` and ``report.csv``.

    python -m roadway.compliance_report cdk.out
"""

from __future__ import annotations

import csv
import html
import io
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from roadway.compliance import RULE_PACKS

STAGES = ("Dev", "Test", "Prod")


@dataclass(frozen=True, order=True)
class Finding:
    """One rule's finding on one resource, open or acknowledged."""

    stage: str
    pack: str
    rule: str
    status: str  # "open" or "acknowledged"
    resource: str
    reason: str
    acknowledged_at: str
    description: str


def _short(description: str) -> str:
    """The rule's first sentence: the rest of cdk-nag's text is guidance, not the finding."""
    sentence = description.split(". ")[0].strip()
    return sentence if sentence.endswith(".") else sentence + "."


def read_findings(report: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    for plugin in report.get("pluginReports", []):
        pack = plugin["pluginName"]
        if pack not in RULE_PACKS:
            continue
        for status, key in (("open", "violations"), ("acknowledged", "suppressedViolations")):
            for item in plugin.get(key, []):
                for construct in item["violatingConstructs"]:
                    path = construct["constructPath"]
                    findings.append(
                        Finding(
                            stage=path.split("/")[0],
                            pack=pack,
                            rule=item["ruleName"],
                            status=status,
                            resource=path,
                            reason=item.get("reason", ""),
                            acknowledged_at=item.get("acknowledgedAt", ""),
                            description=_short(item.get("description", "")),
                        )
                    )
    return sorted(findings, key=lambda f: (_stage_order(f.stage), f))


def _stage_order(stage: str) -> tuple[int, str]:
    """The road's order (Dev, Test, Prod), then any other stage by name."""
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), stage)


def totals(findings: list[Finding]) -> dict[str, dict[str, dict[str, int]]]:
    """stage -> pack -> {"open": n, "acknowledged": n}, with every stage and pack present."""
    counts = Counter((f.stage, f.pack, f.status) for f in findings)
    stages = sorted({f.stage for f in findings} | set(STAGES), key=_stage_order)
    return {
        stage: {
            pack: {status: counts[(stage, pack, status)] for status in ("open", "acknowledged")} for pack in RULE_PACKS
        }
        for stage in stages
    }


def render_markdown(findings: list[Finding], summary: dict[str, dict[str, dict[str, int]]]) -> str:
    open_count = sum(f.status == "open" for f in findings)
    lines = [
        "# Roadway compliance report",
        "",
        f"Rule packs: {', '.join(RULE_PACKS)}. Open findings: **{open_count}**. "
        f"Acknowledged findings: **{len(findings) - open_count}**.",
        "",
        "| stage | " + " | ".join(RULE_PACKS) + " |",
        "| --- |" + " --- |" * len(RULE_PACKS),
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
        lines += ["| stage | pack | rule | resource | reason |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {f.stage} | {f.pack} | `{f.rule}` | `{f.resource}` | {f.reason or f.description} |".replace("\n", " ")
            for f in rows
        ]
    return "\n".join(lines) + "\n"


def render_csv(findings: list[Finding]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(Finding.__dataclass_fields__))
    writer.writeheader()
    writer.writerows(asdict(f) for f in findings)
    return buffer.getvalue()


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330}h1{margin:0 0 .3rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #d4d8e0;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f4f8}code{font-size:12px;word-break:break-all}
.open{background:#fde8e8}.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
.totals td{text-align:center}
"""


def render_html(findings: list[Finding], summary: dict[str, dict[str, dict[str, int]]]) -> str:
    esc = html.escape
    open_count = sum(f.status == "open" for f in findings)
    verdict = (
        '<span class="ok">PASS: no open finding</span>'
        if open_count == 0
        else f'<span class="bad">FAIL: {open_count} open findings</span>'
    )
    head = "".join(f"<th>{esc(p)}</th>" for p in RULE_PACKS)
    total_rows = "".join(
        f"<tr><th>{esc(stage)}</th>"
        + "".join(f"<td>{c['open']} open<br>{c['acknowledged']} acknowledged</td>" for c in packs.values())
        + "</tr>"
        for stage, packs in summary.items()
    )
    body_rows = "".join(
        f'<tr class="{"open" if f.status == "open" else ""}"><td>{esc(f.stage)}</td><td>{esc(f.pack)}</td>'
        f"<td><code>{esc(f.rule)}</code><br>{esc(f.description)}</td><td>{esc(f.status)}</td>"
        f"<td><code>{esc(f.resource)}</code></td><td>{esc(f.reason)}</td></tr>"
        for f in findings
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Roadway compliance report</title>'
        f"<style>{_CSS}</style></head><body><h1>Roadway compliance report</h1><p>{verdict}. "
        f"{len(findings) - open_count} acknowledged findings across {len(summary)} stages.</p>"
        f'<table class="totals"><tr><th>stage</th>{head}</tr>{total_rows}</table>'
        "<h2>Every finding</h2><table><tr><th>stage</th><th>pack</th><th>rule</th><th>status</th>"
        f"<th>resource</th><th>reason given</th></tr>{body_rows}</table></body></html>\n"
    )


def write_report(cdk_out: Path) -> Path:
    source = cdk_out / "validation-report.json"
    if not source.exists():
        raise FileNotFoundError(f"{source} is missing: run `make synth` first")
    findings = read_findings(json.loads(source.read_text()))
    summary = totals(findings)
    target = cdk_out / "compliance"
    target.mkdir(parents=True, exist_ok=True)
    (target / "report.json").write_text(
        json.dumps({"packs": list(RULE_PACKS), "totals": summary, "findings": [asdict(f) for f in findings]}, indent=2)
    )
    (target / "report.csv").write_text(render_csv(findings))
    (target / "report.md").write_text(render_markdown(findings, summary))
    (target / "index.html").write_text(render_html(findings, summary))
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
