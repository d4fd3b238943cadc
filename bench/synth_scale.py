"""Synth time, stack sizes and limits against the number of teams, model projects and people (`make bench`).

Each size is synthesized as `make synth` does (every stage, the compliance packs, the limits check), in a fresh
interpreter so that one size's jsii process does not carry into the next. Then the people of the middle size are
checked against the largest: adding people moved nobody (same stack, same logical ID, same definition).

    .venv/bin/python bench/synth_scale.py            # (teams, projects, people): (1, 1, 2) to (20, 40, 500)
    .venv/bin/python bench/synth_scale.py 20:40:500  # one size
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SIZES = [(1, 1, 2), (10, 10, 100), (20, 40, 500)]
# Chosen once for a platform planned for 500 people (3 resources each, about 400 per stack of CloudFormation's
# 500), and kept for every size: the number is never changed implicitly, so the sizes can be compared.
PEOPLE_STACKS = 4


def config_for(teams: int, projects: int, people: int) -> dict[str, Any]:
    """The shipped config with ``teams`` teams (each with a budget), ``projects`` model projects (house-price, then
    ``forecast-model-NN``, 17 characters, served like house-price, owned round-robin) and ``people`` data
    scientists."""
    data = yaml.safe_load((ROOT / "config" / "roadway.yaml").read_text())
    first = data["projects"][0]
    data["projects"] = [first] + [
        {"name": f"forecast-model-{p:02d}", "team": f"team-{p % teams:02d}", "stages": first["stages"]}
        for p in range(1, projects)
    ]
    first["team"] = "team-00"
    data["teams"] = [
        {"name": f"team-{t:02d}", "monthly_budget_usd": 500, "budget_emails": [f"team-{t:02d}@example.com"]}
        for t in range(teams)
    ]
    data["data_scientists"] = [
        {"user_name": f"person-{i:03d}", "team": f"team-{i % teams:02d}", "email": f"person-{i:03d}@example.com"}
        for i in range(people)
    ]
    data["studio"]["people_stacks"] = PEOPLE_STACKS
    return data


def measure(teams: int, projects: int, people: int, workdir: Path) -> dict[str, Any]:
    """Synthesize one size in a child interpreter; return its figures."""
    data = config_for(teams, projects, people)
    path = workdir / f"config-{teams}-{projects}-{people}.yaml"
    path.write_text(yaml.safe_dump(data))
    out = workdir / f"cdk.out-{teams}-{projects}-{people}"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    if child.returncode:
        size = f"{teams} teams, {projects} projects, {people} people"
        raise SystemExit(f"synth of {size} failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
start = time.perf_counter()
from devtools.synth import synthesize
from stacks.app import check_limits
from stacks.cloudformation_limits import policy_size, resolved_length
from roadway.config import load_config
from aws_cdk import cx_api
synth = synthesize(load_config(sys.argv[1]), Path(sys.argv[2]), config_path=Path(sys.argv[1]))
elapsed = time.perf_counter() - start
open_findings = sum(len(p["violations"]) for p in synth.report["pluginReports"])
largest_policy = max(
    (policy_size(r["Properties"]["PolicyDocument"]), name, lid)
    for name, t in synth.templates.items()
    for lid, r in t["Resources"].items()
    if r["Type"] == "AWS::IAM::ManagedPolicy"
)
people = {
    lid: [name, r]
    for name, t in synth.templates.items()
    for lid, r in t["Resources"].items()
    if lid.startswith("StudioUserperson")
}
Path(sys.argv[2], "people.json").write_text(json.dumps(people))
sizes = {
    s.stack_name: Path(a.nested_assembly.directory, s.template_file).stat().st_size
    for a in cx_api.CloudAssembly(sys.argv[2]).nested_assemblies for s in a.nested_assembly.stacks
}
environments = {
    f"{name} {lid}": sum(
        len(k) + len(str(resolved_length(v)))
        for k, v in r["Properties"].get("Environment", {}).get("Variables", {}).items()
    )
    for name, t in synth.templates.items()
    for lid, r in t["Resources"].items()
    if r["Type"] == "AWS::Lambda::Function"
}
rules = {
    name: sum(r["Type"] == "AWS::Events::Rule" for r in t["Resources"].values())
    for name, t in synth.templates.items()
}
rules_per_account = {
    stage: sum(n for name, n in rules.items() if f"-{stage}-" in name) for stage in ("dev", "test", "prod")
}
status = open("/proc/self/status").read()
hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
print(json.dumps({
    "seconds": round(elapsed, 1),
    "resources": {name: len(t["Resources"]) for name, t in synth.templates.items()},
    "outputs": {name: len(t.get("Outputs", {})) for name, t in synth.templates.items()},
    "template_kib": {name: round(size / 1024) for name, size in sizes.items()},
    "largest_managed_policy": largest_policy,
    "largest_environment": max((size, where) for where, size in environments.items()),
    "rules_per_account": rules_per_account,
    "stacks": len(synth.templates),
    "excesses": [e.line() for e in check_limits(Path(sys.argv[2]))],
    "open_findings": open_findings,
    "python_rss_mib": hwm // 1024,
}))
"""


def main(argv: list[str]) -> int:
    sizes = [tuple(int(x) for x in arg.split(":")) for arg in argv] or SIZES
    with tempfile.TemporaryDirectory(prefix="roadway-bench-") as tmp:
        workdir = Path(tmp)
        results = {}
        for teams, projects, people in sizes:
            started = time.perf_counter()
            figures = measure(teams, projects, people, workdir)
            figures["wall_seconds"] = round(time.perf_counter() - started, 1)
            results[(teams, projects, people)] = figures
            promotion = {k: v for k, v in figures["resources"].items() if k.endswith("-promotion")}
            dev = {k: v for k, v in figures["resources"].items() if "-dev-" in k and not k.endswith("-promotion")}
            print(
                f"teams={teams:3d} projects={projects:3d} people={people:4d}: synth {figures['seconds']:5.1f} s "
                f"(process {figures['wall_seconds']} s, Python RSS {figures['python_rss_mib']} MiB), "
                f"{figures['stacks']} stacks, open findings {figures['open_findings']}, "
                f"excesses {figures['excesses'] or 'none'}"
            )
            print(f"    dev stacks (resources): {dev}")
            print(f"    promotion stacks (resources): {promotion}")
            print(f"    largest template: {max(figures['template_kib'].items(), key=lambda kv: kv[1])} KiB")
            print(f"    largest managed policy: {figures['largest_managed_policy']} (IAM allows 6144)")
            print(f"    largest Lambda environment: {figures['largest_environment']} (Lambda allows 4096)")
            print(f"    EventBridge rules per account: {figures['rules_per_account']} (300 per bus by default)")
            print(f"    most outputs: {max(figures['outputs'].items(), key=lambda kv: kv[1])} (200 allowed)")
        if len(sizes) > 1:
            # Adding people moves nobody: the middle size's people, found unchanged in the largest size.
            small_size, big_size = ("-".join(map(str, size)) for size in sizes[-2:])
            small, big = sizes[-2][-1], sizes[-1][-1]
            fewer = json.loads((workdir / f"cdk.out-{small_size}" / "people.json").read_text())
            more = json.loads((workdir / f"cdk.out-{big_size}" / "people.json").read_text())
            moved = [lid for lid, (stack, _) in fewer.items() if more.get(lid, [None])[0] != stack]
            print(
                f"resources of the {small}-person road's people that changed stack or logical ID in the "
                f"{big}-person road: {len(moved)} of {len(fewer)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
