"""Synth time, stack sizes and limits against the number of teams and people (`make bench`).

Each size is synthesized as `make synth` does (every stage, the compliance packs, the limits check), in a fresh
interpreter so that one size's jsii process does not carry into the next. Then the people of the middle size are
checked against the largest: adding people moved nobody (same stack, same logical ID, same definition).

    .venv/bin/python bench/synth_scale.py            # (teams, people) = (1, 2), (10, 100), (20, 500)
    .venv/bin/python bench/synth_scale.py 20:500     # one size
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
SIZES = [(1, 2), (10, 100), (20, 500)]
# Chosen once for a platform planned for 500 people (3 resources each, about 400 per stack of CloudFormation's
# 500), and kept for every size: the number is never changed implicitly, so the sizes can be compared.
PEOPLE_STACKS = 4


def config_for(teams: int, people: int) -> dict[str, Any]:
    """The shipped config with ``teams`` teams (each with a budget) and ``people`` data scientists."""
    data = yaml.safe_load((ROOT / "config" / "roadway.yaml").read_text())
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


def measure(teams: int, people: int, workdir: Path) -> dict[str, Any]:
    """Synthesize one size in a child interpreter; return its figures."""
    data = config_for(teams, people)
    path = workdir / f"config-{teams}-{people}.yaml"
    path.write_text(yaml.safe_dump(data))
    out = workdir / f"cdk.out-{teams}-{people}"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    if child.returncode:
        raise SystemExit(f"synth of {teams} teams and {people} people failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
start = time.perf_counter()
from tests.conftest import synthesize
from roadway.cdk_app import check_limits
from roadway.cloudformation_limits import policy_size
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
status = open("/proc/self/status").read()
hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
print(json.dumps({
    "seconds": round(elapsed, 1),
    "resources": {name: len(t["Resources"]) for name, t in synth.templates.items()},
    "outputs": {name: len(t.get("Outputs", {})) for name, t in synth.templates.items()},
    "template_kib": {name: round(size / 1024) for name, size in sizes.items()},
    "largest_managed_policy": largest_policy,
    "excesses": [e.line() for e in check_limits(cx_api.CloudAssembly(sys.argv[2]))],
    "open_findings": open_findings,
    "python_rss_mib": hwm // 1024,
}))
"""


def main(argv: list[str]) -> int:
    sizes = [tuple(int(x) for x in arg.split(":")) for arg in argv] or SIZES
    with tempfile.TemporaryDirectory(prefix="roadway-bench-") as tmp:
        workdir = Path(tmp)
        results = {}
        for teams, people in sizes:
            started = time.perf_counter()
            figures = measure(teams, people, workdir)
            figures["wall_seconds"] = round(time.perf_counter() - started, 1)
            results[(teams, people)] = figures
            dev = {k: v for k, v in figures["resources"].items() if "-dev-" in k}
            print(
                f"teams={teams:3d} people={people:4d}: synth {figures['seconds']:5.1f} s "
                f"(process {figures['wall_seconds']} s, Python RSS {figures['python_rss_mib']} MiB), "
                f"open findings {figures['open_findings']}, excesses {figures['excesses'] or 'none'}"
            )
            print(f"    dev stacks (resources): {dev}")
            print(f"    largest template: {max(figures['template_kib'].items(), key=lambda kv: kv[1])} KiB")
            print(f"    largest managed policy: {figures['largest_managed_policy']} (IAM allows 6144)")
            print(f"    most outputs: {max(figures['outputs'].items(), key=lambda kv: kv[1])} (200 allowed)")
        if len(sizes) > 1:
            # Adding people moves nobody: the middle size's people, found unchanged in the largest size.
            (small_teams, small), (big_teams, big) = sizes[-2], sizes[-1]
            fewer = json.loads((workdir / f"cdk.out-{small_teams}-{small}" / "people.json").read_text())
            more = json.loads((workdir / f"cdk.out-{big_teams}-{big}" / "people.json").read_text())
            moved = [lid for lid, (stack, _) in fewer.items() if more.get(lid, [None])[0] != stack]
            print(
                f"resources of the {small}-person road's people that changed stack or logical ID in the "
                f"{big}-person road: {len(moved)} of {len(fewer)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
