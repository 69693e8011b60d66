"""Topics for new chunks without UMAP or HDBSCAN: a kNN vote in embedding space.

The training chunks' unit embeddings and fitted ``topic`` labels are plain
arrays. A new chunk takes the topic with the largest summed similarity among
its ``k`` most cosine-similar training chunks. A query identical to a training
chunk (cosine >= 1 - 1e-6) gets that chunk's topic: predicting a text the
model was fitted on returns its fitted topic.

This module imports NumPy only (never umap, hdbscan or numba), so loading a
saved model and predicting stays fast.
"""
from __future__ import annotations

import numpy as np

from .knn import exact_knn_to, unit_rows

EXACT = 1e-6


class KnnPredictor:
    def __init__(self, vectors: np.ndarray, labels: np.ndarray, k: int = 15):
        vectors = np.asarray(vectors)
        labels = np.asarray(labels, dtype=np.int64)
        if vectors.ndim != 2 or vectors.shape[0] != labels.shape[0]:
            raise ValueError(f"{vectors.shape[0] if vectors.ndim else 0} vectors but {labels.shape[0]} labels")
        if vectors.shape[0] == 0:
            raise ValueError("a kNN predictor needs at least one training chunk")
        self.vectors = vectors if vectors.dtype == np.float32 else vectors.astype(np.float32)
        self.labels = labels
        self.k = int(min(k, vectors.shape[0]))
        self.classes = np.unique(labels)

    def _neighbours(self, embeddings) -> tuple[np.ndarray, np.ndarray]:
        """Each row's ``k`` nearest training chunks and their vote weights (an exact match alone)."""
        Q = unit_rows(embeddings)
        if Q.ndim != 2 or Q.shape[1] != self.vectors.shape[1]:
            from ..errors import InputError

            raise InputError(f"embeddings have shape {Q.shape}, the model expects "
                             f"(n, {self.vectors.shape[1]})")
        idx, dist = exact_knn_to(Q, self.vectors, self.k)
        sims = 1.0 - dist
        w = np.clip(sims, 0.0, None) + 1e-9
        exact = sims[:, 0] >= 1.0 - EXACT
        w[exact] = 0.0
        w[exact, 0] = 1.0
        return idx, w.astype(np.float64)

    def predict_proba(self, embeddings) -> np.ndarray:
        """``(n, len(classes))`` vote shares, columns in ``self.classes`` order (dense: for many
        topics use :meth:`vote`)."""
        idx, w = self._neighbours(embeddings)
        cls_pos = np.searchsorted(self.classes, self.labels[idx])
        P = np.zeros((idx.shape[0], len(self.classes)), dtype=np.float64)
        np.add.at(P, (np.repeat(np.arange(idx.shape[0]), idx.shape[1]), cls_pos.ravel()), w.ravel())
        return P / P.sum(axis=1, keepdims=True)

    def vote(self, embeddings) -> tuple[np.ndarray, np.ndarray]:
        """``(topic, share)`` of each row: the winner of :meth:`predict_proba` and its vote share,
        from the ``k`` neighbours alone (memory ``n x k x k``, whatever the number of topics)."""
        idx, w = self._neighbours(embeddings)
        lab = self.labels[idx]
        same = lab[:, :, None] == lab[:, None, :]
        summed = (same * w[:, None, :]).sum(axis=2)  # each neighbour's topic's total weight
        top = summed.max(axis=1, keepdims=True)
        # ties between topics go to the lowest topic id, as the argmax over sorted classes does
        cand = np.where(np.isclose(summed, top, rtol=0, atol=1e-12), lab, np.iinfo(np.int64).max)
        winner = cand.min(axis=1)
        return winner, top[:, 0] / w.sum(axis=1)

    def predict(self, embeddings) -> np.ndarray:
        return self.vote(embeddings)[0]
