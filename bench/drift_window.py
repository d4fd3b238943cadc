"""How long the drift job takes for a window of N captured requests, and how much memory it holds.

The records are real: held-out Ames sales priced by the real serving functions, one house per request (the worst
case per record), a third as JSON and the CSV ones alternately BASE64, in capture files of 10,000 lines. The job's
own code reads them (Tally.take, the path S3's bodies take), profiles the window in the baseline's buckets and
compares it (assess). Reading from S3 is not measured here: no S3 on this machine. The files are made in one
interpreter and measured in a fresh one that imports only the drift job and boto3, so peak memory (VmHWM) is the
job's.

Before the clock, the job is configured as the Lambda is: its environment names its serving stack, and
``Settings.serving`` reads what is served (the package and its baseline) from that stack's parameters, then
``baseline_of`` reads the baseline from S3. Both are moto's, in a moto_server child process started for the
measurement (moto in the measured process would add some 170 MiB to its peak), holding what deploying the serving
stack and a promotion leave: the data bucket with the baseline, a serving stack whose promotion parameters name
them.

    .venv/bin/python bench/drift_window.py 10000 100000 1000000
    .venv/bin/python bench/drift_window.py --prepare DIR 10000 && .venv/bin/python bench/drift_window.py --measure DIR

"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

from devtools import drift_world  # noqa: E402

FILE_LINES = 10_000
START = datetime(2026, 11, 26, tzinfo=UTC)
# The prod account the job runs in, as the drift tests lay it: devtools/drift_world.py.


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(work: Path, records: int) -> Path:
    """Capture files of ``records`` single-house requests spread over a day, and the served baseline."""
    import uuid

    from drift_monitor import capture

    from devtools import traffic
    from devtools.moto_road import Evidence
    from model_code import inference

    Evidence.trained(work)  # the pipeline's steps: the model in work/model, its baseline in work/out/baseline
    model = inference.model_fn(str(work / "model"))
    houses = traffic.held_out(ROOT / "data")
    # One priced request per held-out house, reused with fresh event ids and times: the parsing is the same work.
    singles = []
    for index in range(len(houses)):
        row = houses.iloc[[index]]
        body = row[list(model["inputs"])].to_csv(index=False)
        priced = inference.predict_fn(inference.input_fn(body, "text/csv"), model)
        singles.append((body, json.loads(inference.output_fn(priced, "application/json")[0])["predictions"]))
    files = work / "capture"
    files.mkdir()
    step = timedelta(seconds=86_400 / records)
    for first in range(0, records, FILE_LINES):
        lines = []
        for number in range(first, min(first + FILE_LINES, records)):
            body, predictions = singles[number % len(singles)]
            lines.append(
                capture.encode(
                    body,
                    predictions,
                    event_id=str(uuid.uuid4()),
                    inference_time=START + step * number,
                    base64_request=number % 2 == 1,
                )
            )
        (files / f"{first:09d}.jsonl").write_text("\n".join(lines))
    return work


def measure(work: Path) -> dict[str, Any]:
    """Configure the job as the Lambda does (environment, then its serving stack, then the baseline from S3), then
    time the window: ``Tally.take`` over the capture files and ``assess``. AWS is whatever boto3 is pointed at:
    moto (``--measure`` starts a moto_server; a test may use ``mock_aws``)."""
    import boto3
    from drift_monitor.compare import Thresholds  # noqa: F401 - imported before the clock, as in a warm Lambda
    from drift_monitor.contract import Env
    from drift_monitor.job import Tally, Window, assess, baseline_of
    from drift_monitor.settings import Settings

    from devtools.drift_world import REGION, STACK, environment, serve

    cloudformation = boto3.client("cloudformation", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    serve(work / "out" / "baseline", s3, cloudformation)
    settings = Settings.from_environment(environment(**{Env.WINDOW_MINUTES: "1440"})).serving(cloudformation)
    if settings is None:
        raise RuntimeError(f"{STACK} serves no package with a baseline")
    baseline = baseline_of(s3, settings)
    if baseline is None:
        raise RuntimeError(f"{STACK}: no baseline read")
    statistics = baseline[0]
    window = Window(START, START + timedelta(days=1))
    kinds = {f["name"]: f["inferred_type"] for f in statistics["features"]}
    before = peak_mib()
    began = time.perf_counter()
    counted = Tally(kinds)
    for path in sorted((work / "capture").glob("*.jsonl")):
        with path.open("rb") as handle:
            counted.take(handle, window)
    read = time.perf_counter() - began
    outcome = assess(settings, window, baseline, counted)
    total = time.perf_counter() - began
    return {
        "records": counted.records,
        "read_s": round(read, 2),
        "total_s": round(total, 2),
        "records_per_s": round(counted.records / total),
        "peak_mib": round(peak_mib()),
        "peak_before_window_mib": round(before),
        "verdict": outcome.verdict,
        "served_package": settings.served_package,
    }


@contextmanager
def moto_server() -> Iterator[None]:
    """moto_server in a child process on 127.0.0.1, this process's boto3 pointed at it with dummy credentials (never
    an account's), always stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto_server did not start on port {port}")
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION=drift_world.REGION,
        )
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(name, None)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--prepare":
        prepare(Path(argv[1]), int(argv[2]))
        return
    if argv and argv[0] == "--measure":
        with moto_server():
            print(json.dumps(measure(Path(argv[1]))))
        return
    for size in argv or ["10000", "100000"]:
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, __file__, "--prepare", folder, size], capture_output=True, check=True)
            out = subprocess.run(
                [sys.executable, __file__, "--measure", folder], capture_output=True, text=True, check=True
            )
            print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
