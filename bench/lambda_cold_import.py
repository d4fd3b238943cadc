"""Cold import of the promotion handler, as Lambda pays it on a cold start (median of fresh interpreters).

.venv/bin/python bench/lambda_cold_import.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
CODE = (
    "import time; t = time.perf_counter(); import promote_model.handler; "
    "print(time.perf_counter() - t); import sys; "
    "print(int(any(m.split('.')[0] in ('sagemaker', 'pandas', 'numpy', 'aws_cdk') for m in sys.modules)))"
)


def main(runs: int) -> None:
    times, heavy = [], 0
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CODE], cwd=LAMBDAS, capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        heavy |= int(out[1])
    print(f"runs={runs} median={statistics.median(times) * 1000:.0f} ms max={max(times) * 1000:.0f} ms")
    print(f"heavy modules imported: {'yes' if heavy else 'no'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
