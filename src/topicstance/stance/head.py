"""The linear head: multinomial logistic regression, class-weighted.

Fitted with scikit-learn (lbfgs); kept as two arrays, ``coef_`` (classes x
features) and ``intercept_``, and applied as ``softmax(X @ coef_.T + intercept_)``.
Columns always follow :data:`topicstance.stance.CLASSES`; a class absent from
the training data gets probability 0.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from . import CLASSES


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class LinearHead:
    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", max_iter: int = 2000,
                 random_state: int = 0):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y: list[str], sample_weight=None) -> "LinearHead":
        """``sample_weight`` (per row) is used instead of ``class_weight`` when given."""
        y = np.asarray(y)
        present = [c for c in CLASSES if c in set(y)]
        cw = "balanced" if self.class_weight in ("balanced",) and sample_weight is None else None
        lr = LogisticRegression(C=self.C, class_weight=cw, max_iter=self.max_iter, tol=1e-4,
                                random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(did not converge|lbfgs failed).*")
            lr.fit(X, y, sample_weight=sample_weight)
        coef = np.zeros((len(CLASSES), X.shape[1]), dtype=np.float64)
        b = np.full(len(CLASSES), -1e4, dtype=np.float64)  # an absent class never wins
        cls = list(lr.classes_)
        if len(cls) == 2:  # binary LR keeps one weight vector for the second class
            i0, i1 = CLASSES.index(cls[0]), CLASSES.index(cls[1])
            coef[i0], b[i0] = -0.5 * lr.coef_[0], -0.5 * lr.intercept_[0]
            coef[i1], b[i1] = 0.5 * lr.coef_[0], 0.5 * lr.intercept_[0]
        else:
            for j, c in enumerate(cls):
                coef[CLASSES.index(c)], b[CLASSES.index(c)] = lr.coef_[j], lr.intercept_[j]
        self.coef_, self.intercept_, self.classes_present_ = coef, b, present
        return self

    def decision(self, X) -> np.ndarray:
        z = X @ self.coef_.T
        z = np.asarray(z.todense() if sp.issparse(z) else z)
        return z + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.decision(X))
