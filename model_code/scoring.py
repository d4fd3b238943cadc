"""The fitted scikit-learn pipeline read out into plain arrays, so that one house is priced in microseconds.

scikit-learn's ColumnTransformer validates and re-assembles a DataFrame on every call: about 20 ms for a
single row, ten times the serving budget. Imputation, scaling and one-hot encoding are, once fitted, only a
few arrays and a lookup per column; :class:`Scorer` holds those and hands the regressor the same matrix the
pipeline would have built (tests hold the two to 1e-9 on every sale in the data and on unseen categories).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

try:
    from model_code.features import SMALL_BATCH, Columns
except ImportError:  # pragma: no cover - the container's layout
    from features import SMALL_BATCH, Columns  # type: ignore[no-redef]


@dataclass(frozen=True)
class _Categorical:
    column: str
    slots: dict[Any, int]  # category -> position in the one-hot block
    unknown: int | None  # where an unseen category goes: the "infrequent" slot, or nowhere
    fill: str  # what the imputer wrote for a missing value
    offset: int
    index: Any = None  # pandas.Index of the known categories, for large batches

    def slots_of(self, values: np.ndarray) -> np.ndarray:
        """Each value's slot in the block, -1 for none. A dict per value for a few rows, a hash join for many."""
        nowhere = -1 if self.unknown is None else self.unknown
        if len(values) <= SMALL_BATCH:
            return np.array([self.slots.get(self.fill if v != v else v, nowhere) for v in values], dtype=np.intp)
        known = self.index if self.index is not None else pd.Index(list(self.slots), dtype=object)
        filled = np.where(pd.isna(values), self.fill, values)
        found = known.get_indexer(filled)
        table = np.array([*self.slots.values(), nowhere], dtype=np.intp)
        return table[found]  # -1 (not found) picks the last entry: nowhere


@dataclass(frozen=True)
class Scorer:
    numeric: list[str]
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    categorical: list[_Categorical]
    width: int
    regressor: Any
    forest: _Forest | None = None

    @classmethod
    def of(cls, pipeline: Any) -> Scorer:
        """Read the fitted steps of :func:`features.build_model` (prepare -> regress)."""
        prepare = pipeline.named_steps["prepare"]
        numeric_steps, numeric_columns = prepare.named_transformers_["numeric"], _columns(prepare, "numeric")
        imputer, scaler = numeric_steps.named_steps["impute"], numeric_steps.named_steps["scale"]
        kept = ~np.isnan(imputer.statistics_)  # the imputer drops a column that was empty in training
        numeric = [c for c, keep in zip(numeric_columns, kept, strict=True) if keep]
        width = len(numeric)

        categorical_steps = prepare.named_transformers_["categorical"]
        fill = categorical_steps.named_steps["impute"].fill_value
        encoder = categorical_steps.named_steps["encode"]
        infrequent = encoder.infrequent_categories_
        categorical = []
        for column, seen, rare in zip(_columns(prepare, "categorical"), encoder.categories_, infrequent, strict=True):
            rare_set = set() if rare is None else set(rare.tolist())
            frequent = [c for c in seen.tolist() if c not in rare_set]
            slots = {c: i for i, c in enumerate(frequent)}
            unknown = len(frequent) if rare_set else None
            slots.update(dict.fromkeys(rare_set, unknown))
            categorical.append(_Categorical(column, slots, unknown, fill, width, pd.Index(list(slots), dtype=object)))
            width += len(frequent) + (1 if rare_set else 0)
        if width != len(prepare.get_feature_names_out()):
            raise ValueError("the fitted pipeline's layout is not the one Scorer reads; rebuild Scorer.of")
        return cls(
            numeric,
            imputer.statistics_[kept],
            scaler.mean_,
            scaler.scale_,
            categorical,
            width,
            pipeline.named_steps["regress"],
            _Forest.of(pipeline.named_steps["regress"]),
        )

    def matrix(self, engineered: Columns) -> np.ndarray:
        """The design matrix the pipeline's prepare step would produce for these (engineered) houses."""
        rows = len(next(iter(engineered.values())))
        out = np.zeros((rows, self.width))
        if self.numeric:
            numbers = np.column_stack([np.asarray(engineered[c], dtype=float) for c in self.numeric])
            numbers = np.where(np.isnan(numbers), self.medians, numbers)
            out[:, : len(self.numeric)] = (numbers - self.means) / self.scales
        for part in self.categorical:
            slots = part.slots_of(engineered[part.column])
            hit = slots >= 0
            out[np.flatnonzero(hit), part.offset + slots[hit]] = 1.0
        return out

    def predict(self, engineered: Columns) -> np.ndarray:
        """log(price), as the pipeline predicts it."""
        matrix = self.matrix(engineered)
        if self.forest is not None and len(matrix) <= SMALL_BATCH:
            return self.forest.predict(matrix)
        return self.regressor.predict(matrix)


@dataclass(frozen=True)
class _Forest:
    """A fitted HistGradientBoostingRegressor's trees in flat arrays, walked all at once a level at a time.

    scikit-learn visits its 1,200 trees one Python call at a time: 7 ms for one house. Walking them together
    is 0.2 ms for a few rows; for large batches scikit-learn's own parallel code is faster, so it keeps those.
    This reads the estimator's fitted trees (``_predictors``, ``_baseline_prediction``); :meth:`of` returns
    None when they are not laid out as expected, and serving falls back to ``predict``.
    """

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int
    count: np.ndarray
    """Training rows that reached each node: Tree SHAP's shares (explain.py)."""

    @classmethod
    def of(cls, regressor: Any) -> _Forest | None:
        predictors = getattr(regressor, "_predictors", None)
        if not predictors or getattr(regressor, "n_trees_per_iteration_", 0) != 1:
            return None
        trees = [one[0].nodes for one in predictors]
        if any(tree["is_categorical"].any() for tree in trees):
            return None
        sizes = np.array([len(tree) for tree in trees])
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate(trees)
        shift = np.repeat(roots, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        itself = np.arange(len(nodes))
        # A leaf points at itself, so every tree can take the same number of steps.
        left = np.where(leaf, itself, nodes["left"].astype(np.intp) + shift)
        right = np.where(leaf, itself, nodes["right"].astype(np.intp) + shift)
        return cls(
            float(np.ravel(regressor._baseline_prediction)[0]),
            roots,
            nodes["feature_idx"].astype(np.intp),
            nodes["num_threshold"].astype(float),
            nodes["missing_go_to_left"].astype(bool),
            left,
            right,
            nodes["value"].astype(float),
            int(nodes["depth"].max()),
            nodes["count"].astype(float),
        )

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        node = np.tile(self.roots, (len(matrix), 1))
        rows = np.arange(len(matrix))[:, None]
        for _ in range(self.depth):
            values = matrix[rows, self.feature[node]]
            go_left = np.where(np.isnan(values), self.missing_left[node], values <= self.threshold[node])
            node = np.where(go_left, self.left[node], self.right[node])
        return self.baseline + self.value[node].sum(axis=1)


def _columns(prepare: Any, name: str) -> list[str]:
    return next(list(columns) for label, _, columns in prepare.transformers_ if label == name)
