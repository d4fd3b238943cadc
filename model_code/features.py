"""The house-price features and model, shared by training, evaluation and serving (one definition).

Only pandas, numpy and scikit-learn: this module runs in the SageMaker scikit-learn container and must not
import the SageMaker SDK.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TARGET = "price"
DROPPED = ("Order", "PID")  # row number and parcel ID: identifiers, not features
# De Cock, who published the data, advises removing the five sales above 4,000 sq ft before modelling (three
# of them partial sales far below their value); training drops them, serving still prices any house.
OUTLIER_AREA = 4000
_QUALITY = {"Po": 1, "Fa": 2, "TA": 3, "Gd": 4, "Ex": 5}
QUALITY_COLUMNS = (
    "Exter.Qual",
    "Exter.Cond",
    "Bsmt.Qual",
    "Bsmt.Cond",
    "Heating.QC",
    "Kitchen.Qual",
    "Fireplace.Qu",
    "Garage.Qual",
    "Garage.Cond",
    "Pool.QC",
)
CATEGORICAL_NUMBERS = ("MS.SubClass", "Mo.Sold")  # numbers that name a category


def read_channel(location: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV file, or every CSV in a directory (how SageMaker hands a channel to the container)."""
    path = Path(location)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no CSV file in {path}")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def engineer(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived features; works on one row or many, and never reads the target."""
    out = frame.drop(columns=[c for c in (*DROPPED, TARGET) if c in frame.columns]).copy()
    for column in QUALITY_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(_QUALITY).astype(float)
    for column in CATEGORICAL_NUMBERS:
        if column in out.columns:
            out[column] = out[column].astype("string")
    number = lambda name: pd.to_numeric(out.get(name), errors="coerce").fillna(0)  # noqa: E731
    out["Total.SF"] = number("Total.Bsmt.SF") + number("X1st.Flr.SF") + number("X2nd.Flr.SF")
    out["Age"] = number("Yr.Sold") - number("Year.Built")
    out["Remod.Age"] = number("Yr.Sold") - number("Year.Remod.Add")
    out["Baths"] = (
        number("Full.Bath") + 0.5 * number("Half.Bath") + number("Bsmt.Full.Bath") + 0.5 * number("Bsmt.Half.Bath")
    )
    out["Porch.SF"] = sum(number(c) for c in ("Open.Porch.SF", "Enclosed.Porch", "X3Ssn.Porch", "Screen.Porch"))
    out["Qual.x.SF"] = number("Overall.Qual") * out["Total.SF"]
    for column in ("area", "Lot.Area", "Total.SF", "X1st.Flr.SF"):
        out[f"log.{column}"] = np.log1p(number(column).clip(lower=0))
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            # One representation of text and of "missing" (object, NaN), whatever pandas read the CSV into.
            out[column] = out[column].astype(object).where(out[column].notna(), np.nan)
    return out


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["area"] <= OUTLIER_AREA].reset_index(drop=True)


def schema(features: pd.DataFrame) -> dict[str, list[str]]:
    """Which input columns are numeric and which categorical: saved with the model, checked at serving."""
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    return {"numeric": numeric, "categorical": categorical}


def build_model(columns: dict[str, list[str]], kind: str = "ridge") -> Pipeline:
    """Cleaning and encoding fitted inside the pipeline (so cross-validation is honest), then the regressor.

    The model predicts log(price): errors are relative, as buyers and sellers think of them.
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False)),
        ]
    )
    prepare = ColumnTransformer(
        [("numeric", numeric, columns["numeric"]), ("categorical", categorical, columns["categorical"])]
    )
    if kind == "ridge":
        regressor = RidgeCV(alphas=np.logspace(-1, 3, 25))
    elif kind == "gbr":
        regressor = HistGradientBoostingRegressor(
            learning_rate=0.05,
            max_iter=1200,
            max_leaf_nodes=15,
            min_samples_leaf=10,
            l2_regularization=1.0,
            random_state=0,
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}: expected ridge or gbr")
    return Pipeline([("prepare", prepare), ("regress", regressor)])
