"""How long the drift job takes for a window of N captured requests, and how much memory it holds.

The records are real: held-out Ames sales priced by the real serving functions, one house per request (the worst
case per record), a third as JSON and the CSV ones alternately BASE64, in capture files of 10,000 lines. The job's
own code reads them (Tally.take, the path S3's bodies take), profiles the window in the baseline's buckets and
compares it (assess). Reading from S3 is not measured here: no S3 on this machine. The files are made in one
interpreter and measured in a fresh one that imports only the drift job, so peak memory (VmHWM) is the job's.

    .venv/bin/python bench/drift_window.py 10000 100000 1000000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]
FILE_LINES = 10_000
START = datetime(2026, 11, 26, tzinfo=UTC)


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(work: Path, records: int) -> Path:
    """Capture files of ``records`` single-house requests spread over a day, and the served baseline."""
    import uuid

    from drift_monitor import capture, profile

    from devtools import traffic
    from model_code import evaluate, inference, train

    train.main(["--train", str(ROOT / "data"), "--model-dir", str(work / "model"), "--output-data-dir", str(work)])
    # The pipeline's Evaluate step writes the baseline's rows, its Baseline step profiles them.
    evaluate.main(str(work / "model"), str(ROOT / "data"), str(work / "evaluation"), str(work / "predicted-baseline"))
    profile.main(["--input", str(work / "predicted-baseline" / "baseline.csv"), "--output", str(work / "baseline")])
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


def measure(work: Path) -> dict[str, float]:
    from drift_monitor.compare import Thresholds  # noqa: F401 - imported before the clock, as in a warm Lambda
    from drift_monitor.contract import Env
    from drift_monitor.job import Tally, Window, assess
    from drift_monitor.settings import Settings

    where = {Env.CAPTURE_BUCKET: "b", Env.CAPTURE_PREFIX: "data-capture/e/AllTraffic", Env.REPORT_BUCKET: "b"}
    settings = Settings.from_environment(
        {**where, Env.ENDPOINT: "e", Env.REPORT_PREFIX: "monitoring-reports/e", Env.WINDOW_MINUTES: "1440"}
    )
    statistics = json.loads((work / "baseline" / "statistics.json").read_text())
    constraints = json.loads((work / "baseline" / "constraints.json").read_text())
    window = Window(START, START + timedelta(days=1))
    kinds = {f["name"]: f["inferred_type"] for f in statistics["features"]}
    began = time.perf_counter()
    counted = Tally(kinds)
    for path in sorted((work / "capture").glob("*.jsonl")):
        with path.open("rb") as handle:
            counted.take(handle, window)
    read = time.perf_counter() - began
    outcome = assess(settings, window, (statistics, constraints), counted)
    total = time.perf_counter() - began
    return {
        "records": counted.records,
        "read_s": round(read, 2),
        "total_s": round(total, 2),
        "records_per_s": round(counted.records / total),
        "peak_mib": round(peak_mib()),
        "verdict": outcome.verdict,  # type: ignore[dict-item]
    }


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--prepare":
        prepare(Path(argv[1]), int(argv[2]))
        return
    if argv and argv[0] == "--measure":
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
