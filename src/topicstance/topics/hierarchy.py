"""A merge tree over topics and ``cut(K)``.

The tree is Ward's agglomerative clustering of the topics, each a point at its
mean embedding weighted by its size: the next merge is always the pair whose
union raises the within-topic sum of squares least. Leaves are topic ids;
``merges`` rows are ``(left, right, distance, size)`` with node numbers as in
SciPy (leaf i = ``ids[i]``, internal node T+j = merge j). NumPy only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .outliers import OUTLIER


def ward_tree(means: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``(T-1, 4)`` merge rows for topics with mean vectors ``means`` and ``sizes``."""
    T = len(sizes)
    if T < 2:
        return np.zeros((0, 4), dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64).copy()
    n = np.asarray(sizes, dtype=np.float64).copy()
    node = np.arange(T)
    alive = np.ones(T, dtype=bool)

    def cost(i, js):
        d2 = ((mu[js] - mu[i]) ** 2).sum(axis=1)
        return 2.0 * n[i] * n[js] / (n[i] + n[js]) * d2

    D = np.full((T, T), np.inf)
    for i in range(T):
        D[i, i + 1:] = cost(i, np.arange(i + 1, T))
        D[i + 1:, i] = D[i, i + 1:]
    merges = np.zeros((T - 1, 4), dtype=np.float64)
    for m in range(T - 1):
        flat = int(np.argmin(D))
        i, j = divmod(flat, T)
        i, j = min(i, j), max(i, j)
        merges[m] = (min(node[i], node[j]), max(node[i], node[j]), np.sqrt(max(D[i, j], 0.0)), n[i] + n[j])
        mu[i] = (n[i] * mu[i] + n[j] * mu[j]) / (n[i] + n[j])
        n[i] += n[j]
        node[i] = T + m
        alive[j] = False
        D[j, :] = np.inf
        D[:, j] = np.inf
        others = np.nonzero(alive)[0]
        others = others[others != i]
        if others.size:
            c = cost(i, others)
            D[i, others] = c
            D[others, i] = c
    return merges


@dataclass
class Cut:
    """Topics at a cut: ``mapping`` old topic -> new topic (outliers stay -1)."""

    k_requested: int
    n_topics: int
    mapping: dict[int, int]
    merged: dict[int, list[int]] = field(default_factory=dict)
    note: str = ""

    def apply(self, labels) -> np.ndarray:
        labels = np.asarray(labels, dtype=np.int64)
        return np.array([self.mapping.get(int(t), int(t)) for t in labels], dtype=np.int64)

    def as_dict(self) -> dict:
        return {"k_requested": self.k_requested, "n_topics": self.n_topics,
                "merged": {str(k): v for k, v in self.merged.items()}, "note": self.note}


def cut(ids, sizes, merges: np.ndarray, k: int) -> Cut:
    """At most ``k`` topics by replaying the first ``T - k`` merges.

    A merged group takes the id of its largest member topic (ties: lower id);
    ``merged`` lists, for each new topic made of several, the topics it holds.
    ``k >= T`` returns the model's own assignment and says so in ``note``.
    """
    ids = [int(t) for t in ids if int(t) != OUTLIER]
    T = len(ids)
    k = int(k)
    if k < 1:
        from ..errors import ParamsError

        raise ParamsError(f"--n-topics must be >= 1, got {k}")
    if k >= T:
        return Cut(k, T, {t: t for t in ids}, {},
                   f"K={k} >= the model's {T} topics: the model's own assignment is returned unchanged")
    size_of = dict(zip(ids, [int(s) for s in sizes]))
    members: dict[int, list[int]] = {i: [t] for i, t in enumerate(ids)}
    for m in range(T - k):
        a, b = int(merges[m, 0]), int(merges[m, 1])
        members[T + m] = members.pop(a) + members.pop(b)
    mapping: dict[int, int] = {}
    merged: dict[int, list[int]] = {}
    for group in members.values():
        rep = sorted(group, key=lambda t: (-size_of[t], t))[0]
        for t in group:
            mapping[t] = rep
        if len(group) > 1:
            merged[rep] = sorted(group)
    merged = dict(sorted(merged.items()))
    return Cut(k, len(members), mapping, merged,
               f"K={k}: {T} topics merged into {len(members)}")
