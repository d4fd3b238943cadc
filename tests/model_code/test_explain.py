"""SHAP values of both models: the tree algorithm against the definition, and every explanation adding up.

Under the serving image's libraries (serving_venv.py): the trees are read from the fitted estimator's own arrays.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from model_code import features
from model_code.explain import Explainer, NotExplainable, _TreeShap, top
from model_code.scoring import Scorer, _Forest
from tests.model_code.serving_venv import in_the_serving_venv

pytestmark = in_the_serving_venv

ROOT = Path(__file__).resolve().parents[2]


def _path_dependent_value(forest: _Forest, x: np.ndarray, coalition: set[int]) -> float:
    """The game Tree SHAP explains, straight from its definition (Lundberg et al., algorithm 1): a feature in the
    coalition follows the house; one outside it follows both branches, weighted by the training rows of each."""

    def walk(node: int) -> float:
        if forest.left[node] == node:
            return float(forest.value[node])
        column = int(forest.feature[node])
        left, right = int(forest.left[node]), int(forest.right[node])
        if column in coalition:
            value = x[column]
            goes_left = forest.missing_left[node] if math.isnan(value) else value <= forest.threshold[node]
            return walk(left if goes_left else right)
        return (forest.count[left] * walk(left) + forest.count[right] * walk(right)) / forest.count[node]

    return forest.baseline + sum(walk(int(root)) for root in forest.roots)


def _shapley(forest: _Forest, x: np.ndarray) -> np.ndarray:
    """Every coalition, weighted as Shapley weighted them: exponential, so only for a few features."""
    players = len(x)
    out = np.zeros(players)
    for i in range(players):
        others = [j for j in range(players) if j != i]
        for size in range(players):
            weight = math.factorial(size) * math.factorial(players - size - 1) / math.factorial(players)
            for coalition in itertools.combinations(others, size):
                with_i = _path_dependent_value(forest, x, {*coalition, i})
                out[i] += weight * (with_i - _path_dependent_value(forest, x, set(coalition)))
    return out


def test_tree_shap_is_the_shapley_value_of_the_path_dependent_game() -> None:
    """Five features, one of them with gaps (the missing-value branch), features repeated along paths."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    x[rng.random(400) < 0.15, 2] = np.nan
    y = 2 * x[:, 0] + np.nan_to_num(x[:, 2]) * x[:, 1] + np.sin(3 * x[:, 0]) + 0.1 * rng.normal(size=400)
    regressor = HistGradientBoostingRegressor(max_iter=6, max_leaf_nodes=8, min_samples_leaf=5).fit(x, y)
    forest = _Forest.of(regressor)
    assert forest is not None
    trees = _TreeShap.of(forest)
    repeated = any(len(set(row[trees.used[i]])) < trees.step_real[i].sum() for i, row in enumerate(trees.feature))
    assert repeated, "no path splits twice on one feature: the repeated-feature case is not exercised"
    houses = x[:8]
    got = trees.contributions(houses)
    want = np.array([_shapley(forest, house) for house in houses])
    assert np.abs(got - want).max() < 1e-9
    assert trees.expected == pytest.approx(_path_dependent_value(forest, houses[0], set()), abs=1e-12)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return features.training_rows(features.read_channel(ROOT / "data"))


@pytest.mark.parametrize("kind", ["ridge", "gbr"])
def test_contributions_add_up_to_the_prediction_minus_the_expected_value(kind: str, sales: pd.DataFrame) -> None:
    sample = sales.sample(n=600, random_state=2)
    engineered = features.engineer(sample)
    pipeline = features.build_model(features.schema(engineered), kind)
    if kind == "gbr":
        pipeline.set_params(regress__max_iter=80)  # the algorithm is under test, not the fit
    pipeline.fit(engineered, np.log(sample["price"]))
    background = pipeline.named_steps["prepare"].transform(engineered).mean(axis=0)
    scorer = Scorer.of(pipeline)
    explainer = Explainer.of(scorer, background)
    others = sales.drop(sample.index).head(40)  # houses the model never saw
    matrix = scorer.matrix(features.engineer(features.columns_of(others)))
    contributions = explainer.contributions(matrix)
    predicted = pipeline.predict(features.engineer(others))
    assert contributions.shape == (40, len(explainer.names))
    assert np.abs(contributions.sum(axis=1) + explainer.expected - predicted).max() < 1e-6
    # A categorical feature is one contribution: its one-hot columns summed.
    assert "Neighborhood" in explainer.names and explainer.names.count("Neighborhood") == 1
    if kind == "ridge":
        # Exact for a linear model: the expected value is the model at the training mean, and each feature's share
        # is its coefficients times the house's deviation from that mean.
        regressor = pipeline.named_steps["regress"]
        assert explainer.expected == pytest.approx(regressor.predict(background[None])[0], abs=1e-9)
        column = explainer.names.index("Overall.Qual")
        assert contributions[:, column] == pytest.approx(
            regressor.coef_[column] * (matrix[:, column] - background[column])
        )


def test_a_linear_model_without_its_training_mean_is_not_explained(trained: dict[str, Any]) -> None:
    scorer = trained["model"]["scorer"]
    with pytest.raises(NotExplainable, match="trained before explanations"):
        Explainer.of(scorer, None)


def test_top_orders_by_size_whatever_the_sign() -> None:
    assert top(["a", "b", "c"], np.array([0.1, -0.3, 0.2]), 2) == [("b", -0.3), ("c", 0.2)]
