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
    """``(T-1, 4)`` merge rows for topics with mean vectors ``means`` and ``sizes``.

    Greedy Ward: the pair with the lowest merge cost ``2 n_a n_b / (n_a + n_b) |mu_a - mu_b|^2``
    merges next. The costs to a merged pair follow the Lance-Williams update for Ward, and each
    row keeps its smallest cost, so a merge costs O(T) (a row is rescanned only when its nearest
    topic took part in the merge): O(T^2) time overall, one T x T matrix of memory.
    """
    T = len(sizes)
    if T < 2:
        return np.zeros((0, 4), dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    n = np.asarray(sizes, dtype=np.float64).copy()
    sq = np.einsum("ij,ij->i", mu, mu)
    D = sq[:, None] + sq[None, :] - 2.0 * (mu @ mu.T)
    np.maximum(D, 0.0, out=D)
    D *= 2.0 * n[:, None] * n[None, :] / (n[:, None] + n[None, :])
    np.fill_diagonal(D, np.inf)
    node = np.arange(T)
    alive = np.ones(T, dtype=bool)
    best = D.argmin(axis=1)
    low = D[np.arange(T), best]
    merges = np.zeros((T - 1, 4), dtype=np.float64)
    for m in range(T - 1):
        i = int(np.argmin(low))
        j = int(best[i])
        i, j = min(i, j), max(i, j)
        dij = D[i, j]
        merges[m] = (min(node[i], node[j]), max(node[i], node[j]), np.sqrt(max(dij, 0.0)), n[i] + n[j])
        alive[i] = alive[j] = False
        others = np.nonzero(alive)[0]
        nk = n[others]
        new = ((n[i] + nk) * D[i, others] + (n[j] + nk) * D[j, others] - nk * dij) / (n[i] + n[j] + nk)
        n[i] += n[j]
        node[i] = T + m
        alive[i] = True
        D[j, :] = np.inf
        D[:, j] = np.inf
        low[j] = np.inf
        D[i, others] = new
        D[others, i] = new
        if others.size:
            b = int(others[np.argmin(new)])
            best[i], low[i] = b, D[i, b]
            stale = others[(best[others] == i) | (best[others] == j)]
            if stale.size:
                best[stale] = D[stale].argmin(axis=1)
                low[stale] = D[stale, best[stale]]
            closer = others[new < low[others]]
            best[closer], low[closer] = i, new[new < low[others]]
        else:
            low[i] = np.inf
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
