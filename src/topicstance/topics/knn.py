"""Exact cosine k-nearest neighbours by blocked matrix products.

The products are NumPy's; the top k of each block's similarity rows comes from
``torch.topk`` (multi-threaded, about 40x faster here than ``np.argpartition``
on a 1024 x 20000 block), taking a few spare candidates so that ties at the
k-th place are still broken by the lower index.""" 
from __future__ import annotations

import numpy as np


def unit_rows(X) -> np.ndarray:
    """float32 copy of ``X`` with rows scaled to unit length (zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float32)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (X / n).astype(np.float32, copy=False)


SPARE = 8  # extra candidates taken by topk, so a tie at the k-th place is broken by index


def top_k(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries of each row of ``S``: ``(columns, values)``, in decreasing value,
    ties by the lower column."""
    import torch

    m = S.shape[1]
    k = min(k, m)
    if k + SPARE < m:
        vals, cols = torch.topk(torch.from_numpy(np.ascontiguousarray(S, dtype=np.float32)), k + SPARE, dim=1)
        part, sims = cols.numpy().astype(np.int64), vals.numpy()
    else:
        part = np.tile(np.arange(m), (S.shape[0], 1))
        sims = np.asarray(S, dtype=np.float32)
    order = np.lexsort((part, -sims), axis=1)[:, :k]
    cols, top = np.take_along_axis(part, order, axis=1), np.take_along_axis(sims, order, axis=1)
    if part.shape[1] < m:  # a tie at the k-th value that reaches the last candidate: sort that row fully
        for r in np.nonzero(top[:, -1] <= sims.min(axis=1))[0]:
            full = np.argsort(-np.asarray(S[r], dtype=np.float32), kind="stable")[:k]
            cols[r], top[r] = full, S[r, full]
    return cols, top


def exact_knn(X: np.ndarray, k: int, *, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine kNN of unit rows: ``(indices, distances)``, each ``(n, k)``.

    Each row's first neighbour is the row itself (distance 0), as UMAP expects;
    ties are broken by the lower index, so the graph is deterministic.
    """
    X = unit_rows(X)
    n = X.shape[0]
    k = min(k, n)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for s in range(0, n, block):
        e = min(n, s + block)
        S = X[s:e] @ X.T
        S[np.arange(e - s), np.arange(s, e)] = 2.0  # self first
        part, sims = top_k(S, k)
        sims[:, 0] = 1.0
        idx[s:e] = part
        dist[s:e] = np.clip(1.0 - sims, 0.0, 2.0)
    return idx, dist


def exact_knn_to(Q: np.ndarray, X: np.ndarray, k: int, *, block: int = 1024):
    """Exact cosine kNN of query rows ``Q`` among rows of ``X``: ``(indices, distances)``."""
    Q = unit_rows(Q)
    X = unit_rows(X)
    k = min(k, X.shape[0])
    idx = np.empty((Q.shape[0], k), dtype=np.int64)
    dist = np.empty((Q.shape[0], k), dtype=np.float32)
    for s in range(0, Q.shape[0], block):
        part, sims = top_k(Q[s:s + block] @ X.T, k)
        idx[s:s + block] = part
        dist[s:s + block] = 1.0 - sims
    return idx, dist

