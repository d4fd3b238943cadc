"""Serving speed through input_fn -> predict_fn -> output_fn with the model loaded, as the container runs it;
the explained answer beside the plain one, and the Governance step's time on the held-out sales.

.venv/bin/python bench/inference_speed.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from model_code import governance, inference, train  # noqa: E402


def serve(model: dict, body: str, content_type: str, accept: str = inference.JSON) -> str:
    return inference.output_fn(inference.predict_fn(inference.input_fn(body, content_type), model), accept)[0]


def timed(model: dict, body: str, content_type: str, repeat: int, accept: str = inference.JSON) -> list[float]:
    for _ in range(min(repeat, 20)):
        serve(model, body, content_type, accept)  # warm-up (the first explained request builds the explainer)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        serve(model, body, content_type, accept)
        times.append(time.perf_counter() - start)
    return sorted(times)


def main() -> None:
    houses = pd.read_csv(ROOT / "data" / "ames.csv").drop(columns=["Order", "PID", "price"])
    one_json = json.dumps(json.loads(houses.iloc[:1].to_json(orient="records"))[0])
    one_csv = houses.iloc[:1].to_csv(index=False)
    batch = pd.concat([houses] * 4, ignore_index=True).iloc[:10_000].to_csv(index=False)
    print("| model | request | median | p95 (max for batches) |")
    print("| --- | --- | --- | --- |")
    for kind in ("ridge", "gbr"):
        with tempfile.TemporaryDirectory() as work:
            train.main(
                [
                    "--train",
                    str(ROOT / "data"),
                    "--model-dir",
                    f"{work}/m",
                    "--output-data-dir",
                    f"{work}/o",
                    "--model",
                    kind,
                ]
            )
            model = inference.model_fn(f"{work}/m")
            started = time.perf_counter()
            governance.main(["--model-dir", f"{work}/m", "--data-dir", str(ROOT / "data"), "--output-dir", f"{work}/g"])
            print(f"| {kind} | Governance step, 585 held-out sales | {time.perf_counter() - started:.2f} s | once |")
            first = time.perf_counter()
            serve(model, one_csv, "text/csv", inference.EXPLAINED)
            took = time.perf_counter() - first
            print(f"| {kind} | first explained request (builds the explainer) | {took:.3f} s | once |")
        for label, body, content_type, repeat, accept in (
            ("1 row, JSON", one_json, "application/json", 1000, inference.JSON),
            ("1 row, CSV", one_csv, "text/csv", 1000, inference.JSON),
            ("1 row, CSV, explained", one_csv, "text/csv", 200, inference.EXPLAINED),
            ("10,000 rows, CSV", batch, "text/csv", 5, inference.JSON),
        ):
            times = timed(model, body, content_type, repeat, accept)
            tail = times[-1] if repeat < 20 else times[int(len(times) * 0.95)]
            unit, scale = ("s", 1) if repeat < 20 else ("ms", 1000)
            print(f"| {kind} | {label} | {statistics.median(times) * scale:.3f} {unit} | {tail * scale:.3f} {unit} |")


if __name__ == "__main__":
    main()
