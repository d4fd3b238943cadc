"""Why the model priced a house as it did: SHAP values, exact for both models the road trains.

Each feature's contribution is in log-price units, and they add up to the model's log price minus its expected
value (the average answer): ``exp(contribution)`` is the factor that feature multiplied the price by. Features are
the model's own (the engineered columns of features.py); a categorical column's one-hot columns are summed into it.

- **Ridge** (a linear model): the contribution of a design column is its coefficient times the house's deviation
  from the training rows' mean of that column. This is the exact SHAP value of a linear model with features taken
  as independent; the mean travels in model.joblib (``background``), written at training.
- **Boosted trees**: path-dependent Tree SHAP (Lundberg et al., 2020), computed from the fitted trees. A feature
  missing from a coalition follows both branches in proportion to the training rows that went each way; the
  Shapley values of that game per leaf have a closed form (the product of per-feature factors, see
  :meth:`_TreeShap.contributions`), summed over all leaves of all trees in numpy.

Only numpy: this module travels in model.tar.gz and runs in the serving image and the pipeline's steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    from model_code.scoring import Scorer
except ImportError:  # pragma: no cover - the container's layout
    from scoring import Scorer  # type: ignore[no-redef]

ROWS_AT_ONCE = 16
"""Houses explained together: the tree arrays are (rows x leaves x path features); 16 keeps them under 40 MB."""


class NotExplainable(ValueError):
    """The model cannot be explained (trained before explanations, or a regressor the road does not train)."""


@dataclass(frozen=True)
class Explainer:
    names: list[str]
    """The model's features, in the order of the contributions' columns."""
    owner: np.ndarray
    """For each column of the design matrix, the feature it belongs to."""
    expected: float
    """The expected value in log price: what the contributions start from."""
    linear: tuple[np.ndarray, np.ndarray] | None
    trees: _TreeShap | None

    @classmethod
    def of(cls, scorer: Scorer, background: np.ndarray | None) -> Explainer:
        """``background``: the training rows' design-matrix mean (model.joblib's ``background``)."""
        names = [*scorer.numeric, *(part.column for part in scorer.categorical)]
        owner = np.zeros(scorer.width, dtype=np.intp)
        owner[: len(scorer.numeric)] = np.arange(len(scorer.numeric))
        for index, part in enumerate(scorer.categorical, start=len(scorer.numeric)):
            end = next((p.offset for p in scorer.categorical if p.offset > part.offset), scorer.width)
            owner[part.offset : end] = index
        if scorer.forest is not None:
            trees = _TreeShap.of(scorer.forest)
            return cls(names, owner, trees.expected, None, trees)
        coef = getattr(scorer.regressor, "coef_", None)
        if coef is None or np.ndim(coef) != 1:
            raise NotExplainable(f"no explanation for a {type(scorer.regressor).__name__}: expected ridge or gbr")
        if background is None or len(background) != scorer.width:
            raise NotExplainable("this model was trained before explanations (no background in model.joblib)")
        weights = np.asarray(coef, dtype=float)
        mean = np.asarray(background, dtype=float)
        expected = float(scorer.regressor.intercept_ + weights @ mean)
        return cls(names, owner, expected, (weights, mean), None)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """(houses x features), log-price units; each row sums to the log price minus :attr:`expected`."""
        if self.linear is not None:
            weights, mean = self.linear
            per_column = (matrix - mean) * weights
        else:
            assert self.trees is not None
            per_column = np.vstack(
                [self.trees.contributions(matrix[i : i + ROWS_AT_ONCE]) for i in range(0, len(matrix), ROWS_AT_ONCE)]
            )
        grouped = np.zeros((len(matrix), len(self.names)))
        np.add.at(grouped.T, self.owner, per_column.T)
        return grouped


def top(names: list[str], contributions: np.ndarray, count: int) -> list[tuple[str, float]]:
    """The ``count`` largest contributions by size, largest first (ties in the model's feature order)."""
    order = np.argsort(-np.abs(contributions), kind="stable")[:count]
    return [(names[i], float(contributions[i])) for i in order]


@dataclass(frozen=True)
class _TreeShap:
    """Every leaf of every tree with the features on its path, padded to the longest path's feature count.

    For one leaf with value ``v`` and path features ``F`` (``d`` of them), a feature ``j`` contributes two numbers:
    ``p_j``, 1 when the house follows every split on ``j`` towards the leaf, else 0, and ``q_j``, the share of
    training rows that followed those splits (the product of child-over-parent counts). The leaf's part of the
    coalition ``S``'s value is ``v * prod(p_j for j in S) * prod(q_j for j not in S)``, a product game whose
    Shapley value is ``v * (p_i - q_i) * sum_k w(k) e_k``, with ``e_k`` the coefficient of ``z**k`` in
    ``prod(q_j + p_j z for j != i)`` and ``w(k) = k! (d-k-1)! / d!``. A repeated feature is one player with its
    splits' conditions and shares multiplied, as in Tree SHAP's unwinding of a path.
    """

    expected: float
    value: np.ndarray  # (leaves,)
    feature: np.ndarray  # (leaves, slots): the design column of each path feature (0 where padded)
    share: np.ndarray  # (leaves, slots): q, 1 where padded
    used: np.ndarray  # (leaves, slots): a real path feature
    weights: np.ndarray  # (leaves, slots): w(k) for k < d, 0 beyond
    step_node: np.ndarray  # (leaves, depth): the split nodes on the path (0 where padded)
    step_left: np.ndarray  # (leaves, depth): whether the path goes left there
    step_slot: np.ndarray  # (leaves, depth, slots): which path feature each step belongs to (one-hot)
    step_real: np.ndarray  # (leaves, depth): a real step, not padding
    forest: Any

    @classmethod
    def of(cls, forest: Any) -> _TreeShap:
        paths = []  # per leaf: value, [(node, goes_left)], share per feature
        for root in forest.roots:
            stack: list[tuple[int, list[tuple[int, bool]]]] = [(int(root), [])]
            while stack:
                node, steps = stack.pop()
                if forest.left[node] == node:  # a leaf points at itself
                    paths.append((float(forest.value[node]), steps))
                    continue
                stack.append((int(forest.left[node]), [*steps, (node, True)]))
                stack.append((int(forest.right[node]), [*steps, (node, False)]))
        slots = max((len({int(forest.feature[n]) for n, _ in steps}) for _, steps in paths), default=0) or 1
        depth = max((len(steps) for _, steps in paths), default=0) or 1
        leaves = len(paths)
        value = np.zeros(leaves)
        feature = np.zeros((leaves, slots), dtype=np.intp)
        share = np.ones((leaves, slots))
        used = np.zeros((leaves, slots), dtype=bool)
        weights = np.zeros((leaves, slots))
        step_node = np.zeros((leaves, depth), dtype=np.intp)
        step_left = np.zeros((leaves, depth), dtype=bool)
        step_slot = np.zeros((leaves, depth, slots), dtype=bool)
        step_real = np.zeros((leaves, depth), dtype=bool)
        for leaf, (leaf_value, steps) in enumerate(paths):
            value[leaf] = leaf_value
            order: dict[int, int] = {}
            for k, (node, goes_left) in enumerate(steps):
                slot = order.setdefault(int(forest.feature[node]), len(order))
                child = forest.left[node] if goes_left else forest.right[node]
                share[leaf, slot] *= forest.count[child] / forest.count[node]
                step_node[leaf, k], step_left[leaf, k] = node, goes_left
                step_slot[leaf, k, slot] = step_real[leaf, k] = True
            for column, slot in order.items():
                feature[leaf, slot], used[leaf, slot] = column, True
            d = len(order)
            weights[leaf, :d] = [math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d) for k in range(d)]
        expected = forest.baseline + float(np.sum(value * share.prod(axis=1)))
        return cls(expected, value, feature, share, used, weights, step_node, step_left, step_slot, step_real, forest)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """(houses x design columns) for a few houses (:data:`ROWS_AT_ONCE`)."""
        forest = self.forest
        rows = np.arange(len(matrix))[:, None, None]
        nodes = self.step_node[None, :, :]
        values = matrix[rows, forest.feature[nodes]]
        goes_left = np.where(np.isnan(values), forest.missing_left[nodes], values <= forest.threshold[nodes])
        strays = (goes_left != self.step_left[None]) & self.step_real[None]
        follows = ~np.einsum("rlk,lks->rls", strays, self.step_slot)  # p: no stray step on that feature
        p = (follows & self.used[None]).astype(float)
        q = np.broadcast_to(self.share[None], p.shape)
        slots = p.shape[2]
        # The polynomial prod(q_j + p_j z), coefficients lowest first; padded slots are the factor 1.
        poly = np.zeros((*p.shape[:2], slots + 1))
        poly[..., 0] = 1.0
        for j in range(slots):
            shifted = np.concatenate([np.zeros((*p.shape[:2], 1)), poly[..., :-1]], axis=2)
            poly = q[..., j, None] * poly + p[..., j, None] * shifted
        out = np.zeros((len(matrix), slots, p.shape[1]))
        for i in range(slots):
            qi, pi = q[..., i], p[..., i]
            # Divide the factor (q_i + p_i z) back out: by the constant q_i when p_i is 0, else synthetically
            # from the top (C[k-1] = P[k] - q_i C[k]), which stays stable because q_i <= 1.
            rest = np.zeros((*p.shape[:2], slots))
            carry = poly[..., slots]
            for k in range(slots, 0, -1):
                rest[..., k - 1] = carry
                carry = poly[..., k - 1] - qi * carry
            rest = np.where(pi[..., None] > 0, rest, poly[..., :slots] / qi[..., None])
            total = np.sum(rest * self.weights[None], axis=2)
            out[:, i, :] = np.where(self.used[None, :, i], self.value[None] * (pi - qi) * total, 0.0)
        columns = self.feature.T.ravel()  # out[r] is (slots, leaves)
        return np.vstack(
            [np.bincount(columns, weights=out[r].ravel(), minlength=matrix.shape[1]) for r in range(len(matrix))]
        )
