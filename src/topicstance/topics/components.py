"""Default components: a UMAP reducer on an exact cosine kNN graph, and HDBSCAN.

UMAP's own small-data path (n < 4096) computes all pairwise distances through a
Python-level callable, and its large-data path uses approximate NN-descent.
For cosine on unit vectors the exact k nearest neighbours are a blocked matrix
product, which is both faster and exact, so :class:`UMAPReducer` computes them
itself (up to ``exact_knn_max_n`` rows) and hands them to UMAP as
``precomputed_knn``. The graph depends only on the data, never on the seed, so
runs with several seeds can share it (``knn=``).
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .knn import exact_knn, exact_knn_to, unit_rows  # noqa: F401

EXACT_KNN_MAX_N = 40_000


class UMAPReducer(BaseEstimator):
    """UMAP with an exact cosine kNN graph (see module doc).

    ``fit(X)`` learns ``embedding_``; ``transform(X)`` returns ``embedding_``
    for the training rows and, for new rows, the similarity-weighted mean
    position of their nearest training rows.
    """

    def __init__(self, n_neighbors: int = 15, n_components: int = 5, min_dist: float = 0.0,
                 metric: str = "cosine", random_state=None, knn=None,
                 exact_knn_max_n: int = EXACT_KNN_MAX_N, n_epochs=None):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state
        self.knn = knn
        self.exact_knn_max_n = exact_knn_max_n
        self.n_epochs = n_epochs

    def fit(self, X, y=None):
        from .._env import ensure_numba_cache

        ensure_numba_cache()  # only when the user has not set NUMBA_CACHE_DIR
        import umap  # heavy: only here

        X = np.asarray(X, dtype=np.float32)
        n = X.shape[0]
        k = max(2, min(self.n_neighbors, n - 1))
        pre = (None, None, None)
        if self.metric == "cosine" and n <= self.exact_knn_max_n:
            knn = self.knn if self.knn is not None else exact_knn(X, k + 1)
            if knn[0].shape[0] != n or knn[0].shape[1] < k:
                raise ValueError(f"knn graph has shape {knn[0].shape}, need ({n}, >= {k})")
            pre = (np.ascontiguousarray(knn[0][:, :k]), np.ascontiguousarray(knn[1][:, :k]), None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n_jobs overridden by random_state; no search index
            self.umap_ = umap.UMAP(n_neighbors=k, n_components=self.n_components, min_dist=self.min_dist,
                                   metric=self.metric, random_state=self.random_state,
                                   precomputed_knn=pre, low_memory=True,
                                   n_epochs=self.n_epochs)
            self.embedding_ = np.asarray(self.umap_.fit_transform(X), dtype=np.float32)
        self.n_neighbors_ = k
        self._fit_X = X
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).embedding_

    def transform(self, X):
        check_is_fitted(self, "embedding_")
        X = np.asarray(X, dtype=np.float32)
        if X.shape == self._fit_X.shape and (X is self._fit_X or np.array_equal(X, self._fit_X)):
            return self.embedding_
        idx, dist = exact_knn_to(X, self._fit_X, self.n_neighbors_)
        w = np.clip(1.0 - dist, 1e-6, None)
        return np.einsum("nk,nkd->nd", w / w.sum(1, keepdims=True), self.embedding_[idx]).astype(np.float32)


def make_hdbscan(min_cluster_size: int, min_samples=None, gen_min_span_tree: bool = False):
    """The default clusterer: ``hdbscan.HDBSCAN`` (EOM selection, Euclidean in the reduced space)."""
    import hdbscan  # heavy: only here

    return hdbscan.HDBSCAN(min_cluster_size=int(min_cluster_size), min_samples=min_samples,
                           metric="euclidean", cluster_selection_method="eom",
                           gen_min_span_tree=gen_min_span_tree, core_dist_n_jobs=1)
