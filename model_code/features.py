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
# The spellings of "unknown" in a CSV cell or a JSON string; training and serving read them alike.
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None"})
MISSING_SPELLINGS = sorted(MISSING)
# Up to this many rows, plain Python beats the set-up cost of pandas and numpy machinery; serving switches
# paths here, and tests hold both paths to the same answers.
SMALL_BATCH = 64


def read_channel(location: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV file, or every CSV in a directory (how SageMaker hands a channel to the container)."""
    path = Path(location)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no CSV file in {path}")
    frames = [pd.read_csv(f, keep_default_na=False, na_values=MISSING_SPELLINGS) for f in files]
    return pd.concat(frames, ignore_index=True)


Columns = dict[str, np.ndarray]  # one array per column, all of one length: a batch of houses without pandas


def columns_of(frame: pd.DataFrame) -> Columns:
    return {str(c): frame[c].to_numpy() for c in frame.columns}


def engineer(data: pd.DataFrame | Columns) -> pd.DataFrame | Columns:
    """Derived features; one row or many, never the target. Returns the kind it was given.

    The work is done on plain arrays so that serving one house costs microseconds, not a pandas round trip;
    training hands in a DataFrame and gets one back, computed by the same code.
    """
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(engineer(columns_of(data)), index=data.index)
    rows = len(next(iter(data.values()))) if data else 0
    out = {c: _tidy(v) for c, v in data.items() if c not in (*DROPPED, TARGET)}
    for column in QUALITY_COLUMNS:
        if column in out:
            out[column] = np.array([_QUALITY.get(v, np.nan) for v in out[column]], dtype=float)
    for column in CATEGORICAL_NUMBERS:
        if column in out:
            out[column] = np.array([_category_name(v) for v in out[column]], dtype=object)

    def number(name: str) -> np.ndarray:
        values = out.get(name)
        if values is None:
            return np.zeros(rows)
        values = values.astype(float) if values.dtype.kind in "biuf" else pd.to_numeric(values, errors="coerce")
        return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)

    total = number("Total.Bsmt.SF") + number("X1st.Flr.SF") + number("X2nd.Flr.SF")
    out["Total.SF"] = total
    out["Age"] = number("Yr.Sold") - number("Year.Built")
    out["Remod.Age"] = number("Yr.Sold") - number("Year.Remod.Add")
    out["Baths"] = (
        number("Full.Bath") + 0.5 * number("Half.Bath") + number("Bsmt.Full.Bath") + 0.5 * number("Bsmt.Half.Bath")
    )
    out["Porch.SF"] = sum(number(c) for c in ("Open.Porch.SF", "Enclosed.Porch", "X3Ssn.Porch", "Screen.Porch"))
    out["Qual.x.SF"] = number("Overall.Qual") * total
    for column in ("area", "Lot.Area", "Total.SF", "X1st.Flr.SF"):
        out[f"log.{column}"] = np.log1p(number(column).clip(min=0))
    return out


def _tidy(values: np.ndarray) -> np.ndarray:
    """Numbers stay numbers; anything else becomes text or NaN (one spelling of missing, as the encoder saw)."""
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return values
    return np.array([np.nan if v is None or v is pd.NA or v != v or v in MISSING else v for v in values], dtype=object)


def _category_name(value: object) -> object:
    """MS.SubClass 20, 20.0 and "20" name one category: "20"."""
    if isinstance(value, float):
        return np.nan if value != value else str(int(value)) if value.is_integer() else str(value)
    return str(value) if isinstance(value, (int, np.integer)) else value


def inputs_of(frame: pd.DataFrame) -> list[str]:
    """The columns a request sends: everything but identifiers and the price."""
    return [str(c) for c in frame.columns if c not in (*DROPPED, TARGET)]


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["area"] <= OUTLIER_AREA].reset_index(drop=True)


def split(rows: pd.DataFrame, how: dict[str, float | int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows a model trains on and the rows held out from it. ``how`` (``test_size``, ``seed``, ``sample``) is
    what training chose; it travels in model.joblib, so evaluation splits exactly as training did."""
    from sklearn.model_selection import train_test_split  # training and evaluation only, not serving

    if how["sample"]:
        rows = rows.sample(n=min(int(how["sample"]), len(rows)), random_state=int(how["seed"])).reset_index(drop=True)
    trained_on, held_out = train_test_split(rows, test_size=float(how["test_size"]), random_state=int(how["seed"]))
    return trained_on, held_out


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
