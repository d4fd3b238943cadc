"""Cold import of the promotion handler, as Lambda pays it on a cold start, against the floor every boto3 function
pays: ``import boto3`` and two clients (median of fresh interpreters, taken in turn).

.venv/bin/python bench/lambda_cold_import.py [runs]

The handler's import must stay within 1.5x of that floor (issue 16): Powertools and Roadway's own modules on top of
boto3, and nothing heavy (sagemaker, pandas, numpy, the CDK).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
HEAVY = "print(int(any(m.split('.')[0] in ('sagemaker', 'pandas', 'numpy', 'aws_cdk') for m in sys.modules)))"
HANDLER = (
    f"import time, sys; t = time.perf_counter(); import promote_model.handler; print(time.perf_counter() - t); {HEAVY}"
)
FLOOR = (
    "import time, sys; t = time.perf_counter(); import boto3; "
    "boto3.client('s3', region_name='eu-west-1'); boto3.client('sagemaker', region_name='eu-west-1'); "
    f"print(time.perf_counter() - t); {HEAVY}"
)


def _once(code: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", code], cwd=LAMBDAS, capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.split()
    return float(seconds), int(heavy)


def main(runs: int) -> None:
    handler, floor, heavy = [], [], 0
    for _ in range(runs):
        seconds, found = _once(HANDLER)
        handler.append(seconds)
        heavy |= found
        floor.append(_once(FLOOR)[0])
    ratio = statistics.median(handler) / statistics.median(floor)
    print(f"runs={runs} handler median={statistics.median(handler) * 1000:.0f} ms max={max(handler) * 1000:.0f} ms")
    print(f"boto3 + two clients median={statistics.median(floor) * 1000:.0f} ms; handler/floor = {ratio:.2f}")
    print(f"heavy modules imported: {'yes' if heavy else 'no'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
