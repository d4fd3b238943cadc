"""5-fold cross-validated RMSE of log(price) for both model options, preprocessing fitted inside each fold.

.venv/bin/python bench/model_quality.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold, cross_val_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model_code.features import build_model, engineer, read_channel, schema, training_rows

raw = training_rows(read_channel(Path(__file__).resolve().parents[1] / "data" / "ames.csv"))
features, target = engineer(raw), np.log(raw["price"])
print("| model | 5-fold CV RMSE of log(price) | fold spread | seconds |")
print("| --- | --- | --- | --- |")
for kind in ("ridge", "gbr"):
    start = time.perf_counter()
    scores = -cross_val_score(
        build_model(schema(features), kind),
        features,
        target,
        cv=KFold(5, shuffle=True, random_state=0),
        scoring="neg_root_mean_squared_error",
    )
    print(
        f"| {kind} | {scores.mean():.4f} | {scores.min():.4f}-{scores.max():.4f} | {time.perf_counter() - start:.1f} |"
    )
