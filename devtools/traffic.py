"""Real traffic for the drift job (the demo, the tests and the bench): the shipped Ames sales that training kept
aside, priced by the real serving functions, written as SageMaker's data capture writes them.

A development tool, like the demo: nothing installed imports it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from drift_monitor import capture
from sklearn.model_selection import train_test_split

from model_code import features, inference

ROOT = Path(__file__).resolve().parents[1]
HOUSES_PER_REQUEST = 5
# The shift the drift tests and the demo apply: 30 % bigger houses (living area and both floors), a
# neighbourhood that never occurred for a third of them, and a fifth of the garage areas unknown.
BIGGER = ("area", "X1st.Flr.SF", "X2nd.Flr.SF")
NEW_NEIGHBOURHOOD = "Atlantis"
NEW_NEIGHBOURHOOD_SHARE = 0.3
MISSING_GARAGE_SHARE = 0.2


def held_out(data: Path = ROOT / "data") -> pd.DataFrame:
    """The sales train.py kept aside (its split and seed): requests the baseline has never seen."""
    raw = features.training_rows(features.read_channel(data))
    _, kept_aside = train_test_split(raw, test_size=0.2, random_state=0)
    return kept_aside.reset_index(drop=True)


def shifted(frame: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in BIGGER:
        out[column] = (out[column] * 1.3).round()
    out["Neighborhood"] = out["Neighborhood"].astype(object)
    out.loc[rng.random(len(out)) < NEW_NEIGHBOURHOOD_SHARE, "Neighborhood"] = NEW_NEIGHBOURHOOD
    out["Garage.Area"] = out["Garage.Area"].astype(object)
    out.loc[rng.random(len(out)) < MISSING_GARAGE_SHARE, "Garage.Area"] = None
    return out


def capture_lines(
    model: dict[str, Any], frame: pd.DataFrame, start: datetime, *, every: int = 3, explained_every: int = 0
) -> list[str]:
    """Capture lines for the houses, HOUSES_PER_REQUEST per request one second apart, priced by the serving code.

    Every ``every``-th request is JSON, and every other CSV one's body is captured as BASE64, as SageMaker does for
    content types outside the capture config's lists. Every ``explained_every``-th request (0: none) asks for the
    explained answer, captured as the endpoint gave it.
    """
    # Each request's body is cut from one rendering of the whole frame: rendering batch by batch (a DataFrame per
    # request, each written to CSV or records) was two thirds of the time, and gives the same text.
    table = frame[features.inputs_of(frame)]
    header, *rows = table.to_csv(index=False).split("\n")[:-1]
    if len(rows) != len(table):
        raise ValueError("a value spans lines in CSV: the requests cannot be cut from one rendering")
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in table.to_dict("records")]
    lines = []
    for number, first in enumerate(range(0, len(frame), HOUSES_PER_REQUEST)):
        last = first + HOUSES_PER_REQUEST
        if number % every == 0:
            body, kind = json.dumps(records[first:last], default=float), capture.JSON
        else:
            body, kind = "".join(f"{line}\n" for line in [header, *rows[first:last]]), capture.CSV
        accept = capture.EXPLAINED if explained_every and number % explained_every == 0 else capture.JSON
        answer, _ = inference.output_fn(inference.predict_fn(inference.input_fn(body, kind), model), accept)
        lines.append(
            capture.encode(
                body,
                json.loads(answer)["predictions"],
                event_id=str(uuid.uuid4()),
                inference_time=start + timedelta(seconds=number),
                request_type=kind,
                response_type=accept,
                base64_request=number % 2 == 1 and kind == capture.CSV,
                response_body=answer if accept == capture.EXPLAINED else None,
            )
        )
    return lines


def capture_key(prefix: str, hour: datetime) -> str:
    """Where SageMaker writes a capture file of that hour (its name: minute, second and a random part)."""
    return f"{prefix}/{hour.strftime('%Y/%m/%d/%H')}/{hour.strftime('%M-%S')}-{uuid.uuid4()}.jsonl"
