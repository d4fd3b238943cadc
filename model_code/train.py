"""Train the house-price model, SageMaker script mode or locally.

    python -m model_code.train --train data/ --model-dir out/model --output-data-dir out/output
In the SageMaker scikit-learn container the same file runs as the entry point, reading SM_CHANNEL_TRAIN,
SM_MODEL_DIR and SM_OUTPUT_DATA_DIR. It writes model.joblib (pipeline and input schema), the serving code and the
evaluation on a held-out split (evaluation.json). No training rows go into the model directory: SageMaker packs it
into model.tar.gz, which is served and copied between accounts. The drift baseline's rows (the training inputs and
the model's answers) are the pipeline's Evaluate step's to write (evaluate.main, its predicted-baseline output).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import joblib
import numpy as np

try:  # as a package (python -m model_code.train) or as the container's entry-point script
    from model_code import evaluate, features
    from model_code.registration import SERVING_CODE
except ImportError:  # pragma: no cover - the container's layout (the whole of model_code/ is its source_dir)
    import evaluate  # type: ignore[no-redef]
    import features  # type: ignore[no-redef]
    from registration import SERVING_CODE  # type: ignore[no-redef]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "data"))
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "out/model"))
    parser.add_argument("--output-data-dir", default=os.environ.get("SM_OUTPUT_DATA_DIR", "out/output"))
    parser.add_argument("--model", choices=("ridge", "gbr"), default="ridge")
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=0, help="train on this many rows only (tests); 0 = all")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    raw = features.training_rows(features.read_channel(args.train))
    how = {"test_size": args.test_size, "seed": args.seed, "sample": args.sample}
    train, held_out = features.split(raw, how)
    inputs = features.inputs_of(raw)
    engineered = features.engineer(train)
    columns = features.schema(engineered)
    # Progress on stderr (the job's log; stdout's last line is the metrics): gbr takes about a minute on 2 cores.
    expected = " (about a minute on 2 cores)" if args.model == "gbr" else ""
    print(f"training {args.model} on {len(train)} sales{expected} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    model = features.build_model(columns, args.model).fit(engineered, np.log(train[features.TARGET]))
    print(f"trained {args.model} in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)

    model_dir, output_dir = Path(args.model_dir), Path(args.output_data_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    numeric_inputs = [c for c in inputs if c in columns["numeric"] and c not in features.QUALITY_COLUMNS]
    # A number the training data always had: an empty one would be imputed from the others' median, a guess the
    # model never learnt to make (an unknown area priced a 210k house at 58k). Serving refuses it instead.
    required_inputs = [c for c in numeric_inputs if bool(raw[c].notna().all())]
    joblib.dump(
        {
            "pipeline": model,
            "inputs": inputs,
            "numeric_inputs": numeric_inputs,
            "required_inputs": required_inputs,
            "kind": args.model,
            "split": how,
            # The training rows' design-matrix mean: what a linear model's SHAP values are measured from (explain.py).
            "background": model.named_steps["prepare"].transform(engineered).mean(axis=0),
        },
        model_dir / "model.joblib",
    )
    # The serving code travels inside model.tar.gz (SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code).
    code = model_dir / "code"
    code.mkdir(exist_ok=True)
    for module in SERVING_CODE:
        shutil.copyfile(Path(__file__).with_name(module), code / module)
    metrics = evaluate.regression_metrics(model, held_out)
    report = evaluate.as_model_metrics(metrics)
    for directory in (model_dir, output_dir):
        (directory / "evaluation.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({"model": args.model, "rows": len(train), **metrics}))
    return metrics


if __name__ == "__main__":
    main(sys.argv[1:])
