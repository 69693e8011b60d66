"""Topic centroids and outlier reassignment.

``topic_raw`` is the clusterer's label (-1 = outlier). ``topic`` moves an
outlier to the topic whose centroid is most cosine-similar to it, when that
similarity reaches ``threshold``; outliers below it stay -1.
"""
from __future__ import annotations

import numpy as np

from .knn import unit_rows

OUTLIER = -1


def centroids(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ids, unit centroids, sizes)`` of every label except -1, ids ascending."""
    labels = np.asarray(labels)
    ids = np.unique(labels[labels != OUTLIER])
    if ids.size == 0:
        return ids.astype(np.int64), np.zeros((0, X.shape[1]), dtype=np.float32), np.zeros(0, dtype=np.int64)
    means, sizes = mean_vectors(X, labels, ids)
    return ids.astype(np.int64), unit_rows(means), sizes


def mean_vectors(X: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised mean vector and size of each label in ``ids``."""
    lut = np.full(int(max(ids.max(initial=0), labels.max(initial=0))) + 2, -1, dtype=np.int64)
    lut[np.asarray(ids, dtype=np.int64)] = np.arange(len(ids))
    labels = np.asarray(labels, dtype=np.int64)
    rows = np.where(labels >= 0, lut[np.clip(labels, 0, None)], -1)
    from .groups import group_sums

    keep = np.nonzero(rows >= 0)[0]
    sums = group_sums(X, rows, len(ids))
    sizes = np.bincount(rows[keep], minlength=len(ids)).astype(np.int64)
    return (sums / np.maximum(sizes, 1)[:, None]).astype(np.float32), sizes


REASSIGN_BLOCK = 8192  # rows per block of the rows x topics similarity


def nearest_centroid(X: np.ndarray, C: np.ndarray, cols: np.ndarray | None = None):
    """``(best, best_sim)``: each row's most similar unit centroid in ``C`` and its cosine; with
    ``cols``, also each row's cosine to ``C[cols[i]]``. Rows x topics in blocks: memory stays bounded."""
    n = len(X)
    C = np.asarray(C, dtype=np.float32)
    best = np.empty(n, dtype=np.int64)
    best_sim = np.empty(n, dtype=np.float32)
    at = None if cols is None else np.empty(n, dtype=np.float32)
    for s in range(0, n, REASSIGN_BLOCK):
        S = unit_rows(X[s:s + REASSIGN_BLOCK]) @ C.T
        r = np.arange(len(S))
        best[s:s + len(S)] = S.argmax(axis=1)
        best_sim[s:s + len(S)] = S[r, best[s:s + len(S)]]
        if at is not None:
            at[s:s + len(S)] = S[r, cols[s:s + len(S)]]
    return (best, best_sim) if at is None else (best, best_sim, at)


def reassign(X: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(topic, similarity)``: outliers moved to the nearest centroid at or above ``threshold``.

    ``similarity`` is each row's cosine to its assigned topic's centroid (to the
    nearest centroid for rows left as outliers; NaN when there are no topics).
    """
    labels = np.asarray(labels, dtype=np.int64)
    ids, C, _ = centroids(X, labels)
    out = labels.copy()
    if ids.size == 0:
        return out, np.full(len(labels), np.nan, dtype=np.float32)
    outlier = labels == OUTLIER
    pos = np.searchsorted(ids, np.where(outlier, ids[0], labels))
    best, best_sim, own = nearest_centroid(X, C, pos)
    move = outlier & (best_sim >= threshold)
    out[move] = ids[best[move]]
    # a moved row's topic is its nearest centroid; a row left an outlier reports its nearest
    sim = np.where(outlier, best_sim, own)
    return out, sim.astype(np.float32)


def outlier_share(labels: np.ndarray) -> float:
    labels = np.asarray(labels)
    return float((labels == OUTLIER).mean()) if labels.size else 0.0
