"""The topics stage: chunks + embeddings -> topic model, assignments, article topics, reports.

:func:`fit_topics` is what the DVC stage (``topicstance topics fit``) and
``topicstance run`` call. Outputs (all written atomically)::

    <models>/topics/                    the model directory (see persistence)
    <data>/topics.parquet               chunk_id, topic_raw, topic, probability
    <data>/article_topics.parquet       article_id, topic, topic_label, topic_mix (JSON), duplicate_of
    <data>/chunk_coords.parquet         chunk_id, x, y  (2-D UMAP, computed once here)
    <data>/topic_shares_time.parquet    period, topic, topic_label, n_articles, share
    <data>/topic_shares_source.parquet  source, topic, topic_label, n_articles, share
    <data>/topic_shares_outlet.parquet  outlet, topic, topic_label, n_articles, share
    <reports>/topics.csv                id, label, keywords, size, share, representative chunks
    <reports>/topics_metrics.json       metrics (deterministic: no timings)

The model is fitted with each chunk's ``article_id`` as ``groups``, so with
``topics.unit: article`` (default) the article is the unit of the map, of
``min_cluster_size`` and of the selection score (see :mod:`model`, :mod:`selection`).

Stable ids: the previous model is ``previous_model_dir`` or, by default, the
``<models>/topics`` being replaced (declare it ``persist: true`` in DVC so it
survives until the stage has read it). Pass ``previous_model_dir=False`` to
start ids afresh.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import InputError
from ..io import check_outputs, write_json, write_parquet, write_text, writes
from ..params import TopicsParams
from . import articles as art
from . import metrics as met
from .outliers import OUTLIER
from .overrides import load_overrides
from .persistence import OUTLIER_LABEL, load_model, save_model

SNIPPET_CHARS = 300


_LOG = logging.getLogger(__name__)


def _log(msg: str) -> None:
    _LOG.info(f"topics: {msg}")


def read_inputs(chunks_path, embeddings_dir, articles_path, duplicates_path):
    from ..embed.store import load_embeddings, load_meta

    chunks = schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    ids, vecs = load_embeddings(embeddings_dir)
    if len(ids) != len(chunks):
        raise InputError(f"{embeddings_dir}: {len(ids)} embeddings but {chunks_path} has {len(chunks)} chunks "
                         "(re-run the embed stage)")
    mism = np.nonzero(np.asarray(ids, dtype=object) != chunks["chunk_id"].to_numpy(dtype=object))[0]
    if mism.size:
        r = int(mism[0])
        raise InputError(f"{embeddings_dir}: row {r}: chunk_id {ids[r]!r} but {chunks_path} row {r} is "
                         f"{chunks['chunk_id'].iat[r]!r} (re-run the embed stage)")
    articles = schema.read_table(articles_path, schema.ARTICLES, unique="article_id")
    dups = schema.read_table(duplicates_path, schema.DUPLICATES)
    return chunks, np.asarray(vecs, dtype=np.float32), load_meta(embeddings_dir), articles, dups


def topic_table(model, chunks: pd.DataFrame) -> pd.DataFrame:
    texts = chunks["text"].tolist()
    cids = chunks["chunk_id"].tolist()
    n = len(texts)
    rows = []
    for i, t in enumerate(model.topic_ids_):
        t = int(t)
        reps = model.representatives_.get(t, [])
        rows.append({"id": t, "label": model.topic_labels_.get(t, f"topic {t}"),
                     "keywords": ", ".join(w for w, _ in model.keywords_.get(t, [])),
                     "size": int(model.sizes_[i]), "share": round(int(model.sizes_[i]) / n, 6),
                     "representative_chunk_ids": " ".join(cids[r] for r in reps),
                     "representative_chunks": " || ".join(_snippet(texts[r]) for r in reps)})
    n_out = int((model.labels_ == OUTLIER).sum())
    if n_out:
        rows.append({"id": OUTLIER, "label": OUTLIER_LABEL, "keywords": "", "size": n_out,
                     "share": round(n_out / n, 6), "representative_chunk_ids": "", "representative_chunks": ""})
    return pd.DataFrame(rows, columns=["id", "label", "keywords", "size", "share",
                                       "representative_chunk_ids", "representative_chunks"])


def _snippet(text: str) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= SNIPPET_CHARS else t[:SNIPPET_CHARS - 1].rstrip() + "…"


def chunk_coords(model, X: np.ndarray, max_n: int = 20_000) -> np.ndarray:
    """A 2-D UMAP of the chunk embeddings for maps (min_dist 0.1), sharing the model's kNN graph.

    Above ``max_n`` chunks the map is fitted on a seeded random sample of ``max_n`` and the other
    chunks are placed at the similarity-weighted mean position of their nearest sampled chunks
    (``UMAPReducer.transform``): a map of 64k chunks took 71 s of a 109 s topics stage, and a
    screen shows no more detail than a 20k-point layout gives."""
    from .components import UMAPReducer

    n = len(X)
    if n <= 3:
        return np.zeros((n, 2), dtype=np.float32)
    full = n <= max_n
    r = UMAPReducer(n_neighbors=model.n_neighbors, n_components=2, min_dist=0.1, metric=model.metric,
                    random_state=model.random_state, knn=getattr(model, "knn_graph_", None) if full else None,
                    n_epochs=getattr(model, "n_epochs", None))
    if full:
        return np.asarray(r.fit_transform(X), dtype=np.float32)
    rows = np.sort(np.random.default_rng(model.random_state).choice(n, size=max_n, replace=False))
    out = np.empty((n, 2), dtype=np.float32)
    out[rows] = r.fit_transform(X[rows])
    rest = np.setdiff1d(np.arange(n), rows)
    out[rest] = r.transform(X[rest])  # exact kNN to the sample, in blocks (knn.exact_knn_to)
    return out


DATA_FILES = ("topics.parquet", "article_topics.parquet", "chunk_coords.parquet", "topic_shares_time.parquet",
              "topic_shares_source.parquet")
REPORT_FILES = ("topics.csv", "topics_metrics.json")


@writes("topics fit", inputs=("chunks_path", "embeddings_dir", "articles_path", "duplicates_path", "skipped_path"))
def fit_topics(chunks_path, embeddings_dir, articles_path, duplicates_path, models_dir, data_dir, reports_dir,
               params: TopicsParams, previous_model_dir=None, overrides_path=None, skipped_path=None) -> dict:
    """Run the topics stage; return ``{"metrics": ..., "timings": ..., "outputs": ...}``."""
    from .model import TopicModel

    check_outputs(files=[*(Path(data_dir) / f for f in DATA_FILES), *(Path(reports_dir) / f for f in REPORT_FILES)],
                  folders=[Path(models_dir) / "topics"])
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    chunks, X, emb_meta, articles, dups = read_inputs(chunks_path, embeddings_dir, articles_path, duplicates_path)
    timings["read"] = time.perf_counter() - t0
    model_dir = Path(models_dir) / "topics"
    data_dir, reports_dir = Path(data_dir), Path(reports_dir)

    # previous model (stable ids) and overrides
    prev = model_dir if previous_model_dir is None else previous_model_dir
    reference, prev_note = None, "none"
    if prev is not False and prev is not None and Path(prev).exists():
        old = load_model(prev, mmap=False)
        old_w = (old.meta.get("embedding") or {}).get("weights_sha256")
        if old_w and emb_meta.get("weights_sha256") and old_w != emb_meta.get("weights_sha256"):
            prev_note = f"{prev} ignored: fitted on embeddings from other model weights"
        else:
            reference = old.reference()
            prev_note = str(prev)
    ov = load_overrides(overrides_path if overrides_path is not None else params.overrides)

    t = time.perf_counter()
    _log(f"fitting on {len(chunks)} chunks")
    model = TopicModel.from_params(params, reference=reference, overrides=ov)
    model.fit(chunks["text"].tolist(), X, groups=chunks["article_id"].astype(str).tolist())
    timings["fit"] = time.perf_counter() - t
    _log(f"{model.n_topics_} topics (min_cluster_size {model.min_cluster_size_unit_} {model.unit_}s = "
         f"{model.min_cluster_size_} chunks, map on {model.map_unit_}s) in {timings['fit']:.1f}s")

    t = time.perf_counter()
    coords = chunk_coords(model, model.train_embeddings_, params.map_max_n)
    timings["coords_2d"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics = met.topic_metrics(model, model.dtm_, model.vocabulary_)
    metrics["stability"] = met.stability(model, model.train_embeddings_)
    timings["stability"] = time.perf_counter() - t
    metrics["min_cluster_size_selection"] = model.selection_
    metrics["ids"] = {**model.ids_report_, "previous_model_dir": prev_note}
    metrics["overrides"] = model.overrides_report_

    t = time.perf_counter()
    at = art.article_topics(chunks, model.labels_, model.label_of, articles, dups,
                            where_chunks=str(chunks_path), where_dups=str(duplicates_path),
                            embeddings=model.train_embeddings_)
    shares_t, time_info = art.shares_over_time(at, articles, params.time_period, model.label_of)
    shares_s = art.shares_per_source(at, articles, model.label_of)
    shares_o = art.shares_per_outlet(at, articles, model.label_of)
    n_kept_rows = len(at)
    if skipped_path is not None:
        at = art.with_skipped(at, schema.read_table(skipped_path, schema.SKIPPED), where=str(skipped_path))
    metrics["articles"] = {"n_articles": int(len(articles)), "n_duplicates": int(len(dups)),
                           "article_outlier_share": round(float((at["topic"].iloc[:n_kept_rows] == OUTLIER).mean()), 6)
                           if n_kept_rows else 0.0, "n_skipped_at_ingest": int(len(at) - n_kept_rows),
                           "articles_with_outlet": int(articles["outlet"].notna().sum()), **time_info}
    timings["articles"] = time.perf_counter() - t

    t = time.perf_counter()
    save_model(model, model_dir, chunk_ids=chunks["chunk_id"].tolist(),
               article_ids=chunks["article_id"].tolist(), positions=chunks["position"].to_numpy(),
               embedding_meta=emb_meta,
               extra={"n_articles": int(len(articles))})
    outputs = {
        "model": model_dir,
        "topics": write_parquet(data_dir / "topics.parquet", pd.DataFrame({
            "chunk_id": chunks["chunk_id"].to_numpy(), "topic_raw": model.labels_raw_.astype("int64"),
            "topic": model.labels_.astype("int64"), "probability": model.probabilities_.astype("float64")})),
        "article_topics": write_parquet(data_dir / "article_topics.parquet", at),
        "chunk_coords": write_parquet(data_dir / "chunk_coords.parquet", pd.DataFrame({
            "chunk_id": chunks["chunk_id"].to_numpy(), "x": coords[:, 0].astype("float64"),
            "y": coords[:, 1].astype("float64")})),
        "shares_time": write_parquet(data_dir / "topic_shares_time.parquet", shares_t),
        "shares_source": write_parquet(data_dir / "topic_shares_source.parquet", shares_s),
        "shares_outlet": write_parquet(data_dir / "topic_shares_outlet.parquet", shares_o),
        "topics_csv": write_text(reports_dir / "topics.csv", topic_table(model, chunks).to_csv(index=False)),
        "metrics": write_json(reports_dir / "topics_metrics.json", metrics),
    }
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {"metrics": metrics, "timings": {k: round(v, 3) for k, v in timings.items()},
            "outputs": {k: str(v) for k, v in outputs.items()}}
