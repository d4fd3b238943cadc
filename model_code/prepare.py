"""The pipeline's Prepare step: the sales training may learn from, and the inputs Model Monitor baselines.

Runs in the SageMaker scikit-learn container as a processing job (or locally with paths):
    python -m model_code.prepare --input data/ --train out/train --baseline out/baseline
It drops the outlier sales training never sees (features.training_rows), writes them for Train, and writes
their input columns alone (no price, no identifiers, with a header) as the dataset that the Baseline step's
``suggest_baseline`` profiles: what requests to the endpoint will look like.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    from model_code import features
except ImportError:  # pragma: no cover - the container's layout
    import features  # type: ignore[no-redef]

ROOT = "/opt/ml/processing"


def main(argv: list[str] | None = None) -> dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default=f"{ROOT}/input")
    parser.add_argument("--train", default=f"{ROOT}/train")
    parser.add_argument("--baseline", default=f"{ROOT}/baseline")
    args = parser.parse_args(argv)
    raw = features.read_channel(args.input)
    kept = features.training_rows(raw)
    for directory in (args.train, args.baseline):
        Path(directory).mkdir(parents=True, exist_ok=True)
    kept.to_csv(Path(args.train) / "train.csv", index=False)
    kept[features.inputs_of(kept)].to_csv(Path(args.baseline) / "baseline.csv", index=False)
    counts = {"read": len(raw), "kept": len(kept)}
    print(counts)
    return counts


if __name__ == "__main__":
    main(sys.argv[1:])
