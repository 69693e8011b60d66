"""Topics for corpora too large to fit at once: fit on a sample, assign the rest in batches.

UMAP and HDBSCAN need every point in memory and take time that grows faster
than the corpus. :func:`fit_sample_assign` therefore

1. draws a uniform random sample of rows (``sample_size``, seeded) and fits the
   :class:`~topicstance.topics.model.TopicModel` on those rows only (their
   texts are read from a list or, streaming, from a Parquet column);
2. builds a :class:`~topicstance.topics.predictor.KnnPredictor` on a
   *reference* subset of the fitted rows (``reference_size``; every topic
   keeps at least ``knn_k`` members, or all it has, and the rest is a
   proportional random share). Assignment time grows with the reference size,
   so a subset keeps a million-row corpus practical; ``reference_size=None``
   uses every fitted row (the model's own predictor);
3. reads the embeddings ``batch_size`` rows at a time (a ``np.load(...,
   mmap_mode="r")`` array is read from disk batch by batch, and the pages read
   are unmapped after each batch) and writes each row's topic through a
   streaming Parquet writer, so memory stays bounded by the sample, the
   reference and one batch, whatever the corpus size.

The output Parquet has one row per embedding row, in order: ``row`` (int64,
the row number), ``topic_raw`` (int64: the fitted row's HDBSCAN label, or the
kNN vote), ``topic`` (int64, -1 = outlier: the fitted topic, or the vote with
a voted outlier moved to the nearest topic centroid at cosine >=
``outlier_threshold``, as the fit does), ``probability`` (float64: the fitted
row's HDBSCAN membership, or the vote share of the winning topic) and
``fitted`` (bool: the row was in the sample and keeps its fitted topic). It is
written under a temporary name and renamed when complete.

The sample is ``sample_size`` uniform rows, or the ``rows`` given (the topics
stage passes whole articles, see :meth:`Groups.subsample`, with their article
ids as ``groups``). This is the one scale mechanism: ``topicstance topics fit``
and ``topicstance run`` use it above ``topics.fit_max_n`` chunks, and
``bench/scale.py`` measures it through them.

Imports NumPy and pyarrow only; UMAP and HDBSCAN load when the model is fitted.
"""
from __future__ import annotations

import mmap
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .predictor import KnnPredictor


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted row numbers of a uniform random sample of ``min(size, n)`` of ``n`` rows."""
    if size >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)


def read_parquet_rows(path, rows, column: str = "text", batch_size: int = 65_536) -> list:
    """Values of ``column`` at the sorted row numbers ``rows`` of a Parquet file, read batch by batch
    (only the wanted values are kept)."""
    import pyarrow.parquet as pq

    rows = np.asarray(rows, dtype=np.int64)
    out: list = []
    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=[column]):
        end = start + batch.num_rows
        lo, hi = np.searchsorted(rows, [start, end])
        if hi > lo:
            out.extend(batch.column(0).take(rows[lo:hi] - start).to_pylist())
        start = end
    if len(out) != len(rows):
        raise ValueError(f"{path}: has {start} rows, asked for row {int(rows[-1])}")
    return out


def release_pages(embeddings) -> None:
    """Unmap the pages of a memory-mapped array read so far (``np.load(..., mmap_mode="r")``): they stay
    in the OS page cache, but no longer count in this process's resident memory, which would otherwise
    grow to the size of the file as the batches are read. No-op for other arrays and for writable or
    copy-on-write maps (whose changes must not be dropped)."""
    m = getattr(embeddings, "_mmap", None)
    if m is not None and getattr(embeddings, "mode", None) == "r" and hasattr(mmap, "MADV_DONTNEED"):
        m.madvise(mmap.MADV_DONTNEED)


def reference_predictor(model, size: int | None, seed: int = 0) -> tuple[KnnPredictor, int]:
    """A kNN predictor on at most ``size`` of the model's fitted rows; returns it and its size.

    Each label (outliers included) keeps ``max(its proportional share, min(its size, floor))`` rows,
    ``floor = max(1, min(knn_k, size // labels))``: every topic stays reachable, and with thousands of
    topics the reference stays near ``size`` (a floor of ``knn_k`` rows each made a 20,000-row
    reference 87,000 rows at 5,800 topics, and the assignment of 900,000 chunks 448 s).
    """
    X, labels = model.train_embeddings_, np.asarray(model.labels_)
    n = len(labels)
    if size is None or size >= n:
        return model.predictor(), n
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    by_label = order[np.argsort(labels[order], kind="stable")]  # each label's rows, in random order
    _, starts, counts = np.unique(labels[by_label], return_index=True, return_counts=True)
    floor = max(1, min(int(model.knn_k), int(size) // max(1, len(starts))))
    keep = []
    for s, c in zip(starts, counts):
        quota = max(int(round(c * size / n)), min(int(c), floor))
        keep.append(by_label[s:s + quota])
    ref = np.sort(np.concatenate(keep))
    return KnnPredictor(X[ref], labels[ref], k=model.knn_k), int(len(ref))


def assign_batches(predictor: KnnPredictor, embeddings, out_path, *, batch_size: int = 20_000,
                   fitted_rows=None, fitted_labels=None, fitted_raw=None, fitted_prob=None,
                   reassign=None) -> int:
    """Write the topic of every row of ``embeddings`` to ``out_path`` (Parquet), ``batch_size`` rows
    at a time; rows in ``fitted_rows`` (sorted) get ``fitted_labels`` (and ``fitted_raw``,
    ``fitted_prob``) instead of the vote. ``reassign``: ``(ids, unit centroids, threshold)`` moves a
    voted outlier to its nearest centroid at or above the threshold. Returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..io import atomic_path
    from .outliers import OUTLIER, nearest_centroid

    n = int(embeddings.shape[0])
    fr = np.zeros(0, dtype=np.int64) if fitted_rows is None else np.asarray(fitted_rows, dtype=np.int64)
    fl = np.zeros(0, dtype=np.int64) if fitted_labels is None else np.asarray(fitted_labels, dtype=np.int64)
    fw = fl if fitted_raw is None else np.asarray(fitted_raw, dtype=np.int64)
    fp = np.ones(len(fl)) if fitted_prob is None else np.asarray(fitted_prob, dtype=np.float64)
    schema = pa.schema([("row", pa.int64()), ("topic_raw", pa.int64()), ("topic", pa.int64()),
                        ("probability", pa.float64()), ("fitted", pa.bool_())])
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, schema) as w:
        for s in range(0, n, batch_size):
            e = min(n, s + batch_size)
            Q = np.asarray(embeddings[s:e], dtype=np.float32)
            release_pages(embeddings)
            raw, prob = predictor.vote(Q)
            raw, prob = raw.astype(np.int64), prob.astype(np.float64)
            topic = raw.copy()
            if reassign is not None and len(reassign[0]) and (raw == OUTLIER).any():
                ids, C, threshold = reassign
                out = np.nonzero(raw == OUTLIER)[0]
                best, best_sim = nearest_centroid(Q[out], C)
                move = best_sim >= threshold
                topic[out[move]] = np.asarray(ids)[best[move]]
            fitted = np.zeros(e - s, dtype=bool)
            lo, hi = np.searchsorted(fr, [s, e])
            loc = fr[lo:hi] - s
            topic[loc], raw[loc], prob[loc] = fl[lo:hi], fw[lo:hi], fp[lo:hi]
            fitted[loc] = True
            w.write_table(pa.table({"row": np.arange(s, e, dtype=np.int64), "topic_raw": raw, "topic": topic,
                                    "probability": prob, "fitted": fitted}, schema=schema))
    return n


@dataclass
class SampleFit:
    """What :func:`fit_sample_assign` did: the fitted model, the sampled rows and seconds per step."""

    model: object
    out_path: Path
    n_rows: int
    sample_rows: np.ndarray
    reference_size: int
    seconds: dict = field(default_factory=dict)


def fit_sample_assign(model, embeddings, texts, out_path, *, sample_size: int = 100_000,
                      reference_size: int | None = 20_000, batch_size: int = 20_000, seed: int = 0,
                      rows=None, groups=None, reassign_outliers: bool = False) -> SampleFit:
    """Fit ``model`` on a sample of the rows of ``embeddings`` and write every row's topic to ``out_path``.

    ``embeddings``: an (n, d) array, ideally ``np.load(path, mmap_mode="r")``; ``texts``: a sequence of
    n texts, or the path of a Parquet file whose ``text`` column holds them in row order. ``rows``
    (sorted) replaces the uniform sample; ``groups`` are the sampled rows' article ids, passed to
    ``model.fit``. With ``reassign_outliers`` a voted outlier moves to its nearest topic centroid at
    ``model.outlier_threshold``. See the module doc for the steps and the output columns.
    """
    n = int(embeddings.shape[0])
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    rows = sample_rows(n, sample_size, seed) if rows is None else np.asarray(rows, dtype=np.int64)
    X = np.asarray(embeddings[rows], dtype=np.float32)
    release_pages(embeddings)
    if isinstance(texts, (str, Path)):
        sample_texts = read_parquet_rows(texts, rows, "text")
    else:
        if len(texts) != n:
            from ..errors import InputError

            raise InputError(f"{len(texts)} texts but {n} embedding rows")
        sample_texts = [texts[int(i)] for i in rows]
    seconds["read_sample"] = time.perf_counter() - t

    t = time.perf_counter()
    if groups is None:
        model.fit(sample_texts, X)
    else:
        model.fit(sample_texts, X, groups=groups)
    del sample_texts
    seconds["fit"] = time.perf_counter() - t

    t = time.perf_counter()
    pred, ref_n = reference_predictor(model, reference_size, seed)
    seconds["reference"] = time.perf_counter() - t

    t = time.perf_counter()
    reassign = (model.topic_ids_, model.centroids_, model.outlier_threshold) if reassign_outliers else None
    assign_batches(pred, embeddings, out_path, batch_size=batch_size, fitted_rows=rows, fitted_labels=model.labels_,
                   fitted_raw=model.labels_raw_, fitted_prob=model.probabilities_, reassign=reassign)
    seconds["assign"] = time.perf_counter() - t
    return SampleFit(model=model, out_path=Path(out_path), n_rows=n, sample_rows=rows, reference_size=ref_n,
                     seconds={k: round(v, 3) for k, v in seconds.items()})
