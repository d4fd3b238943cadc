"""Serving speed through input_fn -> predict_fn -> output_fn with the model loaded, as the container runs it.

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
from model_code import inference, train  # noqa: E402


def serve(model: dict, body: str, content_type: str) -> str:
    return inference.output_fn(inference.predict_fn(inference.input_fn(body, content_type), model), "application/json")[
        0
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        train.main(["--train", str(ROOT / "data"), "--model-dir", f"{work}/model", "--output-data-dir", f"{work}/out"])
        model = inference.model_fn(f"{work}/model")
    houses = pd.read_csv(ROOT / "data" / "ames.csv").drop(columns=["Order", "PID", "price"])
    one = json.dumps(json.loads(houses.iloc[:1].to_json(orient="records"))[0])
    batch = pd.concat([houses] * 4, ignore_index=True).iloc[:10_000].to_csv(index=False)
    for _ in range(20):
        serve(model, one, "application/json")  # warm-up
    singles = []
    for _ in range(500):
        start = time.perf_counter()
        serve(model, one, "application/json")
        singles.append(time.perf_counter() - start)
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        serve(model, batch, "text/csv")
        batches.append(time.perf_counter() - start)
    print("| request | median | p95 / max |")
    print("| --- | --- | --- |")
    singles.sort()
    print(
        f"| 1 row, JSON | {statistics.median(singles) * 1000:.2f} ms "
        f"| {singles[int(len(singles) * 0.95)] * 1000:.2f} ms |"
    )
    print(f"| 10,000 rows, CSV | {statistics.median(batches):.3f} s | {max(batches):.3f} s |")


if __name__ == "__main__":
    main()
