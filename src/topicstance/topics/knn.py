"""Exact cosine k-nearest neighbours by blocked matrix products (NumPy only)."""
from __future__ import annotations

import numpy as np


def unit_rows(X) -> np.ndarray:
    """float32 copy of ``X`` with rows scaled to unit length (zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float32)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (X / n).astype(np.float32, copy=False)


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
        if k < n:
            part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(n), (e - s, 1))
        sims = np.take_along_axis(S, part, axis=1)
        order = np.lexsort((part, -sims), axis=1)
        part = np.take_along_axis(part, order, axis=1)
        sims = np.take_along_axis(sims, order, axis=1)
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
        S = Q[s:s + block] @ X.T
        part = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < X.shape[0] else \
            np.tile(np.arange(X.shape[0]), (S.shape[0], 1))
        sims = np.take_along_axis(S, part, axis=1)
        order = np.lexsort((part, -sims), axis=1)
        idx[s:s + block] = np.take_along_axis(part, order, axis=1)
        dist[s:s + block] = 1.0 - np.take_along_axis(sims, order, axis=1)
    return idx, dist
