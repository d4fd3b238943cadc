"""Promotion time and memory against artifact size, through moto_server on 127.0.0.1.

moto runs in its own process, so the figures are the promoting process's own: wall time of one promotion and
its peak RSS (each size is promoted in a fresh interpreter). Sizes in MiB on the command line:

    .venv/bin/python bench/promotion_size.py 1 100 1024
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]


def setup(size_mib: int, workdir: Path) -> dict[str, object]:
    """Lay the road (devtools/moto_road.py) and register an approved package of ``size_mib`` in dev."""
    os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    from devtools.moto_accounts import approval_event
    from devtools.moto_road import Evidence, MotoRoad
    from devtools.synth import CONFIG_PATH, synthesize
    from model_code.registration import ENTRY_POINT
    from roadway.config import load_config

    config = load_config(CONFIG_PATH)
    synth = synthesize(config, workdir / "cdk.out", compliance=False)
    road = MotoRoad.lay(config, synth.templates, role_name="roadway-bench")
    weights = workdir / "model.joblib"  # random: gzip cannot shrink it, so the archive is about size_mib
    with weights.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(1024 * 1024))
    artifact = workdir / "model.tar.gz"  # as train.py packs it: the model, then the serving code the check opens
    with tarfile.open(artifact, "w:gz", compresslevel=1) as tar:
        tar.add(weights, arcname="model.joblib")
        tar.add(ROOT / "model_code" / ENTRY_POINT, arcname=f"code/{ENTRY_POINT}")
    weights.unlink()
    made = Evidence.made()
    arn = road.register("dev", Evidence(model=artifact, evaluation=made.evaluation))  # within test's gate
    artifact.unlink()
    road.approve("dev", arn)  # by dev's approver, another person than the author
    return {
        "event": approval_event(arn),
        "seal_event": approval_event(arn, status="PendingManualApproval"),
        "seal_env": road.environment("dev"),  # dev's function seals what dev registered
        "env": road.environment("test"),  # test's function pulls it
    }


def promote(spec_path: str) -> None:
    """Runs in a fresh interpreter: import the handler, promote once, print time and peak RSS."""
    spec = json.loads(Path(spec_path).read_text())
    os.environ.update(spec["seal_env"])
    from promote_model.handler import handler

    sealing = time.perf_counter()
    assert handler(spec["seal_event"])["status"] == "sealed"  # at registration: one streamed read of each artifact
    seal_seconds = time.perf_counter() - sealing
    os.environ.update(spec["env"])
    baseline = high_water_mib()
    start = time.perf_counter()
    outcome = handler(spec["event"])
    elapsed = time.perf_counter() - start
    peak = high_water_mib()
    assert outcome["status"] == "promoted", outcome
    print(
        json.dumps(
            {"seconds": elapsed, "seal_seconds": seal_seconds, "rss_after_import_mib": baseline, "peak_rss_mib": peak}
        )
    )


def high_water_mib() -> float:
    """This process's own peak RSS (VmHWM belongs to its memory map; ru_maxrss would carry the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(sizes: list[int]) -> None:
    from devtools.moto_road import free_port, moto_server  # in a thread of this process: setup() records who approved
    from devtools.synth import CONFIG_PATH
    from roadway.config import load_config

    with moto_server(free_port()) as endpoint:
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": load_config(CONFIG_PATH).region,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
        os.environ.update(env)
        print("| artifact | seal at registration | promotion time | peak RSS of the promoting process (after import) |")
        print("| --- | --- | --- | --- |")
        for size in sizes:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
            with tempfile.TemporaryDirectory() as work:
                spec = setup(size, Path(work))
                spec_file = Path(work) / "spec.json"
                spec_file.write_text(json.dumps(spec))
                result = subprocess.run(
                    [sys.executable, __file__, "--promote", str(spec_file)],
                    env={**env, **spec["env"]},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode:
                    raise SystemExit(result.stderr[-3000:])
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                print(
                    f"| {size} MiB | {figures['seal_seconds']:.2f} s | {figures['seconds']:.2f} s "
                    f"| {figures['peak_rss_mib']:.0f} MiB "
                    f"({figures['rss_after_import_mib']:.0f} MiB) |",
                    flush=True,
                )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--promote"]:
        promote(sys.argv[2])
    else:
        main([int(a) for a in sys.argv[1:]] or [1, 100, 1024])
