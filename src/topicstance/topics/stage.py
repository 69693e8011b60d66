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
MAP_BATCH = 50_000     # chunks placed on the 2-D map per batch
ASSIGN_BATCH = 20_000  # chunks assigned per batch above topics.fit_max_n
TEXT_BATCH = 50_000    # chunk texts per batch of the corpus-wide keywords


_LOG = logging.getLogger(__name__)


def _log(msg: str) -> None:
    _LOG.info(f"topics: {msg}")


def read_chunks(chunks_path, with_text: bool = True) -> pd.DataFrame:
    """The chunks file, checked against its contract; without ``text`` (read only where needed) the
    columns are read alone, so a corpus of millions of chunks fits in memory."""
    if with_text:
        return schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    cols = ["chunk_id", "article_id", "position"]
    p = Path(chunks_path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    try:
        df = pd.read_parquet(p, columns=cols)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"{p}: not a readable Parquet file with columns {cols} ({type(exc).__name__})") from None
    return schema.validate(df, {c: schema.CHUNKS[c] for c in cols}, p, unique="chunk_id")


def read_inputs(chunks_path, embeddings_dir, articles_path, duplicates_path, with_text: bool = True):
    from ..embed.store import load_embeddings, load_meta

    chunks = read_chunks(chunks_path, with_text)
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
    vecs = vecs if not with_text else np.asarray(vecs, dtype=np.float32)
    return chunks, vecs, load_meta(embeddings_dir), articles, dups


def topic_table(model, chunks: pd.DataFrame, labels=None, rep_rows=None, text_of=None) -> pd.DataFrame:
    """``reports/topics.csv``. ``labels`` (per chunk of ``chunks``) default to the model's;
    ``rep_rows`` maps the model's representative rows to rows of ``chunks`` (a sample fit);
    ``text_of(row)`` gives a chunk's text when ``chunks`` has no ``text`` column."""
    labels = np.asarray(model.labels_ if labels is None else labels)
    cids = chunks["chunk_id"].tolist()
    n = len(cids)
    rep_rows = np.arange(n) if rep_rows is None else np.asarray(rep_rows)
    if text_of is None:
        texts = chunks["text"].tolist()
        text_of = texts.__getitem__
    rows = []
    for i, t in enumerate(model.topic_ids_):
        t = int(t)
        reps = [int(rep_rows[r]) for r in model.representatives_.get(t, [])]
        rows.append({"id": t, "label": model.topic_labels_.get(t, f"topic {t}"),
                     "keywords": ", ".join(w for w, _ in model.keywords_.get(t, [])),
                     "size": int(model.sizes_[i]), "share": round(int(model.sizes_[i]) / n, 6),
                     "representative_chunk_ids": " ".join(cids[r] for r in reps),
                     "representative_chunks": " || ".join(_snippet(text_of(r)) for r in reps)})
    n_out = int((labels == OUTLIER).sum())
    if n_out:
        rows.append({"id": OUTLIER, "label": OUTLIER_LABEL, "keywords": "", "size": n_out,
                     "share": round(n_out / n, 6), "representative_chunk_ids": "", "representative_chunks": ""})
    return pd.DataFrame(rows, columns=["id", "label", "keywords", "size", "share",
                                       "representative_chunk_ids", "representative_chunks"])


def _snippet(text: str) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= SNIPPET_CHARS else t[:SNIPPET_CHARS - 1].rstrip() + "…"


def chunk_coords(model, X: np.ndarray, max_n: int = 20_000, reuse_knn: bool = True) -> np.ndarray:
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
                    random_state=model.random_state,
                    knn=getattr(model, "knn_graph_", None) if full and reuse_knn else None,
                    n_epochs=getattr(model, "n_epochs", None))
    if full:
        return np.asarray(r.fit_transform(X), dtype=np.float32)
    rows = np.sort(np.random.default_rng(model.random_state).choice(n, size=max_n, replace=False))
    out = np.empty((n, 2), dtype=np.float32)
    out[rows] = r.fit_transform(np.asarray(X[rows], dtype=np.float32))
    rest = np.setdiff1d(np.arange(n), rows)
    for s in range(0, len(rest), MAP_BATCH):  # exact kNN to the sample, a batch at a time
        b = rest[s:s + MAP_BATCH]
        out[b] = r.transform(np.asarray(X[b], dtype=np.float32))
    return out


DATA_FILES = ("topics.parquet", "article_topics.parquet", "chunk_coords.parquet", "topic_shares_time.parquet",
              "topic_shares_source.parquet", "topic_shares_outlet.parquet")
REPORT_FILES = ("topics.csv", "topics_metrics.json")


@writes("topics fit", inputs=("chunks_path", "embeddings_dir", "articles_path", "duplicates_path", "skipped_path"))
def fit_topics(chunks_path, embeddings_dir, articles_path, duplicates_path, models_dir, data_dir, reports_dir,
               params: TopicsParams, previous_model_dir=None, overrides_path=None, skipped_path=None) -> dict:
    """Run the topics stage; return ``{"metrics": ..., "timings": ..., "outputs": ...}``.

    Above ``params.fit_max_n`` chunks the model is fitted on a seeded sample of whole articles holding
    at most that many chunks and every other chunk is assigned in batches (:mod:`scale`); keywords,
    sizes, article mixes, shares and the map then come from the corpus-wide assignments.
    """
    from .model import TopicModel

    check_outputs(files=[*(Path(data_dir) / f for f in DATA_FILES), *(Path(reports_dir) / f for f in REPORT_FILES)],
                  folders=[Path(models_dir) / "topics"])
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    n_rows = _count_rows(chunks_path)
    sampled = n_rows > params.fit_max_n
    chunks, X, emb_meta, articles, dups = read_inputs(chunks_path, embeddings_dir, articles_path, duplicates_path,
                                                      with_text=not sampled)
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
    model = TopicModel.from_params(params, reference=reference, overrides=ov)
    aids = chunks["article_id"].astype(str).to_numpy(dtype=object)
    if not sampled:
        _log(f"fitting on {len(chunks)} chunks")
        model.fit(chunks["text"].tolist(), X, groups=aids.tolist())
        rows = np.arange(len(chunks))
        labels_raw, labels, prob = model.labels_raw_, model.labels_, model.probabilities_
        text_of = None
    else:
        rows, labels_raw, labels, prob, secs = _fit_sample(model, chunks_path, X, aids, params, timings)
        text_of = _texts_of(chunks_path, [rows[r] for reps in model.representatives_.values() for r in reps])
    timings["fit"] = time.perf_counter() - t
    _log(f"{model.n_topics_} topics (min_cluster_size {model.min_cluster_size_unit_} {model.unit_}s = "
         f"{model.min_cluster_size_} chunks, map on {model.map_unit_}s) in {timings['fit']:.1f}s")

    t = time.perf_counter()
    # sampled: the model's kNN graph is the sample's, so the map builds its own
    coords = chunk_coords(model, X if sampled else model.train_embeddings_, params.map_max_n, reuse_knn=not sampled)
    timings["coords_2d"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics = met.topic_metrics(model, model.dtm_, model.vocabulary_)
    metrics["stability"] = met.stability(model, model.train_embeddings_)
    timings["stability"] = time.perf_counter() - t
    metrics["min_cluster_size_selection"] = model.selection_
    metrics["ids"] = {**model.ids_report_, "previous_model_dir": prev_note}
    metrics["overrides"] = model.overrides_report_
    metrics["fit_sample_n"] = int(len(rows))
    if sampled:
        metrics.update(n_chunks=int(len(chunks)), outlier_share_raw=round(float((labels_raw == OUTLIER).mean()), 6),
                       outlier_share=round(float((labels == OUTLIER).mean()), 6),
                       fit_sample={"n_chunks": int(len(rows)), "n_articles": int(model.n_groups_),
                                   "seed": int(params.random_state), "assign_reference_n": int(secs["reference_n"]),
                                   "rule": "whole articles at random, at most topics.fit_max_n chunks; the other "
                                           "chunks by a kNN vote among assign_reference_n fitted chunks",
                                   "keywords": "c-TF-IDF over every chunk of the corpus",
                                   "npmi_and_stability": "on the fitted sample"})

    t = time.perf_counter()
    at = art.article_topics(chunks, labels, model.label_of, articles, dups,
                            where_chunks=str(chunks_path), where_dups=str(duplicates_path),
                            embeddings=X if sampled else model.train_embeddings_)
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
    cids = chunks["chunk_id"].to_numpy()
    save_model(model, model_dir, chunk_ids=cids[rows].tolist(),
               article_ids=chunks["article_id"].to_numpy()[rows].tolist(),
               positions=chunks["position"].to_numpy()[rows], embedding_meta=emb_meta,
               extra={"n_articles": int(len(articles)), "n_chunks_corpus": int(len(chunks)),
                      "fit_sample_n": int(len(rows))})
    outputs = {
        "model": model_dir,
        "topics": write_parquet(data_dir / "topics.parquet", pd.DataFrame({
            "chunk_id": cids, "topic_raw": np.asarray(labels_raw, dtype="int64"),
            "topic": np.asarray(labels, dtype="int64"), "probability": np.asarray(prob, dtype="float64")})),
        "article_topics": write_parquet(data_dir / "article_topics.parquet", at),
        "chunk_coords": write_parquet(data_dir / "chunk_coords.parquet", pd.DataFrame({
            "chunk_id": cids, "x": coords[:, 0].astype("float64"), "y": coords[:, 1].astype("float64")})),
        "shares_time": write_parquet(data_dir / "topic_shares_time.parquet", shares_t),
        "shares_source": write_parquet(data_dir / "topic_shares_source.parquet", shares_s),
        "shares_outlet": write_parquet(data_dir / "topic_shares_outlet.parquet", shares_o),
        "topics_csv": write_text(reports_dir / "topics.csv",
                                 topic_table(model, chunks, labels, rows, text_of).to_csv(index=False)),
        "metrics": write_json(reports_dir / "topics_metrics.json", metrics),
    }
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {"metrics": metrics, "timings": {k: round(v, 3) for k, v in timings.items()},
            "outputs": {k: str(v) for k, v in outputs.items()}}


def _count_rows(path) -> int:
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    try:
        return int(pq.ParquetFile(p).metadata.num_rows)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"{p}: not a readable Parquet file ({type(exc).__name__})") from None


def _texts_of(chunks_path, wanted) -> "callable":
    """``text_of(row)`` for the few rows a report shows, read from the chunks file in one pass."""
    from .scale import read_parquet_rows

    want = np.unique(np.asarray(wanted, dtype=np.int64))
    got = dict(zip(want.tolist(), read_parquet_rows(chunks_path, want, "text") if len(want) else []))
    return lambda r: got[int(r)]


def _fit_sample(model, chunks_path, X, aids, params: TopicsParams, timings: dict):
    """Fit ``model`` on whole articles holding at most ``fit_max_n`` chunks, assign every other chunk
    in batches, then give the model corpus-wide sizes, keywords and labels. Returns
    ``(rows, topic_raw, topic, probability, info)`` per chunk."""
    import tempfile

    import pyarrow.parquet as pq

    from . import ctfidf
    from .groups import Groups
    from .overrides import apply_renames
    from .scale import fit_sample_assign

    grp = Groups.from_labels(aids)
    rows = grp.subsample(params.fit_max_n, params.random_state)
    _log(f"{len(aids)} chunks > topics.fit_max_n={params.fit_max_n}: fitting on {len(rows)} chunks of "
         f"whole articles, assigning the rest in batches of {ASSIGN_BATCH}")
    with tempfile.TemporaryDirectory(prefix="topicstance-assign-") as tmp:
        res = fit_sample_assign(model, X, chunks_path, Path(tmp) / "assign.parquet", rows=rows,
                                groups=aids[rows].tolist(), reference_size=params.assign_reference_n,
                                batch_size=ASSIGN_BATCH, seed=params.random_state, reassign_outliers=True)
        tab = pq.read_table(Path(tmp) / "assign.parquet", columns=["topic_raw", "topic", "probability"])
        raw = tab.column("topic_raw").to_numpy()
        topic = tab.column("topic").to_numpy()
        prob = tab.column("probability").to_numpy()
    timings.update({f"fit_{k}": v for k, v in res.seconds.items()})
    # corpus-wide sizes and keywords from the streamed assignments
    t = time.perf_counter()
    ids = np.asarray(model.topic_ids_, dtype=np.int64)
    model.sizes_ = np.array([(topic == i).sum() for i in ids], dtype=np.int64)
    vec, vocab = model.vectorizer_, model.vocabulary_
    if vec is not None and len(ids):
        pf = pq.ParquetFile(chunks_path)

        def batches():
            s = 0
            for b in pf.iter_batches(batch_size=TEXT_BATCH, columns=["text"]):
                texts = b.column(0).to_pylist()
                yield texts, topic[s:s + len(texts)]
                s += len(texts)
        counts = ctfidf.streamed_class_counts(vec, batches(), ids, len(vocab))
        kw, labels_txt = ctfidf.keywords_and_labels(ctfidf.tfidf_from_counts(counts), vocab, ids,
                                                    model.top_n_words, model.label_words)
        model.keywords_ = kw
        model.topic_labels_, _ = apply_renames(labels_txt, model.overrides if model.overrides is not None
                                               else load_overrides(None))
    timings["keywords_corpus"] = time.perf_counter() - t
    return rows, raw, topic, prob, {"reference_n": res.reference_size}


