"""Target-aware features: one shared block plus one block per target seen in training.

``[x, w * x * 1(target == t1), w * x * 1(target == t2), ...]`` (feature
augmentation): the shared weights learn what signals stance toward any target,
each target's block learns what is particular to it (for example that praise of
Kyiv is FAVOR toward Ukraine). ``weight`` (w, ``stance.target_weight``) sets how
cheap the per-target weights are next to the shared ones under the head's L2
penalty: w > 1 lets each target depart further from the shared weights. A
target never seen in training gets zeros in every target block, so it is
classified by the shared weights alone: that is the fallback for unseen
targets, and ``unseen`` counts the rows that used it.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .labels import target_key


class TargetBlocks:
    def __init__(self, weight: float = 1.0):
        self.weight = float(weight)

    def fit(self, targets: list[str]) -> "TargetBlocks":
        keys = {}
        for t in targets:
            keys.setdefault(target_key(t), t)
        self.keys_ = sorted(keys)
        self.names_ = [keys[k] for k in self.keys_]
        return self

    def index(self, targets: list[str]) -> np.ndarray:
        pos = {k: i for i, k in enumerate(self.keys_)}
        return np.array([pos.get(target_key(t), -1) for t in targets], dtype=np.int64)

    def unseen(self, targets: list[str]) -> int:
        return int((self.index(targets) < 0).sum())

    def transform(self, X, targets: list[str]):
        idx = self.index(targets)
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            blocks = [X] + [sp.diags(self.weight * (idx == j).astype(X.dtype)) @ X for j in range(len(self.keys_))]
            return sp.hstack(blocks, format="csr")
        X = np.asarray(X)
        out = np.zeros((X.shape[0], X.shape[1] * (1 + len(self.keys_))), dtype=X.dtype)
        out[:, : X.shape[1]] = X
        d = X.shape[1]
        for j in range(len(self.keys_)):
            m = idx == j
            out[m, d * (1 + j): d * (2 + j)] = self.weight * X[m]
        return out
