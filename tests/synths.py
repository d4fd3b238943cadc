"""One synth of each config per test run, shared by pytest's workers (devtools/synth.py makes it)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os

import pytest

from devtools.synth import Synth, synthesize
from roadway.config import RoadwayConfig


def shared_synth(
    config: RoadwayConfig,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    compliance: bool = True,
    stage_assets: bool = False,
) -> Synth:
    """One synth of each config per run, by whichever worker needs it first: the other waits for it and reads its
    assembly (xdist's workers share the run's base temporary folder). Without xdist, a synth of this session.
    ROADWAY_SPEEDUPS=0 keeps this: both workers would build the same assembly, 20-40 s each on two cores."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return synthesize(config, tmp_path_factory.mktemp("synth"), compliance=compliance, stage_assets=stage_assets)
    root = tmp_path_factory.getbasetemp().parent
    key = hashlib.sha256(f"{compliance}:{stage_assets}:{config.model_dump_json()}".encode()).hexdigest()[:16]
    outdir = root / f"synth-{key}"
    with (root / f"synth-{key}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        saved = outdir / "roadway-tests-synth.json"
        if saved.exists():
            read = json.loads(saved.read_text())
            return Synth(outdir=outdir, templates=read["templates"], report=read["report"])
        made = synthesize(config, outdir, compliance=compliance, stage_assets=stage_assets)
        saved.write_text(json.dumps({"templates": made.templates, "report": made.report}))
        return made
