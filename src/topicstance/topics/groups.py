"""Chunks grouped by article: the article is the unit topics are judged in.

A news article is cut into several chunks, and the chunks of one article are
near-duplicates of each other in embedding space (same story, same names,
cosine ~0.5 on BBC against ~0.1 between random chunks). Clustering chunks as if
they were independent documents lets one article's chunks form a tight little
cluster of their own. :class:`Groups` holds the chunk -> article mapping so the
model can count, map and score in articles instead (see :mod:`model`):

* ``vectors(X)``: one unit vector per article, the normalised mean of its chunks;
* ``dominant(topic, ...)``: each article's dominant topic (largest chunk count;
  ties to the topic whose centroid is most similar to the article vector, then
  the lowest id), -1 only when all its chunks are outliers;
* ``subsample(max_n, seed)``: whole articles at random, at most ``max_n`` chunks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .knn import unit_rows
from .outliers import OUTLIER


def group_sums(X, codes: np.ndarray, n_groups: int, batch_size: int = 65_536) -> np.ndarray:
    """``(n_groups, d)`` float64 sums of the rows of ``X`` per code (rows with code < 0 left out),
    ``batch_size`` rows at a time: a memory-mapped ``X`` is never copied whole."""
    import scipy.sparse as sp

    codes = np.asarray(codes, dtype=np.int64)
    sums = np.zeros((n_groups, X.shape[1]), dtype=np.float64)
    for s in range(0, len(codes), batch_size):
        c = codes[s:s + batch_size]
        keep = np.nonzero(c >= 0)[0]
        if not keep.size:
            continue
        onehot = sp.csr_matrix((np.ones(len(keep)), (c[keep], keep)), shape=(n_groups, len(c)))
        sums += onehot @ np.asarray(X[s:s + len(c)], dtype=np.float64)
    return sums


@dataclass(frozen=True)
class Groups:
    """``codes[i]`` is the article (0..n_groups-1, in order of first appearance) of chunk ``i``."""

    codes: np.ndarray
    n_groups: int

    @classmethod
    def from_labels(cls, groups) -> "Groups":
        labels = np.asarray([str(g) for g in groups], dtype=object)
        _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
        order = np.argsort(np.argsort(first, kind="stable"), kind="stable")  # codes by first appearance
        codes = order[inv.ravel()].astype(np.int64)
        return cls(codes=codes, n_groups=int(first.size))

    @property
    def n(self) -> int:
        return int(self.codes.size)

    @property
    def chunks_per_group(self) -> float:
        return self.n / max(self.n_groups, 1)

    @property
    def trivial(self) -> bool:
        """Every article is one chunk: grouping changes nothing."""
        return self.n_groups == self.n

    def take(self, rows: np.ndarray) -> "Groups":
        """The groups of chunks ``rows`` (re-coded in order of first appearance)."""
        return Groups.from_labels(self.codes[np.asarray(rows)])

    def vectors(self, X: np.ndarray) -> np.ndarray:
        """Unit mean embedding of each article, ``(n_groups, d)`` float32."""
        return unit_rows(group_sums(X, self.codes, self.n_groups))

    def counts(self, topic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, M)``: real topic ids and the ``(n_groups, len(ids))`` chunk count matrix."""
        topic = np.asarray(topic, dtype=np.int64)
        ids = np.unique(topic[topic != OUTLIER])
        M = np.zeros((self.n_groups, ids.size), dtype=np.int64)
        keep = topic != OUTLIER
        np.add.at(M, (self.codes[keep], np.searchsorted(ids, topic[keep])), 1)
        return ids, M

    def dominant(self, topic: np.ndarray, A: np.ndarray | None = None, C: np.ndarray | None = None) -> np.ndarray:
        """Each article's dominant topic (see module doc); ``A`` article vectors and ``C`` the unit
        centroids of ``np.unique`` of the real topics break ties (else the lowest id wins)."""
        ids, M = self.counts(topic)
        out = np.full(self.n_groups, OUTLIER, dtype=np.int64)
        if ids.size == 0:
            return out
        mx = M.max(axis=1)
        tied = (M == mx[:, None]) & (mx[:, None] > 0)
        score = tied.astype(np.float64)
        if A is not None and C is not None:
            score = np.where(tied, 2.0 + np.asarray(A, dtype=np.float64) @ np.asarray(C, dtype=np.float64).T, 0.0)
        best = np.argmax(score, axis=1)  # first max = lowest id among equals
        has = mx > 0
        out[has] = ids[best[has]]
        return out

    def subsample(self, max_n: int, seed: int) -> np.ndarray:
        """Sorted chunk rows of whole articles drawn at random until ``max_n`` chunks (all when n <= max_n)."""
        if self.n <= max_n:
            return np.arange(self.n)
        rng = np.random.default_rng(seed)
        sizes = np.bincount(self.codes, minlength=self.n_groups)
        order = rng.permutation(self.n_groups)
        take = order[np.cumsum(sizes[order]) <= max_n]
        if take.size == 0:
            take = order[:1]
        return np.sort(np.nonzero(np.isin(self.codes, take))[0])
