"""Stable topic ids: match new topics to a previous model's by centroid cosine.

Matching is one-to-one (Hungarian, maximising total cosine similarity); a
pair counts only when its cosine reaches ``min_cosine``. Matched topics keep
the old id; the others get fresh ids (never reused: the model remembers its
``next_id``), in order of size. Without a previous model, ids are 0, 1, ...
by decreasing size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class Reference:
    """What a previous model contributes: its pre-override topic ids and centroids."""

    ids: np.ndarray
    centroids: np.ndarray
    next_id: int


def size_order(sizes: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    """Cluster indices by decreasing size, ties by first appearance."""
    return np.lexsort((np.asarray(first_row), -np.asarray(sizes)))


def assign_ids(centroids: np.ndarray, sizes: np.ndarray, first_row: np.ndarray,
               reference: Reference | None, min_cosine: float) -> tuple[np.ndarray, dict]:
    """Return the id of each new cluster (aligned with ``centroids``) and a report."""
    T = len(sizes)
    ids = np.full(T, -1, dtype=np.int64)
    order = size_order(sizes, first_row)
    if reference is None or len(reference.ids) == 0 or T == 0:
        start = 0 if reference is None else int(reference.next_id)
        ids[order] = np.arange(start, start + T)
        rep = {"previous_model": reference is not None, "matched": 0, "new": int(T),
               "retired": [] if reference is None else [int(t) for t in reference.ids]}
        return ids, rep
    if centroids.shape[1] != reference.centroids.shape[1]:
        from ..errors import ModelFileError

        raise ModelFileError(f"previous topic model has {reference.centroids.shape[1]}-d centroids, "
                             f"these embeddings are {centroids.shape[1]}-d")
    S = centroids @ reference.centroids.T
    r, c = linear_sum_assignment(-S)
    pairs = []
    for i, j in zip(r, c):
        if S[i, j] >= min_cosine:
            ids[i] = int(reference.ids[j])
            pairs.append({"id": int(reference.ids[j]), "cosine": round(float(S[i, j]), 4)})
    nxt = max(int(reference.next_id), int(np.max(reference.ids)) + 1)
    for i in order:
        if ids[i] < 0:
            ids[i] = nxt
            nxt += 1
    kept = {p["id"] for p in pairs}
    rep = {"previous_model": True, "matched": len(pairs), "new": int(T - len(pairs)),
           "retired": sorted(int(t) for t in reference.ids if int(t) not in kept),
           "min_cosine_matched": min((p["cosine"] for p in pairs), default=None)}
    return ids, rep
