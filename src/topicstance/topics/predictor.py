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

    def predict_proba(self, embeddings) -> np.ndarray:
        """``(n, len(classes))`` vote shares, columns in ``self.classes`` order."""
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
        cls_pos = np.searchsorted(self.classes, self.labels[idx])
        P = np.zeros((Q.shape[0], len(self.classes)), dtype=np.float64)
        np.add.at(P, (np.repeat(np.arange(Q.shape[0]), idx.shape[1]), cls_pos.ravel()), w.ravel())
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, embeddings) -> np.ndarray:
        P = self.predict_proba(embeddings)
        return self.classes[np.argmax(P, axis=1)]
