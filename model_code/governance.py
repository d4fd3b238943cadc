"""The pipeline's Governance step: the bias and explainability reports of a trained model, on the held-out split.

    python -m model_code.governance --model-dir out/model --data-dir data --output-dir out/governance \
        --facet Neighborhood --facet Bldg.Type --min-group-size 20

It runs in the scikit-learn image with no network, on the same held-out sales the Evaluate step scores (the split
travels in model.joblib). It writes ``bias.json`` (model_code/bias.py) and ``explainability.json``: the mean
absolute SHAP value per feature and the expected value (model_code/explain.py), in the layout of SageMaker
Clarify's ``analysis.json``. Clarify has one key for SHAP values, ``kernel_shap``, named after its estimator;
Roadway's values are exact (not sampled), and ``roadway_explanations`` says how they were computed.
Registration attaches both as the package's ``ModelMetrics`` ``Bias`` and ``Explainability`` reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

try:
    from model_code import bias, evaluate, explain, features
    from model_code.scoring import Scorer
except ImportError:  # pragma: no cover - the container's layout
    import bias  # type: ignore[no-redef]
    import evaluate  # type: ignore[no-redef]
    import explain  # type: ignore[no-redef]
    import features  # type: ignore[no-redef]
    from scoring import Scorer  # type: ignore[no-redef]

BIAS_REPORT, EXPLAINABILITY_REPORT = "bias.json", "explainability.json"
SHAP_METHODS = {"ridge": "exact SHAP of a linear model (features independent)", "gbr": "path-dependent Tree SHAP"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default="/opt/ml/processing/model")
    parser.add_argument("--data-dir", default="/opt/ml/processing/data")
    parser.add_argument("--output-dir", default="/opt/ml/processing/governance")
    parser.add_argument(
        "--facet", action="append", default=[], help="a column to group sales by (repeat); NAME=EDGE,EDGE for bands"
    )
    parser.add_argument("--min-group-size", type=int, default=bias.DEFAULT_MIN_GROUP_SIZE)
    return parser.parse_args(argv)


def explainability(model: Any, background: Any, kind: str, rows: Any) -> dict[str, Any]:
    """Mean absolute SHAP value per feature over ``rows`` (log-price units), largest first, and the expected value."""
    scorer = Scorer.of(model)
    explainer = explain.Explainer.of(scorer, background)
    contributions = explainer.contributions(scorer.matrix(features.engineer(features.columns_of(rows))))
    overall = np.abs(contributions).mean(axis=0)
    order = np.argsort(-overall, kind="stable")
    return {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {
                "label0": {
                    "global_shap_values": {explainer.names[i]: float(overall[i]) for i in order},
                    "expected_value": explainer.expected,
                }
            }
        },
        "roadway_explanations": {
            "method": SHAP_METHODS.get(kind, kind),
            "exact": True,
            "output": "log(price)",
            "rows": len(rows),
            "description": "Each house's contributions add up to its log price minus expected_value; "
            "global_shap_values is their mean absolute value over the held-out sales.",
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    try:
        facets = [bias.Facet.parse(text) for text in args.facet]
        if args.min_group_size < 1:
            raise bias.BadFacet(f"--min-group-size {args.min_group_size}: expected 1 or more sales")
        bundle = evaluate.load(args.model_dir)
        raw = features.training_rows(features.read_channel(args.data_dir))
        trained_on, held_out = features.split(raw, bundle["split"])
        groups = {facet.spelling: facet.groups(held_out) for facet in facets}
    except bias.BadFacet as error:
        raise SystemExit(f"governance: {error}") from None
    model = bundle["pipeline"]
    predicted = np.exp(model.predict(features.engineer(held_out)))
    threshold = float(np.median(trained_on[features.TARGET]))
    reports = {
        BIAS_REPORT: bias.report(
            facets, groups, held_out[features.TARGET].to_numpy(dtype=float), predicted, threshold, args.min_group_size
        ),
        EXPLAINABILITY_REPORT: explainability(model, bundle.get("background"), bundle.get("kind", ""), held_out),
    }
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, document in reports.items():
        (out / name).write_text(json.dumps(document, indent=2))
    return reports


if __name__ == "__main__":
    main(sys.argv[1:])
