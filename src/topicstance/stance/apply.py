"""The apply stage: stance of every chunk toward every target, then per article.

``data/stance.parquet``: one row per (chunk, target) with the STANCE contract
columns. ``data/article_stance.parquet``: one row per (article, target),
aggregated from that article's chunks by ``stance.article_rule`` through the
one prediction path (:func:`.predict.predict_stance`, :mod:`.aggregate`), with ``n_chunks``, ``n_favor_chunks``, ``n_against_chunks``
and the deciding ``evidence_chunk_id`` (empty for ``mean``).

Chunks are scored in batches of whole articles, about ``APPLY_BATCH`` chunks
each: only one batch's features, vectors and model inputs are in memory.
Frozen-embedding methods (``embedding-lr``, ``hybrid``) reuse the embed stage's
vectors when they come from the same model weights; chunks missing from the
embeddings folder, or a folder from other weights, are encoded (cached) and
counted. ``setfit`` and ``ensemble`` must encode with their fine-tuned body.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..io import check_outputs, write_parquet, writes

_LOG = logging.getLogger(__name__)
ARTICLE_COLUMNS = ["article_id", "target", "stance", "p_favor", "p_against", "p_none", "n_chunks",
                   "n_favor_chunks", "n_against_chunks", "evidence_chunk_id"]


def frozen_source(clf, chunks: pd.DataFrame, embeddings_dir):
    """``(vecs, rows, meta)`` when the embeddings folder holds vectors of one of ``clf``'s sentence
    models (``stance.model``): its memory-mapped vectors, each chunk's row in them (-1: missing, to be
    encoded) and its meta.json; ``None`` when the method needs no frozen vectors, or every chunk must
    be encoded from its text (no folder, or vectors of other weights: never fed as the stance model's)."""
    if not clf.uses_frozen_embeddings or embeddings_dir is None or not Path(embeddings_dir).exists():
        return None
    from ..embed.store import load_embeddings, load_meta

    meta = load_meta(embeddings_dir)
    if not clf.reuses(meta.get("weights_sha256")):
        _LOG.info(f"stance apply: {embeddings_dir} holds vectors of {meta.get('model')}, not of the stance "
                  f"model's {', '.join(clf.models)}; encoding the chunks from their text")
        return None
    ids, vecs = load_embeddings(embeddings_dir)
    pos = {c: i for i, c in enumerate(ids)}
    return vecs, np.array([pos.get(c, -1) for c in chunks["chunk_id"]], dtype=np.int64), meta


def batch_embeddings(clf, texts: list[str], source, rows: np.ndarray, stats: dict) -> np.ndarray | None:
    """The frozen features of the chunks at ``rows`` (their ``texts``): the folder's vectors
    (:func:`frozen_source`) for the model they belong to, the missing ones and any other model's
    encoded; ``None`` when the method needs none or ``source`` is ``None`` (the prediction path then
    encodes them)."""
    if not clf.uses_frozen_embeddings:
        return None
    if source is None:
        stats["embeddings_encoded"] += len(texts) * len(clf.models)
        return None
    vecs, where, meta = source
    r = where[rows]
    have = r >= 0
    out = np.zeros((len(r), clf.embedding_dim_), dtype=np.float32)
    if have.any():
        idx = np.nonzero(have)[0][np.argsort(r[have], kind="stable")]  # read the memory map in file order
        out[idx] = clf.frozen_embeddings([texts[i] for i in idx], given=np.asarray(vecs[r[idx]], dtype=np.float32),
                                         given_sha256=meta.get("weights_sha256"))
    if (~have).any():
        miss = np.nonzero(~have)[0]
        out[miss] = clf.frozen_embeddings([texts[i] for i in miss])
    stats["embeddings_reused"] += int(have.sum())
    stats["embeddings_encoded"] += int((~have).sum()) * len(clf.models) + int(have.sum()) * (len(clf.models) - 1)
    return out


def chunk_embeddings(clf, chunks: pd.DataFrame, embeddings_dir) -> tuple[np.ndarray | None, dict]:
    """The frozen features of all of ``chunks`` (see :func:`batch_embeddings`); encoded from the
    chunks' text when the folder cannot serve the stance model."""
    stats = {"embeddings_reused": 0, "embeddings_encoded": 0}
    if not clf.uses_frozen_embeddings:
        return None, stats
    src = frozen_source(clf, chunks, embeddings_dir)
    vecs = batch_embeddings(clf, chunks["text"].tolist(), src, np.arange(len(chunks)), stats)
    if vecs is None:
        vecs = clf.frozen_embeddings(chunks["text"].astype(str).tolist())
    return vecs, stats


def article_batches(article_ids, batch_size: int) -> list[np.ndarray]:
    """Rows of the chunks in batches of whole articles (about ``batch_size`` chunks each; an
    article is never split, so its aggregate is computed in one batch)."""
    codes, _ = pd.factorize(pd.Series(article_ids).astype(str), sort=False)
    if not len(codes):
        return []
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes))
    out, start = [], 0
    while start < len(order):
        k = min(int(np.searchsorted(ends, start + max(1, int(batch_size)), side="left")), len(ends) - 1)
        stop = int(ends[k])
        out.append(order[start:stop])
        start = stop
    return out


def article_stance(per_article: pd.DataFrame, chunks: pd.DataFrame) -> pd.DataFrame:
    """``data/article_stance.parquet`` from :func:`.predict.predict_stance`'s per-owner rows."""
    ids = chunks["chunk_id"].tolist()
    ev = per_article["evidence"].to_numpy()
    return pd.DataFrame({
        "article_id": per_article["owner"].to_numpy(), "target": per_article["target"].to_numpy(),
        "stance": per_article["stance"].to_numpy(), "p_favor": per_article["p_favor"].to_numpy(dtype=float),
        "p_against": per_article["p_against"].to_numpy(dtype=float),
        "p_none": per_article["p_none"].to_numpy(dtype=float), "n_chunks": per_article["n_chunks"].to_numpy(),
        "n_favor_chunks": per_article["n_favor_chunks"].to_numpy(),
        "n_against_chunks": per_article["n_against_chunks"].to_numpy(),
        "evidence_chunk_id": [ids[i] if i >= 0 else "" for i in ev]}, columns=ARTICLE_COLUMNS)


APPLY_BATCH = 10_000  # chunks per batch (whole articles): memory bounded by one batch


@writes("stance apply", inputs=("model_dir", "chunks_path", "embeddings_dir"))
def apply_stance(model_dir, chunks_path, embeddings_dir, out_path, articles_out, params,
                 batch_size: int = APPLY_BATCH) -> dict:
    from .classifier import StanceClassifier
    from .predict import predict_stance

    check_outputs(files=[out_path, articles_out])
    chunks = schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    clf = StanceClassifier.load(model_dir, cache_dir=params.embed.cache_dir)
    targets = list(params.stance.targets)
    stats = {"embeddings_reused": 0, "embeddings_encoded": 0}
    src = frozen_source(clf, chunks, embeddings_dir)
    chunk_parts, article_parts = [], []
    for rows in article_batches(chunks["article_id"], batch_size):
        b = chunks.iloc[rows].reset_index(drop=True)
        vecs = batch_embeddings(clf, b["text"].tolist(), src, rows, stats)
        per_chunk, per_article = predict_stance(clf, b.assign(owner=b["article_id"], row_=rows), targets,
                                                rule=params.stance.article_rule, embeddings=vecs)
        chunk_parts.append(per_chunk)
        article_parts.append(article_stance(per_article, b))
    if chunk_parts:  # the unbatched order: target by target, chunks in file order
        per_chunk = pd.concat(chunk_parts, ignore_index=True)
        rank = per_chunk["target"].map({t: i for i, t in enumerate(targets)}).to_numpy()
        per_chunk = per_chunk.iloc[np.lexsort((per_chunk["row_"].to_numpy(), rank))]
        arts = pd.concat(article_parts, ignore_index=True).sort_values(["article_id", "target"], kind="stable")
        arts = arts.reset_index(drop=True)
    else:
        per_chunk = pd.DataFrame(columns=list(schema.STANCE))
        arts = pd.DataFrame(columns=ARTICLE_COLUMNS)
    stance = per_chunk[list(schema.STANCE)].reset_index(drop=True) if len(per_chunk) else \
        pd.DataFrame(columns=list(schema.STANCE))
    stance["stance"] = stance["stance"].astype(str)
    schema.validate(stance, schema.STANCE, out_path)
    write_parquet(out_path, stance)
    write_parquet(articles_out, arts)
    stats.update({"chunks": int(len(chunks)), "targets": targets, "rows": int(len(stance)),
                  "articles": int(arts["article_id"].nunique()) if len(arts) else 0,
                  "batches_of_chunks": int(batch_size),
                  "unseen_targets": [t for t in targets if clf.unseen_targets([t])],
                  "stance_counts": {t: g["stance"].value_counts().to_dict() for t, g in stance.groupby("target")}})
    return stats
