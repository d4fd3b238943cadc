"""Hold-out metrics of a trained model, in the model-metrics JSON that registration attaches to a package, and the
drift baseline's rows: the inputs training saw, with what the model answers for them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

try:
    from model_code import features
except ImportError:  # pragma: no cover - the container's layout
    import features  # type: ignore[no-redef]


# The model's answer as a column of the drift baseline (lambdas/drift_monitor/profile.py PREDICTION; a test holds
# them equal): the drift job compares the endpoint's responses with it.
PREDICTION = "prediction"


def baseline_rows(model: Any, rows: pd.DataFrame) -> pd.DataFrame:
    """What requests to the endpoint look like (every input column, as sent) and the price it answers."""
    baseline = rows[features.inputs_of(rows)].copy()
    baseline[PREDICTION] = np.round(np.exp(model.predict(features.engineer(rows))), 2)
    return baseline


def regression_metrics(model: Any, held_out: pd.DataFrame) -> dict[str, float | int]:
    """RMSE of log price (what the model optimises), MAE in dollars (what people feel), and R² of log price."""
    truth = np.log(held_out[features.TARGET].to_numpy())
    predicted = model.predict(features.engineer(held_out))
    residual = truth - predicted
    dollars = np.abs(np.exp(truth) - np.exp(predicted))
    return {
        "rmse_log": float(np.sqrt(np.mean(residual**2))),
        "rmse_log_std": float(np.std(np.abs(residual))),
        "mae_dollars": float(dollars.mean()),
        "mae_dollars_std": float(dollars.std()),
        "r2_log": float(1 - np.sum(residual**2) / np.sum((truth - truth.mean()) ** 2)),
        "held_out_rows": len(held_out),  # a count: an integer in the JSON
    }


def as_model_metrics(metrics: dict[str, float | int]) -> dict[str, Any]:
    """SageMaker's regression_metrics layout; rmse_log is named explicitly for the promotion gate. R² has no
    standard deviation of its own (it is one figure of the whole split), so it carries none rather than "NaN",
    which JSON readers take for a string."""
    return {
        "regression_metrics": {
            "rmse": {"value": metrics["rmse_log"], "standard_deviation": metrics["rmse_log_std"]},
            "rmse_log": {"value": metrics["rmse_log"], "standard_deviation": metrics["rmse_log_std"]},
            "mae": {"value": metrics["mae_dollars"], "standard_deviation": metrics["mae_dollars_std"]},
            "r2": {"value": metrics["r2_log"]},
        }
    }


def load(model_dir: str) -> dict[str, Any]:
    """model.joblib from the training job's output: model.tar.gz as a processing step gets it, or unpacked."""
    import tarfile
    from pathlib import Path

    import joblib

    archive = Path(model_dir) / "model.tar.gz"
    if archive.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
    return dict(joblib.load(Path(model_dir) / "model.joblib"))


def main(
    model_dir: str = "/opt/ml/processing/model",
    data_dir: str = "/opt/ml/processing/data",
    output_dir: str = "/opt/ml/processing/evaluation",
    baseline_dir: str = "/opt/ml/processing/predicted-baseline",
) -> dict[str, Any]:
    """The pipeline's Evaluate step: the trained model on the same held-out split training used, and the drift
    baseline's rows (the training split with the model's answers) for the Baseline step to profile."""
    import json
    from pathlib import Path

    bundle = load(model_dir)
    model = bundle["pipeline"]
    raw = features.training_rows(features.read_channel(data_dir))
    trained_on, held_out = features.split(raw, bundle["split"])  # as training split them
    report = as_model_metrics(regression_metrics(model, held_out))
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    (Path(output_dir) / "evaluation.json").write_text(json.dumps(report, indent=2))
    Path(baseline_dir).mkdir(parents=True, exist_ok=True)
    baseline_rows(model, trained_on).to_csv(Path(baseline_dir) / "baseline.csv", index=False)
    return report


if __name__ == "__main__":
    main()
